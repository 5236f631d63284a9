"""Login, logout, the login wall and CSRF."""
import pytest

from tests.conftest import csrf_token


def test_login_page_is_public(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Вход для сотрудников" in response.get_data(as_text=True)


def test_login_and_logout(client, auth):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client, auth):
    response = auth.login(password="wrong")
    assert response.status_code == 200
    assert "Неверный логин или пароль" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_failed_logins_are_throttled(client, auth):
    for _ in range(5):
        auth.login(password="wrong")
    response = auth.login()  # even the right password waits now
    assert response.status_code == 429
    assert "Слишком много неудачных попыток" in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(app, client, auth, ctx):
    from app.extensions import db

    ctx.staff("operator").active = False
    db.session.commit()
    response = auth.login("operator")
    assert "Неверный логин или пароль" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(client):
    response = client.post("/login", data={"login": "admin", "password": "admin-secret-1"})
    assert response.status_code == 400
    assert "Форма устарела" in response.get_data(as_text=True)


def test_logout_requires_post_with_csrf(client, auth):
    auth.login()
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in


@pytest.mark.parametrize("target,expected", [
    ("/admin/clients", "/admin/clients"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
])
def test_next_parameter_stays_on_site(client, target, expected):
    client.get("/login")
    token = csrf_token(client)
    response = client.post(f"/login?next={target}", data={
        "login": "admin", "password": "admin-secret-1", "csrf_token": token})
    assert response.headers["Location"] == expected


def test_htmx_request_without_session_gets_hx_redirect(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
