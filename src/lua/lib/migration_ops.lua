-- migration_ops.lua -- kong.db.migrations.operations.200_to_210,
-- .212_to_213, .280_to_300 and .331_to_332: the helpers Kong's bundled
-- plugin migrations require (reference A1.2), written here.  They build
-- PostgreSQL SQL for `up` (the 2.1 workspace columns, unique constraints
-- per workspace, foreign keys that include ws_id) and act through the
-- connector in teardowns (composite cache keys that gain the workspace,
-- plugin configurations rewritten by a function).  Every statement is
-- idempotent, as Kong's are, so a migration can run again under --force.
-- Returns { ["200_to_210"] = module, ... }.
local require_fn = ...

local type, ipairs, tostring, concat = type, ipairs, tostring, table.concat

local function q(name) -- an identifier, quotes doubled
  return '"' .. tostring(name):gsub('"', '""') .. '"'
end

-- `DO $$ BEGIN <stmt>; EXCEPTION WHEN <cond> THEN END $$;`: a step that
-- accepts the state it finds
local function tolerant(stmt, cond)
  return "DO $$\nBEGIN\n  " .. stmt .. ";\nEXCEPTION WHEN " .. cond
         .. " THEN\n  -- the state is already there\nEND$$;\n"
end

local up = {}

function up.ws_add_workspaces(_)
  return [[
CREATE TABLE IF NOT EXISTS "workspaces" (
  "id"         UUID                       PRIMARY KEY,
  "name"       TEXT                       UNIQUE,
  "comment"    TEXT,
  "created_at" TIMESTAMP WITH TIME ZONE   DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  "meta"       JSONB,
  "config"     JSONB
);
INSERT INTO "workspaces" ("id", "name") VALUES (gen_random_uuid(), 'default')
  ON CONFLICT DO NOTHING;
]]
end

