"""«Профиль»: every staff member changes their own name and password (app/auth/profile.py)."""
import re

import pytest

from app.extensions import db
from tests.conftest import OPERATOR_PASSWORD, StaffClient

NEW_PASSWORD = "brand-new-pass-1"
CHANGE = {"full_name": "Олег Оператор", "current_password": OPERATOR_PASSWORD,
          "password": NEW_PASSWORD, "password2": NEW_PASSWORD}


def header_name(html: str) -> str:
    return re.search(r'<div class="userbox">\s*<a href="/profile"[^>]*>([^<]*)</a>', html).group(1)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/profile")


@pytest.mark.parametrize("login,name", [("operator", "Олег Оператор"), ("admin", "Анна Администратор")])
def test_every_role_has_the_page_linked_from_the_header(staff_client, login, name):
    browser = staff_client(login)
    assert header_name(browser.page("/")) == name
    html = browser.page("/profile")
    assert f'value="{name}"' in html and f"Логин: {login}" in html


def test_a_new_name_is_saved_and_shown_in_the_header(operator, ctx):
    response = operator.post("/profile", {"full_name": "  Олег   Петрович  "})
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    html = operator.page("/profile")
    assert "Изменения сохранены." in html and header_name(html) == "Олег Петрович"
    db.session.expire_all()
    assert ctx.staff("operator").full_name == "Олег Петрович"
    assert ctx.staff("operator").check_password(OPERATOR_PASSWORD)


@pytest.mark.parametrize("changes,message", [
    ({"current_password": "wrong-password"}, "Неверный текущий пароль."),
    ({"current_password": ""}, "Введите текущий пароль, чтобы сменить его."),
    ({"password": "short-1", "password2": "short-1"}, "Пароль — не короче 8 символов."),
    ({"password": "12121212", "password2": "12121212"}, "Пароль слишком простой: нужно хотя бы 4 разных символа."),
    ({"password2": "another-pass-1"}, "Пароли не совпадают."),
    ({"full_name": " "}, "Укажите ФИО."),
])
def test_bad_input_changes_nothing_and_says_why(operator, ctx, changes, message):
    response = operator.post("/profile", {**CHANGE, "full_name": "Новое Имя", **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    if changes.get("full_name") != " ":
        assert 'value="Новое Имя"' in html  # what was typed is kept
    db.session.expire_all()
    user = ctx.staff("operator")
    assert user.full_name == "Олег Оператор" and user.check_password(OPERATOR_PASSWORD)
    assert operator.is_signed_in()


def test_wrong_current_passwords_are_throttled_like_sign_ins(app, operator, ctx):
    """A session left open is no way to guess its user's password."""
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        operator.post("/profile", {**CHANGE, "current_password": "wrong-password"})
    html = operator.post("/profile", CHANGE).get_data(as_text=True)
    assert "Слишком много неудачных попыток" in html
    db.session.expire_all()
    assert ctx.staff("operator").check_password(OPERATOR_PASSWORD)


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, staff_client):
    here = staff_client("operator", remember=True)
    desk = staff_client("operator")
    home = staff_client("operator", remember=True)
    home.close()
    response = here.post("/profile", CHANGE)
    assert response.status_code == 302
    assert "Пароль изменён." in here.page("/profile")
    assert not desk.is_signed_in()
    assert not home.is_signed_in()
    here.close()
    assert here.is_signed_in()  # its remember-me cookie was renewed with the new token
    assert StaffClient(app).login("operator", OPERATOR_PASSWORD).status_code == 200  # refused
    assert StaffClient(app).login("operator", NEW_PASSWORD).status_code == 302
