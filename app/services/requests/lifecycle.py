"""The request lifecycle: filing, executor, status moves, category corrections, comments, the
resident's verdict.

Web views and bot handlers call these and never set a status directly. Every
change writes a history event; every status change also queues a Telegram
message for the resident in the outbox (the worker sends it). Deadlines are set
on filing and on a category correction and followed as the status moves
(app.services.requests.deadlines); the dashboard's counters follow every change
(app.services.statistics.request_stats).

When a request filed in Telegram becomes «выполнена», its resident is asked «Проблема
решена?» (requests.verdict = asked): «Да» closes it (then a rating 1-5), «Нет» returns it
to «в работе» with the same executor; no answer within CONFIRM_DAYS closes it
automatically (close_unconfirmed, a job of the bot worker), unless the resident wrote
instead of answering (Verdict.WROTE) or the question was not delivered (UNDELIVERED):
then it waits for the dispatcher. Any other move out of «выполнена» withdraws the question.

An executor bound to the bot receives the jobs assigned to them and news of them
(app.services.requests.executor_jobs), takes a job and reports it done from Telegram
(executor_take, executor_done): the same moves, the history naming the executor.
"""
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from app.database import locked
from app.extensions import db
from app.models import Notification, Request, RequestEvent, RequestMessage, RequestPhoto, utcnow
from app.models.conversation import EXECUTOR, Kind, Verdict
from app.services.requests import conversation
from app.services.requests import deadlines
from app.services.requests import executor_jobs
from app.services.messaging import outbox
from app.services.people import household
from app.services.statistics import request_stats
from app.services.requests import staff_alerts
from app.services.incidents import early_warning
from app.services.requests import statuses
from app.plural import count
from app.services.requests.numbering import next_request_number
from app.services.requests.statuses import Status
from app.telegram import executor as executor_voice
from app.telegram import resident as resident_voice

RESIDENT_LABEL = "Житель (Telegram)"
SYSTEM = SimpleNamespace(id=None, display_name="Автоматически")  # an actor: the system's own moves

# What a request may hold, from the bot and from the web alike.
DESCRIPTION_MAX = 4000  # read by a dispatcher; Telegram itself caps a message at 4096
PHOTOS_MAX = 10


class RequestError(ValueError):
    """A change the rules forbid; the message is shown to the user as is."""


def executor_actor(executor) -> SimpleNamespace:
    """An executor acting from the bot: named in the history, no staff account behind it."""
    return SimpleNamespace(id=None, display_name=executor_jobs.executor_label(executor), executor_id=executor.id)


def _actor_fields(actor) -> dict:
    if actor is None:
        return {"actor_id": None, "actor_label": RESIDENT_LABEL}
    return {"actor_id": actor.id, "actor_label": actor.display_name}


def create_request(
    *, client, category, subcategory=None, description="", contact_phone="",
    author_telegram_id=None, author_chat_id=None, actor=None, source="telegram",
    idempotency_key=None,
) -> Request:
    """File a request for the client, snapshotting the address and name as they are now."""
    if category is None:
        raise RequestError("Выберите категорию заявки.")
    if subcategory is not None and subcategory.category_id != category.id:
        raise RequestError("Подкатегория не относится к выбранной категории.")
    if len(description) > DESCRIPTION_MAX:
        raise RequestError(f"Описание длиннее {DESCRIPTION_MAX} символов.")
    now = utcnow()
    request = Request(
        number=next_request_number(),
        created_at=now,
        updated_at=now,
        client_id=client.id,
        account=client.account,
        client_full_name=client.full_name,
        city=client.city,
        street=client.street,
        house=client.house,
        house_letter=client.house_letter,
        apartment=client.apartment,
        contact_phone=contact_phone or client.phone,
        author_telegram_id=author_telegram_id,
        author_chat_id=author_chat_id,
        created_by_id=actor.id if actor is not None else None,
        source=source,
        idempotency_key=idempotency_key,
        category_id=category.id,
        subcategory_id=subcategory.id if subcategory is not None else None,
        description=description,
        status=Status.NEW.value,
    )
    if source == "phone" and author_telegram_id is None:  # the caller may be in the bot: tell them there
        household.link_new_phoned_in(request)
    deadlines.apply_norm(request, deadlines.norm_of(category, subcategory))
    db.session.add(request)
    db.session.flush()
    db.session.add(RequestEvent(
        request_id=request.id, created_at=now, kind="created", to_status=Status.NEW.value,
        **_actor_fields(actor),
    ))
    request_stats.added(request)
    if request.emergency:
        staff_alerts.emergency(request)
    early_warning.filed(request)
    return request


