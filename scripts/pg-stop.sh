#!/usr/bin/env bash
# Stops a cluster started by scripts/pg-start.sh and removes its directory.
#   scripts/pg-stop.sh "$PG_DIR"
set -uo pipefail
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
DIR="${1:?usage: pg-stop.sh PG_DIR}"
case "$(basename "$DIR")" in daoc-pg.*) ;; *) echo "pg-stop: not a pg-start directory: $DIR" >&2; exit 1 ;; esac
AS=()
[ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
if [ -f "$DIR/data/postmaster.pid" ]; then
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
    echo "pg-stop: pg_ctl stop failed (see $DIR/server.log)" >&2
fi
rm -rf "$DIR"
