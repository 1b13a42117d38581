#!/bin/bash
# The bench of issue 13: reviewd on a database of REVIEWS published reviews
# over UNITS business units, side by side in one run with the references
# of ../shared/bench (see its README): the bare libmicrohttpd ceiling at the
# body size of the first list page, the Node peer (fastify + better-sqlite3
# on its own database of the same size) and the single-commit fsync ceiling
# (bench/fsync_ceiling.py). Not run by CI: numbers depend on the machine,
# only ratios within one run mean something. Usage:
#   bench/run.sh [DURATION_S] [CONNECTIONS] [REVIEWS] [UNITS]
# defaults 5 s, 64 connections, 1000000 reviews, 100 units (before issue
# 13 the defaults were 10 s and 1,000 reviews seeded through the public
# form, bench/seed.py: `bench/run.sh 10 64 1000 1` still makes a small
# bench, seeded the new way). Environment:
#   THREADS      daemon worker threads (default 4, the daemon's default)
#   REVIEWD_BIN  the daemon to measure (default build/reviewd, made with
#                make all first), e.g. a build of another commit
#   BENCH_CACHE  a folder that keeps the seeded databases (reviewd's and
#                the peer's, per size) between runs; each run works on a
#                copy (default: seed anew each run, about 50 s per 1 M)
#   PEER_DIR     where the peer's node packages are installed (default
#                /tmp/reviewd-bench-peer; installed on first use from npm)
#   DISPATCH_S   how long to watch the dispatch of the CSV's invitations
#                (default 60; the time for all of them is extrapolated)
#   CSV_ROWS     rows of the CSV upload (default 100000)
#   SKIP_PEER=1  no Node peer (its lines say so)
#   SKIP_PG=1    no PostgreSQL line (bench/pg.py, run last: the same data
#                on one SQLite daemon, one and two PostgreSQL daemons)
#   SHARED_BENCH the references' folder (default: shared/bench beside the
#                main checkout)
# Seeding: bench/seed_db.py (its head says how), checked with its --check
# against the running daemon. Prints one line per measurement and at the
# end the table for bench/RESULTS.md. Needs wrk, node and npm, a C
# compiler and libmicrohttpd (all installed with apt-get if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
duration=${1:-5}
connections=${2:-64}
reviews=${3:-1000000}
units=${4:-100}
threads=${THREADS:-4}
csv_rows=${CSV_ROWS:-100000}
dispatch_s=${DISPATCH_S:-60}
peer_dir=${PEER_DIR:-/tmp/reviewd-bench-peer}
py=/usr/bin/python3
# ../shared/bench beside the main checkout (a worktree's too)
shared=${SHARED_BENCH:-$(cd "$(git rev-parse --path-format=absolute \
    --git-common-dir)/../../shared/bench" 2>/dev/null && pwd || echo \
    "$root/../shared/bench")}
need() {
	command -v "$1" >/dev/null || { apt-get update -qq &&
	    apt-get install -y -qq "$2" >/dev/null; }
}
need wrk wrk
need node nodejs
need npm npm
[ -f /usr/include/microhttpd.h ] || { apt-get update -qq &&
    apt-get install -y -qq libmicrohttpd-dev >/dev/null; }
need bc bc
daemon_src="a build given in REVIEWD_BIN"
if [ -z "${REVIEWD_BIN:-}" ]; then
	make -s -j2 all
	REVIEWD_BIN=$root/build/reviewd
	daemon_src="release build of this checkout, src/ as of commit $(git \
	    log -1 --format=%h -- src include migrations Makefile)$(git diff \
	    --quiet HEAD -- src include migrations || echo ', modified')"
fi
export REVIEWD_BIN
dir=$(mktemp -d /var/tmp/reviewd-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
free_port() {
	$py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}
wait_http() {
	for _ in $(seq 600); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "bench: $1 did not answer"; exit 1
}
log() { echo "bench: $*" >&2; }
# Waits until the processes given (and their children) have been idle for
# half a second: a slow line leaves requests in the server's queue after
# wrk stops, which must not be charged to the next line.
cpu_ticks() {
	local p t=0
	for p in "$@" $(for q in "$@"; do pgrep -P "$q"; done); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null ||
		    echo 0)))
	done
	echo "$t"
}
settle() {
	local a b
	for _ in $(seq 1200); do
		a=$(cpu_ticks "$@")
		sleep 0.5
		b=$(cpu_ticks "$@")
		[ $((b - a)) -le 2 ] && return 0
	done
	log "still busy after 10 minutes"
}

