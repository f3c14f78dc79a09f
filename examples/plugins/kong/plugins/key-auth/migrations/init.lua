-- key-auth's migrations (Kong 3.x format): the index of its migration
-- modules, in order.  `daoc migrations up` runs each once; never edit one
-- that was published: add the next.
return {
  "000_base_key_auth",
  "001_10_to_20",
}
