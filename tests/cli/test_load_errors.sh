#!/usr/bin/env bash
# Definition files that cannot be loaded stop `daoc runner` before the script
# runs: a non-zero exit, nothing on stdout, and one line on stderr naming the
# file and line (Lua errors) or the plugin, entity and field (definitions the
# metaschema refuses).  Run by scripts/run-tests.sh from an empty temp dir:
#   DAOC_BIN      the CLI under test
#   DAOC_SRC_DIR  the repository root (for tests/fixtures)
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
SRC="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}"
HERE="$PWD"
passed=0; failed=0

plugin() { # $1 = name; daos.lua from stdin
  mkdir -p "$HERE/kong/plugins/$1"
  cat > "$HERE/kong/plugins/$1/daos.lua"
}

echo 'print("script ran")' > "$HERE/script.lua"

# Plugins are found through the relative package path ./?.lua from $4 (the
# temp dir by default), so chunk names stay short: Lua abbreviates long ones
# to "...<tail>".
# $1 = test name, $2 = plugins, $3 = expected stderr (exact), [$4 = plugin root]
n=0
expect_refused() {
  local out err rc root="${4:-$HERE}"
  n=$((n + 1))
  out=$(cd "$root" && DAOC_SQLITE_PATH="$HERE/t$n.db" DAOC_LUA_PACKAGE_PATH="./?.lua" \
        DAOC_PLUGINS="$2" "$BIN" runner "$HERE/script.lua" 2>"$HERE/err.txt"); rc=$?
  err=$(cat "$HERE/err.txt")
  if [ $rc -ne 0 ] && [ -z "$out" ] && [ "$err" = "$3" ]; then
    passed=$((passed + 1)); echo "ok - $1"
  else
    failed=$((failed + 1)); echo "FAIL $1"
    echo "  exit:     $rc (expected non-zero)"
    echo "  stdout:   $out"
    echo "  expected: $3"
    echo "  stderr:   $err"
  fi
}

# ---- Lua errors: file and line ------------------------------------------
plugin syn <<'LUA'
local typedefs = require "kong.db.schema.typedefs"

return {
  { name = "broken" fields = {} },
}
LUA
expect_refused "syntax error names daos.lua and the line" syn \
  "daoc: cannot open the database: ./kong/plugins/syn/daos.lua:4: '}' expected near 'fields'"

expect_refused "syntax error in the repository fixture" defs-syntax \
  "daoc: cannot open the database: ./kong/plugins/defs-syntax/daos.lua:4: '}' expected near 'fields'" \
  "$SRC/tests/fixtures"

plugin runtime <<'LUA'
local x = nil

return x.y
LUA
expect_refused "runtime error names daos.lua and the line" runtime \
  "daoc: cannot open the database: ./kong/plugins/runtime/daos.lua:3: attempt to index local 'x' (a nil value)"

plugin helper <<'LUA'
local util = require "kong.plugins.helper.util"
return {}
LUA
printf 'return {\n  x = = 1\n}\n' > "$HERE/kong/plugins/helper/util.lua"
expect_refused "syntax error in a module daos.lua requires names that module" helper \
  "daoc: cannot open the database: custom plugin 'helper': ./kong/plugins/helper/daos.lua:1: error loading module 'kong.plugins.helper.util' from file './kong/plugins/helper/util.lua':
	./kong/plugins/helper/util.lua:2: unexpected symbol near '='"

plugin nontable <<'LUA'
return 42
LUA
expect_refused "a daos.lua that returns no table" nontable \
  "daoc: cannot open the database: custom plugin 'nontable' returned non-array daos definition table"

plugin coro <<'LUA'
return { { name = "co", primary_key = { "id" }, fields = {
  { id = { type = "string", uuid = true, auto = true } },
  { n = { type = "integer", default = coroutine.create(print) } } } } }
LUA
expect_refused "a value no definition can hold" coro \
  "daoc: cannot open the database: custom plugin 'coro' returned an unusable daos definition: coroutines cannot be converted"

# values raised that are not messages, memory and budget: plugin, file, line
plugin objerr <<'LUA'
local n = 1

