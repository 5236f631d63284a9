#!/usr/bin/env bash
# One command for a newcomer: virtualenv, dependencies, database, first admin,
# then the web app (and the bot worker when TELEGRAM_BOT_TOKEN is set).
#   ./run.sh            - set up and serve on http://127.0.0.1:8000
#   ./run.sh --demo     - the same, with demo data on first run
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating virtualenv .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> Installing dependencies"
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt

if [ ! -f .env ]; then
  echo "==> Writing .env with a fresh SECRET_KEY (edit it to configure the app)"
  secret=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))')
  cat > .env <<ENV
SECRET_KEY=$secret
# DATABASE_URL=postgresql://user:password@localhost:5432/zhkh
# TELEGRAM_BOT_TOKEN=123456:ABC...
# BINDINGS_PER_ACCOUNT=10
ENV
fi
set -a; . ./.env; set +a
export FLASK_APP=app

echo "==> Migrating the database"
.venv/bin/flask db upgrade
.venv/bin/flask create-admin --if-none
if [ "${1:-}" = "--demo" ]; then
  .venv/bin/flask seed-demo --if-empty
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait; }
trap cleanup EXIT INT TERM

if [ -n "${TELEGRAM_BOT_TOKEN:-}" ]; then
  echo "==> Starting the Telegram bot worker"
  .venv/bin/python bot_worker.py &
  pids+=($!)
else
  echo "==> TELEGRAM_BOT_TOKEN is not set: the bot worker is not started"
fi

HOST=${HOST:-127.0.0.1}; PORT=${PORT:-8000}
echo "==> Web app on http://$HOST:$PORT/ (Ctrl+C to stop)"
HOST=$HOST PORT=$PORT .venv/bin/python wsgi.py &
pids+=($!)
wait -n "${pids[@]}"
