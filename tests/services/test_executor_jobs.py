"""Executors in Telegram at the service level, on both engines: invitations and binding
(app/services/people/executor_links.py), what a bound executor is sent as their jobs change hands and
statuses (app/services/requests/executor_jobs.py), and the executor's own moves (app/services/requests/lifecycle.py)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Executor, ExecutorInvitation, Notification, Request, RequestEvent, RequestMessage, RequestPhoto, \
    utcnow
from app.services.requests import executor_jobs
from app.services.people import executor_links
from app.services.requests import lifecycle as request_service
from app.services.requests.executor_jobs import JobError
from app.services.people.executor_links import InvitationError
from app.services.requests.lifecycle import RequestError
from app.services.requests.statuses import TRANSITIONS, Status
from app.telegram import executor as executor_voice
from tests import factories

S = Status
RESIDENT_CHAT, EXECUTOR_CHAT = 555, 777


def bound(executor: Executor, user_id: int = EXECUTOR_CHAT) -> Executor:
    executor.telegram_user_id = executor.telegram_chat_id = user_id
    executor.telegram_name = "Мастер"
    db.session.commit()
    return executor


def job(status: Status, executor: Executor | None) -> Request:
    request = factories.request(author_telegram_id=RESIDENT_CHAT, author_chat_id=RESIDENT_CHAT)
    request.contact_phone = "+79123456789"
    request.executor_id = executor.id if executor is not None else None
    request.status = status.value
    db.session.commit()
    return request


def sent_to(chat_id: int) -> list[tuple[str, str, str]]:
    """(text, photo, buttons) of what the outbox holds for the chat, oldest first."""
    return [tuple(row) for row in db.session.execute(
        select(Notification.text, Notification.photo, Notification.buttons)
        .where(Notification.chat_id == chat_id).order_by(Notification.id)).all()]


# --- what a bound executor is sent ---------------------------------------------------------------

def test_assignment_sends_the_residents_photos_then_the_card_with_its_buttons(ctx):
    executor = bound(factories.executor())
    request = job(S.NEW, None)
    db.session.add_all([RequestPhoto(request_id=request.id, telegram_file_id="AgAD-leak", telegram_file_unique_id="u1"),
                        RequestPhoto(request_id=request.id, file_path="photos/1/web.jpg")])
    db.session.commit()
    request_service.assign_executor(request, executor, ctx.staff("operator"))
    db.session.commit()
    rows = sent_to(EXECUTOR_CHAT)
    assert [(text, photo) for text, photo, _ in rows[:2]] == [
        (f"Фото жителя к заявке № {request.number} (1 из 2)", "telegram:AgAD-leak"),
        (f"Фото жителя к заявке № {request.number} (2 из 2)", "photos/1/web.jpg")]
    card_text, photo, buttons = rows[2]
    assert photo == "" and len(rows) == 3
    assert card_text.startswith(f"🔧 Новое задание\nЗаявка № {request.number} от ")
    assert "назначена исполнителю" in card_text and "Телефон: +79123456789" in card_text
    assert '"Принял, в работе"' in buttons and f'"rq:take:{request.id}"' in buttons
    assert f'"rq:finish:{request.id}"' in buttons


def test_an_executor_without_telegram_is_sent_nothing_and_reassignment_tells_the_first(ctx):
    first, second, offline = bound(factories.executor("Первый Мастер")), \
        bound(factories.executor("Второй Мастер"), 778), factories.executor("Без Телеграма")
    request = job(S.NEW, None)
    staff = ctx.staff("operator")
    request_service.assign_executor(request, offline, staff)
    db.session.commit()
    assert sent_to(EXECUTOR_CHAT) == sent_to(778) == []
    request_service.assign_executor(request, first, staff)
    request_service.assign_executor(request, second, staff)
    db.session.commit()
    assert sent_to(EXECUTOR_CHAT)[-1][0] == (f"Заявка № {request.number} снята с вас: её передали другому "
                                             "исполнителю. Выполнять её не нужно.")
    assert "🔧 Новое задание" in sent_to(778)[-1][0]


def _expected(request, before: Status, after: Status) -> str | None:
    if after == S.NEW:
        return f"Заявка № {request.number} снята с вас" if before in executor_jobs.OPEN_JOB else None
    if before == S.NEW and after == S.ASSIGNED:
        return None
    if before not in executor_jobs.OPEN_JOB and after not in executor_jobs.OPEN_JOB and before != S.DONE:
        return None
    return f"Заявка № {request.number}: статус изменён на «{after.label}» (Олег Оператор)."


@pytest.mark.parametrize("before,after", [(b, a) for b, targets in TRANSITIONS.items() for a in targets],
                         ids=lambda s: s.value)
def test_a_staff_move_of_the_job_is_news_to_its_executor(ctx, before, after):
    executor = bound(factories.executor())
    request = job(before, executor)
    request_service.change_status(request, after.value, ctx.staff("operator"), "Звонил житель")
    db.session.commit()
    rows = sent_to(EXECUTOR_CHAT)
    expected = _expected(request, before, after)
    if expected is None:
        assert rows == []
        return
    [(text, _, buttons)] = rows
    assert text.startswith(expected)
    if after in executor_jobs.OPEN_JOB:  # the job is open again (or still): the card comes with it
        assert "Комментарий: Звонил житель" in text and f"rq:finish:{request.id}" in buttons
    else:
        assert buttons == ""


def test_the_executors_own_moves_name_them_and_tell_the_resident_not_them(ctx):
    executor = bound(factories.executor())
    request = job(S.ASSIGNED, executor)
    request_service.executor_take(request, executor)
    db.session.commit()
    with pytest.raises(RequestError, match="уже «в работе»"):
        request_service.executor_take(request, executor)
    report = request_service.executor_done(request, executor, "Заменил кран", [("AgAD-fix", "u9")])
    db.session.commit()
    assert sent_to(EXECUTOR_CHAT) == []
    resident = [text for text, _, _ in sent_to(RESIDENT_CHAT)]
    assert resident[0] == f"Статус вашей заявки № {request.number} изменён: в работе."
    assert resident[1].startswith(f"Статус вашей заявки № {request.number} изменён: выполнена.")
    events = db.session.execute(select(RequestEvent.to_status, RequestEvent.actor_id, RequestEvent.actor_label)
                                .where(RequestEvent.request_id == request.id, RequestEvent.kind == "status")
                                .order_by(RequestEvent.id)).all()
    label = f"Исполнитель {executor.full_name} (Telegram)"
    assert events == [("in_progress", None, label), ("done", None, label)]
    message = db.session.get(RequestMessage, report.id)
    assert (message.sender, message.kind, message.executor_id, message.text) == \
        ("executor", "report", executor.id, "Заменил кран")
    assert [p.telegram_file_id for p in message.photos] == ["AgAD-fix"]


def test_done_straight_from_assigned_goes_through_in_progress_and_tells_the_resident_once(ctx):
    executor = bound(factories.executor())
    request = job(S.ASSIGNED, executor)
    assert request_service.executor_done(request, executor) is None  # no report: none kept
    db.session.commit()
    assert request.status == "done" and request.in_progress_at is not None
    assert len(sent_to(RESIDENT_CHAT)) == 1
    with pytest.raises(RequestError, match="Отчёт длиннее"):
        request_service.executor_done(job(S.IN_PROGRESS, executor), executor, "x" * 4001)


def test_job_of_refuses_another_executors_job_and_a_finished_one(ctx):
    mine, other = bound(factories.executor("Мой")), factories.executor("Чужой")
    assert executor_jobs.job_of(job(S.ASSIGNED, mine).id, mine).executor_id == mine.id
    with pytest.raises(JobError, match="не ваше задание"):
        executor_jobs.job_of(job(S.ASSIGNED, other).id, mine)
    with pytest.raises(JobError, match="не ваше задание"):
        executor_jobs.job_of(10**9, mine)
    for status in (S.NEW, S.DONE, S.CLOSED, S.ARCHIVED):
        with pytest.raises(JobError, match=f"уже «{status.label}»"):
            executor_jobs.job_of(job(status, mine).id, mine)


def test_open_jobs_come_nearest_deadline_first(ctx):
    executor = factories.executor()
    now = utcnow()
    later, sooner, none_old, none_new = (job(S.ASSIGNED, executor) for _ in range(4))
    later.due_at, sooner.due_at = now + timedelta(hours=5), now - timedelta(hours=1)
    none_old.created_at, none_new.created_at = now - timedelta(days=2), now - timedelta(days=1)
    job(S.DONE, executor), job(S.ASSIGNED, factories.executor("Другой"))
    db.session.commit()
    assert [r.id for r in executor_jobs.open_jobs(executor)] == [sooner.id, later.id, none_old.id, none_new.id]
    assert executor_jobs.count_open(executor) == 4


# --- invitations and binding ------------------------------------------------------------------------

def test_an_invitation_binds_once_within_a_day_and_a_newer_one_cancels_it(ctx):
    executor = factories.executor()
    staff = ctx.staff("operator")
    old = executor_links.create_invitation(executor, staff).code
    invitation = executor_links.create_invitation(executor, staff)
    db.session.commit()
    assert invitation.code.startswith("inv_") and len(invitation.code) <= 64 and invitation.code != old
    assert executor_links.open_invitation(executor).id == invitation.id
    assert invitation.expires_at - invitation.created_at == timedelta(hours=24)
    with pytest.raises(InvitationError, match="недействительна"):
        executor_links.redeem(old, 900, 900, "Кто-то")
    bound_to = executor_links.redeem(invitation.code, 901, 901, "Пётр (@petr)")
    db.session.commit()
    assert (bound_to.id, bound_to.telegram_user_id, bound_to.telegram_name) == (executor.id, 901, "Пётр (@petr)")
    assert executor_links.open_invitation(executor) is None
    with pytest.raises(InvitationError, match="уже использована"):
        executor_links.redeem(invitation.code, 902, 902, "Другой")
    assert executor_links.bound_executor(901).id == executor.id


def test_a_code_made_before_the_executor_bound_takes_nobody_over(ctx):
    """An invitation left open while the executor bound with another one (made before «Новый телефон»
    existed, when a bound executor could still be invited): it binds nobody."""
    executor = factories.executor()
    first = executor_links.create_invitation(executor, ctx.staff("operator"))
    db.session.commit()
    executor_links.redeem(first.code, 901, 901, "Пётр")
    stray = ExecutorInvitation(executor_id=executor.id, code="inv_stray", created_at=utcnow(),
                               expires_at=utcnow() + timedelta(hours=1))
    db.session.add(stray)
    db.session.commit()
    with pytest.raises(InvitationError, match="уже подключён к боту с другого аккаунта"):
        executor_links.redeem(stray.code, 902, 902, "Чужой")
    with pytest.raises(InvitationError, match="Вы уже подключены как исполнитель"):
        executor_links.redeem(stray.code, 901, 901, "Пётр")
    assert executor.telegram_user_id == 901 and stray.used_at is None
    assert sent_to(901) == []


def test_an_expired_code_an_inactive_executor_and_a_taken_account_bind_nobody(ctx):
    staff = ctx.staff("operator")
    late_executor, off_executor, taken = factories.executor("А"), factories.executor("Б"), factories.executor("В")
    late = executor_links.create_invitation(late_executor, staff)
    late.expires_at = utcnow() - timedelta(seconds=1)
    off = executor_links.create_invitation(off_executor, staff)
    off_executor.active = False
    bound(taken, 903)
    other = executor_links.create_invitation(factories.executor("Г"), staff)
    db.session.commit()
    with pytest.raises(InvitationError, match="Срок ссылки-приглашения истёк"):
        executor_links.redeem(late.code, 904, 904, "x")
    with pytest.raises(InvitationError, match="Исполнитель отключён"):
        executor_links.redeem(off.code, 904, 904, "x")
    with pytest.raises(InvitationError, match="уже подключён как исполнитель «В»"):
        executor_links.redeem(other.code, 903, 903, "x")
    with pytest.raises(InvitationError, match="сначала включите"):
        executor_links.create_invitation(off_executor, staff)
    assert executor_links.bound_executor(904) is None
    off_executor.telegram_user_id = 905
    db.session.commit()
    assert executor_links.bound_executor(905) is None  # a switched-off executor's account acts as nobody's


def test_a_new_phone_replaces_the_old_account_and_revoking_tells_the_executor(ctx):
    executor = bound(factories.executor())
    with pytest.raises(InvitationError, match="уже подключён к боту: сначала отключите"):
        executor_links.create_invitation(executor, ctx.staff("operator"))
    invitation = executor_links.new_phone(executor, ctx.staff("operator"))
    db.session.commit()
    assert sent_to(EXECUTOR_CHAT)[-1][0] == executor_voice.UNBOUND_TEXT
    assert executor_links.bound_executor(EXECUTOR_CHAT) is None
    executor_links.redeem(invitation.code, 906, 906, "Новый телефон")
    db.session.commit()
    assert executor.telegram_user_id == 906
    assert executor_links.unbind(executor) is True
    db.session.commit()
    assert "Вы отключены от заданий" in sent_to(906)[-1][0]
    assert (executor.telegram_user_id, executor.telegram_chat_id, executor.telegram_name) == (None, None, "")
    assert executor_links.unbind(executor) is False
