"""Fixtures of the reference-data pages: signed-in clients and a form poster with CSRF."""
import re

import pytest


class Browser:
    """A test client signed in as one staff user; `post` sends the form's CSRF token like a browser."""

    def __init__(self, client):
        self.client = client
        self._token = None

    def token(self) -> str:
        if self._token is None:
            page = self.client.get("/admin/clients").get_data(as_text=True)
            self._token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        return self._token

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kwargs)

    def text(self, url, **kwargs) -> str:
        response = self.client.get(url, **kwargs)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return Browser(client)


@pytest.fixture
def operator(client, auth):
    auth.login("operator")
    return Browser(client)
