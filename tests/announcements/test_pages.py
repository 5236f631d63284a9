"""The announcement pages through HTTP: compose with the audience and its count, bad input,
the «Отключение» template, preview, send, progress, cancel, report, history."""
import io
import re

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Announcement, Notification, StoredFile
from app.services.messaging import announcements
from app.services.messaging.audience import Audience
from app.services import storage
from tests import factories
from tests.announcements.data import png

SADOVAYA_17 = {"scope": "address", "city": "Самара", "street": "ул. Садовая", "houses": ["17"]}


def compose(browser, url="/announcements/new", **fields):
    """Post the compose form; a photo is given as (bytes, file name)."""
    data = {**SADOVAYA_17, "text": "Завтра с 9 до 18 не будет холодной воды.", **fields}
    if "photo" in data:
        content, name = data["photo"]
        data["photo"] = (io.BytesIO(content), name)
    return browser.post(url, data, content_type="multipart/form-data")


def notices() -> list[Announcement]:
    db.session.expire_all()
    return db.session.execute(select(Announcement).order_by(Announcement.id)).scalars().all()


def stored_photos(app) -> list[bytes]:
    """What the file store (the database, by default) holds, oldest first."""
    ids = db.session.execute(select(StoredFile.id).order_by(StoredFile.id)).scalars().all()
    return [storage.read(f"{storage.DB}{file_id}") for file_id in ids]


