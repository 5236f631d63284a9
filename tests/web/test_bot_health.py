"""Staff are warned on every page when residents cannot reach the bot (app/services/operations/bot_health.py)."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import BotStatus, Notification, utcnow
from app.services.operations import bot_health
from app.services.messaging import outbox
ALERT = 'id="bot-alert"'


def set_status(app, beat_ago=None, telegram_ago=None):
    """The heartbeat row as a worker would have left it, `..._ago` minutes back (None: no row / never)."""
    with app.app_context():
        db.session.query(BotStatus).delete()
        if beat_ago is not None:
            now = utcnow()
            db.session.add(BotStatus(
                id=1, username="uk_bot", beat_at=now - timedelta(minutes=beat_ago),
                telegram_ok_at=None if telegram_ago is None else now - timedelta(minutes=telegram_ago)))
        db.session.commit()


def alert_of(client, url="/") -> str | None:
    page = client.get(url).get_data(as_text=True)
    if ALERT not in page:
        return None
    return page.split(ALERT, 1)[1].split(">", 1)[1].split("</div>", 1)[0]


def test_no_warning_without_a_configured_bot(app, operator):
    app.config["TELEGRAM_BOT_TOKEN"] = ""
    assert alert_of(operator) is None


def test_a_configured_bot_that_never_ran_is_reported(app, operator):
    app.config["TELEGRAM_BOT_TOKEN"] = "123:abc"
    assert alert_of(operator) == bot_health.NEVER_STARTED
    assert alert_of(operator, "/admin/clients") == bot_health.NEVER_STARTED  # on every page


def test_a_fresh_heartbeat_means_no_warning(app, operator):
    app.config["TELEGRAM_BOT_TOKEN"] = "123:abc"
    set_status(app, beat_ago=0.5, telegram_ago=0.3)
    assert alert_of(operator) is None


def test_a_stale_heartbeat_says_since_when_in_local_time(app, operator):
    set_status(app, beat_ago=10, telegram_ago=10)
    with app.app_context():
        since = db.session.get(BotStatus, 1).beat_at.astimezone(app.config["TZ"]).strftime("%d.%m.%Y %H:%M")
    text = alert_of(operator)
    assert text == bot_health.WORKER_DOWN.format(since=since)
    assert "Telegram-бот не работает с" in text


def test_worker_alive_but_telegram_silent(app, operator):
    set_status(app, beat_ago=0.2, telegram_ago=5)
    assert alert_of(operator).startswith("Telegram-бот не может связаться с Telegram с ")
    set_status(app, beat_ago=0.2, telegram_ago=None)  # has not reached Telegram since it started
    assert alert_of(operator) == bot_health.NO_TELEGRAM.format(since="")


def test_the_login_page_shows_nothing(app, client):
    app.config["TELEGRAM_BOT_TOKEN"] = "123:abc"
    assert alert_of(client, "/login") is None


def test_beat_writes_one_row_and_keeps_it_current(app):
    with app.app_context():
        bot_health.beat("uk_bot", None)
        first = db.session.get(BotStatus, 1).beat_at
        ok = utcnow()
        bot_health.beat("uk_bot", ok)
        rows = db.session.query(BotStatus).all()
        assert len(rows) == 1 and rows[0].beat_at >= first and rows[0].telegram_ok_at == ok


# --- the staff chat (STAFF_CHAT_ID) --------------------------------------------------------

STAFF_CHAT = -1001234567890
STAFF_CHAT_ALERT = 'id="staff-chat-alert"'


def staff_chat_alert(client, url="/") -> str | None:
    page = client.get(url).get_data(as_text=True)
    if STAFF_CHAT_ALERT not in page:
        return None
    return page.split(STAFF_CHAT_ALERT, 1)[1].split(">", 1)[1].split("</div>", 1)[0]


def sent(app, chat_id, status, failure="", priority=outbox.ALERT):
    """A message to `chat_id` as the worker left it; when it was written."""
    with app.app_context():
        row = Notification(chat_id=chat_id, text="⏰ Просрочены заявки: 1", kind="alert", priority=priority,
                           status=status, failure=failure)
        db.session.add(row)
        db.session.commit()
        return row.created_at


@pytest.mark.app_config(STAFF_CHAT_ID=STAFF_CHAT)
def test_a_staff_chat_that_fails_is_reported_on_every_page_until_a_message_gets_through(app, operator):
    assert staff_chat_alert(operator) is None  # nothing sent yet
    sent(app, STAFF_CHAT, outbox.SENT)
    sent(app, 777, outbox.FAILED, "blocked", priority=outbox.URGENT)  # a resident's: not the staff chat's
    assert staff_chat_alert(operator) is None

    at = sent(app, STAFF_CHAT, outbox.FAILED, "chat_gone")  # a wrong id, or the bot removed from the group
    expected = ("Чат сотрудников в Telegram не получает оповещений: сообщение от "
                f"{at.astimezone(app.config['TZ']):%d.%m.%Y %H:%M} не доставлено (чат не найден или бот удалён "
                "из группы). Аварийные заявки и просрочки туда не приходят. Сообщите администратору: проверьте "
                "STAFF_CHAT_ID и что бот состоит в группе.")
    assert staff_chat_alert(operator) == expected
    assert staff_chat_alert(operator, "/admin/clients") == expected  # on every page
    sent(app, STAFF_CHAT, outbox.PENDING)  # not delivered yet: still failing
    assert staff_chat_alert(operator, "/dashboard") == expected

    sent(app, STAFF_CHAT, outbox.SENT)  # the group fixed: the next alert arrived
    assert staff_chat_alert(operator) is None


def test_no_staff_chat_no_staff_chat_warning(app, operator):
    assert app.config["STAFF_CHAT_ID"] is None
    sent(app, STAFF_CHAT, outbox.FAILED, "chat_gone")
    assert staff_chat_alert(operator) is None
