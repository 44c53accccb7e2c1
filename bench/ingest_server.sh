# Sourced by the ingestion benchmarks: starts `$bin serve` on a fresh database with 1,000 demo
# accounts (no usage) and a write key, on a random loopback port; sets `work`, `db`, `url`,
# `key` and `server`, and stops the server and removes the files (and the database) on exit.
# The database is SQLite unless DB names a PostgreSQL server (DB=postgres://postgres@127.0.0.1:5432/test):
# then a fresh database is created on that server for the run and dropped after it.
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"
source "$(dirname "${BASH_SOURCE[0]}")/bench_db.sh"
bench_db_create
$bin --db "$db" demo --accounts 1000 --seed 42 --no-usage >/dev/null
key=$($bin --db "$db" writekey create --name bench 2>/dev/null)
$bin --db "$db" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; bench_db_drop; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# The events the runs stored, read from the database.
stored_events() {
  bench_db_query 'select coalesce(sum(events), 0) from usage_event_blocks'
}

# The events acknowledged but not yet applied by the follower, read from the database.
pending_events() {
  bench_db_query 'select coalesce(sum(b.events), 0) from usage_block_queue q join usage_event_blocks b on b.id = q.block_id'
}

# Prints the follower's backlog when a run ends and how long it takes to apply it: a follower
# that keeps up leaves next to nothing.
report_backlog() {
  local start pending
  start=$(date +%s.%N)
  pending=$(pending_events)
  while [ "$(pending_events)" -gt 0 ]; do sleep 0.1; done
  printf 'follower: %s events not yet applied when the run ended, all applied %.1f s later\n' "$pending" \
    "$(echo "$(date +%s.%N) - $start" | bc -l)"
}
