#!/bin/bash
# The list shapes of bench/run.sh for two builds side by side in one run
# (issue 13, goal 2): BASE and HEAD each serve their own copy of the same
# seeded database (BENCH_CACHE, as bench/run.sh keeps it), and each shape
# is measured on BASE then at once on HEAD, so both see the same load on a
# shared machine. Prints req/s, each run's p99, the daemon's CPU time per
# request (less sensitive than req/s to what else the machine runs) and
# HEAD / BASE of both. Usage:
#   bench/lists.sh BASE_BIN HEAD_BIN [DURATION_S] [CONNECTIONS] [SHAPES]
# defaults 5 s, 64 connections, every shape (SHAPES: comma-separated tags
# of the lines below, e.g. ptag,psource). Environment: BENCH_CACHE (default
# /var/tmp/reviewd-bench-cache), REVIEWS and UNITS (default 1000000 and
# 100: the cached database's size), THREADS (default 4), ROUNDS (default
# 2: each shape runs BASE, HEAD, then HEAD, BASE, ... and the rates are
# the means), DB (a copy of the cached database that BASE already
# migrated, to skip the older migrations on both). Needs wrk and a
# database cached by bench/run.sh (BENCH_CACHE=... bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 2; }
base_bin=$(readlink -f "$1")
head_bin=$(readlink -f "$2")
duration=${3:-5}
connections=${4:-64}
only=${5:-}
cache=${BENCH_CACHE:-/var/tmp/reviewd-bench-cache}
reviews=${REVIEWS:-1000000}
units=${UNITS:-100}
threads=${THREADS:-4}
rounds=${ROUNDS:-2}
py=/usr/bin/python3
src=$cache/reviewd-$reviews-$units
[ -f "$src.db" ] || { echo "lists: no $src.db (run bench/run.sh with" \
    "BENCH_CACHE=$cache first)"; exit 1; }
dir=$(mktemp -d /var/tmp/reviewd-lists.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
log() { echo "lists: $*" >&2; }
free_port() {
	$py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}
wait_http() {
	for _ in $(seq 3000); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "lists: $1 did not answer"; exit 1
}
settle() {
	local a b
	for _ in $(seq 120); do
		a=$(awk '{print $14 + $15}' "/proc/$1/stat")
		sleep 0.5
		b=$(awk '{print $14 + $15}' "/proc/$1/stat")
		[ $((b - a)) -le 2 ] && return 0
	done
}

eval "$($py - "$src.json" <<'PY'
import json, sys, time
info = json.load(open(sys.argv[1]))
t = info["tenants"][0]
mid = (info["from_ms"] + info["to_ms"]) // 2 / 1000
iso = lambda s: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
for k, v in (("bu", t["unit"]), ("key", t["key"]), ("secret", t["secret"]),
             ("sku", info["skus"][3]), ("from", iso(mid)),
             ("to", iso(mid + 30 * 86400))):
    print("%s='%s'" % (k, v))
PY
)"

