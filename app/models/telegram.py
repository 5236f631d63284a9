"""What the bot keeps: bindings, dialog state, processed updates and the outbox."""
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class TelegramBinding(db.Model):
    """A (Telegram user, phone) pair bound to a personal account. See services.bindings."""

    __tablename__ = "telegram_bindings"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    phone: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped["Client"] = relationship(back_populates="bindings")  # noqa: F821

    __table_args__ = (
        UniqueConstraint("client_id", "telegram_user_id", "phone", name="uq_binding_pair"),
        Index("ix_telegram_bindings_client_created", "client_id", "created_at"),
    )


class Conversation(db.Model):
    """Dialog state of one Telegram user, kept in the database so a restart loses nothing."""

    __tablename__ = "conversations"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProcessedUpdate(db.Model):
    """Telegram update ids already handled: delivery is at-least-once."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Notification(db.Model):
    """Outbox: messages for residents written by the web app, sent by the bot worker."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sent / failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_notifications_status_next", "status", "next_attempt_at"),)


class BotStatus(db.Model):
    """The bot worker's heartbeat (one row), so staff see when residents cannot reach them."""

    __tablename__ = "bot_status"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # always 1
    username: Mapped[str] = mapped_column(String(64), default="")
    beat_at: Mapped[object] = mapped_column(UTCDateTime)                          # the worker was alive
    telegram_ok_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)  # Telegram last answered
