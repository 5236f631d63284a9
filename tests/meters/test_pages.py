"""«Показания»'s pages are read from the index after (before) the row next to them: they hold exactly
the rows OFFSET would give, forwards and backwards, with every filter."""
import re

import pytest

from app.extensions import db
from app.models.meters import RESOURCES
from app.services.meters import month, window
from tests.meters.helpers import meter, reading

ACCOUNTS = ["100001", "99999", "100010", "2", "100002", "1000", "55", "100003"]  # text order ≠ number order


@pytest.fixture
def meters(ctx, app):
    """Eight accounts with one to three meters each; this month some readings, some suspicious."""
    with app.test_request_context():
        period = window.period_of(window.today())
    made = 0
    for i, account in enumerate(ACCOUNTS):
        client = ctx.client(account, street="ул. Ленина" if i % 2 else "пр. Мира", apartment=str(i))
        for k in range(1 + i % 3):
            m = meter(client, resource=("cold", "hot", "power")[k], serial=f"S{made:02d}", initial=(10,))
            if made % 3:
                reading(m, period, 11 + made, source="bot", status="suspicious" if made % 4 == 0 else "accepted")
            made += 1
    return period


FILTERS = [{}, {"state": "submitted"}, {"state": "missing"}, {"state": "attention"}, {"resource": "cold"},
           {"street": "Самара|ул. Ленина"}, {"source": "bot"}]


@pytest.mark.parametrize("args", FILTERS)
def test_pages_after_and_before_a_row_are_the_offset_pages(meters, args):
    filters = month.Filters.parse(args, RESOURCES)
    per_page = 2
    everything = db.session.execute(month.statement(meters, filters)).all()
    offset_pages = [month.page(meters, filters, n, per_page=per_page).rows
                    for n in range(1, len(everything) // per_page + 2)]
    offset_pages = [p for p in offset_pages if p]
    assert [row for rows in offset_pages for row in rows] == everything and everything
    walked = [month.page(meters, filters, per_page=per_page)]
    while walked[-1].more:
        walked.append(month.page(meters, filters, after=month.Cursor.of(walked[-1].rows[-1]), per_page=per_page))
    assert [p.rows for p in walked] == offset_pages
    assert not walked[0].earlier and all(p.earlier for p in walked[1:])
    back = [walked[-1]]
    while back[-1].earlier:
        back.append(month.page(meters, filters, before=month.Cursor.of(back[-1].rows[0]), per_page=per_page))
    assert [p.rows for p in reversed(back)] == offset_pages
    assert all(p.more for p in back[1:])


def test_a_cursor_is_read_back_or_ignored():
    assert month.Cursor.parse("100001|42") == month.Cursor("100001", 42)
    assert str(month.Cursor("100001", 42)) == "100001|42"
    for junk in ("", None, "100001", "|42", "100001|x", "100001|" + "9" * 11, "100001|٤٢"):
        assert month.Cursor.parse(junk) is None


def serials(page: str) -> list[str]:
    return re.findall(r"<td>(S\d\d)</td>", page)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return None if found is None else found.group(1).replace("&amp;", "&")


def test_the_page_links_walk_the_month_as_offset_pages_do(ctx, operator, app, monkeypatch):
    """60 meters over two pages of 50: «Дальше» and «Назад» follow the rows next to them."""
    with app.test_request_context():
        period = window.period_of(window.today())
    for i in range(30):
        client = ctx.client(str(200000 + 7 * i % 30), apartment=str(i))
        for k in range(2):
            m = meter(client, resource=("cold", "hot")[k], serial=f"S{2 * i + k:02d}")
            if k:
                reading(m, period, 101)
    first = operator.page("/meters/?resource=")
    assert "Страница 1" in first and link(first, "prev") is None
    following = link(first, "next")
    assert "after=" in following and "page=2" in following and "resource=" in following
    second = operator.page(following)
    assert "Страница 2" in second and link(second, "next") is None
    assert serials(first) == serials(operator.page("/meters/?page=1"))
    assert serials(second) == serials(operator.page("/meters/?page=2"))
    assert len(serials(first)) == 50 and len(serials(second)) == 10
    assert sorted(serials(first) + serials(second)) == [f"S{i:02d}" for i in range(60)]
    assert serials(operator.page(link(second, "prev"))) == serials(first)
    missing = operator.page("/meters/?state=missing&after=" + "200005%7C0")  # a cursor typed by hand
    assert serials(missing) and all(int(s[1:]) % 2 == 0 for s in serials(missing))
