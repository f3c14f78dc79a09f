#!/usr/bin/env bash
# `daoc serve`: the query a collection's GET takes beyond Kong, top-level or nested
# (docs/admin-api.md, "Filtering, sorting and counting"): ?<field>=v and
# ?<field>[gt|gte|lt|lte|eq]=v on the fields an index serves, ?sort= with
# keyset pages that neither skip nor repeat rows when values tie (next
# links carry the query), ?count=exact|estimated, and the 400s for what
# no index serves.  Runs on the store the environment selects
# (DAOC_DATABASE), from an empty directory, with DAOC_BIN and
# DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
: "${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}"
. "$(dirname "$0")/lib.sh"
export DAOC_SQLITE_PATH="$PWD/admin_query.db"
rm -f admin_query.db
. "$(dirname "$0")/admin_lib.sh"

if ! start; then
  bad "daoc serve starts: $(cat serve.err)"; finish; exit 1
fi
ok "daoc serve starts"

# a shared PostgreSQL database keeps rows between runs: start empty
for c in routes services consumers; do
  while :; do
    req GET "/$c?size=1000"
    ids=$(grep -o '"id":"[^"]*"' <<<"$body" | sed 's/"id":"//; s/"$//' | sort -u)
    [ -z "$ids" ] && break
    for id in $ids; do curl -s -o /dev/null -X DELETE "$U/$c/$id"; done
  done
done

names() { grep -o '"username":"[^"]*"' <<<"$body" | sed 's/"username":"//; s/"$//' | tr '\n' ' '; }
nexturl() { sed -n 's/.*"next":"\([^"]*\)".*/\1/p' <<<"$body"; }

for n in carol alice erin bob dave frank; do
  curl -s -o /dev/null -X POST "$U/consumers" -d "username=$n" -d "tags[]=q$(( ${#n} % 2 ))"
done
curl -s -o /dev/null -X POST "$U/consumers" -d custom_id=nameless

# ---- ranges -----------------------------------------------------------
req GET "/consumers?username%5Bgte%5D=bob&username%5Blt%5D=erin&sort=username"
if [ "$code" = 200 ] && [ "$(names)" = "bob carol dave " ]; then ok "?username[gte]&[lt]: a range, AND"
else bad "range: $code $body"; fi
req GET "/consumers?username%5Bgt%5D=bob&username%5Blte%5D=erin&sort=-username"
if [ "$code" = 200 ] && [ "$(names)" = "erin dave carol " ]; then ok "?[gt]&[lte] sorted descending"
else bad "range desc: $code $body"; fi
req GET "/consumers?username%5Beq%5D=dave"
if [ "$(names)" = "dave " ]; then ok "?username[eq]="; else bad "eq: $body"; fi
req GET "/consumers?username%5Bgte%5D=c&tags=q1&sort=username"
if [ "$code" = 200 ] && [ "$(names)" = "carol frank " ]; then ok "a range with ?tags="
else bad "range + tags: $code $body"; fi

# ---- sorted pages and their next links -----------------------------------
walk() { # $1 = first path; the usernames of every page, following next
  local p="$1" all="" i
  for i in $(seq 1 20); do
    req GET "$p"
    [ "$code" = 200 ] || { echo "HTTP $code $body"; return; }
    all="$all$(names)"
    p=$(nexturl)
    [ -z "$p" ] && break
  done
  echo "$all"
}
got=$(walk "/consumers?sort=username&size=2")
if [ "$got" = "alice bob carol dave erin frank " ]; then ok "?sort=username&size=2: pages in order, next carries sort"
else bad "sorted walk: $got"; fi
got=$(walk "/consumers?sort=-username&size=4&username%5Blt%5D=f")
if [ "$got" = "erin dave carol bob alice " ]; then ok "?sort=-username: descending, next carries the filter"
else bad "descending walk: $got"; fi
req GET "/consumers?sort=username&size=2&count=exact&username%5Bgte%5D=b"
is "next carries sort, size, count and the filter" 200 '"total":5' \
  '&size=2&sort=username&count=exact&username%5Bgte%5D=b"'