def change_status(request: Request, target: str, actor, comment: str = "", *, verdict: str = "",
                  notify: bool = True, executor_news: bool = True) -> None:
    """Move the request along an allowed transition, record it and tell the resident (not when the
    move is the resident's own, or an incident tells them once for all their requests: `notify`).
    Leaving «выполнена» records `verdict` (the resident's answer, or none when staff moved it);
    entering it asks the resident the question (unless `notify` is off: a step on the way to «закрыта»).
    `executor_news` off: the executor hears of the move another way (an incident's one message)."""
    try:
        target_status = Status(target)
    except ValueError:
        raise RequestError("Неизвестный статус.") from None
    current = Status(request.status)
    if not statuses.can_move(current, target_status):
        raise RequestError(
            f"Нельзя перевести заявку из статуса «{current.label}» в «{target_status.label}»."
        )
    if target_status in statuses.NEEDS_EXECUTOR and request.executor_id is None:
        raise RequestError("Сначала назначьте исполнителя.")
    now = utcnow()
    with request_stats.tracking(request):
        request.status = target_status.value
        request.updated_at = now
        field = statuses.TIMESTAMP_FIELD.get(target_status)
        if field:
            setattr(request, field, now)
        deadlines.record_move(request, target_status, now)
        if current == Status.DONE:
            request.verdict, request.confirmation_asked_at = verdict, None
    db.session.add(RequestEvent(
        request_id=request.id, created_at=now, kind="status",
        from_status=current.value, to_status=target_status.value, comment=comment,
        **_actor_fields(actor),
    ))
    news = resident_voice.status_news(request.number, request.status_label, comment)
    if target_status == Status.DONE and request.author_chat_id is not None and notify:
        request.verdict, request.confirmation_asked_at = Verdict.ASKED.value, now
        conversation.ask_confirmation(request, news)
    elif notify:
        notify_resident(request, news)
    if executor_news:
        executor_jobs.status_moved(request, current, target_status, _actor_fields(actor)["actor_label"], comment,
                                   by_executor=getattr(actor, "executor_id", None) == request.executor_id)


def assign_executor(request: Request, executor, actor, comment: str = "", *, notify: bool = True,
                    executor_news: bool = True) -> None:
    """Set or change the executor; a new request becomes «назначена исполнителю» (`notify`,
    `executor_news`: as for change_status)."""
    if executor is None:
        raise RequestError("Выберите исполнителя.")
    if not executor.active and request.executor_id != executor.id:
        raise RequestError("Этот исполнитель отключён.")
    if statuses.executor_locked(request.status):
        raise RequestError(f"Заявка {request.status_label}: исполнителя сменить нельзя.")
    if request.executor_id == executor.id:
        return
    now = utcnow()
    previous = request.executor
    old_name = previous.full_name if previous is not None else ""
    with request_stats.tracking(request):
        request.executor_id = executor.id
        request.executor = executor
        request.updated_at = now
    db.session.add(RequestEvent(
        request_id=request.id, created_at=now, kind="executor",
        from_value=old_name, to_value=executor.full_name, comment=comment,
        **_actor_fields(actor),
    ))
    if request.status == Status.NEW.value:
        change_status(request, Status.ASSIGNED.value, actor, notify=notify, executor_news=executor_news)
    if executor_news:
        executor_jobs.assigned(request, previous)


def executor_take(request: Request, executor) -> None:
    """«Принял, в работе» from the bot (the request locked, checked by executor_jobs.job_of)."""
    if request.status != Status.ASSIGNED:
        raise RequestError(executor_voice.already(request.number, request.status_label))
    change_status(request, Status.IN_PROGRESS, executor_actor(executor))


