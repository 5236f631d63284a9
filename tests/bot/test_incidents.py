"""Incidents through the real worker and the local Bot API: the next resident at an affected house is
told before filing and joins without describing the problem; «Мои заявки» shows the incident's state;
one move of the incident reaches every linked resident once; a «Нет» returns only that request."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Category, Executor, Incident, Notification, Request, Subcategory, utcnow
from app.services.incidents import moves, records
from tests.bot.conftest import dispatcher, running, staff_browser

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

HOT_WATER = "Нет горячей воды"


@pytest.fixture
def world(bot_world):
    yield from running(bot_world)


def incident_at_sadovaya(world, status: str = "fixing", entrances: str = "") -> tuple[int, int]:
    """«Нет горячей воды» at ул. Садовая, 17 (clients 100002, 100004), a plumber on it, `entrances`
    noted there; (id, number)."""
    with world.app.app_context():
        plumbing = db.session.execute(select(Category).where(Category.name == "Сантехника")).scalar_one()
        hot = db.session.execute(select(Subcategory).where(Subcategory.name == HOT_WATER)).scalar_one()
        plumber = db.session.execute(select(Executor).where(Executor.full_name == "Петров Пётр")).scalar_one()
        incident = records.create(category=plumbing, subcategory=hot, description="Прорыв на теплотрассе.",
                                  expected_at=utcnow() + timedelta(hours=5), executor=plumber,
                                  houses=[("Самара", "ул. Садовая", "17", "")], actor=dispatcher(),
                                  entrances={("Самара", "ул. Садовая", "17", ""): entrances})
        if status != "open":
            moves.move(incident, status, dispatcher())
        db.session.commit()
        return incident.id, incident.number


def close_incident(world, incident_id):
    """Leave no known incident behind for the module's other tests."""
    with world.app.app_context():
        incident = records.load(incident_id, lock=True)
        for target in ("fixed", "closed"):
            if moves.statuses.can_move(incident.status, target):
                moves.move(incident, target, dispatcher())
        db.session.commit()


def join(r, number: int):
    """The resident at ул. Садовая, 17 chooses «Нет горячей воды» and follows the incident."""
    r.send("Создать заявку")
    r.expect("Выберите категорию")
    r.press("Сантехника")
    r.press(HOT_WATER)
    offer = r.expect("По вашему дому уже известно: Прорыв на теплотрассе.", "Ожидаемое время устранения:")
    assert offer.buttons == ["Сообщать мне о ходе работ", "У меня другая проблема", "Отменить"]
    r.press("Сообщать мне о ходе работ")
    return r.expect(f"присоединена к аварии № {number}", "описывать проблему не нужно")


def linked_requests(world, incident_id):
    with world.app.app_context():
        rows = db.session.execute(select(Request).where(Request.incident_id == incident_id)
                                  .order_by(Request.id)).scalars().all()
        return [(r.author_chat_id, r.status, r.executor_id is not None, r.description) for r in rows]


def test_the_next_resident_is_told_and_joins_without_a_description(world):
    incident_id, number = incident_at_sadovaya(world)
    try:
        r = world.identified("100004")
        join(r, number)
        [(chat, status, has_executor, description)] = linked_requests(world, incident_id)
        assert (chat, status, has_executor) == (r.chat_id, "in_progress", True)
        assert description == f"Житель присоединился к аварии № {number} в Telegram."
        # «Мои заявки»: the incident's state on the list and the card.
        r.send("Мои заявки")
        listing = r.expect("Ваши заявки")
        assert listing.buttons[0].endswith("· авария: устраняется")
        r.press(listing.buttons[0])
        r.expect(f"Авария № {number}: устраняется. Прорыв на теплотрассе.", "Ожидаемое время устранения:")

        # «У меня другая проблема»: the ordinary dialog goes on.
        neighbour = world.identified("100002")
        neighbour.send("Создать заявку")
        neighbour.expect("Выберите категорию")
        neighbour.press("Сантехника")
        neighbour.press(HOT_WATER)
        neighbour.expect("По вашему дому уже известно")
        neighbour.press("У меня другая проблема")
        neighbour.expect("Опишите проблему")
        # Another house, or another subcategory: nothing to tell.
        elsewhere = world.identified("100001")
        elsewhere.send("Создать заявку")
        elsewhere.expect("Выберите категорию")
        elsewhere.press("Сантехника")
        elsewhere.press(HOT_WATER)
        elsewhere.expect("Опишите проблему")
        neighbour.send("Создать заявку")
        neighbour.expect("Выберите категорию")
        neighbour.press("Сантехника")
        neighbour.press("Протечка")
        neighbour.expect("Опишите проблему")
    finally:
        close_incident(world, incident_id)
    # A closed incident is told to nobody.
    late = world.identified("100004")
    late.send("Создать заявку")
    late.expect("Выберите категорию")
    late.press("Сантехника")
    late.press(HOT_WATER)
    late.expect("Опишите проблему")


def test_the_entrances_noted_at_the_residents_house_are_told(world):
    incident_id, number = incident_at_sadovaya(world, entrances="1-3")
    try:
        r = world.identified("100002")
        r.send("Создать заявку")
        r.expect("Выберите категорию")
        r.press("Сантехника")
        r.press(HOT_WATER)
        r.expect("По вашему дому (подъезды 1–3) уже известно: Прорыв на теплотрассе.", "Ожидаемое время устранения:")
        r.press("У меня другая проблема")
        r.expect("Опишите проблему")
    finally:
        close_incident(world, incident_id)


def test_one_move_reaches_every_linked_resident_once_and_a_no_returns_only_that_request(world):
    incident_id, number = incident_at_sadovaya(world, "open")
    first, second = world.identified("100002"), world.identified("100004")
    join(first, number)
    join(second, number)
    assert [status for _, status, _, _ in linked_requests(world, incident_id)] == ["assigned", "assigned"]
    browser = staff_browser(world)
    for target, current in (("fixing", "open"), ("fixed", "fixing")):
        response = browser.post(f"/incidents/{incident_id}/status",
                                {"status": target, "current": current, "note": f"Шаг {target}"})
        assert response.status_code == 303
    for r in (first, second):
        news = r.expect(f"статус изменён на «в работе» — по аварии № {number}.", "Шаг fixing")
        assert news.buttons == []
        question = r.expect(f"По аварии № {number}: Шаг fixed", "Проблема решена?")
        assert question.buttons == ["Да", "Нет"]

    def all_sent():
        with world.app.app_context():
            return not db.session.execute(select(Notification.id).where(
                Notification.chat_id.in_([first.chat_id, second.chat_id]),
                Notification.status.in_(["pending", "sending"]))).first()
    assert world.api.wait_until(all_sent, 15)
    for r in (first, second):  # once per move: nothing else arrived
        about = [m.text for m in world.api.messages(r.chat_id) if f"аварии № {number}" in m.text]
        assert len(about) == 3  # joined, «в работе», «выполнена» with the question

    second.press("Нет")
    second.expect("возвращена в работу")
    assert world.api.wait_until(
        lambda: [s for _, s, _, _ in linked_requests(world, incident_id)] == ["done", "in_progress"], 10)
    page = browser.page(f"/incidents/{incident_id}")
    assert 'id="incident-returned"' in page
    with world.app.app_context():
        assert db.session.get(Incident, incident_id).status == "fixed"
    close_incident(world, incident_id)
