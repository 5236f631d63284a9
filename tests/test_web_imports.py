"""A web process loads neither the bot nor the development tools (the fake Bot API server), not even for
its command line."""
import json
import os
import subprocess
import sys

from app.config import BASE_DIR

# Runs in a fresh interpreter: this one has long imported everything the tests use.
PROBE = """
import json, sys
import wsgi
help_text = wsgi.app.test_cli_runner().invoke(args=["--help"]).output
print(json.dumps({"modules": sorted(sys.modules), "help": help_text}))
"""


def test_wsgi_imports_no_telebot_and_no_devtools_even_for_the_command_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TELEGRAM_"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "INSTANCE_PATH": str(tmp_path),
                "SECRET_KEY": "test-secret"})
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=BASE_DIR, env=env, capture_output=True,
                           text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout.splitlines()[-1])
    assert "transfer-db" in result["help"] and "bot-sandbox" not in result["help"]  # the commands are listed
    assert "flask" in result["modules"] and "app.journal" in result["modules"]  # the probe saw the app load
    loaded = [m for m in result["modules"] if m.split(".")[0] in ("telebot", "devtools") or m.startswith("app.bot")]
    assert loaded == []
