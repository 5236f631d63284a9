"""Kinds of journal filters. Each kind is one object that

- reads its query parameters and checks the value (a FilterError is shown next to the filter),
- turns the value into SQL conditions,
- names its widget template (templates/journal/filters/<name>.html),
- describes the value in words (chips for filters on hidden columns, the export's sheet).

A column names its kind in app/journal/columns.py; the journal calls only these methods,
so a new kind is one class here and one widget template.
"""
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from sqlalchemy import func

from app.models import Incident, Request
from app.services.requests import deadlines
from app.services.requests import statuses
from app.services.people.clients import InvalidAccount, account_prefix
from app.services.people.phones import search_digits
from app.timezone import local_midnight

MAX_TEXT = 100
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RU_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


class FilterError(ValueError):
    pass


@dataclass
class Choices:
    """Option lists of the choice filters loaded for one page: column key -> [(value, label)],
    values are strings; see query.load_choices."""

    options: dict[str, list[tuple[str, str]]]
    # subcategory id -> (category id, category name), to group and to match a chosen category
    subcategory_parent: dict[str, tuple[str, str]]

    def subcategories_of(self, category: str | None) -> list[tuple[str, str]]:
        return [(v, text) for v, text in self.options["subcategory"]
                if not category or self.subcategory_parent[v][0] == category]


class FilterKind:
    name = ""              # CSS class `f-<name>` of the filter cell, and the widget template's name
    newest_first = False   # the first click on the column's header sorts descending
    max_raw = MAX_TEXT + 20  # what is kept of a typed value to show it again

    @property
    def template(self) -> str:
        return f"journal/filters/{self.name}.html"

    def params(self, key: str) -> tuple[str, ...]:
        """The query parameters the filter uses."""
        return (key,)

    def read(self, args, key: str) -> dict[str, str]:
        """The parameters as typed (trimmed, shortened), for the widget and the URL."""
        return {name: args.get(name, "").strip()[:self.max_raw] for name in self.params(key)}

    def parse(self, raw: dict[str, str], key: str, choices: Choices):
        """The checked value, or None when the filter is empty; FilterError when it is wrong."""
        text = raw[key]
        return self.parse_text(text, key, choices) if text else None

    def parse_text(self, text: str, key: str, choices: Choices):
        return text

    def where(self, target, value, tz, probe: bool = False) -> list:
        """SQL conditions on `target` (the column's filter expression)."""
        raise NotImplementedError

    def describe(self, value, raw: dict[str, str], key: str, choices: Choices) -> str:
        return f"«{raw[key]}»"

    def search_term(self, value) -> str | None:
        """The text the search index looks for, for the filters it answers (app.search)."""
        return None


class TypedFilter(FilterKind):
    """A value typed into a search box (journal/filters/search.html)."""

    template = "journal/filters/search.html"
    inputmode = ""
    placeholder = "содержит…"


class TextFilter(TypedFilter):
    """Contains, case-insensitive (Cyrillic too); a trigram index serves the long columns."""

    name = "text"

    def parse_text(self, text, key, choices):
        if len(text) > MAX_TEXT:
            raise FilterError(f"Слишком длинный текст: не больше {MAX_TEXT} символов.")
        return text

    def where(self, target, value, tz, probe=False):
        from app.search import text_contains  # search imports the models' metadata

        return [text_contains(target, value, probe)]

    def search_term(self, value):
        return value


class PhoneFilter(TypedFilter):
    """Digits anywhere in the number: «8 912 345» finds +7 912 345…"""

    name = "phone"
    inputmode = "tel"
    placeholder = "цифры"

    def parse_text(self, text, key, choices):
        if len(text) > 40:
            raise FilterError("Слишком длинный номер телефона.")
        digits = search_digits(text)
        if not digits:
            raise FilterError("Введите цифры номера телефона.")
        return digits

    def where(self, target, value, tz, probe=False):
        from app.search import text_contains

        # The digits have no case: the text search finds what contains() finds, from its index.
        return [text_contains(target, value, probe)]

    def search_term(self, value):
        return value


class PrefixFilter(TypedFilter):
    """The personal account (ЛС) by its beginning: a range, so the column's index answers it."""

    name = "prefix"
    inputmode = "numeric"
    placeholder = "начало"

    def parse_text(self, text, key, choices):
        try:
            return account_prefix(text)
        except InvalidAccount as error:
            raise FilterError(str(error)) from None

    def where(self, target, value, tz, probe=False):
        out = [target >= value]
        if (upper := _next_digits(value)) is not None:
            out.append(target < upper)
        return out

    def describe(self, value, raw, key, choices):
        return f"начинается с {value}"


class NumberFilter(TypedFilter):
    """A request number, exactly."""

    name = "number"
    inputmode = "numeric"
    placeholder = "№"

    def parse_text(self, text, key, choices):
        number = text.removeprefix("№").strip()
        if not WHOLE_NUMBER.fullmatch(number):
            raise FilterError("Номер заявки — целое число, например 1024.")
        return int(number)

    def where(self, target, value, tz, probe=False):
        return [target == value]

    def describe(self, value, raw, key, choices):
        return f"№ {value}"


