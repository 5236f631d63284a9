"""Login, logout, the login wall and CSRF."""
import pytest


def test_login_page_is_public(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Вход для сотрудников" in response.get_data(as_text=True)


def test_login_and_logout(visitor):
    response = visitor.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert visitor.get("/").status_code == 200
    visitor.logout()
    assert visitor.get("/").status_code == 302


def test_wrong_password_is_refused(visitor):
    response = visitor.login(password="wrong")
    assert response.status_code == 200
    assert "Неверный логин или пароль" in response.get_data(as_text=True)
    assert visitor.get("/").status_code == 302


def test_failed_logins_are_throttled(visitor):
    for _ in range(5):
        visitor.login(password="wrong")
    response = visitor.login()  # even the right password waits now
    assert response.status_code == 429
    assert "Слишком много неудачных попыток" in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(visitor, ctx):
    from app.extensions import db

    ctx.staff("operator").active = False
    db.session.commit()
    response = visitor.login("operator")
    assert "Неверный логин или пароль" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(client):
    response = client.post("/login", data={"login": "admin", "password": "admin-secret-1"})
    assert response.status_code == 400
    assert "Форма устарела" in response.get_data(as_text=True)


def test_logout_requires_post_with_csrf(admin):
    assert admin.client.post("/logout").status_code == 400
    assert admin.get("/").status_code == 200  # still signed in


@pytest.mark.parametrize("target,expected", [
    ("/admin/clients", "/admin/clients"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
])
def test_next_parameter_stays_on_site(visitor, target, expected):
    response = visitor.login(query_string={"next": target})
    assert response.headers["Location"] == expected


def test_htmx_request_without_session_gets_hx_redirect(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
