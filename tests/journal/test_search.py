"""The journal's text filters through the trigram index (app/search.py, migration 0003).

Whatever the index does, a text filter must show exactly the rows whose text contains the
typed term in any letter case, as the plain scan did: checked here against Python's
`term.lower() in value.lower()` on both backends.
"""
import re
import sqlite3
from collections import defaultdict

import pytest
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.journal import query
from app.journal.columns import visible_columns
from app.search import INDEXED, index_can_answer, match_query
from app.models import Request
from tests import factories

ROW_NUMBER = re.compile(r'<td class="c-number"><a href="/requests/\d+">(\d+)</a>')
HTMX = {"HX-Request": "true", "HX-Target": "journal-body"}

# client full name, city, street, description
ROWS = [
    ("Иванова Анна Петровна", "Самара", "ул. Ленина", 'Течёт кран "на кухне"'),
    ("ПЕТРОВ Иван Ильич", "Тольятти", "пр. Ленина", "Протечка в ПОДВАЛЕ, срочно"),
    ("Ёлкина Алёна", "Самара", "ул. Садовая", "Скидка 50% и under_score, 100%_"),
    ("Smith John", "Сызрань", "Ново-Садовая", "* OR NEAR(a b) col: x -y ^z AND"),
    ("Елкин Семён", "Самара", "ул. Мира", "ёжик в подвале; ежик на чердаке"),
    ("O'Brien «Ёж»", "Самара", 'ул. "Красная"', 'описание: подвал сухой, "" кавычки'),
]
FIELDS = {"client": "client_full_name", "city": "city", "street": "street", "description": "description"}

TERMS = [
    # Cyrillic in any case, whole words and the middle of a word; ё is not е, as before
    "иванова", "ИВАН", "иВаН", "ванов", "ПЕТР", "подвал", "ПОДВАЛЕ", "вал", "ёлк", "ЁЛКИНА", "елк", "ёж",
    "ежик", "ёжик", "алёна", "ленина", "садовая", "ново-", "самар", "тол", "ул. ", "нет такого",
    # FTS5 query syntax must stay literal text
    '"', '"на', 'кран "на кухне"', '""', '"" к', "*", "* or", "OR", "or near", "near(a b)", "NEAR(",
    "col:", "col: x", "описание:", ":", "-y", "x -y", "-", "^z", "y ^z", "^", "and", "x -y ^",
    # LIKE wildcards must stay literal text
    "%", "50%", "0% и", "%_", "0%_", "_", "under_", "r_s",
    # one and two characters (no trigram): the scan
    "и", "ив", "ИВ", "a", "ё",
    # Latin with "i" or "s" (the scan, see search.py), quotes
    "smith", "brien", "'", "o'b", "«ёж»",
]


@pytest.fixture(params=["matches first", "sort index first"])
def page_plan(request, monkeypatch):
    """Both ways a page of a text search is read (query.PROBE_ABOVE): they must show the same rows."""
    if request.param == "sort index first":
        monkeypatch.setattr(query, "PROBE_ABOVE", 0)


def seed() -> dict[int, tuple]:
    """ROWS as requests (through the service, as the bot and the form file them): number -> texts."""
    category = factories.category()
    out = {}
    for i, (name, city, street, description) in enumerate(ROWS):
        client = factories.client(f"30000{i}", name, city=city, street=street)
        req = factories.request(client, category, description=description)
        out[req.number] = (name, city, street, description)
    return out


def shown(staff, **filters) -> set[int]:
    html = staff.page("/", query_string={**filters, "per_page": "200"}, headers=HTMX)
    return {int(n) for n in ROW_NUMBER.findall(html)}


def expected(rows: dict, key: str, term: str) -> set[int]:
    index = list(FIELDS).index(key)
    return {number for number, values in rows.items() if term.lower() in values[index].lower()}


def test_text_filters_find_what_contains_finds(app, staff, page_plan):
    with app.app_context():
        rows = seed()
    wrong = []
    for term in TERMS:
        for key in FIELDS:
            got = shown(staff, **{key: term})
            if got != expected(rows, key, term):
                wrong.append((key, term, sorted(got), sorted(expected(rows, key, term))))
    assert not wrong
    assert sum(bool(expected(rows, "description", t)) for t in TERMS) > 30  # most terms do find rows


