"""`flask backup PATH` and `flask restore PATH`: the database and the files in one archive.

The archive is a tar (gzip-compressed when PATH ends in .gz or .tgz) holding
- the database: SQLite's own copy made with its online backup API (`database.sqlite`), or
  PostgreSQL's `pg_dump --format=custom` (`database.pgdump`);
- every file under STORAGE_DIR (`storage/...`): the photos of FILE_STORE=directory, and those kept there
  before migration 0015 (with FILE_STORE=database, the default, the files are rows of the database's copy);
- `manifest.json`: the engine, the migration revision, and the rows of every table in the copy.

Both engines copy one consistent moment while the web app and the bot go on writing: SQLite's
backup API copies in one step under a read transaction (WAL: writers are not blocked);
PostgreSQL's counts are taken in a REPEATABLE READ transaction whose snapshot pg_dump is
given (`--snapshot`), so the counts in the manifest are exactly the dump's. The database is
copied before the files: a file is written before the row naming it commits, so every file
the copy names is on disk by then. The archive is written under a temporary name and renamed
when complete: a failed or killed backup never leaves a half archive under PATH.

Restore goes into an EMPTY database of the same engine (no tables: a new file, or a new
`createdb`), then counts every table and compares with the manifest.
"""
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app.extensions import db
from app.services.operations.counts import TableCount, compare, count_rows, differing

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
STORAGE = "storage"
PARTIAL = ".part-"  # app.services.storage writes a file under such a name, then renames it


class BackupError(Exception):
    """Refused or failed, with a sentence saying why and what to do."""


class CountMismatch(BackupError):
    def __init__(self, counts: list[TableCount]):
        super().__init__(f"row counts differ from the backup's in {differing(counts)}")
        self.counts = counts


def revision(conn: Connection) -> list[str]:
    return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


# --- backup -------------------------------------------------------------------------------------

