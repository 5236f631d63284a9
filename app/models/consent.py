"""Consent to personal data (152-ФЗ): the versions of the company's notice and each resident's answer."""
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class ConsentVersion(db.Model):
    """One version of the notice residents agree to: each edit of the text or the policy's address
    is a new row, so the company can show what exactly someone agreed to (app.services.people.consent)."""

    __tablename__ = "consent_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)  # 1, 2, ... as residents and staff see it
    notice: Mapped[str] = mapped_column(Text)
    policy_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    created_by = relationship("StaffUser")


class ConsentRecord(db.Model):
    """A resident's «Согласен», «Не согласен» or withdrawal («Удалить мои данные»): the proof of consent.
    It names the Telegram user and the version only, never a person or a request, so it is kept
    after the resident's data is deleted."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    version_id: Mapped[int] = mapped_column(ForeignKey("consent_versions.id"))
    action: Mapped[str] = mapped_column(String(16))  # agreed / refused / withdrawn
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[ConsentVersion] = relationship()

    __table_args__ = (
        Index("ix_consent_records_user", "telegram_user_id", "id"),  # the user's latest answer
        Index("ix_consent_records_created", "created_at", "id"),     # the staff's list, newest first
    )
