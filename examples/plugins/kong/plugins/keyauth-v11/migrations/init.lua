-- keyauth-v11's migrations (Kong 1.x format: a section per database).
return { "000_base_keyauth11" }
