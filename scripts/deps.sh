#!/bin/sh
# Installs the Debian packages reviewd needs to build, run and test, when any
# is missing. Idempotent. Not root and something missing: prints the exact
# apt-get command and fails.
set -eu

PACKAGES="build-essential pkg-config libmicrohttpd-dev libsqlite3-dev
libjansson-dev libsodium-dev libcurl4-openssl-dev libinih-dev libsystemd-dev
libssl-dev libpcre2-dev libpq-dev libcmocka-dev sqlite3 python3 python3-pytest
python3-requests python3-aiosmtpd python3-yaml python3-psycopg2 chromium clang postgresql"

# postgresql: the server tests/integration/pgcluster.py starts a throwaway
# cluster of (issue 17); libpq-dev: the client library reviewd links.

# The browser tests run playwright-core on Node.js; machines of our kind
# ship Node 20, Debian's own is the fallback.
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "reviewd: missing packages:$missing" >&2
	echo "reviewd: run as root: apt-get update && $cmd" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
