"""What the bot tells the next resident: an incident still being dealt with (открыта, устраняется) at
the resident's house, of the category (and subcategory) they chose; and joining it without describing
the problem (the request is filed linked, counted and notified like the others, with nothing for a
dispatcher to do)."""
from types import SimpleNamespace

from sqlalchemy import bindparam, or_, select

from app.extensions import db
from app.models import Incident, IncidentAddress
from app.models.incidents import entrances_label
from app.services.incidents import records, statuses
from app.services.requests import lifecycle


_house = IncidentAddress
# Built once: the bot asks it at every category and subcategory a resident chooses. A NULL :sub
# (asked before the subcategory is chosen) matches only incidents without a subcategory.
_AT_HOUSE = (
    select(Incident).join(_house, _house.incident_id == Incident.id)
    .where(Incident.status.in_([s.value for s in statuses.KNOWN]), Incident.category_id == bindparam("category"),
           or_(Incident.subcategory_id.is_(None), Incident.subcategory_id == bindparam("sub")),
           _house.city == bindparam("city"), _house.street == bindparam("street"),
           (_house.house + _house.house_letter) == bindparam("house"))
    .order_by(Incident.created_at.desc()).limit(1))


def at_house(client, category_id: int, subcategory_id: int | None) -> Incident | None:
    """The newest known incident at the client's house for the category: one without a subcategory
    matches the category alone (`subcategory_id` None: asked before the subcategory is chosen), one with
    a subcategory matches only it."""
    return db.session.execute(_AT_HOUSE, {
        "category": category_id, "sub": subcategory_id, "city": client.city or "", "street": client.street or "",
        "house": (client.house or "") + (client.house_letter or "")}).scalars().first()


def entrances_at(incident: Incident, client) -> str:
    """The entrances the incident notes at the client's house, worded («подъезды 1–3»), or "" (none noted)."""
    house = (client.city or "", client.street or "", (client.house or "") + (client.house_letter or ""))
    for address in incident.addresses:
        if (address.city, address.street, address.house + address.house_letter) == house:
            return entrances_label(address.entrances)
    return ""


def still_known(incident_id: int) -> Incident | None:
    """The incident, locked, if the bot may still offer to join it."""
    incident = records.load(incident_id, lock=True)
    return incident if incident is not None and incident.status in statuses.KNOWN else None


def join(incident: Incident, request) -> None:
    """Link the resident's just-filed request to the (locked) incident, brought to its state."""
    resident = SimpleNamespace(id=None, display_name=lifecycle.RESIDENT_LABEL)
    records.link(incident, [request.id], resident, tell=False)