# reviewd's database, seeded or copied from the cache
seed_start=$(date +%s.%N)
seeded="seeded now"
if [ -n "${BENCH_CACHE:-}" ] &&
    [ -f "$BENCH_CACHE/reviewd-$reviews-$units.db" ]; then
	log "copying the seeded database from $BENCH_CACHE"
	cp "$BENCH_CACHE/reviewd-$reviews-$units.db" "$dir/reviewd.db"
	cp "$BENCH_CACHE/reviewd-$reviews-$units.json" "$dir/seed.json"
	seeded="copied from BENCH_CACHE"
else
	log "seeding $reviews reviews over $units units"
	$py bench/seed_db.py "$dir/reviewd.db" "$reviews" "$units" 3 \
	    >"$dir/seed.json"
	if [ -n "${BENCH_CACHE:-}" ]; then
		mkdir -p "$BENCH_CACHE"
		cp "$dir/reviewd.db" "$BENCH_CACHE/reviewd-$reviews-$units.db"
		cp "$dir/seed.json" "$BENCH_CACHE/reviewd-$reviews-$units.json"
	fi
fi
seed_s=$(echo "$(date +%s.%N) - $seed_start" | bc)
# the PostgreSQL line (bench/pg.py, at the end) serves the same data
# before this run's writes: from the cache, else from a copy kept now
pg_seed=""
if [ "${SKIP_PG:-0}" != 1 ] && [ -z "${BENCH_CACHE:-}" ]; then
	cp "$dir/reviewd.db" "$dir/pristine.db"
	pg_seed="$dir/pristine.db"
fi
# the values the lines need, from the seeder's JSON
eval "$($py - "$dir/seed.json" "$dir/reviewd.db" <<'PY'
import json, sqlite3, sys, time
info = json.load(open(sys.argv[1]))
t = info["tenants"]
bu = t[0]["unit"]
con = sqlite3.connect(sys.argv[2])
ref = con.execute("SELECT reference_id FROM reviews WHERE business_unit_id "
                  "= ? AND reference_id IS NOT NULL AND sku IS NULL "
                  "ORDER BY seq DESC LIMIT 1 OFFSET 1000",
                  (bu,)).fetchone()
ref = ref[0] if ref else info["referenceId"]
mid = (info["from_ms"] + info["to_ms"]) // 2 / 1000
iso = lambda s: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
for k, v in (("bu", bu), ("domain", t[0]["domain"]), ("key", t[0]["key"]),
             ("secret", t[0]["secret"]), ("bu_inv", t[1]["unit"]),
             ("key_inv", t[1]["key"]), ("secret_inv", t[1]["secret"]),
             ("bu_csv", t[2]["unit"]), ("key_csv", t[2]["key"]),
             ("secret_csv", t[2]["secret"]), ("sku", info["skus"][3]),
             ("ref", ref), ("from", iso(mid)),
             ("to", iso(mid + 30 * 86400)),
             ("seed_secs", json.dumps(info.get("seconds", {})))):
    print("%s='%s'" % (k, v))
PY
)"

port=$(free_port)
cat > "$dir/reviewd.ini" <<INI
[server]
listen = 127.0.0.1:$port
threads = $threads
max_connections = 4096
max_connections_per_ip = 0
connection_timeout_s = 600
# the organic-submit line sends each review from its own address
trusted_proxies = 127.0.0.1
[database]
path = $dir/reviewd.db
[mail]
maildir = $dir/mail
[admin]
token = bench-admin-token-0123456789
[auth]
token_requests_per_minute = 100000
[ratelimit]
app_per_minute = 0
address_per_minute = 0
[reviews]
submissions_per_address_day = 1000
[log]
level = warn
INI
"$REVIEWD_BIN" --config "$dir/reviewd.ini" serve 2>"$dir/stderr" &
pid=$!
pids+=("$pid")
base="http://127.0.0.1:$port"
wait_http "$base/healthz"
log "checking the seeded database against the daemon"
$py bench/seed_db.py --check "$dir/reviewd.db" "$dir/seed.json" "$base" 1 |
    tee "$dir/check"
