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
  # The whole suite, as CI runs it, in two parts run side by side (one core each):
  # - the in-process tests (unit, functional, security) under coverage of the test process,
  #   failing under the floor in pyproject.toml [tool.coverage.report] fail_under;
  # - the tests that start servers, workers and browsers in subprocesses (integration,
  #   browser), without coverage: it would not see those processes, and under Python 3.11's
  #   tracer it made the whole suite 1.5 × slower (16 min 51 s against 11 min 0 s, 2026-12-07).
  # The second part spends much of its time waiting on its subprocesses, so together they take
  # little more than the first alone. Each has its own temporary folder; the second's output
  # is shown when both are done. Either failing fails the run.
  log=$(mktemp)
  .venv/bin/pytest --basetemp="$(mktemp -d)" tests/integration tests/browser >"$log" 2>&1 &
  subprocesses=$!
  status=0
  .venv/bin/pytest --basetemp="$(mktemp -d)" --cov --cov-report=term:skip-covered \
    tests/unit tests/functional tests/security || status=$?
  wait "$subprocesses" || status=$((status ? status : $?))
  echo "---- tests/integration tests/browser ----"
  cat "$log"
  rm -f "$log"
  exit "$status"
fi
exec .venv/bin/pytest "$@"
