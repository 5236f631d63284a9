"""Journal state read from the query string (filters, sort, page), validated,
and turned into SQL.

Every value is checked; a bad one is ignored and reported in Russian next to
its filter, so a hand-edited or stale URL never breaks the page.
"""
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import func, select

from app.extensions import db
from app.journal.columns import BY_KEY, COLUMNS, DEFAULT_SORT, Column
from app.journal.filters import MAX_TEXT, WHOLE_NUMBER, Choices, FilterError  # noqa: F401 - MAX_TEXT
from app.models import Category, Executor, Request, Subcategory

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 1_000_000
# A text search with more matches than this finds its page faster by walking the sort's index and
# testing each row against the search index than by reading and sorting every match (bench/journal.py).
PROBE_ABOVE = 2000
# From this OFFSET a page finds its ids first, then reads its rows (JournalState.page_statement):
# page 2,000 of the unfiltered journal drops from ~110 ms to ~10 ms on either engine (bench/journal.py).
DEFER_FROM = 1000
# What every row of the page carries after its columns, whichever are shown: its highlighting.
ROW_STATE = (Request.due_at.label("row_due_at"), Request.emergency.label("row_emergency"))


def load_choices() -> Choices:
    """Categories, subcategories and executors for the filter lists (small tables)."""
    categories = db.session.execute(Category.ordered(Category.id, Category.name, Category.active)).all()
    cat_names = {str(c.id): c.name for c in categories}
    cat_order = {str(c.id): i for i, c in enumerate(categories)}
    subs = db.session.execute(
        select(Subcategory.id, Subcategory.name, Subcategory.category_id, Subcategory.sort_order)
    ).all()
    subs = sorted(subs, key=lambda s: (cat_order.get(str(s.category_id), 0), s.sort_order, s.name))
    executors = db.session.execute(Executor.ordered(Executor.id, Executor.full_name, Executor.active)).all()
    return Choices(
        options={
            "category": [(str(c.id), c.name if c.active else f"{c.name} (не используется)") for c in categories],
            "subcategory": [(str(s.id), s.name) for s in subs],
            "executor": [(str(e.id), e.full_name if e.active else f"{e.full_name} (отключён)")
                         for e in executors],
        },
        subcategory_parent={str(s.id): (str(s.category_id), cat_names.get(str(s.category_id), ""))
                            for s in subs},
    )


