"""Script and template payloads in every text field that is shown back: entered through
the real forms (and a request from Telegram), then read on every page, fragment and flash
that shows them. Only the escaped form may appear, never the raw markup."""
import io
import re
from urllib.parse import urlencode

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.journal.columns import COLUMNS
from app.models import Category, Client, Executor, Request, RequestPhoto, TelegramBinding
from tests import factories
from tests.conftest import StaffClient

HTMX = {"HX-Request": "true"}
ROWS_FRAGMENT = {"HX-Request": "true", "HX-Target": "journal-body"}

# Short fields get short payloads (a house number is at most 20 characters).
SHORT = {"house": "<b>h</b>", "house_letter": "<i>L</i>", "apartment": '"><u>кв</u>',
         "contract_number": "<script>alert('c')</script>"}
RAW = ("<script>alert(", "<img src=x", "<b>h</b>", "<i>L</i>", "<u>кв</u>")


def payload(tag: str) -> str:
    """Breaks out of text, of a quoted attribute, and would be evaluated by a template engine."""
    return f"<script>alert('{tag}')</script>\"><img src=x onerror=alert(1)>{{{{7*7}}}}"


def assert_escaped(html: str, *tags: str, short=()) -> None:
    """No raw payload anywhere; each named payload present in its escaped form (so it was shown)."""
    for raw in RAW:
        assert raw not in html, f"raw markup {raw!r} in the page"
    for tag in tags:
        assert str(escape(payload(tag))) in html, f"payload {tag!r} not shown escaped"
    for name in short:
        assert str(escape(SHORT[name])) in html, f"{name} not shown escaped"


def followed(browser, response) -> str:
    """The page a redirect leads to, with its flash message."""
    assert response.status_code in (302, 303), response.status_code
    return browser.page(response.headers["Location"])


@pytest.fixture
def hostile(app, admin, operator, tmp_path):
    """Reference data typed by staff and a request filed from Telegram, all of it hostile."""
    ids, flashes = {}, {}
    followed(admin, admin.post("/admin/clients/new", {
        "account": "600001", "full_name": payload("name"), "city": payload("city"),
        "street": payload("street"), "phone": "+79121112233", **SHORT}))
    ids["client"] = db.session.execute(select(Client.id).where(Client.account == "600001")).scalar_one()
    followed(admin, admin.post("/admin/categories/new", {"name": payload("cat"), "sort_order": "0", "active": "y"}))
    ids["category"] = db.session.execute(select(Category.id)).scalar_one()
    flashes["sub"] = followed(admin, admin.post(f"/admin/categories/{ids['category']}/subcategories",
                                                {"name": payload("sub")}))
    flashes["executor"] = followed(admin, admin.post("/admin/executors/new", {
        "full_name": payload("exe"), "position": payload("pos"), "active": "y"}))
    ids["executor"] = db.session.execute(select(Executor.id)).scalar_one()
    operator_id = factories.staff("operator").id
    followed(admin, admin.post(f"/admin/users/{operator_id}", {
        "login": "operator", "full_name": payload("staff"), "role": "operator", "active": "y"}))
    ids["user"] = operator_id

    # A resident's request from Telegram, with a captioned photo.
    (tmp_path / "storage" / "photos").mkdir(parents=True)
    (tmp_path / "storage" / "photos" / "p.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    req = factories.request(db.session.get(Client, ids["client"]), db.session.get(Category, ids["category"]),
                            description=payload("desc"), author_telegram_id=42, author_chat_id=42)
    db.session.add(RequestPhoto(request_id=req.id, file_path="photos/p.jpg", caption=payload("cap")))
    db.session.commit()
    ids["request"] = req.id

    # A dispatcher works it: comment, executor (with a comment), status (with a comment).
    base = f"/requests/{req.id}"
    operator.post(f"{base}/comment", {"text": payload("comm")})
    flashes["assign"] = followed(operator, operator.post(f"{base}/executor", {
        "executor": str(ids["executor"]), "executor_comment": payload("ecomm")}))
    operator.post(f"{base}/status", {"status": "in_progress", "current": "assigned",
                                     "status_comment": payload("scomm")})
    db.session.expire_all()
    assert db.session.get(Request, req.id).status == "in_progress"

    # A client deleted: the flash names them.
    followed(admin, admin.post("/admin/clients/new", {
        "account": "600002", "full_name": payload("gone"), "street": "ул. Мира", "house": "1"}))
    gone = db.session.execute(select(Client.id).where(Client.account == "600002")).scalar_one()
    flashes["deleted"] = followed(admin, admin.post(f"/admin/clients/{gone}/delete"))
    return {"ids": ids, "flashes": flashes}


