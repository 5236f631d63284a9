"""A message written on the incident page goes to every linked resident: it is added to each linked
request's thread (as a dispatcher's message, so the request page shows it), and each Telegram chat
gets one outbox row naming its requests, whose delivery state the threads show.
"""
from sqlalchemy import select

from app.extensions import db
from app.models import Incident, IncidentEvent, Request, RequestMessage, utcnow
from app.models.conversation import STAFF, Kind
from app.services.incidents.moves import IncidentError, actor_fields
from app.services.messaging import outbox
from app.services.requests.conversation import STAFF_TEXT_MAX
from app.services.requests.statuses import Status
from app.telegram import resident as resident_voice


def send(incident: Incident, staff, text: str, form_key: str | None = None) -> int:
    """Write to the residents of the (locked) incident's requests; returns how many chats are queued.
    A second post of the same form (`form_key`) sends nothing again."""
    text = (text or "").strip()
    if not text:
        raise IncidentError("Напишите сообщение.")
    if len(text) > STAFF_TEXT_MAX:
        raise IncidentError(f"Сообщение длиннее {STAFF_TEXT_MAX} символов: сократите его.")
    requests = db.session.execute(
        select(Request).where(Request.incident_id == incident.id, Request.author_chat_id.is_not(None),
                              Request.status != Status.ARCHIVED.value).order_by(Request.id)).scalars().all()
    if not requests:
        raise IncidentError("Среди заявок аварии нет поданных в Telegram: написать некому.")
    if form_key and db.session.execute(select(RequestMessage.id).where(
            RequestMessage.request_id == requests[0].id, RequestMessage.form_key == form_key)).first():
        return 0  # a double click
    now = utcnow()
    chats: dict[int, list[tuple[Request, RequestMessage]]] = {}
    for request in requests:
        message = RequestMessage(request_id=request.id, created_at=now, sender=STAFF, kind=Kind.MESSAGE.value,
                                 text=text, staff_id=staff.id, form_key=form_key or None)
        db.session.add(message)
        request.updated_at = now
        chats.setdefault(request.author_chat_id, []).append((request, message))
    db.session.flush()
    for chat_id, own in chats.items():
        first, message = own[0]
        rows = outbox.queue(chat_id, resident_voice.incident_message(incident.number, [r.number for r, _ in own], text),
                            kind="message", priority=outbox.URGENT, request_id=first.id,
                            buttons=resident_voice.reply_markup(first.id))
        for row in rows:
            row.message_id = message.id
    db.session.add(IncidentEvent(incident_id=incident.id, created_at=now, kind="message", comment=text,
                                 **actor_fields(staff)))
    return len(chats)
