"""The real bot worker (`python bot_worker.py`, as production runs it) against a LocalBotApi.

Shared by the sandbox, the tests and the benches: the worker gets this process's
environment without its own Telegram, database and bot settings, pointed at the
local API and the given database, and writes its log to a file.
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

from devtools.local_api import LocalBotApi

ROOT = Path(__file__).resolve().parent.parent  # where bot_worker.py is
START_TIMEOUT = 60


class NotPolling(RuntimeError):
    """The worker did not start long-polling the local API in time."""


class WorkerProcess:
    def __init__(self, api: LocalBotApi, log_path: Path, database_url: str, instance_path, storage_dir,
                 **settings):
        """`settings`: more environment variables (BOT_THREADS=4, ...); a None value is left out."""
        self.api, self.log_path = api, Path(log_path)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "BOT_"))}
        self.env.update({
            "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.url, "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(instance_path), "STORAGE_DIR": str(storage_dir),
            "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
        })
        self.env.update({k: str(v) for k, v in settings.items() if v is not None})
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it and wait until it long-polls; NotPolling (with the log's tail) if it does not."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "bot_worker.py"], cwd=ROOT, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)
        if not self.api.wait_polling(START_TIMEOUT):
            self.stop()
            raise NotPolling("the worker did not start polling\n" + self.log_tail())

    def wait_idle(self) -> None:
        """The worker has fetched everything queued and is long-polling again."""
        assert self.api.wait_polling(30), "the worker is not polling\n" + self.log_tail()

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a process manager stops it (SIGKILL after `timeout`); returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no cleanup at all
        self.proc.wait(timeout=30)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "worker log:\n" + "\n".join(self.log().splitlines()[-lines:])

    def problems(self, *fragments: str) -> list[str]:
        """ERROR lines, tracebacks, and lines containing any of `fragments`."""
        return [line for line in self.log().splitlines()
                if " ERROR " in line or line.startswith("Traceback") or any(f in line for f in fragments)]
