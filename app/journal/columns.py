"""The journal's columns: the one place that says what each column shows, how it
is filtered and sorted, and how it is written to Excel.

The table, the filter row, sorting, the column menu and the export all read
COLUMNS; adding a column here adds it everywhere.
"""
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import case

from app.journal.filters import (DATE, DEADLINE, INCIDENT, NUMBER, PHONE, PREFIX, STATUS, TEXT, FilterKind,
                                 FixedChoiceFilter, ReferenceFilter)
from app.models import Category, Executor, Incident, Request, Subcategory
from app.models.conversation import Verdict, verdict_label
from app.services.requests import deadlines
from app.services.requests.conversation import RATINGS
from app.services.requests.statuses import Status, label


# Export formatters: database value -> plain Python value for a cell.
def as_text(value, tz):
    return value or None


def as_int(value, tz):
    return value


def as_status(value, tz):
    return label(value)


def as_count(value, tz):
    return value or None


def as_verdict(value, tz):
    return verdict_label(value) or None


def as_datetime(value, tz):
    """Excel has no time zones: write the local wall-clock time the table shows."""
    return value.astimezone(tz).replace(tzinfo=None) if value is not None else None


def as_lateness(value, tz):
    return deadlines.lateness_text(value) or None


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    expr: object                  # SQL expression selected for the table and the export
    filter: FilterKind            # how the column is filtered (app/journal/filters.py)
    filter_expr: object = None    # what the filter compares, when not `expr` (ids for choices)
    sort_expr: object = None      # what ORDER BY uses, when not `expr`
    sortable: bool = True
    default: bool = True          # visible until the user chooses otherwise
    required: bool = False        # cannot be hidden
    display: str = "text"         # how _rows.html renders the cell
    export: Callable = as_text
    width: int = 16               # Excel column width, in characters
    nullable: bool = False        # sorts NULLs last in both directions
    join: tuple | None = None     # (table, ON clause) the expression needs
    sort_indexed: bool = False    # an index of `requests` gives ORDER BY without sorting

    @property
    def filter_target(self):
        return self.filter_expr if self.filter_expr is not None else self.expr

    @property
    def order_target(self):
        return self.sort_expr if self.sort_expr is not None else self.expr


# Workflow order, so sorting by status reads new -> archived rather than alphabetically.
STATUS_ORDER = case({s.value: i for i, s in enumerate(Status)}, value=Request.status, else_=len(Status))
# The resident's verdict: those left to the dispatcher, waiting for an answer and returned first, none last.
VERDICT_ORDER = case({v.value: i for i, v in enumerate((Verdict.WROTE, Verdict.UNDELIVERED, Verdict.ASKED,
                                                         Verdict.RETURNED, Verdict.CONFIRMED, Verdict.AUTO_CLOSED))}, value=Request.verdict, else_=9)

# Filters of the conversation's columns: unread resident messages, the rating, the verdict.
UNREAD = FixedChoiceFilter({"yes": ("есть новые", lambda c: c > 0), "no": ("нет новых", lambda c: c == 0)},
                           newest_first=True)
RATING = FixedChoiceFilter({
    "low": ("1–3: недоволен", lambda c: c.between(1, 3)),
    **{str(n): (f"{n} ★", lambda c, n=n: c == n) for n in reversed(RATINGS)},
    "any": ("с оценкой", lambda c: c.is_not(None)),
    "none": ("без оценки", lambda c: c.is_(None)),
})
VERDICT = FixedChoiceFilter({v.value: (v.label, lambda c, v=v: c == v.value) for v in Verdict})

COLUMNS: list[Column] = [
    Column("number", "Номер", Request.number, NUMBER, required=True, display="number",
           export=as_int, width=10, sort_indexed=True),
    # Resident messages nobody has read: beside the number, where a dispatcher looks first.
    Column("unread", "Новые сообщения", Request.unread_messages, UNREAD, display="unread", export=as_count,
           width=11, sort_indexed=True),
    # The incident (авария) the request is part of, by its number; the filter «по аварии».
    Column("incident", "Авария", Incident.number, INCIDENT, filter_expr=Request.incident_id, display="incident",
           join=(Incident, Incident.id == Request.incident_id), nullable=True, export=as_int, width=9),
    Column("created_at", "Создана", Request.created_at, DATE, display="datetime",
           export=as_datetime, width=17, sort_indexed=True),
    Column("status", "Статус", Request.status, STATUS, sort_expr=STATUS_ORDER, display="status",
           export=as_status, width=22),
    # Late by (or time left to) the nearest pending deadline; sorted by that deadline, nearest first.
    Column("overdue", "Просрочка", deadlines.LATENESS, DEADLINE, sort_expr=Request.due_at, display="lateness",
           export=as_lateness, width=16, nullable=True),
    Column("reaction_due", "Срок реакции", Request.reaction_due_at, DATE, default=False, display="datetime",
           export=as_datetime, width=17, nullable=True),
    # The deadline for the work itself: shown by default, «Срок реакции» on demand.
    Column("completion_due", "Срок выполнения", Request.completion_due_at, DATE, display="datetime",
           export=as_datetime, width=17, nullable=True),
    Column("category", "Категория", Category.name, ReferenceFilter(), filter_expr=Request.category_id,
           join=(Category, Category.id == Request.category_id), width=20),
    Column("subcategory", "Подкатегория", Subcategory.name,
           ReferenceFilter(template="journal/filters/subcategory.html"), filter_expr=Request.subcategory_id,
           join=(Subcategory, Subcategory.id == Request.subcategory_id), nullable=True, width=22),
    Column("client", "ФИО клиента", Request.client_full_name, TEXT, width=30),
    Column("account", "ЛС", Request.account, PREFIX, width=12),
    Column("city", "Город", Request.city, TEXT, default=False, width=14),
    Column("street", "Улица", Request.street, TEXT, width=24),
    Column("house", "Дом", Request.house, TEXT, width=7),
    Column("letter", "Литера", Request.house_letter, TEXT, default=False, width=7),
    Column("apartment", "Кв.", Request.apartment, TEXT, width=7),
    Column("phone", "Телефон", Request.contact_phone, PHONE, display="phone", width=16),
    Column("executor", "Исполнитель", Executor.full_name, ReferenceFilter("— не назначен —"), filter_expr=Request.executor_id,
           join=(Executor, Executor.id == Request.executor_id), nullable=True, width=24),
    Column("description", "Описание", Request.description, TEXT, sortable=False, display="long",
           width=60),
    Column("updated_at", "Изменена", Request.updated_at, DATE, default=False, display="datetime",
           export=as_datetime, width=17, sort_indexed=True),
    Column("rating", "Оценка", Request.rating, RATING, default=False, display="rating", export=as_int,
           width=8, nullable=True),
    Column("verdict", "Ответ жителя", Request.verdict, VERDICT, sort_expr=VERDICT_ORDER, default=False,
           display="verdict", export=as_verdict, width=20),
]

BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
DEFAULT_KEYS: list[str] = [c.key for c in COLUMNS if c.default]
DEFAULT_SORT = ("created_at", True)  # newest first


def visible_columns(saved: list[str] | None) -> list[Column]:
    """The user's saved choice in table order; unknown keys are dropped, required ones kept."""
    chosen = {key for key in saved or () if key in BY_KEY} or set(DEFAULT_KEYS)
    return [c for c in COLUMNS if c.key in chosen or c.required]