def test_terms_with_query_syntax_go_through_the_index():
    """The syntax terms above take the index path (so the test above checks its quoting)."""
    for term in ['"на', '"" к', "* or", "near(a b)", "NEAR(", "col: x", "описание:", "x -y", "y ^z", "x -y ^",
                 "50%", "0%_", "under_", "иванова", "ПОДВАЛЕ", "ёжик"]:
        assert index_can_answer(term.lower()), term
    for term in ["ив", "ИВ", "smith", "brien", "İst"]:
        assert not index_can_answer(term.lower()), term
    assert match_query("description", 'a "b" NEAR(c') == 'description : "a ""b"" NEAR(c"'


def test_a_page_of_many_matches_starts_from_the_sort_index(app):
    """Many matches and a sort an index gives: the page tests rows against the search index
    (requests.id + 0 IN …); the count, a sort by name and the export start from the matches."""
    tz = app.config["TZ"]
    with app.app_context():
        state = query.parse_state(MultiDict({"description": "подвал", "status": "new"}), query.load_choices())
        columns = visible_columns(None)

        def sql(statement) -> str:
            return str(statement.compile(db.engine))

        probing = "requests.id + 0 IN"
        if db.engine.dialect.name == "sqlite":
            assert probing in sql(state.page_statement(columns, tz, total=query.PROBE_ABOVE + 1))
        else:
            assert "lower(requests.description) LIKE" in sql(state.page_statement(columns, tz, total=10**6))
        assert probing not in sql(state.page_statement(columns, tz, total=query.PROBE_ABOVE))
        assert probing not in sql(state.count_statement(tz))
        assert probing not in sql(state.rows_statement(columns, tz))
        state.sort_key = "client"
        assert probing not in sql(state.page_statement(columns, tz, total=10**6))


def _sqlite_search(app, column: str, term: str) -> list[int]:
    with app.app_context():
        return db.session.execute(text("SELECT rowid FROM requests_search WHERE requests_search MATCH :q"),
                                  {"q": match_query(column, term)}).scalars().all()


@pytest.mark.sqlite_only
def test_the_index_answers_terms_of_three_characters_and_more(app, staff):
    with app.app_context():
        rows = seed()
        db.session.execute(text("INSERT INTO requests_search(requests_search) VALUES ('delete-all')"))
        db.session.commit()
    # With the index emptied, what it answers finds nothing; what the scan answers still works.
    assert shown(staff, description="подвал") == set()
    assert shown(staff, client="иванова") == set()
    assert shown(staff, client="ив") == expected(rows, "client", "ив") != set()
    assert shown(staff, client="smith") == expected(rows, "client", "smith") != set()
    assert shown(staff, house="5") == set(rows)  # not an indexed column


def test_index_follows_inserts_updates_and_deletes(app, staff):
    with app.app_context():
        rows = seed()
        first, second = sorted(rows)[:2]
        req = db.session.execute(db.select(Request).filter_by(number=first)).scalar_one()
        req.description = "Теперь капает на ЧЕРДАКЕ"
        req.client_full_name = "Новикова Ольга"
        db.session.commit()
        req.status = "assigned"  # an update that leaves the indexed columns alone
        db.session.commit()
        rows[first] = ("Новикова Ольга", *rows[first][1:3], "Теперь капает на ЧЕРДАКЕ")
        db.session.delete(db.session.execute(db.select(Request).filter_by(number=second)).scalar_one())
        db.session.commit()
        del rows[second]
        client = factories.client("399999", "Захаров Пётр", city="Самара", street="ул. Ленина")
        later = factories.request(client, description="Новая заявка: чердак течёт").number
        rows[later] = (client.full_name, client.city, client.street, "Новая заявка: чердак течёт")

    checks = [("description", "чердак"), ("description", "кухне"), ("client", "новикова"), ("client", "иванова"),
              ("client", "петров"), ("description", "подвал"), ("description", "ПОДВАЛЕ"), ("street", "ленина"),
              ("description", "течёт")]
    assert {(key, term): shown(staff, **{key: term}) for key, term in checks} == \
        {(key, term): expected(rows, key, term) for key, term in checks}
    assert expected(rows, "description", "чердак") >= {first, later}
    assert not expected(rows, "description", "кухне") | expected(rows, "client", "петров")  # old texts gone
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            # FTS5 compares its index with the requests table and fails on any difference.
            db.session.execute(text("INSERT INTO requests_search(requests_search, rank) "
                                    "VALUES ('integrity-check', 1)"))
        assert first in _sqlite_search(app, "description", "чердак")
        assert not _sqlite_search(app, "description", "кухне")


