"""«Мои заявки»: the household's requests as buttons, newest first, a page at a time, and a request's card.

The list has every request of the accounts the resident holds (app.services.people.household): theirs,
another resident's of the same flat, and those phoned in; the card says who filed it. Writing and
the answers about finished work are the author's only (a phoned-in request's author is the resident
holding the account with its contact phone).

State table (it works in the middle of any dialog, which goes on; only the writing mode of
request_chat ends, so that the next text cannot land on a request the resident has left: LEAVING):
    any state    «Мои заявки» (menu.AT_EVERY_STEP)    -> the list's first page
    any state    «Ещё» / «Назад» under a list          -> that page, in the same message
    any state    a request of a list                   -> its card (a new message)
    any state    «К списку» under a card               -> the list's first page, in the card's message
The card shows the number, date, category, address, status and since when, the deadline while it
is open (when the category has a norm: due_line, also in «Заявка № N принята»), the executor
(name and position only), the rating, the last messages, and buttons to answer the open
question «Проблема решена?», to rate confirmed work, and to write about the request (request_chat).

The buttons are lasting (app.telegram.codec): yesterday's list still works, and a
request the resident can no longer reach is refused with the reason.
"""
from typing import Callable

from sqlalchemy import func, select

from app.bot.dialog import current
from app.bot.routing import ANY_STATE, Step, lasting
from app.extensions import db
from app.models import Category, Incident, Request
from app.models.incidents import INCIDENT_LABELS, IncidentStatus
from app.models.conversation import RESIDENT, Verdict
from app.services.requests import conversation
from app.services.people import household
from app.services.people.bindings import is_bound
from app.services.requests.conversation import NotBound, NotYours
from app.services.requests.deadlines import FINISHED
from app.services.requests.statuses import TIMESTAMP_FIELD, Status
from app.telegram import codec, resident
from app.timezone import format_local

PAGE_SIZE = 5
CARD_MESSAGES = 3
CARD_TEXT_MAX = 300  # of each message on the card, which must fit one Telegram message

# state name -> how a dialog ends when the resident opens the list or a card (the dialog's module
# registers it, as with dialog.REPROMPTS: request_chat's writing mode).
LEAVING: dict[str, Callable] = {}


def leave_dialog(turn) -> None:
    """The resident turns to the list or a card: end a dialog that must not outlive that."""
    leave = LEAVING.get(turn.state or "")
    if leave is not None:
        leave(turn)


