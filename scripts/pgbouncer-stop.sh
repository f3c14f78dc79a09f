#!/usr/bin/env bash
# Stops the PgBouncer scripts/pgbouncer-start.sh started in $1 and removes
# its directory.
set -uo pipefail
DIR="${1:?bouncer dir missing}"
if [ -f "$DIR/pgbouncer.pid" ]; then
  pid="$(cat "$DIR/pgbouncer.pid")"
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
rm -rf "$DIR"
