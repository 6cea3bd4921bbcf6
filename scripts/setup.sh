#!/usr/bin/env bash
# Install everything the portal needs on a fresh Debian 12 machine (run as root), idempotently:
# Debian packages (Redis, PostgreSQL, chromium, CJK fonts, wrk), then a venv with the project.
set -euo pipefail
cd "$(dirname "$0")/.."

# nginx and its brotli module: deploy/nginx/portal.conf, run by tests/browser/test_deploy_nginx.py.
DEBIAN_PACKAGES=(redis-server postgresql chromium fonts-noto-cjk wrk python3-venv python3-dev
                 nginx libnginx-mod-http-brotli-filter)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
pip_install() {
  # pip's warnings (e.g. about this machine's extra package indexes) are noise; its failures are not.
  local out
  if ! out=$(.venv/bin/python -m pip install -q "$@" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "setup: pip install $* failed" >&2
    exit 1
  fi
  grep -v -i warning <<<"$out" || true
}
pip_install --upgrade pip
# The locked dependencies (runtime and test, every file checked against its hash; regenerate the
# lock with scripts/lock.sh, see README), then the project itself without resolving anything more.
pip_install --require-hashes -r requirements/test.txt
pip_install --no-deps -e .
.venv/bin/python -c "import portal.app, whoosh, jieba, chinese_calendar, playwright" \
  || { echo "setup: the Python environment is incomplete" >&2; exit 1; }
echo "setup: ready (.venv)"
