"""The worker on PostgreSQL: one end-to-end pass (everything else is covered on SQLite)."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, Request, StaffUser, TelegramBinding
from app.services.requests import lifecycle as request_service
from tests.bot.conftest import BotWorld, seed
from tests.conftest import PG_URL, truncate_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")]


@pytest.fixture
def pg_world(postgres_ready, tmp_path):
    truncate_postgres(postgres_ready)
    world = BotWorld(tmp_path, postgres_ready)
    seed(world.app)
    world.worker.start()
    yield world
    world.close()


def test_identification_request_and_notification_on_postgresql(pg_world):
    r = pg_world.identified("100001", "+79123456789")
    r.send("Создать заявку")
    r.expect("Выберите категорию")
    r.press("Сантехника")
    r.press("Протечка")
    r.expect("Опишите проблему")
    r.send_photo(b"\xff\xd8 leak", caption="Течёт под\x00 раковиной", duplicate=True)  # NUL: refused by PG
    r.expect("Фото добавлено (1 из 10)")
    r.send("Готово")
    r.expect("Описание принято")
    r.expect("Проверьте заявку", "Фото: 1")
    r.press("Да, это мой номер", duplicate=True)
    r.expect("Заявка №")

    with pg_world.app.app_context():
        [request] = db.session.execute(select(Request)).scalars().all()
        assert request.description == "Течёт под раковиной" and len(request.photos) == 1
        assert db.session.execute(select(TelegramBinding)).scalars().one().phone == "+79123456789"
        staff = StaffUser(login="pg-dispatcher", password_hash="x")
        db.session.add(staff)
        request_service.change_status(request, "closed", staff)
        db.session.commit()
        number = request.number
    r.expect(f"Статус вашей заявки № {number} изменён: закрыта.")

    def sent() -> bool:
        with pg_world.app.app_context():
            return db.session.execute(select(Notification.status).where(Notification.kind == "status")
                                      ).scalar_one() == "sent"
    assert pg_world.api.wait_until(sent, 10)


def test_conversation_and_confirmation_on_postgresql(pg_world):
    """Locked reads (SELECT ... FOR UPDATE) and the unread counter on a server database."""
    from app.services.requests import conversation
    from tests.bot.test_conversation import as_staff, file, load

    r = pg_world.identified("100002", "+79123450000")
    request_id = file(pg_world, r)
    as_staff(pg_world, request_id, "assign", ("write", "Когда удобно прийти?"))
    r.press("Ответить", message=r.wait_for("Когда удобно прийти?"))
    r.expect("Напишите сообщение по заявке")
    r.send("Завтра утром")
    r.expect("Передано диспетчеру")
    r.send("Готово")
    r.expect("передано диспетчеру — 1")
    assert load(pg_world, request_id)["unread"] == 1
    with pg_world.app.app_context():
        conversation.mark_read(db.session.get(Request, request_id))
        db.session.commit()
    as_staff(pg_world, request_id, "in_progress", "done")
    r.press("Да", message=r.wait_for("Проблема решена?"))
    r.press("4 ★", message=r.expect("Оцените"))
    r.expect("напишите комментарий")
    state = load(pg_world, request_id)
    assert (state["status"], state["verdict"], state["rating"], state["unread"]) == ("closed", "confirmed", 4, 0)


def test_households_consent_and_deletion_on_postgresql(pg_world):
    """Two flats, filing per address, the household's list, a new consent version, «Удалить мои данные»."""
    from app.services.people import consent
    from tests.bot.test_households import address_of, answers, file_request, new_version, pairs
    from tests.telegram_ids import rows_naming
    first, second = pg_world.new_account(), pg_world.new_account("ул. Вторая")
    r = pg_world.identified(first)
    relative = pg_world.identified(second, phone="+79120001122")
    r.send("Добавить лицевой счёт")
    r.expect("Введите номер лицевого счёта")
    r.send(second)
    r.expect("Лицевой счёт найден")
    r.send("+79123456789")
    r.expect(f"Вы привязаны к лицевому счёту № {second}")
    request_id = file_request(pg_world, r, address=address_of(pg_world, second))
    relative.send("Мои заявки")
    relative.press(relative.expect("Ваши заявки (1–1 из 1)").buttons[0])
    relative.expect("Подал(а): другой житель")

    version_id = new_version(pg_world, "Редакция для PostgreSQL.")
    r.send("Мои заявки")
    r.press("Согласен", r.expect("Редакция для PostgreSQL."))
    r.expect("Спасибо, согласие сохранено")
    assert answers(pg_world, r.user_id)[-1] == (consent.AGREED, version_id)

    r.send("Настройки")
    r.press("Удалить мои данные", r.expect("Объявления"))
    r.press("Да, удалить", r.expect("Удалить ваши данные из бота?", first, second))
    r.expect("Ваши данные удалены из бота")
    with pg_world.app.app_context():
        assert rows_naming(r.user_id) == {}
        assert db.session.get(Request, request_id).author_telegram_id is None
    assert pairs(pg_world, r.user_id) == [] and pairs(pg_world, relative.user_id) == [(second, "+79120001122")]
