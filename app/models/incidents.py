"""Incidents (аварии): one burst riser, dead lift or power cut that many requests are about.

The requests an incident holds name it (Request.incident_id), so a request belongs to one incident
at most. The rules (statuses, linking, moving them all) are in app.services.incidents.
"""
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.reference import format_address, format_category


class IncidentStatus(StrEnum):
    OPEN = "open"
    FIXING = "fixing"
    FIXED = "fixed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return INCIDENT_LABELS[self]


INCIDENT_LABELS = {
    IncidentStatus.OPEN: "открыта",
    IncidentStatus.FIXING: "устраняется",
    IncidentStatus.FIXED: "устранена",
    IncidentStatus.CLOSED: "закрыта",
}


class Incident(db.Model):
    __tablename__ = "incidents"
    lock_column = "note"  # app.database.locked rewrites it to itself

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    subcategory_id: Mapped[int | None] = mapped_column(ForeignKey("subcategories.id"))
    description: Mapped[str] = mapped_column(Text, default="")   # what residents are told
    expected_at: Mapped[object | None] = mapped_column(UTCDateTime)  # the expected time of the fix
    executor_id: Mapped[int | None] = mapped_column(ForeignKey("executors.id"))
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.OPEN.value)
    note: Mapped[str] = mapped_column(Text, default="")  # the latest move's note to residents
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)

    category = relationship("Category")
    subcategory = relationship("Subcategory")
    executor = relationship("Executor")
    created_by = relationship("StaffUser")
    addresses: Mapped[list["IncidentAddress"]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentAddress.id")
    events: Mapped[list["IncidentEvent"]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentEvent.id")

    __table_args__ = (Index("ix_incidents_status_created", "status", "created_at"),)

    @property
    def status_label(self) -> str:
        return INCIDENT_LABELS[IncidentStatus(self.status)]

    @property
    def category_text(self) -> str:
        return format_category(self.category, self.subcategory)

    @property
    def address_text(self) -> str:
        return "; ".join(a.text for a in self.addresses)


def entrances_label(entrances: str) -> str:
    """«подъезд 2», «подъезды 1–3, 5»; "" when none are noted (app.services.incidents.entrances checks them)."""
    if not entrances:
        return ""
    return ("подъезд " if entrances.isdigit() else "подъезды ") + entrances


class IncidentAddress(db.Model):
    """A house the incident affects (residents' data has no entrances, so a house is the unit of matching;
    `entrances` is the dispatcher's note of which, «1–3, 5», shown and told to the house's residents)."""

    __tablename__ = "incident_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    city: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    house: Mapped[str] = mapped_column(String(20), default="")
    house_letter: Mapped[str] = mapped_column(String(10), default="")
    entrances: Mapped[str] = mapped_column(String(40), default="", server_default="")

    incident: Mapped[Incident] = relationship(back_populates="addresses")

    __table_args__ = (Index("ix_incident_addresses_house", "street", "house"),)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.city, self.street, self.house, self.house_letter)

    @property
    def house_text(self) -> str:
        return format_address(self.city, self.street, self.house, self.house_letter, "")

    @property
    def text(self) -> str:
        """«г. Самара, ул. Ленина, д. 24 (подъезды 1–3)»."""
        noted = entrances_label(self.entrances)
        return self.house_text + (f" ({noted})" if noted else "")


class IncidentEvent(db.Model):
    """One line of an incident's history: created, status moved, request linked or unlinked, message."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # created / status / linked / unlinked / message / returned
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[Incident] = relationship(back_populates="events")
