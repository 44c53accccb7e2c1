#!/usr/bin/env bash
# Benchmark: HTTP ingestion latency at a fixed offered rate (open loop), beside the same
# requests sent to a path the server answers without any work (the fallback). The client
# (crates/server/examples/open_loop.rs) sends on schedule whatever the server does and times
# each request from when it was due, so a slow server cannot hide its queue from the p99 as a
# closed-loop client does. Events are stamped "now" (minus 0..SKEW_MS). Run from the repo root:
#   cargo build --release -p lodestar -p lodestar-server --example open_loop && bench/ingest_open_loop.sh
# RATE is requests per second of 100 events (500 = 50,000 events/s), SECONDS each run's length.
set -euo pipefail
rate=${RATE:-500}
seconds=${SECONDS_EACH:-20}
skew=${SKEW_MS:-0}
bin=${BIN:-target/release/lodestar}
client=${CLIENT:-target/release/examples/open_loop}
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%FT%TZ); rate $rate req/s, skew ${skew} ms"
$bin --db "sqlite://$work/bench.db" demo --accounts 1000 --seed 42 --no-usage >/dev/null
key=$($bin --db "sqlite://$work/bench.db" writekey create --name bench 2>/dev/null)
$bin --db "sqlite://$work/bench.db" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
printf '%-40s ' "POST /nowhere (fallback, no work)"
$client "$url/nowhere" "$key" "$rate" "$seconds" 100 "$skew"
sleep 2
printf '%-40s ' "POST /v1/batch (100 events, committed)"
$client "$url/v1/batch" "$key" "$rate" "$seconds" 100 "$skew"
echo "stored: $(python3 -c "import sqlite3; print(sqlite3.connect('$work/bench.db').execute('select coalesce(sum(events), 0) from usage_event_blocks').fetchone()[0])") events"
