"""A month of readings as staff see it: one row per meter (its month's reading, or none), filtered;
the accounts without readings; the share of meters reported by house. Shared by the «Показания»
page, its export and the summary."""
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Client
from app.models.meters import COUNTED, SOURCES, SUSPICIOUS, SWAP, Meter, MeterReading
from app.services.meters.window import add_months

SUBMITTED, MISSING, ATTENTION = "submitted", "missing", "attention"
STATES = {SUBMITTED: "переданы", MISSING: "не переданы", ATTENTION: "требуют проверки"}
HOUSE_SEPARATOR = "|"


@dataclass(frozen=True)
class Filters:
    street: tuple | None = None  # (city, street)
    house: tuple | None = None  # (city, street, house, letter)
    resource: str = ""
    state: str = ""
    source: str = ""

    @classmethod
    def parse(cls, args, resources) -> "Filters":
        """From the page's query string; an unknown value is ignored (the filter is off)."""
        house = street = None
        raw = (args.get("house") or "")[:400]
        if raw.count(HOUSE_SEPARATOR) == 3:
            house = tuple(raw.split(HOUSE_SEPARATOR))
        raw = (args.get("street") or "")[:400]
        if raw.count(HOUSE_SEPARATOR) == 1:
            street = tuple(raw.split(HOUSE_SEPARATOR))
        if house is not None and street is not None and house[:2] != street:
            house = None  # another street was chosen since: its houses, not the old one
        elif house is not None:
            street = house[:2]
        resource = args.get("resource") or ""
        state = args.get("state") or ""
        source = args.get("source") or ""
        return cls(street, house, resource if resource in resources else "", state if state in STATES else "",
                   source if source in SOURCES else "")


def house_key(city: str, street: str, house: str, letter: str) -> str:
    return HOUSE_SEPARATOR.join((city, street, house, letter))


