#!/usr/bin/env bash
# `daoc serve` over a real socket, driven with curl as an Admin API client
# drives Kong's: the fixed routes (/, /status, /schemas, /endpoints), the
# routes generated for core entities and for a plugin's entity (key-auth:
# admin_api_name key-auths, nested key-auth), nested and foreign-entity
# routes, JSON / form / multipart bodies, paging with next links, Kong's
# status codes and error bodies (reference C3 of
# ../shared/reference/kong-migrations-cache-admin.md), CORS and OPTIONS,
# admin_token, and a graceful stop on SIGTERM.  Runs on the store the
# environment selects (DAOC_DATABASE; scripts/run-tests.sh runs it on
# SQLite and on PostgreSQL), from an empty directory, with DAOC_BIN and
# DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
EX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/examples/plugins"
. "$(dirname "$0")/lib.sh"
export DAOC_SQLITE_PATH="$PWD/admin.db"
rm -f admin.db
export DAOC_LUA_PACKAGE_PATH="$EX/?.lua;$EX/?/init.lua"
export DAOC_PLUGINS="key-auth"

. "$(dirname "$0")/admin_lib.sh"

if ! start; then
  bad "daoc serve starts: $(cat serve.err)"; finish; exit 1
fi
ok "daoc serve starts and prints its port"

# ---- fixed routes (C3 1-12) ----
req GET /
is "GET /: Kong's root fields" 200 '"tagline":"Welcome to kong"' '"edition":"community"' \
  '"enabled_in_cluster":[]' '"node_id":"' '"pids":{"master":'
req GET /status
req HEAD /status
len=$(sed -n 's/^content-length: //Ip' <<<"$headers")
if [ "$code" = 200 ] && [ -n "$len" ] && [ "$len" -gt 100 ] && grep -qi '^content-type: application/json' <<<"$headers"
then ok "HEAD /status: 200, GET's headers (Content-Length $len), no body"; else bad "HEAD /status: $code $headers"; fi
req OPTIONS /
if [ "$code" = 204 ] && [ -z "$body" ]; then ok "OPTIONS /: 204, no body"; else bad "OPTIONS /: $code"; fi
header_is "OPTIONS /: Allow" Allow "GET, HEAD, OPTIONS"
header_is "OPTIONS /: Access-Control-Allow-Headers" Access-Control-Allow-Headers "Content-Type"
header_is "OPTIONS /: Access-Control-Allow-Origin" Access-Control-Allow-Origin "*"
for m in POST PUT PATCH DELETE GEEEET; do
  json '{}'; req "$m" / "${curl_json[@]}"
  body_is "$m / is 405" 405 '{"message":"Method not allowed"}'
done
for m in GET POST PUT DELETE OPTIONS; do
  req "$m" /non-existing
  body_is "$m /non-existing is 404" 404 '{"message":"Not found"}'
done
req HEAD /non-existing
if [ "$code" = 404 ] && [ -z "$body" ]; then ok "HEAD /non-existing: 404, no body"; else bad "HEAD 404: $code"; fi
req GET /status
is "GET /status: counters and database.reachable" 200 '"total_requests":' '"database":{"reachable":true}'
if grep -Fq configuration_hash <<<"$body"; then bad "/status has configuration_hash"; else ok "/status: no configuration_hash in DB mode"; fi
body_before_unit=$body
req GET '/status?unit=V'
body_is "/status?unit=V is 400" 400 "{\"message\":\"invalid unit 'V' (expected 'k/K', 'm/M', or 'g/G')\"}"
if grep -Eq '"memory":\{"workers_lua_vms":\[\{"pid":[0-9]+,"http_allocated_gc":"[1-9][0-9]*"\}\],"lua_shared_dicts":\{\}\}' <<<"$body_before_unit"
then ok "/status: memory.workers_lua_vms, the process's Lua bytes as Kong's string"; else bad "/status memory: $body_before_unit"; fi
req GET '/status?unit=m&scale=3'
is "/status?unit=m&scale=3: MiB with 3 decimals" 200 '"http_allocated_gc":"' ' MiB"'
if grep -Eq '"http_allocated_gc":"[0-9]+\.[0-9]{3} MiB"' <<<"$body"; then ok "the MiB figure has 3 decimals"; else bad "MiB: $body"; fi
req GET '/status?unit=k&scale=-1'
body_is "/status: a negative scale with a unit is 400" 400 '{"message":"scale must be equal or greater than 0"}'

