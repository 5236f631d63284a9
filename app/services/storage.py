"""The file store: residents', staff's and executors' photos, announcements' photos, finished exports.

FILE_STORE=database (the default): the bytes are kept in the database (stored_files, and
stored_file_chunks in pieces of CHUNK bytes), so every web process and the bot worker, on any
machine, read what any other wrote, and a backup of the database holds them.
FILE_STORE=directory: files under STORAGE_DIR, which several machines would have to share.

A file is named by a reference kept in the row that uses it (RequestPhoto.file_path,
Notification.photo, Announcement.photo, ExportJob.file): `db:<id>` for a file in the database,
otherwise its path relative to STORAGE_DIR. Readers take both whatever FILE_STORE says now, so
switching the setting loses nothing: it only decides where new files go.

Writing into the database happens in the caller's transaction (the session's connection): the
file and the row naming it commit together, so nobody finds a row without its file.
"""
import hashlib
import io
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from flask import Response, current_app, request, send_file, stream_with_context
from sqlalchemy import delete, insert, select, update

from app.extensions import db
from app.models import StoredFile, StoredFileChunk, utcnow

DATABASE, DIRECTORY = "database", "directory"
DB = "db:"  # the prefix of a reference to a file in the database
CHUNK = 1 << 20  # bytes per stored_file_chunks row: a large file never sits whole in memory

_files, _chunks = StoredFile.__table__, StoredFileChunk.__table__


@dataclass(frozen=True)
class Info:
    content_type: str
    size: int
    sha256: str  # "" for a file in STORAGE_DIR (not read to be described)
    created_at: datetime


def content_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# --- writing ------------------------------------------------------------------------------------

def save(name: str, content: bytes, content_type: str | None = None) -> str:
    """Keep the file; returns its reference. `name` (e.g. photos/12/1.jpg) is its path under
    STORAGE_DIR in the directory store, and tells its type when none is given."""
    return save_stream(name, io.BytesIO(content), content_type)


def save_stream(name: str, stream, content_type: str | None = None) -> str:
    """Keep what `stream` (a binary file object) holds, read a CHUNK at a time; returns its reference."""
    content_type = content_type or content_type_of(name)
    if current_app.config["FILE_STORE"] == DATABASE:
        return f"{DB}{put(db.session, stream, content_type)}"
    return _write_under_storage(name, stream)


def put(conn, stream, content_type: str) -> int:
    """Insert the stream's bytes into the database through `conn` (a session or a connection), a
    CHUNK per row; returns the stored file's id. The caller commits."""
    file_id = conn.execute(insert(_files).values(content_type=content_type, size=0, sha256="",
                                                 created_at=utcnow())).inserted_primary_key[0]
    digest, size, seq = hashlib.sha256(), 0, 0
    for piece in iter(lambda: stream.read(CHUNK), b""):
        conn.execute(insert(_chunks).values(file_id=file_id, seq=seq, data=piece))
        digest.update(piece)
        size += len(piece)
        seq += 1
    conn.execute(update(_files).where(_files.c.id == file_id).values(size=size, sha256=digest.hexdigest()))
    return file_id


def _write_under_storage(name: str, stream) -> str:
    """Write the file under STORAGE_DIR at once: readers never see half a file."""
    root = Path(current_app.config["STORAGE_DIR"]).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        raise ValueError(f"{name!r} is outside STORAGE_DIR")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as fh:
        for piece in iter(lambda: stream.read(CHUNK), b""):
            fh.write(piece)
    os.replace(tmp, target)
    return name


def delete_file(ref: str) -> None:
    """Forget the file (in the caller's transaction for the database store); a missing one is no error."""
    file_id = _file_id(ref)
    if file_id is not None:
        db.session.execute(delete(_chunks).where(_chunks.c.file_id == file_id))
        db.session.execute(delete(_files).where(_files.c.id == file_id))
    elif ref:
        path = _path(ref)
        if path is not None:
            path.unlink(missing_ok=True)


# --- reading ------------------------------------------------------------------------------------

def _file_id(ref: str) -> int | None:
    rest = ref.removeprefix(DB) if ref.startswith(DB) else ""
    return int(rest) if rest.isdigit() and len(rest) < 12 else None


def _path(ref: str) -> Path | None:
    """The file under STORAGE_DIR the reference names, if it is there (never one outside)."""
    if not ref or ref.startswith(DB):
        return None
    root = Path(current_app.config["STORAGE_DIR"]).resolve()
    path = (root / ref).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def info(ref: str) -> Info | None:
    """What the file is, or None when there is no such file."""
    file_id = _file_id(ref)
    if file_id is not None:
        row = db.session.execute(select(_files.c.content_type, _files.c.size, _files.c.sha256, _files.c.created_at)
                                 .where(_files.c.id == file_id)).one_or_none()
        return Info(*row) if row is not None else None
    path = _path(ref)
    if path is None:
        return None
    stat = path.stat()
    return Info(content_type_of(path.name), stat.st_size, "", datetime.fromtimestamp(stat.st_mtime, timezone.utc))


def exists(ref: str) -> bool:
    return info(ref) is not None


# PostgreSQL: a chunk is fetched in binary form; bytea's text form (hex) takes five times as long to decode.
_PG_CHUNK = "SELECT data FROM stored_file_chunks WHERE file_id = %s AND seq = %s"


def pieces(conn, file_id: int) -> Iterator[bytes]:
    """The stored file's bytes through `conn` (a session or a connection), a chunk per query: memory
    holds one chunk at a time."""
    connection = conn.connection() if hasattr(conn, "get_bind") else conn
    seqs = connection.execute(select(_chunks.c.seq).where(_chunks.c.file_id == file_id)
                              .order_by(_chunks.c.seq)).scalars().all()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        for seq in seqs:
            with raw.cursor(binary=True) as cursor:
                cursor.execute(_PG_CHUNK, (file_id, seq))
                yield bytes(cursor.fetchone()[0])
        return
    for seq in seqs:
        yield connection.execute(select(_chunks.c.data).where(_chunks.c.file_id == file_id, _chunks.c.seq == seq)
                                 ).scalar()


def chunks(ref: str) -> Iterator[bytes]:
    """The file's bytes in pieces (nothing for a missing file)."""
    file_id = _file_id(ref)
    if file_id is not None:
        yield from pieces(db.session, file_id)
        return
    path = _path(ref)
    if path is not None:
        with path.open("rb") as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")


def read(ref: str) -> bytes | None:
    """The whole file (photos: a few MB at most), or None when there is no such file."""
    if not exists(ref):
        return None
    return b"".join(chunks(ref))


def send(ref: str, *, content_type: str | None = None, download_name: str | None = None) -> Response | None:
    """The file as a response to the current request (streamed; 304 to a browser holding it already),
    an attachment when `download_name` is given; None when there is no such file. The caller sets
    Cache-Control."""
    described = info(ref)
    if described is None:
        return None
    content_type = content_type or described.content_type
    path = _path(ref)
    if path is not None:
        return send_file(path, mimetype=content_type, as_attachment=download_name is not None,
                         download_name=download_name)
    response = Response(stream_with_context(chunks(ref)), mimetype=content_type, direct_passthrough=True)
    response.content_length = described.size
    response.set_etag(described.sha256)
    response.last_modified = described.created_at
    if download_name is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response.make_conditional(request)
