"""Meters on the client's page: listed with their last reading, added, edited, replaced."""
from datetime import date

from app.models.meters import Meter
from tests.meters.helpers import meter, reading

FORM = {"resource": "cold", "serial": "W-100", "place": "кухня", "int_digits": "5", "frac_digits": "3",
        "initial_date": "2026-01-10", "verification_due": "2031-01-10", "initial1": "12,5"}


def test_an_operator_adds_edits_and_replaces_a_meter(ctx, operator):
    client = ctx.client()
    page = operator.page(f"/admin/clients/{client.id}")
    assert "Счётчиков нет" in page and f"/meters/client/{client.id}/new" in page

    response = operator.post(f"/meters/client/{client.id}/new", FORM)
    assert response.status_code == 302
    m = Meter.query.one()
    assert (m.serial, m.initial, m.verification_due) == ("W-100", (12_500,), date(2031, 1, 10))
    page = operator.page(f"/admin/clients/{client.id}")
    assert "W-100" in page and "12,500" in page and "начальное" in page

    bad = operator.post(f"/meters/{m.id}/edit", {**FORM, "initial1": "12,5555"})
    assert bad.status_code == 200 and "не больше 3 цифр" in bad.get_data(as_text=True)
    assert operator.post(f"/meters/{m.id}/edit", {**FORM, "place": "ванная"}).status_code == 302
    reading(m, date(2026, 2, 1), 20)

    form = operator.page(f"/meters/{m.id}/replace")
    assert "Конечное показание" in form
    low = operator.post(f"/meters/{m.id}/replace", {**FORM, "serial": "W-200", "replaced_on": "2026-02-20",
                                                    "final1": "19", "initial1": "0"})
    assert low.status_code == 200 and "меньше последнего показания (20,000)" in low.get_data(as_text=True)
    done = operator.post(f"/meters/{m.id}/replace", {**FORM, "serial": "W-200", "replaced_on": "2026-02-20",
                                                     "final1": "21,5", "initial1": "0"})
    assert done.status_code == 302
    page = operator.page(f"/admin/clients/{client.id}")
    assert "W-200" in page and "заменён 20.02.2026" in page and "21,500" in page
    assert operator.get(f"/meters/{m.id}/replace").status_code == 404  # closed already


def test_a_resource_with_readings_is_fixed_and_bad_ids_are_404(ctx, operator):
    m = meter(ctx.client())
    reading(m, date(2026, 2, 1), 110)
    response = operator.post(f"/meters/{m.id}/edit", {**FORM, "resource": "hot"})
    assert response.status_code == 200 and "ресурс изменить нельзя" in response.get_data(as_text=True)
    assert operator.get("/meters/99999999999/edit").status_code == 404
    assert operator.get("/meters/client/424242/new").status_code == 404


def test_two_rate_meters_need_each_rate(ctx, operator):
    client = ctx.client()
    response = operator.post(f"/meters/client/{client.id}/new", {**FORM, "resource": "power2", "initial1": "100"})
    assert response.status_code == 200 and "Начальное показание (ночь): укажите его" in response.get_data(as_text=True)
    assert operator.post(f"/meters/client/{client.id}/new",
                         {**FORM, "resource": "power2", "initial1": "100", "initial2": "50"}).status_code == 302
    assert Meter.query.one().initial == (100_000, 50_000)