# ---- Kong's own routes beside the generated ones ----
req GET /plugins/schema/key-auth
is "GET /plugins/schema/key-auth (Kong's deprecated form): the config record" 200 '"type":"record"' '"key_names"'
req GET /plugins/schema/nope
body_is "/plugins/schema/<unknown>: 404" 404 "{\"message\":\"No plugin named 'nope'\"}"
for p in /targets /targets/x /targets/x/upstream; do
  req GET "$p"
  body_is "GET $p: disabled as in Kong" 404 '{"message":"Not found"}'
done
req POST /targets -d target=a.test:80
body_is "POST /targets: disabled as in Kong" 404 '{"message":"Not found"}'
req POST /upstreams -d name=up1.test
is "an upstream" 201 '"name":"up1.test"'
req POST /upstreams/up1.test/targets -d target=a.test:8000
is "a target of it" 201 '"target":"a.test:8000"'
req GET /openapi.json
if grep -Fq '"/targets"' <<<"$body" || grep -Fq '"/targets/{targets}"' <<<"$body"; then
  bad "openapi.json lists the disabled /targets routes"
else ok "openapi.json leaves out the disabled /targets routes"; fi
req GET /upstreams/up1.test/targets/all
is "GET /upstreams/:u/targets/all: the targets' page" 200 '"target":"a.test:8000"' '"data":[{'
# certificates by an sni's name (Kong's routes/certificates.lua)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout c1.key \
  -out c1.crt -days 2 -subj /CN=one.test > /dev/null 2>&1
req POST /certificates --data-urlencode "cert@c1.crt" --data-urlencode "key@c1.key" \
  -d 'snis[]=one.test' -d 'snis[]=uno.test'
is "POST /certificates with two snis" 201 '"snis":["one.test","uno.test"]'
cid=$(field id)
req GET /certificates/uno.test
is "GET /certificates/<sni name>: the certificate, with its snis" 200 "\"id\":\"$cid\"" \
  '"snis":["one.test","uno.test"]'
req GET "/certificates/$cid"
is "GET /certificates/<id> carries its snis too (select_with_name_list)" 200 \
  '"snis":["one.test","uno.test"]'
req GET /certificates/nobody.test
body_is "GET /certificates/<unknown sni>: 404" 404 '{"message":"SNI not found"}'
req GET /certificates/one.test/snis
is "GET /certificates/<sni name>/snis" 200 '"name":"one.test"' '"name":"uno.test"'
req PATCH /certificates/one.test -d 'tags[]=t1'
is "PATCH /certificates/<sni name>" 200 '"tags":["t1"]' "\"id\":\"$cid\""
req PUT /certificates/dos.test --data-urlencode "cert@c1.crt" --data-urlencode "key@c1.key" \
  -d 'snis[]=tres.test'
is "PUT /certificates/<new sni name>: a new certificate, the name added to its snis" 200 \
  '"snis":["dos.test","tres.test"]'
if [ "$(field id)" != "$cid" ]; then ok "the PUT made a new certificate"; else bad "PUT reused $cid"; fi
req DELETE /certificates/dos.test
body_is "DELETE /certificates/<sni name>" 204 ""
req GET /certificates/dos.test
is "its sni went with it" 404
req GET /schemas/routes
is "GET /schemas/routes: fields and entity_checks" 200 '"fields":[' '"service":{"type":"foreign"'
if grep -Fq '"service":{"type":"foreign","schema"' <<<"$body"; then bad "service embeds a schema"; else ok "the foreign field has no schema"; fi
req GET /schemas/not-present
body_is "GET /schemas/not-present" 404 "{\"message\":\"No entity named 'not-present'\"}"
json '{"host":"example.com"}'; req POST /schemas/services/validate "${curl_json[@]}"
body_is "POST /schemas/services/validate" 200 '{"message":"schema validation successful"}'
json '{"port":"x"}'; req POST /schemas/services/validate "${curl_json[@]}"
is "validate: a bad entity is a schema violation" 400 '"code":2' '"name":"schema violation"'
req GET /consumers
body_is "validate stored nothing" 200 '{"data":[],"next":null}'
req GET /schemas/plugins/foobar
body_is "GET /schemas/plugins/foobar" 404 "{\"message\":\"No plugin named 'foobar'\"}"
req GET /plugins/enabled
body_is "GET /plugins/enabled" 200 '{"enabled_plugins":["key-auth"]}'
req GET /endpoints
is "GET /endpoints lists generated routes" 200 '"/consumers/{consumers}/key-auth/{keyauth_credentials}"' \
  '"/key-auths/{keyauth_credentials}/consumer"' '"/services/{services}/routes"'

