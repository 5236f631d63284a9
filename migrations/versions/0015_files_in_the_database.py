"""files in the database: stored_files and their chunks; the photos under STORAGE_DIR moved in

With FILE_STORE=database (the default) every file a row names (request_photos.file_path,
notifications.photo, announcements.photo) is copied from STORAGE_DIR into the database, read back
and compared with the file on disk (size and SHA-256); only then does the row name the copy
(`db:<id>`). A file that does not compare stops the migration before any row is renamed. No file is
ever deleted from STORAGE_DIR: once the photos show in the web app, the operator removes the
directory (docs/operations.md). A named file missing from the disk is reported and its rows keep
the name, as they were. A file under STORAGE_DIR that no row names (left by a crash) is not moved
and not deleted: the migration lists it (count and paths), as `flask storage-check` does later.
With FILE_STORE=directory nothing is moved.

Going down writes every file in the database that a row names back under STORAGE_DIR
(`files/<id>.<ext>`), renames the rows, and drops the tables.

Revision ID: 0015
Revises: 0014
"""
import hashlib
import mimetypes
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

DB = "db:"
# (table, column) naming files; notifications' "telegram:<file id>" are Telegram's, not ours.
REFERENCES = (("request_photos", "file_path"), ("notifications", "photo"), ("announcements", "photo"))
TELEGRAM_FILE = "telegram:"


def upgrade():
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # ids never reused: a reference never names another file
        if_not_exists=True,  # SQLite keeps a table created before a failed move: the next try goes on
    )
    op.create_table(
        "stored_file_chunks",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["stored_files.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("file_id", "seq"),
        if_not_exists=True,
    )
    if current_app.config["FILE_STORE"] == "database":
        _move_in(op.get_bind(), Path(current_app.config["STORAGE_DIR"]).resolve())


def downgrade():
    _move_out(op.get_bind(), Path(current_app.config["STORAGE_DIR"]).resolve())
    op.drop_table("stored_file_chunks")
    op.drop_table("stored_files")


def _named(conn) -> list[str]:
    """Every file name the rows hold, once."""
    names = set()
    for table, column in REFERENCES:
        names.update(conn.execute(sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} <> ''")).scalars())
    return sorted(n for n in names if not n.startswith((DB, TELEGRAM_FILE)))


def _rename(conn, old: str, new: str) -> None:
    for table, column in REFERENCES:
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"), {"old": old, "new": new})


def _digest(chunks) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _move_in(conn, root: Path) -> None:
    from app.services import storage, storage_check
    moved, missing = {}, []
    named = _named(conn)
    for name in named:
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            missing.append(name)
            continue
        with path.open("rb") as fh:
            on_disk = _digest(iter(lambda: fh.read(storage.CHUNK), b""))
        with path.open("rb") as fh:
            file_id = storage.put(conn, fh, storage.content_type_of(name))
        stored = _digest(storage.pieces(conn, file_id))
        recorded = tuple(conn.execute(sa.text("SELECT size, sha256 FROM stored_files WHERE id = :id"),
                                      {"id": file_id}).one())
        if stored != on_disk or recorded != on_disk:
            raise RuntimeError(f"{path}: the copy in the database differs from the file ({stored} != {on_disk}); "
                               "nothing was moved, no file was deleted")
        moved[name] = f"{DB}{file_id}"
    for name, ref in moved.items():  # only once every copy compared: a failure renames nothing
        _rename(conn, name, ref)
    if moved:
        print(f"Files moved into the database, each compared with its file: {len(moved)}; "
              f"the files stay in {root} (docs/operations.md says when to remove them).")
    if missing:
        print(f"Named by rows but not found under {root} ({len(missing)}), left as they were: "
              + ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else ""))
    unnamed = storage_check.not_named(root, named)
    if unnamed:  # left by a crash, or by hand: only a person can tell whether they are wanted
        print(f"Files under {root} that no row names ({len(unnamed)}), not moved and not deleted "
              "(`flask storage-check` lists them again):\n" + "\n".join(f"  {name}" for name in unnamed))


def _move_out(conn, root: Path) -> None:
    from app.services import storage
    names = set()
    for table, column in REFERENCES:
        names.update(conn.execute(sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} LIKE 'db:%'"))
                     .scalars())
    for ref in sorted(names):
        file_id = int(ref.removeprefix(DB))
        content_type = conn.execute(sa.text("SELECT content_type FROM stored_files WHERE id = :id"),
                                    {"id": file_id}).scalar()
        if content_type is None:
            continue
        name = f"files/{file_id}{mimetypes.guess_extension(content_type) or '.bin'}"
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            for chunk in storage.pieces(conn, file_id):
                fh.write(chunk)
        _rename(conn, ref, name)
