"""«Настройки компании»: administrators keep the company's settings, section by section."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CompanySetting
from app.services import company


def test_operators_and_visitors_are_kept_out(operator, visitor):
    assert operator.get("/admin/company").status_code == 403
    assert operator.post("/admin/company/contacts", {"company_phone": "+79120000000"}).status_code == 403
    assert visitor.get("/admin/company").status_code == 302
    assert db.session.execute(select(CompanySetting)).first() is None


def test_operator_has_no_link(operator):
    assert "/admin/company" not in operator.page("/admin/clients")


def test_defaults_until_saved_then_the_values_normalised(admin):
    html = admin.page("/admin/company")
    assert "Настройки компании" in html and "Телефон диспетчерской" in html
    assert company.get("company_phone") == ""
    response = admin.post("/admin/company/contacts",
                          {"company_name": "  УК   «Наш дом» ", "company_phone": "8 912 345-67-89"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/company#contacts")
    db.session.expire_all()
    assert company.get_all("company_name", "company_phone") == {
        "company_name": "УК «Наш дом»", "company_phone": "+79123456789"}
    html = admin.page("/admin/company")
    assert "сохранено" in html and "+7 912 345-67-89" in html


def test_a_bad_phone_keeps_what_was_typed(admin):
    response = admin.post("/admin/company/contacts", {"company_name": "УК Восход", "company_phone": "12"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "УК Восход" in html and "номер" in html
    assert company.get("company_name") == ""


def test_without_csrf_nothing_is_saved(admin):
    response = admin.client.post("/admin/company/contacts", data={"company_phone": "+79123456789"})
    assert response.status_code == 400
    assert company.get("company_phone") == ""


def test_an_unknown_section_or_key(admin):
    assert admin.post("/admin/company/nothing", {}).status_code == 404
    with pytest.raises(KeyError):
        company.get("no_such_setting")
