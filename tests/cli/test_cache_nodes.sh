#!/usr/bin/env bash
# Two `daoc runner` processes as two nodes of one database (src/cli/node.c,
# src/events/cluster.c, the cluster_events triggers): node B holds a
# consumer in kong.cache; node A renames it and B's next get loads the new
# one -- on PostgreSQL within a second although db_update_frequency is 60
# (so through LISTEN/NOTIFY; measured ~2 ms), behind a transaction pooler
# and on SQLite within db_update_frequency + 1 s (the reads).  Also: A
# killed with SIGKILL right after its commit loses no invalidation (the
# event is in the commit itself); kong.cache:invalidate(key) on A drops
# B's copy of a key no entity has; a node's own change drops its own copy
# at once.  Runs on the store the environment selects, from an empty
# directory, with DAOC_BIN and DAOC_SRC_DIR set.  Then two `daoc serve`
# nodes: B's plugin route reads a consumer through kong.cache (fixture
# api-cache), A's PATCH drops it from B (GET /cache/<key> on B: 404), and
# Kong's /cache routes.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
FX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/tests/fixtures"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"
export DAOC_SQLITE_PATH="$PWD/nodes.db"
rm -f nodes.db
if [ "${DAOC_DATABASE:-sqlite}" = postgres ] && [ "${DAOC_PG_POOLING:-session}" != transaction ]; then
  export DAOC_DB_UPDATE_FREQUENCY=60; bound=1
else
  export DAOC_DB_UPDATE_FREQUENCY=0.3; bound=1.3
fi

cat > mk.lua <<'LUA'
local c = assert(kong.db.consumers:insert({ username = "orig-" .. arg[1] .. "-" .. tostring(ngx.now()) }))
print(c.id)
LUA
# B: caches the consumer, says so, then gets it every 2 ms until its
# username is arg[3] (prints how long after A's commit) or 10 s pass
cat > watch.lua <<'LUA'
local dir, id, want = arg[1], arg[2], arg[3]
local key = kong.db.consumers:cache_key(id)
local loads = 0
local function load(i) loads = loads + 1; return kong.db.consumers:select({ id = i }) end
assert(kong.cache:get(key, nil, load, id))
assert(kong.cache:get(key, nil, load, id))
assert(loads == 1, "the second get is a hit")
io.open(dir .. "/ready", "w"):close()
local deadline = ngx.now() + 10
while ngx.now() < deadline do
  local v = kong.cache:get(key, nil, load, id)
  if v and v.username == want then
    local seen = ngx.now()
    -- A notes its commit's time once its update returned: B may be faster
    local t
    for _ = 1, 500 do
      local f = io.open(dir .. "/committed_at")
      t = f and tonumber(f:read("*a"))
      if f then f:close() end
      if t then break end
      ngx.sleep(0.002)
    end
    print(string.format("seen %.3f", math.max(0, seen - (t or 0))))
    return
  end
  ngx.sleep(0.002)
end
print("never seen")
LUA
# A: waits for B, renames, notes the time; with arg[4] = "kill", dies by
# SIGKILL right after the commit
cat > rename.lua <<'LUA'
local dir, id, name, kill = arg[1], arg[2], arg[3], arg[4]
while not io.open(dir .. "/ready") do ngx.sleep(0.01) end
assert(kong.db.consumers:update({ id = id }, { username = name }))
local f = io.open(dir .. "/committed_at", "w")
f:write(string.format("%.6f", ngx.now()))
f:close()
if kill == "kill" then
  local s = io.open("/proc/self/stat"):read("*a")
  os.execute("kill -9 " .. s:match("^(%d+)"))
end
LUA

two_nodes() { # $1 = new name (made unique: a shared server keeps rows), $2 = "kill" or ""; sets $seen
  set -- "$1-$$-$(date +%s%N)" "$2"
  rm -f ready committed_at watch.out
  local id; id=$("$BIN" runner mk.lua "$1")
  "$BIN" runner watch.lua "$PWD" "$id" "$1" > watch.out 2> watch.err &
  local wpid=$!
  ("$BIN" runner rename.lua "$PWD" "$id" "$1" "$2" > rename.out 2>&1) 2>/dev/null
  wait "$wpid"
  seen=$(cat watch.out)
}
within() { awk -v s="$1" -v b="$bound" 'BEGIN { split(s, a, " "); exit !(a[1] == "seen" && a[2] + 0 <= b) }'; }

