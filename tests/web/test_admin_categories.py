"""Categories and subcategories: list, search, create, edit, (de)activate, delete rules, roles, norms."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Category, Subcategory

HTMX = {"HX-Request": "true"}
HISTORY_RESTORE = {**HTMX, "HX-History-Restore-Request": "true"}


def _category(name):
    return db.session.execute(select(Category).where(Category.name == name)).scalar_one_or_none()


@pytest.mark.parametrize("headers,full", [({}, True), (HTMX, False), (HISTORY_RESTORE, True)])
def test_list_page_or_fragment(admin, ctx, headers, full):
    """htmx swaps only the results (rows and pager) into the page; Back restores the whole page."""
    ctx.category("Сантехника")
    response = admin.get("/admin/categories", headers=headers)
    html = response.get_data(as_text=True)
    assert "Сантехника" in html
    assert "Найдено: 1" in html
    assert ("<html" in html) is full
    assert ('role="search"' in html) is full  # the search form stays while its results change
    assert ('id="results"' in html) is full  # the fragment goes inside that element


@pytest.mark.parametrize("query,expected", [
    ("сантех", {"Сантехника"}),
    ("засор", {"Сантехника"}),    # found through a subcategory
    ("лифт", {"Лифт"}),
    ("нет такой", set()),
])
def test_search(admin, ctx, query, expected):
    ctx.category("Сантехника", ("Протечка", "Засор"))
    ctx.category("Лифт", ("Не работает",))
    html = admin.page(f"/admin/categories?q={query}", headers=HTMX)
    assert {name for name in ("Сантехника", "Лифт") if name in html} == expected


@pytest.mark.parametrize("state,expected", [("", {"Сантехника", "Лифт"}), ("active", {"Сантехника"}),
                                            ("inactive", {"Лифт"}), ("junk", {"Сантехника", "Лифт"})])
def test_state_filter(admin, ctx, state, expected):
    ctx.category("Сантехника")
    ctx.category("Лифт", ()).active = False
    db.session.commit()
    html = admin.page(f"/admin/categories?state={state}", headers=HTMX)
    assert {name for name in ("Сантехника", "Лифт") if name in html} == expected


def test_create_category_then_add_subcategories(admin, ctx):
    response = admin.post("/admin/categories/new", {"name": "  Электрика ", "sort_order": "2", "active": "y"})
    category = _category("Электрика")
    assert response.headers["Location"] == f"/admin/categories/{category.id}"
    for name in ("Нет света", "Искрит розетка"):
        assert admin.post(f"/admin/categories/{category.id}/subcategories", {"name": name}).status_code == 302
    html = admin.page(f"/admin/categories/{category.id}")
    assert "Нет света" in html and "Искрит розетка" in html
    db.session.expire_all()
    assert [s.name for s in category.subcategories] == ["Нет света", "Искрит розетка"]


@pytest.mark.parametrize("data,message", [
    ({"name": ""}, "Укажите название"),
    ({"name": "сантехника"}, "Такое название уже есть"),
    ({"name": "Новая", "sort_order": "abc"}, "Неверное целое число"),
    ({"name": "x" * 101}, "Не длиннее 100 символов"),
])
def test_create_category_rejects_bad_input(admin, ctx, data, message):
    ctx.category("Сантехника")
    response = admin.post("/admin/categories/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(Category.name)).scalars().all() == ["Сантехника"]


def test_rename_category(admin, ctx):
    category = ctx.category("Сантехника")
    response = admin.post(f"/admin/categories/{category.id}", {"name": "Водопровод", "sort_order": "1", "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert category.name == "Водопровод"


@pytest.mark.parametrize("name,other_category,ok", [
    ("протечка", False, False),   # same category, other letter case
    ("Протечка", True, True),     # the same name in another category is fine
    ("", False, False),
])
def test_subcategory_names_are_unique_within_a_category(admin, ctx, name, other_category, ok):
    first = ctx.category("Сантехника", ("Протечка",))
    second = ctx.category("Отопление", ())
    target = second if other_category else first
    response = admin.post(f"/admin/categories/{target.id}/subcategories", {"name": name})
    assert (response.status_code == 302) is ok
    if not ok:
        assert "class=\"error\"" in response.get_data(as_text=True)
    assert db.session.execute(select(Subcategory)).scalars().all().__len__() == (2 if ok else 1)


def test_category_in_use_cannot_be_deleted(admin, ctx):
    category = ctx.category("Сантехника")
    ctx.request(category_obj=category)
    response = admin.post(f"/admin/categories/{category.id}/delete", headers=HTMX)
    assert response.headers["HX-Redirect"] == f"/admin/categories/{category.id}"
    html = admin.page(f"/admin/categories/{category.id}")
    assert "нельзя удалить: она указана в заявках (1)" in html
    assert "Отключите её" in html
    assert _category("Сантехника") is not None


def test_unused_category_is_deleted_with_its_subcategories(admin, ctx):
    category = ctx.category("Сантехника", ("Протечка", "Засор"))
    response = admin.post(f"/admin/categories/{category.id}/delete")
    assert response.headers["Location"] == "/admin/categories"
    assert _category("Сантехника") is None
    assert db.session.execute(select(Subcategory)).first() is None


def test_deactivate_and_reactivate_category(admin, ctx):
    category = ctx.category("Сантехника")
    admin.post(f"/admin/categories/{category.id}/toggle")
    db.session.expire_all()
    assert category.active is False
    assert "жители её больше не увидят" in admin.page(f"/admin/categories/{category.id}")
    admin.post(f"/admin/categories/{category.id}/toggle")
    db.session.expire_all()
    assert category.active is True


def test_subcategory_in_use_cannot_be_deleted_but_can_be_switched_off(admin, ctx):
    category = ctx.category("Сантехника", ("Протечка",))
    ctx.request(category_obj=category)
    sub = category.subcategories[0]
    admin.post(f"/admin/subcategories/{sub.id}/delete")
    assert "нельзя удалить" in admin.page(f"/admin/categories/{category.id}")
    admin.post(f"/admin/subcategories/{sub.id}/toggle")
    db.session.expire_all()
    assert sub.active is False


def test_unused_subcategory_is_deleted(admin, ctx):
    category = ctx.category("Сантехника", ("Протечка", "Засор"))
    sub = next(s for s in category.subcategories if s.name == "Засор")
    admin.post(f"/admin/subcategories/{sub.id}/delete")
    db.session.expire_all()
    assert [s.name for s in category.subcategories] == ["Протечка"]


def test_subcategory_used_by_requests_cannot_move_to_another_category(admin, ctx):
    first = ctx.category("Сантехника", ("Протечка",))
    second = ctx.category("Отопление", ())
    ctx.request(category_obj=first)
    sub = first.subcategories[0]
    response = admin.post(f"/admin/subcategories/{sub.id}",
                          {"category_id": second.id, "name": "Протечка", "sort_order": "0", "active": "y"})
    assert "перенести её в другую категорию нельзя" in response.get_data(as_text=True)
    renamed = admin.post(f"/admin/subcategories/{sub.id}",
                         {"category_id": first.id, "name": "Течь", "sort_order": "0", "active": "y"})
    assert renamed.status_code == 302
    db.session.expire_all()
    assert (sub.category_id, sub.name) == (first.id, "Течь")


def test_unused_subcategory_moves(admin, ctx):
    first = ctx.category("Сантехника", ("Батарея",))
    second = ctx.category("Отопление", ())
    sub = first.subcategories[0]
    admin.post(f"/admin/subcategories/{sub.id}", {"category_id": second.id, "name": "Батарея", "sort_order": "0"})
    db.session.expire_all()
    assert sub.category_id == second.id and sub.active is False  # unchecked box: switched off


def test_new_subcategory_page_preselects_the_category(admin, ctx):
    category = ctx.category("Лифт", ())
    html = admin.page(f"/admin/subcategories/new?category={category.id}")
    assert f'<option selected value="{category.id}">Лифт</option>' in html
    response = admin.post("/admin/subcategories/new", {"category_id": "999", "name": "X"})
    assert "Неверный вариант" in response.get_data(as_text=True)


@pytest.mark.parametrize("query,expected", [
    ("", {"Протечка", "Застрял"}),
    ("category={plumbing}", {"Протечка"}),
    ("category=abc", {"Протечка", "Застрял"}),
    ("category=999", set()),
    ("q=застр", {"Застрял"}),
])
def test_subcategory_list_filters(admin, ctx, query, expected):
    plumbing = ctx.category("Сантехника", ("Протечка",))
    ctx.category("Лифт", ("Застрял",))
    html = admin.page("/admin/subcategories?" + query.format(plumbing=plumbing.id), headers=HTMX)
    assert {name for name in ("Протечка", "Застрял") if name in html} == expected


def test_operator_views_but_cannot_change_categories(operator, ctx):
    category = ctx.category("Сантехника", ("Протечка",))
    sub = category.subcategories[0]
    html = operator.page(f"/admin/categories/{category.id}")
    assert "Протечка" in html and "Сохранить" not in html and "Удалить" not in html
    assert operator.page("/admin/subcategories").count("Протечка") == 1
    for url, data in [
        ("/admin/categories/new", {"name": "X"}),
        (f"/admin/categories/{category.id}", {"name": "X"}),
        (f"/admin/categories/{category.id}/toggle", {}),
        (f"/admin/categories/{category.id}/delete", {}),
        (f"/admin/categories/{category.id}/subcategories", {"name": "X"}),
        ("/admin/subcategories/new", {"name": "X"}),
        (f"/admin/subcategories/{sub.id}", {"name": "X"}),
        (f"/admin/subcategories/{sub.id}/toggle", {}),
        (f"/admin/subcategories/{sub.id}/delete", {}),
    ]:
        assert operator.post(url, data).status_code == 403, url
    assert operator.get("/admin/categories/new").status_code == 403
    db.session.expire_all()
    assert category.name == "Сантехника" and category.active and sub.active


@pytest.mark.parametrize("url", ["/admin/categories/999", "/admin/subcategories/999"])
def test_missing_is_404(admin, url):
    assert admin.get(url).status_code == 404


# --- response norms ---------------------------------------------------------------------------

def category_form(name="Сантехника", **fields) -> dict:
    return {"name": name, "sort_order": "0", "active": "y", **fields}


def shown_norm(page: str, name: str) -> tuple[str, str]:
    """The number and the unit a norm's inputs show."""
    number = re.search(rf'<input [^>]*name="{name}"[^>]*>', page).group(0)
    unit = re.search(rf'<select name="{name}_unit".*?</select>', page, re.S).group(0)
    selected = re.search(r'<option value="(\w+)" selected>', unit)
    return re.search(r'value="([^"]*)"', number).group(1), selected and selected.group(1)


