"""Fixtures of the journal tests: seeded requests and a signed-in dispatcher."""
import re

import pytest

from tests.conftest import StaffClient
from tests.journal.seed import seed_deadline_cases, seed_journal

ROW_NUMBER = re.compile(r'<td class="c-number"><a href="/requests/\d+">(\d+)</a>')


@pytest.fixture
def journal(app):
    with app.app_context():
        return seed_journal()


@pytest.fixture
def cases(app):
    """Requests late, due soon, in time, done late, without a norm, emergency: key -> (id, number)."""
    with app.app_context():
        return seed_deadline_cases()


class Dispatcher(StaffClient):
    """A staff browser that also reads the journal's rows."""

    def numbers(self, url, **kwargs) -> list[int]:
        """Request numbers of the journal rows, top to bottom."""
        return [int(n) for n in ROW_NUMBER.findall(self.page(url, **kwargs))]


@pytest.fixture
def staff(app):
    """Signed in as the operator (dispatcher)."""
    return Dispatcher.signed_in(app, "operator")
