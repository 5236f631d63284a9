"""The journal's Excel exports as jobs any web process can answer (app.journal.export)."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class ExportJob(db.Model):
    """An Excel export of the journal (app.journal.export): any web process answers its polling and
    its download; the process running it beats (heartbeat_at) until it ends."""

    __tablename__ = "export_jobs"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # random, in the page's URLs
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="running")  # running, done, cancelled, error
    done: Mapped[int] = mapped_column(default=0)   # rows written so far
    total: Mapped[int] = mapped_column(default=0)  # rows counted when started; the rows written when done
    filename: Mapped[str] = mapped_column(String(128), default="")
    ascii_filename: Mapped[str] = mapped_column(String(128), default="")
    message: Mapped[str] = mapped_column(String(512), default="")  # why it ended without a file, in Russian
    file: Mapped[str] = mapped_column(String(512), default="")     # the workbook's storage reference
    host: Mapped[str] = mapped_column(String(255), default="")     # the process running it
    pid: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