def parse_month(text: str | None, default: date) -> date:
    """«2026-12» → the month's first day; anything else → `default`."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    except ValueError:
        pass
    return default


def in_use(period: date):
    """Meters that count in the month: in use, or replaced during it or later."""
    return or_(Meter.active, Meter.replaced_on >= period)


def _reading(period: date):
    return and_(MeterReading.meter_id == Meter.id, MeterReading.period == period, MeterReading.live)


PAGE_COLUMNS = (Meter.id.label("meter_id"), Meter.resource, Meter.serial, Meter.place, Meter.frac_digits,
                Meter.active, Client.id.label("client_id"), Client.account, Client.full_name, Client.city,
                Client.street, Client.house, Client.house_letter, Client.apartment,
                MeterReading.id.label("reading_id"), MeterReading.v1, MeterReading.v2, MeterReading.v3,
                MeterReading.prev1, MeterReading.prev2, MeterReading.prev3, MeterReading.source,
                MeterReading.status, MeterReading.created_at, MeterReading.photo_path, MeterReading.photo_file_id)
# What the export for billing writes, in this order (app.meters.workbook.write_readings unpacks it).
EXPORT_COLUMNS = (Client.account, Client.city, Client.street, Client.house, Client.house_letter, Client.apartment,
                  Meter.resource, Meter.serial, MeterReading.v1, MeterReading.v2, MeterReading.v3,
                  MeterReading.prev1, MeterReading.prev2, MeterReading.prev3, MeterReading.source,
                  MeterReading.status, MeterReading.created_at)


def statement(period: date, filters: Filters, columns=PAGE_COLUMNS, counted_only: bool = False) -> Select:
    """The month's rows (meter, client, reading or none) in ЛС order; `counted_only`: only the meters
    whose month's reading counts (what billing takes)."""
    stmt = select(*columns).select_from(Meter).join(Client, Client.id == Meter.client_id).where(in_use(period))
    if filters.state in (SUBMITTED, ATTENTION) or filters.source or counted_only:
        stmt = stmt.join(MeterReading, _reading(period))
    else:
        stmt = stmt.outerjoin(MeterReading, _reading(period))
    if counted_only:
        stmt = stmt.where(MeterReading.status.in_(COUNTED))
    # A live reading is accepted, suspicious or a swap (app.models.meters): «submitted» and «missing» are
    # said through the swap, so that SQLite walks the accounts in order instead of sorting most of a month
    # (a rare state, «attention», is found through the index of the month's states).
    if filters.state == SUBMITTED:
        stmt = stmt.where(MeterReading.status != SWAP)
    elif filters.state == ATTENTION:
        stmt = stmt.where(MeterReading.status.in_((SUSPICIOUS, SWAP)))
    elif filters.state == MISSING:  # an anti-join: PostgreSQL estimates it (an OR over an outer join it does not)
        counted = aliased(MeterReading)
        stmt = stmt.where(~select(counted.id).where(
            counted.meter_id == Meter.id, counted.period == period, counted.live, counted.status != SWAP).exists())
    if filters.source:
        stmt = stmt.where(MeterReading.source == filters.source)
    if filters.resource:
        stmt = stmt.where(Meter.resource == filters.resource)
    if filters.house is not None:
        city, street, house, letter = filters.house
        stmt = stmt.where(Client.city == city, Client.street == street, Client.house == house,
                          Client.house_letter == letter)
    elif filters.street is not None:
        city, street = filters.street
        stmt = stmt.where(Client.city == city, Client.street == street)
    return stmt.order_by(Client.account, Meter.id)


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends in the page's order (ЛС, meter id): the next page is read from the
    index after the last row shown, not by skipping the rows before it (OFFSET walks them all)."""

    account: str
    meter_id: int

    @classmethod
    def parse(cls, text: str | None) -> "Cursor | None":
        """«100001|42» → a cursor; anything else → None (the page is then found by its number)."""
        account, _, meter_id = (text or "")[:80].rpartition(HOUSE_SEPARATOR)
        if account and meter_id.isascii() and meter_id.isdigit() and len(meter_id) <= 10:
            return cls(account, int(meter_id))
        return None

    @classmethod
    def of(cls, row) -> "Cursor":
        return cls(row.account, row.meter_id)

    def __str__(self) -> str:
        return f"{self.account}{HOUSE_SEPARATOR}{self.meter_id}"


@dataclass(frozen=True)
class Page:
    rows: list
    earlier: bool  # there are rows before this page
    more: bool     # and after it


def export_statement(period: date, filters: Filters) -> Select:
    """The month's counted readings, as the export writes them (EXPORT_COLUMNS), in the page's order."""
    return statement(period, filters, EXPORT_COLUMNS, counted_only=True)


def page(period: date, filters: Filters, number: int = 1, after: Cursor | None = None,
         before: Cursor | None = None, per_page: int = 50) -> Page:
    """One page of the month's rows, without a total (counting a month of 300 000 meters on every page
    is what would make it slow): the rows after `after` (the next page), or before `before` (the
    previous one), or page `number` (a link without a cursor: found with OFFSET)."""
    rows = db.session.execute(page_statement(period, filters, number, after, before, per_page)).all()
    if after is not None:
        return Page(rows[:per_page], True, len(rows) > per_page)
    if before is not None:
        return Page(rows[:per_page][::-1], len(rows) > per_page, True)
    return Page(rows[:per_page], number > 1, len(rows) > per_page)


def page_statement(period: date, filters: Filters, number: int = 1, after: Cursor | None = None,
                   before: Cursor | None = None, per_page: int = 50) -> Select:
    """The statement of `page` (one row more than a page: is there more?); `before` reads backwards.

    «требуют проверки» finds its few rows through the index of the month's states, then sorts all of
    them by ЛС: the page's keys are found first (the readings' index alone, the meter, the ЛС), and
    only the page's rows are read whole."""
    deferred = filters.state == ATTENTION
    stmt = statement(period, filters, (Meter.id.label("meter_id"), Client.account) if deferred else PAGE_COLUMNS)
    stmt = stmt.limit(per_page + 1)
    if after is not None:
        stmt = stmt.where(_beyond(after, forward=True))
    elif before is not None:
        stmt = stmt.where(_beyond(before, forward=False)).order_by(None).order_by(Client.account.desc(),
                                                                                  Meter.id.desc())
    else:
        stmt = stmt.offset((max(1, min(number, 100_000)) - 1) * per_page)
    if not deferred:
        return stmt
    keys = stmt.subquery()
    order = (keys.c.account.desc(), keys.c.meter_id.desc()) if before is not None else (keys.c.account, keys.c.meter_id)
    return (select(*PAGE_COLUMNS).select_from(keys).join(Meter, Meter.id == keys.c.meter_id)
            .join(Client, Client.id == Meter.client_id).outerjoin(MeterReading, _reading(period)).order_by(*order))


def _beyond(cursor: Cursor, forward: bool):
    """The rows after (or before) the cursor in the order (ЛС, meter id). Said as a range on the ЛС
    first, so that the walk along the accounts' index starts at the cursor."""
    if forward:
        return and_(Client.account >= cursor.account,
                    or_(Client.account > cursor.account, Meter.id > cursor.meter_id))
    return and_(Client.account <= cursor.account,
                or_(Client.account < cursor.account, Meter.id < cursor.meter_id))


