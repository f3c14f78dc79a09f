#!/usr/bin/env bash
# Kong's node routes and the upstream health routes on `daoc serve`, over
# a real socket (src/admin/node.c, health.c, loglevel.c):
# /debug/node/log-level (GET, PUT with its timeout, and that the level
# really filters what the server logs), /config, /timers, /status/dns,
# /schemas/vaults/:name, /upstreams/:u/health (with ?balancer_health=1
# and paging) and PUT /upstreams/:u/targets/:t[/:address]/(un)healthy with
# every combination of a valid and an invalid upstream and target, as
# Kong's 08-targets_routes_spec checks them.  Runs on the store the
# environment selects, from an empty directory, with DAOC_BIN and
# DAOC_SRC_DIR set (the api-modern fixture plugin's /boom logs an error).
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
FX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/tests/fixtures"
export DAOC_LUA_PACKAGE_PATH="$FX/?.lua;$FX/?/init.lua"
export DAOC_PLUGINS="api-modern"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"
export DAOC_SQLITE_PATH="$PWD/node.db"
rm -f node.db

if ! start DAOC_LOG_LEVEL=warn; then
  bad "daoc serve starts: $(cat serve.err)"; finish; exit 1
fi

# ---- /debug/node/log-level ----
req GET /debug/node/log-level
body_is "GET /debug/node/log-level: the configured log_level" 200 '{"message":"log level: warn"}'
req PUT /debug/node/log-level/warn
body_is "PUT the same level: already" 200 '{"message":"log level is already warn"}'
req PUT /debug/node/log-level/verbose
body_is "PUT an unknown level: 400" 400 '{"message":"unknown log level: verbose"}'
req PUT "/debug/node/log-level/info?timeout=-1"
body_is "PUT with a negative timeout: 400" 400 '{"message":"timeout must be greater than or equal to 0"}'
req GET /debug/node/log-level
body_is "a refused PUT changes nothing" 200 '{"message":"log level: warn"}'
req GET /debug/node/log-level/warn
body_is "GET of /debug/node/log-level/:level: 405" 405 '{"message":"Method not allowed"}'
# the level filters what the server logs: /boom's handler raises, and
# its error is logged at level error
req PUT "/debug/node/log-level/crit?timeout=1"
body_is "PUT crit for 1 s" 200 '{"message":"log level changed"}'
req GET /boom
if [ "$code" = 500 ] && ! grep -q kaboom serve.err; then ok "at crit, an error is not logged"
else bad "HTTP $code; at crit: $(grep kaboom serve.err)"; fi
sleep 1.3
req GET /debug/node/log-level
body_is "after its timeout the configured level is back" 200 '{"message":"log level: warn"}'
req GET /boom
if grep -q kaboom serve.err; then ok "at warn again, the error is logged"
else bad "no kaboom in serve.err at warn"; fi
req PUT "/debug/node/log-level/debug?timeout=0"
body_is "PUT debug with timeout 0 (until the next change)" 200 '{"message":"log level changed"}'
req GET /debug/node/log-level
body_is "the level is debug now" 200 '{"message":"log level: debug"}'
json '{"timeout":30}'; req PUT /debug/node/log-level/warn "${curl_json[@]}"
body_is "PUT warn, the timeout in a JSON body" 200 '{"message":"log level changed"}'

# ---- /config, /timers, /status/dns, /schemas/vaults/:name ----
req GET /config
body_is "GET /config with a database: Kong's 400" 400 \
  '{"message":"this endpoint is only available when Kong is configured to not use a database"}'
req POST /config -d config=x
is "POST /config with a database: 400" 400 'only available when Kong is configured to not use a database'
req GET /timers
is "GET /timers: Kong's shape" 200 '"worker":{"id":0,"count":1}' '"sys":{"running":0,"pending":0,"waiting":0,"total":0,"runs":0}' '"timers":{}'
req GET /status/dns
body_is "GET /status/dns: 501" 501 '{"message":"not implemented with the legacy DNS client"}'
req GET /schemas/vaults/env
is "GET /schemas/vaults/env" 200 '"name":"env"' '"prefix":{"type":"string"'
req GET /schemas/vaults/nope
body_is "GET /schemas/vaults/<absent>" 404 "{\"message\":\"No vault named 'nope'\"}"
req POST /schemas/vaults/validate -d name=env -d prefix=my-env
body_is "POST /schemas/vaults/validate still validates a vault" 200 '{"message":"schema validation successful"}'
req GET /endpoints
is "/endpoints lists them" 200 '"/debug/node/log-level"' '"/debug/node/log-level/{log_level}"' \
  '"/timers"' '"/status/dns"' '"/config"' '"/schemas/vaults/{name}"' '"/upstreams/{upstreams}/health"' \
  '"/upstreams/{upstreams}/targets/{targets}/{address}/unhealthy"'

# ---- /upstreams/:u/health ----
req POST /upstreams -d name=up-health
UID_=$(field id)
for t in 127.0.0.1:8081 127.0.0.1:8082 localhost:8083 bad-health-target-1.invalid:80; do
  req POST /upstreams/up-health/targets -d target=$t -d weight=10
