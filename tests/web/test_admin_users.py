"""Staff users: administrators only; passwords hashed; nobody locks the system out."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import StaffUser
from tests.conftest import StaffClient

HTMX = {"HX-Request": "true"}
NEW = {"login": "dispatcher2", "full_name": "Орлова Ирина", "role": "operator", "active": "y",
       "password": "long-enough-1", "password2": "long-enough-1"}


def _user(login):
    return db.session.execute(select(StaffUser).where(StaffUser.login == login)).scalar_one_or_none()


@pytest.mark.parametrize("method,url", [
    ("get", "/admin/users"), ("get", "/admin/users/new"), ("post", "/admin/users/new"),
    ("get", "/admin/users/1"), ("post", "/admin/users/1"), ("post", "/admin/users/1/delete"),
])
def test_operators_get_403(operator, method, url):
    response = operator.get(url) if method == "get" else operator.post(url, NEW)
    assert response.status_code == 403
    assert "только администратору" in response.get_data(as_text=True)


def test_operator_has_no_users_link(operator):
    assert "/admin/users" not in operator.page("/admin/clients")


@pytest.mark.parametrize("headers,full", [({}, True), (HTMX, False)])
def test_list_page_or_fragment(admin, ctx, headers, full):
    response = admin.get("/admin/users?q=опер", headers=headers)
    html = response.get_data(as_text=True)
    assert "Олег Оператор" in html and "Найдено: 1" in html
    assert f'href="/admin/users/{ctx.staff("admin").id}"' not in html
    assert ("<html" in html) is full


def test_role_filter(admin):
    html = admin.page("/admin/users?role=admin", headers=HTMX)
    assert "Анна Администратор" in html and "Олег Оператор" not in html


def test_create_user_with_hashed_password_who_can_log_in(app, admin):
    response = admin.post("/admin/users/new", NEW)
    assert response.status_code == 302
    user = _user("dispatcher2")
    assert user.role == "operator" and user.active
    assert "long-enough-1" not in user.password_hash and user.check_password("long-enough-1")
    assert StaffClient(app).login("dispatcher2", "long-enough-1").status_code == 302


@pytest.mark.parametrize("changes,message", [
    ({"password": "short", "password2": "short"}, "не короче 8 символов"),
    ({"password": "aaaa1111", "password2": "aaaa1111"}, "Пароль слишком простой"),  # the profile page's rule too
    ({"password": "", "password2": ""}, "Укажите пароль"),
    ({"password2": "different-1"}, "Пароли не совпадают"),
    ({"login": "OPERATOR"}, "Такой логин уже есть"),
    ({"login": "диспетчер"}, "Только латинские буквы"),
    ({"login": ""}, "Укажите логин"),
    ({"full_name": ""}, "Укажите ФИО"),
    ({"role": "root"}, "Неверный вариант"),
])
def test_create_rejects_bad_input(admin, changes, message):
    response = admin.post("/admin/users/new", {**NEW, **changes})
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(StaffUser.login).order_by(StaffUser.login)).scalars().all() == [
        "admin", "operator"]


def test_edit_without_password_keeps_it(admin, ctx):
    user = ctx.staff("operator")
    old_hash = user.password_hash
    response = admin.post(f"/admin/users/{user.id}", {
        "login": "operator", "full_name": "Олег Петрович", "role": "operator", "active": "y",
        "password": "", "password2": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert user.full_name == "Олег Петрович" and user.password_hash == old_hash


def test_admin_resets_a_password(admin, ctx):
    user = ctx.staff("operator")
    admin.post(f"/admin/users/{user.id}", {"login": "operator", "full_name": "Олег", "role": "operator",
                                           "active": "y", "password": "brand-new-pass", "password2": "brand-new-pass"})
    db.session.expire_all()
    assert user.check_password("brand-new-pass")


def test_deactivated_user_loses_the_open_session(ctx, admin, operator):
    assert operator.get("/admin/clients").status_code == 200
    user = ctx.staff("operator")
    admin.post(f"/admin/users/{user.id}", {"login": "operator", "full_name": "Олег", "role": "operator"})
    db.session.expire_all()
    assert user.active is False
    assert operator.get("/admin/clients").status_code == 302


@pytest.mark.parametrize("changes,message", [
    ({"active": ""}, "Нельзя отключить собственную учётную запись"),
    ({"role": "operator"}, "хотя бы один активный администратор"),
])
def test_the_only_admin_cannot_lock_themselves_out(admin, ctx, changes, message):
    me = ctx.staff("admin")
    data = {"login": "admin", "full_name": "Анна", "role": "admin", "active": "y", **changes}
    data = {k: v for k, v in data.items() if v}
    response = admin.post(f"/admin/users/{me.id}", data)
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert me.role == "admin" and me.active


def test_admin_may_step_down_when_another_admin_remains(admin, ctx):
    other = ctx.staff("operator")
    other.role = "admin"
    db.session.commit()
    me = ctx.staff("admin")
    response = admin.post(f"/admin/users/{me.id}", {"login": "admin", "full_name": "Анна", "role": "operator",
                                                   "active": "y"})
    assert response.headers["Location"] == "/"
    assert admin.get("/admin/users").status_code == 403


def test_last_active_admin_cannot_be_demoted_by_another_route(admin, ctx):
    """Two admins, one inactive: the active one still cannot demote themselves."""
    other = ctx.staff("operator")
    other.role, other.active = "admin", False
    db.session.commit()
    me = ctx.staff("admin")
    response = admin.post(f"/admin/users/{me.id}", {"login": "admin", "full_name": "Анна", "role": "operator",
                                                   "active": "y"})
    assert "хотя бы один активный администратор" in response.get_data(as_text=True)


def test_cannot_delete_yourself(admin, ctx):
    me = ctx.staff("admin")
    assert "Удалить" not in admin.page(f"/admin/users/{me.id}")
    admin.post(f"/admin/users/{me.id}/delete")
    assert _user("admin") is not None


def test_user_with_history_cannot_be_deleted(admin, ctx):
    user = ctx.staff("operator")
    ctx.request(actor=user, source="phone")
    admin.post(f"/admin/users/{user.id}/delete")
    assert "удалить его нельзя" in admin.page(f"/admin/users/{user.id}")
    assert _user("operator") is not None


def test_unused_user_is_deleted(admin, ctx):
    user = ctx.staff("operator")
    response = admin.post(f"/admin/users/{user.id}/delete", headers=HTMX)
    assert response.headers["HX-Redirect"] == "/admin/users"
    assert _user("operator") is None


def test_missing_user_is_404(admin):
    assert admin.get("/admin/users/999").status_code == 404