error({})
LUA
expect_refused "error({}) names the plugin, the file and the line" objerr \
  "daoc: cannot open the database: custom plugin 'objerr': ./kong/plugins/objerr/daos.lua:3: error object is a table value"

plugin objstr <<'LUA'
error(setmetatable({}, { __tostring = function() return "an err_t of its own" end }))
LUA
expect_refused "an error object with __tostring is shown through it" objstr \
  "daoc: cannot open the database: custom plugin 'objstr': ./kong/plugins/objstr/daos.lua:1: an err_t of its own"

plugin objnil <<'LUA'
local util = require "kong.plugins.objnil.util"
return {}
LUA
printf 'local m = {}\n\nerror(nil)\n' > "$HERE/kong/plugins/objnil/util.lua"
# (the sandbox's require raises it again: the line named is the require's)
expect_refused "error(nil) in a module daos.lua requires names the require" objnil \
  "daoc: cannot open the database: custom plugin 'objnil': ./kong/plugins/objnil/daos.lua:1: error object is a nil value"

plugin level0 <<'LUA'
local n = 1
error("no position of its own", 0)
LUA
expect_refused "a message raised without a position gets the plugin, the file and the line" level0 \
  "daoc: cannot open the database: custom plugin 'level0': ./kong/plugins/level0/daos.lua:2: no position of its own"

plugin oom <<'LUA'
local huge = string.rep("xx", 2 ^ 30)
return {}
LUA
expect_refused "running out of memory names the plugin and the file" oom \
  "daoc: cannot open the database: custom plugin 'oom': ./kong/plugins/oom/daos.lua: not enough memory"

plugin hog <<'LUA'
local t = {}
for i = 1, 1e9 do t[i] = ("x"):rep(64) .. i end
return {}
LUA
export DAOC_LUA_MEMORY_LIMIT=64m
expect_refused "small allocations without end stop at lua_memory_limit" hog \
  "daoc: cannot open the database: custom plugin 'hog': ./kong/plugins/hog/daos.lua: not enough memory"
unset DAOC_LUA_MEMORY_LIMIT

plugin spin <<'LUA'
local t = {}

while true do t[1] = (t[1] or 0) + 1 end
LUA
expect_refused "a definition that never ends names the plugin, the file and the line" spin \
  "daoc: cannot open the database: ./kong/plugins/spin/daos.lua:3: custom plugin 'spin': definition file exceeded its instruction budget (50000000 instructions)"

# ---- bad definitions: plugin, entity and field named ----------------------
def() { # $1 = plugin, $2 = entity, $3 = extra field definition
  plugin "$1" <<LUA
return {
  {
    name = "$2",
    primary_key = { "id" },
    fields = {
      { id = { type = "string", uuid = true, auto = true } },
      $3,
    },
  },
}
LUA
}
invalid() { echo "daoc: cannot open the database: schema of custom plugin entity '$1' is invalid: $2"; }

def badtype bt_things '{ label = { type = "strnig" } }'
expect_refused "misspelled type" badtype "$(invalid badtype.bt_things 'label: invalid type: strnig')"

def nested nb '{ conf = { type = "record", fields = { { size = { type = "integr" } } } } }'
expect_refused "misspelled type in a record" nested "$(invalid nested.nb 'conf.size: invalid type: integr')"

def notype nt '{ label = { required = true } }'
expect_refused "missing type" notype "$(invalid notype.nt 'label: missing type declaration')"

def unkattr ua '{ label = { type = "string", lenght = 5 } }'
expect_refused "misspelled attribute" unkattr "$(invalid unkattr.ua 'label: lenght: unknown field')"

def noelems ne '{ list = { type = "array" } }'
expect_refused "array without elements" noelems \
  "$(invalid noelems.ne "list: field of type 'array' must declare 'elements'")"

def between bb '{ n = { type = "string", between = { 1, 2 } } }'
expect_refused "attribute not allowed for the type" between \
  "$(invalid between.bb "n: field of type 'string' cannot have attribute 'between'")"

