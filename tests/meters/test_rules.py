"""The rules of a reading, each in its one place: the digits, the window, not below the previous,
unusual consumption (3× the 6-month average, or the company's cap)."""
from datetime import date

import pytest

from app.models.meters import ACCEPTED, CORRECTED, SUSPICIOUS, MeterReading
from app.services.meters import readings, values, window
from app.services.meters.values import InvalidValue, parse, show
from tests.meters.helpers import meter, reading


@pytest.mark.parametrize("typed,expected", [
    ("123", 123_000), ("123,45", 123_450), ("123.45", 123_450), (" 12 345,5 ", 12_345_500), ("0,001", 1),
    ("00123", 123_000), (",5", 500), ("99999,999", 99_999_999), ("12,500", 12_500),
])
def test_values_are_typed_with_a_comma_or_a_point(typed, expected):
    assert parse(typed, 5, 3) == expected


@pytest.mark.parametrize("typed,int_digits,frac_digits,fragment", [
    ("abc", 5, 3, "не число"),
    ("12a", 5, 3, "не число"),
    ("1,2,3", 5, 3, "не число"),
    ("-5", 5, 3, "отрицательным"),
    ("−5", 5, 3, "отрицательным"),
    ("1" * 50, 5, 3, "Слишком много цифр"),
    ("123456", 5, 3, "Слишком много цифр"),
    ("12,5", 5, 0, "нет цифр после запятой"),
    ("12,3456", 5, 3, "не больше 3 цифр"),
    ("", 5, 3, "Введите показание"),
    ("١٢٣", 5, 3, "не число"),  # Arabic-Indic digits are not a meter's
])
def test_a_bad_value_says_why(typed, int_digits, frac_digits, fragment):
    with pytest.raises(InvalidValue, match=fragment):
        parse(typed, int_digits, frac_digits)


def test_values_are_shown_with_the_meter_s_decimals():
    assert show(123_450, 3) == "123,450"
    assert show(123_450, 1) == "123,4"
    assert show(1_234_000, 0) == "1 234"
    assert show(None) == "—"
    assert values.units(1500) == 1.5


def test_the_window_and_the_next_opening():
    w = window.Window(15, 25)
    assert not w.is_open(date(2026, 12, 14)) and w.is_open(date(2026, 12, 15)) and w.is_open(date(2026, 12, 25))
    assert not w.is_open(date(2026, 12, 26))
    assert w.next_opening(date(2026, 12, 7)) == date(2026, 12, 15)
    assert w.next_opening(date(2026, 12, 26)) == date(2027, 1, 15)
    assert window.Window(20, 31).closes(date(2027, 2, 21)) == date(2027, 2, 28)
    assert window.add_months(date(2026, 1, 1), -6) == date(2025, 7, 1)


def test_the_baseline_is_the_last_counted_reading_or_the_initial_one(ctx):
    m = meter(ctx.client(), initial=(100,))
    base = readings.baseline(m, date(2026, 3, 1))
    assert base.previous == (100_000,) and base.average is None and base.previous_date == date(2026, 1, 10)
    reading(m, date(2026, 2, 1), 110)
    reading(m, date(2026, 3, 1), 118)
    base = readings.baseline(m, date(2026, 4, 1))
    assert base.previous == (118_000,)
    assert base.average == (9_000,)  # (10 + 8) / 2
    assert base.below(0, 117_999) and not base.below(0, 118_000)
    assert base.consumption(0, 130_000) == 12_000
    assert not base.unusual(0, 145_000)      # 27 ≤ 3 × 9 and under the 30 m³ cap
    assert base.unusual(0, 145_001)          # above 3 × 9
    # No history: the company's cap for the resource decides.
    fresh = meter(ctx.client("100002"), serial="X-2", initial=(0,))
    base = readings.baseline(fresh, date(2026, 2, 1))
    assert not base.unusual(0, 30_000) and base.unusual(0, 30_001)


def test_a_correction_keeps_the_history_and_one_live_reading(ctx):
    m = meter(ctx.client())
    first = reading(m, date(2026, 2, 1), 110)
    second = reading(m, date(2026, 2, 1), 111)
    rows = MeterReading.query.order_by(MeterReading.id).all()
    assert [(r.id, r.status, r.live) for r in rows] == [(first.id, CORRECTED, False), (second.id, ACCEPTED, True)]
    assert second.previous == (100_000,)


def test_an_operator_cannot_go_below_the_previous_and_confirms_an_unusual_consumption(ctx):
    m = meter(ctx.client(), initial=(100,))
    period = date(2026, 2, 1)
    with pytest.raises(readings.ReadingRefused, match="меньше предыдущего"):
        readings.enter_by_operator(m, period, (99_000,), ctx.staff("operator").id, False)
    with pytest.raises(readings.ReadingRefused, match="Необычно большой расход"):
        readings.enter_by_operator(m, period, (200_000,), ctx.staff("operator").id, False)
    stored = readings.enter_by_operator(m, period, (200_000,), ctx.staff("operator").id, True)
    assert stored.source == "operator" and stored.status == ACCEPTED


def test_a_replaced_meter_takes_no_reading(ctx):
    from app.services.meters import meters as meter_service
    m = meter(ctx.client(), initial=(100,))
    data = meter_service.check("cold", "NEW-1", "кухня", 5, 3, None, date(2026, 2, 1), ["0"])
    with pytest.raises(meter_service.MeterInvalid, match="меньше последнего"):
        meter_service.replace(m, date(2026, 2, 1), ["99"], data)
    new = meter_service.replace(m, date(2026, 2, 1), ["120,5"], data)
    assert not m.active and m.final == (120_500,) and new.active and new.initial == (0,)
    with pytest.raises(readings.ReadingRefused, match="заменён"):
        readings.enter_by_operator(m, date(2026, 3, 1), (130_000,), None, True)


def test_review_tells_the_resident(ctx):
    from app.models import Notification
    m = meter(ctx.client())
    r = readings.store(m, date(2026, 2, 1), (190_000,), source="bot", status=SUSPICIOUS, chat_id=777,
                       telegram_user_id=777)
    with pytest.raises(readings.ReadingRefused, match="почему"):
        readings.review(r, False, ctx.staff("operator").id, "")
    readings.review(r, False, ctx.staff("operator").id, "На фото 109")
    ctx_rows = Notification.query.filter_by(chat_id=777).all()
    assert len(ctx_rows) == 1 and "отклонено" in ctx_rows[0].text and "На фото 109" in ctx_rows[0].text
    assert not r.live
    with pytest.raises(readings.ReadingRefused, match="уже проверено"):
        readings.review(r, True, ctx.staff("operator").id, "")