req GET /openapi.json
is "GET /openapi.json: an OpenAPI 3.1 document of the routes" 200 '"openapi":"3.1.0"' \
  '"/consumers/{consumers}/key-auth/{keyauth_credentials}":{' '"/key-auths/{keyauth_credentials}/consumer":{' \
  '"$ref":"#/components/schemas/keyauth_credentials"' '"keyauth_credentials_page":{' '"Error":{'
is "openapi.json has Kong's node routes too" 200 '"/cache/{key}":{"get":' '"/cache":{"delete":' \
  '"/debug/cluster/log-level/{log_level}":{"put":' '"/schemas/plugins/validate":{"post":' \
  '"/tags/{tags}":{"get":' '"name":"created_at[gte]"'
if grep -Fq '"/workspaces"' <<<"$body"; then bad "openapi lists workspaces (generate_admin_api = false)"
else ok "openapi leaves out what has no routes"; fi

# ---- consumers (C3 13-26) ----
req POST /consumers -d username=form-user
is "POST /consumers, form" 201 '"username":"form-user"' '"custom_id":null'
req POST /consumers -F username=multipart-user
is "POST /consumers, multipart" 201 '"username":"multipart-user"'
json '{"username":"json-user"}'; req POST /consumers "${curl_json[@]}"
is "POST /consumers, JSON" 201 '"username":"json-user"'
JID=$(field id)
if grep -Eq '"created_at":[0-9]+' <<<"$body"; then ok "created_at is a number"; else bad "created_at: $body"; fi
json '{}'; req POST /consumers "${curl_json[@]}"
is "POST /consumers {}: @entity violation" 400 '"name":"schema violation"' \
  "\"@entity\":[\"at least one of these fields must be non-empty: 'custom_id', 'username'\"]"
req POST /consumers
is "POST /consumers with no body: the same violation" 400 '"@entity"'
json '{"username":"json-user"}'; req POST /consumers "${curl_json[@]}"
is "POST /consumers, an existing username: 409" 409 '"name":"unique constraint violation"' \
  "\"message\":\"UNIQUE violation detected on '{username=\\\"json-user\\\"}'\""
req POST /consumers -H 'Content-Type: invalid' --data-binary 'username=x'
if [ "$code" = 415 ]; then ok "Content-Type invalid: 415"; else bad "Content-Type invalid: $code"; fi
req POST /consumers -H 'Content-Type:' --data-binary 'username=x'
if [ "$code" = 415 ]; then ok "a body without Content-Type: 415"; else bad "no Content-Type: $code $body"; fi
req POST /consumers -H 'Content-Type: application/json'
body_is "JSON content type, no body" 400 '{"message":"Cannot parse JSON body"}'
req PUT "/consumers/$JID" -H 'Content-Type: application/json' --data-binary '{"username":'
body_is "PUT with malformed JSON" 400 '{"message":"Cannot parse JSON body"}'
req POST /consumers -H 'Content-Type: application/json' -H 'Content-Type: application/json' --data-binary '{}'
body_is "two Content-Type headers" 400 'Multiple Content-Type headers not allowed'
for m in DELETE PATCH; do
  req "$m" /consumers; body_is "$m /consumers is 405" 405 '{"message":"Method not allowed"}'
done
for m in DELETE PUT PATCH; do
  req "$m" /routes; body_is "$m /routes is 405" 405 '{"message":"Method not allowed"}'
done
for i in $(seq 1 7); do req POST /consumers -d "username=page-$i" -d "tags[]=paged"; done
# 10 consumers now: pages of 3, 3, 3, 1 through the next links
sizes=""; link="/consumers?size=3"; pages=0
while [ -n "$link" ] && [ $pages -lt 10 ]; do
  req GET "$link"; pages=$((pages + 1))
  sizes="$sizes $(grep -o '"username":' <<<"$body" | wc -l)"
  link=$(sed -n 's/.*"next":"\([^"]*\)".*/\1/p' <<<"$body")
