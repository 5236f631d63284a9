"""What the bot keeps: bindings, dialog state, processed updates, the outbox and the staff digests."""
from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
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
    """The outbox: every message the system sends to Telegram on its own initiative (status
    notifications, staff messages, replies that must not be lost, alerts, announcements).
    Written with the change that causes it, sent by the bot worker (app/bot/outbox.py);
    app.services.messaging.outbox writes the rows and names their states."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"))
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24), default="status")  # what it is: status, reply, message...
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)  # lower first: services.outbox.URGENT...
    photo: Mapped[str] = mapped_column(String(512), default="")    # a file store reference (or telegram:<id>), sent with text as caption
    buttons: Mapped[str] = mapped_column(Text, default="")         # reply_markup as Bot API JSON
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sending / sent / failed / cancelled
    failure: Mapped[str] = mapped_column(String(16), default="")   # why it failed: services.outbox.FAILURES
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # A message of a request's conversation this row carries (a long one, or a photo, takes several).
    message_id: Mapped[int | None] = mapped_column(ForeignKey("request_messages.id", ondelete="SET NULL"))
    # Set instead of message_id by code that queues before the message has its id (no flush per message).
    message = relationship("RequestMessage")

    __table_args__ = (
        # The sender's round: pending rows by priority; and "is there an earlier one for this chat".
        Index("ix_notifications_status_priority", "status", "priority", "id"),
        Index("ix_notifications_chat_status", "chat_id", "status", "priority", "id"),
        Index("ix_notifications_request", "request_id"),
        Index("ix_notifications_message", "message_id"),
        Index("ix_notifications_announcement", "announcement_id", "status"),  # a notice's report
    )


class BotStatus(db.Model):
    """The bot worker's heartbeat (one row), so staff see when residents cannot reach them."""

    __tablename__ = "bot_status"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # always 1
    username: Mapped[str] = mapped_column(String(64), default="")
    beat_at: Mapped[object] = mapped_column(UTCDateTime)                          # the worker was alive
    telegram_ok_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)  # Telegram last answered


class StaffDigest(db.Model):
    """Local days whose morning digest was queued for the staff chat: one a day, whatever restarts."""

    __tablename__ = "staff_digests"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