token() {
	curl -sf -u "$1:$2" -d grant_type=client_credentials \
	    "$base/v1/oauth/oauth-business-users-for-applications/accesstoken" |
	    $py -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
bearer=$(token "$key" "$secret")
bearer_inv=$(token "$key_inv" "$secret_inv")
bearer_csv=$(token "$key_csv" "$secret_csv")

# one wrk run: "name|req/s|p50|p99|non-2xx" into $dir/lines
declare -A rate p99
bench() {
	local tag=$1 name=$2 conns=$3; shift 3
	local out
	case $tag in
	page1_dispatch) ;;
	ceiling) settle "$mhd_pid" ;;
	peer*) [ -n "$peer_pid" ] || return 0; settle "$peer_pid" ;;
	*) settle "$pid" ;;
	esac
	out=$(wrk -t2 -c"$conns" -d"${duration}s" --timeout 30s --latency \
	    "$@" 2>&1)
	rate[$tag]=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	p99[$tag]=$(awk '$1 == "99%" {print $2}' <<<"$out")
	local bad
	bad=$( (awk '/Non-2xx/ {print $NF}' <<<"$out"; awk \
	    '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' \
	    <<<"$out") | awk '{s += $1} END {print s + 0}')
	printf '%s|%s|%s|%s|%s|%s\n' "$tag" "$name" "${rate[$tag]}" \
	    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "${p99[$tag]}" \
	    "$bad" >>"$dir/lines"
	printf '%-44s %10s req/s  p99 %9s  errors %s\n' "$name" \
	    "${rate[$tag]}" "${p99[$tag]}" "$bad" >&2
}
: >"$dir/lines"
pub=(-H "apikey: $key")
priv=(-H "Authorization: Bearer $bearer")
list="$base/v1/business-units/$bu/reviews"
plist="$base/v1/private/business-units/$bu/reviews"
page1_bytes=$(curl -sf "${pub[@]}" "$list" | wc -c)
log "page 1 is $page1_bytes bytes"

cat > "$dir/invite.lua" <<'LUA'
-- unique addresses and references per request, sent in 2030 (creation
-- alone is measured; the CSV line measures dispatch)
local n, counter = 0, 0
function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
end
request = function()
	n = n + 1
	return wrk.format("POST", nil, nil, string.format('{"consumerEmail":"w%d-%d@example.net",' ..
	    '"consumerName":"W %d","referenceNumber":"W%d-%d",' ..
	    '"locale":"en-US","serviceReviewInvitation":' ..
	    '{"preferredSendTime":"2030-01-01T10:00:00"}}',
	    tid, n, n, tid, n))
end
LUA