def executor_done(request: Request, executor, text: str = "",
                  photos: list[tuple[str, str]] = ()) -> RequestMessage | None:
    """«Выполнено» from the bot with an optional report (text, Telegram photos as (file id, unique id)),
    kept in the request's conversation; a job not taken yet goes through «в работе» on the way."""
    if len(text) > DESCRIPTION_MAX:
        raise RequestError(executor_voice.REPORT_TOO_LONG.format(max=DESCRIPTION_MAX))
    actor = executor_actor(executor)
    now = utcnow()
    report = None
    if text or photos:
        report = _report(request, executor, text, photos, now)
    if request.status == Status.ASSIGNED:
        change_status(request, Status.IN_PROGRESS, actor, notify=False)  # the resident hears of «выполнена» next
    change_status(request, Status.DONE, actor)
    return report


def _report(request: Request, executor, text: str, photos, now) -> RequestMessage:
    report = RequestMessage(request_id=request.id, created_at=now, sender=EXECUTOR, kind=Kind.REPORT.value,
                            text=text, executor_id=executor.id, read_at=now)
    db.session.add(report)
    db.session.flush()
    for file_id, unique_id in photos[:PHOTOS_MAX]:
        db.session.add(RequestPhoto(request_id=request.id, message_id=report.id, telegram_file_id=file_id,
                                    telegram_file_unique_id=unique_id, caption=text, created_at=now))
    request.updated_at = now
    return report


def change_category(request: Request, category, subcategory, actor, comment: str = "") -> None:
    """Correct the category / subcategory (the resident chose wrong); the deadlines follow the new norms,
    counted from the filing time as before."""
    if category is None:
        raise RequestError("Выберите категорию.")
    if subcategory is not None and subcategory.category_id != category.id:
        raise RequestError("Подкатегория не относится к выбранной категории.")
    if request.status == Status.ARCHIVED.value:
        raise RequestError("Заявка в архиве: категорию сменить нельзя.")
    subcategory_id = subcategory.id if subcategory is not None else None
    if (category.id, subcategory_id) == (request.category_id, request.subcategory_id):
        return
    if (not category.active and category.id != request.category_id) or (
            subcategory is not None and not subcategory.active and subcategory_id != request.subcategory_id):
        raise RequestError("Эта категория или подкатегория отключена: выберите другую.")
    now = utcnow()
    old_name, was_emergency = request.category_text, request.emergency
    with request_stats.tracking(request):
        request.category_id, request.category = category.id, category
        request.subcategory_id, request.subcategory = subcategory_id, subcategory
        request.updated_at = now
        deadlines.apply_norm(request, deadlines.norm_of(category, subcategory))
    db.session.add(RequestEvent(
        request_id=request.id, created_at=now, kind="category",
        from_value=old_name[:200], to_value=request.category_text[:200], comment=comment,
        **_actor_fields(actor),
    ))
    if request.emergency and not was_emergency and request.completed_at is None:
        staff_alerts.emergency(request)


def add_comment(request: Request, actor, text: str) -> None:
    text = (text or "").strip()
    if not text:
        raise RequestError("Комментарий пустой.")
    now = utcnow()
    request.updated_at = now
    db.session.add(RequestEvent(
        request_id=request.id, created_at=now, kind="comment", comment=text,
        **_actor_fields(actor),
    ))


def notify_resident(request: Request, text: str, kind: str = "status", **message) -> list:
    """Queue a Telegram message for the resident who filed the request (if any); the outbox rows."""
    if request.author_chat_id is None:
        return []
    return outbox.queue(request.author_chat_id, text, kind=kind, request_id=request.id, **message)


# --- the resident's verdict ---------------------------------------------------------------

SOLVED_TEXT = "Да, проблема решена."
UNSOLVED_TEXT = "Нет, проблема не решена."
CONFIRMED_COMMENT = "Житель подтвердил, что проблема решена."
RETURNED_COMMENT = "Житель ответил, что проблема не решена: заявка возвращена в работу."
AUTO_CLOSED_COMMENT = "Закрыта автоматически: житель не ответил на вопрос «Проблема решена?» за {days}."
UNDELIVERED_COMMENT = ("Вопрос «Проблема решена?» не доставлен: {reason}. Заявка не закроется автоматически: "
                       "позвоните жителю, затем закройте её или верните в работу.")


class QuestionClosed(RequestError):
    """The resident answers a question that is no longer open; the message says why."""


