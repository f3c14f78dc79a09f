-- Version 2.0 of the plugin tags its keys.  The column is added in `up`
-- (old and new nodes can share the table); `teardown`, run by
-- `daoc migrations finish`, tags the keys made before.
return {
  postgres = {
    up = [[
      DO $$
      BEGIN
        ALTER TABLE IF EXISTS ONLY "keyauth_credentials" ADD "tags" TEXT[];
      EXCEPTION WHEN DUPLICATE_COLUMN THEN
        -- Do nothing, accept existing state
      END;
      $$;

      CREATE INDEX IF NOT EXISTS "keyauth_credentials_tags_idx"
        ON "keyauth_credentials" USING GIN ("tags");
    ]],
    teardown = function(connector)
      local _, err = connector:query([[
        UPDATE "keyauth_credentials" SET "tags" = ARRAY['before-2.0'] WHERE "tags" IS NULL
      ]])
      if err then
        return nil, err
      end
      return true
    end,
  },
}
