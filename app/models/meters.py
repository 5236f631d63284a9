"""Meters of personal accounts and the readings residents and operators give for them.

Values are kept as integers in thousandths of a unit (a meter shows at most three digits after the
point), so they are exact on both databases and compared without rounding. A multi-rate
electricity meter has one value per rate (v1..v3); the others have v1 only.
See app.services.meters."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, SmallInteger, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

SCALE = 1000  # stored values are thousandths


@dataclass(frozen=True)
class Resource:
    code: str
    title: str          # as staff and residents see it
    unit: str
    rates: tuple[str, ...] = ("",)  # the rates' names; one unnamed rate for most meters

    @property
    def rate_count(self) -> int:
        return len(self.rates)


RESOURCES = {r.code: r for r in (
    Resource("cold", "ХВС", "м³"),
    Resource("hot", "ГВС", "м³"),
    Resource("power", "Электроэнергия", "кВт·ч"),
    Resource("power2", "Электроэнергия (двухтарифный)", "кВт·ч", ("день", "ночь")),
    Resource("power3", "Электроэнергия (трёхтарифный)", "кВт·ч", ("пик", "полупик", "ночь")),
    Resource("heat", "Отопление", "Гкал"),
    Resource("gas", "Газ", "м³"),
)}

# Reading sources and states.
BOT, OPERATOR, IMPORT = "bot", "operator", "import"
SOURCES = {BOT: "бот", OPERATOR: "оператор", IMPORT: "импорт"}
ACCEPTED = "accepted"      # counts
SUSPICIOUS = "suspicious"  # counts until an operator rejects it: unusual consumption, confirmed by the resident
SWAP = "swap"              # the resident says the meter was replaced: no reading, the dispatcher acts
REJECTED = "rejected"      # an operator rejected it (the resident was told)
CORRECTED = "corrected"    # a later reading of the same month replaced it (history)
STATUSES = {ACCEPTED: "принято", SUSPICIOUS: "требует проверки", SWAP: "заменён счётчик?",
            REJECTED: "отклонено", CORRECTED: "исправлено"}
COUNTED = (ACCEPTED, SUSPICIOUS)  # statuses whose values are the month's reading
# A live row (one per meter and month) is ACCEPTED, SUSPICIOUS or SWAP; REJECTED and CORRECTED rows are history.


class Meter(db.Model):
    __tablename__ = "meters"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(8))             # a RESOURCES key
    serial: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(64), default="")   # кухня, ванная…
    int_digits: Mapped[int] = mapped_column(SmallInteger, default=5)   # before the decimal point
    frac_digits: Mapped[int] = mapped_column(SmallInteger, default=3)  # after it (0..3)
    verification_due: Mapped[date | None] = mapped_column(Date)
    initial_date: Mapped[date] = mapped_column(Date)
    initial1: Mapped[int] = mapped_column(BigInteger, default=0)
    initial2: Mapped[int | None] = mapped_column(BigInteger)
    initial3: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    replaced_on: Mapped[date | None] = mapped_column(Date)        # closed with its final reading
    final1: Mapped[int | None] = mapped_column(BigInteger)
    final2: Mapped[int | None] = mapped_column(BigInteger)
    final3: Mapped[int | None] = mapped_column(BigInteger)
    verification_noticed: Mapped[date | None] = mapped_column(Date)  # the due date residents were told of
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    client = relationship("Client")

    __table_args__ = (
        Index("ix_meters_client", "client_id", "active"),
        Index("ix_meters_serial", "serial"),
        Index("ix_meters_verification", "active", "verification_due"),
    )

    @property
    def kind(self) -> Resource:
        return RESOURCES[self.resource]

    @property
    def initial(self) -> tuple:
        return (self.initial1, self.initial2, self.initial3)[:self.kind.rate_count]

    @property
    def final(self) -> tuple:
        return (self.final1, self.final2, self.final3)[:self.kind.rate_count]

    @classmethod
    def of_client(cls, client_id: int, active_only: bool = False):
        stmt = select(cls).where(cls.client_id == client_id)
        if active_only:
            stmt = stmt.where(cls.active)
        return stmt.order_by(cls.active.desc(), cls.resource, cls.id)


class MeterReading(db.Model):
    """One reading of a meter for a month (`period`: its first day). A month's reading is the one
    `live` row (a correction replaces it, the history keeps both)."""

    __tablename__ = "meter_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    period: Mapped[date] = mapped_column(Date)
    v1: Mapped[int] = mapped_column(BigInteger)
    v2: Mapped[int | None] = mapped_column(BigInteger)
    v3: Mapped[int | None] = mapped_column(BigInteger)
    # The values it was checked against (the previous reading, or the meter's initial one).
    prev1: Mapped[int | None] = mapped_column(BigInteger)
    prev2: Mapped[int | None] = mapped_column(BigInteger)
    prev3: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default=ACCEPTED)
    live: Mapped[bool] = mapped_column(Boolean, default=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    photo_file_id: Mapped[str] = mapped_column(String(200), default="")   # Telegram's, until downloaded
    photo_path: Mapped[str] = mapped_column(String(255), default="")      # under STORAGE_DIR
    comment: Mapped[str] = mapped_column(Text, default="")                # the operator's, on a review
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    meter = relationship(Meter)

    __table_args__ = (
        # One live reading per meter and month, whatever two submissions race.
        Index("uq_meter_readings_live", "meter_id", "period", unique=True,
              sqlite_where=text("live"), postgresql_where=text("live")),
        Index("ix_meter_readings_meter", "meter_id", "period", "id"),
        Index("ix_meter_readings_period", "period", "status", "live", "meter_id"),  # a month by state, index-only
    )

    @property
    def values(self) -> tuple:
        return (self.v1, self.v2, self.v3)[:self.meter.kind.rate_count]

    @property
    def previous(self) -> tuple:
        return (self.prev1, self.prev2, self.prev3)[:self.meter.kind.rate_count]


class MeterReminderOptOut(db.Model):
    """A Telegram user who asked the bot not to remind them of meter readings."""

    __tablename__ = "meter_reminder_opt_outs"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class MeterReminderRun(db.Model):
    """A reminder queued for a month («open», «closing»): once a month, whatever restarts."""

    __tablename__ = "meter_reminder_runs"

    period: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
