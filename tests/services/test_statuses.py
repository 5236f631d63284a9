"""Status rules (app/services/requests/statuses.py) as the request services apply them (app/services/requests/lifecycle.py):
every move allowed or refused by the table, the executor requirement, timestamps, history, notifications."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, Request, RequestEvent, utcnow
from app.services.requests import lifecycle as request_service
from app.telegram.resident import QUESTION
from app.services.requests.lifecycle import RequestError
from app.services.requests.statuses import NEEDS_EXECUTOR, TIMESTAMP_FIELD, TRANSITIONS, Status, allowed_targets, can_move
from tests import factories

S = Status
# The product's rule, written out once more so that an accidental edit of the table shows up here.
AGREED = {
    (S.NEW, S.ASSIGNED), (S.NEW, S.CLOSED),
    (S.ASSIGNED, S.IN_PROGRESS), (S.ASSIGNED, S.NEW), (S.ASSIGNED, S.CLOSED),
    (S.IN_PROGRESS, S.DONE), (S.IN_PROGRESS, S.ASSIGNED),
    (S.DONE, S.CLOSED), (S.DONE, S.IN_PROGRESS),
    (S.CLOSED, S.ARCHIVED), (S.CLOSED, S.IN_PROGRESS),
}
EVERY_PAIR = [(current, target) for current in Status for target in Status]
CHAT = 555


def test_the_table_is_the_agreed_one():
    assert {(current, target) for current, targets in TRANSITIONS.items() for target in targets} == AGREED
    assert set(TRANSITIONS) == set(Status)  # every status has its row, archived an empty one


@pytest.mark.parametrize("current,target", EVERY_PAIR, ids=lambda s: s.value)
def test_can_move_and_allowed_targets_follow_the_table(current, target):
    assert can_move(current.value, target.value) is ((current, target) in AGREED)
    assert (target in allowed_targets(current.value)) is ((current, target) in AGREED)


def filed(status: Status, executor: bool = True, chat_id: int | None = CHAT) -> Request:
    """A request from Telegram put straight into `status` (with an executor unless told otherwise)."""
    request = factories.request(author_telegram_id=chat_id, author_chat_id=chat_id)
    if executor:
        request.executor_id = factories.executor().id
    request.status = status.value
    db.session.commit()
    return request


def history(request) -> list[tuple]:
    return db.session.execute(
        select(RequestEvent.kind, RequestEvent.from_status, RequestEvent.to_status, RequestEvent.actor_id,
               RequestEvent.actor_label, RequestEvent.comment)
        .where(RequestEvent.request_id == request.id).order_by(RequestEvent.id)
    ).all()


def notifications() -> list[tuple]:
    return db.session.execute(
        select(Notification.chat_id, Notification.request_id, Notification.text, Notification.status)
        .order_by(Notification.id)
    ).all()


def stamps(request) -> dict:
    return {field: getattr(request, field) for field in TIMESTAMP_FIELD.values()}


@pytest.mark.parametrize("current,target", EVERY_PAIR, ids=lambda s: s.value)
def test_change_status_moves_exactly_along_the_table(ctx, current, target):
    request = filed(current)
    dispatcher = ctx.staff("operator")
    before_history, before_stamps, before = history(request), stamps(request), utcnow()

    if (current, target) not in AGREED:
        with pytest.raises(RequestError, match=f"Нельзя перевести заявку из статуса «{current.label}» "
                                               f"в «{target.label}»"):
            request_service.change_status(request, target.value, dispatcher, "комментарий")
        db.session.rollback()
        request = db.session.get(Request, request.id)
        assert (request.status, stamps(request)) == (current.value, before_stamps)
        assert history(request) == before_history and notifications() == []
        return

    request_service.change_status(request, target.value, dispatcher, "Мастер придёт завтра")
    db.session.commit()
    db.session.expire_all()
    request = db.session.get(Request, request.id)
    assert request.status == target.value
    assert before <= request.updated_at <= utcnow()
    for field, value in stamps(request).items():
        if field == TIMESTAMP_FIELD.get(target):
            assert before <= value <= utcnow()
        else:
            assert value == before_stamps[field]
    assert history(request) == before_history + [
        ("status", current.value, target.value, dispatcher.id, "Олег Оператор", "Мастер придёт завтра")]
    asked = f"\n\n{QUESTION}" if target == Status.DONE else ""  # a done request asks the resident
    assert notifications() == [
        (CHAT, request.id, f"Статус вашей заявки № {request.number} изменён: {target.label}.\n"
                           f"Комментарий: Мастер придёт завтра{asked}", "pending")]


MOVES_NEEDING_EXECUTOR = [(c, t) for c, t in sorted(AGREED) if t in NEEDS_EXECUTOR]
MOVES_WITHOUT_EXECUTOR = [(c, t) for c, t in sorted(AGREED) if t not in NEEDS_EXECUTOR]


def test_executor_is_needed_for_assigned_in_progress_and_done():
    assert NEEDS_EXECUTOR == {S.ASSIGNED, S.IN_PROGRESS, S.DONE}
    assert {t for _, t in MOVES_NEEDING_EXECUTOR} == NEEDS_EXECUTOR


@pytest.mark.parametrize("current,target", MOVES_NEEDING_EXECUTOR, ids=lambda s: s.value)
def test_a_move_that_needs_an_executor_is_refused_without_one(ctx, current, target):
    request = filed(current, executor=False)
    with pytest.raises(RequestError, match="Сначала назначьте исполнителя"):
        request_service.change_status(request, target.value, ctx.staff("operator"))
    db.session.rollback()
    request = db.session.get(Request, request.id)
    assert request.status == current.value and request.events[-1].kind == "created"
    assert notifications() == []


@pytest.mark.parametrize("current,target", MOVES_WITHOUT_EXECUTOR, ids=lambda s: s.value)
def test_other_moves_need_no_executor(ctx, current, target):
    request = filed(current, executor=False)
    request_service.change_status(request, target.value, ctx.staff("operator"))
    db.session.commit()
    assert db.session.get(Request, request.id).status == target.value


def test_an_unknown_status_is_refused(ctx):
    request = filed(S.NEW)
    with pytest.raises(RequestError, match="Неизвестный статус"):
        request_service.change_status(request, "lost", ctx.staff("operator"))


def test_a_request_filed_by_phone_gets_history_but_no_message(ctx):
    request = filed(S.NEW, chat_id=None)
    request_service.change_status(request, S.CLOSED.value, ctx.staff("operator"))
    db.session.commit()
    assert history(request)[-1][:3] == ("status", "new", "closed") and notifications() == []


def test_assigning_an_executor_makes_a_new_request_assigned(ctx):
    request = filed(S.NEW, executor=False)
    plumber, dispatcher = factories.executor("Сидоров Семён"), ctx.staff("operator")
    request_service.assign_executor(request, plumber, dispatcher)
    db.session.commit()
    request = db.session.get(Request, request.id)
    assert (request.status, request.executor_id) == ("assigned", plumber.id) and request.assigned_at is not None
    kinds = db.session.execute(select(RequestEvent.kind, RequestEvent.to_value).where(
        RequestEvent.request_id == request.id).order_by(RequestEvent.id)).all()
    assert kinds == [("created", ""), ("executor", "Сидоров Семён"), ("status", "")]
    assert [text for _, _, text, _ in notifications()] == [
        f"Статус вашей заявки № {request.number} изменён: назначена исполнителю."]


def test_the_executor_of_a_closed_request_cannot_change(ctx):
    request = filed(S.CLOSED)
    with pytest.raises(RequestError, match="исполнителя сменить нельзя"):
        request_service.assign_executor(request, factories.executor("Сидоров Семён"), ctx.staff("operator"))
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(RequestEvent).where(
        RequestEvent.kind == "executor")).scalar_one() == 0