# start NAME BIN: a daemon on its own copy; sets port_NAME, pid_NAME
start() {
	local name=$1 bin=$2 port
	port=$(free_port)
	log "$name: copying the database"
	cp "${DB:-$src.db}" "$dir/$name.db"
	cat > "$dir/$name.ini" <<INI
[server]
listen = 127.0.0.1:$port
threads = $threads
max_connections = 4096
max_connections_per_ip = 0
connection_timeout_s = 600
[database]
path = $dir/$name.db
[mail]
maildir = $dir/mail-$name
[admin]
token = bench-admin-token-0123456789
[auth]
token_requests_per_minute = 100000
[ratelimit]
app_per_minute = 0
address_per_minute = 0
[log]
level = warn
INI
	"$bin" --config "$dir/$name.ini" serve 2>"$dir/$name.stderr" &
	pids+=("$!")
	eval "pid_$name=$!; port_$name=$port"
	log "$name: migrating and starting"
	wait_http "http://127.0.0.1:$port/healthz"
}
start base "$base_bin"
start head "$head_bin"
token() {
	curl -sf -u "$key:$secret" -d grant_type=client_credentials \
	    "http://127.0.0.1:$1/v1/oauth/oauth-business-users-for-applications/accesstoken" |
	    $py -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
bearer_base=$(token "$port_base")
bearer_head=$(token "$port_head")


# one wrk run against daemon NAME: "req/s p99 errors CPU-us-per-request"
run() {
	local name=$1 kind=$2 path=$3; shift 3
	local port pid auth out t0 t1 n
	eval "port=\$port_$name; pid=\$pid_$name"
	if [ "$kind" = priv ]; then
		eval "auth=\"Authorization: Bearer \$bearer_$name\""
	else
		auth="apikey: $key"
	fi
	settle "$pid"
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	out=$(wrk -t2 -c"$connections" -d"${duration}s" --timeout 30s \
	    --latency -H "$auth" "$@" "http://127.0.0.1:$port$path" 2>&1)
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
	    "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
	    "$( (awk '/Non-2xx/ {print $NF}' <<<"$out"; echo 0) |
	    awk '{s += $1} END {print s}')" \
	    "$(echo "($t1 - $t0) * 1000000 / $(getconf CLK_TCK) / ($n + 1)" |
	    bc -l)"
}
list=/v1/business-units/$bu/reviews
plist=/v1/private/business-units/$bu/reviews
shapes=(
	"page1|pub|public list, page 1|$list"
	"page200|pub|public list, page 200|$list?page=200"
	"stars5|pub|public ?stars=5|$list?stars=5"
	"stars1de|pub|public ?stars=1&language=de|$list?stars=1&language=de"
	"resp|pub|public ?responded=false&page=50|$list?responded=false&page=50"
	"cursor|pub|public cursor walk (pageToken, 20/page)|$list?perPage=20"
	"psku|pub|public product reviews ?sku=$sku|/v1/product-reviews/business-units/$bu/reviews?sku=$sku"
	"priv|priv|private list, page 1|$plist"
	"ptag|priv|private ?tagGroup=generic&tagValue=vip|$plist?tagGroup=generic&tagValue=vip"
	"ptag10|priv|private ?tagGroup=generic&tagValue=vip&page=10|$plist?tagGroup=generic&tagValue=vip&page=10"
	"pgroup|priv|private ?tagGroup=generic|$plist?tagGroup=generic"
	"pvalue|priv|private ?tagValue=VIP&ignoreTagValueCase=true|$plist?tagValue=VIP&ignoreTagValueCase=true"
	"prsku|priv|private product reviews ?sku=$sku|/v1/private/product-reviews/business-units/$bu/reviews?sku=$sku"
	"pdate|priv|private 30-day startDateTime..endDateTime|$plist?startDateTime=$from&endDateTime=$to"
	"psource|priv|private ?source=organic&page=50|$plist?source=organic&page=50"
	"pcursor|priv|private cursor walk (pageToken, 20/page)|$plist?perPage=20"
)
printf '%-44s %8s %-19s %7s %8s %-19s %7s %-6s %s\n' shape "base r/s" \
    "base p99s" "us/req" "head r/s" "head p99s" "us/req" "r/s" "us/req"
for line in "${shapes[@]}"; do
	IFS='|' read -r tag kind name path <<<"$line"
	if [ -n "$only" ] && [[ ",$only," != *",$tag,"* ]]; then
		continue
	fi
	extra=()
	[[ $tag != *cursor ]] || extra=(-s bench/cursor.lua)
	br=0 hr=0 be=0 he=0 bp= hp= bc=0 hc=0
	for i in $(seq "$rounds"); do
		for who in $( ((i % 2)) && echo base head || echo head base)
		do
			read -r r p e c < <(run "$who" "$kind" "$path" \
			    "${extra[@]}")
			if [ "$who" = base ]; then
				br=$(echo "$br + $r / $rounds" | bc -l)
				bc=$(echo "$bc + $c / $rounds" | bc -l)
				be=$((be + e)) bp="$bp $p"
			else
				hr=$(echo "$hr + $r / $rounds" | bc -l)
				hc=$(echo "$hc + $c / $rounds" | bc -l)
				he=$((he + e)) hp="$hp $p"
			fi
		done
	done
	printf '%-44s %8.0f %-19s %7.0f %8.0f %-19s %7.0f %5.2f× %5.2f×%s\n' \
	    "$name" "$br" "$bp" "$bc" "$hr" "$hp" "$hc" \
	    "$(echo "$hr / $br" | bc -l)" "$(echo "$hc / $bc" | bc -l)" \
	    "$( [ "$be$he" = 00 ] || echo " (errors: base $be, head $he)")"
done
