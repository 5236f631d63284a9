"""The journal at a million requests (issue 13): its count, deep pages and the phone filter take
faster paths; each must give exactly what the plain SQL gives, on both engines.

- the count (app/journal/total.py): SQLite counts text searches in the search index alone;
  PostgreSQL shows an estimate, said as one, where an exact count would be slow;
- a deep page finds its ids first, then reads its rows (query.DEFER_FROM);
- the phone filter goes through the search index (migration 0012).
"""
import re

import pytest
from sqlalchemy import event, func, select, text
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.journal import query, total
from app.journal.columns import visible_columns
from app.models import Request
from tests import factories
from tests.journal.conftest import ROW_NUMBER
from tests.journal.seed import seed_journal
from tests.journal.test_export import run_export

HTMX = {"HX-Request": "true", "HX-Target": "journal-body"}
FOUND = re.compile(r'Найдено:\s*<b[^>]*>\s*([^<]+)</b>')
PHONES = ["+79123456789", "+79129120000", "+79001112233", "+78129876543", "+74959120912", "+79991234567", ""]
DIGITS = ["9", "91", "912", "8912", "89123456789", "79123456789", "8 912 345-67-89", "+7 (912) 912",
          "0912", "2233", "000", "12345", "99912", "4959120912", "1", "55555"]


def found(html: str) -> str:
    """The count as the page says it: «12», «около 1 000 000», «больше 1 000»."""
    match = FOUND.search(html)
    return match.group(1).replace("\u202f", " ").strip() if match else "0"


def plain_count(where: str, **params) -> int:
    return db.session.execute(text(f"SELECT count(*) FROM requests WHERE {where}"), params).scalar_one()


# --- the phone filter ---------------------------------------------------------------------

@pytest.fixture(params=["matches first", "sort index first"])
def page_plan(request, monkeypatch):
    """Both ways a page of a search is read (query.PROBE_ABOVE): they must show the same rows."""
    if request.param == "sort index first":
        monkeypatch.setattr(query, "PROBE_ABOVE", 0)


def test_the_phone_filter_finds_what_the_scan_found(app, staff, page_plan):
    """Digits anywhere in the number, as `contact_phone LIKE '%digits%'` found them before the index."""
    from app.services.people.phones import search_digits

    with app.app_context():
        category = factories.category()
        for i, phone in enumerate(PHONES * 3):
            factories.request(factories.client(f"40000{i}", f"Житель {i}", phone=phone), category)
        numbers = dict(db.session.execute(select(Request.number, Request.contact_phone)).all())
        wrong = []
        for typed in DIGITS:
            digits = search_digits(typed)
            html = staff.page("/", query_string={"phone": typed, "per_page": "200"}, headers=HTMX)
            got = {int(n) for n in ROW_NUMBER.findall(html)}
            old = set(db.session.execute(text("SELECT number FROM requests WHERE contact_phone LIKE :p"),
                                         {"p": f"%{digits}%"}).scalars())
            if got != old or got != {n for n, phone in numbers.items() if digits in phone}:
                wrong.append((typed, sorted(got), sorted(old)))
            elif found(html) != (str(len(old)) if old else "0"):
                wrong.append((typed, found(html), len(old)))
    assert not wrong
    assert sum(bool(ROW_NUMBER.findall(staff.page("/", query_string={"phone": d}, headers=HTMX)))
               for d in DIGITS) >= 10  # most terms do find rows


def test_phone_digits_are_in_the_search_index(app):
    from app.search import INDEXED, text_contains

    assert "contact_phone" in INDEXED
    with app.app_context():
        compiled = str(select(Request.id).where(text_contains(Request.contact_phone, "912")).compile(db.engine))
        assert ("requests_search MATCH" in compiled) == (db.engine.dialect.name == "sqlite"), compiled


# --- the count ----------------------------------------------------------------------------