@dataclass
class JournalState:
    """What the user asked the journal for: filters, sort, page; with error messages."""

    values: dict[str, object] = field(default_factory=dict)  # column key -> parsed filter value
    raw: dict[str, str] = field(default_factory=dict)        # query parameter -> text as typed
    errors: dict[str, str] = field(default_factory=dict)     # column key or page/per_page/sort -> message
    sort_key: str = DEFAULT_SORT[0]
    sort_desc: bool = DEFAULT_SORT[1]
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    choices: Choices | None = None  # the option lists the values were checked against

    # --- SQL -----------------------------------------------------------------
    def conditions(self, tz, probe: bool = False) -> list:
        out = []
        for key, value in self.values.items():
            column = BY_KEY[key]
            out.extend(column.filter.where(column.filter_target, value, tz, probe))
        return out

    def order_by(self) -> list:
        column = BY_KEY[self.sort_key]
        target = column.order_target
        primary = target.desc() if self.sort_desc else target.asc()
        if column.nullable:
            primary = primary.nulls_last()
        # A stable tie-break, so pages neither repeat nor skip rows.
        return [primary, Request.id.desc() if self.sort_desc else Request.id.asc()]

    def count_statement(self, tz):
        return select(func.count()).select_from(Request).where(*self.conditions(tz))

    def rows_statement(self, columns: list[Column], tz, with_id: bool = True, probe: bool = False, ids=None):
        """Selected columns of the matching requests in order; joins only what is shown or sorted.
        `with_id`: for the page, the request id first and ROW_STATE last.
        `ids`: the wanted ids (a list, or a statement of them), already filtered, instead of the filters."""
        selected = [c.expr.label(c.key) for c in columns]
        if with_id:
            selected = [Request.id, *selected, *ROW_STATE]
        stmt = self._joined(select(*selected).select_from(Request), columns)
        where = [Request.id.in_(ids)] if ids is not None else self.conditions(tz, probe)
        return stmt.where(*where).order_by(*self.order_by())

    def _joined(self, stmt, columns: list[Column]):
        sort_column = BY_KEY[self.sort_key]
        for c in COLUMNS:
            if c.join and (c in columns or c is sort_column):
                stmt = stmt.outerjoin(*c.join)
        return stmt

    def page_statement(self, columns: list[Column], tz, total: int | None = None, extra: int = 0,
                       ids: list[int] | None = None):
        """One page (and `extra` rows after it); `total` (the count) chooses how a text search is used,
        see PROBE_ABOVE; `ids`: every matching id, when the count found them (total.count).

        A deep page first finds its ids alone, then reads those rows: skipping OFFSET rows then walks
        an index (ix_requests_created_at for the default order) rather than reading every row it
        skips, and the other columns and joins are done for the page's rows only."""
        probe = total is not None and total > PROBE_ABOVE and BY_KEY[self.sort_key].sort_indexed
        offset, limit = (self.page - 1) * self.per_page, self.per_page + extra
        if ids is not None:
            return self.rows_statement(columns, tz, ids=ids).limit(limit).offset(offset)
        if offset < DEFER_FROM:
            return self.rows_statement(columns, tz, probe=probe).limit(limit).offset(offset)
        ids = (self._joined(select(Request.id).select_from(Request), []).where(*self.conditions(tz, probe))
               .order_by(*self.order_by()).limit(limit).offset(offset).correlate(None))
        return self.rows_statement(columns, tz, ids=ids)

    # --- URLs ------------------------------------------------------------------
    @property
    def sort_param(self) -> str:
        return ("-" if self.sort_desc else "") + self.sort_key

    def params(self, **overrides) -> list[tuple[str, str]]:
        """The state as query parameters, without empty and default values."""
        out = [(name, value) for name, value in self.raw.items() if value]
        sort = overrides.get("sort", self.sort_param)
        if sort != ("-" if DEFAULT_SORT[1] else "") + DEFAULT_SORT[0]:
            out.append(("sort", sort))
        per_page = overrides.get("per_page", self.per_page)
        if per_page != DEFAULT_PAGE_SIZE:
            out.append(("per_page", str(per_page)))
        page = overrides.get("page", self.page)
        if page and page > 1:
            out.append(("page", str(page)))
        return out

    def query_string(self, **overrides) -> str:
        return urlencode(self.params(**overrides))

    def sort_link(self, key: str) -> str:
        """Clicking a header sorts by it; clicking the sorted header again flips the order."""
        if key == self.sort_key:
            sort = key if self.sort_desc else "-" + key
        else:
            sort = "-" + key if BY_KEY[key].filter.newest_first else key
        return self.query_string(sort=sort, page=None)

    def without(self, key: str) -> str:
        """The query string with one column's filter removed."""
        names = BY_KEY[key].filter.params(key)
        return urlencode([(n, v) for n, v in self.params(page=None) if n not in names])

    @property
    def is_filtered(self) -> bool:
        return bool(self.values)

    def described(self, columns: list[Column] | None = None) -> list[tuple[Column, str]]:
        """The applied filters in words, in table order (only on `columns` when given)."""
        return [(c, c.filter.describe(self.values[c.key], self.raw, c.key, self.choices))
                for c in COLUMNS if c.key in self.values and (columns is None or c in columns)]

    @property
    def sort_description(self) -> str:
        column = BY_KEY[self.sort_key]
        return f"{column.title}, " + ("по убыванию" if self.sort_desc else "по возрастанию")


def parse_state(args, choices: Choices) -> JournalState:
    """Read and validate everything the journal URL may carry."""
    state = JournalState(choices=choices)
    for column in COLUMNS:
        raw = column.filter.read(args, column.key)
        state.raw.update(raw)
        try:
            value = column.filter.parse(raw, column.key, choices)
        except FilterError as error:
            state.errors[column.key] = str(error)
            continue
        if value is not None:
            state.values[column.key] = value

    # A subcategory of another category (the category was just changed) no longer applies.
    sub = state.values.get("subcategory")
    category = state.values.get("category")
    if sub and category and choices.subcategory_parent[sub][0] != category:
        del state.values["subcategory"]
        state.raw.pop("subcategory", None)

    sort = args.get("sort", "").strip()
    if sort:
        key = sort.removeprefix("-")
        if key in BY_KEY and BY_KEY[key].sortable:
            state.sort_key, state.sort_desc = key, sort.startswith("-")
        else:
            state.errors["sort"] = "По этой колонке сортировать нельзя; показан порядок по умолчанию."

    per_page = args.get("per_page", "").strip()
    if per_page:
        if per_page.isdigit() and int(per_page) in PAGE_SIZES:
            state.per_page = int(per_page)
        else:
            state.errors["per_page"] = "Строк на странице может быть 25, 50, 100 или 200."

    page = args.get("page", "").strip()
    if page:
        if WHOLE_NUMBER.fullmatch(page) and 1 <= int(page) <= MAX_PAGE:
            state.page = int(page)
        else:
            state.errors["page"] = f"Неверный номер страницы «{page[:20]}»: показана первая страница."
    return state
