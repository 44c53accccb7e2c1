"""What SQLite itself needs for the core of an event import, with no Lodestar and no driver in
the way: every statement below runs inside SQLite's C code (INSERT ... SELECT), in one
transaction, with Lodestar's settings (WAL, synchronous=FULL). Only the timed statements
count; generating the source rows does not.

  python3 bench/sqlite_floor.py 3000000

- keys: one 128-bit key per event (two random 64-bit halves) into a WITHOUT ROWID table,
  in arrival order and then (a second table) in key order;
- user-days: one upsert per event into (account, day, user) -> events, the finest rollup.
"""

import os
import sqlite3
import sys
import tempfile
import time

events = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
work = tempfile.mkdtemp()
db = sqlite3.connect(os.path.join(work, "floor.db"), isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA cache_size=-65536")
db.execute("CREATE TABLE keys_random (high INTEGER NOT NULL, low INTEGER NOT NULL, PRIMARY KEY (high, low)) WITHOUT ROWID")
db.execute("CREATE TABLE keys_sorted (high INTEGER NOT NULL, low INTEGER NOT NULL, PRIMARY KEY (high, low)) WITHOUT ROWID")
db.execute(
    "CREATE TABLE user_days (account_id INTEGER NOT NULL, day INTEGER NOT NULL, user_key TEXT NOT NULL, "
    "events INTEGER NOT NULL, PRIMARY KEY (account_id, day, user_key)) WITHOUT ROWID"
)
# The benchmark file's shape: 1,000 accounts x 8 people, days spread over 180.
db.execute("BEGIN")
db.execute(
    "CREATE TEMP TABLE source AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
    "SELECT random() AS high, random() AS low, abs(random()) % 1000 AS account, abs(random()) % 180 AS day, "
    "'u' || (abs(random()) % 8) AS user FROM n",
    (events,),
)
db.execute("CREATE TEMP TABLE source_sorted AS SELECT high, low FROM source ORDER BY high, low")
db.execute("COMMIT")


def timed(name, sql):
    start = time.perf_counter()
    db.execute("BEGIN")
    db.execute(sql)
    db.execute("COMMIT")
    seconds = time.perf_counter() - start
    print(f"{name:<58} {seconds:6.2f} s  {events / seconds:10.0f} rows/s")


print(f"SQLite {sqlite3.sqlite_version}, {events} events")
timed("keys in arrival order (random)", "INSERT INTO keys_random SELECT high, low FROM source")
timed("keys in key order", "INSERT INTO keys_sorted SELECT high, low FROM source_sorted ORDER BY rowid")
timed(
    "user-day upserts, one per event",
    "INSERT INTO user_days SELECT account, day, user, 1 FROM source WHERE true "
    "ON CONFLICT DO UPDATE SET events = events + 1",
)
