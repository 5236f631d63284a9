"""Restart safety and delivery through the real worker: downtime, kill -9, replayed updates, API faults."""
import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Conversation, Executor, Notification, Request, TelegramBinding
from app.services.requests import lifecycle as request_service
from tests.bot.conftest import agree, dispatcher, running
from tests.bot.test_requests import requests_of, start_request, to_summary

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]


@pytest.fixture
def world(bot_world):
    yield from running(bot_world)


def notifications_of(world, chat_id) -> list[Notification]:
    """The chat's status notifications (the outbox also carries the bot's durable replies)."""
    with world.app.app_context():
        rows = db.session.execute(
            select(Notification).where(Notification.chat_id == chat_id, Notification.kind == "status")
            .order_by(Notification.id)
        ).scalars().all()
        db.session.expunge_all()
        return rows


def test_status_notifications_sent_after_the_worker_was_down(world):
    r = world.identified()
    to_summary(r)
    r.press("Да, это мой номер")
    r.expect("Заявка №")
    [request] = requests_of(world, r.user_id)

    assert world.worker.stop() == 0  # SIGTERM: a clean exit
    with world.app.app_context():  # the dispatcher works while the bot is down
        obj = db.session.get(Request, request.id)
        staff = dispatcher()
        request_service.assign_executor(obj, db.session.execute(select(Executor)).scalars().first(), staff)
        request_service.change_status(obj, "in_progress", staff, comment="Мастер выехал")
        db.session.commit()
    assert [n.status for n in notifications_of(world, r.chat_id)] == ["pending", "pending"]

    world.worker.start()
    r.expect(f"Статус вашей заявки № {request.number} изменён: назначена исполнителю.")
    r.expect(f"Статус вашей заявки № {request.number} изменён: в работе.", "Комментарий: Мастер выехал")
    assert world.api.wait_until(
        lambda: [n.status for n in notifications_of(world, r.chat_id)] == ["sent", "sent"], 10)
    assert all(n.sent_at is not None and n.last_error == "" for n in notifications_of(world, r.chat_id))


def test_kill_9_mid_dialog_continues_the_same_dialog(world):
    r = world.identified()
    start_request(r, "Электрика", "Нет света в подъезде")
    r.send("Темно на втором этаже")
    r.expect("Записал")
    r.send_photo(b"\xff\xd8 dark stairs")
    r.expect("Фото добавлено (1 из 10)")

    world.worker.kill()
    world.worker.start()

    r.send("Готово")  # the first reply after the restart answers this, nothing replayed
    r.expect("Описание принято")
    summary = r.expect("Проверьте заявку", "Нет света в подъезде", "Темно на втором этаже", "Фото: 1")
    world.worker.kill()
    world.worker.start()
    r.press("Да, это мой номер", message=summary)
    r.expect("Заявка №")
    [request] = requests_of(world, r.user_id)
    assert request.description == "Темно на втором этаже"
    assert len(request.photos) == 1


def test_an_update_delivered_twice_is_handled_once(world):
    r = world.resident()
    r.send("Идентификация")
    agree(r)
    r.send("100004")
    r.expect("Лицевой счёт найден")
    r.send("+79125550000", duplicate=True)
    r.expect("Готово! Вы привязаны")
    summary = to_summary(r)
    r.press("Да, это мой номер", duplicate=True)
    r.expect("Заявка №")
    r.send("/help")  # replies come in order: anything caused by the replays would come before this
    r.expect("Что умеет бот")

    assert world.api.calls.get("getUpdates", 0) > 0
    with world.app.app_context():
        pairs = db.session.execute(
            select(TelegramBinding).where(TelegramBinding.telegram_user_id == r.user_id)).scalars().all()
    assert len(pairs) == 1
    assert len(requests_of(world, r.user_id)) == 1
    assert summary.buttons == []


def test_outbox_honours_429_and_marks_blocked_chats_failed(world):
    r = world.identified()
    blocked = world.identified("100002")
    for resident in (r, blocked):
        to_summary(resident)
        resident.press("Да, это мой номер")
        resident.expect("Заявка №")
    world.api.block(blocked.chat_id)
    world.api.inject("sendMessage", "429", retry_after=1)
    with world.app.app_context():
        staff = dispatcher()
        for resident in (r, blocked):
            [request] = requests_of(world, resident.user_id)
            request_service.change_status(db.session.get(Request, request.id), "closed", staff)
        db.session.commit()

    r.expect("изменён: закрыта.")
    assert world.api.wait_until(lambda: notifications_of(world, r.chat_id)[0].status == "sent", 10)
    assert world.api.wait_until(lambda: notifications_of(world, blocked.chat_id)[0].status == "failed", 10)
    [failed] = notifications_of(world, blocked.chat_id)
    assert "403" in failed.last_error and "blocked" in failed.last_error
    world.api.block(blocked.chat_id, False)


def test_worker_survives_api_faults(world):
    r = world.identified(world.new_account())
    world.worker.wait_idle()
    world.api.inject("getUpdates", "500")
    world.api.inject("getUpdates", "drop")
    world.api.inject("sendMessage", "500")
    world.api.inject("sendMessage", "502")
    r.send("Мои заявки")
    r.expect("У вас пока нет заявок")
    r.send("Создать заявку")
    r.expect("Выберите категорию")
    world.api.inject("answerCallbackQuery", "429", retry_after=0)
    world.api.inject("editMessageText", "drop")
    r.press("Сантехника")
    assert "Протечка" in r.api.messages(r.chat_id)[-1].buttons
    assert world.worker.running


def test_a_handler_error_gets_an_apology_and_the_worker_goes_on(world):
    r = world.identified()
    start_request(r)
    with world.app.app_context():  # a dialog row the code cannot read (e.g. left by an old release)
        db.session.execute(update(Conversation).where(Conversation.telegram_user_id == r.user_id)
                           .values(state="NewRequest:confirm_phone", data="[1, 2]"))
        db.session.commit()
    r.send("да")
    r.expect("Произошла ошибка")
    r.send("/start")
    r.expect("Главное меню")
    to_summary(r)
    assert world.worker.running
