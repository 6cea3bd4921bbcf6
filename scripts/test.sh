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
  # The whole suite, as CI runs it: coverage of the test process (the in-process tests; the
  # servers that tests start in subprocesses are not measured), failing under the floor in
  # pyproject.toml [tool.coverage.report] fail_under. A subset (any argument) runs without it.
  exec .venv/bin/pytest --cov --cov-report=term:skip-covered
fi
exec .venv/bin/pytest "$@"
