"""Russian numerals with their nouns (app.plural)."""
import pytest

from app.plural import count, plural

FORMS = ("сообщение", "сообщения", "сообщений")


@pytest.mark.parametrize("n, expected", [
    (0, "0 сообщений"), (1, "1 сообщение"), (2, "2 сообщения"), (4, "4 сообщения"), (5, "5 сообщений"),
    (11, "11 сообщений"), (12, "12 сообщений"), (14, "14 сообщений"), (21, "21 сообщение"),
    (22, "22 сообщения"), (25, "25 сообщений"), (101, "101 сообщение"), (111, "111 сообщений"),
    (151, "151 сообщение"), (199, "199 сообщений"), (1004, "1004 сообщения"),
])
def test_count(n, expected):
    assert count(n, *FORMS) == expected


def test_plural_of_negative_numbers_follows_the_absolute_value():
    assert plural(-3, *FORMS) == "сообщения"
