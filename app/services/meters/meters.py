"""The meters of an account: what a meter record may hold, adding, editing and replacing one
(the old one is closed with its final reading, the new one starts from its initial reading).
Shared by the client page and the import."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models.base import MAX_ID
from app.models.meters import RESOURCES, Meter, MeterReading
from app.services.meters import values as meter_values

INT_DIGITS = range(1, 10)   # before the point: a household meter has 4..8
FRAC_DIGITS = range(0, 4)   # after it
SERIAL_MAX = Meter.__table__.c.serial.type.length
PLACE_MAX = Meter.__table__.c.place.type.length


class MeterInvalid(ValueError):
    """The meter cannot be saved so; the message (Russian) says why."""


def parse_id(value) -> int | None:
    text = str(value if value is not None else "")
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID:
        return int(text)
    return None


@dataclass
class MeterData:
    """A meter as staff describe it (the form, a row of the import), checked."""

    resource: str
    serial: str
    place: str
    int_digits: int
    frac_digits: int
    verification_due: date | None
    initial_date: date
    initial: tuple  # thousandths, one per rate


def check(resource: str, serial: str, place: str, int_digits, frac_digits, verification_due: date | None,
          initial_date: date | None, initial_raw: list) -> MeterData:
    """The meter's fields checked together, or MeterInvalid listing every problem."""
    problems = []
    kind = RESOURCES.get(resource)
    if kind is None:
        problems.append("Выберите ресурс: " + ", ".join(r.title for r in RESOURCES.values()) + ".")
    serial = " ".join(str(serial or "").split())
    if not serial:
        problems.append("Укажите заводской номер счётчика.")
    elif len(serial) > SERIAL_MAX:
        problems.append(f"Заводской номер длиннее {SERIAL_MAX} символов.")
    place = " ".join(str(place or "").split())
    if len(place) > PLACE_MAX:
        problems.append(f"Место установки длиннее {PLACE_MAX} символов.")
    try:
        int_digits, frac_digits = int(int_digits), int(frac_digits)
        if int_digits not in INT_DIGITS or frac_digits not in FRAC_DIGITS:
            raise ValueError
    except (TypeError, ValueError):
        problems.append("Разрядность: до запятой от 1 до 9 цифр, после запятой от 0 до 3.")
        int_digits, frac_digits = 9, 3
    if initial_date is None:
        problems.append("Укажите дату начальных показаний.")
    initial = []
    rates = kind.rates if kind else ("",)
    for rate, raw in zip(rates, list(initial_raw) + [""] * len(rates)):
        title = f"Начальное показание{f' ({rate})' if rate else ''}"
        if raw in (None, ""):
            problems.append(f"{title}: укажите его.")
            continue
        try:
            initial.append(meter_values.parse(raw, int_digits, frac_digits))
        except meter_values.InvalidValue as error:
            problems.append(f"{title}: {error}")
    if problems:
        raise MeterInvalid(" ".join(problems))
    return MeterData(resource, serial, place, int_digits, frac_digits, verification_due, initial_date, tuple(initial))


def _apply(meter: Meter, data: MeterData) -> None:
    meter.resource, meter.serial, meter.place = data.resource, data.serial, data.place
    meter.int_digits, meter.frac_digits = data.int_digits, data.frac_digits
    if meter.verification_due != data.verification_due:
        meter.verification_noticed = None  # a new date: residents are told again when it nears
    meter.verification_due = data.verification_due
    meter.initial_date = data.initial_date
    padded = tuple(data.initial) + (None,) * (3 - len(data.initial))
    meter.initial1, meter.initial2, meter.initial3 = padded


def has_readings(meter_id: int) -> bool:
    return db.session.execute(select(MeterReading.id).where(MeterReading.meter_id == meter_id).limit(1)).first() \
        is not None


def add(client_id: int, data: MeterData, flush: bool = True) -> Meter:
    """A new meter of the account (`flush`: given its id now; an import flushes them all at once)."""
    meter = Meter(client_id=client_id, active=True)
    _apply(meter, data)
    db.session.add(meter)
    if flush:
        db.session.flush()
    return meter


def check_edit(meter: Meter, data: MeterData) -> None:
    """What a fix of a meter with readings may not change, or MeterInvalid: its resource (and so its
    rates); initial values above its first counted reading (readings never go down)."""
    from app.services.meters.readings import counted_after
    if data.resource != meter.resource and has_readings(meter.id):
        raise MeterInvalid("По счётчику уже есть показания: ресурс изменить нельзя. Если счётчик другой — "
                           "замените его.")
    if tuple(data.initial) == tuple(meter.initial):
        return
    first = db.session.execute(counted_after(meter.id, date.min).limit(1)).scalar_one_or_none()
    if first is None:
        return
    for rate, initial, value in zip(meter.kind.rates, data.initial, first.values):
        if initial > (value or 0):
            raise MeterInvalid(
                f"Начальное показание{f' ({rate})' if rate else ''} больше первого переданного — за "
                f"{first.period:%m.%Y} ({meter_values.show(value, meter.frac_digits)}): показания не могут "
                "уменьшаться. Проверьте значение.")


def edit(meter: Meter, data: MeterData) -> None:
    """Fix a meter's record (checked by `check_edit`); new initial values become the previous ones of
    its first readings."""
    from app.services.meters.readings import relink
    check_edit(meter, data)
    initial_changed = tuple(data.initial) != tuple(meter.initial)
    _apply(meter, data)
    if initial_changed:
        db.session.flush()
        relink(meter, None)


def replace(old: Meter, replaced_on: date | None, final_raw: list, data: MeterData) -> Meter:
    """Close `old` with its final reading and put the new meter in its place (the caller commits)."""
    from app.services.meters.readings import latest
    if not old.active:
        raise MeterInvalid("Этот счётчик уже заменён.")
    problems, final = [], []
    if replaced_on is None:
        problems.append("Укажите дату замены.")
    base = latest(old)
    for i, (rate, raw) in enumerate(zip(old.kind.rates, list(final_raw) + [""] * 3)):
        title = f"Конечное показание{f' ({rate})' if rate else ''}"
        try:
            value = meter_values.parse(raw, old.int_digits, old.frac_digits)
        except meter_values.InvalidValue as error:
            problems.append(f"{title}: {error}")
            continue
        if base.below(i, value):
            problems.append(f"{title} меньше последнего показания "
                            f"({meter_values.show(base.previous[i], old.frac_digits)}).")
        final.append(value)
    if problems:
        raise MeterInvalid(" ".join(problems))
    padded = tuple(final) + (None,) * (3 - len(final))
    old.final1, old.final2, old.final3 = padded
    old.active, old.replaced_on = False, replaced_on
    return add(old.client_id, data)
