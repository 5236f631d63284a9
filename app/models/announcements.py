"""Announcements to residents (outage notices) and the residents who switched them off."""
from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Announcement(db.Model):
    """A notice to the residents of some addresses: a draft until it is sent, then one outbox
    row per Telegram chat (Notification.announcement_id), whose states make its report.
    See app.services.messaging.announcements."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)                       # plain text, as Telegram shows it
    photo: Mapped[str] = mapped_column(String(512), default="")   # a file store reference, or none
    audience: Mapped[str] = mapped_column(Text, default="{}")     # JSON: services.audience.Audience
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the rows are queued (one transaction): a draft has none.
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(default=0)             # chats queued
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[object | None] = mapped_column(UTCDateTime)

    created_by = relationship("StaffUser", foreign_keys=[created_by_id])
    sent_by = relationship("StaffUser", foreign_keys=[sent_by_id])
    cancelled_by = relationship("StaffUser", foreign_keys=[cancelled_by_id])

    @property
    def is_draft(self) -> bool:
        return self.sent_at is None


class AnnouncementOptOut(db.Model):
    """A Telegram user who asked the bot not to send announcements (request messages still come)."""

    __tablename__ = "announcement_opt_outs"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
