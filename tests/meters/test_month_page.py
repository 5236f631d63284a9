"""«Показания»: the month's rows with filters, an operator's entry, accepting and rejecting what needs
checking (the resident is told), the export for billing, the accounts without readings, the summary."""
import io

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Notification
from app.models.meters import MeterReading
from app.services.meters import readings, window
from tests.meters.helpers import meter, reading


@pytest.fixture
def month(ctx, app):
    """Three accounts in two houses; this month: a bot reading, a suspicious one, one missing."""
    with app.test_request_context():
        period = window.period_of(window.today())
    earlier = window.add_months(period, -1)
    a = ctx.client("100001", "Иванов Иван", street="ул. Ленина", house="5", house_letter="А", apartment="1")
    b = ctx.client("100002", "=HYPERLINK(\"x\")", street="ул. Ленина", house="5", house_letter="А", apartment="2")
    c = ctx.client("100003", "Сидоров", street="пр. Мира", house="7", house_letter="", apartment="3")
    ma = meter(a, serial="A-1", initial=(100,))
    mb = meter(b, resource="power2", serial="-B-2", initial=(1000, 500), int_digits=6, frac_digits=1)
    mc = meter(c, resource="hot", serial="C-3", initial=(10,))
    reading(ma, earlier, 105)
    reading(ma, period, 112.5, source="bot")
    readings.store(mb, period, (1_100_000, 540_000), source="bot", status="suspicious", chat_id=4242,
                   telegram_user_id=4242)
    db.session.commit()
    return {"period": period, "a": ma, "b": mb, "c": mc, "clients": (a, b, c)}


def test_one_row_per_meter_with_previous_current_and_consumption(month, operator):
    page = operator.page("/meters/")
    assert page.count('<tr id="meter-') == 3
    assert "112,500" in page and "105,000" in page and "7,500" in page  # current, previous, consumption
    assert "день: 1100,0" not in page and "день: 1 100,0" in page and "требует проверки" in page
    assert "нет показаний" in page
    assert '<option value="Самара|ул. Ленина">ул. Ленина (Самара)</option>' in page
    assert "Дом: сначала улица" in page
    page = operator.page("/meters/?street=Самара%7Cул. Ленина")
    assert '<option value="Самара|ул. Ленина|5|А">д. 5А</option>' in page


@pytest.mark.parametrize("query,expected", [
    ("state=submitted", {"A-1", "-B-2"}),
    ("state=missing", {"C-3"}),
    ("state=attention", {"-B-2"}),
    ("resource=hot", {"C-3"}),
    ("source=bot", {"A-1", "-B-2"}),
    ("source=operator", set()),
    ("house=Самара|пр. Мира|7|", {"C-3"}),
    ("street=Самара|ул. Ленина", {"A-1", "-B-2"}),
    ("street=Самара|ул. Ленина&house=Самара|пр. Мира|7|", {"A-1", "-B-2"}),  # the street changed since
    ("state=bogus&resource=steam&page=-5&month=garbage", {"A-1", "-B-2", "C-3"}),
])
def test_filters(month, operator, query, expected):
    page = operator.page("/meters/?" + query.replace("|", "%7C"))
    shown = {serial for serial in ("A-1", "-B-2", "C-3") if f"<td>{serial}</td>" in page}
    assert shown == expected


def test_an_operator_enters_a_reading_taken_by_phone(month, operator):
    mc = month["c"]
    form = operator.page(f"/meters/{mc.id}/reading")
    assert "Предыдущее: 10,000" in form
    low = operator.post(f"/meters/{mc.id}/reading", {"v1": "9"})
    assert low.status_code == 200 and "меньше предыдущего" in low.get_data(as_text=True)
    bad = operator.post(f"/meters/{mc.id}/reading", {"v1": "1e5"})
    assert bad.status_code == 200 and "не число" in bad.get_data(as_text=True)
    big = operator.post(f"/meters/{mc.id}/reading", {"v1": "100"})
    assert big.status_code == 200 and "Расход проверен" in big.get_data(as_text=True)
    assert operator.post(f"/meters/{mc.id}/reading", {"v1": "14,5"}).status_code == 302
    stored = MeterReading.query.filter_by(meter_id=mc.id, live=True).one()
    assert (stored.v1, stored.source, stored.status) == (14_500, "operator", "accepted")
    assert "оператор" in operator.page("/meters/?source=operator")


