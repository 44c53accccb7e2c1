"""Fills a Lodestar SQLite database's usage rollups for the health benchmark: for every
account, 180 days of account-day rows and, over the last 90 days, person-day rows for four
people each active on about a third of the days, with each person's activity summary. Written in SQL inside SQLite, in primary-key
order, so filling 30 million rows takes seconds, not minutes.

    python3 bench/health_fill.py PATH/TO/lodestar.db 2026-11-25
"""

import sqlite3
import sys

db, today = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=OFF")
con.execute("PRAGMA cache_size=-262144")
with con:
    con.execute(
        f"""
        INSERT INTO usage_user_days (account_id, user_key, day, events)
        WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < 90),
             u(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM u WHERE k < 3)
        SELECT a.id, 'a' || a.id || '-u' || u.k, date('{today}', '-' || d.n || ' days'), 1 + (a.id + d.n) % 7
        FROM accounts a CROSS JOIN d CROSS JOIN u
        WHERE (a.id * 7 + d.n * 3 + u.k * 5 + (a.id % 11) * d.n / 30) % 3 = 0
        ORDER BY a.id, 3, 2
        """
    )
    con.execute(
        f"""
        INSERT INTO usage_account_days (account_id, day, events, active_users)
        WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < 180)
        SELECT a.id, date('{today}', '-' || d.n || ' days'),
               COALESCE((SELECT SUM(events) FROM usage_user_days x WHERE x.account_id = a.id
                         AND x.day = date('{today}', '-' || d.n || ' days')), 1 + a.id % 5),
               COALESCE((SELECT COUNT(*) FROM usage_user_days x WHERE x.account_id = a.id
                         AND x.day = date('{today}', '-' || d.n || ' days')), 1)
        FROM accounts a CROSS JOIN d ORDER BY a.id, 2
        """
    )
    # Each person's activity summary (what ingestion keeps): the last active day and the 64
    # days up to it as bits (bit i: active on last_day - i).
    con.execute(
        """
        INSERT INTO usage_person_activity (account_id, user_key, last_day, recent_days)
        SELECT u.account_id, u.user_key, m.last_day,
               SUM(1 << CAST(julianday(m.last_day) - julianday(u.day) AS INTEGER))
        FROM usage_user_days u
        JOIN (SELECT account_id, user_key, MAX(day) AS last_day FROM usage_user_days
              GROUP BY account_id, user_key) m ON m.account_id = u.account_id AND m.user_key = u.user_key
        WHERE julianday(m.last_day) - julianday(u.day) < 64
        GROUP BY u.account_id, u.user_key ORDER BY 1, 2
        """
    )
for table in ("usage_account_days", "usage_user_days", "usage_person_activity"):
    print(f"{table}: {con.execute(f'SELECT COUNT(*) FROM {table}').fetchone()[0]:,} rows")
