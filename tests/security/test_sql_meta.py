"""SQL and LIKE meta-characters in every journal filter and every search box.

Values are stored containing the characters literally; a filter must match exactly the
rows that contain what was typed (so `%` finds only a literal %), never fail, and leave
every table as it was.
"""
import re

from markupsafe import escape
from sqlalchemy import func, select

from app.extensions import db
from app.journal.columns import COLUMNS, DATE, TEXT
from app.journal.query import MAX_TEXT
from app.models import Category, Executor, Request, StaffUser, Subcategory
from tests import factories

# Stored values: short enough for every text column of a request (a house letter is 10 characters).
LITERALS = ["100%", "un_sc", "a\\b", "c/%d", "O'Br", 'S"hi"', "Обычн", "🔥 x", "plain"]

QUERIES = [
    "%", "1%", "%%", "_", "u_", "n_s", "\\", "a\\", "\\%", "/", "/%", "//", "c/", "'", "O'", '"', "' OR 1=1 --", "' OR '1'='1",
    '"; DROP TABLE requests; --', "'; DROP TABLE clients; --", "обычн", "ОБЫЧН", "🔥", "*", "[a]",
    "x" * 10_000,
]
# The essentials, for every text column; all of QUERIES for the description (free text from Telegram).
CORE = ["%", "1%", "_", "u_", "\\", "/%", "'", '"', "' OR 1=1 --", "ОБЫЧН", "x" * 10_000]
# For filters that take no free text (dates, numbers, choices, sort, pages): a sample is enough.
SAMPLE = ["%", "_", "\\", "' OR 1=1 --", '"; DROP TABLE requests; --', "ОБЫЧН", "🔥", "x" * 10_000]
NUL = "a\x00b"
ROW_ID = re.compile(r'<tr data-href="/requests/(\d+)">')


def table_counts() -> dict:
    return {table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables}


def matches(query: str, value: str) -> bool:
    """What a "contains" filter means: the typed text, literally, in any letter case."""
    return query.lower() in value.lower()


def test_journal_filters_match_only_literal_text(app, operator):
    client = factories.client()
    category = factories.category()
    ids = []
    text_columns = [c for c in COLUMNS if c.filter == TEXT]
    for i, literal in enumerate(LITERALS):
        req = factories.request(client, category)
        for column in text_columns:
            setattr(req, column.expr.key, literal)
        req.contact_phone = f"+7912345670{i}"
        ids.append(req.id)
    db.session.commit()
    before = table_counts()

    def shown(name: str, value: str) -> set[int]:
        html = operator.page("/", query_string={name: value, "per_page": "200"},
                             headers={"HX-Request": "true", "HX-Target": "journal-body"})
        return {int(n) for n in ROW_ID.findall(html)}

    wrong = []
    for column in text_columns:
        for query in QUERIES if column.key == "description" else CORE:
            if len(query) > MAX_TEXT:  # refused with a message, the filter is not applied
                expected = set(ids)
            else:
                expected = {id_ for id_, literal in zip(ids, LITERALS) if matches(query.strip(), literal)}
            got = shown(column.key, query)
            if got != expected:
                wrong.append((column.key, query[:20], sorted(got), sorted(expected)))
    assert not wrong

    # Every other filter kind, the sort and the pages: a bad value is refused, never applied or failing.
    others = [f"{c.key}_{end}" for c in COLUMNS if c.filter == DATE for end in ("from", "to")]
    others += [c.key for c in COLUMNS if c.filter not in (TEXT, DATE)] + ["sort", "per_page", "page"]
    for name in others:
        for query in SAMPLE:
            got = shown(name, query)
            digits = re.sub(r"\D", "", query)
            expected = set(ids)
            if name == "phone" and digits and len(query) <= 40:
                expected = {id_ for i, id_ in enumerate(ids) if digits in f"7912345670{i}"}
            if got != expected:
                wrong.append((name, query[:20], sorted(got), sorted(expected)))
    assert not wrong
    assert table_counts() == before


def _seed_reference_data():
    """Each literal in a client's, category's, subcategory's, executor's and staff user's name."""
    for i, literal in enumerate(LITERALS):
        factories.client(f"80000{i}", f"Кл-{literal}")
        factories.category(f"Кат-{literal}", (f"Под-{literal}",))
        factories.executor(f"Исп-{literal}", "Мастер")
        db.session.add(StaffUser(login=f"sotr{i}", full_name=f"Сотр-{literal}", role="operator",
                                 password_hash="!"))
    db.session.commit()


SEARCHES = [("/admin/clients", "Кл-"), ("/admin/categories", "Кат-"), ("/admin/subcategories", "Под-"),
            ("/admin/executors", "Исп-"), ("/admin/users", "Сотр-"), ("/requests/new/clients", "Кл-")]


def test_search_boxes_match_only_literal_text(app, admin):
    _seed_reference_data()
    before = table_counts()
    wrong = []
    for url, prefix in SEARCHES:
        for query in QUERIES if url == "/admin/clients" else CORE:  # clients: words matched one by one
            typed = " ".join(query.split())[:100]  # what every search box keeps of a query
            if url == "/requests/new/clients" and len(typed) < 2:
                expected = set()  # the picker starts searching from two characters
            else:
                expected = {literal for literal in LITERALS if matches(typed, literal)}
            html = admin.page(url, query_string={"q": query})
            got = {literal for literal in LITERALS if str(escape(prefix + literal)) in html}
            if got != expected:
                wrong.append((url, query[:20], sorted(got), sorted(expected)))
    assert not wrong
    assert table_counts() == before
    assert db.session.execute(select(func.count()).select_from(Subcategory)).scalar_one() == len(LITERALS)


def test_nul_characters_are_refused_with_a_message(app, admin):
    """PostgreSQL text cannot hold NUL; no keyboard types it: a clear 400, on both databases."""
    _seed_reference_data()
    before = table_counts()
    queries = [(url, "q") for url, _ in SEARCHES]
    queries += [("/", c.key) for c in COLUMNS if c.filter != DATE] + [("/", "created_at_from")]
    for url, name in queries:
        response = admin.get(url, query_string={name: NUL})
        assert response.status_code == 400, (url, name)
        assert "недопустимый символ" in response.get_data(as_text=True), (url, name)
    category = db.session.execute(select(Category)).scalars().first()
    forms = [("/admin/clients/new", {"account": "1", "full_name": NUL, "street": "x", "house": "1"}),
             ("/admin/executors/new", {"full_name": "Иван" + NUL, "position": "x"}),
             (f"/admin/categories/{category.id}/subcategories", {"name": NUL}),
             ("/admin/categories/new", {"name": "a\x00"})]
    for url, data in forms:
        response = admin.post(url, data)
        assert response.status_code == 400 and "недопустимый символ" in response.get_data(as_text=True), url
    assert table_counts() == before
    assert db.session.execute(select(func.count()).select_from(Executor)).scalar_one() == len(LITERALS)
    assert db.session.execute(select(func.count()).select_from(Request)).scalar_one() == 0
