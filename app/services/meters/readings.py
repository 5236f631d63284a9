"""Readings: what a new value is checked against, storing it (a correction keeps the history), and
the operators' review. One place for each rule:
- the digits: app.services.meters.values;
- not below the previous reading, and (a past month) not above the next one: `Baseline.below`,
  `Baseline.above_next`;
- unusual consumption, above 3× the meter's average of the last 6 months or above the company's cap
  for the resource, this month's or (a past month) the next reading's: `Baseline.unusual`;
- a reading's stored previous values (`prev1..3`, what the page, the export and the average read)
  follow the readings before it: `relink`, run whenever a month's counted reading changes.
- the window: app.services.meters.window, checked again when a resident's reading is stored."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Client, utcnow
from app.models.meters import (
    ACCEPTED, BOT, CORRECTED, COUNTED, OPERATOR, REJECTED, SCALE, SUSPICIOUS, SWAP, Meter, MeterReading,
)
from app.services import company
from app.services.meters import window
from app.services.meters.values import show
from app.services.messaging import outbox
from app.services.people import bindings
from app.services.requests import staff_alerts
from app.telegram import meters as voice

AVERAGE_MONTHS = 6
UNUSUAL_TIMES = 3


class ReadingRefused(Exception):
    """The reading cannot be stored; the message (Russian) says why."""


@dataclass(frozen=True)
class Baseline:
    """What a new reading of a meter for a month is checked against."""

    previous: tuple          # values per rate (thousandths)
    previous_date: date      # when the previous reading was given (or the meter was installed)
    average: tuple | None    # monthly consumption per rate over the last months with readings
    cap: int | None          # the company's cap for the resource, thousandths per month
    # A past month's reading lies between two: the meter's next counted reading after the month.
    next: tuple | None = None
    next_period: date | None = None

    def below(self, rate: int, value: int) -> bool:
        return value < (self.previous[rate] or 0)

    def above_next(self, rate: int, value: int) -> bool:
        return self.next is not None and value > (self.next[rate] or 0)

    def next_consumption(self, rate: int, value: int) -> int | None:
        """The next reading's consumption if this value were the month's (None: no later reading)."""
        return None if self.next is None else (self.next[rate] or 0) - value

    def consumption(self, rate: int, value: int) -> int:
        return value - (self.previous[rate] or 0)

    def unusual(self, rate: int, value: int) -> bool:
        """This month's consumption, or the next reading's that this value would make, is unusual."""
        return self.unusual_use(rate, self.consumption(rate, value)) or (
            self.next is not None and self.unusual_use(rate, self.next_consumption(rate, value)))

    def unusual_use(self, rate: int, used: int) -> bool:
        """A month's consumption of the rate above the cap, or above 3× the average."""
        if self.cap is not None and used > self.cap:
            return True
        average = self.average[rate] if self.average else 0
        return bool(average) and used > UNUSUAL_TIMES * average


def counted_before(meter_id: int, period: date):
    return (select(MeterReading)
            .where(MeterReading.meter_id == meter_id, MeterReading.live, MeterReading.status.in_(COUNTED),
                   MeterReading.period < period)
            .order_by(MeterReading.period.desc()))


def counted_after(meter_id: int, period: date):
    return (select(MeterReading)
            .where(MeterReading.meter_id == meter_id, MeterReading.live, MeterReading.status.in_(COUNTED),
                   MeterReading.period > period)
            .order_by(MeterReading.period))


def baseline(meter: Meter, period: date) -> Baseline:
    rates = meter.kind.rate_count
    last = db.session.execute(counted_before(meter.id, period).limit(1)).scalar_one_or_none()
    if last is None:
        previous, previous_date = meter.initial, meter.initial_date
    else:
        previous, previous_date = last.values, window.local_date(last.created_at)
    later = db.session.execute(counted_after(meter.id, period).limit(1)).scalar_one_or_none()
    since = window.add_months(period, -AVERAGE_MONTHS)
    used = db.session.execute(
        select(*(func.avg(getattr(MeterReading, f"v{i}") - getattr(MeterReading, f"prev{i}"))
                 for i in range(1, rates + 1)))
        .where(MeterReading.meter_id == meter.id, MeterReading.live, MeterReading.status.in_(COUNTED),
               MeterReading.period < period, MeterReading.period >= since)).one()
    average = None if used[0] is None else tuple(int(v or 0) for v in used)
    caps = company.get("meter_caps") or {}
    cap = caps.get(meter.resource)
    return Baseline(tuple(v or 0 for v in previous), previous_date, average,
                    None if cap in (None, "") else int(float(cap) * SCALE),
                    None if later is None else tuple(v or 0 for v in later.values),
                    None if later is None else later.period)