COMBINATIONS = [
    ({"client": "петрова"}, "lower(client_full_name) LIKE '%петрова%'"),
    ({"street": "ленина", "client": "иван"}, "lower(street) LIKE '%ленина%' AND lower(client_full_name) LIKE '%иван%'"),
    ({"phone": "912", "description": "засор"}, "contact_phone LIKE '%912%' AND lower(description) LIKE '%засор%'"),
    ({"description": "обычная", "status": "new"}, "lower(description) LIKE '%обычная%' AND status = 'new'"),
    ({"client": "ив"}, "lower(client_full_name) LIKE '%ив%'"),  # too short for the index: the scan
    ({}, "1 = 1"),
]


@pytest.mark.parametrize("params, where", COMBINATIONS)
def test_the_count_is_the_plain_count(app, staff, params, where):
    """On a small database every count is exact, whichever way it is taken."""
    with app.app_context():
        seed_journal(extra=40)
        expected = plain_count(where)
        state = query.parse_state(MultiDict(params), query.load_choices())
        counted = total.count(state, app.config["TZ"])
        assert (counted.value, counted.exact) == (expected, True)
    assert found(staff.page("/", query_string=params)) == (str(expected) if expected else "0")


def test_sqlite_counts_text_searches_in_the_search_index_alone(app):
    from app.search import count_matching, ids_matching

    with app.app_context():
        seed_journal()
        statement = count_matching([(Request.street, "ленина"), (Request.contact_phone, "912")])
        if db.engine.dialect.name != "sqlite":
            assert statement is None
            return
        compiled = " ".join(str(statement.compile(db.engine)).split())
        assert compiled.endswith("FROM requests_search WHERE requests_search MATCH ?"), compiled
        assert db.session.execute(statement).scalar_one() == plain_count(
            "lower(street) LIKE '%ленина%' AND contact_phone LIKE '%912%'") > 0
        assert count_matching([(Request.street, "ле")]) is None  # no trigram: the scan counts
        assert count_matching([(Request.house, "123")]) is None  # not indexed
        # Few matches: the count reads their ids once, and the page is read by them.
        state = query.parse_state(MultiDict({"client": "петрова"}), query.load_choices())
        counted = total.count(state, app.config["TZ"])
        plain = db.session.execute(text("SELECT id FROM requests WHERE lower(client_full_name) LIKE '%петрова%'"))
        assert sorted(counted.ids) == sorted(plain.scalars()) and counted.value == len(counted.ids) > 0
        assert sorted(db.session.execute(ids_matching([(Request.street, "ленина")], 2)).scalars()) == \
            sorted(db.session.execute(text("SELECT id FROM requests WHERE street LIKE '%Ленина%' LIMIT 2")).scalars())


@pytest.fixture
def estimating(app, monkeypatch):
    """PostgreSQL estimating every count beyond 5 matches, as it does beyond 1 000 on a big database."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("only PostgreSQL estimates counts")
        seed_journal(extra=51)  # 60 requests
        db.session.execute(text("ANALYZE requests"))
        db.session.commit()
    monkeypatch.setattr(total, "EXACT_COST", -1.0)
    monkeypatch.setattr(total, "EXACT_UP_TO", 5)


def test_an_estimated_count_is_said_as_one_and_the_pages_still_work(app, staff, estimating):
    first = staff.page("/?per_page=25")
    assert re.fullmatch(r"около \d+", found(first)), found(first)
    assert "точное число строк — в выгрузке Excel" in first and "показаны 1–25" in first
    assert 'href="/?per_page=25&amp;page=2"' in first
    seen = staff.numbers("/?per_page=25") + staff.numbers("/?per_page=25&page=2")
    last = staff.page("/?per_page=25&page=3")
    seen += [int(n) for n in ROW_NUMBER.findall(last)]
    assert len(seen) == 60 and len(set(seen)) == 60
    assert found(last) == "60" and "показаны 51–60" in last  # the last page knows the count exactly
    # Past the end: the exact count finds the last page, as without estimates.
    assert staff.numbers("/?per_page=25&page=99") == staff.numbers("/?per_page=25&page=3")


def test_an_estimate_lower_than_what_was_found_says_more_than(app, staff, estimating, monkeypatch):
    """The planner expects 3 rows, the first 31 were found: «больше 30», not «около 3»."""
    monkeypatch.setattr(total, "EXACT_UP_TO", 30)
    monkeypatch.setattr(total, "planner_estimate", lambda statement: (1e9, 3))
    with app.app_context():
        state = query.parse_state(MultiDict(), query.load_choices())
        assert total.count(state, app.config["TZ"]) == total.Total(30, total.OVER)
    assert found(staff.page("/")) == "больше 30"


def test_the_first_matches_are_counted_with_text_priced_as_it_costs(app, estimating):
    """The bounded count runs with lower() priced higher (total.FOLDING_COST), and only it."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT count(*)"):  # what the setting is as each count runs
            seen.append((" LIMIT " in statement, cursor.connection.execute("SHOW cpu_operator_cost").fetchone()[0]))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            state = query.parse_state(MultiDict({"description": "обычная"}), query.load_choices())
            assert total.count(state, app.config["TZ"]).kind == total.ABOUT
            assert db.session.execute(state.count_statement(app.config["TZ"])).scalar_one() == 51
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert seen == [(True, total.FOLDING_COST), (False, "0.0025")]