two_nodes renamed-1 ""
if within "$seen"; then ok "B's cached consumer is dropped when A renames it ($seen s, bound $bound s)"
else bad "B: '$seen' (bound $bound s): $(cat watch.err) A: $(cat rename.out)"; fi

two_nodes renamed-2 kill
if within "$seen"; then ok "A killed by SIGKILL right after its commit: B still hears of it ($seen s)"
else bad "after A's SIGKILL, B: '$seen': $(cat watch.err)"; fi

# kong.cache:invalidate on A drops B's copy of a key no entity has
cat > holder.lua <<'LUA'
local dir = arg[1]
local loads = 0
local function load() loads = loads + 1; return "v" .. loads end
assert(kong.cache:get("my:key", nil, load) == "v1")
io.open(dir .. "/ready", "w"):close()
local deadline = ngx.now() + 10
while ngx.now() < deadline do
  if kong.cache:get("my:key", nil, load) == "v2" then print("reloaded") return end
  ngx.sleep(0.002)
end
print("never reloaded")
LUA
cat > invalidator.lua <<'LUA'
while not io.open(arg[1] .. "/ready") do ngx.sleep(0.01) end
kong.cache:invalidate("my:key")
LUA
rm -f ready
"$BIN" runner holder.lua "$PWD" > holder.out 2> holder.err &
hpid=$!
"$BIN" runner invalidator.lua "$PWD" > invalidator.out 2>&1
wait "$hpid"
if [ "$(cat holder.out)" = reloaded ]; then ok "kong.cache:invalidate on A drops the key on B"
else bad "B: $(cat holder.out) / A: $(cat invalidator.out)"; fi

# a node's own change drops its own copy at once (no cluster needed)
cat > own.lua <<'LUA'
local c = assert(kong.db.consumers:insert({ username = "own-" .. tostring(ngx.now()) }))
local key = kong.db.consumers:cache_key(c.id)
local function load(i) return kong.db.consumers:select({ id = i }) end
assert(kong.cache:get(key, nil, load, c.id).username == c.username)
assert(kong.db.consumers:update({ id = c.id }, { username = c.username .. "-x" }))
print(kong.cache:get(key, nil, load, c.id).username == c.username .. "-x" and "fresh" or "stale")
assert(kong.db.consumers:delete({ id = c.id }))
print(kong.cache:get(key, nil, load, c.id) == nil and "gone" or "still there")
LUA
out=$("$BIN" runner own.lua 2> own.err)
if [ "$out" = "fresh
gone" ]; then ok "a node's own update and delete drop its cached copy at once"
else bad "own changes: $out $(cat own.err)"; fi
# ---- two daoc serve nodes ----
export DAOC_LUA_PACKAGE_PATH="$FX/?.lua;$FX/?/init.lua" DAOC_PLUGINS=api-cache
if ! start; then bad "node A starts: $(cat serve.err)"; finish; exit 1; fi
A_PID=$PID; A_U=$U; mv serve.err a.err
if ! start; then bad "node B starts: $(cat serve.err)"; kill "$A_PID"; finish; exit 1; fi
B_U=$U
U=$A_U; req POST /consumers -d "username=served-$$"
CID=$(field id)
sleep "$bound" # the creation's own event reaches B first (it would drop B's copy)
U=$B_U; req GET "/cached-consumers/$CID"
is "B loads the consumer into its cache" 200 '"hit_level":3' "\"username\":\"served-$$\""
# the key B cached it under: kong.db.consumers:cache_key, with the default
# workspace's id as its last part (consumers are workspaceable)
KEY=$(field key)
case "$KEY" in
  "consumers:$CID:::::"????????-????-????-????-????????????) ok "the cache key has Kong's seven parts, the workspace last" ;;
  *) bad "the cache key: '$KEY'" ;;
