-- key-auth's request handler.  daoc does not proxy requests: the file is
-- here because a real plugin directory has one, and daoc must load such a
-- directory without running it.
local KeyAuthHandler = {
  PRIORITY = 1250,
  VERSION = "1.0.0",
}

function KeyAuthHandler:access(conf)
  local key
  for _, name in ipairs(conf.key_names) do
    key = kong.request.get_header(name) or kong.request.get_query_arg(name)
    if key then break end
  end
  if not key then
    return kong.response.exit(401, { message = "No API key found in request" })
  end
  local cred = kong.db.keyauth_credentials:select_by_key(key)
  if not cred then
    return kong.response.exit(401, { message = "Invalid authentication credentials" })
  end
end

return KeyAuthHandler