def baddefault bd '{ n = { type = "integer", default = "ten" } }'
expect_refused "default of the wrong type" baddefault "$(invalid baddefault.bd 'n: default: expected an integer')"

def badref br '{ owner = { type = "foreign", reference = "nosuch" } }'
expect_refused "foreign key to an unknown entity" badref \
  "$(invalid badref.br 'owner: schema refers to an invalid foreign entity: nosuch')"

def bare bare_things '"label"'
expect_refused "a field entry that is a bare name" bare \
  "$(invalid bare.bare_things "fields.2: expected a table with one key, the field's name, as in { label = { type = \"string\" } }; got the string 'label'")"

def fkcol fk_things '{ consumer = { type = "foreign", reference = "consumers" } }, { consumer_id = { type = "string" } }'
expect_refused "a field in the column of a foreign key" fkcol \
  "$(invalid fkcol.fk_things "consumer_id: this field would be stored in the column 'consumer_id', which is already the column of the field 'consumer' (a foreign key is stored in <field>_<key of the entity it references>); rename one of them")"

plugin wsid <<'LUA'
return { { name = "ws_things", primary_key = { "id" }, workspaceable = true, fields = {
  { id = { type = "string", uuid = true, auto = true } },
  { ws_id = { type = "string" } } } } }
LUA
expect_refused "a field in the workspace column" wsid \
  "$(invalid wsid.ws_things "ws_id: the column 'ws_id' is taken: the entity is workspaceable and the store keeps each row's workspace there; rename the field")"

def catalog pg_class '{ label = { type = "string" } }'
expect_refused "an entity named like a system catalog" catalog \
  "$(invalid catalog.pg_class "name: the table name 'pg_class' is reserved: PostgreSQL looks pg_* names up in its system catalog first and SQLite keeps sqlite_* names to itself (refused on every store); rename the entity or give it another table_name")"

# ---- a good plugin next to a bad one: still refused, nothing ran ----------
def good gd '{ label = { type = "string" } }'
expect_refused "one bad plugin among good ones" good,badtype "$(invalid badtype.bt_things 'label: invalid type: strnig')"

# ---- the refused open created nothing: the good plugin's table is absent ---
# (expect_refused above used $HERE/t$n.db for that run)
tables=$(sqlite3 "$HERE/t$n.db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" 2>&1)
if [ -z "$tables" ]; then
  passed=$((passed + 1)); echo "ok - a refused open leaves no tables behind"
else
  failed=$((failed + 1)); echo "FAIL a refused open leaves no tables behind: $tables"
fi

# ---- a custom DAO module that cannot be required: refused, nothing kept --
plugin nodao <<'LUA'
local typedefs = require "kong.db.schema.typedefs"
return {
  { name = "nd_things", primary_key = { "id" }, dao = "kong.plugins.nodao.missing",
    fields = { { id = typedefs.uuid }, { label = { type = "string" } } } },
}
LUA
expect_refused "a custom DAO module that cannot be required" good,nodao \
  "daoc: cannot open the database: custom plugin 'nodao': entity 'nd_things': cannot load its custom DAO module 'kong.plugins.nodao.missing': module 'kong.plugins.nodao.missing' not found:
	no field package.preload['kong.plugins.nodao.missing']
	no file './kong/plugins/nodao/missing.lua'
	no file '/usr/share/lua/5.1/kong/plugins/nodao/missing.lua'
	no file '/usr/share/lua/5.1/kong/plugins/nodao/missing/init.lua'"
tables=$(sqlite3 "$HERE/t$n.db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" 2>&1)
if [ -z "$tables" ]; then
  passed=$((passed + 1)); echo "ok - a missing custom DAO module leaves no tables behind"
else
  failed=$((failed + 1)); echo "FAIL a missing custom DAO module leaves no tables behind: $tables"
fi

# ---- a schema.lua Kong's MetaSubSchema refuses: named, nothing kept -------
mkdir -p "$HERE/kong/plugins/badschema"
cat > "$HERE/kong/plugins/badschema/schema.lua" <<'LUA'
return { name = "badschema", fields = { { nope = { type = "string" } } } }
LUA
expect_refused "a plugin schema.lua that specialises no field of plugins" good,badschema \
  "daoc: cannot open the database: the schema of plugin 'badschema' is invalid: error in definition of 'badschema': nope: cannot create a new field"
