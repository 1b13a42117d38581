#!/bin/bash
# Load test of the read paths against a real daemon on loopback, with wrk.
# Not run by CI: numbers depend on the machine. Usage:
#   bench/run.sh [DURATION_S] [CONNECTIONS] [REVIEWS]
# Prints one line per endpoint: requests/s, latency p50/p99, and the
# daemon's peak RSS. Record results in bench/RESULTS.md with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
reviews=${3:-1000}
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)"; exit 1; }
make -s all
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$((20000 + RANDOM % 20000))
cat > "$dir/reviewd.ini" <<INI
[server]
listen = 127.0.0.1:$port
threads = ${THREADS:-4}
max_connections = 4096
[database]
path = $dir/reviewd.db
[mail]
maildir = $dir/mail
[admin]
token = bench-admin-token
[log]
level = warn
INI
build/reviewd --config "$dir/reviewd.ini" serve 2>"$dir/stderr" &
pid=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
	sleep 0.1
done
read -r bu key domain < <(/usr/bin/python3 bench/seed.py \
    "http://127.0.0.1:$port" bench-admin-token build/reviewd \
    "$dir/reviewd.ini" "$reviews" "$dir/mail")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)}' /proc/meminfo) GiB, $(uname -r)"
echo "daemon: threads=${THREADS:-4}, $reviews published reviews; wrk: ${duration}s, $connections connections, 2 threads"
run() {
	local name=$1; shift
	local out
	out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@")
	printf '%-34s %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$name" \
	    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
	    "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
	    "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
	    "$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)"
}
base="http://127.0.0.1:$port"
run "GET /healthz" "$base/healthz"
run "GET /v1/business-units/{id}" -H "apikey: $key" "$base/v1/business-units/$bu"
run "GET /v1/business-units/{id}/reviews" -H "apikey: $key" "$base/v1/business-units/$bu/reviews"
run "GET .../reviews?stars=5&perPage=100" -H "apikey: $key" "$base/v1/business-units/$bu/reviews?stars=5&perPage=100"
run "GET /b/{domain} (HTML page)" "$base/b/$domain"
echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
