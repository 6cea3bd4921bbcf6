#!/usr/bin/env bash
# Install everything (scripts/setup.sh), then run the whole test suite: lint, type checks, unit,
# functional (SQLite and PostgreSQL), integration with real Redis and RQ workers, browser tests in
# chromium, with a coverage floor.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/mypy  # the modules listed in pyproject.toml [tool.mypy]
if [ $# -eq 0 ]; then
  # The whole suite, as CI runs it, in two parts. The in-process tests (unit, functional,
  # security) under coverage of the test process, failing under the floor in pyproject.toml
  # [tool.coverage.report] fail_under; then the tests that start servers, workers and browsers
  # in subprocesses (integration, browser), without coverage: it would not see those processes,
  # and under Python 3.11's tracer it made the whole suite 1.5 × slower (16 min 51 s against
  # 11 min 0 s, 2026-12-07). Both parts always run; either failing fails the run.
  # Each part runs in up to 4 processes (pytest-xdist; 2 on this 2-core machine), each with its
  # own Redis, PostgreSQL cluster and live server (session fixtures): 697 s + 451 s in one
  # process, 503 s + 340 s in two (2026-12-07).
  status=0
  workers=(-n auto --maxprocesses 4)
  .venv/bin/pytest "${workers[@]}" --cov --cov-report=term:skip-covered tests/unit tests/functional tests/security || status=$?
  .venv/bin/pytest "${workers[@]}" tests/integration tests/browser || status=$((status ? status : $?))
  exit "$status"
fi
exec .venv/bin/pytest "$@"
