"""Consent to personal data on the web: the notice's versions in «Настройки компании», the residents'
answers with an .xlsx export, deleting a resident from the bot on a client's page."""
import io
from datetime import date

import openpyxl
from sqlalchemy import select

from app.extensions import db
from app.models import (ConsentRecord, ConsentVersion, Conversation, Notification, Request, RequestMessage,
                        TelegramBinding)
from app.models.conversation import Kind
from app.models.meters import MeterReminderOptOut
from app.services.meters import readings
from app.services.messaging import outbox
from app.services.people import consent, household
from app.services.requests.lifecycle import create_request
from tests import factories
from tests.meters.helpers import meter
from tests.telegram_ids import KEPT, rows_naming, telegram_id_columns

NOTICE = "Мы храним телефон и адрес, чтобы выполнять заявки. Отозвать: «Удалить мои данные»."


def versions() -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        select(ConsentVersion.number, ConsentVersion.notice, ConsentVersion.policy_url)
        .order_by(ConsentVersion.number)).all()]


def test_each_changed_save_is_a_new_version(admin):
    html = admin.page("/admin/company")
    assert "Текст согласия на обработку персональных данных" in html and "Действует редакция № 1" in html
    response = admin.post("/admin/company/consent", {"consent_notice": NOTICE + "\r\nВторая строка",
                                                     "consent_policy_url": " https://uk.example/pd "})
    assert response.status_code == 302 and response.headers["Location"].endswith("#consent")
    stored = versions()
    assert [number for number, *_ in stored] == [1, 2]  # the default the bot showed so far, then this one
    assert stored[1][1:] == (NOTICE + "\nВторая строка", "https://uk.example/pd")
    admin.post("/admin/company/consent", {"consent_notice": NOTICE + "\nВторая строка",
                                          "consent_policy_url": "https://uk.example/pd"})
    assert len(versions()) == 2  # nothing changed: no new version, nobody asked again
    admin.post("/admin/company/consent", {"consent_notice": NOTICE + "\nВторая строка",
                                          "consent_policy_url": "https://uk.example/pd-2025"})
    assert [number for number, *_ in versions()] == [1, 2, 3]
    assert "Действует редакция № 3" in admin.page("/admin/company")


def test_bad_input_keeps_what_was_typed_and_stores_nothing(admin):
    for data, message in (({"consent_notice": "", "consent_policy_url": ""}, "Укажите текст согласия"),
                          ({"consent_notice": NOTICE, "consent_policy_url": "javascript:alert(1)"}, "https://"),
                          ({"consent_notice": "я" * 3001, "consent_policy_url": ""}, "Не длиннее 3000")):
        response = admin.post("/admin/company/consent", data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.session.execute(select(ConsentVersion).where(ConsentVersion.number > 1)).first() is None


def test_operators_cannot_edit_the_notice_but_see_the_answers(operator):
    assert operator.post("/admin/company/consent", {"consent_notice": NOTICE}).status_code == 403
    assert "Согласия на обработку персональных данных" in operator.page("/admin/consents")


def record(user_id: int, action: str = consent.AGREED) -> None:
    consent.record(user_id, consent.current_version(), action)
    db.session.commit()


def test_the_answers_are_listed_and_exported_as_text(admin):
    record(5551001)
    record(5551002, consent.REFUSED)
    consent.edit("=HYPERLINK(\"http://evil\")", "", None)  # an administrator's text is never a formula
    db.session.commit()
    record(5551001, consent.WITHDRAWN)
    html = admin.page("/admin/consents")
    assert html.index("5551001") < html.index("5551002")  # newest first
    assert "отзыв согласия (данные удалены)" in html and "отказ" in html and "№ 2" in html
    response = admin.get("/admin/consents.xlsx")
    assert response.status_code == 200 and "consents-" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    answers = [[cell.value for cell in row] for row in book["Согласия"].iter_rows(min_row=2)]
    assert [(row[1], row[2], row[3]) for row in answers] == [
        ("5551001", "согласие", "1"), ("5551002", "отказ", "1"), ("5551001", "отзыв согласия (данные удалены)", "2")]
    texts = book["Редакции"]
    assert texts["C3"].value == "=HYPERLINK(\"http://evil\")" and texts["C3"].data_type == "s"
    assert texts["C3"].quotePrefix


def resident_with_a_request(ctx, user_id: int):
    client = ctx.client()
    db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=user_id, chat_id=user_id,
                                   phone="+79990001122"))
    db.session.add(Conversation(telegram_user_id=user_id, chat_id=user_id, state="", data="{}"))
    record(user_id)
    request = factories.request(client, author_telegram_id=user_id, author_chat_id=user_id)
    waiting = outbox.queue(user_id, "Статус вашей заявки изменён", request_id=request.id)
    readings.store(meter(client), date(2026, 2, 1), (105_000,), source="bot", telegram_user_id=user_id,
                   chat_id=user_id)
    db.session.add(MeterReminderOptOut(telegram_user_id=user_id))
    db.session.commit()
    return client, request, waiting[0].id


