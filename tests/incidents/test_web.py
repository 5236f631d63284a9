"""Incidents over HTTP: made from the journal's selection and from a request page, one status for all
its requests through the request lifecycle (one notification per resident), messages to every
linked resident, and the bad input (closed, other incident, other category, forged ids, races)."""
import re
from html.parser import HTMLParser

from sqlalchemy import select

from app.extensions import db
from app.models import Incident, IncidentEvent, Notification, Request, RequestEvent, RequestMessage
from app.services.requests import lifecycle
from tests import factories


def make(staff, riser, ids, **fields):
    """Create an incident of the given requests through the form; its id."""
    page = staff.page("/incidents/new?" + "&".join(f"request={i}" for i in ids))
    houses = re.findall(r'name="picked_house" value="([^"]+)" checked', page)
    data = {"category": riser.category, "subcategory": riser.subcategory, "description": "Прорыв стояка в подвале",
            "expected_at": "2030-01-01T18:00", "executor": riser.plumber, "request": ids,
            "picked_house": [h.replace("&#34;", '"') for h in houses], **fields}
    response = staff.post("/incidents/new", data=data)
    assert response.status_code == 303, re.findall(r"class=\"error\">([^<]+)|role=\"alert\"[^>]*>([^<]+)", response.get_data(as_text=True))
    return int(response.headers["Location"].rsplit("/", 1)[1])


class FormFields(HTMLParser):
    """What a browser would post from the form `form_id` of a page: [(name, value)]."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields, self.select, self.textarea = form_id, False, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self.select = [attrs["name"], None]
        elif tag == "option" and self.select is not None and (self.select[1] is None or "selected" in attrs):
            self.select[1] = attrs.get("value") or ""
        elif tag == "textarea":
            self.textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            self.fields.append((self.select[0], self.select[1] or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], self.textarea[1].removeprefix("\n")))
            self.textarea = None


def edit_form(staff, incident_id, **changes) -> dict:
    """The incident page's «Изменить» form as shown, with `changes` (a name, its values)."""
    parser = FormFields("edit-form")
    parser.feed(staff.page(f"/incidents/{incident_id}"))
    data = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    data.update(changes)
    return data


def state(app, ids):
    with app.app_context():
        return [db.session.get(Request, i).status for i in ids]


def notes(app, since=0):
    with app.app_context():
        return [(n.chat_id, n.kind, n.text) for n in db.session.execute(
            select(Notification).where(Notification.id > since).order_by(Notification.id)).scalars()]


def last_note_id(app):
    with app.app_context():
        return db.session.execute(select(Notification.id).order_by(Notification.id.desc())).scalar() or 0


def test_journal_selection_makes_an_incident_shown_in_the_journal_and_its_filter(app, staff, riser):
    page = staff.page("/")
    assert 'form="incident-pick"' in page and "Объединить в аварию" in page and "<th class=\"h-incident" in page
    chosen = riser.ids[:3]
    new_page = staff.page("/incidents/new?" + "&".join(f"request={i}" for i in chosen))
    assert "г. Самара, ул. Ленина, д. 24" in new_page and "Заявки (3)" in new_page and "Не найдено" not in new_page
    forged = staff.page("/incidents/new?" + "&".join(f"request={i}" for i in [*chosen, 9999, "x", chosen[0]]))
    assert "Заявки (3)" in forged and "Не найдено выбранных заявок: 1 (удалены или номер неверен)" in forged
    incident_id = make(staff, riser, chosen)
    page = staff.page(f"/incidents/{incident_id}")
    assert "Авария № 1" in page and "Прорыв стояка в подвале" in page and "Заявок</dt><dd id=\"incident-count\">3" in page
    # Linked at «открыта» with an executor: assigned to him, the residents told once each.
    assert state(app, chosen) == ["assigned"] * 3
    joined = [n for n in notes(app) if "присоединена к аварии № 1" in n[2]]
    assert len(joined) == 3
    journal = staff.page("/?incident=1")
    assert sorted(int(n) for n in re.findall(r'<a href="/requests/\d+">(\d+)</a>', journal)) == riser.numbers[:3]
    assert '<a href="/?incident=1" title="Все заявки аварии № 1">№ 1</a>' in journal
    assert "Номер аварии — целое число" in staff.page("/?incident=abc")
    everything = staff.page("/?incident=есть")
    assert len(re.findall(r'<td class="c-incident"><a', everything)) == 3
    listing = staff.page("/incidents/")
    assert "№ 1" in listing and '<td class="c-linked">3' in listing


