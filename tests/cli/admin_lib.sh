# admin_lib.sh -- what the Admin API suites (tests/cli/test_admin*.sh)
# share on top of lib.sh: starting `daoc serve` on a free port and
# stopping it (a sanitizer report from it fails the suite), one curl
# request with its status, body and headers captured, and the checks made
# on them.  Sourced after lib.sh, with BIN set.
start() { # $@: extra environment; $LISTEN (default 127.0.0.1:0); sets $PID, $PORT, $U
  env "$@" "$BIN" serve --listen "${LISTEN:-127.0.0.1:0}" > serve.out 2> serve.err &
  PID=$!
  PORT=""
  for _ in $(seq 1 100); do
    PORT=$(sed -n 's/^daoc: Admin API listening on 127.0.0.1:\([0-9]*\)$/\1/p' serve.out)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  U="http://127.0.0.1:$PORT"
  [ -n "$PORT" ]
}
stop() { # SIGTERM; sets $stop_rc; a sanitizer report (leak, overflow) fails
  kill -TERM "$PID" 2>/dev/null
  wait "$PID"; stop_rc=$?
  if grep -q 'Sanitizer' serve.err; then bad "sanitizer report from daoc serve:"; head -30 serve.err
  else ok "no sanitizer report from daoc serve"; fi
}

# req METHOD PATH [curl args...]: sets $code, $body, $headers
req() {
  local m="$1" p="$2"; shift 2
  rm -f body.txt headers.txt # curl leaves its output file alone when there is no body
  if [ "$m" = HEAD ]; then
    code=$(curl -s -I -o /dev/null -D headers.txt -w '%{http_code}' "$@" "$U$p")
    body=""
  else
    code=$(curl -s -o body.txt -D headers.txt -w '%{http_code}' -X "$m" "$@" "$U$p")
    body=$(cat body.txt 2>/dev/null)
  fi
  headers=$(tr -d '\r' < headers.txt)
}
# is NAME CODE [fixed strings the body holds...]
is() {
  local name="$1" want="$2"; shift 2
  if [ "$code" != "$want" ]; then bad "$name: HTTP $code, wanted $want: $body"; return; fi
  for s in "$@"; do
    if ! grep -Fq -- "$s" <<<"$body"; then bad "$name: no '$s' in: $body"; return; fi
  done
  ok "$name"
}
# body_is NAME CODE EXACT
body_is() {
  if [ "$code" = "$2" ] && [ "$body" = "$3" ]; then ok "$1"
  else bad "$1: HTTP $code, body $body; wanted $2 $3"; fi
}
header_is() { # NAME HEADER VALUE
  local got
  got=$(sed -n "s/^$2: //Ip" <<<"$headers" | head -1)
  if [ "$got" = "$3" ]; then ok "$1"; else bad "$1: $2 is '$got', wanted '$3'"; fi
}
json() { curl_json=(-H 'Content-Type: application/json' --data-binary "$1"); }
field() { # the first string value of key $1 in $body
  grep -o "\"$1\":\"[^\"]*\"" <<<"$body" | head -1 | sed "s/^\"$1\":\"//; s/\"\$//"
}