done
if [ "$sizes" = " 3 3 3 1" ]; then ok "paging through next: 3 3 3 1"; else bad "paging: $sizes"; fi
req GET "/consumers?size=3"
n=$(sed -n 's/.*"next":"\([^"]*\)".*/\1/p' <<<"$body")
if [[ "$n" == /consumers\?offset=*\&size=3 ]]; then ok "next carries the offset and &size=3"; else bad "next: $n"; fi
req GET "/consumers?size=0"
body_is "size=0" 400 '{"code":9,"name":"invalid size","message":"size must be an integer between 1 and 1000"}'
req GET "/consumers?size=x"
body_is "size=x" 400 '{"code":9,"name":"invalid size","message":"size must be a number"}'
req GET "/consumers?offset=x"
body_is "offset=x" 400 "{\"code\":7,\"name\":\"invalid offset\",\"message\":\"'x' is not a valid offset: bad base64 encoding\"}"
req GET "/consumers?tags=paged&size=2"
is "?tags= filters, next carries tags" 200 '"next":"/consumers?offset=' '&tags=paged&size=2"'
req GET "/consumers?tags="
is "?tags= empty" 400 '"message":"invalid option (tags: cannot be null)"'
req GET "/consumers?tags=a,b/c"
is "?tags= mixing , and /" 400 'invalid option (tags: invalid filter syntax)'
req GET "/consumers?tags=%FF"
is "?tags= with a byte no tag may hold" 400 'invalid option (tags: invalid filter syntax)'
req GET "/consumers?tags=paged,"
is "?tags= with an empty tag" 400 'invalid option (tags: invalid filter syntax)'
req GET "/consumers?tags=paged/nothing"
is "?tags=a/b: any of them" 200 '"username":"page-1"'
req GET "/consumers?foo=bar&size=100"
is "unknown query args are ignored" 200 '"data":['
json '{"username":"cid-user","custom_id":"cid-1"}'; req POST /consumers "${curl_json[@]}"
CID=$(field id)
req GET "/consumers?custom_id=cid-1"
is "?custom_id=X" 200 "\"data\":[{\"id\":\"$CID\"" '"next":null'
req GET "/consumers?custom_id=nope"
body_is "?custom_id of nobody" 200 '{"data":[],"next":null}'
for q in "custom_id=" "custom_id"; do
  req GET "/consumers?$q"; body_is "?$q" 400 '{"message":"custom_id must be an unempty string"}'
done
req GET "/consumers?username=cid-user"
is "?username= (a unique field) filters the page" 200 "\"data\":[{\"id\":\"$CID\"" '"next":null'
req GET "/consumers?id=$CID"
is "?id= filters by primary key" 200 "\"data\":[{\"id\":\"$CID\""
req GET "/consumers?updated_at=1"
is "?updated_at= (no index): 400 naming what can filter" 400 '"code":11' \
  "cannot filter on 'updated_at': no index serves it (filter on 'id', 'created_at', 'username', 'custom_id')"
req GET "/consumers/$CID"
is "GET by id" 200 "\"id\":\"$CID\"" '"tags":null'
req GET /consumers/cid-user
is "GET by username" 200 "\"id\":\"$CID\""
json '{"username":"a b/c"}'; req POST /consumers "${curl_json[@]}"
req GET "/consumers/a%20b%2Fc"
is "GET by an escaped username" 200 '"username":"a b/c"'
json '{"username":"円"}'; req POST /consumers "${curl_json[@]}"
req GET "/consumers/%E5%86%86"
is "GET by a UTF-8 username" 200 '"username":"円"'
req GET /consumers/_inexistent_
body_is "GET an absent consumer" 404 '{"message":"Not found"}'
before=$(sed -n 's/.*"updated_at":\([0-9]*\).*/\1/p' <<<"$(curl -s "$U/consumers/$CID")")
sleep 1.1
json '{"username":"cid-renamed"}'; req PATCH /consumers/cid-user "${curl_json[@]}"
after=$(sed -n 's/.*"updated_at":\([0-9]*\).*/\1/p' <<<"$body")
if [ "$code" = 200 ] && [ "$(field id)" = "$CID" ] && [ "$after" -gt "$before" ]; then
  ok "PATCH by username: same id, later updated_at"; else bad "PATCH: $code $body ($before -> $after)"; fi
