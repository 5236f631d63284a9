"""Files kept in the database (app.services.storage, FILE_STORE=database)."""
from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class StoredFile(db.Model):
    """A file's description; its bytes are in StoredFileChunk rows of up to storage.CHUNK bytes each,
    so a large file (an export) is written and read a piece at a time, never whole in memory."""

    __tablename__ = "stored_files"
    # An id is never given again (SQLite would reuse the highest after a delete): a reference still held
    # somewhere (the worker remembers Telegram's file id per reference) never names another file.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(128), default="application/octet-stream")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class StoredFileChunk(db.Model):
    __tablename__ = "stored_file_chunks"

    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