def test_accept_and_reject_tell_the_resident(month, operator):
    suspicious = MeterReading.query.filter_by(meter_id=month["b"].id, live=True).one()
    back = "/meters/?state=attention"
    empty = operator.post(f"/meters/readings/{suspicious.id}/review", {"decision": "reject", "back": back})
    assert empty.status_code == 303 and empty.location.endswith(back)
    assert "почему" in operator.page(back)
    operator.post(f"/meters/readings/{suspicious.id}/review",
                  {"decision": "reject", "comment": "На фото 1010", "back": "//evil.example/"})
    db.session.expire_all()
    assert db.session.get(MeterReading, suspicious.id).status == "rejected"
    told = Notification.query.filter_by(chat_id=4242).one()
    assert "отклонено" in told.text and "На фото 1010" in told.text
    again = operator.post(f"/meters/readings/{suspicious.id}/review", {"decision": "accept"})
    assert again.status_code == 303 and "/meters/" in again.location
    assert "уже проверено" in operator.page("/meters/")
    assert "нет показаний" in operator.page("/meters/?state=missing")


def test_the_export_has_numbers_as_numbers_and_text_that_is_never_a_formula(month, operator):
    response = operator.get(f"/meters/export.xlsx?month={month['period']:%Y-%m}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["Показания"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:8] == ("ЛС", "Адрес", "Ресурс", "Тариф", "Заводской номер", "Предыдущее", "Текущее", "Расход")
    by_serial = {}
    for row in rows[1:]:
        by_serial.setdefault(row[4], []).append(row)
    assert set(by_serial) == {"A-1", "-B-2"}  # the missing meter is not billed
    a = by_serial["A-1"][0]
    assert a[0] == "100001" and a[5] == 105 and a[6] == 112.5 and a[7] == 7.5 and a[9] == "бот"
    assert [(r[3], r[6], r[7]) for r in by_serial["-B-2"]] == [("день", 1100, 100), ("ночь", 540, 40)]
    cell = sheet.cell(row=1 + 1 + [r[4] for r in rows[1:]].index("-B-2"), column=5)
    assert cell.data_type == "s" and cell.quotePrefix  # «-B-2» stays text when edited


def test_the_accounts_without_readings_and_the_summary_by_house(month, operator):
    response = operator.get("/meters/missing.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))[1:]
    assert [(r[0], r[4], r[5]) for r in rows] == [("100003", 1, 1)]
    page = operator.page("/meters/summary")
    assert "Передано: <b>2</b> из <b>3</b>" in page
    assert "ул. Ленина, д. 5А" in page and "100%" in page and "0%" in page


def test_the_company_sets_the_window_and_the_caps(month, admin):
    page = admin.page("/admin/company")
    assert "Показания счётчиков" in page
    bad = admin.post("/admin/company/meters", {"meter_window_first": "20", "meter_window_last": "10"})
    assert bad.status_code == 422 and "раньше первого" in bad.get_data(as_text=True)
    ok = admin.post("/admin/company/meters", {"meter_window_first": "20", "meter_window_last": "31",
                                              "cap_cold": "12.5", "cap_hot": ""})
    assert ok.status_code == 302
    from app.services import company
    assert company.get("meter_window_first") == 20 and company.get("meter_reminders") is False
    assert company.get("meter_caps") == {"cold": 12.5}
    assert window.current() == window.Window(20, 31)
