#!/usr/bin/env bash
# Benchmark: health scores (F-20) with 100,000 demo accounts on SQLite and 180 days of usage
# rollups. (1) `lodestar health recompute` of every account, side by side with a baseline that
# only reads the same usage windows (person-days) the measures used to read, then as the daily
# pass runs it (a new day's snapshots); (2) event to score: a track call sent
# over HTTP, then the account's score read back, against the same read alone. Run from the
# repo root:
#   cargo build --release -p lodestar && bench/health.sh
set -euo pipefail
accounts=${ACCOUNTS:-100000}
bin=target/release/lodestar
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
url="http://127.0.0.1:$port"
today=$(date -u +%F)
db="$work/bench.db"
trap 'kill -TERM ${server:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $today"
$bin --db "sqlite://$db" demo --accounts "$accounts" --seed 42 --no-usage >/dev/null
python3 bench/health_fill.py "$db" "$today"

# The fill's gigabyte of writes is still being flushed by the kernel: let it finish first, or
# the first run measures the flush.
sync

echo "-- full recompute (3 runs each, alternating)"
for run in 1 2 3; do
  /usr/bin/time -f "%e s, peak %M KB" -o "$work/time" $bin --db "sqlite://$db" health recompute >"$work/out"
  echo "lodestar health recompute:  $(cat "$work/out")  [$(cat "$work/time")]"
  python3 - "$db" "$today" <<'PY'
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1])
today = sys.argv[2]
t = time.time()
con.execute(f"SELECT account_id, SUM(CASE WHEN day > date('{today}', '-28 days') THEN active_users END), SUM(active_users) "
            f"FROM usage_account_days WHERE day > date('{today}', '-56 days') AND day <= '{today}' GROUP BY account_id").fetchall()
con.execute(f"SELECT account_id, COUNT(DISTINCT user_key) FROM usage_user_days "
            f"WHERE day > date('{today}', '-90 days') AND day <= '{today}' GROUP BY account_id").fetchall()
print(f"baseline (read the usage windows only): {time.time() - t:.2f} s")
PY
done

echo "-- the daily pass: full recompute as of each of the next 3 days (a new day's snapshots)"
for ahead in 1 2 3; do
  day=$(date -u -d "$today + $ahead day" +%F)
  /usr/bin/time -f "%e s, peak %M KB" -o "$work/time" $bin --db "sqlite://$db" health recompute --as-of "$day" >"$work/out"
  echo "as of $day:  $(cat "$work/out")  [$(cat "$work/time")]"
done

echo "-- event to score"
$bin --db "sqlite://$db" writekey create --name bench >"$work/key" 2>/dev/null
key=$(tail -n 1 "$work/key")
$bin --db "sqlite://$db" serve --demo --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -fs "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
token=$(grep -o 'lst_[A-Za-z0-9_-]*' "$work/serve.log" | head -n 1)
python3 - "$url" "$key" "$token" "$accounts" <<'PY'
import base64, json, statistics, sys, time, urllib.request
url, key, token, accounts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
auth = "Basic " + base64.b64encode((key + ":").encode()).decode()

def health(account):
    req = urllib.request.Request(f"{url}/api/v1/accounts/{account}/health", headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req))

def fact(h):
    return next(m["fact"] for m in h["measures"] if m["measure"] == "active_user_share")

to_score, read_only = [], []
candidates = (1 + (j * 3331) % accounts for j in range(10 * accounts))
for i in range(30):
    # Churned accounts are not scored: take the next one that is.
    account = next(a for a in candidates if health(a)["score"] is not None)
    ext = f"ACC-{account:06d}"
    t = time.perf_counter()
    health(account)
    read_only.append(time.perf_counter() - t)
    before = fact(health(account))
    body = json.dumps({"type": "track", "userId": f"new-person-{i}", "event": "Signed In",
                       "messageId": f"bench-score-{i}-{time.time()}", "context": {"groupId": ext}}).encode()
    t = time.perf_counter()
    urllib.request.urlopen(urllib.request.Request(f"{url}/v1/track", data=body,
                           headers={"Authorization": auth, "Content-Type": "application/json"}))
    # The follower applies the event after the answer: read until the score moved.
    while (after := fact(health(account))) == before:
        assert time.perf_counter() - t < 5, f"account {account}: the score did not move in 5 s: {before!r}"
        time.sleep(0.005)
    to_score.append(time.perf_counter() - t)
ms = lambda xs: f"median {statistics.median(xs) * 1000:.1f} ms, max {max(xs) * 1000:.1f} ms"
print(f"event sent -> new score read back (30 accounts): {ms(to_score)}")
print(f"baseline: the score read alone:                  {ms(read_only)}")
PY
