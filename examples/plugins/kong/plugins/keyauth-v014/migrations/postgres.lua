-- keyauth-v014's migrations (Kong 0.8-0.14 format): an array of named
-- migrations, `up` and `down` as SQL.
return {
  {
    name = "2018-07-10-120000_init_keyauth014",
    up = [[
      CREATE TABLE IF NOT EXISTS keyauth014_credentials(
        id uuid,
        consumer_id uuid REFERENCES consumers (id) ON DELETE CASCADE,
        key text UNIQUE,
        created_at timestamp with time zone DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
        PRIMARY KEY (id)
      );

      DO $$
      BEGIN
        IF (SELECT to_regclass('keyauth014_consumer_idx')) IS NULL THEN
          CREATE INDEX keyauth014_consumer_idx ON keyauth014_credentials(consumer_id);
        END IF;
      END$$;
    ]],
    down = [[
      DROP TABLE keyauth014_credentials;
    ]],
  },
}
