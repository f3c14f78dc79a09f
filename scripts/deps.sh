#!/usr/bin/env bash
# Installs the Debian packages daoc needs when they are missing.
#   scripts/deps.sh build   -- to build and run
#   scripts/deps.sh test    -- also what the test suites need
#   scripts/deps.sh bench   -- also what the benchmarks need
# Works as root or through sudo; does nothing when everything is present.
set -euo pipefail
want=(gcc make pkg-config libluajit2-5.1-dev luajit2 libjansson-dev libsqlite3-dev libpq-dev libyaml-dev
      libssl-dev libpcre2-dev libmicrohttpd-dev lua-penlight lua-socket)
case "${1:-build}" in
  test)  want+=(openssl clang libclang-rt-14-dev valgrind postgresql pgbouncer sqlite3 curl) ;;
  bench) want+=(clang postgresql sqlite3 curl wrk) ;;
esac
missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "daoc: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# OpenResty's LuaJIT2 conflicts with Debian's plain luajit packages.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
