"""Fixtures of the announcement tests: the residents of tests/announcements/data.py."""
import pytest

from tests.announcements.data import seed_residents


@pytest.fixture
def residents(ctx):
    return seed_residents()
