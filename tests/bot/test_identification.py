"""Identification through the real worker: first contact, ЛС and phone checks, throttling, the pair limit."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, TelegramBinding
from tests.bot.conftest import PHONE, agree

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

MENU = ["Создать заявку", "Передать показания", "Мои заявки", "Мои адреса", "Добавить лицевой счёт", "Настройки",
        "Помощь"]


def pairs(world, **where) -> list[TelegramBinding]:
    with world.app.app_context():
        query = select(TelegramBinding).filter_by(**where).order_by(TelegramBinding.id)
        rows = db.session.execute(query).scalars().all()
        db.session.expunge_all()
        return rows


def client_id(world, account: str) -> int:
    with world.app.app_context():
        return db.session.execute(select(Client.id).where(Client.account == account)).scalar_one()


def test_unknown_user_is_offered_only_identification(bot_world):
    r = bot_world.resident()
    r.send("/start")
    r.expect("Здравствуйте", "«Идентификация»")
    assert r.keyboard == ["Идентификация"]
    r.send("Привет! У меня течёт кран")
    r.expect("пройти идентификацию")
    r.send_sticker()
    r.expect("пройти идентификацию")
    r.send("Создать заявку")
    r.expect("доступна после идентификации")
    r.send("Мои заявки")
    r.expect("доступна после идентификации")
    assert r.keyboard == ["Идентификация"]
    assert pairs(bot_world, telegram_user_id=r.user_id) == []


def test_identification_with_shared_contact(bot_world):
    r = bot_world.resident()
    r.send("Идентификация")
    agree(r)
    assert r.keyboard == ["Отмена"]
    r.send("100 002")  # as printed on a bill, with a space
    r.expect("Лицевой счёт найден")
    assert r.keyboard == ["📱 Отправить мой номер", "Отмена"]
    r.share_contact("79991234567")  # Telegram's format: no plus
    reply = r.expect("Готово! Вы привязаны к лицевому счёту № 100002",
                     "ул. Садовая, д. 17, кв. 3", "+7 999 123-45-67")
    assert r.keyboard == MENU
    [pair] = pairs(bot_world, telegram_user_id=r.user_id)
    assert (pair.client_id, pair.phone, pair.chat_id) == (client_id(bot_world, "100002"), "+79991234567", r.chat_id)
    assert pair.created_at is not None
    assert "+7 999 123-45-67" in reply.text

    r.send("/start")
    r.expect("Главное меню")
    r.send("Идентификация")
    r.expect("Вы уже идентифицированы по лицевому счёту № 100002")
    assert len(pairs(bot_world, telegram_user_id=r.user_id)) == 1


def test_bad_account_input_gets_a_clear_answer_and_a_retry(bot_world):
    r = bot_world.resident()
    r.send("Идентификация")
    agree(r)
    r.send("12ab34")
    r.expect("состоит только из цифр")
    r.send("🏠🏠")
    r.expect("состоит только из цифр")
    r.send_sticker()
    r.expect("Пришлите номер лицевого счёта текстом")
    r.send_voice()
    r.expect("Пришлите номер лицевого счёта текстом")
    r.send("1" * 40)
    r.expect("Слишком длинный номер")
    r.send("999999")
    r.expect("Лицевой счёт № 999999 не найден", "введите ещё раз")
    r.send("100001")
    r.expect("Лицевой счёт найден")


def test_bad_phone_input_gets_a_clear_answer_and_a_retry(bot_world):
    r = bot_world.resident()
    r.send("Идентификация")
    agree(r)
    r.send("100001")
    r.expect("Лицевой счёт найден")
    r.send("позвоните мне")
    r.expect("не похоже на номер телефона")
    r.send("12345")
    r.expect("Такого номера телефона не существует")
    r.share_contact("79990000001", own=False)
    r.expect("Это чужой контакт")
    r.send_location()
    r.expect("Пришлите номер телефона текстом")
    assert pairs(bot_world, telegram_user_id=r.user_id) == []
    r.send("8 (912) 000-11-22")
    r.expect("Готово!", "+7 912 000-11-22")
    [pair] = pairs(bot_world, telegram_user_id=r.user_id)
    assert pair.phone == "+79120001122"


def test_wrong_accounts_are_throttled_per_user(bot_world):
    # IDENT_MAX_ATTEMPTS=3 for the test worker
    r = bot_world.resident()
    r.send("Идентификация")
    agree(r)
    r.send("900001")
    r.expect("не найден")
    r.send("900002")
    r.expect("не найден")
    r.send("900003")
    r.expect("Слишком много неверных попыток", "через 15 мин")
    assert r.keyboard == ["Идентификация"]
    r.send("Идентификация")
    r.expect("Слишком много неверных попыток")
    r.send("100001")  # even a right ЛС is not looked at now: the dialog is over
    r.expect("пройти идентификацию")
    assert pairs(bot_world, telegram_user_id=r.user_id) == []

    other = bot_world.resident()  # another Telegram user is not affected
    other.send("Идентификация")
    agree(other)
    other.send("100001")
    other.expect("Лицевой счёт найден")


def test_eleventh_pair_releases_the_oldest(bot_world):
    account = "100003"
    residents = [bot_world.identified(account, f"+7912555{n:04d}") for n in range(11)]
    kept = pairs(bot_world, client_id=client_id(bot_world, account))
    assert len(kept) == 10  # BINDINGS_PER_ACCOUNT
    assert residents[0].user_id not in {p.telegram_user_id for p in kept}
    assert {p.telegram_user_id for p in kept} == {r.user_id for r in residents[1:]}

    first = residents[0]
    first.send("Создать заявку")
    first.expect("доступна после идентификации")
    assert first.keyboard == ["Идентификация"]
    residents[-1].send("Создать заявку")
    residents[-1].expect("Выберите категорию")


def test_cancel_and_help_during_identification(bot_world):
    r = bot_world.resident()
    r.send("Идентификация")
    agree(r)
    r.send("/help")
    r.expect("пройдите идентификацию", "/cancel")
    r.expect("Введите номер лицевого счёта")  # the step is asked again
    r.send("100001")
    r.expect("Лицевой счёт найден")
    r.send("Отмена")
    r.expect("Действие отменено")
    assert r.keyboard == ["Идентификация"]
    r.send(PHONE)  # no dialog is waiting for a phone any more
    r.expect("пройти идентификацию")
    r.send("Идентификация")
    r.expect("Введите номер лицевого счёта")  # consent given once is not asked again
    r.send("/cancel")
    r.expect("Действие отменено")
    assert pairs(bot_world, telegram_user_id=r.user_id) == []


def test_menu_buttons_work_during_identification(bot_world):
    """«Создать заявку» and «Мои заявки» mid-identification: a hint, and the same step again."""
    r = bot_world.resident()
    r.send("Идентификация")
    agree(r)
    r.send("Создать заявку")
    r.expect("доступна после идентификации")
    r.expect("Введите номер лицевого счёта")
    r.send("100001")
    r.expect("Лицевой счёт найден")
    for button in ("Создать заявку", "Мои заявки"):
        r.send(button)
        r.expect("доступна после идентификации")
        r.expect("Отправить мой номер")  # the phone step is asked again
    r.send(PHONE)
    r.expect("Готово! Вы привязаны к лицевому счёту № 100001")
