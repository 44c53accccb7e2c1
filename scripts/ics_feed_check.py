"""A real iCalendar library (python `icalendar`) reads Lodestar's calendar feed as a calendar
program would: one VEVENT per meeting with a stable UID, SEQUENCE rising when the meeting
moves, STATUS:CANCELLED once cancelled, and start/end instants that are right whatever the
meeting's time zone.

    python scripts/ics_feed_check.py http://127.0.0.1:PORT API_TOKEN
"""

import json
import sys
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as res:
        text = res.read()
        return json.loads(text) if text else None


def feed(url):
    with urllib.request.urlopen(url) as res:
        assert res.headers["Content-Type"].startswith("text/calendar"), res.headers["Content-Type"]
        return Calendar.from_ical(res.read())


def event(cal, uid):
    found = [e for e in cal.walk("VEVENT") if str(e["UID"]) == uid]
    assert len(found) == 1, f"{len(found)} events with UID {uid}"
    return found[0]


def main():
    base, token = sys.argv[1:3]
    account = call(base, token, "GET", "/api/v1/accounts?limit=1")["items"][0]["id"]
    # 09:30 in New York, a week from now: the feed must carry the same instant.
    day = (datetime.now(timezone.utc) + timedelta(days=7)).date()
    local = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    body = {
        "kind": "qbr", "title": "QBR, with a comma; and a semicolon", "starts_at": local.isoformat(),
        "duration_minutes": 60, "time_zone": "America/New_York", "notes": "Agenda: outcomes first",
        "user_ids": [call(base, token, "GET", "/api/v1/me")["id"]],
    }
    meeting = call(base, token, "POST", f"/api/v1/accounts/{account}/meetings", body)
    uid = f"meeting-{meeting['id']}@lodestar"
    url = call(base, token, "POST", "/api/v1/me/calendar-feed")["url"]
    assert call(base, token, "GET", "/api/v1/me")["calendar_feed"]["url"] == url

    e = event(feed(url), uid)
    assert e.decoded("DTSTART") == local, (e.decoded("DTSTART"), local)
    assert e.decoded("DTEND") - e.decoded("DTSTART") == timedelta(hours=1)
    assert int(e["SEQUENCE"]) == 0 and str(e["STATUS"]) == "CONFIRMED", (e["SEQUENCE"], e["STATUS"])
    assert str(e["SUMMARY"]).startswith("QBR, with a comma; and a semicolon"), e["SUMMARY"]

    moved = dict(body, starts_at=(local + timedelta(days=1)).isoformat())
    call(base, token, "PUT", f"/api/v1/meetings/{meeting['id']}", moved)
    e = event(feed(url), uid)
    assert int(e["SEQUENCE"]) == 1 and e.decoded("DTSTART") == local + timedelta(days=1), e

    call(base, token, "POST", f"/api/v1/meetings/{meeting['id']}/cancel")
    e = event(feed(url), uid)
    assert int(e["SEQUENCE"]) == 2 and str(e["STATUS"]) == "CANCELLED", e
    print(f"calendar feed check: {uid} read by icalendar; moved (SEQUENCE 1) and cancelled (SEQUENCE 2)")


if __name__ == "__main__":
    main()