def test_reference_data_pages_fragments_and_flashes(admin, hostile):
    ids = hostile["ids"]
    for key, tag in (("sub", "sub"), ("executor", "exe"), ("assign", "exe"), ("deleted", "gone")):
        html = hostile["flashes"][key]
        messages = re.findall(r'<div class="flash[^"]*" role="status">(.*?)</div>', html, re.S)
        assert any(str(escape(payload(tag))) in message for message in messages), key
        assert_escaped(html)

    address = ("house", "house_letter", "apartment")
    pages = [
        ("/admin/clients", ("name", "city", "street"), address + ("contract_number",)),
        (f"/admin/clients/{ids['client']}", ("name", "city", "street", "cat", "sub"), address + ("contract_number",)),
        (f"/admin/clients/{ids['client']}/edit", ("name", "city", "street"), tuple(SHORT)),
        ("/admin/categories", ("cat",), ()),
        (f"/admin/categories/{ids['category']}", ("cat", "sub"), ()),
        ("/admin/subcategories", ("cat", "sub"), ()),
        (f"/admin/subcategories/{db.session.get(Category, ids['category']).subcategories[0].id}", ("cat", "sub"), ()),
        ("/admin/executors", ("exe", "pos"), ()),
        (f"/admin/executors/{ids['executor']}", ("exe", "pos"), ()),
        ("/admin/users", ("staff",), ()),
        (f"/admin/users/{ids['user']}", ("staff",), ()),
    ]
    for url, tags, short in pages:
        assert_escaped(admin.page(url), *tags, short=short)
        if "/" not in url.removeprefix("/admin/"):  # a list: its htmx fragment too
            fragment = admin.page(url, headers=HTMX)
            assert "<html" not in fragment
            assert_escaped(fragment, *tags[:1])


def test_request_page_journal_and_new_request_fragments(operator, hostile):
    ids = hostile["ids"]
    request_tags = ("name", "city", "street", "cat", "sub", "exe", "pos", "desc", "cap", "comm", "ecomm",
                    "scomm", "staff")
    assert_escaped(operator.page(f"/requests/{ids['request']}"), *request_tags,
                   short=("house", "house_letter", "apartment"))

    operator.post("/journal/columns", {"columns": [c.key for c in COLUMNS]})  # every column visible
    journal = operator.page("/")
    assert 'class="h-city' in journal and 'class="h-updated_at' in journal
    row_tags = ("name", "city", "street", "cat", "sub", "exe", "desc")
    assert_escaped(journal, *row_tags, short=("house", "house_letter", "apartment"))
    rows = operator.page("/", headers=ROWS_FRAGMENT)
    assert "<html" not in rows
    assert_escaped(rows, *row_tags)

    assert_escaped(operator.page("/requests/new"), "cat")
    assert_escaped(operator.page(f"/journal/subcategories?category={ids['category']}"), "sub")
    assert_escaped(operator.page("/requests/new/clients?q=script"), "name", "city", "street")
    assert_escaped(operator.page(f"/requests/new/client/{ids['client']}"), "name", "city", "street")