def test_the_export_states_the_exact_number(app, staff, estimating):
    assert found(staff.page("/")).startswith("около")
    status = staff.page(f"/journal/export/{run_export(staff)}")
    assert "Файл готов: 60 строк" in status


def test_an_estimate_is_rounded_to_what_it_knows():
    assert [total.rounded(n) for n in (7, 99, 1234, 9644, 61565, 1_000_000, 999_999)] == \
        [7, 99, 1200, 9600, 62000, 1_000_000, 1_000_000]


# --- deep pages ---------------------------------------------------------------------------

SORTS = ["-created_at", "created_at", "-number", "client", "category", "-executor", "-updated_at", "status",
         "-overdue"]
FILTERS = [{}, {"status": "open"}, {"description": "обычная"}, {"phone": "912"}]


@pytest.mark.parametrize("sort", SORTS)
def test_a_deep_page_is_the_offset_page(app, monkeypatch, sort):
    """Ids first, then their rows (query.DEFER_FROM): the same rows in the same order as OFFSET gives."""
    with app.app_context():
        seed_journal(extra=51)
        db.session.execute(text("UPDATE requests SET updated_at = created_at WHERE id % 3 = 0"))  # ties
        db.session.commit()
        tz = app.config["TZ"]
        columns = visible_columns(None)
        for params in FILTERS:
            for page in (1, 2, 3, 4):
                state = query.parse_state(MultiDict({**params, "sort": sort, "per_page": "25", "page": str(page)}),
                                          query.load_choices())
                monkeypatch.setattr(query, "DEFER_FROM", 10**9)
                plain = db.session.execute(state.page_statement(columns, tz)).all()
                monkeypatch.setattr(query, "DEFER_FROM", 0)
                deferred = state.page_statement(columns, tz)
                assert " IN (SELECT requests.id" in str(deferred.compile(db.engine))
                assert db.session.execute(deferred).all() == plain, (params, page)
                assert len(plain) == max(0, min(25, plain_count_of(state, tz) - 25 * (page - 1)))


def plain_count_of(state, tz) -> int:
    return db.session.execute(state.count_statement(tz)).scalar_one()


def test_page_two_thousand_of_the_journal_is_its_offset_page(app, staff, monkeypatch):
    """Through the page: with DEFER_FROM low, every page shows what plain SQL's OFFSET shows."""
    monkeypatch.setattr(query, "DEFER_FROM", 1)
    with app.app_context():
        seed_journal(extra=51)
        ordered = db.session.execute(select(Request.number).order_by(Request.created_at.desc(),
                                                                     Request.id.desc())).scalars().all()
        assert db.session.execute(select(func.count()).select_from(Request)).scalar_one() == 60
    for page in (1, 2, 3):
        assert staff.numbers(f"/?per_page=25&page={page}") == ordered[25 * (page - 1):25 * page]