# the references, started now and measured beside reviewd's lines
log "reference: bare libmicrohttpd, $page1_bytes bytes"
cc -O2 -o "$dir/mhd_ceiling" "$shared/mhd_ceiling.c" -lmicrohttpd
mport=$(free_port)
"$dir/mhd_ceiling" "$mport" "$page1_bytes" "$threads" &
mhd_pid=$!
pids+=("$mhd_pid")
wait_http "http://127.0.0.1:$mport/"
peer_pid= peer_list= peer_bytes=
if [ "${SKIP_PEER:-0}" != 1 ]; then
	log "reference: the Node peer"
	if ! (cd "$peer_dir" 2>/dev/null &&
	    node -e "require('better-sqlite3'); require('fastify')") \
	    2>/dev/null; then
		mkdir -p "$peer_dir"
		(cd "$peer_dir" && { [ -f package.json ] ||
		    npm init -y >/dev/null; } &&
		    npm install --no-audit --no-fund fastify@5 \
		    better-sqlite3@12 >/dev/null 2>&1)
		# no prebuilt binary can be fetched here: build the addon
		(cd "$peer_dir" &&
		    node -e "require('better-sqlite3')" 2>/dev/null) ||
		    (cd "$peer_dir/node_modules/better-sqlite3" &&
		    node "$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js" \
		    rebuild --release --nodedir=/usr -j 2 >/dev/null)
	fi
	cp "$shared"/peer-node/*.js "$peer_dir/"
	peer_db=$dir/peer.db
	if [ -n "${BENCH_CACHE:-}" ] &&
	    [ -f "$BENCH_CACHE/peer-$reviews-$units.db" ]; then
		cp "$BENCH_CACHE/peer-$reviews-$units.db" "$peer_db"
	else
		(cd "$peer_dir" && node seed.js "$peer_db" "$reviews" \
		    "$units" >/dev/null)
		$py -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute(
'PRAGMA wal_checkpoint(TRUNCATE)')" "$peer_db"
		if [ -n "${BENCH_CACHE:-}" ]; then
			cp "$peer_db" "$BENCH_CACHE/peer-$reviews-$units.db"
		fi
	fi
	nport=$(free_port)
	(cd "$peer_dir" && exec node server.js "$nport" "$peer_db") &
	peer_pid=$!
	pids+=("$peer_pid")
	peer_unit=$(printf '%024x' 0)
	wait_http "http://127.0.0.1:$nport/v1/business-units/$peer_unit/reviews"
	peer_list="http://127.0.0.1:$nport/v1/business-units/$peer_unit/reviews"
	peer_bytes=$(curl -sf "$peer_list" | wc -c)
fi
# warm-up of each server (not counted): JIT, page caches, connections;
# the peer's V8 needs longer than 2 s to reach its pace
warm() {
	local s=$1; shift
	wrk -t2 -c"$connections" -d"${s}s" "$@" >/dev/null 2>&1 || true
}
warm 2 "${pub[@]}" "$list"
warm 2 "http://127.0.0.1:$mport/"
[ -z "$peer_pid" ] || warm $((duration * 2 > 4 ? duration * 2 : 4)) \
    "$peer_list"

log "reviewd, reads, each list shape beside its reference"
bench healthz "GET /healthz" "$connections" "$base/healthz"
bench unit "GET /v1/business-units/{id}" "$connections" "${pub[@]}" \
    "$base/v1/business-units/$bu"
bench page1 "public list, page 1 (20/page, $page1_bytes B)" \
    "$connections" "${pub[@]}" "$list"
bench ceiling "bare libmicrohttpd, $page1_bytes B" "$connections" \
    "http://127.0.0.1:$mport/"
bench peer1 "Node peer, page 1 ($peer_bytes B)" "$connections" "$peer_list"
for p in 50 200 500; do
	bench "page$p" "public list, page $p" "$connections" "${pub[@]}" \
	    "$list?page=$p"
	bench "peer$p" "Node peer, page $p" "$connections" "$peer_list?page=$p"
done
bench stars5 "public ?stars=5" "$connections" "${pub[@]}" "$list?stars=5"
bench stars1de "public ?stars=1&language=de" "$connections" "${pub[@]}" \
    "$list?stars=1&language=de"
bench lang "public ?language=it" "$connections" "${pub[@]}" \
    "$list?language=it"
bench resp "public ?responded=false&page=50" "$connections" "${pub[@]}" \
    "$list?responded=false&page=50"
bench cursor "public cursor walk (pageToken, 20/page)" "$connections" \
    "${pub[@]}" -s bench/cursor.lua "$list?perPage=20"
bench psku "public product reviews ?sku=$sku" "$connections" \
    "${pub[@]}" "$base/v1/product-reviews/business-units/$bu/reviews?sku=$sku"
bench priv "private list, page 1" "$connections" "${priv[@]}" "$plist"
bench ptag "private ?tagGroup=generic&tagValue=vip" "$connections" \
    "${priv[@]}" "$plist?tagGroup=generic&tagValue=vip"
bench prsku "private product reviews ?sku=$sku" "$connections" \
    "${priv[@]}" \
    "$base/v1/private/product-reviews/business-units/$bu/reviews?sku=$sku"
bench pdate "private 30-day startDateTime..endDateTime" "$connections" \
    "${priv[@]}" "$plist?startDateTime=$from&endDateTime=$to"
bench psource "private ?source=organic&page=50" "$connections" \
    "${priv[@]}" "$plist?source=organic&page=50"
bench pref "private ?referenceId=$ref" "$connections" "${priv[@]}" \
    "$plist?referenceId=$ref"
bench html "GET /b/{domain} (HTML page)" "$connections" "$base/b/$domain"
bench peer1_end "Node peer, page 1, again after the reads" "$connections" \
    "$peer_list"

reads_rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
log "reviewd, writes"
bench invite "POST email-invitations, 16 clients" 16 \
    -H "Authorization: Bearer $bearer_inv" \
    -H "Content-Type: application/json" -s "$dir/invite.lua" \
    "$base/v1/private/business-units/$bu_inv/email-invitations"
# organic reviews through the public form: each a review waiting for its
# confirmation and the e-mail that asks for it, in one durable write;
# every request from its own address and e-mail
bench organic "POST organic review (public form), 16 clients" 16 \
    -s bench/organic.lua "$base/review/$domain"
# replies to 2,000 of the unit's reviews, each request its own durable
# write (a reply replaced is a write as much as a new one)
curl -sf "${priv[@]}" "$plist?perPage=100&page=[1-20]" |
    $py bench/review_ids.py >"$dir/reply_ids"
export REPLY_IDS="$dir/reply_ids"
bench reply "POST reply, 16 clients" 16 \
    "${priv[@]}" -H "Content-Type: application/json" -s bench/reply.lua \
    "$base"
settle "$pid"
writes_rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
log "fsync ceiling"
read -r fs_rate fs_p50 fs_p99 _ < <($py bench/fsync_ceiling.py \
    "$dir/fsync.db" "$duration" 1)
read -r fs16_rate _ fs16_p99 _ < <($py bench/fsync_ceiling.py \
    "$dir/fsync16.db" "$duration" 16)
# the ceiling is the better of the two ways
fs_best=$(echo "if ($fs16_rate > $fs_rate) $fs16_rate else $fs_rate" | bc)
log "fsync ceiling: $fs_rate commits/s (p99 $fs_p99 ms); 16 writers" \
    "taking turns: $fs16_rate/s, p99 $fs16_p99 ms"

log "CSV upload of $csv_rows rows, due at once"
$py - "$dir/invitations.csv" "$csv_rows" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("email,name,reference,preferredSendTime\n")
    for i in range(int(sys.argv[2])):
        f.write("c%d@example.com,Customer Number %d,REF-%08d,\n" % (i, i, i))
PY
mkdir -p "$dir/mail/new"
mail_before=$(find "$dir/mail/new" -type f | wc -l)
settle "$pid"
csv_start=$(date +%s.%N)
csv_status=$(curl -s -o "$dir/csv.out" -w '%{http_code}' \
    -H "Authorization: Bearer $bearer_csv" -H "Content-Type: text/csv" \
    --data-binary "@$dir/invitations.csv" \
    "$base/v1/private/business-units/$bu_csv/invitations/csv")
csv_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $csv_start" | bc)")
log "CSV: answer $csv_status in $csv_s s"
csv_rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
log "dispatch: watching the maildir for $dispatch_s s, page 1 under load"
# page 1 during the dispatch, against page 1 idle
bench page1_dispatch "public list, page 1, during dispatch" \
    "$connections" "${pub[@]}" "$list" &
wrk_pid=$!
disp_start=$(date +%s.%N)
sent=0
while :; do
	now_s=$(echo "$(date +%s.%N) - $disp_start" | bc)
	sent=$(( $(find "$dir/mail/new" -type f | wc -l) - mail_before ))
	[ "$sent" -ge "$csv_rows" ] && break
	[ "$(echo "$now_s >= $dispatch_s" | bc)" = 1 ] && break
	sleep 0.5
done
disp_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $disp_start" | bc)")
wait "$wrk_pid"
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
if [ "$sent" -ge "$csv_rows" ]; then
	disp_total=$disp_s
else
	disp_total=$(echo "scale=1; $disp_s * $csv_rows / ($sent + 1)" | bc)
fi
log "dispatch: $sent mails in $disp_s s; all $csv_rows: $disp_total s" \
    "$( [ "$sent" -ge "$csv_rows" ] || echo "(extrapolated)")"
kill "$pid"
wait "$pid" || { echo "bench: the daemon exited $?"; cat "$dir/stderr"; }

# the table; the peer's page 1 is the mean of its two runs
peer_ref=
if [ -n "${rate[peer1]:-}" ]; then
	peer_ref=$(echo "(${rate[peer1]} + ${rate[peer1_end]:-${rate[peer1]}}) / 2" | bc -l)
fi
to_ms() {
	awk '{v = $1 + 0; if ($1 ~ /us$/) v /= 1000;
	    else if ($1 ~ /[0-9]s$/ && $1 !~ /ms$/) v *= 1000; print v}' <<<"$1"
}
ratio() {
	awk -v a="$1" -v b="${2:-0}" -v what="$3" 'BEGIN {
	    if (b + 0 > 0) printf "%.2g × %s\n", a / b, what; else print "—" }'
}
machine="$(nproc) cores ($(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')), $(awk '/MemTotal/ {print int($2/1048576)}' /proc/meminfo) GiB, Linux $(uname -r)"
{
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), bench/ of commit $(git rev-parse --short HEAD)"
echo "machine: $machine; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "daemon: $REVIEWD_BIN ($daemon_src)"
echo "command: bench/run.sh $duration $connections $reviews $units (THREADS=$threads)"
echo "database: $(printf '%.0f' "$seed_s") s ($seeded); seed_db.py's phases when it was seeded, [wall s, CPU s]: $seed_secs"
echo "seed_db.py --check: $(head -1 "$dir/check" | sed 's/^check: //')"
echo
echo "| what | reviewd req/s | p50 | p99 | errors | ratio |"
echo "|---|---:|---:|---:|---:|---|"
while IFS='|' read -r tag name r p50 p99v bad; do
	case $tag in
	ceiling|peer*) continue ;;
	page1) ref=$(ratio "$r" "${rate[ceiling]:-}" "ceiling") ;;
	invite|organic|reply) ref=$(ratio "$r" "$fs_best" "fsync ceiling") ;;
	healthz|unit|html|page1_dispatch) ref="" ;;
	*) ref=$(ratio "$r" "$peer_ref" "peer page 1") ;;
	esac
	[ "$tag" = page1_dispatch ] &&
	    ref="p99 $(ratio "$(to_ms "$p99v")" "$(to_ms "${p99[page1]}")" \
	    "idle")"
	echo "| $name | $r | $p50 | $p99v | $bad | $ref |"
done <"$dir/lines"
echo "| CSV upload, $csv_rows rows | answer $csv_status in ${csv_s} s | | | | |"
echo "| $csv_rows due invitations -> maildir | $sent in ${disp_s%.*} s | | | | all: ${disp_total} s |"
echo "| peak RSS (VmHWM) | $((rss / 1024)) MiB (after the reads:" \
    "$((reads_rss / 1024)), the writes: $((writes_rss / 1024)), the CSV:" \
    "$((csv_rss / 1024)) MiB) | | | | |"
echo
echo "| reference | req/s | p50 | p99 | errors |"
echo "|---|---:|---:|---:|---:|"
while IFS='|' read -r tag name r p50 p99v bad; do
	case $tag in ceiling|peer*) echo "| $name | $r | $p50 | $p99v | $bad |" ;;
	esac
done <"$dir/lines"
echo "| fsync ceiling: SQLite WAL synchronous=FULL, one insert per commit, 1 writer | $fs_rate commits/s | $fs_p50 ms | $fs_p99 ms | |"
echo "| the same, 16 writers taking turns (no busy sleep) | $fs16_rate commits/s | | $fs16_p99 ms | |"
echo "(writes' ratio: to the better of the two fsync lines, $fs_best/s)"
if [ -z "$peer_pid" ]; then echo "(Node peer skipped: SKIP_PEER=1)"; fi
} | tee "$dir/table"
cp "$dir/table" "${BENCH_TABLE:-/dev/null}" 2>/dev/null || true

# issue 17: the same data on PostgreSQL, 1 and 2 daemons, as ratios to one
# daemon on SQLite measured in the same step (bench/pg.py says how)
if [ "${SKIP_PG:-0}" != 1 ]; then
	log "the PostgreSQL line (bench/pg.py; SKIP_PG=1 skips it)"
	for p in "${pids[@]}"; do	# the references: idle, but not gone
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	pids=()
	echo
	echo "PostgreSQL line: bench/pg.py $duration $reviews $units"
	BENCH_SEED_DB=$pg_seed BENCH_SEED_JSON=$dir/seed.json \
	    REVIEWD_BIN=$REVIEWD_BIN $py bench/pg.py "$duration" "$reviews" \
	    "$units" | tee -a "$dir/table" ||
	    echo "(the PostgreSQL line failed: see above)" | tee -a "$dir/table"
	cp "$dir/table" "${BENCH_TABLE:-/dev/null}" 2>/dev/null || true
fi
