#!/usr/bin/env bash
# Benchmark: `lodestar import events` of a Segment-format NDJSON file into SQLite (with
# rollups), side by side in one run with (a) the same command with --check (read and parse
# every line, write nothing) and (b) DuckDB loading the file with read_json into a table and
# grouping it by account and day, and (c) SQLite alone doing the core of the work in C
# (bench/sqlite_floor.py). Run from the repo root:
#   cargo build --release -p lodestar && bench/import_events.sh 3000000
# Needs python3 with duckdb (pip install duckdb; set PYTHON to that interpreter).
set -euo pipefail
events=${1:-3000000}
python=${PYTHON:-python3}
bin=target/release/lodestar
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"
python3 bench/events_file.py "$events" > "$work/events.ndjson"
echo "file: $events events, $(du -m "$work/events.ndjson" | cut -f1) MB"
$bin --db "sqlite://$work/lodestar.db" demo --accounts 1000 --seed 42 --no-usage >/dev/null

measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>&1
  read -r seconds kb < "$work/time"
  printf '%-48s %7.2f s  %9.0f events/s  peak %5d MB\n' "$name" "$seconds" \
    "$(echo "$events / $seconds" | bc -l)" "$((kb / 1024))"
}

measure "lodestar import events --check (parse only)" $bin --db "sqlite://$work/lodestar.db" import events "$work/events.ndjson" --check
cat > "$work/duck.py" <<PY
import duckdb
con = duckdb.connect("$work/duck.db")
con.execute("CREATE TABLE events AS SELECT * FROM read_json('$work/events.ndjson', format='newline_delimited')")
con.execute("CREATE TABLE daily AS SELECT context.groupId AS account, CAST(timestamp AS DATE) AS day, "
            "COUNT(*) AS events, COUNT(DISTINCT userId) AS users FROM events GROUP BY ALL")
PY
measure "duckdb read_json + group by account, day" "$python" "$work/duck.py"
measure "lodestar import events (stored + rollups)" $bin --db "sqlite://$work/lodestar.db" import events "$work/events.ndjson"
tail -n 1 "$work/out"
echo "SQLite alone, in C (bench/sqlite_floor.py):"
python3 bench/sqlite_floor.py "$events"