class IncidentFilter(TypedFilter):
    """«по аварии»: the requests of the incident with that number (its id looked up once, so the
    requests' (incident_id, created_at) index answers), or «есть» for every request in some incident."""
    name = "incident"
    placeholder = "№ или «есть»"
    ANY = "any"

    def parse_text(self, text, key, choices):
        if text.lower() in ("есть", "любая", "*"):
            return self.ANY
        number = text.removeprefix("№").strip()
        if not WHOLE_NUMBER.fullmatch(number):
            raise FilterError("Номер аварии — целое число, например 12, или «есть»: все заявки в авариях.")
        return int(number)

    def where(self, target, value, tz, probe=False):
        if value == self.ANY:
            return [target.is_not(None)]
        from sqlalchemy import select
        return [target == select(Incident.id).where(Incident.number == value).scalar_subquery()]

    def describe(self, value, raw, key, choices):
        return "в авариях" if value == self.ANY else f"авария № {value}"


class DateFilter(FilterKind):
    """A range of local days, both ends optional: `<key>_from`, `<key>_to`."""

    name = "date"
    newest_first = True
    max_raw = 40

    def params(self, key):
        return (f"{key}_from", f"{key}_to")

    def parse(self, raw, key, choices):
        ends = [parse_date(raw[name]) if raw[name] else None for name in self.params(key)]
        if ends[0] and ends[1] and ends[0] > ends[1]:
            raise FilterError("Начало периода позже его конца.")
        return tuple(ends) if ends[0] or ends[1] else None

    def where(self, target, value, tz, probe=False):
        start, end = value
        out = []
        if start is not None:
            out.append(target >= local_midnight(start, tz))
        if end is not None:
            out.append(target < local_midnight(end + timedelta(days=1), tz))
        return out

    def describe(self, value, raw, key, choices):
        start, end = value
        return " ".join(part for part in (
            f"с {start:%d.%m.%Y}" if start else "", f"по {end:%d.%m.%Y}" if end else "") if part)

    @staticmethod
    def input_value(text: str) -> str:
        """An end as <input type=date> wants it (ISO), or empty if it is not a date."""
        try:
            return parse_date(text).isoformat()
        except FilterError:
            return ""


class ChoiceFilter(FilterKind):
    """One value from a list; the lists of reference data are loaded per page (Choices)."""

    name = "choice"

    def options(self, key: str, choices: Choices) -> list[tuple[str, str]]:
        return choices.options[key]

    def parse_text(self, text, key, choices):
        if text not in {value for value, _ in self.options(key, choices)}:
            raise FilterError("Такого значения нет в списке: выберите из списка.")
        return text

    def where(self, target, value, tz, probe=False):
        return [target == value]

    def describe(self, value, raw, key, choices):
        return dict(self.options(key, choices)).get(value, value)


class StatusFilter(ChoiceFilter):
    """A status, or a group of them («Все незакрытые»)."""

    def options(self, key, choices):
        return statuses.FILTER_CHOICES

    def where(self, target, value, tz, probe=False):
        wanted = statuses.members(value)
        # One status stays `=`, so the journal's usual query keeps its (status, ...) index plan.
        return [target == wanted[0] if len(wanted) == 1 else target.in_(wanted)]


class FixedChoiceFilter(ChoiceFilter):
    """One of a fixed list of values, each with its own SQL condition on the column:
    {value: (label, condition(column))}."""

    def __init__(self, table: dict[str, tuple[str, Callable]], newest_first: bool = False):
        self.table = table
        self.newest_first = newest_first

    def options(self, key, choices):
        return [(value, text) for value, (text, _) in self.table.items()]

    def where(self, target, value, tz, probe=False):
        return [self.table[value][1](target)]


class DeadlineFilter(ChoiceFilter):
    """Where a request stands against its deadlines now: late, due within the hour, in time, late now
    or met late before, emergency (app.services.requests.deadlines compares the stored deadlines with the clock)."""

    def options(self, key, choices):
        return list(deadlines.FILTERS.items())

    def where(self, target, value, tz, probe=False):
        # probe: so many match that the page is found faster by walking the sort's index and testing
        # each row (JournalState.page_statement) than by starting from the deadlines' index and sorting.
        due = func.coalesce(Request.due_at, Request.due_at) if probe else Request.due_at
        return [deadlines.condition(value, due)]


class ReferenceFilter(ChoiceFilter):
    """A row of a reference table by id; optionally «none» for requests without one."""

    NONE = "none"

    def __init__(self, none_label: str | None = None, template: str | None = None):
        self.none_label = none_label
        self._template = template

    @property
    def template(self) -> str:
        return self._template or super().template

    def options(self, key, choices):
        none = [(self.NONE, self.none_label)] if self.none_label else []
        return none + choices.options[key]

    def where(self, target, value, tz, probe=False):
        return [target.is_(None) if value == self.NONE else target == int(value)]


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


def _next_digits(prefix: str) -> str | None:
    """The first digit string after every one starting with `prefix`: 1009 -> 1010, 99 -> None.

    Digits sort alike in every collation, so the range works on PostgreSQL in any locale too.
    """
    digits = prefix.rstrip("9")
    if not digits:
        return None
    return digits[:-1] + str(int(digits[-1]) + 1)


# The kinds that need no settings, shared by the columns that use them.
TEXT, PHONE, PREFIX, NUMBER, DATE, STATUS = (
    TextFilter(), PhoneFilter(), PrefixFilter(), NumberFilter(), DateFilter(), StatusFilter())
INCIDENT = IncidentFilter()
DEADLINE = DeadlineFilter()