def test_administrator_sets_the_norms_of_a_category_in_hours_and_days(admin, ctx):
    category = ctx.category("Сантехника", ("Протечка",))
    response = admin.post(f"/admin/categories/{category.id}", category_form(
        emergency="y", reaction_minutes="2", reaction_minutes_unit="hour",
        completion_minutes="3", completion_minutes_unit="day"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (category.emergency, category.reaction_minutes, category.completion_minutes) == (True, 120, 4320)
    page = admin.page(f"/admin/categories/{category.id}")
    assert "реакция 2 ч · выполнение 3 д" in page
    # The form shows each norm back in the unit it divides into.
    assert shown_norm(page, "reaction_minutes") == ("2", "hour")
    assert shown_norm(page, "completion_minutes") == ("3", "day")

    admin.post(f"/admin/categories/{category.id}", category_form(reaction_minutes="", completion_minutes="90",
                                                                 completion_minutes_unit="min"))
    db.session.expire_all()
    assert (category.emergency, category.reaction_minutes, category.completion_minutes) == (False, None, 90)
    assert "реакция — · выполнение 1 ч 30 мин" in admin.page("/admin/categories")


def test_a_subcategory_overrides_what_it_sets_and_inherits_the_rest(admin, ctx):
    category = ctx.category("Сантехника", ("Протечка", "Засор"))
    category.reaction_minutes, category.completion_minutes = 60, 3 * 1440
    db.session.commit()
    leak = next(s for s in category.subcategories if s.name == "Протечка")
    page = admin.page(f"/admin/subcategories/{leak.id}")
    assert "Пусто — как у категории: 1 ч." in page and "Пусто — как у категории: 3 д." in page
    response = admin.post(f"/admin/subcategories/{leak.id}", {
        "category_id": category.id, "name": "Протечка", "sort_order": "0", "active": "y",
        "emergency": "yes", "reaction_minutes": "10", "reaction_minutes_unit": "min", "completion_minutes": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (leak.emergency, leak.reaction_minutes, leak.completion_minutes) == (True, 10, None)
    rows = admin.page(f"/admin/categories/{category.id}")
    assert "аварийная</span> реакция 10 мин · выполнение 3 д" in rows   # its own, then the category's
    assert "реакция 1 ч · выполнение 3 д" in rows                        # «Засор»: all the category's


@pytest.mark.parametrize("value,unit,message", [
    ("abc", "hour", "Введите целое число."),
    ("1.5", "hour", "Введите целое число."),
    ("0", "min", "от 1 минуты до 365 дней"),
    ("-5", "hour", "от 1 минуты до 365 дней"),
    ("-0", "day", "от 1 минуты до 365 дней"),
    ("366", "day", "от 1 минуты до 365 дней"),
    ("5", "weeks", "Выберите единицу"),
])
def test_a_bad_norm_is_explained_and_nothing_is_saved(admin, ctx, value, unit, message):
    category = ctx.category("Сантехника")
    response = admin.post(f"/admin/categories/{category.id}", category_form(
        name="Водопровод", reaction_minutes=value, reaction_minutes_unit=unit))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert shown_norm(page, "reaction_minutes")[0] == value  # kept as typed, to correct it
    db.session.expire_all()
    assert (category.name, category.reaction_minutes) == ("Сантехника", None)


@pytest.mark.parametrize("value", ["-30", "0"])
def test_a_negative_or_zero_norm_of_a_subcategory_says_the_range(admin, ctx, value):
    category = ctx.category("Сантехника", ("Протечка",))
    [leak] = category.subcategories
    response = admin.post(f"/admin/subcategories/{leak.id}", {
        "category_id": category.id, "name": "Протечка", "sort_order": "0", "active": "y",
        "completion_minutes": value, "completion_minutes_unit": "min"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Срок — от 1 минуты до 365 дней" in page and "Введите целое число" not in page
    assert shown_norm(page, "completion_minutes")[0] == value
    db.session.expire_all()
    assert leak.completion_minutes is None