json '{"username":"x"}'; req PATCH /consumers/_inexistent_ "${curl_json[@]}"
is "PATCH an absent consumer: 404" 404
json '{"foo":"bar"}'; req PATCH "/consumers/$CID" "${curl_json[@]}"
is "PATCH an unknown field: 400" 400 '"message":"schema violation (foo: unknown field)"'
NEWID=8d1e9f40-4c4e-4b8a-9a51-3f2b1c0d7e61
json '{"custom_id":"put-1"}'; req PUT "/consumers/$NEWID" "${curl_json[@]}"
is "PUT a new uuid: 200, not 201" 200 "\"id\":\"$NEWID\"" '"custom_id":"put-1"'
json '{}'; req PUT /consumers/put-name "${curl_json[@]}"
is "PUT /consumers/<name> {}: the name is the username" 200 '"username":"put-name"' '"custom_id":null'
PID2=$(field id)
json '{}'; req PUT /consumers/put-name "${curl_json[@]}"
is "PUT again keeps the id" 200 "\"id\":\"$PID2\""
json '{}'; req PUT /consumers/2b6a4b1e-7a0e-4c55-8f3e-6c1d2e3f4a5b "${curl_json[@]}"
is "PUT a new uuid with {}: the @entity violation" 400 '"code":2' '"@entity"'
req DELETE /consumers/put-name
body_is "DELETE by username: 204" 204 ""
req DELETE /consumers/put-name
body_is "DELETE again: 204 all the same" 204 ""
req DELETE "/consumers/$NEWID"
body_is "DELETE by id: 204" 204 ""

# ---- a plugin's entity: nested and foreign routes (C1.5, C3 30, 47-48) ----
req POST /consumers/json-user/key-auth -d key=secret-1
is "POST /consumers/:c/key-auth" 201 '"key":"secret-1"' "\"consumer\":{\"id\":\"$JID\"}"
KID=$(field id)
req GET /consumers/json-user/key-auth
is "GET /consumers/:c/key-auth" 200 '"key":"secret-1"' '"next":null'
req GET /consumers/nobody/key-auth
body_is "nested collection of an absent parent" 404 '{"message":"Not found"}'
req GET "/consumers/json-user/key-auth/$KID"
is "GET /consumers/:c/key-auth/:id" 200 '"key":"secret-1"'
req GET "/consumers/cid-renamed/key-auth/$KID"
body_is "the credential of another consumer: 404" 404 '{"message":"Not found"}'
req GET /key-auths/secret-1
is "GET /key-auths/:key (endpoint key)" 200 "\"id\":\"$KID\""
req GET /key-auths/secret-1/consumer
is "GET /key-auths/:k/consumer" 200 "\"id\":\"$JID\"" '"username":"json-user"'
req DELETE /key-auths/secret-1/consumer
body_is "DELETE /key-auths/:k/consumer: 405" 405 '{"message":"Method not allowed"}'
json '{"custom_id":"via-credential"}'; req PATCH /key-auths/secret-1/consumer "${curl_json[@]}"
is "PATCH /key-auths/:k/consumer updates the consumer" 200 '"custom_id":"via-credential"'
req DELETE /consumers/json-user/key-auth/0b5f0c2e-1111-4c4e-9a51-3f2b1c0d7e61
body_is "nested DELETE of an absent credential: 404" 404 '{"message":"Not found"}'
req POST /consumers/json-user/key-auth -d key=secret-2 -d ttl=100
is "a ttl entity takes ttl from the body" 201 '"key":"secret-2"'
req POST /consumers/json-user/key-auth -d key=secret-3 -d ttl=-1
is "a bad ttl: invalid option" 400 '"code":11'
req DELETE "/consumers/json-user/key-auth/$KID"
body_is "nested DELETE: 204" 204 ""
req GET "/key-auths/$KID"
body_is "the credential is gone" 404 '{"message":"Not found"}'

# ---- services and routes (C3 38, 41-44, 51-52) ----
req GET /routes
body_is "GET /routes, empty" 200 '{"data":[],"next":null}'
req POST /services -d url=http://service.test/
is "POST /services url=: the shorthand" 201 '"protocol":"http"' '"host":"service.test"' '"port":80' \
  '"path":"/"' '"connect_timeout":60000' '"name":null'
