#!/usr/bin/env bash
# Stops and/or starts again a cluster made by scripts/pg-start.sh, keeping its
# data, socket directory and port: the fault tests use it to take the server
# away under a running client.  It does not create or remove anything.
#   scripts/pg-restart.sh "$PG_DIR"            # pg_ctl restart -m fast (waits until ready)
#   scripts/pg-restart.sh "$PG_DIR" stop       # pg_ctl stop -m fast (waits until down)
#   scripts/pg-restart.sh "$PG_DIR" start      # pg_ctl start (waits until ready)
# PGBIN overrides the binaries' folder, as in pg-start.sh.  As root, pg_ctl runs
# as the `postgres` user the cluster belongs to.
set -euo pipefail
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
DIR="${1:?usage: pg-restart.sh PG_DIR [restart|stop|start]}"
WHAT="${2:-restart}"
case "$(basename "$DIR")" in daoc-pg.*) ;; *) echo "pg-restart: not a pg-start directory: $DIR" >&2; exit 1 ;; esac
[ -d "$DIR/data" ] || { echo "pg-restart: no cluster in $DIR" >&2; exit 1; }
AS=()
[ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
case "$WHAT" in
  restart) "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -m fast -w -t 30 restart >/dev/null ;;
  stop)    "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null ;;
  start)   "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 start >/dev/null ;;
  *) echo "pg-restart: unknown action: $WHAT (restart, stop or start)" >&2; exit 1 ;;
esac