tables=$(sqlite3 "$HERE/t$n.db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name" 2>&1)
if [ -z "$tables" ]; then
  passed=$((passed + 1)); echo "ok - a refused schema.lua leaves no tables behind"
else
  failed=$((failed + 1)); echo "FAIL a refused schema.lua leaves no tables behind: $tables"
fi

# ---- settings that cannot work -------------------------------------------
expect_refused "a plugin with no module at all" "good,nosuch" \
  "daoc: cannot open the database: plugin 'nosuch' is enabled but not installed: no module kong.plugins.nosuch.handler, .schema, .daos or .migrations on lua_package_path './?.lua'"
mkdir -p "$HERE/kong/plugins/handleronly"
echo 'return {}' > "$HERE/kong/plugins/handleronly/handler.lua"
out=$(DAOC_SQLITE_PATH="$HERE/h.db" DAOC_LUA_PACKAGE_PATH="./?.lua" DAOC_PLUGINS=handleronly \
      "$BIN" runner "$HERE/script.lua" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$out" = "script ran" ]; then
  passed=$((passed + 1)); echo "ok - a plugin with only a handler is installed"
else
  failed=$((failed + 1)); echo "FAIL a plugin with only a handler is installed (exit $rc): $out"
fi
out=$(DAOC_SQLITE_PATH="$HERE/no/such/dir/x.db" "$BIN" runner "$HERE/script.lua" 2>&1); rc=$?
want="daoc: cannot open the database: cannot open the sqlite database '$HERE/no/such/dir/x.db': unable to open database file"
if [ $rc -ne 0 ] && [ "$out" = "$want" ]; then
  passed=$((passed + 1)); echo "ok - a SQLite open error names the file"
else
  failed=$((failed + 1)); echo "FAIL a SQLite open error names the file (exit $rc): $out"
fi
out=$(DAOC_DATABASE=postgres DAOC_PG_HOST=/nonexistent/socket/dir DAOC_PG_SSL=on \
      "$BIN" runner "$HERE/script.lua" 2>&1); rc=$?
want="daoc: cannot open the database: pg_ssl = on cannot be used with pg_host = /nonexistent/socket/dir: PostgreSQL offers no SSL over a unix socket; give a TCP host or set pg_ssl = off"
if [ $rc -ne 0 ] && [ "$out" = "$want" ]; then
  passed=$((passed + 1)); echo "ok - pg_ssl over a unix socket is refused"
else
  failed=$((failed + 1)); echo "FAIL pg_ssl over a unix socket is refused (exit $rc): $out"
fi

out=$(DAOC_SQLITE_PATH="$HERE/off.db" DAOC_CREATE_TABLES=off "$BIN" runner "$HERE/script.lua" 2>&1); rc=$?
want="daoc: cannot open the database: the table 'workspaces' of core entity 'workspaces' does not exist in the sqlite database: it is created only when asked (create_tables = on; daoc runner asks unless told otherwise)"
if [ $rc -ne 0 ] && [ "$out" = "$want" ]; then
  passed=$((passed + 1)); echo "ok - create_tables = off: the runner creates nothing"
else
  failed=$((failed + 1)); echo "FAIL create_tables = off: the runner creates nothing (exit $rc): $out"
fi

# ---- and a good one loads and runs -----------------------------------------
out=$(DAOC_SQLITE_PATH="$HERE/ok.db" DAOC_LUA_PACKAGE_PATH="./?.lua" DAOC_PLUGINS=good \
      "$BIN" runner "$HERE/script.lua" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$out" = "script ran" ]; then
  passed=$((passed + 1)); echo "ok - a valid definition loads"
else
  failed=$((failed + 1)); echo "FAIL a valid definition loads (exit $rc): $out"
fi

echo "RESULT passed=$passed failed=$failed"
[ $failed -eq 0 ]
