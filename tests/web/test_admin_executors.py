"""Executors: list, search, create, edit, switching off, delete rules, roles."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Executor
from app.services.requests import lifecycle as request_service
HTMX = {"HX-Request": "true"}
HISTORY_RESTORE = {**HTMX, "HX-History-Restore-Request": "true"}
GOOD = {"full_name": "Кузнецов Виктор Петрович", "position": "Сантехник", "phone": "8 (912) 000-11-22",
        "active": "y"}


def _names():
    return db.session.execute(select(Executor.full_name).order_by(Executor.id)).scalars().all()


@pytest.mark.parametrize("headers,full", [({}, True), (HTMX, False), (HISTORY_RESTORE, True)])
def test_list_page_or_fragment(operator, ctx, headers, full):
    """htmx swaps only the results (rows and pager) into the page; Back restores the whole page."""
    ctx.executor()
    response = operator.get("/admin/executors", headers=headers)
    html = response.get_data(as_text=True)
    assert "Петров Пётр" in html and "Сантехник" in html
    assert "Найдено: 1" in html
    assert ("<html" in html) is full
    assert ('role="search"' in html) is full  # the search form stays while its results change
    assert ('id="results"' in html) is full  # the fragment goes inside that element


@pytest.mark.parametrize("query,expected", [
    ("петров", {"Петров Пётр"}), ("электрик", {"Сидоров Иван"}), ("000-11", {"Сидоров Иван"}),
    ("state=inactive", {"Сидоров Иван"}), ("state=active", {"Петров Пётр"}),
])
def test_search_and_filter(admin, ctx, query, expected):
    ctx.executor()
    other = ctx.executor("Сидоров Иван", "Электрик")
    other.phone, other.active = "+79120001122", False
    db.session.commit()
    args = query if "=" in query else f"q={query}"
    html = admin.page(f"/admin/executors?{args}", headers=HTMX)
    assert {n for n in ("Петров Пётр", "Сидоров Иван") if n in html} == expected


def test_operator_creates_an_executor(operator):
    response = operator.post("/admin/executors/new", GOOD)
    assert response.status_code == 302
    executor = db.session.execute(select(Executor)).scalar_one()
    assert (executor.full_name, executor.position, executor.phone, executor.active) == (
        "Кузнецов Виктор Петрович", "Сантехник", "+79120001122", True)


@pytest.mark.parametrize("changes,message", [
    ({"full_name": ""}, "Укажите ФИО"),
    ({"position": ""}, "Укажите должность"),
    ({"phone": "112"}, "номер"),
    ({"full_name": "Я" * 201}, "Не длиннее 200 символов"),
])
def test_create_rejects_bad_input(admin, changes, message):
    response = admin.post("/admin/executors/new", {**GOOD, **changes})
    assert message in response.get_data(as_text=True)
    assert _names() == []


def test_phone_is_optional(admin):
    admin.post("/admin/executors/new", {**GOOD, "phone": ""})
    assert db.session.execute(select(Executor.phone)).scalar_one() == ""


def test_edit(operator, ctx):
    executor = ctx.executor()
    response = operator.post(f"/admin/executors/{executor.id}", {**GOOD, "position": "Старший сантехник"})
    assert response.status_code == 302
    db.session.expire_all()
    assert executor.position == "Старший сантехник"


def test_switch_off_and_on(operator, ctx):
    executor = ctx.executor()
    operator.post(f"/admin/executors/{executor.id}/toggle")
    db.session.expire_all()
    assert executor.active is False
    assert "на новые заявки его не назначить" in operator.page("/admin/executors")
    operator.post(f"/admin/executors/{executor.id}/toggle")
    db.session.expire_all()
    assert executor.active is True


def test_executor_on_requests_cannot_be_deleted(admin, ctx):
    executor = ctx.executor()
    request = ctx.request()
    request_service.assign_executor(request, executor, ctx.staff("admin"))
    db.session.commit()
    response = admin.post(f"/admin/executors/{executor.id}/delete")
    assert response.headers["Location"] == f"/admin/executors/{executor.id}"
    html = admin.page(f"/admin/executors/{executor.id}")
    assert "нельзя удалить: он указан в заявках (1)" in html and "Отключите его" in html
    assert _names() == ["Петров Пётр"]


def test_unused_executor_is_deleted_by_admin_only(admin, operator, ctx):
    executor = ctx.executor()
    html = admin.page(f"/admin/executors/{executor.id}")
    assert 'hx-confirm="Удалить исполнителя «Петров Пётр»?"' in html
    response = admin.post(f"/admin/executors/{executor.id}/delete", headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/executors"
    assert _names() == []


def test_operator_cannot_delete(operator, ctx):
    executor = ctx.executor()
    assert "Удалить" not in operator.page(f"/admin/executors/{executor.id}")
    assert operator.post(f"/admin/executors/{executor.id}/delete").status_code == 403
    assert _names() == ["Петров Пётр"]


def test_missing_executor_is_404(admin):
    assert admin.get("/admin/executors/999").status_code == 404


def test_open_requests_count_as_the_journal_counts_them(operator, ctx):
    """«Незакрытых заявок» uses the journal's «Все незакрытые»: a done request is still open
    (it waits to be closed), a closed one is not; the figure opens the journal so filtered."""
    executor = ctx.executor()
    admin = ctx.staff("admin")
    later = ["in_progress", "done", "closed"]
    for moves in range(4):  # one request each: assigned, in progress, done, closed
        request = ctx.request()
        request_service.assign_executor(request, executor, admin)
        for status in later[:moves]:
            request_service.change_status(request, status, admin)
    db.session.commit()
    html = operator.page("/admin/executors")
    link = f'<a href="/?executor={executor.id}&amp;status=open">3</a>'
    assert link in html
    journal = operator.page(f"/?executor={executor.id}&status=open")
    assert "Найдено: <b>3</b>" in journal
