-- keyauth-v11 configuration (Kong 1.x shape).
return {
  name = "keyauth-v11",
  fields = {
    { config = {
        type = "record",
        fields = {
          { key_names = { type = "array", required = true, default = { "apikey" },
                          elements = { type = "string" } } },
          { hide_credentials = { type = "boolean", default = false } },
        },
    } },
  },
}
