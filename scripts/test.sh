#!/usr/bin/env bash
# Install everything (scripts/setup.sh), then run the whole test suite: lint, unit, functional
# (SQLite and PostgreSQL), integration with real Redis and RQ workers, browser tests in chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/mypy  # the modules listed in pyproject.toml [tool.mypy]
exec .venv/bin/pytest "$@"