def page(telegram_user_id: int, number: int) -> tuple[str, object] | None:
    """The list's page `number` (the last one if it is beyond): text and buttons; None without requests."""
    mine = household.requests_of(telegram_user_id)
    total = db.session.execute(select(func.count()).select_from(Request).where(*mine)).scalar_one()
    if not total:
        return None
    number = max(0, min(number, (total - 1) // PAGE_SIZE))
    rows = db.session.execute(
        select(Request.id, Request.number, Request.created_at, Request.status, Category.name,
               Incident.status.label("incident_status"))
        .join(Category, Category.id == Request.category_id)
        .outerjoin(Incident, Incident.id == Request.incident_id).where(*mine)
        .order_by(Request.created_at.desc(), Request.id.desc()).offset(number * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    first = number * PAGE_SIZE + 1
    items = [(row.id, resident.MY_REQUEST_BUTTON.format(
        number=row.number, date=format_local(row.created_at, "%d.%m.%y"), category=row.name,
        status=Status(row.status).label) + (resident.MY_REQUEST_INCIDENT.format(
            status=INCIDENT_LABELS[IncidentStatus(row.incident_status)]) if row.incident_status else ""))
        for row in rows]
    text = resident.MY_REQUESTS_PAGE.format(first=first, last=first + len(rows) - 1, total=total)
    return text, resident.request_list(items, number, more=first + len(rows) - 1 < total)


def send_list(turn) -> None:
    leave_dialog(turn)
    shown = page(turn.user_id, 0)
    if shown is None:
        turn.send(resident.NO_REQUESTS)
    else:
        turn.send(*shown)


def due_line(request: Request) -> str | None:
    """When the request is due to be done, as residents are told while it is open; None without a norm."""
    if request.completion_due_at is None or request.status in FINISHED:
        return None
    return resident.DUE.format(due=format_local(request.completion_due_at, "%d.%m, %H:%M"))


FILED_BY = {household.YOU: resident.FILED_BY_YOU, household.OTHER: resident.FILED_BY_OTHER,
            household.PHONE: resident.FILED_BY_PHONE}


def card(request: Request, telegram_user_id: int) -> tuple[str, object]:
    status = Status(request.status)
    field = TIMESTAMP_FIELD.get(status)
    executor = request.executor
    lines = [resident.CARD.format(
        number=request.number, date=format_local(request.created_at, "%d.%m.%Y"),
        category=request.category.name + (f" / {request.subcategory.name}" if request.subcategory else ""),
        address=request.address or "—", status=status.label,
        since=format_local(getattr(request, field) if field else request.created_at),
        executor=(executor.full_name + (f", {executor.position}" if executor.position else "")) if executor
        else resident.CARD_NO_EXECUTOR,
    )]
    lines.append(resident.CARD_FILED_BY.format(who=FILED_BY[household.filed_by(request, telegram_user_id)]))
    if due := due_line(request):
        lines.append(due)
    if (incident := request.incident) is not None:
        lines.append(resident.CARD_INCIDENT.format(incident=incident.number, status=incident.status_label,
                                                   description=incident.description))
        if incident.expected_at is not None and incident.status in (IncidentStatus.OPEN, IncidentStatus.FIXING):
            lines.append(resident.CARD_INCIDENT_EXPECTED.format(expected=format_local(incident.expected_at,
                                                                                      "%d.%m, %H:%M")))
    if request.rating:
        lines.append(resident.CARD_RATING.format(stars=resident.stars(request.rating)))
    authored = request.author_telegram_id == telegram_user_id  # writing and answers are the author's
    asked = authored and request.verdict == Verdict.ASKED
    ratable = authored and request.verdict == Verdict.CONFIRMED and request.rating is None
    if asked:
        lines += ["", resident.CARD_ASKED]
    elif ratable:
        lines += ["", resident.CARD_RATE]
    elif not authored:
        lines += ["", resident.CARD_OTHERS]
    messages = conversation.last_messages(request, CARD_MESSAGES)
    if messages:
        lines += ["", resident.CARD_MESSAGES]
        for message in messages:
            text = " ".join(part for part in (resident.CARD_PHOTO if message.photos else "", message.text) if part)
            if len(text) > CARD_TEXT_MAX:
                text = text[:CARD_TEXT_MAX] + "…"
            lines.append(resident.CARD_MESSAGE.format(
                time=format_local(message.created_at, "%d.%m %H:%M"), text=text,
                who=resident.CARD_YOU if message.sender == RESIDENT else resident.CARD_STAFF))
    markup = resident.request_card(request.id, authored and conversation.resident_can_write(request), asked, ratable)
    return "\n".join(lines), markup


def refuse(turn, error: LookupError) -> None:
    """A lasting button naming a request the resident cannot reach (any more): say why, change nothing."""
    turn.answer(resident.NOT_YOURS_SHORT)
    if isinstance(error, NotBound):
        turn.send(resident.NOT_BOUND.format(number=error.request.number))
        return
    request = db.session.get(Request, error.args[0]) if isinstance(error.args[0], int) else None
    if request is not None and household.is_household_request(request, turn.user_id):
        turn.send(resident.AUTHOR_ONLY.format(number=request.number))  # the flat's, filed by someone else
    else:
        turn.send(resident.NOT_YOURS)


# --- handlers ---

def on_list(call) -> None:
    turn = current()
    _, number, _ = codec.parse_lasting_button(call.data)
    if not is_bound(turn.user_id):
        turn.answer(resident.NOT_YOURS_SHORT)
        turn.send(resident.BINDING_LOST)
        return
    turn.answer()
    leave_dialog(turn)
    shown = page(turn.user_id, number)
    if shown is None:
        turn.send(resident.NO_REQUESTS)
    elif call.message is not None:
        turn.edit(call.message.message_id, *shown)
    else:  # the message is too old for Telegram to name it
        turn.send(*shown)


def on_card(call) -> None:
    turn = current()
    _, request_id, _ = codec.parse_lasting_button(call.data)
    try:
        request = conversation.household_request(request_id, turn.user_id)
    except (NotYours, NotBound) as error:
        refuse(turn, error)
        return
    turn.answer()
    leave_dialog(turn)
    turn.send(*card(request, turn.user_id))


STARTS = [  # lasting buttons: at every step (see bot.handler_table)
    Step(ANY_STATE, lasting("list"), on_list),
    Step(ANY_STATE, lasting("card"), on_card),
]
STEPS: list[Step] = []
