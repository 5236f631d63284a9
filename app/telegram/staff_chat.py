"""What the system writes to the staff's Telegram group (STAFF_CHAT_ID): the words of the alerts and the
morning digest. app.services.requests.staff_alerts decides when, gathers the facts and queues the text.

Plain text, no parse mode: nothing a resident typed is read as markup.
"""
from dataclasses import dataclass

from app.models import Request
from app.plural import count as counted
from app.timezone import format_local

DESCRIPTION_SHOWN = 300  # of a resident's text quoted in an alert


@dataclass(frozen=True)
class Late:
    """One overdue request as an alert or the digest names it."""

    request: Request
    late_by: str     # «реакция, срок был 05.03 10:00, просрочка 25 мин», or «просрочена на 2 ч»
    executor: str = ""  # after the address: «, исполнитель: …» (the overdue alert)


def _shown(text: str) -> str:
    return text if len(text) <= DESCRIPTION_SHOWN else text[:DESCRIPTION_SHOWN] + "…"


def emergency(request: Request, phone: str, deadlines, link: list[str]) -> str:
    """`deadlines`: the request's deadline lines (title, due); `link`: the request page's address, if known."""
    lines = [f"🚨 Аварийная заявка № {request.number}",
             request.category_text,
             f"Адрес: {request.address or '—'}",
             f"Телефон: {phone or '—'}"]
    if request.description:
        lines.append(_shown(request.description))
    lines += [f"{line.title}: до {format_local(line.due)}" for line in deadlines]
    return "\n".join(lines + link)


def resident_wrote(request: Request, text: str, link: list[str]) -> str:
    shown = _shown(text)
    return "\n".join([f"✉️ Заявка № {request.number}: житель написал вместо ответа на «Проблема решена?»"
                      + (f": «{shown}»" if shown else ""), "Заявка не закроется сама: решите по ней.", *link])


def question_undelivered(request: Request, reason: str, phone: str, link: list[str]) -> str:
    return "\n".join([f"📵 Заявка № {request.number}: вопрос «Проблема решена?» не доставлен — {reason}.",
                      "Заявка не закроется сама: позвоните жителю" + (f" ({phone})." if phone else "."), *link])


def overdue_deadline(request: Request, which_is_reaction: bool, late: str, executor_name: str | None) -> Late:
    """An overdue alert's request: which deadline, when it was, by how much, and whose it is."""
    which = "реакция" if which_is_reaction else "выполнение"
    return Late(request, f"{which}, срок был {format_local(request.due_at)}, просрочка {late}",
                f", исполнитель: {executor_name}" if executor_name else ", исполнитель не назначен")


def late_now(late: str) -> str:
    return f"просрочена на {late}"


def _line(item: Late) -> str:
    request = item.request
    where = request.category_text + (f", {request.address}" if request.address else "")
    return f"№ {request.number} — {item.late_by}, {where}{item.executor}"


def overdue(items: list[Late], total: int) -> str:
    """«⏰ Просрочены заявки: N» and the first of them (`items`), the rest counted."""
    lines = [f"⏰ Просрочены заявки: {total}", *(_line(item) for item in items)]
    if total > len(items):
        lines.append(f"…и ещё {total - len(items)}: журнал, фильтр «Просрочка: просроченные».")
    return "\n".join(lines)


def digest(day, filed: int, emergencies: int, done: int, waiting: int, overdue_count: int,
           items: list[Late]) -> str:
    lines = [f"Сводка на {day:%d.%m.%Y}",
             f"Поступило вчера: {filed}, из них аварийных: {emergencies}",
             f"Выполнено вчера: {done}",
             f"Ждут выполнения: {waiting}",
             f"Просрочено сейчас: {overdue_count}"]
    lines += [_line(item) for item in items]
    if overdue_count > len(items):
        lines.append(f"…и ещё {overdue_count - len(items)}.")
    return "\n".join(lines)


def possible_incident(count: int, category: str, address: str, minutes: int) -> str:
    """«Возможно, авария: 3 заявки «Нет воды» по ул. Ленина, 24 за 40 мин» (the journal shows the same line)."""
    return (f"Возможно, авария: {counted(count, 'заявка', 'заявки', 'заявок')} «{category}» по {address} "
            f"за {minutes} мин")
