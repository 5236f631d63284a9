"""TIMEZONE: the company's own time everywhere: the journal, its date filters' day boundaries,
the request page, the export and the bot."""
from datetime import datetime, timedelta, timezone

import pytest

from app.bot.my_requests import card, page
from app.extensions import db
from app.models import Request, TelegramBinding
from tests import factories
from tests.journal.test_export import download, run_export

# 20:30 UTC on 1 March: still the 1st in Moscow (23:30), already the 2nd in Samara and Yekaterinburg.
FILED = datetime(2024, 3, 1, 20, 30, tzinfo=timezone.utc)
ZONES = {
    "Europe/Moscow": datetime(2024, 3, 1, 23, 30),
    "Europe/Samara": datetime(2024, 3, 2, 0, 30),
    "Asia/Yekaterinburg": datetime(2024, 3, 2, 1, 30),
}


@pytest.fixture(autouse=True, params=list(ZONES))
def zone(request, monkeypatch):
    """The setting as an operator gives it: in the environment (or .env) before the app starts."""
    monkeypatch.setenv("TIMEZONE", request.param)
    return request.param


@pytest.fixture
def filed(app):
    with app.app_context():
        client = factories.client()
        db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=501, chat_id=501, phone=client.phone))
        req = factories.request(client, factories.category(), author_telegram_id=501, author_chat_id=501)
        req.created_at = req.updated_at = FILED
        db.session.commit()
        return req.id, req.number


def test_journal_request_page_and_filters_use_the_local_day(staff, filed, zone):
    local = ZONES[zone]
    shown = f"{local:%d.%m.%Y %H:%M}"
    assert shown in staff.page("/")
    assert shown in staff.page(f"/requests/{filed[0]}")
    day = local.date().isoformat()
    assert staff.numbers(f"/?created_at_from={day}&created_at_to={day}") == [filed[1]]
    before, after = local.date() - timedelta(days=1), local.date() + timedelta(days=1)
    assert staff.numbers(f"/?created_at_to={before.isoformat()}") == []
    assert staff.numbers(f"/?created_at_from={after.isoformat()}") == []


def test_export_writes_the_local_wall_clock_time(staff, filed, zone):
    _, sheet = download(staff, run_export(staff))
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, header.index("Создана") + 1).value == ZONES[zone]


def test_bot_lists_requests_with_the_local_date(app, filed, zone):
    with app.app_context():
        _, buttons = page(501, 0)
        text, _ = card(db.session.get(Request, filed[0]), 501)
    [[button]] = buttons.keyboard
    assert f" · {ZONES[zone]:%d.%m.%y} · " in button.text
    assert f"Заявка № {filed[1]} от {ZONES[zone]:%d.%m.%Y}\n" in text
    assert f"Статус: новая с {ZONES[zone]:%d.%m.%Y %H:%M}\n" in text

