from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Attempt(db.Model):
    """A failed attempt (web login, bot identification) counted by services.throttle."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_attempts_scope_key_created", "scope", "key", "created_at"),)