def test_moving_the_incident_moves_every_open_request_once_and_tells_each_resident_once(app, staff, riser):
    ids = riser.ids[:5]  # chat 500 filed two of them
    incident_id = make(staff, riser, ids)
    before = last_note_id(app)
    response = staff.post(f"/incidents/{incident_id}/status",
                          data={"status": "fixing", "current": "open", "note": "Бригада на месте"})
    assert response.status_code == 303
    assert "Заявок переведено: 5" in staff.page(response.headers["Location"])
    assert state(app, ids) == ["in_progress"] * 5
    sent = notes(app, before)
    assert sorted(chat for chat, _, _ in sent) == [500, 501, 502, 503]  # one per resident
    two = next(text for chat, _, text in sent if chat == 500)
    assert two == (f"Ваши заявки № {riser.numbers[0]}, {riser.numbers[4]}: статус изменён на «в работе» — по аварии № 1."
                   "\nБригада на месте")
    with app.app_context():
        events = db.session.execute(select(RequestEvent).where(RequestEvent.request_id == ids[1],
                                                               RequestEvent.kind == "status")).scalars().all()
        assert [(e.to_status, e.comment, e.actor_label) for e in events][-1] == (
            "in_progress", "По аварии № 1: Бригада на месте", "Олег Оператор")
        assert db.session.get(Request, ids[1]).executor_id == riser.plumber
    # «устранена»: each request asks its resident «Проблема решена?» with the note.
    before = last_note_id(app)
    staff.post(f"/incidents/{incident_id}/status", data={"status": "fixed", "current": "fixing", "note": "Вода есть"})
    assert state(app, ids) == ["done"] * 5
    sent = notes(app, before)
    assert len(sent) == 5 and {kind for _, kind, _ in sent} == {"confirm"}
    assert all("по аварии № 1: Вода есть".lower() in text.lower() and "Проблема решена?" in text for _, _, text in sent)
    # One resident says «Нет»: only that request goes back to work, and the incident is flagged.
    with app.app_context():
        lifecycle.answer_confirmation(db.session.get(Request, ids[2]), 502, solved=False)
        db.session.commit()
    assert state(app, ids) == ["done", "done", "in_progress", "done", "done"]
    page = staff.page(f"/incidents/{incident_id}")
    assert 'id="incident-returned"' in page and f"№ {riser.numbers[2]}</a>" in page
    assert "«Нет»: 1" in staff.page("/incidents/")
    # Closing closes every open request, the returned one through «выполнена» without asking again.
    before = last_note_id(app)
    staff.post(f"/incidents/{incident_id}/status", data={"status": "closed", "current": "fixed"})
    assert state(app, ids) == ["closed"] * 5
    sent = notes(app, before)
    assert sorted(chat for chat, _, _ in sent) == [500, 501, 502, 503] and {k for _, k, _ in sent} == {"status"}


def test_a_request_moved_by_hand_meanwhile_is_not_moved_nor_told_twice(app, staff, riser):
    ids = riser.ids[1:4]
    incident_id = make(staff, riser, ids)
    staff.post(f"/requests/{ids[0]}/status", data={"status": "in_progress", "current": "assigned"})
    before = last_note_id(app)
    staff.post(f"/incidents/{incident_id}/status", data={"status": "fixing", "current": "open"})
    assert state(app, ids) == ["in_progress"] * 3
    assert sorted(chat for chat, _, _ in notes(app, before)) == [502, 503]
    # A page that still shows the old status is refused, and nothing moves again.
    response = staff.post(f"/incidents/{incident_id}/status", data={"status": "fixing", "current": "open"})
    assert response.status_code == 409 and "статус аварии изменился" in response.get_data(as_text=True)
    response = staff.post(f"/incidents/{incident_id}/status", data={"status": "closed", "current": "fixing"})
    assert response.status_code == 409 and "Нельзя перевести аварию" in response.get_data(as_text=True)


