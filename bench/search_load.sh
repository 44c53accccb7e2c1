#!/usr/bin/env bash
# Benchmark: free-text search at 100,000 demo accounts on SQLite under 32 concurrent
# connections on loopback — the accounts list's `q` (before F-07 a scan of the accounts
# table) and `GET /api/v1/search` — beside /healthz on the same server in the same run. Also
# times the demo load, which now fills the search index through its triggers.
# Run from the repo root (BIN picks another binary, e.g. one built from an older commit):
#   cargo build --release -p lodestar && bench/search_load.sh
set -euo pipefail
accounts=${ACCOUNTS:-100000}
duration=${DURATION:-20s}
bin=${BIN:-target/release/lodestar}
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; wrk $(wrk --version 2>&1 | head -n1 | cut -d' ' -f2); $bin"
/usr/bin/time -f "lodestar demo --accounts $accounts: %e s wall, peak %M KB" \
  $bin --db "sqlite://$work/bench.db" demo --accounts "$accounts" --seed 42 >/dev/null
$bin --db "sqlite://$work/bench.db" serve --demo --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
token=$(grep -o 'lst_[A-Za-z0-9_-]*' "$work/serve.log" | head -n 1)

run() {
  local name=$1 path=$2
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url$path")
  if [ "$status" != 200 ]; then
    printf '%-62s (answers %s: not in this build)\n' "$name" "$status"
    return
  fi
  local out p50 p99 rps errors
  out=$(wrk -t2 -c32 -d"$duration" --latency -H "Authorization: Bearer $token" "$url$path")
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf '%-62s p50 %-9s p99 %-9s %10s req/s  non-2xx: %s\n' "$name" "$p50" "$p99" "$rps" "${errors:-0}"
  sleep 2
}

# How many accounts each list query matches, for the record.
for q in "cloud" "north" "northwind"; do
  n=$(curl -fs -H "Authorization: Bearer $token" "$url/api/v1/accounts?q=$q&limit=500" | grep -o '"external_id"' | wc -l)
  echo "q=$q: $n accounts on the first page of 500"
done
run "GET /healthz (baseline)" "/healthz"
# The request measured as a scan before F-07 (BENCHMARKS.md, "HTTP: lists …").
run "GET /api/v1/accounts?q=cloud&renewal_within_days=90" "/api/v1/accounts?q=cloud&renewal_within_days=90&limit=50"
run "GET /api/v1/accounts?q=north (a word's beginning, by name)" "/api/v1/accounts?q=north&limit=50"
run "GET /api/v1/accounts?q=northwind+sys&sort=-arr" "/api/v1/accounts?q=northwind+sys&sort=-arr&limit=50"
run "GET /api/v1/search?q=cloud" "/api/v1/search?q=cloud"
run "GET /api/v1/search?q=northwind+sys" "/api/v1/search?q=northwind+sys"
