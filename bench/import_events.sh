#!/usr/bin/env bash
# Benchmark: `lodestar import events` of a Segment-format NDJSON file into SQLite (with
# rollups), side by side in one run with (a) the same command with --check (read and parse
# every line, write nothing) and (b) DuckDB loading the file with read_json into a table and
# grouping it by account and day, and (c) SQLite alone doing the core of the work in C
# (bench/sqlite_floor.py). Run from the repo root:
#   cargo build --release -p lodestar && bench/import_events.sh 3000000
# Needs python3 with duckdb (pip install duckdb; set PYTHON to that interpreter). BIN names
# another lodestar binary to measure (a build of an earlier commit, say); BEFORE names one to
# measure in the same run, on a database of its own, for a before/after in one run; FLOOR=0
# leaves out the SQLite floor. DB=postgres://postgres@127.0.0.1:5432/test imports into fresh
# PostgreSQL databases on that server instead of SQLite files.
set -euo pipefail
events=${1:-3000000}
python=${PYTHON:-python3}
bin=${BIN:-target/release/lodestar}
work=$(mktemp -d)
source "$(dirname "$0")/bench_db.sh"
trap 'bench_db_drop; rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"
# EVENTS_FILE keeps the file between runs (it is written when missing).
file=${EVENTS_FILE:-$work/events.ndjson}
[ -s "$file" ] || python3 bench/events_file.py "$events" > "$file"
echo "file: $events events, $(du -m "$file" | cut -f1) MB"
bench_db_create lodestar
lodestar_db=$db
echo "database: ${lodestar_db%%:*}"
$bin --db "$lodestar_db" demo --accounts 1000 --seed 42 --no-usage >/dev/null
if [ -n "${BEFORE:-}" ]; then
  bench_db_create before
  before_db=$db
  $BEFORE --db "$before_db" demo --accounts 1000 --seed 42 --no-usage >/dev/null
fi

measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>&1
  read -r seconds kb < "$work/time"
  last_seconds=$seconds
  printf '%-48s %7.2f s  %9.0f events/s  peak %5d MB\n' "$name" "$seconds" \
    "$(echo "$events / $seconds" | bc -l)" "$((kb / 1024))"
}

measure "lodestar import events --check (parse only)" $bin --db "$lodestar_db" import events "$file" --check
cat > "$work/duck.py" <<PY
import duckdb
con = duckdb.connect("$work/duck.db")
con.execute("CREATE TABLE events AS SELECT * FROM read_json('$file', format='newline_delimited')")
con.execute("CREATE TABLE daily AS SELECT context.groupId AS account, CAST(timestamp AS DATE) AS day, "
            "COUNT(*) AS events, COUNT(DISTINCT userId) AS users FROM events GROUP BY ALL")
PY
measure "duckdb read_json + group by account, day" "$python" "$work/duck.py"
duck_seconds=$last_seconds
measure "lodestar import events (stored + rollups)" $bin --db "$lodestar_db" import events "$file"
tail -n 1 "$work/out"
import_seconds=$last_seconds
if [ -n "${BEFORE:-}" ]; then
  measure "the same with \$BEFORE" $BEFORE --db "$before_db" import events "$file"
  tail -n 1 "$work/out"
fi
echo "import / duckdb: $(echo "scale=2; $import_seconds / $duck_seconds" | bc -l)x"
if [ "${FLOOR:-1}" != 0 ]; then
  echo "SQLite alone, in C (bench/sqlite_floor.py):"
  python3 bench/sqlite_floor.py "$events"
fi
