#!/usr/bin/env bash
# Benchmark: `lodestar demo --accounts N` into SQLite, side by side with raw SQLite prepared
# inserts of the very same rows, and with `lodestar restore` of them. Run from the repo root:
#   cargo build --release -p lodestar && bench/demo_load.sh 100000
set -euo pipefail
accounts=${1:-100000}
bin=target/release/lodestar
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
start=$(date +%s.%N)
$bin --db "sqlite://$work/demo.db" demo --accounts "$accounts" --seed 42 --today 2026-11-25 --no-usage
end=$(date +%s.%N)
echo "lodestar demo: $(echo "$end - $start" | bc) s wall (incl. process start, migration, generation)"

$bin --db "sqlite://$work/demo.db" backup "$work/demo.backup" >/dev/null
$bin --db "sqlite://$work/raw.db" migrate >/dev/null
python3 bench/raw_sqlite_load.py "$work/demo.backup" "$work/raw.db"

$bin --db "sqlite://$work/restored.db" migrate >/dev/null
start=$(date +%s.%N)
$bin --db "sqlite://$work/restored.db" restore "$work/demo.backup"
end=$(date +%s.%N)
echo "lodestar restore: $(echo "$end - $start" | bc) s wall (incl. reading and parsing the backup)"
