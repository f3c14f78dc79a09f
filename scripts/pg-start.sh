#!/usr/bin/env bash
# Starts a private PostgreSQL 15 cluster for the tests and prints, as shell
# assignments for `eval`, how to reach it:
#   PG_DIR=... DAOC_PG_HOST=<socket dir> DAOC_PG_PORT=... DAOC_PG_USER=... DAOC_PG_DATABASE=...
#
#   eval "$(scripts/pg-start.sh)"     # new cluster in a fresh temp directory
#   ...
#   scripts/pg-stop.sh "$PG_DIR"       # stops it and removes the directory
#
# The cluster listens on a unix socket only (listen_addresses=''), in a temp
# directory, with fsync off (test data only).  As root the server runs as the
# `postgres` system user of the Debian package (PostgreSQL refuses to run as
# root); otherwise as the calling user.  PGBIN overrides the binaries' folder.
#
# Several clusters can run at once (test_pg_pool's read replica is a second
# one): each call makes its own directory, and DAOC_TEST_PG_PORT (default
# 55432) gives each its own port, which names the socket and the shared
# memory:
#   eval "$(DAOC_TEST_PG_PORT=55433 scripts/pg-start.sh)"
set -euo pipefail
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
PORT="${DAOC_TEST_PG_PORT:-55432}"
ROLE="${DAOC_TEST_PG_USER:-daoc}"
DBNAME="${DAOC_TEST_PG_DATABASE:-daoc}"
if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
  echo "pg-start: no PostgreSQL server binaries in $PGBIN (apt-get install postgresql)" >&2
  exit 1
fi
DIR="$(mktemp -d "${TMPDIR:-/tmp}/daoc-pg.XXXXXX")"
AS=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "pg-start: running as root needs the 'postgres' user" >&2; exit 1; }
  chown postgres: "$DIR"
  AS=(runuser -u postgres --)
fi
chmod 700 "$DIR"
LOG="$DIR/server.log"
if ! "${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale \
     >"$DIR/initdb.log" 2>&1; then
  echo "pg-start: initdb failed:" >&2; cat "$DIR/initdb.log" >&2; exit 1
fi
cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$DIR'
port = $PORT
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 64MB
CONF
if ! "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$LOG" -w -t 30 start >/dev/null 2>&1; then
  echo "pg-start: the server did not start:" >&2; cat "$LOG" >&2; exit 1
fi
PSQL="$PGBIN/psql"
[ -x "$PSQL" ] || PSQL="$(command -v psql)"
"${AS[@]}" "$PSQL" -h "$DIR" -p "$PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE \"$ROLE\" LOGIN CREATEDB" -c "CREATE DATABASE \"$DBNAME\" OWNER \"$ROLE\"" \
  >/dev/null
printf 'PG_DIR=%q\nDAOC_PG_HOST=%q\nDAOC_PG_PORT=%q\nDAOC_PG_USER=%q\nDAOC_PG_DATABASE=%q\n' \
  "$DIR" "$DIR" "$PORT" "$ROLE" "$DBNAME"
