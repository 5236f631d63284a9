"""A reading entered, corrected, accepted or rejected for a past month: the later months' previous
values and consumption follow it (the page, the export, the averages), and it must lie between the
readings on both sides."""
import io

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models.meters import SUSPICIOUS, MeterReading
from app.services.meters import meters as meter_service
from app.services.meters import readings, window
from app.services.meters.meter_import import import_meters
from devtools.spreadsheets import csv_bytes
from tests.meters.helpers import meter, reading


def months_back(app, *backs):
    with app.test_request_context():
        this = window.period_of(window.today())
    return [window.add_months(this, -back) for back in backs]


def live(m, period) -> MeterReading:
    db.session.expire_all()
    return MeterReading.query.filter_by(meter_id=m.id, period=period, live=True).one()


@pytest.fixture
def history(ctx, app):
    """A meter from 100 with readings three months ago (110), two months ago (118) and last month
    (125); four months ago has none."""
    gap, m1, m2, m3 = months_back(app, 4, 3, 2, 1)
    m = meter(ctx.client(), initial=(100,), initial_date=window.add_months(gap, -1))
    reading(m, m1, 110)
    reading(m, m2, 118)
    reading(m, m3, 125)
    return {"meter": m, "gap": gap, "m1": m1, "m2": m2, "m3": m3, "operator": ctx.staff("operator")}


def test_a_past_month_corrected_moves_the_next_month_s_previous(history):
    m, op = history["meter"], history["operator"]
    readings.enter_by_operator(m, history["m1"], (112_000,), op.id, False)
    db.session.commit()
    assert live(m, history["m2"]).previous == (112_000,)
    assert live(m, history["m3"]).previous == (118_000,)  # only the next month is measured from it
    assert live(m, history["m1"]).previous == (100_000,)


def test_a_missing_past_month_entered_becomes_the_next_month_s_previous(history):
    m, op = history["meter"], history["operator"]
    readings.enter_by_operator(m, history["gap"], (104_000,), op.id, False)
    db.session.commit()
    assert live(m, history["gap"]).previous == (100_000,)
    assert live(m, history["m1"]).previous == (104_000,)


def test_a_past_month_must_lie_between_the_readings_on_both_sides(history):
    m, op = history["meter"], history["operator"]
    with pytest.raises(readings.ReadingRefused, match=f"больше более позднего — за {history['m2']:%m.%Y} "
                                                      r"\(118,000\)"):
        readings.enter_by_operator(m, history["m1"], (118_500,), op.id, True)
    with pytest.raises(readings.ReadingRefused, match="меньше предыдущего"):
        readings.enter_by_operator(m, history["m2"], (109_000,), op.id, True)
    equal = readings.enter_by_operator(m, history["m1"], (118_000,), op.id, True)  # a month without use
    assert equal.values == (118_000,)
    db.session.rollback()
    assert live(m, history["m1"]).values == (110_000,)


def test_unusual_is_also_the_next_month_s_consumption_a_past_value_would_make(history):
    m, op = history["meter"], history["operator"]
    # Three months ago 100 → 101 is a fine month, but the month after it would then use 118 − 101 =
    # 17 m³, above the company's cap of 15 m³.
    from app.services import company
    company.put({"meter_caps": {"cold": 15}}, None)
    db.session.commit()
    with pytest.raises(readings.ReadingRefused, match=f"расход за {history['m2']:%m.%Y} станет необычно "
                                                      "большим \\(17,000 м³\\)"):
        readings.enter_by_operator(m, history["m1"], (101_000,), op.id, False)
    stored = readings.enter_by_operator(m, history["m1"], (101_000,), op.id, True)
    db.session.commit()
    assert stored.values == (101_000,) and live(m, history["m2"]).previous == (101_000,)


def test_a_future_month_is_refused(history, app):
    [later] = months_back(app, -1)
    with pytest.raises(readings.ReadingRefused, match="будущий месяц"):
        readings.enter_by_operator(history["meter"], later, (130_000,), history["operator"].id, True)


def test_rejecting_a_past_month_measures_the_next_from_the_one_before(history, ctx):
    m, op = history["meter"], history["operator"]
    suspicious = readings.store(m, history["m2"], (119_000,), source="bot", status=SUSPICIOUS, chat_id=5,
                                telegram_user_id=5)
    db.session.commit()
    assert live(m, history["m3"]).previous == (119_000,)
    readings.review(suspicious, False, op.id, "На фото 118")
    db.session.commit()
    assert live(m, history["m3"]).previous == (110_000,)  # the month has no reading now
    assert readings.baseline(m, history["m2"]).next == (125_000,)


