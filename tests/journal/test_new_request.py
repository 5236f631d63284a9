"""A request filed by a dispatcher for a resident who phoned in."""
import re

import pytest

from app.extensions import db
from app.models import Category, Request, Subcategory
from tests import factories


@pytest.fixture
def setup(app):
    with app.app_context():
        ivanov = factories.client("100001", "Иванов Иван Иванович")
        factories.client("100002", "ПЕТРОВА Ольга", phone="+79217654321", street="пр. Мира")
        factories.client("200003", "Петренко Иван", phone="")
        plumbing = factories.category("Сантехника", ("Протечка", "Засор"))
        electric = factories.category("Электрика", ("Нет света",))
        old = factories.category("Старая", ("Что-то",))
        old.active = False
        db.session.commit()
        return {
            "ivanov": ivanov.id, "plumbing": plumbing.id, "electric": electric.id, "old": old.id,
            "leak": next(s.id for s in plumbing.subcategories if s.name == "Протечка"),
            "no_light": electric.subcategories[0].id,
        }


def form(setup, **changes):
    data = {"client_id": setup["ivanov"], "category": setup["plumbing"], "subcategory": setup["leak"],
            "description": "Течёт стояк в ванной", "contact_phone": "8 (917) 000-11-22"}
    data.update(changes)
    return data


def test_form_page(staff, setup):
    page = staff.page("/requests/new")
    assert "Новая заявка по звонку жителя" in page
    assert "Сантехника" in page and "Старая" not in page  # only categories in use
    assert 'hx-get="/journal/subcategories"' in page


@pytest.mark.parametrize("q,expected", [
    ("1000", ["Иванов Иван Иванович", "ПЕТРОВА Ольга"]),   # ЛС prefix
    ("петр", ["Петренко Иван", "ПЕТРОВА Ольга"]),           # name, any case
    ("ИВАН", ["Иванов Иван Иванович", "Петренко Иван"]),
    ("2000", ["Петренко Иван"]),
    ("нет такого", []),
    ("%", []),
])
def test_client_search(staff, setup, q, expected):
    text = staff.page(f"/requests/new/clients?q={q}")
    assert re.findall(r"<b>([^<]+)</b> · ЛС", text) == expected
    if not expected:
        assert "Никого не нашли" in text


def test_picking_a_client_shows_the_card_with_a_hidden_id(staff, setup):
    text = staff.page(f"/requests/new/client/{setup['ivanov']}")
    assert f'<input type="hidden" name="client_id" value="{setup["ivanov"]}">' in text
    assert "г. Самара, ул. Ленина, д. 5А, кв. 12" in text
    assert 'id="client-search"' in staff.page("/requests/new/client")
    assert staff.get("/requests/new/client/999999").status_code == 404


def test_subcategory_list_follows_the_category(staff, setup):
    text = staff.page(f"/journal/subcategories?category={setup['electric']}")
    assert "Нет света" in text and "Протечка" not in text
    text = staff.page("/journal/subcategories?category=abc")
    assert "— без подкатегории —" in text and "<option value=\"1\"" not in text


def test_creating_a_request_by_phone(app, staff, setup):
    response = staff.post("/requests/new", data=form(setup))
    assert response.status_code == 303
    page = staff.page(response.headers["Location"])
    assert "Заявка № 1 создана." in page and "звонок жителя, принял(а) Олег Оператор" in page
    with app.app_context():
        req = db.session.query(Request).one()
        assert (req.source, req.author_telegram_id, req.author_chat_id) == ("phone", None, None)
        assert req.contact_phone == "+79170001122"
        assert req.client_full_name == "Иванов Иван Иванович" and req.apartment == "12"
        assert req.subcategory_id == setup["leak"] and req.status == "new"
        assert req.created_by.login == "operator"
        assert [(e.kind, e.actor_label) for e in req.events] == [("created", "Олег Оператор")]


def test_empty_phone_takes_the_clients(app, staff, setup):
    staff.post("/requests/new", data=form(setup, contact_phone="", subcategory=""))
    with app.app_context():
        req = db.session.query(Request).one()
        assert req.contact_phone == "+79123456789" and req.subcategory_id is None


@pytest.mark.parametrize("changes,message", [
    ({"client_id": ""}, "Выберите клиента: найдите его по ЛС или ФИО."),
    ({"client_id": "999999"}, "Клиент не найден"),
    ({"client_id": "abc"}, "Клиент не найден"),
    ({"category": ""}, "Выберите категорию."),
    ({"category": "old"}, "Выберите категорию из списка."),
    ({"subcategory": "no_light"}, "Эта подкатегория не относится к выбранной категории."),
    ({"description": "   "}, "Опишите проблему со слов жителя."),
    ({"description": "я" * 4001}, "Не больше 4000 символов."),
    ({"contact_phone": "12345"}, "номер"),
])
def test_bad_input_is_explained_and_kept(app, staff, setup, changes, message):
    changes = {k: setup.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    response = staff.post("/requests/new", data=form(setup, **changes))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    if "description" not in changes:
        assert "Течёт стояк в ванной" in text  # nothing typed is lost
    with app.app_context():
        assert db.session.query(Request).count() == 0


def test_a_chosen_client_stays_chosen_after_an_error(staff, setup):
    text = staff.post("/requests/new", data=form(setup, description="")).get_data(as_text=True)
    assert f'name="client_id" value="{setup["ivanov"]}"' in text and "Иванов Иван Иванович" in text