def test_bad_links_are_refused_or_warned_and_nothing_is_lost(app, staff, riser):
    incident_id = make(staff, riser, riser.ids[:2])
    # Another house: linked with a warning.
    response = staff.post(f"/incidents/{incident_id}/link", data={"numbers": str(riser.numbers[5])})
    assert response.status_code == 303
    page = staff.page(response.headers["Location"])
    assert "по другому адресу" in page and "присоединено заявок: 1" in page
    # Another category: linked with a warning.
    with app.app_context():
        from app.models import Category
        lift_request = factories.request(category_obj=db.session.get(Category, riser.lift))
        lift_id, lift_number = lift_request.id, lift_request.number
    response = staff.post(f"/incidents/{incident_id}/link", data={"numbers": f"№ {lift_number}"})
    assert "другой категории" in staff.page(response.headers["Location"])
    # A closed request: refused.
    with app.app_context():
        req = db.session.get(Request, riser.ids[3])
        lifecycle.change_status(req, "closed", None)
        db.session.commit()
    response = staff.post(f"/incidents/{incident_id}/link", data={"numbers": str(riser.numbers[3])})
    assert response.status_code == 409 and "закрыта: к аварии присоединяются только незакрытые" in \
        response.get_data(as_text=True)
    # A request of another incident: refused, naming it.
    other = make(staff, riser, [riser.ids[4]])
    response = staff.post(f"/incidents/{other}/link", data={"numbers": str(riser.numbers[0])})
    assert response.status_code == 409 and "уже в аварии № 1" in response.get_data(as_text=True)
    # Unknown numbers, forged ids, an unknown incident.
    response = staff.post(f"/incidents/{incident_id}/link", data={"numbers": "99999"})
    assert response.status_code == 404 and "Заявки не найдены: № 99999" in response.get_data(as_text=True)
    assert staff.post("/incidents/9999/link", data={"numbers": "1"}).status_code == 404
    assert staff.get("/incidents/9999").status_code == 404
    assert staff.post("/incidents/join", data={"incident": "x"}).status_code == 404
    assert staff.post(f"/incidents/{incident_id}/unlink/{riser.ids[4]}").status_code == 404
    with app.app_context():
        assert db.session.get(Request, lift_id).incident_id == incident_id
        assert db.session.get(Request, riser.ids[4]).incident_id == other


def test_request_page_creates_joins_and_leaves_an_incident(app, staff, riser):
    page = staff.page(f"/requests/{riser.ids[0]}")
    assert "Создать аварию по этой заявке" in page and f'href="/incidents/new?request={riser.ids[0]}"' in page
    incident_id = make(staff, riser, [riser.ids[0]])
    page = staff.page(f"/requests/{riser.ids[1]}")
    assert 'id="join-incident-form"' in page and "№ 1 · Водоснабжение / Нет воды" in page
    response = staff.post(f"/incidents/link-request/{riser.ids[1]}", data={"incident": incident_id})
    assert response.headers["Location"].endswith(f"/requests/{riser.ids[1]}")
    page = staff.page(response.headers["Location"])
    assert "аварию № 1" in page and "Отвязать от аварии" in page
    response = staff.post(f"/incidents/{incident_id}/unlink/{riser.ids[1]}", data={"back": "request"})
    assert "отвязана от аварии № 1" in staff.page(response.headers["Location"])
    response = staff.post(f"/incidents/link-request/{riser.ids[1]}", data={"incident_number": "77"})
    assert "Авария не найдена" in staff.page(response.headers["Location"])
    with app.app_context():
        assert db.session.get(Request, riser.ids[1]).incident_id is None
        kinds = [e.kind for e in db.session.get(Incident, incident_id).events]
        assert kinds == ["created", "linked", "linked", "unlinked"]


