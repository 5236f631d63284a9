"""The text "contains" search of requests (the journal's text filters and its phone filter), served
by a trigram index (migrations 0003 and 0012); the database transfer and the migrations know its
tables too.

SQLite: the FTS5 table `requests_search` (trigram tokenizer, external content,
kept in step by triggers) answers the filter: a term as one quoted phrase in one
column matches exactly the rows whose case-folded text contains the term. It is
used only where it finds exactly what the plain contains_ci finds:
- three characters or more (a trigram index knows nothing shorter);
- only characters that FTS5 (with its own, older Unicode case tables) and Python's
  lower() fold alike: characters without case, Cyrillic, Latin-1 letters and Latin a-z
  except "i" (Python lowers the Turkish "İ" to "i" and a combining dot, FTS5 does
  not fold it) and "s" (FTS5 folds the long "ſ" to "s", Python does not).
  tests/journal/test_search.py checks this against every Unicode character.
Any other term is searched by the plain scan, as before.

PostgreSQL: pg_trgm GIN indexes on lower(column) serve lower(column) LIKE as is.
"""
import re

from sqlalchemy import String, bindparam, func, literal_column, select, table

from app.database import contains_ci
from app.extensions import db
from app.models import Request

SEARCH_TABLE = "requests_search"
INDEX_PREFIX = f"ix_{SEARCH_TABLE}_"  # the PostgreSQL indexes: ix_requests_search_<column>
INDEXED = ("client_full_name", "city", "street", "description", "contact_phone")  # the phone: migration 0012
MIN_LENGTH = 3

# Case-folded alike by FTS5 and Python: these lowercase letters (see above), and characters without
# case except the dot of "İ".lower(), and what FTS5 reads as one replacement character (and NUL).
_FOLDED_ALIKE = re.compile(r"[a-hj-rt-z\u00df-\u00ff\u0430-\u04ff]")
_NOT_ALIKE = "\x00\u0307\ufffd\ufffe\uffff"


def index_can_answer(lowered: str) -> bool:
    """Whether the index finds exactly the rows whose lower()-ed text contains `lowered`."""
    return len(lowered) >= MIN_LENGTH and all(
        _FOLDED_ALIKE.match(ch) or (ch.lower() == ch.upper() and ch not in _NOT_ALIKE) for ch in lowered)


def match_query(column_name: str, term: str) -> str:
    """An FTS5 query for `term` as one phrase in one column: a quoted string, so that nothing typed
    (", *, OR, NEAR(, :, -, ^) is read as query syntax."""
    return f'{column_name} : "{term.replace(chr(34), chr(34) * 2)}"'


def _is_indexed(column) -> bool:
    return getattr(column, "class_", None) is Request and column.key in INDEXED


def text_contains(column, term: str, probe: bool = False):
    """Case-insensitive substring match of `term` in a request column; literal % and _.

    probe: the index's matches only test rows that SQLite finds by another way (the sort's index),
    instead of being the rows SQLite starts from; see JournalState.page_statement.
    """
    if not _is_indexed(column):
        return contains_ci(column, term)
    if db.engine.dialect.name != "sqlite":
        # Always through lower(): the trigram index is on lower(column), also for a term without letters.
        return func.lower(column).contains(term.lower(), autoescape=True)
    lowered = term.lower()
    if not index_can_answer(lowered):
        return contains_ci(column, term)
    matching = select(literal_column("rowid")).select_from(table(SEARCH_TABLE)).where(
        literal_column(SEARCH_TABLE).op("MATCH")(bindparam(None, match_query(column.key, lowered), String)))
    # SQLite starts from no index for `id + 0`: only from the index of another condition or of the sort.
    return (Request.id + literal_column("0") if probe else Request.id).in_(matching)


def count_matching(terms: list[tuple[object, str]]):
    """SQLite: the number of requests whose columns contain every (column, term), counted in the search
    index alone, without a look at `requests` (each request is one row of the index, kept in step by
    its triggers): 3x faster for many matches. None where the index cannot answer exactly."""
    condition = _matching(terms)
    return None if condition is None else select(func.count()).select_from(table(SEARCH_TABLE)).where(condition)


def ids_matching(terms: list[tuple[object, str]], limit: int):
    """SQLite: the ids of (at most `limit` of) the requests that count_matching counts, or None."""
    condition = _matching(terms)
    return None if condition is None else \
        select(literal_column("rowid")).select_from(table(SEARCH_TABLE)).where(condition).limit(limit)


def _matching(terms: list[tuple[object, str]]):
    if not terms or db.engine.dialect.name != "sqlite":
        return None
    queries = []
    for column, term in terms:
        lowered = term.lower()
        if not (_is_indexed(column) and index_can_answer(lowered)):
            return None
        queries.append(f"({match_query(column.key, lowered)})")
    return literal_column(SEARCH_TABLE).op("MATCH")(bindparam(None, " AND ".join(queries), String))


def include_in_autogenerate(name, type_, parent_names) -> bool:
    """Alembic autogenerate leaves the search index alone: it is made by hand in migration 0003
    (FTS5 tables and pg_trgm indexes are beyond the models)."""
    if type_ == "table":
        return not name.startswith(SEARCH_TABLE)
    if type_ == "index":
        return not name.startswith(INDEX_PREFIX)
    return True
