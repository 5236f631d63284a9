"""Journal state read from the query string (filters, sort, page), validated,
and turned into SQL.

Every value is checked; a bad one is ignored and reported in Russian next to
its filter, so a hand-edited or stale URL never breaks the page.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from sqlalchemy import func, select

from app.extensions import db
from app.journal.columns import BY_KEY, CHOICE, COLUMNS, DATE, DEFAULT_SORT, NUMBER, PHONE, PREFIX, TEXT, Column
from app.journal.search import text_contains
from app.models import Category, Executor, Request, Subcategory
from app.services import statuses

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_TEXT = 100
MAX_PAGE = 1_000_000
NO_EXECUTOR = "none"
# A text search with more matches than this finds its page faster by walking the sort's index and
# testing each row against the search index than by reading and sorting every match (bench/journal.py).
PROBE_ABOVE = 2000

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RU_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_NUMBER = re.compile(r"[0-9]{1,18}")


@dataclass
class Choices:
    """Option lists of the choice filters: key -> [(value, label)], values are strings."""

    options: dict[str, list[tuple[str, str]]]
    # subcategory id -> (category id, category name), to group and to match a chosen category
    subcategory_parent: dict[str, tuple[str, str]]

    def subcategories_of(self, category: str | None) -> list[tuple[str, str]]:
        return [(v, text) for v, text in self.options["subcategory"]
                if not category or self.subcategory_parent[v][0] == category]


def load_choices() -> Choices:
    """Categories, subcategories and executors for the filter lists (small tables)."""
    categories = db.session.execute(
        select(Category.id, Category.name, Category.active).order_by(Category.sort_order, Category.name)
    ).all()
    cat_names = {str(c.id): c.name for c in categories}
    cat_order = {str(c.id): i for i, c in enumerate(categories)}
    subs = db.session.execute(
        select(Subcategory.id, Subcategory.name, Subcategory.category_id, Subcategory.sort_order)
    ).all()
    subs = sorted(subs, key=lambda s: (cat_order.get(str(s.category_id), 0), s.sort_order, s.name))
    executors = db.session.execute(
        select(Executor.id, Executor.full_name, Executor.active).order_by(Executor.full_name)
    ).all()
    return Choices(
        options={
            "status": list(statuses.FILTER_CHOICES),
            "category": [(str(c.id), c.name if c.active else f"{c.name} (не используется)") for c in categories],
            "subcategory": [(str(s.id), s.name) for s in subs],
            "executor": [(NO_EXECUTOR, "— не назначен —")] + [
                (str(e.id), e.full_name if e.active else f"{e.full_name} (отключён)") for e in executors],
        },
        subcategory_parent={str(s.id): (str(s.category_id), cat_names.get(str(s.category_id), ""))
                            for s in subs},
    )


class FilterError(ValueError):
    pass


def parse_date(raw: str) -> date:
    """`2024-03-01` (what <input type=date> sends) or `01.03.2024` (what people type)."""
    text = raw.strip()
    if m := _ISO_DATE.fullmatch(text):
        y, mo, d = m.groups()
    elif m := _RU_DATE.fullmatch(text):
        d, mo, y = m.groups()
    else:
        raise FilterError(f"Неверная дата «{text[:20]}»: укажите её в виде ДД.ММ.ГГГГ.")
    try:
        value = date(int(y), int(mo), int(d))
    except ValueError:
        raise FilterError(f"Такой даты нет: «{text}».") from None
    if not 2000 <= value.year <= 2999:
        raise FilterError(f"Дата «{text}» вне допустимого диапазона (2000–2999 годы).")
    return value


def digits_of_phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if not digits:
        raise FilterError("Введите цифры номера телефона.")
    if len(digits) == 11 and digits[0] == "8":  # 8 912 … is +7 912 … in Russia
        digits = "7" + digits[1:]
    return digits


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

    # --- SQL -----------------------------------------------------------------
    def conditions(self, tz, probe: bool = False) -> list:
        out = []
        for key, value in self.values.items():
            column = BY_KEY[key]
            target = column.filter_target
            if column.filter == TEXT:
                out.append(text_contains(target, value, probe))
            elif column.filter == PHONE:
                out.append(target.contains(value, autoescape=True))
            elif column.filter == PREFIX:  # a range, so the column's index answers it
                out.append(target >= value)
                if (upper := _next_digits(value)) is not None:
                    out.append(target < upper)
            elif column.filter == NUMBER:
                out.append(target == value)
            elif column.filter == DATE:
                start, end = value
                if start is not None:
                    out.append(target >= _local_midnight(start, tz))
                if end is not None:
                    out.append(target < _local_midnight(end + timedelta(days=1), tz))
            elif column.filter == CHOICE:
                if key == "executor" and value == NO_EXECUTOR:
                    out.append(target.is_(None))
                elif key == "status":
                    wanted = statuses.members(value)
                    out.append(target == wanted[0] if len(wanted) == 1 else target.in_(wanted))
                else:
                    out.append(target == int(value))
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

    def rows_statement(self, columns: list[Column], tz, with_id: bool = True, probe: bool = False):
        """Selected columns of the matching requests in order; joins only what is shown or sorted."""
        selected = [c.expr.label(c.key) for c in columns]
        stmt = select(*([Request.id] if with_id else []), *selected).select_from(Request)
        sort_column = BY_KEY[self.sort_key]
        for c in COLUMNS:
            if c.join and (c in columns or c is sort_column):
                stmt = stmt.outerjoin(*c.join)
        return stmt.where(*self.conditions(tz, probe)).order_by(*self.order_by())

    def page_statement(self, columns: list[Column], tz, total: int | None = None):
        """One page; `total` (the count) chooses how a text search is used, see PROBE_ABOVE."""
        probe = total is not None and total > PROBE_ABOVE and BY_KEY[self.sort_key].sort_indexed
        return (self.rows_statement(columns, tz, probe=probe)
                .limit(self.per_page).offset((self.page - 1) * self.per_page))

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
            sort = "-" + key if BY_KEY[key].filter == DATE else key  # dates: newest first
        return self.query_string(sort=sort, page=None)

    def without(self, key: str) -> str:
        """The query string with one column's filter removed."""
        names = _param_names(BY_KEY[key])
        return urlencode([(n, v) for n, v in self.params(page=None) if n not in names])

    @property
    def is_filtered(self) -> bool:
        return bool(self.values)

    def date_input(self, name: str) -> str:
        """A date filter end as <input type=date> wants it (ISO), or empty if it is not a date."""
        try:
            return parse_date(self.raw.get(name, "")).isoformat()
        except FilterError:
            return ""