def relink(meter: Meter, period: date | None) -> None:
    """The month's counted reading changed (given, corrected, rejected; `period` None: the meter's
    initial values): the live readings after it, up to the next counted one, were checked against
    what the meter counted before them and keep that as their previous values, so the page, the
    export and the averages see the change. One UPDATE (the caller commits)."""
    since = period or date.min
    last = db.session.execute(select(MeterReading).where(
        MeterReading.meter_id == meter.id, MeterReading.live, MeterReading.status.in_(COUNTED),
        MeterReading.period <= since).order_by(MeterReading.period.desc()).limit(1)).scalar_one_or_none()
    previous = meter.initial if last is None else last.values
    previous = tuple(previous) + (None,) * (3 - len(previous))
    later = db.session.execute(select(func.min(MeterReading.period)).where(
        MeterReading.meter_id == meter.id, MeterReading.live, MeterReading.status.in_(COUNTED),
        MeterReading.period > since)).scalar()
    which = [MeterReading.meter_id == meter.id, MeterReading.live, MeterReading.period > since]
    if later is not None:
        which.append(MeterReading.period <= later)
    db.session.execute(update(MeterReading).where(*which).values(prev1=previous[0], prev2=previous[1],
                                                                 prev3=previous[2]))


def latest(meter: Meter) -> Baseline:
    """What a meter's final reading is checked against: its latest counted reading of any month (or
    its initial one)."""
    last = last_counted(meter.id)
    if last is None:
        return Baseline(tuple(v or 0 for v in meter.initial), meter.initial_date, None, None)
    return Baseline(tuple(v or 0 for v in last.values), window.local_date(last.created_at), None, None)


def live_reading(meter_id: int, period: date) -> MeterReading | None:
    return db.session.execute(select(MeterReading).where(
        MeterReading.meter_id == meter_id, MeterReading.period == period, MeterReading.live)).scalar_one_or_none()


def last_counted(meter_id: int) -> MeterReading | None:
    """The meter's latest reading that counts (any month)."""
    return db.session.execute(
        select(MeterReading).where(MeterReading.meter_id == meter_id, MeterReading.live,
                                   MeterReading.status.in_(COUNTED))
        .order_by(MeterReading.period.desc()).limit(1)).scalar_one_or_none()


def store(meter: Meter, period: date, values: tuple, *, source: str, status: str = ACCEPTED,
          telegram_user_id: int | None = None, chat_id: int | None = None, staff_id: int | None = None,
          photo_file_id: str = "", base: Baseline | None = None) -> MeterReading:
    """The month's reading of the meter (the caller commits): an earlier one of the month stays in the
    history as corrected."""
    base = base or baseline(meter, period)
    # Locks the meter's live row first (PostgreSQL: row lock; SQLite: the write lock), so two
    # submissions of the same month are stored one after the other.
    db.session.execute(update(MeterReading).where(
        MeterReading.meter_id == meter.id, MeterReading.period == period, MeterReading.live)
        .values(live=False, status=CORRECTED))
    padded = tuple(values) + (None,) * (3 - len(values))
    previous = tuple(base.previous) + (None,) * (3 - len(base.previous))
    reading = MeterReading(
        meter_id=meter.id, period=period, v1=padded[0], v2=padded[1], v3=padded[2],
        prev1=previous[0], prev2=previous[1], prev3=previous[2], source=source, status=status, live=True,
        telegram_user_id=telegram_user_id, chat_id=chat_id, staff_id=staff_id, photo_file_id=photo_file_id)
    db.session.add(reading)
    db.session.flush()
    relink(meter, period)
    return reading


# --- the resident's side (the bot) ---

def accounts_of(telegram_user_id: int) -> list[Client]:
    """The accounts the Telegram user holds, in the order the bot lists a household's flats."""
    return [pair.client for pair in bindings.accounts(telegram_user_id)]


def resident_meter(telegram_user_id: int, meter_id) -> Meter:
    """A meter of one of the user's accounts, still in use, or ReadingRefused (a forged or old id)."""
    from app.services.meters.meters import parse_id
    meter = db.session.get(Meter, parse_id(meter_id) or 0)
    if meter is None or meter.client_id not in {c.id for c in accounts_of(telegram_user_id)}:
        raise ReadingRefused("Этот счётчик не относится к вашим лицевым счетам.")
    if not meter.active:
        raise ReadingRefused("Этот счётчик заменён, показания по нему больше не принимаются. "
                             "Выберите счётчик из списка.")
    return meter


def submit_from_bot(telegram_user_id: int, chat_id: int, meter_id, values: tuple, photo_file_id: str = "",
                    confirmed_unusual: bool = False) -> MeterReading:
    """A resident's reading, checked again as it is stored (the window may have closed, the meter
    replaced, another reading given meanwhile)."""
    meter = resident_meter(telegram_user_id, meter_id)
    today = window.today()
    if not window.current().is_open(today):
        raise ReadingRefused("Приём показаний сейчас закрыт.")
    period = window.period_of(today)
    base = baseline(meter, period)
    if len(values) != meter.kind.rate_count:
        raise ReadingRefused("Показания введены не полностью. Начните заново.")
    if any(base.below(i, v) for i, v in enumerate(values)):
        raise ReadingRefused("Показание меньше предыдущего. Начните заново.")
    if any(base.above_next(i, v) for i, v in enumerate(values)):
        raise ReadingRefused("Показание больше переданного за следующий месяц. Начните заново.")
    unusual = any(base.unusual(i, v) for i, v in enumerate(values))
    if unusual and not confirmed_unusual:
        raise ReadingRefused("Расход нужно подтвердить. Начните заново.")
    return store(meter, period, values, source=BOT, status=SUSPICIOUS if unusual else ACCEPTED,
                 telegram_user_id=telegram_user_id, chat_id=chat_id, photo_file_id=photo_file_id, base=base)


