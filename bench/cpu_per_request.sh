#!/bin/bash
# One line of bench/run.sh on a copy of the cached 1 M-review database,
# for one or more builds in turn, with the daemon's CPU time (user +
# system, all threads) per request and its checkpoint counters after:
#   page1    GET the public list, page 1 (apikey), 64 connections
#   reply    POST a reply to the unit's reviews (bearer), 16 clients
#   organic  POST an organic review (public form), 16 clients
#   csv      POST a CSV of 100,000 invitations due at once (bench/run.sh's
#            line; the dispatch starts beside it), one upload: "requests"
#            are its rows, the CPU is the daemon's until the answer
# The maildir is in /dev/shm (creating files on a disk that freed many
# inodes lately is most of the CPU otherwise: bench/RESULTS.md).
#
# usage: bench/cpu_per_request.sh [-s SECONDS] [-r ROUNDS] [-p CMD] LINE
#        BIN [BIN...]
#        -p runs CMD (sh -c, $PID the daemon's) during each line and
#        stops it with SIGINT after, e.g.
#        -p 'perf record -g -p $PID -o /tmp/perf.data'
# env:   BENCH_CACHE (default /var/tmp/reviewd-bench-cache, made by
#        bench/run.sh), THREADS (4)
set -eu
seconds=10 rounds=1 prof=
while getopts s:r:p: o; do
	case $o in
	s) seconds=$OPTARG ;;
	r) rounds=$OPTARG ;;
	p) prof=$OPTARG ;;
	*) sed -n 2,20p "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n 2,20p "$0"; exit 2; }
line=$1
shift
case $line in page1|reply|organic|csv) ;; *) sed -n 2,20p "$0"; exit 2 ;; esac
py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
src=${BENCH_CACHE:-/var/tmp/reviewd-bench-cache}/reviewd-1000000-100
[ -f "$src.db" ] && [ -f "$src.json" ] ||
	{ echo "no $src.db: run bench/run.sh with BENCH_CACHE first" >&2; exit 1; }
# the CSV goes to the third tenant's unit, as in bench/run.sh
eval "$($py - "$src.json" "$([ "$line" = csv ] && echo 2 || echo 0)" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tenants"][int(sys.argv[2])]
for k, v in (("bu", t["unit"]), ("key", t["key"]), ("secret", t["secret"]),
             ("domain", t.get("domain", ""))):
    print("%s='%s'" % (k, v))
PY
)"
dir=$(mktemp -d /var/tmp/reviewd-cpu.XXXXXX)
mail=$(mktemp -d /dev/shm/reviewd-cpu.XXXXXX)
pid=
cleanup() {
	[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	rm -rf "$dir" "$mail"
}
trap cleanup EXIT
admin=bench-admin-token-0123456789
export REPLY_IDS="$dir/ids"
for round in $(seq "$rounds"); do
for bin in "$@"; do
	port=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cp "$src.db" "$dir/db"
	[ ! -f "$src.db.master-key" ] || cp "$src.db.master-key" "$dir/db.master-key"
	rm -rf "$mail"/*
	cat > "$dir/ini" <<INI
[server]
listen = 127.0.0.1:$port
threads = ${THREADS:-4}
max_connections = 4096
max_connections_per_ip = 0
# the CSV's one upload may take longer than the default 30 s under -p
connection_timeout_s = 600
[database]
path = $dir/db
[mail]
maildir = $mail/mail
[admin]
token = $admin
[auth]
token_requests_per_minute = 100000
[ratelimit]
app_per_minute = 0
address_per_minute = 0
[log]
level = warn
INI
	"$bin" --config "$dir/ini" serve 2>"$dir/stderr" &
	pid=$!
	base=http://127.0.0.1:$port
	for _ in $(seq 600); do
		curl -s -o /dev/null "$base/healthz" && break
		sleep 0.1
	done
	bearer=$(curl -sf -u "$key:$secret" -d grant_type=client_credentials \
	    "$base/v1/oauth/oauth-business-users-for-applications/accesstoken" |
	    $py -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
	if [ "$line" = csv ] && [ ! -f "$dir/invitations.csv" ]; then
		$py - "$dir/invitations.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("email,name,reference,preferredSendTime\n")
    for i in range(100000):
        f.write("c%d@example.com,Customer Number %d,REF-%08d,\n" % (i, i, i))
PY
	fi
	if [ "$line" = reply ]; then
		curl -sf -H "Authorization: Bearer $bearer" \
		    "$base/v1/private/business-units/$bu/reviews?perPage=100&page=[1-20]" |
		    $py "$here/review_ids.py" > "$dir/ids"
	fi
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	ppid=
	if [ -n "$prof" ]; then
		PID=$pid sh -c "exec $prof" & ppid=$!
	fi
	case $line in
	page1) out=$(wrk -t2 -c64 -d"${seconds}s" --latency -H "apikey: $key" \
	    "$base/v1/business-units/$bu/reviews" 2>&1) ;;
	reply) out=$(wrk -t2 -c16 -d"${seconds}s" --latency \
	    -H "Authorization: Bearer $bearer" \
	    -H "Content-Type: application/json" -s "$here/reply.lua" \
	    "$base" 2>&1) ;;
	organic) out=$(wrk -t2 -c16 -d"${seconds}s" --latency \
	    -s "$here/organic.lua" "$base/review/$domain" 2>&1) ;;
	csv) out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' \
	    -H "Authorization: Bearer $bearer" -H "Content-Type: text/csv" \
	    --data-binary "@$dir/invitations.csv" \
	    "$base/v1/private/business-units/$bu/invitations/csv" |
	    awk '$1 != 201 { print "0 requests in"
	        print "Non-2xx or Non-3xx responses: 1"; exit }
	        { print "100000 requests in"; print "99% " $2 "s"
	        printf "Requests/sec: %.0f\n", 100000 / $2 }') ;;
	esac
	[ -z "$ppid" ] || { kill -INT "$ppid" 2>/dev/null; wait "$ppid" || true; }
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	ckpt=$(curl -s -H "Authorization: Bearer $admin" "$base/metrics" |
	    awk -F'[ }]' '/^reviewd_database_checkpoints_total/ {
	        printf "%s%s", sep, $NF; sep = "/" }')
	cpu=$($py -c "print('%.0f' % (($t1 - $t0) * 1e6 / $(getconf CLK_TCK) / max(1, ${n:-0})))")
	if [ "$line" = csv ]; then
		echo "csv round $round $(basename "$bin"): $n rows in $p99," \
		    "$rate rows/s, non-201 ${bad:-0}, CPU ${cpu} us/row," \
		    "checkpoints (thread/commit) $ckpt"
	else
		echo "$line round $round $(basename "$bin"): $n requests," \
		    "$rate req/s, p99 $p99, non-2xx ${bad:-0}, CPU ${cpu}" \
		    "us/request, checkpoints (thread/commit) $ckpt"
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
done
done
