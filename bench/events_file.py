"""Writes N Segment-format track events as NDJSON for the import benchmark: accounts
ACC-000001.. (the demo data's external ids), 8 people each, 12 features, 180 days.

    python3 bench/events_file.py 3000000 > events.ndjson
"""

import random
import sys
from datetime import datetime, timedelta, timezone

FEATURES = ["Signed In", "Report Exported", "Dashboard Viewed", "Alert Created", "User Invited",
            "Integration Connected", "Workflow Run", "Comment Added", "File Uploaded",
            "Search Performed", "Settings Changed", "API Key Created"]


def main():
    n = int(sys.argv[1])
    accounts = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rng = random.Random(7)
    start = datetime(2026, 5, 29, tzinfo=timezone.utc)
    out = sys.stdout
    lines = []
    for i in range(n):
        a = rng.randrange(1, accounts + 1)
        u = rng.randrange(8)
        at = start + timedelta(seconds=rng.randrange(180 * 86400))
        lines.append(
            '{"type":"track","messageId":"bench-%d","userId":"acc%d-u%d","event":"%s",'
            '"context":{"groupId":"ACC-%06d","library":{"name":"analytics-python","version":"2.4.0"}},'
            '"properties":{"plan":"growth","duration_ms":%d},"timestamp":"%s"}\n'
            % (i, a, u, FEATURES[rng.randrange(len(FEATURES))], a, rng.randrange(5000),
               at.strftime("%Y-%m-%dT%H:%M:%S.000Z")))
        if len(lines) == 10000:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))


if __name__ == "__main__":
    main()