-- ws_id (default: the default workspace's id, so the rows there go to it)
-- and UNIQUE (id, ws_id)
function up.ws_add_ws_id(_, table_name)
  local t = q(table_name)
  return "DO $$\nBEGIN\n  EXECUTE format('ALTER TABLE IF EXISTS ONLY " .. t:gsub("'", "''")
         .. " ADD \"ws_id\" UUID REFERENCES \"workspaces\" (\"id\") DEFAULT %L',\n"
         .. "    (SELECT \"id\" FROM \"workspaces\" WHERE \"name\" = 'default'));\n"
         .. "EXCEPTION WHEN DUPLICATE_COLUMN THEN\n  -- the state is already there\nEND$$;\n"
         .. tolerant("ALTER TABLE IF EXISTS ONLY " .. t .. " ADD CONSTRAINT "
                     .. q(table_name .. "_id_ws_id_unique") .. ' UNIQUE ("id", "ws_id")',
                     "DUPLICATE_TABLE")
end

-- field unique per workspace instead of everywhere
function up.ws_unique_field(_, table_name, field_name)
  local t = q(table_name)
  return "ALTER TABLE IF EXISTS ONLY " .. t .. " DROP CONSTRAINT IF EXISTS "
         .. q(table_name .. "_" .. field_name .. "_key") .. ";\n"
         .. tolerant("ALTER TABLE IF EXISTS ONLY " .. t .. " ADD CONSTRAINT "
                     .. q(table_name .. "_ws_id_" .. field_name .. "_unique")
                     .. ' UNIQUE ("ws_id", ' .. q(field_name) .. ")", "DUPLICATE_TABLE")
end

-- the foreign key <fk>_id becomes (<fk>_id, ws_id) -> parent (id, ws_id)
function up.ws_adjust_foreign_key(_, table_name, fk_prefix, foreign_table_name, is_cascade)
  local t, c = q(table_name), q(table_name .. "_" .. fk_prefix .. "_id_fkey")
  return "ALTER TABLE IF EXISTS ONLY " .. t .. " DROP CONSTRAINT IF EXISTS " .. c .. ";\n"
         .. tolerant("ALTER TABLE IF EXISTS ONLY " .. t .. " ADD CONSTRAINT " .. c
                     .. " FOREIGN KEY (" .. q(fk_prefix .. "_id") .. ', "ws_id") REFERENCES '
                     .. q(foreign_table_name) .. ' ("id", "ws_id")'
                     .. (is_cascade and " ON DELETE CASCADE" or ""), "DUPLICATE_OBJECT")
end

-- entities = { { name, primary_key, uniques = {...}, fks = { { name,
-- reference, on_delete } }, cache_key = {...} } }
function up.ws_adjust_fields(ops, entities)
  local out = {}
  for _, e in ipairs(entities) do
    out[#out + 1] = ops:ws_add_ws_id(e.name)
    for _, fk in ipairs(e.fks or {}) do
      out[#out + 1] = ops:ws_adjust_foreign_key(e.name, fk.name, fk.reference,
                                                fk.on_delete == "cascade")
    end
    for _, u in ipairs(e.uniques or {}) do
      out[#out + 1] = ops:ws_unique_field(e.name, u)
    end
  end
  return concat(out, "\n")
end

local teardown = {}

-- composite cache keys ending in ':' (no workspace) gain the default one
function teardown.ws_update_composite_cache_key(_, connector, table_name)
  local _, err = connector:query("UPDATE " .. q(table_name)
    .. " SET \"cache_key\" = CONCAT(\"cache_key\", ':', (SELECT \"id\" FROM \"workspaces\""
    .. " WHERE \"name\" = 'default')) WHERE \"cache_key\" LIKE '%:'")
  if err then return nil, err end
  return true
end

-- ws_id keeps no default once it is filled in
function teardown.ws_update_keys(_, connector, table_name)
  local _, err = connector:query("ALTER TABLE IF EXISTS ONLY " .. q(table_name)
                                 .. ' ALTER "ws_id" SET DEFAULT NULL')
  if err then return nil, err end
  return true
end

-- every configuration of plugin_name through fixup_fn(config); the ones it
-- answers true for are written back
local function fixup_plugin_config(_, connector, plugin_name, fixup_fn)
  local cjson = require_fn("cjson.safe")
  local rows, err = connector:query("SELECT \"id\", \"name\", \"config\" FROM \"plugins\" WHERE "
                                    .. "\"name\" = " .. connector:escape_literal(plugin_name))
  if not rows then return nil, err end
  for _, plugin in ipairs(rows) do
    local config = plugin.config
    if type(config) == "string" then config = cjson.decode(config) end
    if type(config) == "table" and fixup_fn(config) then
      local _, uerr = connector:query("UPDATE \"plugins\" SET \"config\" = "
        .. connector:escape_literal(cjson.encode(config)) .. "::jsonb WHERE \"id\" = "
        .. connector:escape_literal(plugin.id))
      if uerr then return nil, uerr end
    end
  end
  return true
end
teardown.fixup_plugin_config = fixup_plugin_config

function teardown.ws_adjust_data(ops, connector, entities)
  for _, e in ipairs(entities) do
    if e.cache_key and #e.cache_key > 1 then
      local _, err = ops:ws_update_composite_cache_key(connector, e.name, e.partitioned)
      if err then return nil, err end
    end
    local _, err = ops:ws_update_keys(connector, e.name, e.uniques, e.partitioned)
    if err then return nil, err end
  end
  return true
end

local function ws_migrate_plugin(entities)
  return {
    postgres = {
      up = up:ws_adjust_fields(entities),
      teardown = function(connector) return teardown:ws_adjust_data(connector, entities) end,
    },
  }
end

-- 2.1.2 -> 2.1.3: only the composite cache keys
local t213 = { ws_update_composite_cache_key = teardown.ws_update_composite_cache_key }
function t213.ws_adjust_data(ops, connector, entities)
  for _, e in ipairs(entities) do
    if e.cache_key and #e.cache_key > 1 then
      local _, err = ops:ws_update_composite_cache_key(connector, e.name, e.partitioned)
      if err then return nil, err end
    end
  end
  return true
end

return {
  ["200_to_210"] = { postgres = { up = up, teardown = teardown },
                     ws_migrate_plugin = ws_migrate_plugin },
  ["212_to_213"] = { postgres = { up = "", teardown = t213 } },
  ["280_to_300"] = { postgres = { up = {}, teardown = { fixup_plugin_config = fixup_plugin_config } } },
  ["331_to_332"] = { postgres = { up = {}, teardown = { fixup_plugin_config = fixup_plugin_config } } },
}