def test_typed_search_and_filter_values_are_echoed_escaped(admin, operator):
    for url in ("/admin/clients", "/admin/categories", "/admin/subcategories", "/admin/executors", "/admin/users"):
        assert_escaped(admin.page(f"{url}?q={payload('q')}"), "q")
        assert_escaped(admin.page(f"{url}?q={payload('q')}", headers=HTMX))

    # city is hidden by default: its filter shows as a chip and a hidden input
    query = (f"client={payload('fc')}&description={payload('fd')}&city={payload('fcity')}"
             f"&created_at_from={payload('fdate')}&page={payload('fpage')}&sort={payload('fsort')}")
    for headers in ({}, ROWS_FRAGMENT):
        html = operator.page(f"/?{query}", headers=headers)
        assert_escaped(html, "fcity")
        assert "Неверная дата" in html and "Неверный номер страницы" in html
    assert_escaped(operator.page(f"/?{query}"), "fc", "fd", "fcity")
    assert_escaped(operator.page(f"/requests/new/clients?q={payload('cq')}"), "cq")


def test_form_errors_redisplay_input_escaped(app, admin, operator):
    response = admin.post("/admin/clients/new", {"account": "1", "full_name": payload("fe"), "phone": "нет",
                                                 "street": payload("fs"), "house": SHORT["house"]})
    assert response.status_code == 200 and "error" in response.get_data(as_text=True)
    assert_escaped(response.get_data(as_text=True), "fe", "fs", short=("house",))

    response = admin.post("/admin/executors/new", {"full_name": payload("fx"), "position": ""})
    assert_escaped(response.get_data(as_text=True), "fx")

    response = operator.post("/requests/new", {"description": payload("nd"), "contact_phone": payload("np")})
    assert response.status_code == 400
    assert_escaped(response.get_data(as_text=True), "nd", "np")

    response = StaffClient(app).login(payload("lg"), "wrong")
    assert_escaped(response.get_data(as_text=True), "lg")


def test_import_report_escapes_file_name_headers_and_cells(admin):
    text = ("ФИО;Улица;Дом;ЛС;Телефон;<script>alert('hdr')</script>\n"
            "Иванов;Мира;1;<script>alert('acc')</script>;;x\n"
            "Петров;Мира;2;700001;<script>alert('ph')</script>;x\n")
    response = admin.post("/admin/clients/import", {
        "file": (io.BytesIO(text.encode()), "<script>alert('fn')</script>.csv")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert "Отклонено: <b>2</b>" in html
    for part in ("hdr", "acc", "ph", "fn"):
        assert str(escape(f"<script>alert('{part}')</script>")) in html, part
    assert_escaped(html)
    assert db.session.execute(select(Client.account)).scalars().all() == []  # both rows were rejected


def test_announcement_pages_escape_addresses_and_text(operator, hostile):
    client = db.session.get(Client, hostile["ids"]["client"])
    db.session.add(TelegramBinding(client_id=client.id, telegram_user_id=4242, chat_id=4242, phone="+79121112233"))
    db.session.commit()
    chosen = {"scope": "address", "city": client.city, "street": client.street,
              "houses": [client.house + client.house_letter]}
    assert_escaped(operator.page("/announcements/new"), "city", "street")
    assert_escaped(operator.page("/announcements/audience?" + urlencode(chosen, doseq=True), headers=HTMX),
                   "city", "street", short=("house", "house_letter"))

    filled = operator.post("/announcements/new", {**chosen, "action": "fill", "starts": "2031-03-12T09:00",
                                                  "note": payload("note")}).get_data(as_text=True)
    assert_escaped(filled, "note", "city", "street", short=("house", "house_letter"))

    response = operator.post("/announcements/new", {**chosen, "text": payload("notice")})
    assert response.status_code == 303
    assert_escaped(operator.page(response.headers["Location"]), "notice", "city", "street",
                   short=("house", "house_letter"))
    assert_escaped(operator.page(response.headers["Location"] + "/edit"), "notice", "city", "street")
    assert_escaped(operator.page("/announcements"), "notice", "city", "street")
