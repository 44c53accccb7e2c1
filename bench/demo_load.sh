#!/usr/bin/env bash
# Benchmark: `lodestar demo --accounts N` into SQLite — the full default demo (records, product
# usage, health inputs and twelve weeks of score history, reviews), then the records alone
# (`--no-usage`) — side by side with raw SQLite prepared inserts of the very same rows (every
# table of the loaded database, from its backup) and with `lodestar restore` of them. Wall
# time and peak memory (max RSS) from /usr/bin/time. Run from the repo root:
#   cargo build --release -p lodestar && bench/demo_load.sh 100000
set -euo pipefail
accounts=${1:-100000}
bin=target/release/lodestar
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# label, command…: runs the command, then prints its wall time and peak memory.
timed() {
    local label=$1
    shift
    /usr/bin/time -f "$label: %e s wall, peak %M KB" "$@"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
timed "lodestar demo (full)" \
    $bin --db "sqlite://$work/demo.db" demo --accounts "$accounts" --seed 42 --today 2026-11-25

$bin --db "sqlite://$work/demo.db" backup "$work/demo.backup"
$bin --db "sqlite://$work/raw.db" migrate >/dev/null
python3 bench/raw_sqlite_load.py "$work/demo.backup" "$work/raw.db"

$bin --db "sqlite://$work/restored.db" migrate >/dev/null
timed "lodestar restore (incl. reading and parsing the backup)" \
    $bin --db "sqlite://$work/restored.db" restore "$work/demo.backup"
rm -f "$work"/raw.db* "$work"/restored.db* "$work/demo.backup"

timed "lodestar demo --no-usage (records only)" \
    $bin --db "sqlite://$work/records.db" demo --accounts "$accounts" --seed 42 --today 2026-11-25 --no-usage
$bin --db "sqlite://$work/records.db" backup "$work/records.backup"
$bin --db "sqlite://$work/raw.db" migrate >/dev/null
python3 bench/raw_sqlite_load.py "$work/records.backup" "$work/raw.db"
