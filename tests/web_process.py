"""The staff web app as production runs it: the Procfile's `web:` command in its own process."""
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from app.models import StaffUser
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parent.parent
STAFF_PASSWORD = "owner-secret-1"


def procfile_command(name: str = "web") -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name}: line in the Procfile")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebProcess:
    """A copy of the migrated SQLite template (or the migrated database of `database_url`, which other
    processes share) with staff `logins`, served by the Procfile's `web:` command (through the shell,
    as a process manager runs it) with `env` added to its environment."""

    def __init__(self, tmp_path, sqlite_template, logins=("owner",), database_url: str | None = None, **env):
        if database_url is None:
            database = tmp_path / "web.db"
            shutil.copy(sqlite_template, database)
            database_url = f"sqlite:///{database}"
        url = database_url
        self.storage = tmp_path / "storage"
        app = create_app(base_config(tmp_path, url))
        with app.app_context():
            known = set(db.session.execute(select(StaffUser.login)).scalars())
            db.session.add_all(StaffUser(login=login, full_name=login, role="admin",
                                         password_hash=generate_password_hash(STAFF_PASSWORD, "pbkdf2:sha256:1000"))
                               for login in logins if login not in known)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        self.port = port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = tmp_path / "web.log"
        environ = {key: value for key, value in os.environ.items()
                   if not key.startswith(("TELEGRAM_", "TRUSTED_", "MAX_UPLOAD", "MAX_REQUEST", "LOGIN_"))}
        # Set, even empty, so that a developer's .env (which never overrides the environment) cannot add them.
        environ.update(TRUSTED_PROXIES="", TELEGRAM_BOT_TOKEN="", MAX_UPLOAD_BYTES="", MAX_REQUEST_BYTES="")
        environ.update(HOST="127.0.0.1", PORT=str(port), DATABASE_URL=url, SECRET_KEY="web-process-secret",
                       INSTANCE_PATH=str(tmp_path / "instance"), STORAGE_DIR=str(tmp_path / "storage"),
                       PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", **env)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(procfile_command(), shell=True, cwd=ROOT, env=environ,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_listening(port)

    def _wait_until_listening(self, port: int) -> None:
        deadline = time.monotonic() + 60  # a start-up wait on a busy machine, not an assertion on speed
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the web process exited:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"the web process does not listen:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def browser(self, source_address: str = "127.0.0.1") -> requests.Session:
        """A browser-like session whose connections come from `source_address` (any of 127.0.0.0/8)."""
        session = requests.Session()
        session.trust_env = False  # loopback: never a proxy
        session.mount("http://", FromAddress(source_address))
        return session

    def sign_in(self, session: requests.Session, login: str, password: str = STAFF_PASSWORD,
                headers: dict | None = None) -> int:
        """One sign-in attempt through the login form: 302 in, 200 wrong password, 429 refused."""
        page = session.get(self.url + "/login", headers=headers, timeout=30)
        answer = session.post(self.url + "/login", headers=headers, allow_redirects=False, timeout=30,
                              data={"login": login, "password": password, "csrf_token": csrf_of(page.text)})
        return answer.status_code

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the shell and waitress: our own process group
            self.process.wait(timeout=30)

    def kill(self) -> None:
        """As when the machine dies: no chance to finish anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


class FromAddress(HTTPAdapter):
    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def multipart(fields: dict[str, str], file_field: str, disposition: bytes, content: bytes,
              content_type: str = "image/png") -> tuple[bytes, str]:
    """A form's body and Content-Type with the file's part written byte for byte as a browser writes
    it (`disposition`: e.g. filename="..." in raw UTF-8). Not through `requests`: in a process that has
    sent a file through telebot, urllib3's file name formatter is telebot's (unquoted) for good."""
    boundary = "----WebKitFormBoundary" + secrets.token_hex(8)
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                    for name, value in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '.encode() + disposition
             + f"\r\nContent-Type: {content_type}\r\n\r\n".encode() + content + f"\r\n--{boundary}--\r\n".encode())
    return body, f"multipart/form-data; boundary={boundary}"