# ---- ties: routes sorted on their service -----------------------------------
S1=$(curl -s -X POST "$U/services" -d url=http://one.test | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
S2=$(curl -s -X POST "$U/services" -d url=http://two.test | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
for i in 1 2 3 4 5 6 7; do
  s=$S1; [ $((i % 2)) = 0 ] && s=$S2
  curl -s -o /dev/null -X POST "$U/routes" -d "paths[]=/r$i" -d "service.id=$s"
done
curl -s -o /dev/null -X POST "$U/routes" -d "paths[]=/orphan"
routes_walk() {
  local p="$1" all="" i
  for i in $(seq 1 20); do
    req GET "$p"
    [ "$code" = 200 ] || { echo "HTTP $code $body"; return; }
    all="$all $(grep -o '"paths":\["[^"]*"' <<<"$body" | sed 's/.*\["//; s/"$//' | tr '\n' ' ')"
    p=$(nexturl)
    [ -z "$p" ] && break
  done
  echo "$all"
}
got=$(routes_walk "/routes?sort=service&size=2")
n=$(tr ' ' '\n' <<<"$got" | grep -c .); u=$(tr ' ' '\n' <<<"$got" | grep . | sort -u | wc -l)
last=$(tr ' ' '\n' <<<"$got" | grep . | tail -1)
if [ "$n" = 8 ] && [ "$u" = 8 ] && [ "$last" = /orphan ]; then
  ok "?sort=service: 8 routes over ties, none skipped or repeated, null last"
else bad "ties: $got"; fi
got=$(routes_walk "/routes?sort=-service&size=3")
first=$(tr ' ' '\n' <<<"$got" | grep . | head -1); u=$(tr ' ' '\n' <<<"$got" | grep . | sort -u | wc -l)
if [ "$u" = 8 ] && [ "$first" = /orphan ]; then ok "?sort=-service: null first, all 8"
else bad "ties desc: $got"; fi
req GET "/routes?service=$S1&count=exact"
is "?service=<uuid> on a foreign key" 200 '"total":4'
if [ "$(grep -o '"paths"' <<<"$body" | wc -l)" = 4 ]; then ok "... and its 4 rows"; else bad "fk rows: $body"; fi
req GET "/routes?service%5Beq%5D=$S2&count=estimated"
is "?service[eq]= with count=estimated" 200 '"total_estimated":' '"total":'

# ---- nested pages: the same query, on the parent's rows ----------------------
req GET "/services/$S1/routes?count=exact"
is "nested ?count=exact: the parent's rows only" 200 '"total":4'
if [ "$(grep -o '"paths"' <<<"$body" | wc -l)" = 4 ]; then ok "... and its 4 rows"; else bad "nested rows: $body"; fi
got=$(routes_walk "/services/$S1/routes?sort=-created_at&size=1")
u=$(tr ' ' '\n' <<<"$got" | grep . | sort -u | tr '\n' ' ')
if [ "$u" = "/r1 /r3 /r5 /r7 " ]; then ok "nested ?sort=&size=1: the parent's 4 routes over 4 pages"
else bad "nested walk: $got"; fi
req GET "/services/$S1/routes?sort=created_at&size=1"
is "a nested next link carries the query" 200 "\"next\":\"/services/$S1/routes?offset=" \
  '&size=1' '&sort=created_at'
req GET "/services/$S1/routes?size=2"
if [ "$code" = 200 ] && grep -q "\"next\":\"/services/$S1/routes?offset=[^&\"]*\"" <<<"$body"; then
  ok "without a query the nested next link is Kong's: the offset alone"
else bad "nested next: $code $body"; fi
req GET "/services/$S1/routes?service=$S2&count=exact"
is "a filter on the route's own foreign key is ignored" 200 '"total":4'
req GET "/services/$S2/routes?created_at%5Bgt%5D=$(( $(date +%s) + 3600 ))&count=exact"
body_is "nested ?created_at[gt]= in an hour: none" 200 '{"data":[],"next":null,"total":0}'
req GET "/services/$S1/routes?updated_at%5Bgte%5D=1"
is "nested: an unindexed field is refused" 400 '"code":11' "cannot filter on 'updated_at'"

# ---- counts ---------------------------------------------------------------
req GET "/consumers?count=exact&size=1"
is "?count=exact: total ignores paging" 200 '"total":7'
req GET "/consumers?count=estimated"
is "?count=estimated says whether it is an estimate" 200 '"total_estimated":'
req GET "/consumers?count=some"
is "?count= another value: 400" 400 '"code":11' "count: must be 'exact' or 'estimated'"

# ---- created_at (an index on the tables daoc makes) -----------------------------
now=$(date +%s)
req GET "/consumers?created_at%5Bgte%5D=$((now - 3600))&count=exact"
is "?created_at[gte]= an hour ago: every consumer" 200 '"total":7'
req GET "/consumers?created_at%5Bgt%5D=$((now + 3600))"
body_is "?created_at[gt]= in an hour: none" 200 '{"data":[],"next":null}'
hour_ago=$(date -u -d @$((now - 3600)) +%Y-%m-%dT%H:%M:%SZ)
req GET "/consumers?created_at%5Bgte%5D=$hour_ago&count=exact"
is "?created_at[gte]= as ISO 8601 (UTC)" 200 '"total":7'
# ten minutes ago written in UTC+5 (read without its offset it would be
# 4 h 50 min ahead, and match nothing)
ahead=$(date -u -d @$((now - 600 + 5 * 3600)) +%Y-%m-%dT%H:%M:%S.500+05:00)
req GET "/consumers?created_at%5Bgte%5D=$(sed 's/+/%2B/' <<<"$ahead")&count=exact"
is "?created_at[gte]= as ISO 8601 with an offset and a fraction" 200 '"total":7'
req GET "/consumers?created_at%5Bgte%5D=2026-13-01T00:00:00Z"
is "a malformed date: 400" 400 '"code":11'
req GET "/consumers?sort=-created_at&size=3"
is "?sort=-created_at pages" 200 '"next":"/consumers?' '"created_at":'

# ---- refusals -----------------------------------------------------------------
req GET "/consumers?updated_at%5Bgte%5D=1"
is "a range on an unindexed field: 400 naming what can filter" 400 '"code":11' \
  "cannot filter on 'updated_at': no index serves it (filter on 'id', 'created_at', 'username', 'custom_id')"
req GET "/consumers?sort=updated_at"
is "?sort= on an unindexed field: 400" 400 '"code":11' "cannot sort on 'updated_at'"
req GET "/consumers?username%5Blike%5D=a"
is "an unknown operator: 400" 400 '"code":11' "unknown operator for 'username'"
req GET "/routes?service=nope"
is "a foreign key that is not a UUID: 400" 400 "invalid value for 'service': expected a UUID"
req GET "/consumers?sort=username&size=2"
off=$(field offset)
req GET "/consumers?sort=-username&offset=$off"
is "an offset of another sort: 400 invalid offset" 400 '"code":7' '"name":"invalid offset"'
req GET "/consumers?offset=$off"
is "a sorted offset on an unsorted page: 400" 400 '"code":7'
req GET "/consumers?custom_id=nameless"
is "?<unique>= still the one entity" 200 '"custom_id":"nameless"' '"next":null'
req GET "/consumers?count=exact"
is "the refusals changed nothing" 200 '"total":7'

# ---- the document ---------------------------------------------------------------
req GET /openapi.json
is "openapi: the collection GET lists filters, sort and count" 200 '"name":"username[gte]"' \
  '"name":"service[lt]"' '"name":"sort"' '"enum":["exact","estimated"]' '"total_estimated"'

seg=$(sed 's/.*"\/services\/{services}\/routes":{"get":\(.*\)/\1/; s/"post":.*//' <<<"$body")
if grep -Fq '"name":"sort"' <<<"$seg" && grep -Fq '"name":"created_at[gte]"' <<<"$seg" &&
   ! grep -Fq '"name":"service[gt]"' <<<"$seg"; then
  ok "openapi: a nested page lists the query too, without its route's own foreign key"
else bad "openapi nested: $seg"; fi

stop
finish
