"""Clients pages: list, search, pagination, card, create, edit, delete, Telegram bindings."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, Request, TelegramBinding

HTMX = {"HX-Request": "true"}
GOOD = {
    "account": "5550001", "full_name": "Сидорова Мария Петровна", "city": "Самара",
    "street": "ул. Мира", "house": "10", "house_letter": "Б", "apartment": "7",
    "phone": "8 912 345-67-89", "contract_number": "Д-77",
}


def _client(account):
    return db.session.execute(select(Client).where(Client.account == account)).scalar_one_or_none()


def test_list_is_a_full_page_or_an_htmx_fragment(admin, ctx):
    """htmx swaps only the results (rows and pager) into the page: the search box being typed in stays."""
    ctx.client()
    page = admin.get("/admin/clients")
    fragment = admin.get("/admin/clients", headers=HTMX)
    for response in (page, fragment):
        assert response.status_code == 200
        assert "Иванов Иван Иванович" in response.get_data(as_text=True)
        assert "Найдено: 1" in response.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    assert 'hx-trigger="keyup changed delay:250ms, search"' in page.get_data(as_text=True)
    assert '<div id="results"' in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "<table" in fragment.get_data(as_text=True)
    assert 'role="search"' not in fragment.get_data(as_text=True)
    assert 'id="results"' not in fragment.get_data(as_text=True)  # it goes inside that element


def test_history_restore_gets_the_full_page(admin):
    response = admin.get("/admin/clients", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


@pytest.mark.parametrize("query,found", [
    ("петров", True),               # Cyrillic, case-insensitive, part of the name
    ("ПЕТРОВ СЕРГЕЙ", True),        # every word must match
    ("Петров Иван", False),
    ("200777", True),               # ЛС
    ("Гагарина 15", True),          # street and house
    ("8 917 000-11-22", True),      # the whole phone as people type it
    ("0001122", True),              # part of the phone
    ("Д-99", True),                 # contract
    ("%", False),                   # LIKE wildcards are literal
    ("_", False),
])
def test_search(admin, ctx, query, found):
    ctx.client(account="100001")
    ctx.client(account="200777", full_name="Петров Сергей Ильич", street="ул. Гагарина", house="15",
               phone="+79170001122", contract_number="Д-99")
    html = admin.page("/admin/clients?" + _qs(q=query), headers=HTMX)
    assert ("Петров Сергей Ильич" in html) is found
    assert "Иванов Иван Иванович" not in html


def _qs(**params):
    from urllib.parse import urlencode

    return urlencode(params)


def test_pagination_keeps_the_search(admin, ctx):
    db.session.add_all(Client(account=f"9{i:05d}", full_name=f"Житель {i:02d}") for i in range(30))
    db.session.add(Client(account="1", full_name="Другой"))
    db.session.commit()
    html = admin.page("/admin/clients?q=Житель")
    assert "Найдено: 30" in html
    assert "/admin/clients?q=%D0%96%D0%B8%D1%82%D0%B5%D0%BB%D1%8C&amp;page=2" in html
    second = admin.page("/admin/clients?q=Житель&page=2", headers=HTMX)
    assert second.count("Житель ") == 5


@pytest.mark.parametrize("page", ["abc", "0", "-5", "2.5", "999999", "99999999999999999999999999"])
def test_bad_page_numbers_never_fail(admin, ctx, page):
    ctx.client()
    response = admin.get(f"/admin/clients?page={page}")
    assert response.status_code == 200
    assert "Иванов Иван Иванович" in response.get_data(as_text=True)


def test_create_client_normalises_the_phone(admin, ctx):
    response = admin.post("/admin/clients/new", GOOD)
    assert response.status_code == 302
    client = _client("5550001")
    assert response.headers["Location"] == f"/admin/clients/{client.id}"
    assert client.phone == "+79123456789"
    assert (client.full_name, client.house, client.house_letter) == ("Сидорова Мария Петровна", "10", "Б")
    assert "+7 912 345-67-89" in admin.page(f"/admin/clients/{client.id}")


@pytest.mark.parametrize("typed", [" 555 0001 ", "555-0001", "55.500.01"])
def test_account_may_be_typed_with_separators_as_bills_print_it(admin, ctx, typed):
    """The same ЛС format as the bot and the journal filter (app.services.people.clients)."""
    admin.post("/admin/clients/new", {**GOOD, "account": typed})
    assert _client("5550001") is not None


@pytest.mark.parametrize("changes,message", [
    ({"account": "12А45"}, "только из цифр"),
    ({"account": "12#45"}, "только из цифр"),
    ({"account": ""}, "Укажите лицевой счёт"),
    ({"account": "1" * 40}, "длиннее 32"),
    ({"account": "100001"}, "уже принадлежит клиенту: Иванов Иван Иванович"),
    ({"phone": "12345"}, "номер"),
    ({"phone": "+7 999 abc"}, "номер"),
    ({"full_name": "  "}, "Укажите ФИО"),
    ({"street": ""}, "Укажите улицу"),
    ({"house": ""}, "Укажите дом"),
    ({"house": "1" * 30}, "Не длиннее 20 символов"),
])
def test_create_client_rejects_bad_input(admin, ctx, changes, message):
    ctx.client(account="100001")
    response = admin.post("/admin/clients/new", {**GOOD, **changes})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(Client.account)).scalars().all() == ["100001"]


def test_form_keeps_what_was_typed_after_an_error(admin):
    html = admin.post("/admin/clients/new", {**GOOD, "phone": "12345"}).get_data(as_text=True)
    assert 'value="Сидорова Мария Петровна"' in html
    assert 'value="12345"' in html


def test_operator_can_fix_a_phone(operator, ctx):
    client = ctx.client()
    data = {**GOOD, "account": client.account, "phone": "+7 (917) 111-22-33"}
    response = operator.post(f"/admin/clients/{client.id}/edit", data)
    assert response.status_code == 302
    db.session.expire_all()
    assert client.phone == "+79171112233"


def test_edit_cannot_take_another_clients_account(admin, ctx):
    ctx.client(account="100001")
    other = ctx.client(account="100002", full_name="Другой Клиент")
    response = admin.post(f"/admin/clients/{other.id}/edit", {**GOOD, "account": "100001"})
    assert "уже принадлежит клиенту" in response.get_data(as_text=True)
    db.session.expire_all()
    assert other.account == "100002"


def test_edit_form_shows_the_phone_readably(admin, ctx):
    client = ctx.client()
    assert 'value="+7 912 345-67-89"' in admin.page(f"/admin/clients/{client.id}/edit")


def test_client_card_shows_bindings_and_requests(admin, ctx):
    client = ctx.client()
    db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=777000111, chat_id=1,
                                   phone="+79990001122"))
    db.session.commit()
    request = ctx.request(client)
    html = admin.page(f"/admin/clients/{client.id}")
    assert "777000111" in html and "+7 999 000-11-22" in html
    assert f'<a href="/requests/{request.id}">{request.number}</a>' in html and "новая" in html
    assert "Отозвать" in html


def test_admin_revokes_a_binding(admin, ctx):
    client = ctx.client()
    binding = TelegramBinding(client_id=client.id, telegram_user_id=42, chat_id=42, phone="+79990001122")
    db.session.add(binding)
    db.session.commit()
    response = admin.post(f"/admin/clients/{client.id}/bindings/{binding.id}/revoke")
    assert response.status_code == 302
    assert db.session.execute(select(TelegramBinding)).first() is None
    assert "отозвана" in admin.page(f"/admin/clients/{client.id}")


def test_binding_of_another_client_is_not_found(admin, ctx):
    first, second = ctx.client(account="1"), ctx.client(account="2")
    binding = TelegramBinding(client_id=first.id, telegram_user_id=42, chat_id=42, phone="+79990001122")
    db.session.add(binding)
    db.session.commit()
    assert admin.post(f"/admin/clients/{second.id}/bindings/{binding.id}/revoke").status_code == 404


def test_operator_sees_bindings_but_cannot_revoke_or_delete(operator, ctx):
    client = ctx.client()
    binding = TelegramBinding(client_id=client.id, telegram_user_id=42, chat_id=42, phone="+79990001122")
    db.session.add(binding)
    db.session.commit()
    html = operator.page(f"/admin/clients/{client.id}")
    assert "Отозвать" not in html and "Удалить" not in html
    assert operator.post(f"/admin/clients/{client.id}/bindings/{binding.id}/revoke").status_code == 403
    assert operator.post(f"/admin/clients/{client.id}/delete").status_code == 403
    assert _client(client.account) is not None


def test_delete_keeps_the_clients_requests(admin, ctx):
    client = ctx.client()
    db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=42, chat_id=42, phone="+79990001122"))
    db.session.commit()
    request = ctx.request(client)
    response = admin.post(f"/admin/clients/{client.id}/delete", headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/admin/clients"
    db.session.expire_all()
    assert _client("100001") is None
    assert db.session.execute(select(TelegramBinding)).first() is None
    kept = db.session.get(Request, request.id)
    assert kept.client_id is None and kept.account == "100001" and kept.street == "ул. Ленина"


def test_delete_needs_a_csrf_token(admin, ctx):
    client = ctx.client()
    assert admin.client.post(f"/admin/clients/{client.id}/delete").status_code == 400
    assert _client("100001") is not None


def test_delete_button_asks_for_confirmation(admin, ctx):
    client = ctx.client()
    html = admin.page(f"/admin/clients/{client.id}")
    assert 'hx-confirm="Удалить клиента «Иванов Иван Иванович»' in html


@pytest.mark.parametrize("url", ["/admin/clients/999", "/admin/clients/999/edit"])
def test_missing_client_is_404(admin, url):
    assert admin.get(url).status_code == 404


def test_client_card_links_to_all_requests_in_the_journal(admin, ctx):
    client = ctx.client()
    for _ in range(11):
        ctx.request(client)
    html = admin.page(f"/admin/clients/{client.id}")
    assert html.count("<span class=\"badge s-new\">") == 10
    assert 'href="/?account=100001"' in html
    assert "Иванов Иван Иванович" in admin.page("/?account=100001")