SID=$(field id)
req POST /services -d url=https://secure.test/
is "an https url: port 443" 201 '"port":443'
req POST /services -d url=
is "url= empty: 400" 400
json '{"name":"r1","paths":["/x"],"regex_priority":9007199254740992}'
req POST "/services/$SID/routes" "${curl_json[@]}"
is "POST /services/:s/routes" 201 "\"service\":{\"id\":\"$SID\"}"
RID=$(field id)
req GET "/routes/$RID"
is "2^53 stays exact" 200 '9007199254740992'
req GET /routes/r1/service
is "GET /routes/:r/service" 200 "\"id\":\"$SID\""
req POST /routes -d name=r2 -d 'paths[]=/a' -d 'paths[]=/b' -d 'methods=GET'
is "form arrays (paths[]) and a scalar for a set (methods)" 201 '"paths":["/a","/b"]' '"methods":["GET"]'
req DELETE "/services/$SID"
is "DELETE a service a route references" 400 '"name":"foreign key violation"'
req DELETE /services/0e0e0e0e-1111-4c4e-9a51-3f2b1c0d7e61
body_is "DELETE an absent service: 204" 204 ""
req OPTIONS /routes
header_is "OPTIONS /routes: Allow" Allow "GET, HEAD, OPTIONS, POST"
req OPTIONS /routes/test -H 'Access-Control-Request-Headers: X-Header-1,X-Header-2'
header_is "OPTIONS /routes/test: Allow" Allow "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"
header_is "OPTIONS echoes Access-Control-Request-Headers" Access-Control-Allow-Headers "X-Header-1,X-Header-2"
req GET / -H 'Origin: http://example.com'
header_is "Allow-Origin echoes the Origin" Access-Control-Allow-Origin "http://example.com"
args="name=key-auth"; for i in $(seq 1 1001); do args="$args&config.x=$i"; done
req POST /plugins --data-binary "$args" -H 'Content-Type: application/x-www-form-urlencoded'
body_is "1001 form arguments" 400 '{"message":"Too many arguments"}'
req GET "/plugins?$args"
body_is "1001 query arguments" 400 '{"message":"Too many arguments"}'
req GET /tags
is "GET /tags lists the tagged entities" 200 '"tag":"paged"' '"entity_name":"consumers"'
req GET /tags/paged
is "GET /tags/:tag" 200 '"tag":"paged"'

# ---- plugins (C3 27-38) ----
req POST /consumers/cid-renamed/plugins -d name=key-auth
is "key-auth takes no consumer (typedefs.no_consumer)" 400 '"consumer":"value must be null"'
req POST "/services/$SID/plugins" -d name=key-auth -d config.hide_credentials=true \
  -d 'config.key_names[1]=token'
is "POST /services/:s/plugins, form: config inferred with the plugin's schema" 201 \
  '"hide_credentials":true' '"key_names":["token"]' "\"service\":{\"id\":\"$SID\"}"
PLID=$(field id)
req POST "/services/$SID/plugins" -d name=key-auth
is "the same plugin twice on a service: 409" 409 '"name":"unique constraint violation"' \
  "UNIQUE violation detected on '{consumer=null,name=\\\"key-auth\\\",route=null,service={id=\\\"$SID\\\"}}'"
json '{}'; req POST "/services/$SID/plugins" "${curl_json[@]}"
is "POST /services/:s/plugins {}: name required" 400 '"fields":{"name":"required field missing"}'
req PATCH "/services/$SID/plugins/$PLID" -d config.key_in_body=true
is "PATCH a plugin's config: merged, the rest kept" 200 '"key_in_body":true' '"hide_credentials":true' \
  '"key_names":["token"]'
json '{"foo":"bar"}'; req PATCH "/plugins/$PLID" "${curl_json[@]}"
is "PATCH /plugins/:id an unknown field" 400 '"message":"schema violation (foo: unknown field)"'
json '{"config":"bar"}'; req PATCH "/plugins/$PLID" "${curl_json[@]}"
is "PATCH /plugins/:id config not a record" 400 'schema violation (config: expected a record)'
json '{"service":null}'; req PATCH "/plugins/$PLID" "${curl_json[@]}"
is "PATCH {service: null} unlinks it" 200 '"service":null'
json "{\"service\":{\"id\":\"$SID\"}}"; req PATCH "/plugins/$PLID" "${curl_json[@]}"
json '{"name":"foo"}'; req POST /plugins "${curl_json[@]}"
is "an unknown plugin" 400 "plugin 'foo' not enabled; add it to the 'plugins' configuration property"
req POST /services -d name=other-service -d host=other.test
OSID=$(field id)
req GET "/services/$OSID/plugins/$PLID"
body_is "a plugin of another service: 404" 404 '{"message":"Not found"}'
req GET "/services/$SID/plugins/$PLID" -H 'Content-Type: application/json' --data-binary '{bad'
is "GET ignores an invalid JSON body" 200 '"name":"key-auth"'
req DELETE "/services/$SID/plugins/$NEWID"
body_is "nested DELETE of an absent plugin: 404" 404 '{"message":"Not found"}'
req GET /schemas/plugins/key-auth
is "GET /schemas/plugins/key-auth" 200 '"key_names":{"type":"array"' '"default":["apikey"]'
json '{"name":"key-auth","config":{"hide_credentials":"x"}}'; req POST /schemas/plugins/validate "${curl_json[@]}"
is "POST /schemas/plugins/validate: a bad config" 400 '"name":"schema violation"'
req DELETE "/plugins/$NEWID"
body_is "DELETE /plugins/<absent uuid>: 204" 204 ""
req DELETE /plugins/not-found
body_is "DELETE /plugins/not-found: 204" 204 ""
req GET /
is "GET / lists key-auth as enabled in the cluster" 200 '"enabled_in_cluster":["key-auth"]'

