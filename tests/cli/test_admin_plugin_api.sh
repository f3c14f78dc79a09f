#!/usr/bin/env bash
# A plugin's own Admin API routes (kong.plugins.<p>.api) on `daoc serve`,
# over a real socket: a Kong 1.x+ api.lua (tests/fixtures/kong/plugins/
# api-modern: routes naming a schema, overrides of generated routes with
# parent() and post_process, a `before` that rewrites self.params, the
# kong.api.endpoints helpers, kong.response, ngx.print, errors), a Kong
# 0.13 one (api-v013: crud_helpers, dao_factory, helpers.responses,
# yield_error), a 0.5 one (api-v05: find_by_keys, 0.5's crud_helpers)
# and one that fails to load (api-broken).  Runs on the store
# the environment selects, from an empty directory, with DAOC_BIN and
# DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
FX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/tests/fixtures"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"
export DAOC_SQLITE_PATH="$PWD/plugin_api.db"
rm -f plugin_api.db
export DAOC_LUA_PACKAGE_PATH="$FX/?.lua;$FX/?/init.lua"
export DAOC_PLUGINS="api-modern,api-v013,api-v05,api-broken"

if ! start; then
  bad "daoc serve starts: $(cat serve.err)"; finish; exit 1
fi
ok "daoc serve starts with a plugin whose api.lua fails to load"
if grep -q "plugin 'api-broken': its Admin API routes (kong.plugins.api-broken.api) are not mounted: .*broken on purpose" serve.err
then ok "the api.lua that fails is named, with its error"; else bad "no notice for api-broken: $(cat serve.err)"; fi

req GET /endpoints
is "/endpoints lists the plugins' routes" 200 '"/widgets/{widgets}/describe"' '"/plain"' \
  '"/consumers/{username_or_id}/gadgets"' '"/consumers/{username_or_id}/gadgets/{gadget_id}"'

req GET /openapi.json
is "/openapi.json describes the plugins' routes and their parameters" 200 \
  '"/widgets/{widgets}/describe":{"get":{"summary":"plugin api-modern: /widgets/:widgets/describe"' \
  '"/echo/{thing}":{"post":' '"name":"thing","in":"path"' '"/plain":{"get":'

# ---- Kong 1.x+ api.lua ----
req POST /consumers -d username=bob
is "a consumer" 201 '"username":"bob"'
req POST /widgets -d name=w1 -d consumer.username=bob
is "POST /widgets: parent(post_process) answers the generated insert, post-processed" 201 \
  '"name":"w1"' '"shouted":"W1"' '"color":"blue"'
req GET /widgets
is "GET /widgets: the override's parent() answers the page" 200 '"data":[{' '"name":"w1"'
header_is "GET /widgets: the header the override set" X-Widgets listed
req GET /widgets/w1
is "GET /widgets/w1: generated routes the plugin leaves alone still answer" 200 '"name":"w1"'
req GET /widgets/w1/describe
body_is "GET /widgets/w1/describe: endpoints.select_entity by endpoint key, kong.response.exit" \
  200 '{"description":"w1 is blue"}'
req GET /widgets/nope/describe
body_is "kong.response.error(404)" 404 '{"message":"Not found"}'
req GET /consumers/bob/widgets/w1
is "before rewrites self.params: the generated nested GET finds w1 by name" 200 '"name":"w1"'
req PATCH /consumers/bob/widgets/w1 -d color=green
is "PATCH through before + the generated nested PATCH" 200 '"color":"green"'
req GET /consumers/bob/widgets/nope
body_is "before answers with kong.response.error(404, msg)" 404 '{"message":"no widget of that name"}'
req PUT /consumers/bob/widgets/w2 -d color=red
is "PUT: before lets it through, the generated nested upsert by name" 200 '"name":"w2"' '"color":"red"'
req GET /consumers/bob/widgets
is "the generated nested collection" 200 '"name":"w1"' '"name":"w2"'
req POST /consumers/bob/widgets -d name=w3
is "a 1.x helper mounted over a generated route inserts once (parent() is no post_process)" 201 \
  '"name":"w3"'
req GET /widgets/w1/owner
is "get_entity_endpoint(child, parent, field): the foreign entity" 200 '"username":"bob"'
req GET /people/bob/things/w3
is "get_entity_endpoint(parent, child, field): the nested entity" 200 '"name":"w3"'
req POST /consumers -d username=eve
req GET /people/eve/things/w3
is "the nested entity of another parent: 404" 404
req DELETE /consumers/bob/widgets/w2
body_is "DELETE through before" 204 ""
req GET /consumers/bob/widgets/w2
is "gone" 404
req GET "/all-widgets?size=1"
is "endpoints.get_collection_endpoint mounted on another path (next: Kong's, the collection's path)" 200 '"data":[{"' '"name":"w' '"next":"/widgets?offset='
req GET /plain
body_is "set_status, set_header, ngx.print" 201 "hello"
header_is "the header" x-foo bar
req HEAD /plain
if [ "$code" = 201 ] && [ -z "$body" ]; then ok "HEAD runs GET's handler, no body"; else bad "HEAD /plain: $code $body"; fi
req POST "/echo/a%20b?n=3" -A daoc-test -d 'x.y=1&z=2'
is "self.params (path as sent, query), self.args.post nested, self.req, build_url" 200 \
  '"thing":"a%20b"' '"params_n":"3"' '"x":{"y":"1"}' '"z":"2"' '"uri":{"n":"3"}' \
  '"method":"POST"' '"agent":"daoc-test"' "\"url\":\"http://127.0.0.1:$PORT/x\""