def test_a_message_reaches_every_linked_resident_once_and_every_thread(app, staff, riser):
    ids = riser.ids[:5] + [riser.phoned]
    incident_id = make(staff, riser, ids)
    before = last_note_id(app)
    page = staff.page(f"/incidents/{incident_id}")
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"text": "Воду дадут к 18:00", "key": key}
    response = staff.post(f"/incidents/{incident_id}/message", data=data)
    assert "Сообщение отправляется жителям: 4" in staff.page(response.headers["Location"])
    staff.post(f"/incidents/{incident_id}/message", data=data)  # a double click sends nothing more
    sent = notes(app, before)
    assert sorted(chat for chat, _, _ in sent) == [500, 501, 502, 503]
    assert next(text for chat, _, text in sent if chat == 500) == (
        f"Сообщение по аварии № 1 (заявки № {riser.numbers[0]}, № {riser.numbers[4]}):\nВоду дадут к 18:00")
    with app.app_context():
        threads = db.session.execute(select(RequestMessage.request_id).where(
            RequestMessage.text == "Воду дадут к 18:00")).scalars().all()
        assert sorted(threads) == sorted(riser.ids[:5])  # not the phoned-in one: nobody to write to
        assert [e.kind for e in db.session.execute(select(IncidentEvent).where(
            IncidentEvent.kind == "message")).scalars()] == ["message"]
    assert "Воду дадут к 18:00" in staff.page(f"/requests/{riser.ids[1]}")


