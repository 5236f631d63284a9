"""Fixtures of the reference-data pages: signed-in browsers and a form poster with CSRF."""
import re

import pytest

from tests.conftest import AuthActions


class Browser:
    """A test client signed in as one staff user; `post` sends the form's CSRF token like a browser.

    Each request runs in its own app context, as in production: otherwise the test's
    context (the `ctx` fixture) would share `g`, the signed-in user and the session
    across requests and hide bugs.
    """

    def __init__(self, app, login):
        self.app = app
        self.client = app.test_client()
        self._token = None
        with app.app_context():
            AuthActions(self.client).login(login)

    def open(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.open(*args, **kwargs)

    def token(self) -> str:
        if self._token is None:
            page = self.open("/admin/clients").get_data(as_text=True)
            self._token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        return self._token

    def get(self, url, **kwargs):
        return self.open(url, method="GET", **kwargs)

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.open(url, method="POST", data=data, **kwargs)

    def text(self, url, **kwargs) -> str:
        response = self.get(url, **kwargs)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)


@pytest.fixture
def admin(app, ctx):
    """Signed in as the administrator; the test itself holds an app context (`ctx`)."""
    return Browser(app, "admin")


@pytest.fixture
def operator(app, ctx):
    """Signed in as the operator (dispatcher)."""
    return Browser(app, "operator")