# ---- beyond Kong: request ids, ETag, If-None-Match, If-Match ----
req GET /consumers/cid-renamed
rid1=$(sed -n 's/^x-kong-admin-request-id: //Ip' <<<"$headers")
etag=$(sed -n 's/^etag: //Ip' <<<"$headers")
req GET /consumers/cid-renamed
rid2=$(sed -n 's/^x-kong-admin-request-id: //Ip' <<<"$headers")
if [[ "$rid1" =~ ^[0-9a-f]{32}$ ]] && [ "$rid1" != "$rid2" ]; then ok "a request id on every answer, each its own"
else bad "request ids: '$rid1' '$rid2'"; fi
if [[ "$etag" =~ ^W/\"[0-9a-f]{32}\"$ ]]; then ok "an entity carries an ETag"; else bad "ETag: '$etag'"; fi
req GET /consumers/cid-renamed -H "If-None-Match: $etag"
if [ "$code" = 304 ] && [ -z "$body" ]; then ok "If-None-Match with the current ETag: 304, no body"
else bad "If-None-Match: $code $body"; fi
req PATCH /consumers/cid-renamed -H 'If-Match: W/"00000000000000000000000000000000"' -d custom_id=lost
body_is "If-Match with a stale ETag: 412" 412 '{"message":"Precondition failed"}'
req GET /consumers/cid-renamed
is "the 412 changed nothing" 200 '"custom_id":"cid-1"'
req PATCH /consumers/cid-renamed -H "If-Match: $etag" -d custom_id=won
is "If-Match with the current ETag: the write goes through" 200 '"custom_id":"won"'
req PATCH /consumers/cid-renamed -H "If-Match: $etag" -d custom_id=again
body_is "the same ETag after the write: 412 (lost update refused)" 412 '{"message":"Precondition failed"}'
req DELETE /consumers/absent-one -H 'If-Match: *'
body_is "If-Match: * on an absent entity: 412" 412 '{"message":"Precondition failed"}'

head -c $((10 * 1024 * 1024 + 1)) /dev/zero > big.bin
req POST /consumers -H 'Content-Type: application/json' --data-binary @big.bin
body_is "a body over 10 MiB (Content-Length): 413" 413 '{"message":"Request body too large"}'
rm -f big.bin

# ---- plugins by instance_name (the plugins' endpoint key) ----
req POST /services -d name=inst-service -d host=inst.test
ISID=$(field id)
json "{\"name\":\"key-auth\",\"service\":{\"id\":\"$ISID\"}}"; req PUT /plugins/my-instance "${curl_json[@]}"
is "PUT /plugins/<instance_name>: 200, the name set as instance_name" 200 '"instance_name":"my-instance"' \
  '"name":"key-auth"' "\"service\":{\"id\":\"$ISID\"}"
IPID=$(field id)
req GET /plugins/my-instance
is "GET /plugins/<instance_name>" 200 "\"id\":\"$IPID\"" '"instance_name":"my-instance"'
req GET "/plugins/$IPID"
is "GET /plugins/<id> of a named instance" 200 '"instance_name":"my-instance"'
json "{\"name\":\"key-auth\",\"service\":{\"id\":\"$ISID\"},\"config\":{\"hide_credentials\":true}}"
req PUT /plugins/my-instance "${curl_json[@]}"
is "PUT /plugins/<instance_name> again with another config: the same id" 200 "\"id\":\"$IPID\"" \
  '"hide_credentials":true' '"instance_name":"my-instance"'
json '{"name":"key-auth"}'; req PUT /plugins/%E5%86%86 "${curl_json[@]}"
is "PUT /plugins/<UTF-8 instance_name>, percent-encoded" 200 '"instance_name":"円"'
UPID=$(field id)
req GET /plugins/%E5%86%86
is "GET /plugins/%E5%86%86" 200 "\"id\":\"$UPID\"" '"instance_name":"円"'
req GET /plugins/no-such-instance
body_is "GET /plugins/<absent instance_name>: 404" 404 '{"message":"Not found"}'
req GET /plugins/6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c
body_is "GET /plugins/<absent uuid>: 404" 404 '{"message":"Not found"}'
req DELETE /plugins/my-instance
body_is "DELETE /plugins/<instance_name>: 204" 204 ""
req GET "/plugins/$IPID"
body_is "the named instance is gone" 404 '{"message":"Not found"}'
req DELETE "/plugins/$UPID"

# ---- robustness: malformed HTTP, a slow client, 64 connections at once ----
exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf 'GARBAGE \x01\x02\r\n\r\n' >&3
reply=$(timeout 5 head -c 12 <&3 | tr -d '\0'); exec 3>&-
case "$reply" in HTTP/1.1\ 4*) ok "malformed request line: a 4xx ($reply)" ;; *) bad "malformed request: '$reply'" ;; esac
exec 4<>"/dev/tcp/127.0.0.1/$PORT"; printf 'GET /consumers HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&4
req GET /status
is "a slow client holding a half-sent request does not block others" 200 '"reachable":true'
exec 4>&-
urls=(); for i in $(seq 1 640); do urls+=(-o /dev/null "$U/consumers/cid-renamed"); done
codes=$(curl -s -Z --parallel-max 64 -w '%{http_code}\n' "${urls[@]}" 2>/dev/null | sort | uniq -c | tr -s ' ')
if [ "$codes" = " 640 200" ]; then ok "640 GETs over 64 parallel connections: all 200"
else bad "parallel GETs: $codes"; fi