def test_accepting_checks_the_readings_on_both_sides(history):
    m, op = history["meter"], history["operator"]
    # A suspicious reading left from before the rule: above the month after it.
    bad = readings.store(m, history["m1"], (120_000,), source="bot", status=SUSPICIOUS)
    db.session.commit()
    with pytest.raises(readings.ReadingRefused, match="больше более позднего"):
        readings.review(bad, True, op.id, "")
    db.session.rollback()
    assert db.session.get(MeterReading, bad.id).status == SUSPICIOUS


def test_the_average_counts_from_the_corrected_previous(history):
    m, op = history["meter"], history["operator"]
    readings.enter_by_operator(m, history["m1"], (116_000,), op.id, False)
    db.session.commit()
    # 16 + 2 + 7 over three months
    assert readings.baseline(m, window.add_months(history["m3"], 1)).average == (8_333,)


def test_a_new_initial_value_moves_the_first_reading_s_previous_and_may_not_pass_it(history):
    m = history["meter"]
    data = meter_service.check("cold", m.serial, m.place, 5, 3, None, m.initial_date, ["111"])
    with pytest.raises(meter_service.MeterInvalid, match=f"больше первого переданного — за {history['m1']:%m.%Y} "
                                                         r"\(110,000\)"):
        meter_service.edit(m, data)
    db.session.rollback()
    meter_service.edit(m, meter_service.check("cold", m.serial, m.place, 5, 3, None, m.initial_date, ["95"]))
    db.session.commit()
    assert live(m, history["m1"]).previous == (95_000,)


def test_an_import_cannot_put_the_initial_value_above_the_first_reading(history):
    m = history["meter"]
    header = ["ЛС", "Ресурс", "Заводской номер", "Место установки", "Цифр до запятой", "Цифр после запятой",
              "Дата поверки", "Начальное показание"]
    row = [[m.client.account, "ХВС", m.serial, m.place, 5, 3, "", "111"]]
    for dry_run in (True, False):
        report = import_meters(csv_bytes(row, header=header), "m.csv", dry_run=dry_run)
        assert report.updated == 0 and "больше первого переданного" in report.errors[0].reason
    db.session.rollback()
    report = import_meters(csv_bytes([row[0][:-1] + ["99,5"]], header=header), "m.csv")
    db.session.commit()
    assert report.updated == 1 and live(m, history["m1"]).previous == (99_500,)


def test_the_page_and_the_export_show_a_past_month_s_correction(history, operator):
    m, m1, m2 = history["meter"], history["m1"], history["m2"]
    form = operator.page(f"/meters/{m.id}/reading?month={m1:%Y-%m}")
    assert "Предыдущее: 100,000" in form and f"Следующее — за {m2:%m.%Y}: 118,000" in form
    too_high = operator.post(f"/meters/{m.id}/reading?month={m1:%Y-%m}", {"v1": "119"})
    assert too_high.status_code == 200
    assert f"больше более позднего — за {m2:%m.%Y} (118,000)" in too_high.get_data(as_text=True)
    assert operator.post(f"/meters/{m.id}/reading?month={m1:%Y-%m}", {"v1": "113,5"}).status_code == 302
    page = operator.page(f"/meters/?month={m2:%Y-%m}")
    row = page[page.index(f'id="meter-{m.id}"'):]
    row = row[:row.index("</tr>")]
    assert "113,500" in row and "118,000" in row and "4,500" in row  # previous, current, consumption
    sheet = load_workbook(io.BytesIO(operator.get(f"/meters/export.xlsx?month={m2:%Y-%m}").data))["Показания"]
    [exported] = list(sheet.iter_rows(min_row=2, values_only=True))
    assert exported[5:8] == (113.5, 118, 4.5)


def test_the_bot_checks_the_same_both_sides(history, app):
    """The bot only gives this month's reading; a later one (written before the future months were
    refused) still bounds it."""
    from app.models import TelegramBinding
    from tests.meters.helpers import open_window_today
    m = history["meter"]
    [this, later] = months_back(app, 0, -1)
    db.session.add(TelegramBinding(client_id=m.client_id, telegram_user_id=77, chat_id=77, phone="+79120000000"))
    open_window_today(this)
    reading(m, later, 140)
    with pytest.raises(readings.ReadingRefused, match="больше переданного за следующий месяц"):
        readings.submit_from_bot(77, 77, m.id, (141_000,), confirmed_unusual=True)
    db.session.rollback()
    stored = readings.submit_from_bot(77, 77, m.id, (130_000,))
    db.session.commit()
    assert stored.previous == (125_000,) and live(m, later).previous == (130_000,)
