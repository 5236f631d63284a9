"""Queueing a notice through the outbox, cancelling it, its report; what a notice may hold."""

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Announcement, Notification
from app.services.messaging import announcements
from app.services.messaging import outbox
from app.services.messaging.announcements import AnnouncementError
from app.services.messaging.audience import Audience
from app.services import storage
from tests import factories
from tests.announcements.data import jpeg_header, png

SADOVAYA_17 = Audience("Самара", "ул. Садовая", ("17",))


def draft(text="Отключение воды 12 марта с 9 до 18.", where=SADOVAYA_17, photo="") -> Announcement:
    notice = Announcement(text=text, audience=where.to_json(), photo=photo,
                          created_by_id=factories.staff("operator").id)
    db.session.add(notice)
    db.session.commit()
    return notice


def rows(notice) -> list[Notification]:
    return db.session.execute(select(Notification).where(Notification.announcement_id == notice.id)
                              .order_by(Notification.chat_id)).scalars().all()


def test_sending_queues_one_bulk_row_per_chat(residents):
    notice = draft()
    assert announcements.send(notice, factories.staff("operator"), expected=3) == 3
    db.session.commit()
    queued = rows(notice)
    assert [r.chat_id for r in queued] == [1001, 1002, 1003]
    assert {(r.text, r.kind, r.priority, r.status, r.attempts, r.photo, r.failure) for r in queued} == {
        ("Отключение воды 12 марта с 9 до 18.", "announcement", outbox.BULK, "pending", 0, "", "")}
    assert all(r.next_attempt_at is not None and r.created_at is not None for r in queued)
    assert notice.recipients == 3 and notice.sent_at is not None and notice.sent_by.login == "operator"


def test_a_changed_audience_sends_nothing_and_says_the_new_count(residents):
    notice = draft()
    with pytest.raises(AnnouncementError, match="было 4, сейчас 3"):
        announcements.send(notice, factories.staff("operator"), expected=4)
    db.session.rollback()
    assert rows(notice) == [] and db.session.get(Announcement, notice.id).is_draft


def test_a_notice_is_sent_once(residents):
    notice = draft()
    announcements.send(notice, factories.staff("operator"), expected=3)
    db.session.commit()
    with pytest.raises(AnnouncementError, match="уже отправлено"):
        announcements.send(notice, factories.staff("admin"), expected=3)
    db.session.rollback()
    assert len(rows(notice)) == 3


def test_nobody_at_the_address_sends_nothing(residents):
    notice = draft(where=Audience("Самара", "ул. Садовая", ("19",)))
    announcements.set_wants_announcements(1005, False)
    with pytest.raises(AnnouncementError, match="отправлять некому"):
        announcements.send(notice, factories.staff("operator"), expected=0)
    db.session.rollback()
    assert rows(notice) == []


def test_cancel_stops_what_waits_and_the_report_counts_everything(residents):
    notice = draft(where=Audience())
    announcements.send(notice, factories.staff("operator"), expected=7)
    db.session.commit()
    outcome = {1001: ("sent", ""), 1002: ("failed", "blocked"), 1003: ("failed", "chat_gone"),
               1004: ("failed", "rejected")}
    for chat_id, (status, failure) in outcome.items():
        db.session.execute(update(Notification).where(Notification.chat_id == chat_id)
                           .values(status=status, failure=failure))
    db.session.commit()
    report = announcements.report(notice)
    assert (report.total, report.delivered, report.blocked, report.pending, report.cancelled) == (7, 1, 1, 3, 0)
    assert announcements.state(notice, report) == announcements.SENDING

    assert announcements.cancel(notice, factories.staff("admin")) == announcements.Stopped(3, 0)
    db.session.commit()
    report = announcements.report(notice)
    assert (report.delivered, report.blocked, report.cancelled, report.pending, report.finished) == (1, 1, 3, 0, 7)
    assert report.failures() == [("чат удалён или недоступен", 1), ("Telegram отклонил сообщение", 1)]
    assert announcements.state(notice, report) == announcements.CANCELLED
    assert notice.cancelled_by.login == "admin"
    assert announcements.cancel(notice, factories.staff("admin")) == announcements.Stopped(0, 0)  # nothing left


