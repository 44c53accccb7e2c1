#!/usr/bin/env bash
# Benchmark: with 100,000 demo accounts on SQLite, the accounts list endpoint (filter + sort +
# page) and the account page under 32 concurrent connections on loopback, side by side with
# /healthz on the same server in the same run. Run from the repo root:
#   cargo build --release -p lodestar && bench/http_load.sh
set -euo pipefail
accounts=${ACCOUNTS:-100000}
duration=${DURATION:-20s}
bin=target/release/lodestar
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; wrk $(wrk --version 2>&1 | head -n1 | cut -d' ' -f2)"
$bin --db "sqlite://$work/bench.db" demo --accounts "$accounts" --seed 42 >/dev/null
$bin --db "sqlite://$work/bench.db" serve --demo --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
token=$(grep -o 'lst_[A-Za-z0-9_-]*' "$work/serve.log" | head -n 1)
password=$(sed -n 's/^Sign in as .* with the password //p' "$work/serve.log")
curl -fs -c "$work/jar" -o /dev/null -H "Origin: $url" --data-urlencode "email=admin@lodestar.demo" \
  --data-urlencode "password=$password" "$url/sign-in"
cookie=$(awk '/lodestar_session/ {print "lodestar_session=" $7}' "$work/jar")
# A mid-sized account in the middle of the id range.
account=$((accounts / 2))

run() {
  local name=$1; shift
  local out
  out=$(wrk -t2 -c32 -d"$duration" --latency "$@")
  local p50 p99 rps
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local errors
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf '%-58s p50 %-9s p99 %-9s %10s req/s  non-2xx: %s\n' "$name" "$p50" "$p99" "$rps" "${errors:-0}"
}

# Fast paths first; the full-scan search and the HTML list last, with a pause between runs
# so requests still finishing from one run do not land in the next.
run "GET /healthz (baseline)" "$url/healthz"
sleep 2
run "GET /api/v1/accounts?tier=enterprise&sort=-arr&limit=50" -H "Authorization: Bearer $token" \
  "$url/api/v1/accounts?tier=enterprise&sort=-arr&limit=50"
sleep 2
run "GET /accounts/$account (account page, HTML)" -H "Cookie: $cookie" "$url/accounts/$account"
sleep 2
# The demo gives the first 1,000 accounts about 180 days of product usage.
run "GET /accounts/500 (account page with usage, HTML)" -H "Cookie: $cookie" "$url/accounts/500"
sleep 2
run "GET /accounts?tier=mid_tier&sort=-arr (list page, HTML)" -H "Cookie: $cookie" "$url/accounts?tier=mid_tier&sort=-arr"
sleep 2
run "GET /api/v1/accounts?q=cloud&renewal_within_days=90 (scan)" -H "Authorization: Bearer $token" \
  "$url/api/v1/accounts?q=cloud&renewal_within_days=90&limit=50"
