#!/usr/bin/env bash
# Issue 18's fault test at its full length: Redis stopped for 2 minutes while complaints are
# filed and cron jobs fall due (the outbox sweep every second); prints the test's timings (the
# suite runs the same test with a 4-second outage). Usage: bash bench/redis_outage.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
PORTAL_TEST_OUTAGE_SECONDS="${1:-120}" exec .venv/bin/pytest -q -s -p no:cacheprovider \
  tests/integration/test_scheduler_outage.py
