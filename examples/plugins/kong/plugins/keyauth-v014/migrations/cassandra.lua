return {
  {
    name = "2018-07-10-120000_init_keyauth014",
    up = [[
      CREATE TABLE IF NOT EXISTS keyauth014_credentials(
        id uuid, consumer_id uuid, key text, created_at timestamp, PRIMARY KEY (id)
      );
    ]],
    down = [[ DROP TABLE keyauth014_credentials; ]],
  },
}