done
T4=$(field id)
req POST /upstreams -d name=other-up
req POST /upstreams/other-up/targets -d target=127.0.0.1:8192 -d weight=10
WRONG=$(field id)
NODE=$(curl -s "$U/" | grep -o '"node_id":"[^"]*"')
for suffix in "" "/"; do
  req GET "/upstreams/up-health/health$suffix"
  is "GET /upstreams/:u/health$suffix: the targets, newest first, with the node_id" 200 \
    "\"id\":\"$T4\"" "$NODE" '"next":null'
done
n=$(grep -o '"health":"HEALTHCHECKS_OFF"' <<<"$body" | wc -l)
# three resolving targets and their three addresses
if [ "$n" = 6 ]; then ok "health checks off: HEALTHCHECKS_OFF for each target and address"
else bad "HEALTHCHECKS_OFF count $n, wanted 6: $body"; fi
is "a name that does not resolve: DNS_ERROR" 200 '"target":"bad-health-target-1.invalid:80","weight":10,"health":"DNS_ERROR"'
is "an address's data" 200 '"addresses":[{"ip":"127.0.0.1","port":8081,"weight":10,"health":"HEALTHCHECKS_OFF"}]'
req GET "/upstreams/$UID_/health?size=2"
is "GET /upstreams/<id>/health?size=2: a page with its next" 200 '"offset":"2"' \
  "\"next\":\"/upstreams/$UID_/health?offset=2\""
req GET "/upstreams/up-health/health?balancer_health=1"
is "?balancer_health=1 with checks off" 200 '"health":"HEALTHCHECKS_OFF","balancer_health":"HEALTHY"' \
  "\"id\":\"$UID_\"" '"total":30' '"next":null'
req GET /upstreams/no-such-up/health
body_is "health of an absent upstream: 404" 404 '{"message":"Not found"}'
req POST /upstreams/up-health/health
body_is "POST to /health: 405" 405 '{"message":"Method not allowed"}'

# ---- PUT .../(un)healthy ----
req PUT /upstreams/up-health/targets/127.0.0.1:8081/unhealthy
body_is "marking a target with health checks off: Kong's 400" 400 '{"message":"no healthchecker found for up-health"}'
json '{"healthchecks":{"passive":{"healthy":{"successes":1},"unhealthy":{"tcp_failures":1,"http_failures":1,"timeouts":1}}}}'
req PATCH /upstreams/up-health "${curl_json[@]}"
is "passive health checks on" 200 '"tcp_failures":1'
req PUT /upstreams/up-health/targets/127.0.0.1:8081
T1=$(curl -s "$U/upstreams/up-health/targets/127.0.0.1:8081" | grep -o '"id":"[^"]*"' | head -1 | sed 's/"id":"//; s/"$//')
fails=""
for u in 6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c invalid up-health "$UID_"; do
  for t in 6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5d invalid:1234 "$WRONG" 127.0.0.1:8081 "$T1"; do
    for e in healthy unhealthy; do
      want=404
      case "$u" in up-health|"$UID_") case "$t" in 127.0.0.1:8081|"$T1") want=204;; esac;; esac
      got=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$U/upstreams/$u/targets/$t/$e")
      [ "$got" = "$want" ] || fails="$fails $u/$t/$e:$got"
    done
  done
done
if [ -z "$fails" ]; then ok "every valid/invalid upstream x target combination: 204 or 404 as Kong"
else bad "wrong codes:$fails"; fi
req PUT /upstreams/up-health/targets/127.0.0.1:8081/unhealthy
body_is "PUT unhealthy: 204" 204 ""
req GET /upstreams/up-health/health
is "the target is UNHEALTHY" 200 '"target":"127.0.0.1:8081","weight":10,"health":"UNHEALTHY"'
is "the other targets stay HEALTHY" 200 '"target":"127.0.0.1:8082","weight":10,"health":"HEALTHY"'
req PUT "/upstreams/$UID_/targets/$T1/healthy"
body_is "PUT healthy by ids: 204" 204 ""
req GET /upstreams/up-health/health
is "the target is HEALTHY again" 200 '"target":"127.0.0.1:8081","weight":10,"health":"HEALTHY"'
req PUT /upstreams/up-health/targets/localhost:8083/127.0.0.1:8083/unhealthy
body_is "PUT unhealthy of one address: 204" 204 ""
req GET /upstreams/up-health/health
is "that address is UNHEALTHY, and so its target" 200 \
  '"target":"localhost:8083","weight":10,"health":"UNHEALTHY"' '{"ip":"127.0.0.1","port":8083,"weight":10,"health":"UNHEALTHY"}'
req PUT /upstreams/up-health/targets/localhost:8083/not-an-ip/healthy
body_is "an address that is not one: 400" 400 '{"message":"invalid address: not-an-ip"}'
req GET "/upstreams/up-health/health?balancer_health=1"
is "?balancer_health=1 with checks on" 200 '"health":"HEALTHY","balancer_health":"HEALTHY"' \
  '"total":30,"available":20,"unavailable":10'
req GET /upstreams/up-health/targets/127.0.0.1:8081/healthy
body_is "GET of .../healthy: 405" 405 '{"message":"Method not allowed"}'

stop
if [ "$stop_rc" = 0 ]; then ok "SIGTERM: exit 0"; else bad "exit $stop_rc"; fi
finish