def test_request_messages_of_the_same_chats_are_untouched_by_cancel(residents):
    notice = draft()
    announcements.send(notice, factories.staff("operator"), expected=3)
    outbox.queue(1001, "Статус вашей заявки № 5 изменён: в работе.")
    db.session.commit()
    announcements.cancel(notice, factories.staff("operator"))
    db.session.commit()
    statuses = db.session.execute(select(Notification.kind, Notification.status, func.count())
                                  .group_by(Notification.kind, Notification.status)).all()
    assert sorted(statuses) == [("announcement", "cancelled", 3), ("status", "pending", 1)]


def test_a_draft_is_reported_as_such(residents):
    notice = draft()
    assert announcements.state(notice, announcements.report(notice)) == announcements.DRAFT


def test_a_photo_is_sent_with_the_text_as_its_caption(app, residents):
    path = announcements.store_photo(png())
    notice = draft(photo=path)
    announcements.send(notice, factories.staff("operator"), expected=3)
    db.session.commit()
    assert {(r.photo, r.text) for r in rows(notice)} == {(path, notice.text)}
    assert path.startswith(storage.DB) and storage.read(path) == png()  # kept in the database by default


def test_a_photo_gone_from_the_disk_sends_nothing(residents):
    notice = draft(photo=announcements.store_photo(png()))
    announcements.delete_photo(notice.photo)
    with pytest.raises(AnnouncementError, match="Файл фото не найден"):
        announcements.send(notice, factories.staff("operator"), expected=3)
    db.session.rollback()
    assert rows(notice) == []


def test_deleting_a_draft_deletes_its_photo_but_a_sent_notice_stays(residents):
    notice = draft(photo=announcements.store_photo(png()))
    photo = notice.photo
    assert announcements.has_photo(photo)
    announcements.delete_draft(notice)
    db.session.commit()
    assert not announcements.has_photo(photo) and db.session.execute(select(func.count(Announcement.id))).scalar() == 0
    sent = draft()
    announcements.send(sent, factories.staff("operator"), expected=3)
    with pytest.raises(AnnouncementError, match="только черновик"):
        announcements.delete_draft(sent)


def test_text_limits_are_telegrams():
    assert announcements.check_text("  Текст  ", with_photo=False) == "Текст"
    assert announcements.check_text("я" * 4096, with_photo=False)
    assert announcements.check_text("я" * 1024, with_photo=True)
    for text, with_photo, message in [("   ", False, "Напишите текст"), ("я" * 4097, False, "длиннее 4096"),
                                      ("я" * 1025, True, "не длиннее 1024 символов \\(сейчас 1025\\)")]:
        with pytest.raises(AnnouncementError, match=message):
            announcements.check_text(text, with_photo)


def test_photos_are_checked_by_their_content():
    assert announcements.check_photo(png()) == ".png"
    assert announcements.check_photo(jpeg_header(1280, 960)) == ".jpg"
    cases = [
        (b"", "Файл пустой"),
        (b"GIF89a" + b"\0" * 40, "Это не фото"),
        (b"<html><script>alert(1)</script>", "Это не фото"),
        (b"%PDF-1.4 \xff\xd8\xff", "Это не фото"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "повреждён"),
        (png()[:20], "повреждён"),
        (png(9000, 2000), "Telegram не примет"),
        (jpeg_header(100, 2500), "Telegram не примет"),
        (jpeg_header(0, 0), "Telegram не примет"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024), "больше 10 МБ"),
    ]
    for data, message in cases:
        with pytest.raises(AnnouncementError, match=message):
            announcements.check_photo(data)


def test_a_bulk_message_must_fit_one_telegram_message(app):
    with app.app_context(), pytest.raises(ValueError, match="one Telegram message"):
        outbox.queue_bulk(select(Notification.chat_id), "я" * 5000, kind="announcement")


def test_switching_notices_off_twice_or_on_twice_is_harmless(app):
    with app.app_context():
        for wanted in (False, False, True, True, False):
            announcements.set_wants_announcements(77, wanted)
            db.session.commit()
            assert announcements.wants_announcements(77) is wanted
