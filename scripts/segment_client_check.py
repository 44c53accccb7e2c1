"""Segment's own Python client (segment-analytics-python), pointed at a running Lodestar with
only its host and write key changed, delivers identify, group and track calls (plain and with
its gzip option) that show up on the account's usage in the API.

    python scripts/segment_client_check.py http://127.0.0.1:PORT WRITE_KEY API_TOKEN
"""

import json
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timezone

import segment.analytics as analytics


def api(base, token, path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as res:
        return json.load(res)


def main():
    base, write_key, token = sys.argv[1:4]
    errors = []
    analytics.write_key = write_key
    analytics.host = base
    analytics.on_error = lambda error, items: errors.append(error)
    analytics.sync_mode = False

    account = api(base, token, "/api/v1/accounts?limit=1")["items"][0]
    user = "segment-client-" + uuid.uuid4().hex[:8]
    now = datetime.now(timezone.utc)
    analytics.identify(user, {"email": user + "@example.com", "name": "Client Check"})
    analytics.group(user, account["external_id"], {"name": account["name"]})
    for _ in range(3):
        analytics.track(user, "Report Exported", {"rows": 12}, timestamp=now)
    analytics.flush()
    analytics.shutdown()
    # The client's gzip option compresses the batch (Content-Encoding: gzip).
    zipped = analytics.Client(write_key, host=base, gzip=True, on_error=lambda e, items: errors.append(e))
    zipped.track(user, "Report Exported", {"rows": 1}, timestamp=now)
    zipped.flush()
    zipped.shutdown()
    if errors:
        sys.exit(f"the client reported errors: {errors}")

    day = now.date().isoformat()
    # Usage counts events once the server's follower applied them, normally well within a
    # second of the answer.
    deadline = time.monotonic() + 5
    while True:
        usage = api(base, token, f"/api/v1/accounts/{account['id']}/usage?from={day}&to={day}")
        features = {f["feature"]: f["events"] for f in usage["features"]}
        if features.get("Report Exported", 0) >= 4:
            break
        if time.monotonic() > deadline:
            sys.exit(f"the track calls did not show up on account {account['id']} within 5 s: {usage}")
        time.sleep(0.05)
    print(f"segment-analytics-python: identify, group and 4 track calls (one gzipped) arrived on account {account['id']}")


if __name__ == "__main__":
    main()
