"""Alerts to the staff chat delivered by the real worker against the local Bot API: an emergency
filed through the bot, a request gone overdue, the digest; none repeated after a restart."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, Notification, Request, Subcategory
from app.services.requests import deadlines
from app.services.requests import lifecycle as request_service
from tests.bot.conftest import make_world, staff_browser
from tests.bot.test_requests import number_in, to_summary

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

STAFF_CHAT = -1009876543210


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    """A worker with a staff chat, checking every second, its digest due from midnight on."""
    world = make_world(tmp_path_factory, sqlite_template, STAFF_CHAT_ID=STAFF_CHAT, STAFF_ALERT_SECONDS=1,
                       STAFF_DIGEST_HOUR=0)
    with world.app.app_context():  # «Протечка» is an emergency: 10 minutes to react, 30 to localise
        leak = db.session.execute(select(Subcategory).where(Subcategory.name == "Протечка")).scalar_one()
        leak.emergency, leak.reaction_minutes, leak.completion_minutes = True, 10, 30
        db.session.commit()
    world.worker.start()
    yield world
    world.close()


def staff_texts(world) -> list[str]:
    return [m.text for m in world.api.messages(STAFF_CHAT)]


def wait_for(world, predicate, what: str, timeout: float = 15) -> None:
    assert world.api.wait_until(predicate, timeout), f"{what}; the staff chat has: {staff_texts(world)}"


def test_emergency_overdue_and_digest_reach_the_staff_chat_once_each(world):
    wait_for(world, lambda: any(t.startswith("Сводка на ") for t in staff_texts(world)), "no digest")

    r = world.identified()
    to_summary(r, description="Течёт с потолка в ванной", category="Сантехника", subcategory="Протечка")
    r.press("Да, это мой номер")
    number = number_in(r.expect("Заявка №").text)
    wait_for(world, lambda: f"🚨 Аварийная заявка № {number}" in "\n".join(staff_texts(world)), "no emergency alert")
    alert = next(t for t in staff_texts(world) if t.startswith("🚨"))
    assert alert.splitlines()[1:3] == ["Сантехника / Протечка", "Адрес: г. Самара, ул. Ленина, д. 5А, кв. 12"]

    with world.app.app_context():  # nobody reacted: as if it were filed a quarter of an hour ago
        request = db.session.execute(select(Request).where(Request.number == number)).scalar_one()
        request.created_at -= timedelta(minutes=15)
        deadlines.apply_norm(request, deadlines.norm_of(request.category, request.subcategory))
        db.session.commit()
    wait_for(world, lambda: any(t.startswith("⏰ Просрочены заявки: 1") for t in staff_texts(world)),
             "no overdue alert")
    overdue = next(t for t in staff_texts(world) if t.startswith("⏰"))
    assert overdue.splitlines()[1].startswith(f"№ {number} — реакция, срок был ")

    assert world.worker.stop() == 0
    world.worker.start()
    world.api.wait_until(lambda: False, 3)  # several rounds of the jobs after the restart
    texts = staff_texts(world)
    assert [t.split()[0] for t in texts] == ["Сводка", "🚨", "⏰"]  # each once, in order
    with world.app.app_context():
        rows = db.session.execute(select(Notification.kind, Notification.status)
                                  .where(Notification.chat_id == STAFF_CHAT).order_by(Notification.id)).all()
        assert rows == [("digest", "sent"), ("alert", "sent"), ("alert", "sent")]


def test_a_staff_chat_that_stops_taking_alerts_shows_a_banner_until_one_gets_through(world):
    """The worker's real failure (the group blocked the bot) reaches every staff page; a later
    delivered alert clears it."""
    world.app.config["STAFF_CHAT_ID"] = STAFF_CHAT  # the web app's side of the same setting
    browser = staff_browser(world)

    def emergency() -> int:
        with world.app.app_context():
            client = db.session.execute(select(Client)).scalars().first()
            leak = db.session.execute(select(Subcategory).where(Subcategory.name == "Протечка")).scalar_one()
            request = request_service.create_request(client=client, category=leak.category, subcategory=leak,
                                                     description="Течёт стояк", source="phone")
            db.session.commit()
            return request.id

    def alert_status(request_id) -> str:
        with world.app.app_context():
            return db.session.execute(select(Notification.status).where(  # the request's one emergency alert
                Notification.chat_id == STAFF_CHAT, Notification.request_id == request_id,
                Notification.kind == "alert")).scalar_one()

    try:
        assert 'id="staff-chat-alert"' not in browser.page("/")
        world.api.block(STAFF_CHAT)
        try:
            failed = emergency()
            wait_for(world, lambda: alert_status(failed) == "failed", "the alert did not fail")
        finally:
            world.api.block(STAFF_CHAT, False)
        page = browser.page("/")
        assert 'id="staff-chat-alert">Чат сотрудников в Telegram не получает оповещений' in page
        assert "не доставлено (бот заблокирован в чате)" in page
        assert 'id="staff-chat-alert"' in browser.page("/dashboard")

        delivered = emergency()
        wait_for(world, lambda: alert_status(delivered) == "sent", "the next alert was not delivered")
        assert 'id="staff-chat-alert"' not in browser.page("/")
    finally:
        world.app.config["STAFF_CHAT_ID"] = None
