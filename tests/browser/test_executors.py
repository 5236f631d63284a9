"""An executor's invitation to the bot in a real browser: the link and its QR code image (served
under the app's CSP), the binding the bot makes, and disconnecting it. Headless Debian Chromium."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import BotStatus, Executor, ExecutorInvitation, utcnow
from app.services.people import executor_links
from tests import factories
from tests.browser.test_journal import log_in
from tests.conftest import OPERATOR_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


@pytest.mark.parametrize("bot_known", [True, False])
def test_invite_bind_and_disconnect(page, app, bot_known):
    with app.app_context():
        executor_id = factories.executor().id
        if bot_known:  # the bot worker has started once and recorded its username
            db.session.add(BotStatus(id=1, username="zhkh_test_bot", beat_at=utcnow(), telegram_ok_at=utcnow()))
            db.session.commit()
    log_in(page, "operator", OPERATOR_PASSWORD)  # a dispatcher's job, not only the administrator's
    page.goto(f"/admin/executors/{executor_id}")
    section = page.locator("#telegram")
    expect(section).to_contain_text("не подключён к боту")
    section.get_by_role("button", name="Создать приглашение").click()

    expect(page.locator(".flash")).to_contain_text("Приглашение для «Петров Пётр» создано")
    with app.app_context():
        code = db.session.execute(select(ExecutorInvitation.code)).scalar_one()
    expect(page.locator("#invite-command")).to_have_text(f"/start {code}")
    if bot_known:
        expect(page.locator("#invite-link")).to_have_attribute("href", f"https://t.me/zhkh_test_bot?start={code}")
    else:
        expect(page.locator("#invite-no-link")).to_contain_text("Бот ещё не запускался")
        expect(page.locator("#invite-link")).to_have_count(0)
    qr = page.locator("#invite-qr")
    expect(qr).to_be_visible()
    page.wait_for_function("document.querySelector('#invite-qr').complete")
    assert qr.evaluate("img => img.naturalWidth") > 0  # the SVG loaded, not blocked by the CSP

    with app.app_context():  # the executor opens the link: the bot redeems the code
        executor_links.redeem(code, 5001, 6001, "Пётр Петров (@petrov)")
        db.session.commit()
    page.reload()
    expect(section).to_contain_text("Подключён")
    expect(page.locator("#telegram-name")).to_have_text("Пётр Петров (@petrov)")
    expect(page.locator("#invite-qr")).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name="Отключить от бота").click()
    expect(page.locator(".flash")).to_contain_text("отключён от бота")
    expect(page.locator("#telegram-name")).to_have_count(0)
    expect(section.get_by_role("button", name="Создать приглашение")).to_be_visible()
    with app.app_context():
        assert db.session.get(Executor, executor_id).telegram_user_id is None


def test_new_phone_disconnects_and_shows_the_new_invitation_in_one_step(page, app):
    with app.app_context():
        executor = factories.executor()
        executor_id = executor.id
        executor_links.redeem(executor_links.create_invitation(executor, None).code, 5001, 6001, "Старый телефон")
        db.session.commit()
    log_in(page, "operator", OPERATOR_PASSWORD)
    page.goto(f"/admin/executors/{executor_id}")
    section = page.locator("#telegram")
    expect(page.locator("#telegram-name")).to_have_text("Старый телефон")

    page.once("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name="Новый телефон").click()
    expect(page.locator(".flash")).to_contain_text("Новое приглашение создано")
    with app.app_context():
        code = executor_links.open_invitation(db.session.get(Executor, executor_id)).code
    expect(page.locator("#invite-command")).to_have_text(f"/start {code}")
    expect(page.locator("#invite-qr")).to_be_visible()
    expect(page.locator("#telegram-name")).to_have_count(0)
