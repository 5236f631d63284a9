"""Fixtures of the dashboard tests."""
import pytest

from tests.dashboard import seed


@pytest.fixture
def history(app, monkeypatch):
    """150 requests of ten weeks in 2024, filed and moved through the real services; the clock stays
    frozen at their end (seed.NOW), so "overdue now" is counted then."""
    return seed.history(app, monkeypatch)