stop
if [ "$stop_rc" = 0 ]; then ok "SIGTERM: exit 0"; else bad "SIGTERM: exit $stop_rc: $(tail -3 serve.err)"; fi

# ---- admin_token ----
if start DAOC_ADMIN_TOKEN=s3cret DAOC_ADMIN_ACCESS_LOG="$PWD/access.log"; then
  req GET /
  is "a token is required: 401 without" 401 '"message":"Unauthorized"'
  req GET / -H 'Authorization: Bearer wrong'
  is "a wrong token: 401" 401
  req GET / -H 'Authorization: Bearer s3cret'
  is "the token: 200" 200 '"tagline"'
  req OPTIONS /consumers
  if [ "$code" = 204 ]; then ok "preflight OPTIONS needs no token"; else bad "OPTIONS with a token set: $code"; fi
  stop
  if grep -Eq '^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] "GET / HTTP/1\.1" 401 [0-9]+ "-" "curl/[^"]*" [0-9.]+ [0-9a-f]{32}$' access.log &&
     [ "$(wc -l < access.log)" = 4 ]; then ok "admin_access_log: one Combined Log Format line per request"
  else bad "access log:"; cat access.log; fi
else
  bad "daoc serve with admin_token starts: $(cat serve.err)"
fi
# ---- an ssl listener ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout admin.key -out admin.crt -days 2 \
  -subj /CN=127.0.0.1 > /dev/null 2>&1
LISTEN="127.0.0.1:0 ssl" start DAOC_ADMIN_SSL_CERT="$PWD/admin.crt" \
  DAOC_ADMIN_SSL_CERT_KEY="$PWD/admin.key"
for _ in 1 2 3; do # a loaded machine: the first handshake may come too early
  got=$(curl -s --cacert admin.crt "https://127.0.0.1:$PORT/status" 2>&1)
  grep -Fq '"reachable":true' <<<"$got" && break
  sleep 0.3
done
if grep -Fq '"reachable":true' <<<"$got"; then ok "an ssl listener serves HTTPS with admin_ssl_cert"
else bad "https: '$got' $(cat serve.err)"; fi
if curl -s -m 5 -o /dev/null "http://127.0.0.1:$PORT/status"; then bad "plain HTTP on the ssl port answered"
else ok "plain HTTP on the ssl port gets no answer"; fi
stop
"$BIN" serve --listen "127.0.0.1:0 ssl" > /dev/null 2> bad.err; rc=$?
if [ "$rc" = 1 ] && grep -Fq "needs admin_ssl_cert and admin_ssl_cert_key" bad.err; then
  ok "ssl without a certificate: exit 1 saying what is missing"
else bad "ssl without a certificate: exit $rc: $(cat bad.err)"; fi

"$BIN" serve --listen nonsense > /dev/null 2> bad.err; rc=$?
if [ "$rc" = 1 ] && grep -Fq "admin_listen" bad.err; then ok "a bad --listen: exit 1 naming admin_listen"
else bad "bad --listen: exit $rc: $(cat bad.err)"; fi
finish
