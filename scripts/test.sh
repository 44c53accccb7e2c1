#!/usr/bin/env bash
# The whole test suite: every Rust test (store cases on SQLite and, with
# LODESTAR_TEST_POSTGRES_URL, on PostgreSQL; the email test with LODESTAR_TEST_PYTHON, a python
# with aiosmtpd), the browser tests in headless Chromium, then schemathesis against the OpenAPI
# document of a running `lodestar serve --demo`.
# Under CI=true nothing may be skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked

# Browser tests (screenshots land in test-artifacts/). They need Debian's chromium and the
# npm package playwright-core (`npm ci --prefix browser-tests`).
if [ -d browser-tests/node_modules/playwright-core ]; then
  (cd browser-tests && node --test)
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true but browser-tests/node_modules is missing (npm ci --prefix browser-tests)" >&2
  exit 1
else
  echo "*** browser tests SKIPPED: run 'npm ci --prefix browser-tests' (and apt-get install chromium) ***" >&2
fi

# Two checks against a running `serve --demo`: Segment's own Python client delivering events
# (pip install segment-analytics-python; SEGMENT_PYTHON names that python), then API
# conformance with schemathesis: no server error, and every response matches the documented
# status codes, content types, headers and schemas. (Not "positive data acceptance": rules
# between fields, such as a first-value date after the launch date, are beyond JSON Schema.)
# The Segment check goes first: schemathesis may delete the demo's users, tokens and all.
schemathesis=${SCHEMATHESIS:-$(command -v schemathesis || true)}
segment_python=${SEGMENT_PYTHON:-}
if [ "${CI:-}" = "true" ]; then
  [ -n "$schemathesis" ] || { echo "CI=true but schemathesis is not installed" >&2; exit 1; }
  [ -n "$segment_python" ] || { echo "CI=true but SEGMENT_PYTHON is not set" >&2; exit 1; }
fi
if [ -z "$schemathesis" ] && [ -z "$segment_python" ]; then
  echo "*** schemathesis and the Segment client check SKIPPED: set SCHEMATHESIS and SEGMENT_PYTHON ***" >&2
  exit 0
fi
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
target/debug/lodestar --db "sqlite://$work/api.db" serve --demo --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
# Loading the demo takes ~15 s on an idle machine, longer on a busy one: wait up to two minutes.
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
token=$(grep -o 'lst_[A-Za-z0-9_-]*' "$work/serve.log" | head -n 1 || true)
if [ -z "$token" ]; then
  echo "serve --demo did not come up within two minutes; its log:" >&2
  cat "$work/serve.log" >&2
  exit 1
fi

if [ -n "$segment_python" ]; then
  write_key=$(target/debug/lodestar --db "sqlite://$work/api.db" writekey create --name "segment client check" 2>/dev/null)
  "$segment_python" scripts/segment_client_check.py "http://127.0.0.1:$port" "$write_key" "$token"
  # The same python has the `icalendar` library: it reads the calendar feed as calendars do.
  "$segment_python" scripts/ics_feed_check.py "http://127.0.0.1:$port" "$token"
else
  echo "*** Segment client check SKIPPED: set SEGMENT_PYTHON to a python with segment-analytics-python ***" >&2
fi

if [ -n "$schemathesis" ]; then
  "$schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,response_headers_conformance \
    --max-examples 50 --seed 1 --no-color
  echo "schemathesis: 1 passed, 0 failed"
else
  echo "*** schemathesis SKIPPED: pip install schemathesis==4.32.5 (or set SCHEMATHESIS) to run it ***" >&2
fi