def test_incident_form_checks_what_is_typed(app, staff, riser):
    response = staff.post("/incidents/new", data={"category": riser.category, "description": "", "street": ""})
    assert response.status_code == 400
    response = staff.post("/incidents/new", data={"category": riser.category, "description": "Свет"})
    assert response.status_code == 409 and "Укажите хотя бы один дом" in response.get_data(as_text=True)
    response = staff.post("/incidents/new", data={"category": riser.category, "description": "Свет",
                                                  "street": "ул. Ленина", "house": "без номера"})
    assert response.status_code == 409 and "укажите улицу и номер дома" in response.get_data(as_text=True)
    response = staff.post("/incidents/new", data={"category": riser.category, "description": "Свет",
                                                  "street": "ул. Ленина", "house": "99"})
    assert response.status_code == 409 and "Дома «ул. Ленина, д. 99» нет среди адресов клиентов" \
        in response.get_data(as_text=True)
    response = staff.post("/incidents/new", data={"category": riser.category, "description": "Свет", "entrances": "1..3",
                                                  "street": "ул. Ленина", "house": "24"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "д. 24: Подъезды «1..3»: укажите номера через запятую" in text
    assert 'value="1..3"' in text and 'value="24"' in text  # nothing typed is lost
    response = staff.post("/incidents/new", data={"category": riser.category, "description": "Нет света",
                                                  "city": "Самара", "street": "ул. Ленина", "house": "24",
                                                  "entrances": "2"})
    assert response.status_code == 303
    page = staff.page(response.headers["Location"])
    assert "г. Самара, ул. Ленина, д. 24 (подъезд 2)" in page


def test_announcing_an_incident_prefills_every_house_on_every_street(app, staff, riser):
    from app.models import TelegramBinding
    with app.app_context():
        mira = factories.client("300001", "Житель ул. Мира", street="ул. Мира", house="7", house_letter="Б")
        for chat, client_id in ((701, riser.clients[0]), (702, riser.clients[1]), (703, mira.id), (704, riser.other_client)):
            db.session.add(TelegramBinding(client_id=client_id, telegram_user_id=chat, chat_id=chat, phone="+79120000000"))
        db.session.commit()
    incident_id = make(staff, riser, riser.ids[:2], **{"entrances:" + LENINA_24: "2"})
    response = staff.post(f"/incidents/{incident_id}/edit", data=edit_form(
        staff, incident_id, street="ул. Мира", house="7Б"))
    assert response.status_code == 303
    page = staff.page(f"/incidents/{incident_id}")
    announce = re.search(r'href="([^"]+)" id="announce"', page).group(1).replace("&amp;", "&")
    form = staff.page(announce)
    assert re.search(r'name="scope" type="radio" value="places" checked|checked[^>]*value="places"', form), form
    ticked = re.findall(r'name="places" value="([^"]+)" id="place-\d+"\s+checked>', form)
    assert [t.replace("&#34;", '"') for t in ticked] == [house("Самара", "ул. Ленина", "24"),
                                                        house("Самара", "ул. Мира", "7Б")]
    # Both houses' residents in the bot (not ул. Ленина, 30's), each chat once.
    assert re.search(r'id="recipient-count">3<', form)
    assert "г. Самара, ул. Ленина, д. 24; г. Самара, ул. Мира, д. 7Б" in form
    assert 'value="г. Самара, ул. Ленина, д. 24 (подъезд 2); г. Самара, ул. Мира, д. 7Б"' in form  # the template's
    assert 'value="Прорыв стояка в подвале"' in form
    assert re.search(r'<option selected value="emergency">|<option value="emergency" selected>', form)


def test_the_dashboard_counts_incidents_and_the_requests_they_absorbed(app, staff, riser):
    make(staff, riser, riser.ids[:3])
    make(staff, riser, [riser.ids[5]])
    data = staff.get("/dashboard/data").get_json()
    chart = next(c for c in data["charts"] if c["key"] == "incidents")
    assert chart["labels"] == ["№ 1 · Водоснабжение", "№ 2 · Водоснабжение"]
    assert chart["series"][0]["values"] == [3, 1]
    assert chart["note"] == "Аварий за период: 2, заявок в них: 4."
    assert chart["table"]["rows"][0] == ["№ 1 · Водоснабжение", "открыта", 3]
    with app.app_context():
        from app.models import Category
        lift = db.session.execute(select(Category.id).where(Category.name == "Лифт")).scalar_one()
    data = staff.get(f"/dashboard/data?category={lift}").get_json()
    assert next(c for c in data["charts"] if c["key"] == "incidents")["note"] == "Аварий за период: 0, заявок в них: 0."


def test_editing_an_incident_and_a_closed_one_taking_nothing(app, staff, riser):
    incident_id = make(staff, riser, riser.ids[:1], executor="")
    response = staff.post(f"/incidents/{incident_id}/edit", data=edit_form(
        staff, incident_id, description="Прорыв стояка, меняем трубу", expected_at="2030-01-02T10:00",
        executor=riser.plumber))
    assert response.status_code == 303
    page = staff.page(response.headers["Location"])
    assert "Прорыв стояка, меняем трубу" in page and "02.01.2030 10:00" in page
    with app.app_context():
        event = db.session.get(Incident, incident_id).events[-1]
        assert (event.kind, event.comment) == (
            "edited", "Изменены: описание; ожидаемое время устранения; исполнитель: Петров Пётр")
    assert staff.post(f"/incidents/{incident_id}/edit", data=edit_form(staff, incident_id, description="")) \
        .status_code == 400
    stale_form = edit_form(staff, incident_id, description="x")
    staff.post(f"/incidents/{incident_id}/status", data={"status": "closed", "current": "open"})
    assert state(app, riser.ids[:1]) == ["closed"]
    response = staff.post(f"/incidents/{incident_id}/link", data={"numbers": str(riser.numbers[1])})
    assert response.status_code == 409 and "закрыта: заявки к ней не присоединяются" in response.get_data(as_text=True)
    response = staff.post(f"/incidents/{incident_id}/edit", data=stale_form)
    assert response.status_code == 409 and "Авария закрыта" in response.get_data(as_text=True)
    assert 'id="edit-form"' not in staff.page(f"/incidents/{incident_id}")


def house(*parts) -> str:
    return '["' + '", "'.join(parts) + '"]'


LENINA_24, LENINA_30 = house("Самара", "ул. Ленина", "24", ""), house("Самара", "ул. Ленина", "30", "")


def history(app, incident_id):
    with app.app_context():
        return [(e.kind, e.comment) for e in db.session.get(Incident, incident_id).events]


def test_editing_the_houses_entrances_and_category_of_an_incident(app, staff, riser):
    incident_id = make(staff, riser, riser.ids[:2])
    # A house added by typing it (the city found from the clients' addresses), entrances noted on the first.
    response = staff.post(f"/incidents/{incident_id}/edit", data=edit_form(
        staff, incident_id, street="ул. Ленина", house="30", entrances="2", **{"entrances:" + LENINA_24: "1-3,5"}))
    assert response.status_code == 303
    page = staff.page(f"/incidents/{incident_id}")
    assert "г. Самара, ул. Ленина, д. 24 (подъезды 1–3, 5); г. Самара, ул. Ленина, д. 30 (подъезд 2)" in page
    assert history(app, incident_id)[-1] == ("edited", "Изменены: г. Самара, ул. Ленина, д. 24: подъезды 1–3, 5; "
                                                       "добавлен дом г. Самара, ул. Ленина, д. 30 (подъезд 2)")
    assert "д. 24 (подъезды 1–3, 5)" in staff.page("/incidents/")
    # The first house taken off, the category changed to «Лифт» (any subcategory); requests keep theirs.
    data = edit_form(staff, incident_id, category=riser.lift, subcategory="", picked_house=[LENINA_30])
    response = staff.post(f"/incidents/{incident_id}/edit", data=data)
    assert response.status_code == 303
    assert history(app, incident_id)[-1] == ("edited", "Изменены: категория: Лифт; убран дом г. Самара, ул. Ленина, д. 24")
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert (incident.category.name, incident.subcategory_id, incident.address_text) == (
            "Лифт", None, "г. Самара, ул. Ленина, д. 30 (подъезд 2)")
        assert {db.session.get(Request, i).category_id for i in riser.ids[:2]} == {riser.category}
    # Posting the form unchanged writes nothing to the history.
    before = len(history(app, incident_id))
    assert staff.post(f"/incidents/{incident_id}/edit", data=edit_form(staff, incident_id)).status_code == 303
    assert len(history(app, incident_id)) == before


def test_an_edit_refused_says_why_and_keeps_what_was_typed(app, staff, riser):
    incident_id = make(staff, riser, riser.ids[:2])
    before = history(app, incident_id)

    def refused(code, message, **changes):
        response = staff.post(f"/incidents/{incident_id}/edit",
                              data=edit_form(staff, incident_id, description="Новый текст", **changes))
        text = response.get_data(as_text=True)
        assert response.status_code == code and message in text, text
        assert "Новый текст" in text and '<details id="edit" open>' in text
        return text

    refused(409, "Укажите хотя бы один дом", picked_house=[])
    text = refused(409, "Дома «ул. Ленина, д. 99» нет среди адресов клиентов", street="ул. Ленина", house="99",
                   entrances="1")
    assert 'value="99"' in text
    refused(409, "Дома «г. Самара, ул. Ленина, д. 31» нет среди адресов клиентов",
            picked_house=[LENINA_24, house("Самара", "ул. Ленина", "31", "")])
    text = refused(409, "г. Самара, ул. Ленина, д. 24: Подъезды «первый»: укажите номера через запятую",
                   **{"entrances:" + LENINA_24: "первый"})
    assert 'value="первый"' in text
    refused(409, "Подъезды «3-1»: номера начинаются с 1, диапазон — от меньшего к большему",
            **{"entrances:" + LENINA_24: "3-1"})
    refused(409, "Подкатегория не относится к выбранной категории", category=riser.lift)
    refused(400, "Проверьте поля аварии", category="")
    assert staff.post("/incidents/999/edit", data=edit_form(staff, incident_id)).status_code == 404
    without_token = {k: v for k, v in edit_form(staff, incident_id, description="Новый текст").items()
                     if k != "csrf_token"}
    response = staff.client.post(f"/incidents/{incident_id}/edit", data=without_token)
    assert response.status_code == 400 and "Форма устарела" in response.get_data(as_text=True)
    assert history(app, incident_id) == before
    with app.app_context():
        assert db.session.get(Incident, incident_id).description == "Прорыв стояка в подвале"