esac
req GET "/cached-consumers/$CID"
is "B's second read is a hit" 200 '"hit_level":1'
req GET "/cache/$KEY"
is "GET /cache/<key> on B: the cached consumer" 200 "\"id\":\"$CID\"" "\"username\":\"served-$$\""
U=$A_U; req PATCH "/consumers/$CID" -d "username=served-renamed-$$"
is "A renames it" 200 "served-renamed-$$"
U=$B_U
gone=""
for _ in $(seq 1 $(awk -v b="$bound" 'BEGIN { print int(b * 100) + 1 }')); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$U/cache/$KEY")
  [ "$code" = 404 ] && { gone=1; break; }
  sleep 0.01
done
if [ -n "$gone" ]; then ok "A's change drops the consumer from B's cache within $bound s"
else bad "B still caches $KEY after $bound s"; fi
req GET "/cached-consumers/$CID"
is "B's next read loads the new name" 200 '"hit_level":3' "served-renamed-$$"
req DELETE "/cache/$KEY"
body_is "DELETE /cache/<key>: 204" 204 ""
req GET "/cache/$KEY"
body_is "then it is not cached" 404 '{"message":"Not found"}'
req GET "/cached-consumers/$CID"
req DELETE /cache
body_is "DELETE /cache: 204" 204 ""
req GET "/cache/$KEY"
body_is "after DELETE /cache nothing is" 404 '{"message":"Not found"}'
req GET /status
is "/status has the cache's counters" 200 '"cache":{"hits":' '"cluster_events":{'
# Kong's /debug/cluster/log-level: set on A, heard by B through the
# cluster events (channel "log_level")
U=$A_U; req PUT "/debug/cluster/log-level/debug?timeout=30"
body_is "PUT /debug/cluster/log-level/debug on A" 200 '{"message":"log level changed"}'
req GET /debug/node/log-level
body_is "A's own level" 200 '{"message":"log level: debug"}'
U=$B_U
# eventually NAME PATH TEXT: GET PATH on $U until its body holds TEXT,
# for at most $bound s
eventually() {
  for _ in $(seq 1 $(awk -v b="$bound" 'BEGIN { print int(b * 20) + 1 }')); do
    req GET "$2"
    case "$body" in *"$3"*) ok "$1 within $bound s"; return ;; esac
    sleep 0.05
  done
  bad "$1: $body"
}
eventually "B hears the cluster log level" /debug/node/log-level '"log level: debug"'
req PUT "/debug/cluster/log-level/loud"
body_is "an unknown level: 400" 400 '{"message":"unknown log level: loud"}'
# a target marked unhealthy on A is unhealthy on B too (Kong's
# balancer:post_health cluster event)
U=$A_U
json '{"name":"up-nodes-'$$'","healthchecks":{"passive":{"unhealthy":{"tcp_failures":1}}}}'
req POST /upstreams "${curl_json[@]}"
req POST "/upstreams/up-nodes-$$/targets" -d target=127.0.0.1:8181 -d weight=10
req POST "/upstreams/up-nodes-$$/targets" -d target=127.0.0.1:8182 -d weight=10
req PUT "/upstreams/up-nodes-$$/targets/127.0.0.1:8181/unhealthy"
body_is "A marks a target unhealthy" 204 ""
U=$B_U
eventually "B sees the target UNHEALTHY" "/upstreams/up-nodes-$$/health" \
  '"target":"127.0.0.1:8181","weight":10,"health":"UNHEALTHY"'
is "B's other target stays HEALTHY" 200 '"target":"127.0.0.1:8182","weight":10,"health":"HEALTHY"'
U=$A_U; req PUT "/upstreams/up-nodes-$$/targets/127.0.0.1:8181/127.0.0.1:8181/healthy"
body_is "A marks the address healthy again" 204 ""
U=$B_U
eventually "B sees the address HEALTHY again" "/upstreams/up-nodes-$$/health" \
  '"target":"127.0.0.1:8181","weight":10,"health":"HEALTHY"'
stop
kill -TERM "$A_PID" 2>/dev/null; wait "$A_PID"
if grep -q Sanitizer a.err; then bad "sanitizer report from node A"; else ok "no sanitizer report from node A"; fi
finish