json '{"broken":'; req POST /echo/x "${curl_json[@]}"
body_is "a body that is not JSON never reaches the handler" 400 '{"message":"Cannot parse JSON body"}'
req OPTIONS /echo/x
if [ "$code" = 204 ]; then ok "OPTIONS on a plugin route: 204"; else bad "OPTIONS /echo/x: $code"; fi
header_is "Allow lists the handlers' methods" Allow "OPTIONS, POST"
req DELETE /echo/x
body_is "a method without a handler: 405" 405 '{"message":"Method not allowed"}'
req OPTIONS /widgets
header_is "an override keeps the generated methods" Allow "GET, HEAD, OPTIONS, POST"
req POST /bad-widget
is "endpoints.handle_error: Kong's error body and status" 400 '"code":2' '"name":"schema violation"' \
  '"message":"schema violation (name: required field missing)"'
req GET /boom
body_is "a handler that raises: 500" 500 '{"message":"An unexpected error occurred"}'
if grep -q "kaboom" serve.err; then ok "its error is logged"; else bad "no kaboom in serve.err"; fi

# ---- Kong 0.13 api.lua ----
req POST /consumers/bob/gadgets -d label=g1
is "0.13 POST: crud.find_consumer_by_username_or_id, crud.post" 201 '"label":"g1"' '"consumer_id":"'
req POST /consumers/bob/gadgets/ -d label=g2
is "0.13 route written with a trailing slash" 201 '"label":"g2"'
req POST /consumers/bob/gadgets
body_is "0.13 POST without label: 0.x's error table, 400" 400 '{"label":"label is required"}'
req GET "/consumers/bob/gadgets?size=1"
is "0.13 paginated_set: total, offset, next" 200 '"total":2' '"offset":"' \
  "\"next\":\"http://127.0.0.1:$PORT/consumers/bob/gadgets?offset="
off=$(field offset)
req GET "/consumers/bob/gadgets?size=1&offset=$off"
is "0.13 paginated_set: the second page" 200 '"total":2' '"data":[{'
req GET /consumers/nobody/gadgets
body_is "0.13 unknown consumer: responses.send_HTTP_NOT_FOUND" 404 '{"message":"Not found"}'
req GET /consumers/bob/gadgets
gid=$(field id)
req GET "/consumers/bob/gadgets/$gid"
is "0.13 GET one: helpers.responses.send_HTTP_OK" 200 "\"id\":\"$gid\""
req PATCH "/consumers/bob/gadgets/$gid" -d label=g9
is "0.13 PATCH: crud.patch through kong.dao's update" 200 '"label":"g9"'
req DELETE "/consumers/bob/gadgets/$gid"
body_is "0.13 DELETE: crud.delete" 204 ""
req GET "/consumers/bob/gadgets/$gid"
is "0.13 gone" 404
req PUT /consumers/bob/gadgets
body_is "0.13 method without a handler: 405" 405 '{"message":"Method not allowed"}'

# ---- Kong 0.5 api.lua ----
req POST /consumers/bob/secrets -d secret=s1
is "0.5 POST: crud.post on a BaseDao class's entity" 201 '"secret":"s1"' '"consumer_id":"'
req POST /consumers/bob/secrets -d secret=s1
is "0.5 a unique conflict: 409 with 0.5's message" 409 'secret'
req POST /consumers/bob/secrets -d secret=s2
req GET "/consumers/bob/secrets?size=1"
is "0.5 paginated_set through find_by_keys: data and next" 200 '"data":[{' '"next":"http://127.0.0.1:'
case "$body" in
  *'"offset"'*|*'"total"'*) bad "0.5 paginated_set has Kong 0.5's keys only (data, next): $body" ;;
  *) ok "0.5 paginated_set has Kong 0.5's keys only (data, next)" ;;
esac
req GET /consumers/bob/secrets
sid=$(field id)
req GET "/consumers/bob/secrets/$sid"
is "0.5 GET one: dao_factory.v05_secrets:find_by_keys" 200 "\"id\":\"$sid\""
req PATCH "/consumers/bob/secrets/$sid" -d secret=s9
is "0.5 PATCH: crud.patch(params, old_entity, dao)" 200 '"secret":"s9"'
req DELETE "/consumers/bob/secrets/$sid"
body_is "0.5 DELETE: crud.delete(entity, dao)" 204 ""
req GET "/consumers/bob/secrets/$sid"
is "0.5 gone" 404

stop
if [ "$stop_rc" = 0 ]; then ok "SIGTERM: exit 0"; else bad "SIGTERM: exit $stop_rc"; fi
finish
