"""Spotting an incident early: N new requests of one category from one house within M minutes
(«Настройки компании»: incident_warning_requests, incident_warning_minutes; defaults 3 and 60).

- The open journal's news poll shows each such group (suspects) with «Объединить», which opens the
  new incident's form with the group's requests.
- The staff chat gets the same line once, when the group's N-th request is filed (filed(), in the
  filing's transaction, through the outbox). Filings are serialised by the request number counter's
  row lock, so exactly one filing sees the count reach N.
A group counts only requests not linked to an incident and still open, and none is reported at a
house where an incident of that category is already known (открыта, устраняется).
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Category, Incident, IncidentAddress, Request, utcnow
from app.models.incidents import IncidentStatus
from app.services import company
from app.services.requests import staff_alerts
from app.services.requests.statuses import OPEN
from app.telegram import staff_chat

KNOWN = (IncidentStatus.OPEN.value, IncidentStatus.FIXING.value)


@dataclass
class Suspect:
    category_id: int
    category: str
    city: str
    street: str
    house: str
    letter: str
    count: int
    first_at: object
    last_at: object
    request_ids: list[int] = field(default_factory=list)

    @property
    def address(self) -> str:
        return ", ".join(part for part in (self.street, self.house + self.letter) if part)

    @property
    def minutes(self) -> int:
        return max(1, round((self.last_at - self.first_at).total_seconds() / 60))

    @property
    def line(self) -> str:
        return staff_chat.possible_incident(self.count, self.category, self.address, self.minutes)


def thresholds() -> tuple[int, int]:
    values = company.get_all("incident_warning_requests", "incident_warning_minutes")
    return int(values["incident_warning_requests"]), int(values["incident_warning_minutes"])


def _house_key():
    return (Request.category_id, Request.city, Request.street, Request.house, Request.house_letter)


def _known_at(category_id, city, street, house, letter) -> bool:
    return db.session.execute(
        select(Incident.id).join(IncidentAddress, IncidentAddress.incident_id == Incident.id)
        .where(Incident.status.in_(KNOWN), Incident.category_id == category_id, IncidentAddress.city == city,
               IncidentAddress.street == street,
               IncidentAddress.house + IncidentAddress.house_letter == house + letter).limit(1)).first() is not None


def _window(minutes: int, now=None):
    since = (now or utcnow()) - timedelta(minutes=minutes)
    return (Request.created_at >= since, Request.incident_id.is_(None),
            Request.status.in_([s.value for s in OPEN]), Request.street != "")


def suspects(now=None) -> list[Suspect]:
    """The groups that reach the threshold now, the biggest first."""
    n, minutes = thresholds()
    rows = db.session.execute(
        select(*_house_key(), func.count(Request.id), func.min(Request.created_at), func.max(Request.created_at))
        .where(*_window(minutes, now)).group_by(*_house_key()).having(func.count(Request.id) >= n)
        .order_by(func.count(Request.id).desc()).limit(10)).all()
    found = []
    for category_id, city, street, house, letter, count, first_at, last_at in rows:
        if _known_at(category_id, city, street, house, letter):
            continue
        ids = db.session.execute(select(Request.id).where(
            *_window(minutes, now), Request.category_id == category_id, Request.city == city,
            Request.street == street, Request.house == house, Request.house_letter == letter)
            .order_by(Request.id)).scalars().all()
        found.append(Suspect(category_id, db.session.get(Category, category_id).name, city, street, house, letter,
                             count, first_at, last_at, list(ids)))
    return found


def filed(request: Request) -> None:
    """A request was filed: if it is the N-th of its group, tell the staff chat (once)."""
    if staff_alerts.chat_id() is None or not request.street:
        return
    n, minutes = thresholds()
    count, first_at = db.session.execute(
        select(func.count(Request.id), func.min(Request.created_at)).where(
            *_window(minutes, request.created_at), Request.category_id == request.category_id,
            Request.city == request.city, Request.street == request.street, Request.house == request.house,
            Request.house_letter == request.house_letter)).one()
    if count != n or _known_at(request.category_id, request.city, request.street, request.house,
                               request.house_letter):
        return
    suspect = Suspect(request.category_id, request.category.name, request.city, request.street, request.house,
                      request.house_letter, count, first_at, request.created_at)
    staff_alerts.possible_incident(suspect.line, request.id)