def backup(path: Path, storage_dir: Path) -> dict:
    """Write the archive at `path`; returns its manifest."""
    url = db.engine.url
    path = path.resolve()
    if path.is_dir():
        raise BackupError(f"{path} is a directory: give the archive's file name, e.g. {path / 'zhkh.tar'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as staging:
        if url.get_backend_name() == "sqlite":
            member, dump = SQLITE_MEMBER, Path(staging) / SQLITE_MEMBER
            manifest = _sqlite_backup(Path(url.database), dump)
        else:
            member, dump = PG_MEMBER, Path(staging) / PG_MEMBER
            manifest = _postgres_backup(dump)
        manifest.update(format=FORMAT, created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        partial = Path(staging) / "archive"
        with tarfile.open(partial, _write_mode(path)) as tar:
            tar.add(dump, arcname=member)
            manifest["files"] = _add_files(tar, storage_dir)
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode())
        os.replace(partial, path)
    return manifest


def _write_mode(path: Path) -> str:
    return "w:gz" if path.name.endswith((".gz", ".tgz")) else "w"


def _sqlite_backup(source: Path, target: Path) -> dict:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout = 15000")
        src.backup(dst)  # all pages in one step: one consistent moment, writers carry on (WAL)
        dst.execute("PRAGMA journal_mode = DELETE")  # the copy is one self-contained file
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("SQLite's check of the copy failed: the database file may be damaged "
                              "(run `sqlite3 instance/app.db 'PRAGMA integrity_check'`)")
    finally:
        dst.close()
        src.close()
    engine = create_engine(f"sqlite:///{target}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {"engine": "sqlite", "revision": revision(conn), "counts": count_rows(conn)}
    finally:
        engine.dispose()


def _postgres_backup(target: Path) -> dict:
    with db.engine.connect() as conn:
        server = conn.dialect.server_version_info[0]
        pg_dump = _client("pg_dump", server, "the server")
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            manifest = {"engine": "postgresql", "revision": revision(conn), "counts": count_rows(conn),
                        "server_version": server, "pg_dump_version": pg_dump.major}
            # pg_dump reads the very snapshot counted above, held by this open transaction.
            _run([pg_dump.path, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                  f"--file={target}", "--dbname", _libpq_uri(db.engine.url)], db.engine.url)
    return manifest


@dataclass
class _Client:
    path: str
    major: int


def _client(name: str, needed: int, of_what: str) -> _Client:
    """pg_dump or pg_restore on PATH, of at least the major version `needed`."""
    path = shutil.which(name)
    hint = (f"install PostgreSQL {needed}'s client tools (Debian/Ubuntu: apt-get install "
            f"postgresql-client-{needed}) and put them first in PATH "
            f"(e.g. PATH=/usr/lib/postgresql/{needed}/bin:$PATH)")
    if path is None:
        raise BackupError(f"{name} was not found in PATH: {hint}")
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"(\d+)(?:\.\d+)*", output)
    if found is None:
        raise BackupError(f"{path} --version said {output.strip()!r}, not a version: {hint}")
    major = int(found.group(1))
    if major < needed:
        raise BackupError(f"{name} {major} ({path}) is older than {of_what} ({needed}) and cannot "
                          f"work with it: {hint}")
    return _Client(path, major)


def _libpq_uri(url) -> str:
    """The URL for pg_dump / pg_restore, without the password (passed in PGPASSWORD, not on the command line)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(command: list[str], url) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip() or done.returncode}")


def _add_files(tar: tarfile.TarFile, storage_dir: Path) -> int:
    """Every file under STORAGE_DIR, but those half-written at this moment."""
    added = 0
    if not storage_dir.is_dir():
        return added
    for root, dirs, files in os.walk(storage_dir):
        dirs.sort()
        for name in sorted(files):
            if name.startswith(PARTIAL):
                continue
            file = Path(root) / name
            try:
                tar.add(file, arcname=f"{STORAGE}/{file.relative_to(storage_dir).as_posix()}", recursive=False)
            except FileNotFoundError:  # deleted since the walk listed it
                continue
            added += 1
    return added


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(content), int(datetime.now().timestamp()), 0o644
    tar.addfile(info, io.BytesIO(content))


# --- restore ------------------------------------------------------------------------------------

def restore(path: Path, storage_dir: Path, echo) -> tuple[dict, list[TableCount]]:
    """Restore the archive into the current, empty database and STORAGE_DIR; the counts compared."""
    url = db.engine.url
    engine_name = url.get_backend_name()
    try:
        tar = tarfile.open(path, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a backup archive of `flask backup` ({exc})") from None
    with tar, tempfile.TemporaryDirectory(prefix=".restore-") as staging:
        manifest = _manifest(tar, path)
        if manifest["engine"] != engine_name:
            raise BackupError(
                f"the backup is of a {manifest['engine']} database and DATABASE_URL names a {engine_name} one: "
                f"restore into the same engine (to move SQLite to PostgreSQL, restore into SQLite, then "
                f"`flask transfer-db`)")
        if engine_name == "sqlite":  # a new file in a new folder, as a restore drill makes it
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        _check_empty()
        files = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(STORAGE + "/")]
        if any(".." in PurePosixPath(m.name).parts for m in files):
            raise BackupError(f"{path} names files outside {STORAGE}/: it was not written by `flask backup`")
        _check_no_other_files(tar, files, storage_dir)
        member = SQLITE_MEMBER if engine_name == "sqlite" else PG_MEMBER
        tar.extract(member, staging, filter="data")
        dump = Path(staging) / member
        db.engine.dispose()  # restore through connections of its own
        if engine_name == "sqlite":
            _sqlite_restore(dump, Path(url.database))
        else:
            _postgres_restore(dump, manifest, echo)
        db.engine.dispose()
        with db.engine.connect() as conn:
            restored = count_rows(conn)
        counts = compare(manifest["counts"], restored)
        if any(c.differs for c in counts):
            raise CountMismatch(counts)
        storage_dir.mkdir(parents=True, exist_ok=True)
        for info in files:
            info = _under_storage(info)
            tar.extract(info, storage_dir, filter="data")
    return manifest, counts


def _manifest(tar: tarfile.TarFile, path: Path) -> dict:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError(f"{path} has no manifest: it was not written by `flask backup`, or is cut short") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is of backup format {manifest.get('format')}; this version reads {FORMAT}")
    return manifest


def _check_empty() -> None:
    try:
        with db.engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    except OperationalError as exc:
        raise BackupError(f"the database of DATABASE_URL cannot be opened ({str(exc.orig).strip()}): "
                          "create it first (PostgreSQL: createdb) and check DATABASE_URL") from None
    if tables:
        shown = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
        raise BackupError(
            f"the database of DATABASE_URL is not empty ({len(tables)} tables: {shown}); nothing was restored. "
            "Restore only into an empty database: a new SQLite file, or a new PostgreSQL database (createdb)")


def _under_storage(info: tarfile.TarInfo) -> tarfile.TarInfo:
    return info.replace(name=info.name[len(STORAGE) + 1:], deep=False)


def _check_no_other_files(tar: tarfile.TarFile, files: list[tarfile.TarInfo], storage_dir: Path) -> None:
    """Refuse before anything is written where a file of the archive would replace a different one."""
    for info in files:
        existing = storage_dir / info.name[len(STORAGE) + 1:]
        if existing.exists() and (existing.stat().st_size != info.size or
                                  _sha256(existing.open("rb")) != _sha256(tar.extractfile(info))):
            raise BackupError(f"{existing} exists and differs from the backup's file; nothing was restored. "
                              "Restore into an empty STORAGE_DIR")


def _sha256(stream) -> str:
    with stream:
        digest = hashlib.sha256()
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_restore(dump: Path, target: Path) -> None:
    src = sqlite3.connect(dump)
    dst = sqlite3.connect(target)
    try:
        dst.execute("PRAGMA busy_timeout = 15000")
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _postgres_restore(dump: Path, manifest: dict, echo) -> None:
    url = db.engine.url
    with db.engine.connect() as conn:
        server = conn.dialect.server_version_info[0]
    pg_restore = _client("pg_restore", manifest.get("pg_dump_version", server), "the pg_dump that wrote the backup")
    # Without COMMENT ON EXTENSION: only its owner (a superuser) may set it, and the comment is no data.
    listing = subprocess.run([pg_restore.path, "--list", str(dump)], capture_output=True, text=True, check=True)
    entries = dump.with_suffix(".list")
    entries.write_text("".join(line + "\n" for line in listing.stdout.splitlines()
                               if " COMMENT - EXTENSION " not in line))
    echo(f"pg_restore {pg_restore.major} into PostgreSQL {server} ...")
    _run([pg_restore.path, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          "--no-password", f"--use-list={entries}", "--dbname", _libpq_uri(url), str(dump)], url)
    # Statistics and the visibility map are not in a dump; the journal's counts need both.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
