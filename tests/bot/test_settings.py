"""«Настройки» through the real worker: announcements switched off and on, at any step, on old messages."""
import pytest

from app.services.messaging import announcements
from tests.bot.test_requests import start_request

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]
OTHER_SETTINGS = ["Мои адреса", "Добавить лицевой счёт", "Удалить мои данные"]
REMINDERS_ON = "Напоминания о показаниях: не получать"  # the switch of meter reminders, while they come


def wants(world, user_id) -> bool:
    with world.app.app_context():
        return announcements.wants_announcements(user_id)


def test_a_resident_switches_announcements_off_and_on(bot_world):
    r = bot_world.identified()
    r.send("Настройки")
    settings = r.expect("Объявления управляющей компании", "вы получаете", "по вашим заявкам приходят всегда")
    assert settings.buttons == ["Объявления: не получать", REMINDERS_ON, *OTHER_SETTINGS]

    answer = r.press("Объявления: не получать")
    assert answer["text"] == "Объявления отключены"
    edited = r.message(settings.message_id)
    assert "вы не получаете" in edited.text
    assert edited.buttons == ["Объявления: получать", REMINDERS_ON, *OTHER_SETTINGS]
    assert wants(bot_world, r.user_id) is False

    assert r.press("Объявления: получать")["text"] == "Объявления включены"
    assert r.message(settings.message_id).buttons == ["Объявления: не получать", REMINDERS_ON, *OTHER_SETTINGS]
    assert wants(bot_world, r.user_id) is True


def test_the_switch_on_an_old_message_still_works_and_only_for_its_presser(bot_world):
    r = bot_world.identified()
    r.send("Настройки")
    old = r.expect("вы получаете")
    start_request(r)  # another dialog since: the settings message is old
    assert r.press("Объявления: не получать", message=old)["text"] == "Объявления отключены"
    assert wants(bot_world, r.user_id) is False
    r.send("Течёт кран")  # the request dialog goes on where it was
    r.expect("Записал")

    neighbour = bot_world.identified(account="100002")
    assert wants(bot_world, neighbour.user_id) is True


def test_settings_in_the_middle_of_a_request_ask_for_the_step_again(bot_world):
    r = bot_world.identified()
    start_request(r)
    r.send("Настройки")
    r.expect("вы получаете")
    r.expect("Опишите проблему")
    assert r.keyboard == ["Готово", "Отмена"]


def test_an_unknown_user_is_sent_to_identification(bot_world):
    r = bot_world.resident()
    r.send("Настройки")
    r.expect("доступна после идентификации")
    assert r.keyboard == ["Идентификация"]


def test_help_names_the_setting(bot_world):
    r = bot_world.identified()
    r.send("Помощь")
    r.expect("«Настройки» — получать или не получать объявления")
