#!/bin/bash
# The organic-submit line of bench/run.sh alone (POST /review/{domain},
# JSON, 16 clients, each request from its own address and e-mail), for
# one or more builds in turn, beside the single-commit fsync ceiling
# (bench/fsync_ceiling.py) measured in the same round. Every build gets
# a fresh copy of the cached 20k-review database (run.sh's BENCH_CACHE:
# reviewd-20000-10.db), run.sh's INI (trusted proxy, rate limits off).
#
# usage: bench/organic.sh [-s SECONDS] [-r ROUNDS] [-p CMD] BIN [BIN...]
#        -p runs CMD (sh -c, $PID the daemon's) during each line and
#        stops it with SIGINT after, e.g.
#        -p 'strace -c -f -p $PID -e trace=pwrite64,fdatasync -o /tmp/s'
#        -p 'perf record -g -p $PID -o /tmp/perf.data'
# env:   BENCH_DB (default
#        /var/tmp/reviewd-bench-cache/reviewd-20000-10.db), THREADS (4),
#        LOG_LEVEL (warn; debug logs each group: size, wait, commit time),
#        MAIL_PARENT (the maildir goes into a folder made in it; default
#        beside the database): e.g. /dev/shm, to leave out the file
#        system's cost of creating each confirmation e-mail's file, which
#        on a disk that freed many inodes lately (bench/dispatch.py does)
#        can be most of the daemon's CPU
# prints one line per build and round: requests, req/s, p50, p99, errors,
# the ratio to that round's fsync ceiling (1 writer), and the daemon's
# CPU time (user + system, all threads) per request
set -eu
seconds=10 rounds=1 prof=
while getopts s:r:p: o; do
	case $o in
	s) seconds=$OPTARG ;;
	r) rounds=$OPTARG ;;
	p) prof=$OPTARG ;;
	*) sed -n 2,18p "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n 2,18p "$0"; exit 2; }
py=/usr/bin/python3
db=${BENCH_DB:-/var/tmp/reviewd-bench-cache/reviewd-20000-10.db}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /var/tmp/reviewd-organic.XXXXXX)
mail=$dir/db/mail
[ -n "${MAIL_PARENT:-}" ] &&
    mail=$(mktemp -d "$MAIL_PARENT/reviewd-organic.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir" "$mail"
}
trap cleanup EXIT
domain=$($py -c 'import json, sys; print(json.load(open(sys.argv[1]))
["tenants"][0]["domain"])' "${db%.db}.json")
port=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')

one() {
	local bin=$1 out
	rm -rf "$dir/db" "$mail" && mkdir -p "$dir/db" "$mail"
	cp "$db" "$dir/db/reviewd.db"
	cat > "$dir/db/reviewd.ini" <<INI
[server]
listen = 127.0.0.1:$port
threads = ${THREADS:-4}
max_connections = 4096
max_connections_per_ip = 0
connection_timeout_s = 600
trusted_proxies = 127.0.0.1
[database]
path = $dir/db/reviewd.db
[mail]
maildir = $mail
[admin]
token = bench-admin-token-0123456789
[ratelimit]
app_per_minute = 0
address_per_minute = 0
[reviews]
submissions_per_address_day = 1000
[log]
level = ${LOG_LEVEL:-warn}
INI
	"$bin" --config "$dir/db/reviewd.ini" serve 2>"$dir/db/stderr" &
	pid=$!
	for _ in $(seq 600); do
		curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
		sleep 0.1
	done
	# the pages and the statements warm, as in run.sh after its reads
	wrk -t1 -c2 -d1s -s "$here/organic.lua" \
	    "http://127.0.0.1:$port/review/$domain" >/dev/null
	local ppid=
	if [ -n "$prof" ]; then
		PID=$pid setsid sh -c "$prof" &
		ppid=$!
		sleep 1
	fi
	local t0 t1
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	out=$(wrk -t2 -c16 -d"${seconds}s" --timeout 30s --latency \
	    -s "$here/organic.lua" "http://127.0.0.1:$port/review/$domain")
	if [ -n "$ppid" ]; then
		kill -INT -- -"$ppid" 2>/dev/null || true
		wait "$ppid" 2>/dev/null || true
	fi
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	awk -v b="$bin" -v c="$ceiling" -v cpu=$((t1 - t0)) \
	    -v hz="$(getconf CLK_TCK)" '
	/requests in/ { n = $1 }
	/Requests\/sec/ { r = $2 }
	$1 == "50%" { p50 = $2 }
	$1 == "99%" { p99 = $2 }
	/Non-2xx/ { bad += $NF }
	/Socket errors/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
	END { printf "%-24s %7d  %8.1f req/s  p50 %8s  p99 %8s  " \
	    "errors %d  %.2f x ceiling  %.2f ms CPU/req\n", b, n, r, p50,
	    p99, bad, r / c, 1000 * cpu / hz / (n > 0 ? n : 1) }' <<<"$out"
}

for round in $(seq "$rounds"); do
	rm -f "$dir"/fsync.db*
	read -r ceiling fs50 fs99 _ < <($py "$here/fsync_ceiling.py" \
	    "$dir/fsync.db" 5 1)
	echo "round $round: fsync ceiling $ceiling commits/s" \
	    "(p50 $fs50 ms, p99 $fs99 ms)"
	for bin in "$@"; do
		one "$bin"
	done
done
