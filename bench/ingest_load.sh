#!/usr/bin/env bash
# Benchmark: HTTP ingestion of 100-event batches (POST /v1/batch) over loopback with 32
# connections, side by side in the same run with the same requests sent to a path the server
# answers without any work (the 404 fallback): what HTTP and wrk alone cost. Run from the
# repo root:   cargo build --release -p lodestar && bench/ingest_load.sh  (BIN names another binary)
set -euo pipefail
duration=${DURATION:-20s}
bin=${BIN:-target/release/lodestar}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; wrk $(wrk --version 2>&1 | head -n1 | cut -d' ' -f2); $(date -u +%F)"
source "$(dirname "$0")/ingest_server.sh"
auth=$(printf '%s:' "$key" | base64 -w0)

run() {
  local name=$1 path=$2 out p50 p99 rps
  out=$(wrk -t2 -c32 -d"$duration" --latency -s bench/ingest_load.lua "$url" -- "$auth" "$path")
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  printf '%-44s p50 %-9s p99 %-9s %9s req/s = %10.0f events/s  non-2xx: %s\n' "$name" "$p50" "$p99" "$rps" \
    "$(echo "$rps * 100" | bc -l)" "$(echo "$out" | awk '/Non-2xx/ {print $5}')"
}
run "POST /nowhere (404 fallback, no work)" /nowhere
sleep 2
run "POST /v1/batch (100 events, committed)" /v1/batch
report_backlog
echo "stored: $(stored_events) events"
