"""Error pages leak nothing; redirects stay on this site whatever the Host header or `next=` says."""
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy.exc import IntegrityError

from tests.conftest import StaffClient

SECRET = "SELECT password_hash FROM staff_users -- s3cr3t"


def _raise(error):
    def view(*args, **kwargs):
        raise error
    return view


@pytest.mark.sqlite_only  # the error pages do not depend on the database
@pytest.mark.parametrize("error", [
    RuntimeError(SECRET),
    KeyError(SECRET),
    IntegrityError(SECRET, {"password": "s3cr3t"}, Exception("duplicate key s3cr3t")),
])
def test_unexpected_error_shows_a_plain_page_and_is_logged(app, admin, caplog, error):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production (tests let errors through)
    app.view_functions["journal.index"] = _raise(error)  # a bug in a view, without adding a route
    for headers in ({}, {"HX-Request": "true"}):
        response = admin.get("/", headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Ошибка сервера" in html and "Что-то пошло не так" in html
        for leak in ("s3cr3t", "password_hash", "Traceback", type(error).__name__, 'File "', "site-packages"):
            assert leak not in html, leak
    assert "s3cr3t" in caplog.text  # the administrator finds the details in the log


def test_not_found_page_does_not_echo_the_url(admin):
    response = admin.get("/<script>alert(1)</script>/x")
    assert response.status_code == 404 and "<script>alert(1)" not in response.get_data(as_text=True)


def browser_reading(location: str):
    """How a browser reads a Location header: outer spaces and controls dropped, tabs and
    newlines removed anywhere, a backslash taken for a slash (WHATWG URL parsing)."""
    text = re.sub(r"[\t\n\r]", "", location.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                                  "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
                                                  "\x1d\x1e\x1f "))
    return urlsplit(text.replace("\\", "/"))


NEXT_BYPASSES = [
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\t/evil.example", " //evil.example",
    "/%09/evil.example", "%2F%2Fevil.example", "///evil.example", "https:evil.example", "https:/evil.example",
    "javascript:alert(1)", "\x01//evil.example", "/\\/evil.example", "/.//evil.example",
]


@pytest.mark.sqlite_only
def test_login_next_never_leaves_the_site(app):
    """Bypass variants of `next=` (the plain ones are in tests/web/test_auth.py)."""
    for target in NEXT_BYPASSES:
        response = StaffClient(app).login(query_string={"next": target})
        assert response.status_code == 302
        read = browser_reading(response.headers["Location"])
        assert (read.scheme, read.netloc) == ("", ""), (target, response.headers["Location"])


@pytest.mark.sqlite_only
def test_redirects_ignore_a_hostile_host_header(client):
    hostile = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    response = client.get("/admin/clients", headers=hostile)
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    assert response.headers["Location"].startswith("/login")

    response = client.get("/login", headers=hostile)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)
    response = client.post("/login", headers=hostile, data={
        "login": "admin", "password": "admin-secret-1", "csrf_token": token})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    assert "evil" not in client.get("/login", headers=hostile).get_data(as_text=True)
