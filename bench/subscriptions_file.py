#!/usr/bin/env python3
"""Writes a billing history for the revenue benchmark: ACCOUNTS accounts (accounts.csv, with a
tier and an industry) and five years of monthly subscription rows each (subscriptions.csv):
every account starts in the first year, pays monthly, expands or contracts now and then,
about 1 % churn a month and a third of the churned come back some months later.

    python3 bench/subscriptions_file.py ACCOUNTS OUT_DIR [END_DAY]
"""
import csv
import datetime
import random
import sys

accounts = int(sys.argv[1])
out = sys.argv[2]
end = datetime.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else datetime.date(2026, 12, 1)
rng = random.Random(42)
tiers = ["strategic", "enterprise", "mid_tier", "long_tail"]
industries = ["Retail", "Software", "Healthcare", "Logistics", "Media", "Energy", "Education", "Travel"]


def month(d, n):
    y, m = divmod(d.month - 1 + n, 12)
    return datetime.date(d.year + y, m + 1, 1)


first = month(end, -60)
rows = 0
with open(f"{out}/accounts.csv", "w", newline="") as a, open(f"{out}/subscriptions.csv", "w", newline="") as s:
    aw, sw = csv.writer(a), csv.writer(s)
    aw.writerow(["external_id", "name", "tier", "industry"])
    sw.writerow(["account_id", "product", "start_date", "end_date", "mrr", "quantity", "discount"])
    for i in range(accounts):
        key = f"ACC-{i:06d}"
        aw.writerow([key, f"Account {i}", rng.choice(tiers), rng.choice(industries)])
        start = month(first, rng.randrange(12))
        mrr = rng.choice([50, 200, 800, 2500, 10000]) * rng.uniform(0.8, 1.2)
        seats = max(1, int(mrr // 50))
        day, active = start, True
        while day < end:
            nxt = month(day, 1)
            if active:
                sw.writerow([key, "Platform", day.isoformat(), nxt.isoformat(), f"{mrr:.2f}", seats, ""])
                rows += 1
                r = rng.random()
                if r < 0.01:
                    active = False
                elif r < 0.05:
                    mrr *= 1.2
                elif r < 0.07:
                    mrr *= 0.85
            elif rng.random() < 0.05:
                active = True
            day = nxt
print(f"{accounts} accounts, {rows} subscription rows", file=sys.stderr)
