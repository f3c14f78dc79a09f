-- keyauth-v05 configuration (Kong 0.5 shape: fields keyed by name).
return {
  no_consumer = true,
  fields = {
    key_names = { required = true, type = "array", default = { "apikey" } },
    hide_credentials = { type = "boolean", default = false },
  },
}
