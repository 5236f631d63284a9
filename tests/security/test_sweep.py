"""Security sweep over the whole URL map: sessions, CSRF, cookies, headers."""
import re

import pytest

from app import create_app
from tests.conftest import base_config


# Answered without a session, for monitoring (app/health.py): /healthz says up or down and nothing
# about the data; /metrics refuses every address until METRICS_ALLOWED lists it (it is empty here).
MONITORING = {"health.healthz": {("GET", 200), ("GET", 503)}, "health.metrics": {("GET", 403)}}


def concrete_urls(app, methods):
    """Every rule of the URL map answering one of `methods`, with sample argument values."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
        url = re.sub(r"<path:[a-z_]+>", "x.jpg", url)
        url = re.sub(r"<[a-z]+:[a-z_]+>", "1", url)
        for method in sorted(rule.methods & set(methods)):
            yield rule.endpoint, method, url


def test_every_url_without_session_goes_to_login(app, client):
    seen = 0
    for endpoint, method, url in concrete_urls(app, {"GET", "POST", "PUT", "PATCH", "DELETE"}):
        if endpoint == "auth.login":
            continue
        response = client.open(url, method=method)
        if endpoint in MONITORING:
            assert (method, response.status_code) in MONITORING[endpoint], (endpoint, method, response.status_code)
            assert "zhkh_requests" not in response.get_data(as_text=True)  # no figures of the company's work
            continue
        # A POST without session is stopped by CSRF (400) or by the login wall (302): never served.
        assert response.status_code in (302, 400), (endpoint, method, url, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), (endpoint, url)
        seen += 1
    assert seen >= 5


def test_every_form_post_without_csrf_token_is_rejected(app, admin):
    posts = [(e, u) for e, m, u in concrete_urls(app, {"POST", "PUT", "PATCH", "DELETE"})]
    assert posts, "the app has forms"
    for endpoint, url in posts:
        response = admin.client.post(url, data={"name": "x"})
        assert response.status_code == 400, (endpoint, url, response.status_code)
    assert admin.get("/").status_code == 200  # still signed in: nothing was changed


def test_htmx_post_with_header_token_is_accepted_by_csrf(admin):
    token = re.search(r'"X-CSRFToken": "([^"]+)"', admin.page("/")).group(1)  # what base.html gives htmx
    response = admin.client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_flags(database_url, tmp_path, secure):
    config = base_config(tmp_path, database_url)
    config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)
    app = create_app(config)
    client = app.test_client()
    response = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure
    assert token


def test_security_headers_on_every_page(app, admin):
    for endpoint, method, url in concrete_urls(app, {"GET"}):
        response = admin.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, endpoint
        assert "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.status_code != 500, (endpoint, url)
