#!/usr/bin/env bash
# One command for the whole test suite; `.ci/run` calls exactly this.
# Installs what the tests need (virtualenv, Python packages, Debian's chromium
# for the browser tests) and runs them on SQLite, and on PostgreSQL too when a
# server answers on 127.0.0.1:5432 (or TEST_DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> Installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests" >&2
    exit 1
  fi
fi

if [ -z "${TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
    && pg_isready -q -h 127.0.0.1 -p 5432; then
  export TEST_DATABASE_URL="postgresql://${PGUSER:-$(id -un)}@127.0.0.1:5432/test"
fi
echo "==> Tests on SQLite${TEST_DATABASE_URL:+ and PostgreSQL ($TEST_DATABASE_URL)}"
exec .venv/bin/python -m pytest "$@"
