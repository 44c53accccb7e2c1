#!/usr/bin/env bash
# Benchmark: revenue retention and retention curves (F-63, F-64) for ACCOUNTS accounts with five
# years of monthly subscription rows (bench/subscriptions_file.py), on SQLite and PostgreSQL —
# `GET /api/v1/revenue/retention` (a year by tier, quarterly series), `/survival?by=industry`
# and `/sticky-drivers` on a running server — each beside the floor of the same run: reading
# the rows the report reads (`mrr_movements`, ordered by account and day) with the database's
# own client, and a retention computed in SQL alone over the raw subscription rows.
# Run from the repo root (BIN picks another binary; PG_URL an empty PostgreSQL database, into
# which the same files are imported and the same calls timed):
#   cargo build --release -p lodestar && bench/revenue.sh
set -euo pipefail
accounts=${ACCOUNTS:-100000}
bin=${BIN:-target/release/lodestar}
pg=${PG_URL:-}
# WORK keeps the files and the SQLite database in a directory of yours (it must be empty).
work=${WORK:-$(mktemp -d)}
trap 'kill -TERM ${server:-0} 2>/dev/null || true; [ -n "${WORK:-}" ] || rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $bin; $(date -u +%FT%TZ)"
python3 bench/subscriptions_file.py "$accounts" "$work"
db="sqlite://$work/bench.db"
# Both imports timed, on each database: wall time and the CLI's peak resident memory.
import_into() {
  local label=$1 url=$2
  /usr/bin/time -f "$label import accounts: %e s wall, peak %M KB" \
    $bin --db "$url" import accounts "$work/accounts.csv" >/dev/null
  /usr/bin/time -f "$label import subscriptions: %e s wall, peak %M KB" \
    $bin --db "$url" import subscriptions "$work/subscriptions.csv"
}
import_into sqlite "$db"

# The median of five calls, in seconds (the first call also warms the page cache); a call
# answered with anything but 200 shows as "HTTP <code>" instead of a time.
timed() {
  local url=$1 token=$2 out code t times=()
  for _ in 1 2 3 4 5; do
    out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $token" "$url")
    read -r code t <<<"$out"
    if [ "$code" != 200 ]; then
      echo "HTTP $code"
      return
    fi
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}

serve_and_measure() {
  local label=$1 url=$2
  local port=$((20000 + RANDOM % 20000))
  local log="$work/serve-$label.log"
  $bin --db "$url" serve --listen "127.0.0.1:$port" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  # A server started on a fresh import runs the day's scheduled jobs first (the daily rescore
  # of every account: 3–10 s at 100,000 accounts); time the reports after them, not beside them.
  local waited=0
  sleep 1
  while [ "$(grep -c 'job done' "$log")" -lt "$(grep -c 'scheduled run enqueued' "$log")" ] && [ $waited -lt 300 ]; do
    sleep 1
    waited=$((waited + 1))
  done
  echo "$label: start-up jobs done after ${waited} s more"
  local token
  token=$($bin --db "$url" token create --name bench --role leader | grep -o 'lst_[A-Za-z0-9_-]*')
  local api="http://127.0.0.1:$port/api/v1/revenue"
  printf '%-12s %-58s %8s s\n' "$label" "GET /healthz (baseline)" "$(timed "http://127.0.0.1:$port/healthz" "$token")"
  printf '%-12s %-58s %8s s\n' "$label" "retention 2025-12-01..2026-12-01 by tier, quarterly" \
    "$(timed "$api/retention?from=2025-12-01&to=2026-12-01&by=tier&step=quarter" "$token")"
  printf '%-12s %-58s %8s s\n' "$label" "retention 2021-12-01..2026-12-01 by cohort, monthly" \
    "$(timed "$api/retention?from=2021-12-01&to=2026-12-01&by=cohort&step=month" "$token")"
  printf '%-12s %-58s %8s s\n' "$label" "survival by industry" "$(timed "$api/survival?by=industry" "$token")"
  printf '%-12s %-58s %8s s\n' "$label" "sticky drivers, first 90 days" "$(timed "$api/sticky-drivers?days=90" "$token")"
  kill -TERM $server; wait $server 2>/dev/null || true
}

sqlite3 "$work/bench.db" "SELECT count(*) || ' subscription rows' FROM subscriptions; SELECT count(*) || ' MRR movements' FROM mrr_movements;"
serve_and_measure sqlite "$db"
floor_sql="SELECT account_id, effective_date, kind, mrr_after_cents FROM mrr_movements ORDER BY account_id, effective_date, id"
naive_sql="SELECT SUM(CASE WHEN start_date <= '2025-12-01' AND (end_date IS NULL OR end_date > '2025-12-01') THEN mrr_cents ELSE 0 END), \
  SUM(CASE WHEN start_date <= '2026-12-01' AND (end_date IS NULL OR end_date > '2026-12-01') THEN mrr_cents ELSE 0 END) FROM subscriptions"
/usr/bin/time -f "sqlite       floor: sqlite3 reads the movements in index order          %e s" \
  sqlite3 "$work/bench.db" "$floor_sql" >/dev/null
/usr/bin/time -f "sqlite       SQL alone: both days' MRR over every subscription row      %e s" \
  sqlite3 "$work/bench.db" "$naive_sql" >/dev/null

if [ -n "$pg" ]; then
  # The same files imported into PostgreSQL the same way (PG_URL names an empty database).
  import_into postgres "$pg"
  psql -qtA "$pg" -c "SELECT count(*) || ' subscription rows' FROM subscriptions" \
    -c "SELECT count(*) || ' MRR movements' FROM mrr_movements" -c "ANALYZE"
  serve_and_measure postgres "$pg"
  /usr/bin/time -f "postgres     floor: psql reads the movements in index order             %e s" \
    psql -q "$pg" -c "$floor_sql" -o /dev/null
  /usr/bin/time -f "postgres     SQL alone: both days' MRR over every subscription row      %e s" \
    psql -q "$pg" -c "$naive_sql" -o /dev/null
fi
