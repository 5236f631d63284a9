"""Browsers post a textarea's line breaks as \r\n; the pages' counters, Telegram and the residents count
one character. Every text staff type arrives as \n before it is checked, stored or sent (issue 17, defect 3)."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Announcement, Notification, Request, RequestEvent
from app.telegram.limits import MESSAGE_TEXT_MAX
from tests import factories
from tests.announcements.data import seed_residents
from tests.announcements.test_pages import SADOVAYA_17


def lines(count: int, total: int) -> str:
    """`count` lines joined by \n, `total` characters in all, as a textarea's value (and its counter) has."""
    body = total - (count - 1)
    widths = [body // count] * (count - 1) + [body - body // count * (count - 1)]
    return "\n".join("я" * width for width in widths)


def posted(text: str) -> str:
    return text.replace("\n", "\r\n")


def test_a_notice_the_counter_shows_at_the_limit_is_accepted_and_stored_with_unix_line_breaks(operator):
    seed_residents()
    text = lines(40, MESSAGE_TEXT_MAX)  # the counter (static/announcements.js): «4096 из 4096»
    assert len(text) == 4096 and len(posted(text)) == 4135
    response = operator.post("/announcements/new", {**SADOVAYA_17, "text": posted(text)})
    assert response.status_code == 303, response.get_data(as_text=True)
    notice = db.session.execute(select(Announcement)).scalar_one()
    assert notice.text == text


@pytest.fixture
def filed(app, ctx):
    request = factories.request(author_telegram_id=900, author_chat_id=900)
    db.session.commit()
    return request


def test_a_message_to_the_resident_is_counted_checked_and_sent_with_unix_line_breaks(operator, filed):
    text = lines(100, 10_000)  # STAFF_TEXT_MAX as the dispatcher sees it
    response = operator.post(f"/requests/{filed.id}/messages", {"text": posted(text)})
    assert response.status_code == 303, response.get_data(as_text=True)
    sent = "".join(db.session.execute(select(Notification.text).where(Notification.kind == "message")
                                      .order_by(Notification.id)).scalars())
    assert "\r" not in sent and sent.endswith(text[-500:])


def test_comments_and_a_phoned_in_description_are_stored_with_unix_line_breaks(app, operator, filed):
    assert operator.post(f"/requests/{filed.id}/comment", {"text": "Первая строка\r\nВторая"}).status_code == 303
    assert operator.post(f"/requests/{filed.id}/status", {"status": "closed", "current": filed.status,
                                                          "status_comment": "Мастер\r\nвыехал"}).status_code == 303
    db.session.expire_all()
    comments = db.session.execute(select(RequestEvent.comment).where(RequestEvent.request_id == filed.id,
                                                                     RequestEvent.comment != "")).scalars().all()
    assert sorted(comments) == ["Мастер\nвыехал", "Первая строка\nВторая"]

    category = factories.category("Электрика", ())
    response = operator.post("/requests/new", {"client_id": filed.client_id, "category": category.id,
                                               "description": "Течёт кран\r\nна кухне\r\n"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    description = db.session.execute(select(Request.description).order_by(Request.id.desc())).scalars().first()
    assert description == "Течёт кран\nна кухне"