def test_text_filters_combine_with_other_filters(app, staff, page_plan):
    with app.app_context():
        rows = seed()
        numbers = sorted(rows)
        for number in numbers[::2]:
            db.session.execute(db.update(Request).where(Request.number == number).values(status="closed"))
        db.session.commit()
    closed = set(numbers[::2])
    in_cellar = expected(rows, "description", "подвал")
    assert in_cellar & closed and in_cellar - closed  # the status filter does narrow
    assert shown(staff, description="подвал", status="closed") == in_cellar & closed
    assert shown(staff, description="подвал", status="new") == in_cellar - closed
    samara = expected(rows, "city", "самара")
    assert shown(staff, description="подвал", city="САМАРА") == in_cellar & samara != in_cellar
    assert shown(staff, description="подвал", city="САМАРА", street="красная", status="new") == \
        in_cellar & samara & expected(rows, "street", "красная") - closed != set()
    assert shown(staff, description="подвал", number=str(numbers[0])) == set()


@pytest.mark.sqlite_only
def test_index_is_used_only_where_it_folds_case_as_python_does(app):
    """For every character a term may hold where the index is used, FTS5 takes as equal exactly
    the characters whose Python lower() is that character, checked over all of Unicode with the
    index's own tokenizer."""
    with app.app_context():
        create = db.session.execute(text("SELECT sql FROM sqlite_master WHERE name = 'requests_search'")).scalar_one()
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE requests (id INTEGER PRIMARY KEY, {', '.join(INDEXED)})")
    conn.execute(create)
    chars = [chr(i) for i in range(1, 0x110000) if not 0xD800 <= i < 0xE000]
    step = 8192  # characters per row; the trigram at each offset starts with that character, folded
    conn.executemany("INSERT INTO requests (id, description) VALUES (?, ?)",
                     [(n + 1, "".join(chars[n * step:(n + 1) * step]) + "~~")
                      for n in range((len(chars) + step - 1) // step)])
    conn.execute("INSERT INTO requests_search(requests_search) VALUES ('rebuild')")
    conn.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(requests_search, 'instance')")
    fold = {chars[(row - 1) * step + offset]: token[0]
            for row, offset, token in conn.execute("SELECT doc, offset, term FROM vocab")}
    assert len(fold) == len(chars)

    same_fold = defaultdict(set)      # FTS5: folded character -> every character folded to it
    lowered_to = defaultdict(set)     # Python: character -> every character whose lower() holds it
    for ch in chars:
        same_fold[fold[ch]].add(ch)
        for part in ch.lower():
            lowered_to[part].add(ch)
    # Where both are just {ch} they agree; look at the rest.
    folding = {ch for group in (*same_fold.values(), *lowered_to.values()) if len(group) > 1 for ch in group}
    served = {ch for ch in folding if ch.lower() == ch and index_can_answer(ch * 3)}
    wrong = [(hex(ord(ch)), sorted(same_fold[fold[ch]] ^ lowered_to[ch])[:5]) for ch in sorted(served)
             if same_fold[fold[ch]] != lowered_to[ch]]
    assert not wrong
    assert {"а", "я", "ё", "a", "z", "é"} <= served
    assert index_can_answer("1 %") and index_can_answer('"*:')
    assert not {"i", "s", "\u0307"} & served and {"i", "s", "\u0307"} <= folding  # "İ", "ſ"
