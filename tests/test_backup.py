"""`flask backup` and `flask restore` (app/services/operations/backup.py): round trips on both engines."""
import contextlib
import os
import re
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, make_url, select

from app import create_app
from app.extensions import db
from app.models import Counter, Request, RequestEvent, RequestPhoto
from app.services.operations.counts import count_rows
from app.services import storage
from tests import factories
from tests.conftest import StaffClient, base_config, private_postgres_database

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(300_000)  # a photo's bytes, incompressible as a real one's


@contextlib.contextmanager
def empty_database(database_url, tmp_path):
    """A new, empty database of the same engine as `database_url`: a new file, or `createdb`."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'new-folder' / 'restored.db'}"  # the folder too is made
    else:
        with private_postgres_database() as url:
            yield url


def counts(app) -> dict[str, int]:
    with app.app_context():
        with db.engine.connect() as conn:
            return count_rows(conn)


def with_photo(app) -> tuple[int, int]:
    """Requests and a resident's photo on disk, as the bot leaves them; (request id, photo id)."""
    with app.app_context():
        requests = [factories.request(description=f"Течёт {i}") for i in range(3)]
        photo = RequestPhoto(request_id=requests[0].id, file_path="photos/2026/leak.jpg")
        db.session.add(photo)
        db.session.commit()
        target = Path(app.config["STORAGE_DIR"]) / photo.file_path
        target.parent.mkdir(parents=True)
        target.write_bytes(PHOTO)
        (target.parent / ".part-x1y2").write_bytes(b"half a file being written")
        return requests[0].id, photo.id


def restore(database_url, tmp_path, archive: Path):
    """Restore `archive` into a new empty database and storage; yields (the app on it, CLI result)."""
    @contextlib.contextmanager
    def run():
        with empty_database(database_url, tmp_path) as url:
            restored = create_app(base_config(tmp_path / "restored", url))
            result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
            try:
                yield restored, result
            finally:
                with restored.app_context():
                    db.session.remove()
                    db.engine.dispose()
    return run()


@pytest.mark.parametrize("name", ["zhkh.tar", "zhkh.tar.gz"])
def test_round_trip_keeps_every_row_and_the_photos_bytes(app, runner, database_url, tmp_path, name):
    request_id, photo_id = with_photo(app)
    before = counts(app)
    archive = tmp_path / "backups" / name

    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output and "1 files" in result.output
    with tarfile.open(archive) as tar:  # the half-written file is left out
        assert sorted(n for n in tar.getnames() if n.startswith("storage/")) == ["storage/photos/2026/leak.jpg"]
    assert not [p for p in archive.parent.iterdir() if p != archive]  # no temporary left beside it

    with restore(database_url, tmp_path, archive) as (restored, result):
        assert result.exit_code == 0, result.output
        assert "Rows per table (backup -> restored):" in result.output
        assert re.search(r"\n  requests +3 -> 3\n", result.output)
        assert "DIFFERS" not in result.output and "every table's rows match" in result.output
        assert counts(restored) == before
        storage = Path(restored.config["STORAGE_DIR"])
        assert (storage / "photos/2026/leak.jpg").read_bytes() == PHOTO
        # The restored system works: the administrator signs in and sees the photo.
        browser = StaffClient.signed_in(restored, "admin")
        response = browser.get(f"/requests/{request_id}/photos/{photo_id}")
        assert response.status_code == 200 and response.data == PHOTO


def test_a_photo_kept_in_the_database_travels_with_the_database(app, runner, database_url, tmp_path):
    """FILE_STORE=database (the default): the photo is in the database's copy, not among the files."""
    with app.app_context():
        request_id = factories.request(description="Течёт кран").id
        photo = RequestPhoto(request_id=request_id, file_path=storage.save("photos/1/1.jpg", PHOTO))
        db.session.add(photo)
        db.session.commit()
        photo_id, ref = photo.id, photo.file_path
    assert ref.startswith("db:")
    archive = tmp_path / "zhkh.tar"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        assert not [n for n in tar.getnames() if n.startswith("storage/")]
    with restore(database_url, tmp_path, archive) as (restored, result):
        assert result.exit_code == 0, result.output
        assert re.search(r"\n  stored_files +1 -> 1\n", result.output)
        browser = StaffClient.signed_in(restored, "admin")
        response = browser.get(f"/requests/{request_id}/photos/{photo_id}")
        assert response.status_code == 200 and response.data == PHOTO