def report_swap(telegram_user_id: int, chat_id: int, meter_id, values: tuple) -> MeterReading:
    """The resident says the meter was replaced (the value is below the previous one): kept as the
    month's word for the dispatcher instead of a reading."""
    meter = resident_meter(telegram_user_id, meter_id)
    period = window.period_of(window.today())
    padded = tuple(values) + (0,) * (meter.kind.rate_count - len(values))
    base = baseline(meter, period)
    reading = store(meter, period, padded, source=BOT, status=SWAP, telegram_user_id=telegram_user_id,
                    chat_id=chat_id, base=base)
    if staff_alerts.chat_id() is not None:  # the staff chat hears of it at once; «Показания» lists it too
        outbox.queue(staff_alerts.chat_id(), voice.swap_alert(meter, meter.client, padded, base.previous),
                     kind="alert", priority=outbox.ALERT)
    return reading


# --- the operators' side ---

def enter_by_operator(meter: Meter, period: date, values: tuple, staff_id: int, unusual_checked: bool) -> MeterReading:
    """A reading taken by phone, for this month or a past one. It must lie between the readings on
    both sides (not below the previous one, not above a later month's); an unusual consumption, this
    month's or the next reading's, must be confirmed as checked."""
    if not meter.active:
        raise ReadingRefused("Счётчик заменён: показания по нему больше не принимаются.")
    if period > window.period_of(window.today()):
        raise ReadingRefused("Показания за будущий месяц не принимаются.")
    base = baseline(meter, period)
    check_between(meter, period, base, values)
    if not unusual_checked:
        for i, value in enumerate(values):
            if base.unusual_use(i, base.consumption(i, value)):
                used = ", ".join(show(base.consumption(k, v), meter.frac_digits) for k, v in enumerate(values))
                raise ReadingRefused(f"Необычно большой расход ({used} {meter.kind.unit} за месяц). "
                                     "Проверьте показание и отметьте «Расход проверен».")
            if base.unusual(i, value):
                used = ", ".join(show(base.next_consumption(k, v), meter.frac_digits) for k, v in enumerate(values))
                raise ReadingRefused(
                    f"С этим показанием расход за {base.next_period:%m.%Y} станет необычно большим ({used} "
                    f"{meter.kind.unit}). Проверьте показание и отметьте «Расход проверен».")
    return store(meter, period, values, source=OPERATOR, staff_id=staff_id, base=base)


def check_between(meter: Meter, period: date, base: Baseline, values: tuple) -> None:
    """A month's values lie between the meter's counted readings before and after the month, or
    ReadingRefused saying which one they cross."""
    for i, value in enumerate(values):
        if base.below(i, value):
            raise ReadingRefused(
                f"Показание меньше предыдущего ({show(base.previous[i], meter.frac_digits)}). Если счётчик "
                "заменили, замените его на странице клиента.")
        if base.above_next(i, value):
            raise ReadingRefused(
                f"Показание за {period:%m.%Y} больше более позднего — за {base.next_period:%m.%Y} "
                f"({show(base.next[i], meter.frac_digits)}): показания не могут уменьшаться. Проверьте "
                f"значение или сначала исправьте показание за {base.next_period:%m.%Y}.")


def review(reading: MeterReading, accept: bool, staff_id: int, comment: str) -> None:
    """Accept or reject a reading that needs checking; the resident who gave it is told (the caller
    commits)."""
    if not reading.live or reading.status not in (SUSPICIOUS, SWAP):
        raise ReadingRefused("Это показание уже проверено или исправлено.")
    if not accept and not comment:
        raise ReadingRefused("Напишите, почему показание отклонено: житель получит этот комментарий.")
    if accept and reading.status == SWAP:
        raise ReadingRefused("Сообщение о замене счётчика не принимается как показание: замените счётчик "
                             "на странице клиента или отклоните сообщение с комментарием.")
    if accept:  # accepted, it must still lie between the readings on both sides
        check_between(reading.meter, reading.period, baseline(reading.meter, reading.period), reading.values)
    reading.status = ACCEPTED if accept else REJECTED
    reading.live = bool(accept)
    reading.comment = comment
    reading.reviewed_by_id, reading.reviewed_at = staff_id, utcnow()
    db.session.flush()
    relink(reading.meter, reading.period)  # rejected, the later months count from the reading before it
    if reading.chat_id:
        meter = reading.meter
        text = voice.review_news(meter, reading.period, reading.values, accept, comment)
        outbox.queue(reading.chat_id, text, kind="meter")
