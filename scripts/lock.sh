#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml for CPython 3.11 on Linux x86-64:
#   requirements/runtime.txt  the [project] dependencies (what a deployment installs)
#   requirements/test.txt     those plus the `test` extra, at the same versions (what setup.sh installs)
# Existing pins are kept unless pyproject.toml no longer allows them; extra arguments go to
# `uv pip compile`, e.g. `bash scripts/lock.sh --upgrade-package starlette` or `--upgrade`.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
common=(--quiet --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
        --custom-compile-command "bash scripts/lock.sh")
"$UV" pip compile pyproject.toml "${common[@]}" "$@" -o requirements/runtime.txt
"$UV" pip compile pyproject.toml --extra test -c requirements/runtime.txt "${common[@]}" "$@" \
  -o requirements/test.txt