def _next_digits(prefix: str) -> str | None:
    """The first digit string after every one starting with `prefix`: 1009 -> 1010, 99 -> None.

    Digits sort alike in every collation, so the range works on PostgreSQL in any locale too.
    """
    digits = prefix.rstrip("9")
    if not digits:
        return None
    return digits[:-1] + str(int(digits[-1]) + 1)


def _param_names(column: Column) -> tuple[str, ...]:
    return (f"{column.key}_from", f"{column.key}_to") if column.filter == DATE else (column.key,)


def _local_midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def parse_state(args, choices: Choices) -> JournalState:
    """Read and validate everything the journal URL may carry."""
    state = JournalState()
    for column in COLUMNS:
        try:
            _parse_filter(state, column, args, choices)
        except FilterError as error:
            state.errors[column.key] = str(error)
            state.values.pop(column.key, None)

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
        if _NUMBER.fullmatch(page) and 1 <= int(page) <= MAX_PAGE:
            state.page = int(page)
        else:
            state.errors["page"] = f"Неверный номер страницы «{page[:20]}»: показана первая страница."
    return state


def _parse_filter(state: JournalState, column: Column, args, choices: Choices) -> None:
    key = column.key
    if column.filter == DATE:
        raws = [args.get(f"{key}_{suffix}", "").strip()[:40] for suffix in ("from", "to")]
        state.raw[f"{key}_from"], state.raw[f"{key}_to"] = raws
        ends = [parse_date(raw) if raw else None for raw in raws]
        if ends[0] and ends[1] and ends[0] > ends[1]:
            raise FilterError("Начало периода позже его конца.")
        if ends[0] or ends[1]:
            state.values[key] = tuple(ends)
        return

    raw = args.get(key, "").strip()
    if not raw:
        return
    state.raw[key] = raw[:MAX_TEXT + 20]
    if column.filter == TEXT:
        if len(raw) > MAX_TEXT:
            raise FilterError(f"Слишком длинный текст: не больше {MAX_TEXT} символов.")
        state.values[key] = raw
    elif column.filter == PHONE:
        if len(raw) > 40:
            raise FilterError("Слишком длинный номер телефона.")
        state.values[key] = digits_of_phone(raw)
    elif column.filter == PREFIX:
        digits = re.sub(r"\s", "", raw)
        if not re.fullmatch(r"[0-9]{1,32}", digits):
            raise FilterError("Лицевой счёт состоит из цифр: введите его или его начало.")
        state.values[key] = digits
    elif column.filter == NUMBER:
        number = raw.removeprefix("№").strip()
        if not _NUMBER.fullmatch(number):
            raise FilterError("Номер заявки — целое число, например 1024.")
        state.values[key] = int(number)
    elif column.filter == CHOICE:
        if raw not in {value for value, _ in choices.options[key]}:
            raise FilterError("Такого значения нет в списке: выберите из списка.")
        state.values[key] = raw
