"""Fixtures of the journal tests: seeded requests and a signed-in dispatcher."""
import re

import pytest

from tests.journal.seed import seed_journal

ROW_NUMBER = re.compile(r'<td class="c-number"><a href="/requests/\d+">(\d+)</a>')


@pytest.fixture
def journal(app):
    with app.app_context():
        return seed_journal()


class Staff:
    """A test client signed in as a staff user, posting forms with their CSRF token."""

    def __init__(self, client):
        self.client = client
        self._token = None

    @property
    def token(self) -> str:
        if self._token is None:
            page = self.client.get("/requests/new").get_data(as_text=True)
            self._token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        return self._token

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kwargs)

    def page(self, url, **kwargs) -> str:
        response = self.client.get(url, **kwargs)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    def numbers(self, url, **kwargs) -> list[int]:
        """Request numbers of the journal rows, top to bottom."""
        return [int(n) for n in ROW_NUMBER.findall(self.page(url, **kwargs))]


@pytest.fixture
def staff(client, auth):
    auth.login("operator")
    return Staff(client)