def answer_confirmation(request: Request, telegram_user_id: int, solved: bool) -> None:
    """The resident's «Да» (the request is closed) or «Нет» (back to «в работе», the executor stays,
    and staff get it as an unread message). Lock the request first (app.database.locked)."""
    if request.status != Status.DONE or request.verdict not in (Verdict.ASKED, Verdict.WROTE):
        raise QuestionClosed(resident_voice.question_closed(request))
    conversation.add_resident_message(request, telegram_user_id, SOLVED_TEXT if solved else UNSOLVED_TEXT,
                                      kind=Kind.SOLVED if solved else Kind.UNSOLVED, unread=not solved)
    if solved:
        change_status(request, Status.CLOSED, None, CONFIRMED_COMMENT, verdict=Verdict.CONFIRMED, notify=False)
    else:
        change_status(request, Status.IN_PROGRESS, None, RETURNED_COMMENT, verdict=Verdict.RETURNED, notify=False)


def rate(request: Request, stars: int) -> None:
    """The resident's rating (once) of the work they confirmed."""
    if request.verdict != Verdict.CONFIRMED:
        raise RequestError(resident_voice.NOT_RATABLE.format(number=request.number, status=request.status_label))
    if request.rating is not None:
        raise RequestError(resident_voice.ALREADY_RATED.format(number=request.number, rating=request.rating))
    if stars not in conversation.RATINGS:
        raise RequestError(resident_voice.RATING_RANGE)
    now = utcnow()
    with request_stats.tracking(request):
        request.rating = stars
    db.session.add(RequestEvent(request_id=request.id, created_at=now, kind="rating", to_value=str(stars),
                                **_actor_fields(None)))


def confirmation_deadline(request: Request, days: int):
    """When an unanswered «Проблема решена?» closes the request (None: no question is open)."""
    if request.verdict != Verdict.ASKED or request.confirmation_asked_at is None:
        return None
    return request.confirmation_asked_at + timedelta(days=days)


def close_unconfirmed(days: int, limit: int = 100) -> int:
    """Close done requests whose resident has not answered «Проблема решена?» for `days`; returns
    how many. A question whose message failed (bot blocked, chat gone) was never asked: its request is
    left to the dispatcher with the reason (Verdict.UNDELIVERED), as soon as the failure is seen.
    Safe to run again at any time: each is re-read under lock and changed once."""
    cutoff = utcnow() - timedelta(days=days)
    asked = Request.verdict == Verdict.ASKED
    ids = db.session.execute(
        select(Request.id).where(asked, _question_failure(Request.id).exists()).limit(limit)).scalars().all()
    ids += db.session.execute(
        select(Request.id).where(asked, Request.confirmation_asked_at < cutoff)
        .order_by(Request.confirmation_asked_at).limit(limit)).scalars().all()
    closed = 0
    for request_id in dict.fromkeys(ids):
        request = locked(Request, request_id)
        if request is None or request.verdict != Verdict.ASKED:
            continue  # answered or moved meanwhile
        failure = db.session.execute(_question_failure(request.id).limit(1)).scalar()
        if failure is not None:
            _question_undelivered(request, outbox.FAILURES.get(failure, failure or "причина неизвестна"))
        elif request.confirmation_asked_at < cutoff:
            change_status(request, Status.CLOSED, SYSTEM, AUTO_CLOSED_COMMENT.format(days=days_text(days)),
                          verdict=Verdict.AUTO_CLOSED)
            closed += 1
    return closed


def _question_failure(request_id):
    """Select the failure of the outbox rows that failed to carry the request's latest question."""
    question = select(func.max(RequestMessage.id)).where(
        RequestMessage.request_id == request_id, RequestMessage.kind == Kind.QUESTION.value).scalar_subquery()
    return select(Notification.failure).where(Notification.request_id == request_id,
                                              Notification.message_id == question,
                                              Notification.status == outbox.FAILED)


def _question_undelivered(request: Request, reason: str) -> None:
    now = utcnow()
    request.verdict, request.updated_at = Verdict.UNDELIVERED.value, now
    db.session.add(RequestEvent(request_id=request.id, created_at=now, kind="comment",
                                comment=UNDELIVERED_COMMENT.format(reason=reason), **_actor_fields(SYSTEM)))
    staff_alerts.question_undelivered(request, reason)


def days_text(n: int) -> str:
    """«1 день», «3 дня», «5 дней»."""
    return count(n, "день", "дня", "дней")
