#!/usr/bin/env bash
# Starts Debian's PgBouncer in transaction pooling mode in front of the
# tests' private PostgreSQL and prints, as shell assignments for `eval`,
# how to reach it:
#   BOUNCER_DIR=... DAOC_BOUNCER_PORT=...
#
#   eval "$(scripts/pgbouncer-start.sh "$DAOC_PG_HOST" "$DAOC_PG_PORT" "$DAOC_PG_USER")"
#   scripts/pgbouncer-stop.sh "$BOUNCER_DIR"
#
# It listens on 127.0.0.1:$DAOC_TEST_BOUNCER_PORT (default 56432), accepts
# any user without a password and connects as the given one (test data
# only) and hands out server
# connections per transaction (pool_mode = transaction), as a production
# pooler in front of many daoc nodes would.  As root it runs as the
# `postgres` system user (PgBouncer refuses to run as root).
set -euo pipefail
PGHOST_="${1:?postgres host (socket dir) missing}"
PGPORT_="${2:?postgres port missing}"
PGUSER_="${3:?postgres user missing}"
PORT="${DAOC_TEST_BOUNCER_PORT:-56432}"
BIN="${PGBOUNCER:-/usr/sbin/pgbouncer}"
if [ ! -x "$BIN" ]; then
  echo "pgbouncer-start: no $BIN (apt-get install pgbouncer)" >&2
  exit 1
fi
DIR="$(mktemp -d "${TMPDIR:-/tmp}/daoc-bouncer.XXXXXX")"
cat > "$DIR/pgbouncer.ini" <<INI
[databases]
* = host=$PGHOST_ port=$PGPORT_ user=$PGUSER_

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
AS=()
if [ "$(id -u)" -eq 0 ]; then
  chown -R postgres "$DIR"
  AS=(-u postgres)
fi
"$BIN" -d "${AS[@]}" "$DIR/pgbouncer.ini" >/dev/null 2>"$DIR/start.err" || {
  echo "pgbouncer-start: pgbouncer did not start:" >&2; cat "$DIR/start.err" "$DIR/pgbouncer.log" >&2 2>/dev/null
  exit 1
}
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "BOUNCER_DIR=$DIR"
    echo "DAOC_BOUNCER_PORT=$PORT"
    exit 0
  fi
  sleep 0.1
done
echo "pgbouncer-start: nothing listens on 127.0.0.1:$PORT" >&2
cat "$DIR/pgbouncer.log" >&2 2>/dev/null
exit 1
