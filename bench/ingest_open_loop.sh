#!/usr/bin/env bash
# Benchmark: HTTP ingestion latency at a fixed offered rate (open loop), beside the same
# requests sent to a path the server answers without any work (the fallback). The client
# (crates/server/examples/open_loop.rs) sends on schedule whatever the server does and times
# each request from when it was due, so a slow server cannot hide its queue from the p99 as a
# closed-loop client does. Events are stamped "now" (minus 0..SKEW_MS). Run from the repo root:
#   cargo build --release -p lodestar && cargo build --release -p lodestar-server --example open_loop && bench/ingest_open_loop.sh
#   (two commands: `--example` with both packages builds the example alone)
# RATE is requests per second of 100 events (500 = 50,000 events/s), SECONDS each run's length.
set -euo pipefail
rate=${RATE:-500}
seconds=${SECONDS_EACH:-20}
skew=${SKEW_MS:-0}
bin=${BIN:-target/release/lodestar}
client=${CLIENT:-target/release/examples/open_loop}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%FT%TZ); rate $rate req/s, skew ${skew} ms"
source "$(dirname "$0")/ingest_server.sh"
printf '%-40s ' "POST /nowhere (fallback, no work)"
$client "$url/nowhere" "$key" "$rate" "$seconds" 100 "$skew"
sleep 2
printf '%-40s ' "POST /v1/batch (100 events, committed)"
$client "$url/v1/batch" "$key" "$rate" "$seconds" 100 "$skew"
report_backlog
echo "stored: $(stored_events) events"
