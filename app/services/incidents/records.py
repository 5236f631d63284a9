"""Creating incidents and linking requests to them: the bad-input rules in one place.

- A request of another category or at a house the incident does not list: linked, with a warning
  (a leak from the flat above is often filed as «Сантехника / Другое»; the dispatcher decides).
- A closed or archived request: refused (nothing left to do on it; it would be reopened silently).
- A request in another incident: refused, naming it (unlink it there first). A request holds one
  incident id, so two incidents for it cannot happen even by a race.
- A closed incident takes no requests and no edits. Forged or unknown ids: «не найдена».
- Its houses: at least one; a house typed (or not offered on the page) must be a client's address, so the
  bot can match it; entrances noted per house follow app.services.incidents.entrances.
Every change locks the incident's row first, then the request's, in the order a status move does.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update

from app import gc_pause
from app.database import locked, locked_many
from app.extensions import db
from app.models import Client, Counter, Incident, IncidentAddress, IncidentEvent, Request, utcnow
from app.models.incidents import IncidentStatus, entrances_label
from app.models.reference import format_address, format_category
from app.services.incidents import entrances as entrance_notes
from app.services.incidents import statuses
from app.services.incidents.moves import IncidentError, actor_fields, bring
from app.services.messaging import outbox
from app.services.requests.lifecycle import RequestError
from app.services.requests.statuses import Status
from app.services.statistics import request_stats
from app.telegram import resident as resident_voice

INCIDENT_COUNTER = "incident"
DESCRIPTION_MAX = 2000  # told to residents: one Telegram message with the rest of the text
ADDRESSES_MAX = 50
LINK_MAX = 5000  # requests linked in one go (the journal's selection, typed numbers)
TYPED_HOUSE = re.compile(r"^\s*(\d+)\s*(.*?)\s*$")  # «24А» -> 24, А

House = tuple[str, str, str, str]  # (city, street, house, letter)


@dataclass
class Linked:
    """What linking did: the requests linked, and the warnings about them."""

    numbers: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def next_number() -> int:
    """The next incident number, from its own counter (as requests': never reused)."""
    bump = update(Counter).where(Counter.name == INCIDENT_COUNTER).values(value=Counter.value + 1) \
        .returning(Counter.value)
    value = db.session.execute(bump).scalar()
    if value is None:
        start = db.session.execute(select(func.coalesce(func.max(Incident.number), 0))).scalar_one()
        db.session.execute(insert(Counter).values(name=INCIDENT_COUNTER, value=start))
        value = db.session.execute(bump).scalar()
    return int(value)


def house_of(obj) -> tuple[str, str, str, str]:
    """(city, street, house, letter) of a request, client or incident address."""
    return (obj.city or "", obj.street or "", obj.house or "", obj.house_letter or "")


def houses_of(requests) -> list[tuple[str, str, str, str]]:
    return list(dict.fromkeys(house_of(r) for r in requests if r.street or r.house))


def house_label(house: House) -> str:
    return format_address(house[0], house[1], house[2], house[3], "")


def is_clients_house(house: House) -> bool:
    city, street, number, letter = house
    return db.session.execute(select(Client.id).where(
        Client.city == city, Client.street == street, Client.house == number, Client.house_letter == letter)
        .limit(1)).first() is not None


def typed_house(city: str, street: str, house: str) -> House:
    """The house typed on a form, as it is in the clients' addresses (the bot matches residents by it);
    an empty city is taken from the clients' addresses when one city has that house."""
    city, street, match = city.strip(), street.strip(), TYPED_HOUSE.match(house)
    if not street or match is None:
        raise IncidentError("Добавляемый дом: укажите улицу и номер дома, например «ул. Ленина» и «24А».")
    number, letter = match.group(1), match.group(2)
    cities = db.session.execute(select(Client.city).where(
        Client.street == street, Client.house == number, Client.house_letter == letter,
        *([Client.city == city] if city else [])).distinct().limit(2)).scalars().all()
    if len(cities) != 1:
        typed = house_label((city, street, number, letter))
        raise IncidentError(f"Дома «{typed}» нет среди адресов клиентов: проверьте улицу и номер, как они "
                            "записаны у клиентов." if not cities else
                            f"Дом «{typed}» есть в нескольких городах: укажите город.")
    return (cities[0], street, number, letter)


def check_houses(houses, offered, entrances: dict | None = None) -> list[tuple[House, str]]:
    """The incident's houses with their entrances checked: at least one, at most ADDRESSES_MAX, each one
    not `offered` on the page (a forged or stale value) a client's address."""
    houses = list(dict.fromkeys(tuple(h) for h in houses))
    if not houses:
        raise IncidentError("Укажите хотя бы один дом, который затронула авария.")
    if len(houses) > ADDRESSES_MAX:
        raise IncidentError(f"Слишком много домов: не больше {ADDRESSES_MAX}.")
    offered = set(offered)
    for house in houses:
        if house not in offered and not is_clients_house(house):
            raise IncidentError(f"Дома «{house_label(house)}» нет среди адресов клиентов.")
    out = []
    for house in houses:
        try:
            out.append((house, entrance_notes.normalize((entrances or {}).get(house))))
        except IncidentError as refused:
            raise IncidentError(f"{house_label(house)}: {refused}") from None
    return out


def check_fields(category, subcategory, description: str, expected_at: datetime | None) -> None:
    if category is None:
        raise IncidentError("Выберите категорию аварии.")
    if subcategory is not None and subcategory.category_id != category.id:
        raise IncidentError("Подкатегория не относится к выбранной категории.")
    if not description.strip():
        raise IncidentError("Опишите аварию для жителей: это описание бот покажет им.")
    if len(description) > DESCRIPTION_MAX:
        raise IncidentError(f"Описание длиннее {DESCRIPTION_MAX} символов.")


def create(*, category, subcategory, description: str, expected_at, executor, houses, actor,
           offered=None, entrances: dict | None = None) -> Incident:
    """A new incident (the caller links its requests and commits). `houses`: (city, street, house,
    letter); those not in `offered` (None: all are) must be clients' addresses; `entrances`: house ->
    the typed note."""
    description = description.strip()
    check_fields(category, subcategory, description, expected_at)
    houses = check_houses(houses, houses if offered is None else offered, entrances)
    if executor is not None and not executor.active:
        raise IncidentError("Этот исполнитель отключён.")
    now = utcnow()
    incident = Incident(number=next_number(), created_at=now, updated_at=now,
                        created_by_id=getattr(actor, "id", None), category_id=category.id, category=category,
                        subcategory_id=subcategory.id if subcategory else None, subcategory=subcategory,
                        description=description, expected_at=expected_at,
                        executor_id=executor.id if executor else None, executor=executor,
                        status=IncidentStatus.OPEN.value, note="")
    incident.addresses = [IncidentAddress(city=c, street=s, house=h, house_letter=letter, entrances=noted)
                          for (c, s, h, letter), noted in houses]
    db.session.add(incident)
    db.session.flush()
    db.session.add(IncidentEvent(incident_id=incident.id, created_at=now, kind="created",
                                 to_status=IncidentStatus.OPEN.value, **actor_fields(actor)))
    return incident


def edit(incident: Incident, *, category, subcategory, description: str, expected_at, executor, houses,
         actor, entrances: dict | None = None) -> None:
    """Change the incident's category, houses (and their entrances), what residents are told, the expected
    time and the executor (for the next moves); its history says what changed. Linked requests keep their
    own category and address. A house it does not list yet must be a client's address."""
    if incident.status == IncidentStatus.CLOSED:
        raise IncidentError("Авария закрыта: менять её нельзя.")
    description = description.strip()
    check_fields(category, subcategory, description, expected_at)
    if executor is not None and not executor.active and executor.id != incident.executor_id:
        raise IncidentError("Этот исполнитель отключён.")
    houses = check_houses(houses, [a.key for a in incident.addresses], entrances)
    changes = []
    if (category.id, subcategory.id if subcategory else None) != (incident.category_id, incident.subcategory_id):
        changes.append(f"категория: {format_category(category, subcategory)}")
    if description != incident.description:
        changes.append("описание")
    if expected_at != incident.expected_at:
        changes.append("ожидаемое время устранения")
    if (executor.id if executor else None) != incident.executor_id:
        changes.append(f"исполнитель: {executor.full_name if executor else 'не назначен'}")
    changes += _change_houses(incident, houses)
    if not changes:
        return
    incident.category_id, incident.category = category.id, category
    incident.subcategory_id, incident.subcategory = (subcategory.id if subcategory else None), subcategory
    incident.description, incident.expected_at = description, expected_at
    incident.executor_id, incident.executor = (executor.id if executor else None), executor
    incident.updated_at = utcnow()
    db.session.add(IncidentEvent(incident_id=incident.id, kind="edited", comment="Изменены: " + "; ".join(changes),
                                 **actor_fields(actor)))


def _change_houses(incident: Incident, houses: list[tuple[House, str]]) -> list[str]:
    """Set the incident's houses (kept rows keep their ids); what changed, for the history."""
    current = {a.key: a for a in incident.addresses}
    wanted = dict(houses)
    changes = [f"убран дом {house_label(key)}" for key in current if key not in wanted]
    kept = []
    for key, noted in houses:
        address = current.get(key)
        if address is None:
            address = IncidentAddress(city=key[0], street=key[1], house=key[2], house_letter=key[3], entrances=noted)
            changes.append(f"добавлен дом {address.text}")
        elif address.entrances != noted:
            address.entrances = noted
            changes.append(f"{address.house_text}: {entrances_label(noted) or 'подъезды не указаны'}")
        kept.append(address)
    if changes:
        incident.addresses = kept
    return changes


def warnings_for(incident: Incident, request: Request) -> list[str]:
    out = []
    if request.category_id != incident.category_id or (
            incident.subcategory_id is not None and request.subcategory_id != incident.subcategory_id):
        out.append(f"заявка № {request.number} другой категории ({request.category_text})")
    if house_of(request) not in {a.key for a in incident.addresses}:
        out.append(f"заявка № {request.number} по другому адресу ({request.address})")
    return out


def link(incident: Incident, request_ids, actor, *, tell: bool = True) -> Linked:
    """Link requests (by id) to the locked incident and bring each to the incident's state; refused as a
    whole if one may not be linked. `tell`: each resident is told their request joined (not from the
    bot, where the resident chose it)."""
    if incident.status not in statuses.LINKABLE:
        raise IncidentError(f"Авария № {incident.number} закрыта: заявки к ней не присоединяются.")
    result = Linked()
    requests = []
    rows = locked_many(Request, request_ids)  # in id order, as a move locks them
    for request_id in dict.fromkeys(request_ids):
        request = rows.get(request_id)
        if request is None:
            raise IncidentError("Заявка не найдена.")
        if request.incident_id == incident.id:
            continue
        if request.incident_id is not None:
            raise IncidentError(f"Заявка № {request.number} уже в аварии № {request.incident.number}: "
                                "сначала отвяжите её там.")
        if request.status in (Status.CLOSED, Status.ARCHIVED):
            raise IncidentError(f"Заявка № {request.number} {request.status_label}: к аварии присоединяются "
                                "только незакрытые заявки.")
        requests.append(request)
    now = utcnow()
    comment = resident_voice.incident_comment(incident.number)
    with gc_pause.paused():  # as a move: thousands of objects alive till the commit
        with request_stats.batched():
            _link_each(incident, requests, actor, comment, now, result, tell)
        db.session.flush()
    if requests:
        incident.updated_at = now
    return result


def _link_each(incident: Incident, requests, actor, comment: str, now, result: Linked, tell: bool) -> None:
    for request in requests:
        result.warnings += warnings_for(incident, request)
        request.incident_id, request.incident, request.updated_at = incident.id, incident, now
        # Brought to the incident's state when it has an executor to take it (otherwise it waits, new,
        # for the dispatcher); a «устранена» incident leaves it as it is (no question about work not done on it).
        if incident.status in statuses.KNOWN and incident.executor is not None:
            target = statuses.REQUEST_TARGET[IncidentStatus(incident.status)]
            try:
                bring(request, incident, target, actor, comment, ask=False)
            except RequestError as error:
                raise IncidentError(f"Заявка № {request.number}: {error}") from None
        db.session.add(IncidentEvent(incident_id=incident.id, created_at=now, kind="linked",
                                     comment=f"Заявка № {request.number}", **actor_fields(actor)))
        if tell and request.author_chat_id is not None:
            outbox.queue(request.author_chat_id,
                         resident_voice.incident_joined(request.number, incident.number, incident.description),
                         kind="status", priority=outbox.URGENT, request_id=request.id)
        result.numbers.append(request.number)


def unlink(incident: Incident, request_id: int, actor) -> Request:
    """Take a request out of the locked incident: it keeps its status and goes on on its own."""
    request = locked(Request, request_id)
    if request is None or request.incident_id != incident.id:
        raise IncidentError("Эта заявка не входит в аварию.")
    now = utcnow()
    request.incident_id, request.incident, request.updated_at = None, None, now
    db.session.add(IncidentEvent(incident_id=incident.id, created_at=now, kind="unlinked",
                                 comment=f"Заявка № {request.number}", **actor_fields(actor)))
    incident.updated_at = now
    return request


def load(incident_id: int, lock: bool = False) -> Incident | None:
    return locked(Incident, incident_id) if lock else db.session.get(Incident, incident_id)


def by_number(number: int) -> Incident | None:
    return db.session.execute(select(Incident).where(Incident.number == number)).scalar_one_or_none()


def linked_counts(incident_ids) -> dict[int, tuple[int, int]]:
    """incident id -> (linked requests, of them still open)."""
    from app.services.requests.statuses import OPEN
    rows = db.session.execute(
        select(Request.incident_id, func.count(Request.id),
               func.count(Request.id).filter(Request.status.in_([s.value for s in OPEN])))
        .where(Request.incident_id.in_(list(incident_ids))).group_by(Request.incident_id)).all()
    return {row[0]: (row[1], row[2]) for row in rows}
