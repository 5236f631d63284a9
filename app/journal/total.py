"""How many requests the journal page says it found, and the page's rows.

Counting is most of a page's time on a big database: every match is visited, while the page
reads fifty. So:

- SQLite counts exactly, always: its counts are fast (a covering index, or the text search
  index alone: app.search.count_matching). A search of text alone with up to
  query.PROBE_ABOVE matches is read whole for its page anyway: its ids, read from the index
  once, give both the count and the page (a long term such as a full name costs ~50 ms a reading).
- PostgreSQL counts exactly what the planner expects to count cheaply (an index-only scan of
  some 20 000 entries of a usual filter), and anything with up to EXACT_UP_TO matches. Beyond
  both, the page shows the planner's estimate said as one: «около 62 000», or «больше 1 000»
  when even the estimate is lower; a count of all of a million requests (PostgreSQL visits
  each one, 40-80 ms), of a year of a category or of a common word becomes such an estimate.
  The Excel export and its sheet state the exact number (routes.export_start counts it), and
  the last page, once reached, knows it exactly too.
"""
from dataclasses import dataclass
from math import ceil

from sqlalchemy import func, literal_column, select

from app.database import planner_estimate, planner_setting
from app.extensions import db
from app.journal import query
from app.journal.columns import BY_KEY
from app.models import Request
from app.search import count_matching, ids_matching

# Planner cost units (about one page read each): below, an exact count takes at most a few
# milliseconds. An index-only count costs ~1 per 22 index entries: status + category + a month
# (1 568 requests) ~7, counted; + a year (41 691) ~1 900 and 4-8 ms on a busy 2-core machine,
# estimated, which keeps its page under 30 ms; all requests ~14 000 and 40-80 ms (bench/journal.py).
EXACT_COST = 1000.0
EXACT_UP_TO = 1000  # matches always counted exactly: a dispatcher's working lists are this short
# PostgreSQL prices a call of any operator or function alike (cpu_operator_cost, 0.0025), so lower() of
# a long Cyrillic description looks as cheap as comparing two numbers. Looking for the first 1 001
# matches, it then reads the table in order and folds every row's text (80-140 ms for «подвал» +
# status) rather than take the few rows the trigram index names (20 ms). Priced 20x, as measured.
FOLDING_COST = "0.05"
EXACT, ABOUT, OVER = "exact", "about", "over"


@dataclass(frozen=True)
class Total:
    value: int
    kind: str = EXACT  # EXACT; ABOUT: an estimate; OVER: more than `value`
    ids: tuple[int, ...] | None = None  # every match, when the count read them (SQLite)

    @property
    def exact(self) -> bool:
        return self.kind == EXACT


def count(state, tz) -> Total:
    """The requests matching the journal's filters, exactly or (PostgreSQL) as estimated."""
    if db.engine.dialect.name == "postgresql":
        return _postgresql_count(state, tz)
    terms = [(BY_KEY[key].filter_target, BY_KEY[key].filter.search_term(value))
             for key, value in state.values.items()]
    few = ids_matching(terms, query.PROBE_ABOVE + 1) if all(term is not None for _, term in terms) else None
    if few is None:
        return Total(db.session.execute(state.count_statement(tz)).scalar_one())
    ids = tuple(db.session.execute(few).scalars())
    if len(ids) <= query.PROBE_ABOVE:
        return Total(len(ids), ids=ids)
    return Total(db.session.execute(count_matching(terms)).scalar_one())


def _postgresql_count(state, tz) -> Total:
    matching = select(literal_column("1")).select_from(Request).where(*state.conditions(tz))
    cost, rows = planner_estimate(matching)
    if cost <= EXACT_COST:
        return Total(db.session.execute(state.count_statement(tz)).scalar_one())
    with planner_setting("cpu_operator_cost", FOLDING_COST):
        first = db.session.execute(
            select(func.count()).select_from(matching.limit(EXACT_UP_TO + 1).subquery())).scalar_one()
    if first <= EXACT_UP_TO:
        return Total(first)
    return Total(rounded(rows), ABOUT) if rows > EXACT_UP_TO else Total(EXACT_UP_TO, OVER)


def rounded(n: int) -> int:
    """Two significant figures, as much as an estimate knows: 61 565 -> 62 000."""
    return round(n, 2 - len(str(n))) if n >= 100 else n


def page(state, columns, tz) -> tuple[list, Total, int]:
    """The page's rows, the total and the number of pages; `state.page` is set to the page shown."""
    total = count(state, tz)
    pages = max(1, ceil(total.value / state.per_page))
    if total.exact:
        state.page = min(state.page, pages)
        rows = db.session.execute(state.page_statement(columns, tz, total.value, ids=total.ids)).all()
        return rows, total, pages
    # An estimate may be short or long: one row more says whether a next page exists.
    rows = db.session.execute(state.page_statement(columns, tz, total.value, extra=1)).all()
    if not rows and state.page > 1:  # past the end (an address typed, or an estimate too long)
        total = Total(db.session.execute(state.count_statement(tz)).scalar_one())
        pages = max(1, ceil(total.value / state.per_page))
        state.page = min(state.page, pages)
        return db.session.execute(state.page_statement(columns, tz, total.value)).all(), total, pages
    if len(rows) > state.per_page:
        return rows[:state.per_page], total, max(pages, state.page + 1)
    return rows, Total((state.page - 1) * state.per_page + len(rows)), state.page  # the last page: exact
