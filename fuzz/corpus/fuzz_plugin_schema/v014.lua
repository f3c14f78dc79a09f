-- keyauth-v014 configuration (Kong 0.x shape: fields keyed by name).
local function check_key_names(names)
  for _, name in ipairs(names) do
    if type(name) ~= "string" or name == "" then
      return false, "key names must be non-empty strings"
    end
  end
  return true
end

return {
  no_consumer = true,
  fields = {
    key_names = { required = true, type = "array", default = { "apikey" },
                  func = check_key_names },
    hide_credentials = { type = "boolean", default = false },
  },
}
