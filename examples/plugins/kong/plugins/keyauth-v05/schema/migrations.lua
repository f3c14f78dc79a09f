-- keyauth-v05's migrations (Kong 0.5-0.7 format, Cassandra only): `up` and
-- `down` run CQL through the DAO factory.  daoc cannot run Cassandra: on
-- either store the plugin's table is made from its schema instead.
local Migrations = {
  {
    name = "2015-07-31-172400_init_keyauth05",
    up = function(options, dao_factory)
      return dao_factory:execute_queries [[
        CREATE TABLE IF NOT EXISTS keyauth05_credentials(
          id uuid,
          consumer_id uuid,
          key text,
          created_at timestamp,
          PRIMARY KEY (id)
        );
        CREATE INDEX IF NOT EXISTS ON keyauth05_credentials(key);
        CREATE INDEX IF NOT EXISTS ON keyauth05_credentials(consumer_id);
      ]]
    end,
    down = function(options, dao_factory)
      return dao_factory:execute_queries [[
        DROP TABLE keyauth05_credentials;
      ]]
    end,
  },
}

return Migrations