def sent_notice(browser, **fields) -> Announcement:
    response = compose(browser, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    [notice] = notices()
    count = re.search(r'name="recipients" value="(\d+)"', browser.page(f"/announcements/{notice.id}")).group(1)
    assert browser.post(f"/announcements/{notice.id}/send", {"recipients": count}).status_code == 302
    return notice


def test_the_menu_leads_every_staff_member_to_the_announcements(residents, operator, admin):
    for browser in (operator, admin):
        assert 'href="/announcements"' in browser.page("/")
        assert "Объявлений ещё не было" in browser.page("/announcements")


def test_the_compose_page_offers_the_clients_addresses_and_counts_recipients(residents, operator):
    html = operator.page("/announcements/new")
    assert '<option selected value="Самара">Самара</option>' in html  # the first city, chosen
    assert "ул. Садовая" in html and "ул. Ленина" in html and "ул. Мира" not in html  # Тольятти's street
    assert re.search(r'id="recipient-count">6<', html)  # the whole of Самара


@pytest.mark.parametrize("query,count,words", [
    ("scope=address&city=Самара&street=ул. Садовая&houses=17", 3, "г. Самара, ул. Садовая, д. 17"),
    ("scope=address&city=Самара&street=ул. Садовая&houses=17&houses=17А", 4, "д. 17, 17А"),
    ("scope=address&city=Самара&street=ул. Садовая", 5, "ул. Садовая, все дома"),
    ("scope=address&city=Тольятти&street=ул. Садовая&houses=17", 1, "г. Тольятти, все дома"),  # another city's street
    ("scope=all", 7, "все дома"),
])
def test_the_audience_block_follows_the_choice(residents, operator, query, count, words):
    html = operator.page("/announcements/audience?" + query, headers={"HX-Request": "true"})
    assert html.lstrip().startswith("<fieldset") and re.search(rf'id="recipient-count">{count}<', html)
    assert words in html


def test_the_count_leaves_out_who_switched_notices_off_and_says_so(residents, operator):
    announcements.set_wants_announcements(1002, False)
    db.session.commit()
    html = operator.page("/announcements/audience?scope=address&city=Самара&street=ул. Садовая&houses=17")
    assert re.search(r'id="recipient-count">2<', html) and "Ещё 1 житель отключил объявления" in html


def test_a_draft_is_previewed_as_telegram_shows_it(residents, operator):
    text = "Отключение воды\n<b>не жирный</b> *и не курсив*"
    response = compose(operator, text=text + "  ")
    [notice] = notices()
    assert response.headers["Location"] == f"/announcements/{notice.id}"
    assert notice.text == text and Audience.from_json(notice.audience) == Audience("Самара", "ул. Садовая", ("17",))
    assert notice.is_draft and notice.created_by.login == "operator"
    html = operator.page(f"/announcements/{notice.id}")
    preview = '<div class="tg-text" id="preview-text">Отключение воды\n&lt;b&gt;не жирный&lt;/b&gt; *и не курсив*</div>'
    assert preview in html
    assert 'name="recipients" value="3"' in html and "Отправить (3)" in html
    assert "г. Самара, ул. Садовая, д. 17" in html
    assert db.session.execute(select(func.count(Notification.id))).scalar() == 0  # a draft sends nothing


@pytest.mark.parametrize("fields,message", [
    ({"text": "   "}, "Напишите текст объявления."),
    ({"text": "я" * 4097}, "Текст длиннее 4096 символов (сейчас 4097)"),
    ({"scope": "address", "city": "", "street": "", "houses": []}, "Выберите город из списка."),
    ({"houses": ["17", "99"]}, "Дома 99 нет на этой улице"),
    ({"houses": ["19"], "street": "ул. Ленина"}, "Дома 19 нет на этой улице"),
    ({"scope": "nobody"}, "Выберите, кому отправить"),
    ({"photo": (b"GIF89a...", "water.gif")}, "Это не фото: принимаются только изображения JPEG и PNG."),
    ({"photo": (b"MZ\x90\x00", "water.jpg")}, "Это не фото"),
    ({"photo": (b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024 + 1), "big.png")}, "Фото больше 10 МБ"),
    ({"photo": (png(), "ok.png"), "text": "я" * 1025}, "С фото текст — не длиннее 1024 символов"),
])
def test_bad_input_is_explained_and_nothing_is_saved(app, residents, operator, fields, message):
    response = compose(operator, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert notices() == [] and stored_photos(app) == []


def test_an_address_without_bot_users_is_refused_before_anything_is_saved(residents, operator):
    factories.client("200020", "Офлайн", city="Самара", street="ул. Садовая", house="21", house_letter="")
    response = compose(operator, houses=["21"])
    assert response.status_code == 400
    assert "По этому адресу нет жителей, подключённых к Telegram-боту" in response.get_data(as_text=True)
    assert notices() == []


def test_what_was_typed_survives_a_refusal(residents, operator):
    html = compose(operator, text="Текст, который нельзя терять", houses=["17", "99"]).get_data(as_text=True)
    assert "Текст, который нельзя терять</textarea>" in html


def test_a_photo_is_kept_under_storage_and_shown_in_the_preview(app, residents, operator):
    compose(operator, photo=(png(), "schema.png"))
    [notice] = notices()
    [stored] = stored_photos(app)
    assert stored == png() and storage.read(notice.photo) == png()
    assert f'src="/announcements/{notice.id}/photo"' in operator.page(f"/announcements/{notice.id}")
    response = operator.get(f"/announcements/{notice.id}/photo")
    assert response.status_code == 200 and response.mimetype == "image/png" and response.data == png()


def test_a_draft_is_edited_and_its_photo_replaced_or_removed(app, residents, operator):
    compose(operator, photo=(png(), "a.png"))
    [notice] = notices()
    [first] = stored_photos(app)
    html = operator.page(f"/announcements/{notice.id}/edit")
    assert "Завтра с 9 до 18 не будет холодной воды.</textarea>" in html
    assert re.search(r'value="17"[^>]*\bchecked', html) and not re.search(r'value="17А"[^>]*\bchecked', html)

    response = compose(operator, f"/announcements/{notice.id}/edit", houses=["17", "17А"],
                       photo=(png(8, 6), "b.png"))
    assert response.status_code == 303
    [second] = stored_photos(app)
    assert first == png() and second == png(8, 6)  # the first one is gone

    compose(operator, f"/announcements/{notice.id}/edit", text="я" * 2000, remove_photo="y")
    [notice] = notices()
    assert notice.photo == "" and stored_photos(app) == [] and len(notice.text) == 2000
    assert Audience.from_json(notice.audience).houses == ("17",)


def test_a_long_text_is_refused_while_the_draft_keeps_its_photo(residents, operator):
    compose(operator, photo=(png(), "a.png"))
    [notice] = notices()
    response = compose(operator, f"/announcements/{notice.id}/edit", text="я" * 1500)
    assert response.status_code == 400 and "С фото текст — не длиннее 1024" in response.get_data(as_text=True)


def test_sending_queues_the_rows_and_the_page_follows_them(residents, operator):
    notice = sent_notice(operator)
    rows = db.session.execute(select(Notification).where(Notification.announcement_id == notice.id)).scalars().all()
    assert sorted(r.chat_id for r in rows) == [1001, 1002, 1003] and {r.priority for r in rows} == {9}
    html = operator.page(f"/announcements/{notice.id}")
    assert "Объявление поставлено в очередь: 3 получателя" in html
    assert 'id="notice-state">отправляется<' in html and "Остановить отправку" in html
    assert 'hx-trigger="load delay:2s"' in html  # polls while messages wait

    db.session.execute(update(Notification).where(Notification.chat_id == 1001).values(status="sent"))
    db.session.execute(update(Notification).where(Notification.chat_id == 1002)
                       .values(status="failed", failure="blocked"))
    db.session.execute(update(Notification).where(Notification.chat_id == 1003)
                       .values(status="failed", failure="chat_gone"))
    db.session.commit()
    fragment = operator.page(f"/announcements/{notice.id}/progress", headers={"HX-Request": "true"})
    assert fragment.lstrip().startswith('<section class="card progress-card" id="progress"')
    assert 'id="notice-state">отправлено<' in fragment and "hx-trigger" not in fragment  # the final report
    assert re.search(r'id="delivered">1<', fragment) and re.search(r'id="blocked">1<', fragment)
    assert re.search(r'id="failed">1<', fragment) and "чат удалён или недоступен: 1" in fragment


def test_a_notice_is_sent_once_and_only_to_the_count_shown(residents, operator, admin):
    compose(operator)
    [notice] = notices()
    announcements.set_wants_announcements(1003, False)  # changes the audience after the preview
    db.session.commit()
    html = operator.page(f"/announcements/{notice.id}")
    assert 'name="recipients" value="2"' in html
    response = operator.post(f"/announcements/{notice.id}/send", {"recipients": "3"})
    assert "было 3, сейчас 2" in operator.page(response.headers["Location"])
    assert db.session.execute(select(func.count(Notification.id))).scalar() == 0 and notices()[0].is_draft

    assert operator.post(f"/announcements/{notice.id}/send", {"recipients": "2"}).status_code == 302
    again = admin.post(f"/announcements/{notice.id}/send", {"recipients": "2"})
    assert "Это объявление уже отправлено." in admin.page(again.headers["Location"])
    assert db.session.execute(select(func.count(Notification.id))).scalar() == 2
    edit = operator.get(f"/announcements/{notice.id}/edit")
    assert edit.status_code == 302 and "изменить его нельзя" in operator.page(edit.headers["Location"])


def test_cancel_stops_what_has_not_gone_and_the_report_says_so(residents, operator, admin):
    notice = sent_notice(operator, scope="all", city="", street="", houses=[])
    db.session.execute(update(Notification).where(Notification.chat_id.in_([1001, 1002])).values(status="sent"))
    db.session.commit()
    response = admin.post(f"/announcements/{notice.id}/cancel", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == f"/announcements/{notice.id}"
    html = admin.page(f"/announcements/{notice.id}")
    assert "Отправка остановлена: 5 сообщений не будут отправлены." in html
    assert 'id="notice-state">остановлено<' in html and re.search(r'id="cancelled">5<', html)
    assert re.search(r'id="delivered">2<', html) and "Отправку остановил(а) Анна Администратор" in html
    again = admin.post(f"/announcements/{notice.id}/cancel")
    assert "Отправка уже завершена: отменять нечего." in admin.page(again.headers["Location"])


def test_the_stop_reports_the_messages_really_cancelled_and_those_on_their_way(residents, admin, operator):
    """Of 7 rows: 5 delivered, 1 claimed by the sender a moment ago (on its way), 1 waiting: the flash
    says 1 will not go and 1 still arrives, in Russian numerals; the report agrees."""
    notice = sent_notice(operator, scope="all", city="", street="", houses=[])
    db.session.execute(update(Notification).where(Notification.chat_id.in_([1001, 1002, 1003, 1004, 1005]))
                       .values(status="sent"))
    db.session.execute(update(Notification).where(Notification.chat_id == 1006).values(status="sending"))
    db.session.commit()
    html = admin.page(admin.post(f"/announcements/{notice.id}/cancel").headers["Location"])
    assert ("Отправка остановлена: 1 сообщение не будет отправлено. Ещё 1 сообщение в эту секунду передавалось "
            "в Telegram: оно дойдёт и будет учтено в отчёте.") in html
    assert re.search(r'id="cancelled">1<', html) and re.search(r'id="delivered">5<', html)
    assert 'id="notice-state">отправляется<' in html  # until the one on its way is recorded


@pytest.mark.parametrize("cancelled,in_flight,text", [
    (151, 0, "Отправка остановлена: 151 сообщение не будет отправлено."),
    (2, 0, "Отправка остановлена: 2 сообщения не будут отправлены."),
    (5, 0, "Отправка остановлена: 5 сообщений не будут отправлены."),
    (11, 3, "Отправка остановлена: 11 сообщений не будут отправлены. Ещё 3 сообщения в эту секунду передавались "
            "в Telegram: они дойдут и будут учтены в отчёте."),
    (0, 4, "Отправка остановлена: 0 сообщений не будут отправлены. Ещё 4 сообщения в эту секунду передавались "
           "в Telegram: они дойдут и будут учтены в отчёте."),
])
def test_the_stop_speaks_russian_numerals(cancelled, in_flight, text):
    from app.announcements.routes import stopped_text
    assert stopped_text(announcements.Stopped(cancelled, in_flight)) == text


def test_a_draft_is_deleted_but_a_sent_notice_stays(app, residents, operator):
    compose(operator, photo=(png(), "a.png"))
    [draft] = notices()
    assert "Черновик удалён." in operator.page(operator.post(f"/announcements/{draft.id}/delete").headers["Location"])
    assert notices() == [] and stored_photos(app) == []
    sent = sent_notice(operator)
    response = operator.post(f"/announcements/{sent.id}/delete")
    assert "удалить можно только черновик" in operator.page(response.headers["Location"])
    assert notices() == [sent]


def test_the_outage_template_fills_the_text(residents, operator):
    response = compose(operator, action="fill", text="", outage_kind="planned", resource="hot_water",
                       starts="2031-03-12T09:00", ends="2031-03-12T18:00", note="Ремонт задвижки.")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and notices() == []
    expected = ("⚠️ Плановое отключение горячей воды\nАдрес: г. Самара, ул. Садовая, д. 17\n"
                "Когда: 12 марта 2031 г. с 09:00 до 18:00\nРемонт задвижки.\nПриносим извинения за неудобства.")
    assert expected + "</textarea>" in html

    typed = compose(operator, action="fill", text="", outage_kind="emergency", resource="lift",
                    starts="2031-03-12T09:00", addresses="подъезды 1–3 дома 17").get_data(as_text=True)
    assert "⚠️ Аварийное отключение лифта\nАдрес: подъезды 1–3 дома 17\nКогда: с 12 марта 2031 г., 09:00, " \
           "до окончания работ\nПриносим извинения за неудобства.</textarea>" in typed


@pytest.mark.parametrize("fields,message", [
    ({"starts": ""}, "Укажите, когда начнётся отключение."),
    ({"starts": "завтра"}, "Неверное значение даты и времени."),
    ({"ends": "2031-03-12T08:00"}, "Окончание должно быть позже начала."),
    ({"scope": "address", "city": "Сызрань", "addresses": ""}, "Выберите адрес выше или впишите адреса сюда."),
])
def test_the_outage_template_explains_what_is_missing(residents, operator, fields, message):
    data = {"action": "fill", "text": "мой текст", "outage_kind": "emergency", "resource": "electricity",
            "starts": "2031-03-12T09:00", "ends": "", **fields}
    html = compose(operator, **data).get_data(as_text=True)
    assert message in html and "мой текст</textarea>" in html and notices() == []


def test_the_history_lists_every_notice_with_its_state(residents, operator):
    sent = sent_notice(operator, text="Отключение света в среду")
    db.session.execute(update(Notification).where(Notification.chat_id == 1001).values(status="sent"))
    db.session.execute(update(Notification).where(Notification.chat_id == 1002)
                       .values(status="failed", failure="blocked"))
    db.session.commit()
    compose(operator, text="Черновик про лифт", scope="all")
    html = operator.page("/announcements")
    assert html.index("Черновик про лифт") < html.index("Отключение света в среду")  # newest first
    assert "черновик</span>" in html and "отправляется</span>" in html
    assert "1 из 3" in html and "(не доставлено 1)" in html and "все дома" in html
    assert f'href="/announcements/{sent.id}"' in html


def test_the_templates_own_fields_never_stop_a_draft(residents, operator):
    response = compose(operator, starts="завтра", ends="x", note="я" * 600, outage_kind="?", resource="?")
    assert response.status_code == 303 and len(notices()) == 1


def place(city, street, house) -> str:
    return f'["{city}", "{street}", "{house}"]'


SADOVAYA_17_PLACE, LENINA_5_PLACE = place("Самара", "ул. Садовая", "17"), place("Самара", "ул. Ленина", "5")


def test_houses_on_several_streets_are_one_audience_sent_once_per_chat(residents, operator):
    """«Дома из списка» (an incident's houses): ул. Садовая, 17 (chats 1001-1003) and ул. Ленина, 5 (1006)."""
    offered = {"scope": "places", "offered": [SADOVAYA_17_PLACE, LENINA_5_PLACE, place("Самара", "ул. Садовая", "19")]}
    html = operator.page("/announcements/audience?" + "&".join(
        f"{k}={v}" for k, values in {**offered, "places": offered["offered"][:2]}.items()
        for v in ([values] if isinstance(values, str) else values)))
    assert re.search(r'id="recipient-count">4<', html)
    assert "г. Самара, ул. Ленина, д. 5; г. Самара, ул. Садовая, д. 17" in html
    assert re.search(r'value="\[&#34;Самара&#34;, &#34;ул. Садовая&#34;, &#34;19&#34;\]" id="place-\d+"\s+>', html)

    response = compose(operator, **offered, places=[SADOVAYA_17_PLACE, LENINA_5_PLACE])
    assert response.status_code == 303
    [notice] = notices()
    assert Audience.from_json(notice.audience) == Audience(places=(("Самара", "ул. Ленина", "5"),
                                                                   ("Самара", "ул. Садовая", "17")))
    html = operator.page(f"/announcements/{notice.id}/edit")  # the draft shows its houses again
    assert len(re.findall(r'name="places" value="[^"]+" id="place-\d+"\s+checked', html)) == 2
    count = re.search(r'name="recipients" value="(\d+)"', operator.page(f"/announcements/{notice.id}")).group(1)
    assert count == "4"
    assert operator.post(f"/announcements/{notice.id}/send", {"recipients": count}).status_code == 302
    chats = db.session.execute(select(Notification.chat_id).where(Notification.announcement_id == notice.id)
                               .order_by(Notification.chat_id)).scalars().all()
    assert chats == [1001, 1002, 1003, 1006]


@pytest.mark.parametrize("places, message", [
    ([], "Отметьте хотя бы один дом."),
    ([place("Самара", "ул. Садовая", "99")], "Дома г. Самара, ул. Садовая, д. 99 нет среди адресов клиентов."),
    (["[1, 2]", "не JSON"], "Отметьте хотя бы один дом."),
])
def test_bad_houses_of_a_list_are_explained_and_nothing_is_saved(residents, operator, places, message):
    response = compose(operator, scope="places", offered=[SADOVAYA_17_PLACE], places=places)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert notices() == []