def test_an_administrator_deletes_a_residents_data_from_the_bot(admin, ctx):
    user_id = 5552001
    client, request, waiting_id = resident_with_a_request(ctx, user_id)
    binding_id = db.session.execute(select(TelegramBinding.id)).scalar_one()
    assert "Удалить данные из бота" in admin.page(f"/admin/clients/{client.id}")
    assert set(rows_naming(user_id)) >= {"telegram_bindings.telegram_user_id", "requests.author_telegram_id",
                                         "notifications.chat_id", "conversations.telegram_user_id",
                                         "meter_readings.telegram_user_id", "meter_reminder_opt_outs.telegram_user_id"}
    response = admin.post(f"/admin/clients/{client.id}/bindings/{binding_id}/forget")
    assert response.status_code == 302
    assert "удалены из бота" in admin.page(f"/admin/clients/{client.id}")
    db.session.expire_all()
    assert rows_naming(user_id) == {}
    kept = db.session.get(Request, request.id)  # the company keeps its records
    assert kept.author_telegram_id is None and kept.description == "Течёт кран"
    assert db.session.get(Notification, waiting_id).status == outbox.CANCELLED
    thread = db.session.execute(select(RequestMessage.kind).where(RequestMessage.request_id == request.id)).scalars()
    assert Kind.FORGOTTEN.value in list(thread)
    assert "житель удалил свои данные из бота" in admin.page(f"/requests/{request.id}")
    answers = db.session.execute(select(ConsentRecord.action).where(ConsentRecord.telegram_user_id == user_id)
                                 .order_by(ConsentRecord.id)).scalars().all()
    assert answers == [consent.AGREED, consent.WITHDRAWN]


def test_deleting_is_for_administrators_and_for_the_clients_own_pairs(admin, operator, ctx):
    client, _, _ = resident_with_a_request(ctx, 5553001)
    other = ctx.client(account="200002")
    binding_id = db.session.execute(select(TelegramBinding.id)).scalar_one()
    assert operator.post(f"/admin/clients/{client.id}/bindings/{binding_id}/forget").status_code == 403
    assert admin.post(f"/admin/clients/{other.id}/bindings/{binding_id}/forget").status_code == 404
    assert "Удалить данные из бота" not in operator.page(f"/admin/clients/{client.id}")
    db.session.expire_all()
    assert db.session.get(TelegramBinding, binding_id) is not None


def test_the_id_columns_are_found_in_the_models():
    """The deletion test walks these: the walk must not be vacuous, nor miss a kind of column."""
    names = {f"{column.table.name}.{column.name}" for column in telegram_id_columns()}
    assert {"telegram_bindings.telegram_user_id", "telegram_bindings.chat_id", "conversations.telegram_user_id",
            "notifications.chat_id", "requests.author_telegram_id", "requests.author_chat_id",
            "request_messages.telegram_user_id", "announcement_opt_outs.telegram_user_id",
            "consent_records.telegram_user_id"} <= names
    assert "request_photos.telegram_file_id" not in names
    assert set(KEPT) <= {name.split(".")[0] for name in names}


def test_a_phoned_in_request_is_linked_to_the_resident_with_that_phone(admin, ctx):
    client = ctx.client()
    db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=5554001, chat_id=5554001,
                                   phone="+79990001122"))
    db.session.commit()
    category = ctx.category()
    linked = create_request(client=client, category=category, contact_phone="+79990001122", source="phone")
    other = create_request(client=client, category=category, contact_phone="+79990009999", source="phone")
    db.session.commit()
    assert (linked.author_telegram_id, linked.author_chat_id) == (5554001, 5554001)
    assert other.author_telegram_id is None
    assert "связана с жителем в Telegram" in admin.page(f"/requests/{linked.id}")
    assert "связана с жителем в Telegram" not in admin.page(f"/requests/{other.id}")
    # a pair made later with the other phone links the other request
    assert household.link_phoned_in(client.id, "+79990009999", 5554002, 5554002) == 1


def test_the_default_notice_shown_before_it_was_stored_is_still_answerable(ctx):
    """Residents shown the default notice at once (its buttons name version 0) all answer it, though the
    first answer stores it as version 1; an administrator's newer text makes those buttons outdated."""
    assert consent.current_version().id is None and consent.answered(0) is not None
    record(5555001)  # the first «Согласен» stores the default as version 1
    assert consent.answered(0).number == 1 and consent.answered(consent.current_version().id).number == 1
    consent.edit("Новая редакция", "", None)
    db.session.commit()
    assert consent.answered(0) is None and consent.answered(consent.current_version().id).number == 2
    assert not consent.has_consented(5555001)
