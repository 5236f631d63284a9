"""An executor's Telegram account on their page: the invitation (link or command, QR code, expiry),
a newer one cancelling the older, cancelling, the binding the bot makes, revoking it, and bad input."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import BotStatus, Executor, ExecutorInvitation, Notification, utcnow
from app.services.people import executor_links
from app.services.people.executor_links import InvitationError
from app.telegram import executor as executor_voice
from app.timezone import format_local

HTMX = {"HX-Request": "true"}
CODE = re.compile(r"/start (inv_[A-Za-z0-9_-]+)")


def bot_started(username="zhkh_test_bot"):
    """What the bot worker records when it starts: its username makes the t.me link possible."""
    db.session.add(BotStatus(id=1, username=username, beat_at=utcnow(), telegram_ok_at=utcnow()))
    db.session.commit()


def invite(client, executor) -> tuple[str, str]:
    """Create an invitation on the page; returns the code and the page it is shown on (with the flash)."""
    response = client.post(f"/admin/executors/{executor.id}/invitation")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/executors/{executor.id}#telegram"
    html = client.page(response.headers["Location"])
    return CODE.search(html).group(1), html


def invitations(executor):
    db.session.expire_all()
    return db.session.execute(select(ExecutorInvitation).where(ExecutorInvitation.executor_id == executor.id)
                              .order_by(ExecutorInvitation.id)).scalars().all()


def test_not_bound_executor_is_offered_an_invitation(operator, ctx):
    executor = ctx.executor()
    html = operator.page(f"/admin/executors/{executor.id}")
    assert 'id="telegram"' in html and "не подключён к боту" in html
    assert f'action="/admin/executors/{executor.id}/invitation"' in html and "Создать приглашение" in html
    assert "invite-qr" not in html
    assert operator.get(f"/admin/executors/{executor.id}/invitation/qr.svg").status_code == 404


def test_invitation_shows_link_qr_and_expiry(operator, ctx):
    """Dispatchers invite executors too; the page shows the t.me link once the bot has started."""
    bot_started()
    executor = ctx.executor()
    code, html = invite(operator, executor)
    assert "Приглашение для «Петров Пётр» создано" in html
    url = f"https://t.me/zhkh_test_bot?start={code}"
    assert f'<a href="{url}" target="_blank" rel="noopener" id="invite-link">{url}</a>' in html
    [invitation] = invitations(executor)
    assert invitation.code == code and invitation.created_by_id == ctx.staff("operator").id
    assert f"Действует до {format_local(invitation.expires_at)}" in html
    assert re.search(rf'<img class="qr" id="invite-qr" src="/admin/executors/{executor.id}/invitation/qr.svg\?v=\d+"',
                     html)
    assert "Создать новое" in html and "Отменить приглашение" in html and "Создать приглашение" not in html


def test_without_the_bots_username_the_page_gives_the_command(operator, ctx):
    executor = ctx.executor()
    code, html = invite(operator, executor)
    assert 'id="invite-no-link"' in html and "Бот ещё не запускался" in html
    assert f'<code id="invite-command">/start {code}</code>' in html
    assert "t.me/" not in html and 'id="invite-qr"' in html
    assert operator.get(f"/admin/executors/{executor.id}/invitation/qr.svg").status_code == 200


def test_qr_code_is_svg_of_the_open_invitation(operator, ctx):
    bot_started()
    executor = ctx.executor()
    invite(operator, executor)
    first = operator.get(f"/admin/executors/{executor.id}/invitation/qr.svg")
    assert first.status_code == 200
    assert first.mimetype == "image/svg+xml" and first.headers["Cache-Control"] == "no-store"
    assert first.data.startswith(b"<svg") and b'xmlns="http://www.w3.org/2000/svg"' in first.data
    assert b"<script" not in first.data and b"style=" not in first.data  # nothing the CSP would block
    invite(operator, executor)
    second = operator.get(f"/admin/executors/{executor.id}/invitation/qr.svg")
    assert second.mimetype == "image/svg+xml" and second.data != first.data  # a new code, a new picture


def test_a_new_invitation_cancels_the_older_one(operator, ctx):
    bot_started()
    executor = ctx.executor()
    old, _ = invite(operator, executor)
    new, _ = invite(operator, executor)
    assert old != new
    old_row, new_row = invitations(executor)
    assert old_row.cancelled_at is not None and new_row.cancelled_at is None
    with pytest.raises(InvitationError, match="недействительна"):
        executor_links.redeem(old, 5001, 5001, "Пётр")
    db.session.rollback()
    assert executor_links.redeem(new, 5001, 5001, "Пётр").id == executor.id


def test_cancel_the_invitation(operator, ctx):
    executor = ctx.executor()
    code, _ = invite(operator, executor)
    response = operator.post(f"/admin/executors/{executor.id}/invitation/cancel")
    assert response.status_code == 302
    html = operator.page(f"/admin/executors/{executor.id}")
    assert "Приглашение отменено" in html and code not in html and "Создать приглашение" in html
    assert operator.get(f"/admin/executors/{executor.id}/invitation/qr.svg").status_code == 404
    with pytest.raises(InvitationError):
        executor_links.redeem(code, 5001, 5001, "Пётр")
    db.session.rollback()
    operator.post(f"/admin/executors/{executor.id}/invitation/cancel")
    assert "Открытого приглашения нет" in operator.page(f"/admin/executors/{executor.id}")


def test_expired_invitation_is_not_shown(operator, ctx):
    executor = ctx.executor()
    invite(operator, executor)
    [invitation] = invitations(executor)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    html = operator.page(f"/admin/executors/{executor.id}")
    assert "Создать приглашение" in html and 'id="invite-qr"' not in html
    assert operator.get(f"/admin/executors/{executor.id}/invitation/qr.svg").status_code == 404


def test_binding_is_shown_and_revoked(operator, ctx):
    """The bot redeems the code; the page shows who and since when; revoking tells the old chat."""
    executor = ctx.executor()
    code, _ = invite(operator, executor)
    executor_links.redeem(code, 5001, 6001, "Пётр Петров (@petrov)")
    db.session.commit()
    html = operator.page(f"/admin/executors/{executor.id}")
    assert ">Подключён<" in html and '<dd id="telegram-name">Пётр Петров (@petrov)</dd>' in html
    assert format_local(executor.telegram_bound_at) in html
    assert 'hx-confirm="Отключить исполнителя «Петров Пётр» от бота?' in html
    assert "Создать приглашение" not in html and 'id="invite-qr"' not in html
    assert 'title="Подключён к боту: Пётр Петров (@petrov)">Telegram</span>' in operator.page("/admin/executors")

    response = operator.post(f"/admin/executors/{executor.id}/telegram/unbind", headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/admin/executors/{executor.id}"  # no #hash: a reload, not a scroll
    db.session.expire_all()
    assert (executor.telegram_user_id, executor.telegram_chat_id, executor.telegram_name) == (None, None, "")
    [note] = db.session.execute(select(Notification)).scalars().all()
    assert note.chat_id == 6001 and note.text == executor_voice.UNBOUND_TEXT and note.kind == "executor"
    html = operator.page(f"/admin/executors/{executor.id}")
    assert "отключён от бота" in html and ">Подключён<" not in html and "Создать приглашение" in html
    assert ">Telegram</span>" not in operator.page("/admin/executors")

    operator.post(f"/admin/executors/{executor.id}/telegram/unbind")  # again: nothing to revoke
    assert "не подключён к боту" in operator.page(f"/admin/executors/{executor.id}")
    assert db.session.execute(select(Notification)).scalars().all() == [note]


def test_a_page_opened_before_the_binding_makes_no_invitation_nobody_sees(operator, ctx):
    """«Создать новое» on a page left open while the executor bound: refused, no live code is left."""
    executor = ctx.executor()
    code, stale_page = invite(operator, executor)
    assert "Создать новое" in stale_page
    executor_links.redeem(code, 5001, 6001, "Пётр Петров (@petrov)")
    db.session.commit()
    response = operator.post(f"/admin/executors/{executor.id}/invitation")  # the stale page's button
    assert response.status_code == 302
    html = operator.page(response.headers["Location"])
    assert "Исполнитель уже подключён к боту: сначала отключите его" in html and ">Подключён<" in html
    assert [i.code for i in invitations(executor)] == [code] and executor_links.open_invitation(executor) is None
    db.session.expire_all()
    assert executor.telegram_user_id == 5001


def test_new_phone_disconnects_the_old_account_and_shows_the_new_invitation_at_once(operator, ctx):
    bot_started()
    executor = ctx.executor()
    code, _ = invite(operator, executor)
    executor_links.redeem(code, 5001, 6001, "Старый телефон")
    db.session.commit()
    html = operator.page(f"/admin/executors/{executor.id}")
    assert f'action="/admin/executors/{executor.id}/telegram/new-phone"' in html
    assert 'hx-confirm="Отключить прежний аккаунт Telegram исполнителя «Петров Пётр» и создать новое приглашение?"' in html

    response = operator.post(f"/admin/executors/{executor.id}/telegram/new-phone", headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/admin/executors/{executor.id}"
    html = operator.page(response.headers["HX-Redirect"])
    assert "отключён от прежнего аккаунта Telegram" in html and "Новое приглашение создано" in html
    new_code = CODE.search(html).group(1)
    assert new_code != code and f"https://t.me/zhkh_test_bot?start={new_code}" in html and 'id="invite-qr"' in html
    assert ">Подключён<" not in html
    db.session.expire_all()
    assert executor.telegram_user_id is None and executor_links.open_invitation(executor).code == new_code
    [note] = db.session.execute(select(Notification)).scalars().all()
    assert note.chat_id == 6001 and note.text == executor_voice.UNBOUND_TEXT  # the old phone is told

    executor_links.redeem(new_code, 5002, 6002, "Новый телефон")
    db.session.commit()
    assert executor.telegram_user_id == 5002 and executor_links.bound_executor(5001) is None


def test_new_phone_for_a_switched_off_executor_is_refused_and_keeps_the_binding(operator, ctx):
    executor = ctx.executor()
    executor.telegram_user_id, executor.telegram_chat_id, executor.active = 5001, 6001, False
    db.session.commit()
    assert "Новый телефон" not in operator.page(f"/admin/executors/{executor.id}")
    response = operator.post(f"/admin/executors/{executor.id}/telegram/new-phone")
    assert response.status_code == 302
    assert "Исполнитель отключён: сначала включите его." in operator.page(f"/admin/executors/{executor.id}")
    db.session.expire_all()
    assert executor.telegram_user_id == 5001 and invitations(executor) == []
    assert db.session.execute(select(Notification)).first() is None


def test_inactive_executor_cannot_be_invited(operator, ctx):
    executor = ctx.executor()
    executor.active = False
    db.session.commit()
    html = operator.page(f"/admin/executors/{executor.id}")
    assert 'id="telegram-inactive"' in html and "Создать приглашение" not in html
    response = operator.post(f"/admin/executors/{executor.id}/invitation")
    assert response.status_code == 302
    assert "Исполнитель отключён: сначала включите его." in operator.page(f"/admin/executors/{executor.id}")
    assert invitations(executor) == []


@pytest.mark.parametrize("action", ["invitation", "invitation/cancel", "telegram/unbind", "telegram/new-phone"])
def test_post_without_csrf_is_refused(operator, ctx, action):
    executor = ctx.executor()
    executor_links.create_invitation(executor, None)
    executor.telegram_user_id, executor.telegram_chat_id = 5001, 6001
    db.session.commit()
    before = [(i.code, i.cancelled_at) for i in invitations(executor)]
    response = operator.client.post(f"/admin/executors/{executor.id}/{action}")
    assert response.status_code == 400 and "Форма устарела" in response.get_data(as_text=True)
    db.session.expire_all()
    assert [(i.code, i.cancelled_at) for i in invitations(executor)] == before
    assert executor.telegram_user_id == 5001
    assert db.session.execute(select(Notification)).first() is None


@pytest.mark.parametrize("method,action", [("post", "invitation"), ("post", "invitation/cancel"),
                                           ("post", "telegram/unbind"), ("post", "telegram/new-phone"),
                                           ("get", "invitation/qr.svg")])
def test_missing_executor_is_404(operator, method, action):
    assert getattr(operator, method)(f"/admin/executors/999/{action}").status_code == 404


@pytest.mark.parametrize("method,action", [("post", "invitation"), ("get", "invitation/qr.svg")])
def test_anonymous_is_sent_to_login(visitor, ctx, method, action):
    executor = ctx.executor()
    executor_links.create_invitation(executor, None)
    db.session.commit()
    data = {"csrf_token": visitor.csrf_token()} if method == "post" else None
    response = visitor.open(f"/admin/executors/{executor.id}/{action}", method=method.upper(), data=data)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert len(invitations(executor)) == 1
    assert db.session.execute(select(Executor.telegram_user_id)).scalar_one() is None


def test_the_request_page_shows_whether_the_executor_got_the_job_in_telegram(operator, ctx):
    from app.models import Request
    from app.services.requests import lifecycle as request_service
    from tests import factories

    executor = ctx.executor()
    executor.telegram_user_id = executor.telegram_chat_id = 4242
    offline = factories.executor("Без Телеграма")
    request = factories.request()
    page = f"/requests/{request.id}"
    html = operator.page(page)
    assert "Петров Пётр, Сантехник · в Telegram</option>" in html and "Без Телеграма, Сантехник</option>" in html
    assert "job-delivery" not in html

    request_service.assign_executor(db.session.get(Request, request.id), executor, ctx.staff("operator"))
    db.session.commit()
    assert '<span class="delivery d-pending" id="job-delivery">в Telegram: в очереди</span>' in operator.page(page)
    card = db.session.execute(select(Notification).where(Notification.chat_id == 4242)).scalar_one()
    card.status, card.failure = "failed", "blocked"
    db.session.commit()
    assert "в Telegram: не доставлено: исполнитель заблокировал бота" in operator.page(page)
    card.status, card.failure = "sent", ""
    db.session.commit()
    assert "в Telegram: доставлено" in operator.page(page)

    request_service.assign_executor(db.session.get(Request, request.id), offline, ctx.staff("operator"))
    db.session.commit()
    assert "job-delivery" not in operator.page(page)  # the executor now on it has no Telegram
