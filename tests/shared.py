"""What the test processes of one run build once and share: under pytest-xdist each worker is its own
process, and a migrated database or the dashboard's ten weeks of history cost seconds to build.

The run's controller makes a folder (pytest_configure in tests/conftest.py) and names it in the
environment, which the workers inherit; the first process that needs a thing builds it there under a
file lock, the others wait for it and use it."""
import contextlib
import fcntl
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Callable

VARIABLE = "ZHKH_TEST_RUN_DIR"


def start_run() -> Path | None:
    """In the run's controller: the folder for this run (None in a worker, or when one is already named)."""
    if os.environ.get(VARIABLE):
        return None
    path = Path(tempfile.mkdtemp(prefix="zhkh-tests-"))
    os.environ[VARIABLE] = str(path)
    return path


def end_run(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)
        os.environ.pop(VARIABLE, None)


def folder() -> Path:
    return Path(os.environ[VARIABLE])


@contextlib.contextmanager
def exclusive(name: str):
    """Held by one test process of the run at a time."""
    with open(folder() / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def value(name: str, build: Callable[[], object]) -> tuple[object, bool]:
    """(the value built once for the run, whether this call built it)."""
    path = folder() / f"{name}.pickle"
    with exclusive(name):
        if path.exists():
            return pickle.loads(path.read_bytes()), False
        result = build()
        partial = path.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(result))
        partial.rename(path)
        return result, True
