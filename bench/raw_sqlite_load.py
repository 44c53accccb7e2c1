"""Baseline for the demo-load benchmark: the same rows, inserted with raw SQLite prepared
statements (Python's sqlite3 executemany: one prepared INSERT per table, one transaction,
the same PRAGMAs Lodestar uses). Rows are parsed from a Lodestar backup before the clock
starts, so only the inserts are timed.

usage: python3 raw_sqlite_load.py BACKUP.ndjson EMPTY_MIGRATED.db
"""
import json
import sqlite3
import sys
import time

backup, db = sys.argv[1], sys.argv[2]
tables = []
with open(backup) as f:
    next(f)  # header
    for line in f:
        if line.startswith("["):
            tables[-1][2].append(json.loads(line))
        else:
            head = json.loads(line)
            if "end" in head:
                break
            tables.append((head["table"], head["columns"], []))

con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode = WAL")
con.execute("PRAGMA synchronous = FULL")
con.execute("PRAGMA foreign_keys = ON")
con.execute("PRAGMA cache_size = -65536")
rows = sum(len(r) for _, _, r in tables)
start = time.perf_counter()
con.execute("BEGIN IMMEDIATE")
con.execute("PRAGMA defer_foreign_keys = ON")
for name, columns, data in tables:
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", data)
con.execute("COMMIT")
elapsed = time.perf_counter() - start
print(f"raw sqlite3 executemany: {rows} rows in {elapsed:.2f}s ({rows / elapsed:,.0f} rows/s)")