def last_before(meter_ids: list[int], period: date) -> dict[int, tuple]:
    """Each meter's latest counted reading before the month (for the rows without one): its
    period and values (v1, v2, v3)."""
    if not meter_ids:
        return {}
    latest = (select(MeterReading.meter_id, func.max(MeterReading.period).label("period"))
              .where(MeterReading.meter_id.in_(meter_ids), MeterReading.live, MeterReading.status.in_(COUNTED),
                     MeterReading.period < period)
              .group_by(MeterReading.meter_id).subquery())
    found = db.session.execute(select(MeterReading.meter_id, MeterReading.period, MeterReading.v1, MeterReading.v2,
                                      MeterReading.v3).join(latest, and_(
        MeterReading.meter_id == latest.c.meter_id, MeterReading.period == latest.c.period))
        .where(MeterReading.live))
    return {row.meter_id: row for row in found}


_houses: dict = {}  # database URL -> (when, newest client and meter ids, the houses)
HOUSES_KEEP_SECONDS = 300


def houses() -> list[tuple[str, str, str, str]]:
    """Every house with meters: (city, street, house, letter), in address order. Reading them is a scan of every client,
    so the list is kept for a while, and read again as soon as a client or a meter is added (a new
    newest id: two lookups in the primary keys)."""
    newest = db.session.execute(select(select(func.max(Client.id)).scalar_subquery(),
                                       select(func.max(Meter.id)).scalar_subquery())).one()
    key = str(db.engine.url)
    kept = _houses.get(key)
    if kept is not None and kept[1] == tuple(newest) and time.monotonic() - kept[0] < HOUSES_KEEP_SECONDS:
        return kept[2]
    rows = db.session.execute(select(Client.city, Client.street, Client.house, Client.house_letter).distinct()
                              .where(select(Meter.id).where(Meter.client_id == Client.id).exists())).all()
    found = sorted((tuple(row) for row in rows), key=lambda r: (r[0], r[1], _number(r[2]), r[3]))
    _houses[key] = (time.monotonic(), tuple(newest), found)
    return found


def address_choices(filters: Filters) -> tuple[list, list]:
    """The filter's choices: every street [(key, «ул. Ленина (Самара)»)], and the houses of the chosen
    street [(key, «д. 5А»)] (a house is chosen within its street: a list of every house is too long)."""
    streets, on_street = {}, []
    for city, street, house, letter in houses():
        streets.setdefault((city, street), None)
        if filters.street == (city, street):
            on_street.append((house_key(city, street, house, letter), f"д. {house}{letter}"))
    return ([(HOUSE_SEPARATOR.join(s), s[1] + (f" ({s[0]})" if s[0] else "")) for s in streets], on_street)


def _number(text: str):
    digits = "".join(ch for ch in text if ch.isdigit())
    return (int(digits) if digits else 0, text)


@dataclass(frozen=True)
class HouseShare:
    city: str
    street: str
    house: str
    letter: str
    meters: int
    reported: int

    @property
    def percent(self) -> int:
        return round(100 * self.reported / self.meters) if self.meters else 0


def summary(period: date) -> list[HouseShare]:
    """Meters in use and meters with a reading this month, by house: counted by account first (in the
    order of the meters' index), then the accounts' counts summed by house."""
    per_account = (select(Meter.client_id, func.count(Meter.id).label("meters"),
                          func.count(MeterReading.id).label("reported"))
                   .outerjoin(MeterReading, and_(_reading(period), MeterReading.status != SWAP))
                   .where(in_use(period)).group_by(Meter.client_id).subquery())
    rows = db.session.execute(
        select(Client.city, Client.street, Client.house, Client.house_letter, func.sum(per_account.c.meters),
               func.sum(per_account.c.reported))
        .join(per_account, per_account.c.client_id == Client.id)
        .group_by(Client.city, Client.street, Client.house, Client.house_letter)).all()
    shares = [HouseShare(*row[:4], int(row[4]), int(row[5])) for row in rows]
    return sorted(shares, key=lambda s: (s.city, s.street, _number(s.house), s.letter))


def missing_accounts(period: date) -> Select:
    """Accounts with meters in use and at least one of them without a reading this month: the
    account, its resident and how many meters are missing."""
    missing = func.sum(case((MeterReading.id.is_(None), 1), else_=0))
    return (select(Client.account, Client.full_name, Client.city, Client.street, Client.house,
                   Client.house_letter, Client.apartment, Client.phone, func.count(Meter.id), missing)
            .select_from(Meter).join(Client, Client.id == Meter.client_id)
            .outerjoin(MeterReading, and_(_reading(period), MeterReading.status.in_(COUNTED)))
            .where(in_use(period))
            .group_by(Client.id, Client.account, Client.full_name, Client.city, Client.street, Client.house,
                      Client.house_letter, Client.apartment, Client.phone)
            .having(missing > 0).order_by(Client.account))


def months_around(period: date, back: int = 12) -> list[date]:
    """The months the page offers: this one and the year before it."""
    return [add_months(period, -i) for i in range(back + 1)]