def test_backup_while_requests_are_being_written_is_one_consistent_moment(app, runner, database_url, tmp_path):
    with app.app_context():
        factories.request()
    written, stop, failures = [0], threading.Event(), []

    def writer():
        with app.app_context():
            try:
                while not stop.is_set():
                    factories.request(description=f"Заявка {written[0]}")
                    written[0] += 1
            except Exception as exc:  # noqa: BLE001 - reported by the test below
                failures.append(exc)
            finally:
                db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_until(lambda: written[0] >= 5 or failures)
        result = runner.invoke(args=["backup", str(tmp_path / "busy.tar")])
        during = written[0]
        wait_until(lambda: written[0] >= during + 5 or failures)  # still writing after the backup
    finally:
        stop.set()
        thread.join()
    assert not failures, failures
    assert result.exit_code == 0, result.output

    with restore(database_url, tmp_path, tmp_path / "busy.tar") as (restored, result):
        assert result.exit_code == 0, result.output
        assert "DIFFERS" not in result.output
        restored_counts = counts(restored)
        assert 5 < restored_counts["requests"] < counts(app)["requests"]  # a moment amid the writing
        with restored.app_context():
            # One moment: every request with its history and its number taken from the counter.
            numbers = db.session.execute(select(func.max(Request.number))).scalar_one()
            assert db.session.get(Counter, "request").value == numbers == restored_counts["requests"]
            created = db.session.execute(select(func.count()).select_from(RequestEvent)
                                         .where(RequestEvent.kind == "created")).scalar_one()
            assert created == restored_counts["requests"]


def wait_until(condition) -> None:
    """Until the writer thread has got that far (it writes a request in milliseconds)."""
    event = threading.Event()
    while not condition():
        event.wait(0.01)


def test_restore_refuses_a_database_that_is_not_empty(app, runner, tmp_path):
    with_photo(app)
    before = counts(app)
    assert runner.invoke(args=["backup", str(tmp_path / "b.tar")]).exit_code == 0
    result = runner.invoke(args=["restore", str(tmp_path / "b.tar")])  # into the same, full database
    assert result.exit_code == 1
    assert "is not empty" in result.output and "nothing was restored" in result.output
    assert counts(app) == before


def test_restore_refuses_to_replace_a_different_file(app, runner, database_url, tmp_path):
    with_photo(app)
    assert runner.invoke(args=["backup", str(tmp_path / "b.tar")]).exit_code == 0
    other = tmp_path / "restored" / "storage" / "photos" / "2026" / "leak.jpg"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"another photo")
    with restore(database_url, tmp_path, tmp_path / "b.tar") as (restored, result):
        assert result.exit_code == 1
        assert "differs from the backup's file; nothing was restored" in result.output
        with restored.app_context(), db.engine.connect() as conn:
            assert not inspect(conn).get_table_names()  # the database was left empty
        assert other.read_bytes() == b"another photo"


def test_restore_refuses_what_is_not_a_backup(app, runner, tmp_path):
    (tmp_path / "x.tar").write_bytes(b"not a tar at all")
    result = runner.invoke(args=["restore", str(tmp_path / "x.tar")])
    assert result.exit_code == 1 and "is not a backup archive" in result.output


def test_restore_says_when_the_database_does_not_exist(app, database_url, tmp_path):
    if make_url(database_url).get_backend_name() == "sqlite":
        pytest.skip("SQLite makes a new file where none is")
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.tar")]).exit_code == 0
    missing = make_url(database_url).set(database="zhkh_no_such_db").render_as_string(hide_password=False)
    result = create_app(base_config(tmp_path / "m", missing)).test_cli_runner().invoke(
        args=["restore", str(tmp_path / "b.tar")])
    assert result.exit_code == 1
    assert "cannot be opened" in result.output and "createdb" in result.output


@pytest.fixture
def postgres_only(database_url):
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("pg_dump is PostgreSQL's")


def fake_pg_dump(tmp_path, monkeypatch, version: str | None) -> None:
    """PATH holds only a pg_dump that says `version` (None: no pg_dump at all)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if version is not None:
        script = bin_dir / "pg_dump"
        script.write_text(f"#!/bin/sh\necho 'pg_dump (PostgreSQL) {version}'\n")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))


def test_a_missing_pg_dump_is_named_with_what_to_install(app, runner, tmp_path, monkeypatch, postgres_only):
    fake_pg_dump(tmp_path, monkeypatch, None)
    result = runner.invoke(args=["backup", str(tmp_path / "b.tar")])
    assert result.exit_code == 1
    server = db_major(app)
    assert f"pg_dump was not found in PATH: install PostgreSQL {server}'s client tools" in result.output
    assert f"postgresql-client-{server}" in result.output
    assert not (tmp_path / "b.tar").exists()


def test_a_pg_dump_older_than_the_server_is_refused(app, runner, tmp_path, monkeypatch, postgres_only):
    fake_pg_dump(tmp_path, monkeypatch, "9.6.24")
    result = runner.invoke(args=["backup", str(tmp_path / "b.tar")])
    assert result.exit_code == 1
    assert f"pg_dump 9 ({tmp_path / 'bin' / 'pg_dump'}) is older than the server ({db_major(app)})" in result.output
    assert not (tmp_path / "b.tar").exists()


def db_major(app) -> int:
    with app.app_context(), db.engine.connect() as conn:
        return conn.dialect.server_version_info[0]
