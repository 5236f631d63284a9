"""The client import page: upload, report, fatal errors, limits, template, roles."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Client
from app.services.people import client_file
from devtools.spreadsheets import HEADER, csv_bytes, xlsx
from tests.services.files import ROWS, zip_bomb

URL = "/admin/clients/import"


def _upload(browser, data: bytes, name: str, **fields):
    return browser.post(URL, {"file": (io.BytesIO(data), name), **fields},
                        content_type="multipart/form-data")


def _accounts():
    return db.session.execute(select(Client.account).order_by(Client.account)).scalars().all()


@pytest.mark.parametrize("data,name", [
    (xlsx(ROWS), "clients.xlsx"),
    (csv_bytes(ROWS, delimiter=";", encoding="cp1251"), "clients.csv"),
])
def test_good_file_is_imported(admin, data, name):
    response = _upload(admin, data, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Результат импорта" in html and "Добавлено: <b>3</b>" in html and "Отклонено: <b>0</b>" in html
    assert _accounts() == ["100001", "100002", "100003"]
    client = db.session.execute(select(Client).where(Client.account == "100002")).scalar_one()
    assert (client.full_name, client.phone) == ("Петрова Анна Сергеевна", "+79170001122")


def test_bad_rows_are_listed_with_line_numbers(admin):
    rows = [ROWS[0], ["Без номера", "Самара", "Мира", "1", "", "2", "", "", "12АБ"],
            ["Дубль", "Самара", "Мира", "1", "", "3", "", "", "100001"], ROWS[1]]
    html = _upload(admin, xlsx(rows), "clients.xlsx").get_data(as_text=True)
    assert "Добавлено: <b>2</b>" in html and "Отклонено: <b>2</b>" in html
    assert "<td>3</td><td>12АБ</td><td>Лицевой счёт должен состоять только из цифр." in html
    assert "<td>4</td><td>100001</td><td>Лицевой счёт повторяется в файле: он уже был в строке 2.</td>" in html
    assert _accounts() == ["100001", "100002"]


@pytest.mark.parametrize("data,name,message", [
    (b"%PDF-1.4 scanned contract", "contract.pdf", "Это не таблица"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "clients.csv", "не похож на текстовую таблицу"),
    ("ФИО;Улица;Дом;ЛС\nИванов;Мира;1;42\n".encode("koi8_r"), "clients.csv", "кодировке KOI8-R"),
    (csv_bytes(ROWS, header=["ФИО", "Город"] + HEADER[2:-1] + ["Номер"]), "clients.csv",
     "нет обязательных столбцов: «Лицевой счёт»"),
])
def test_fatal_error_imports_nothing_and_says_why(admin, ctx, data, name, message):
    ctx.client(account="555")
    html = _upload(admin, data, name).get_data(as_text=True)
    assert "Файл не импортирован" in html and message in html and "Ни одна запись не изменена" in html
    assert _accounts() == ["555"]


def test_zip_bomb_is_refused(admin):
    html = _upload(admin, zip_bomb(client_file.MAX_XLSX_UNPACKED + (8 << 20)), "bomb.xlsx").get_data(as_text=True)
    assert "слишком большой объём данных" in html
    assert _accounts() == []


def test_file_over_the_upload_limit_gets_413(app, admin):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = _upload(admin, b"x" * (100 * 1024), "huge.csv")
    assert response.status_code == 413
    assert "Файл слишком большой" in response.get_data(as_text=True)
    assert _accounts() == []


def test_no_file_chosen(admin):
    html = admin.post(URL, {}, content_type="multipart/form-data").get_data(as_text=True)
    assert "Выберите файл." in html


def test_dry_run_only_checks(admin):
    html = _upload(admin, xlsx(ROWS), "clients.xlsx", dry_run="y").get_data(as_text=True)
    assert "в базу ничего не записано" in html and "Будет добавлено: <b>3</b>" in html
    assert _accounts() == []


def test_upload_needs_csrf(admin):
    response = admin.post(URL, {"file": (io.BytesIO(xlsx(ROWS)), "c.xlsx"), "csrf_token": "forged"},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert _accounts() == []


def test_template_download(admin):
    assert "/admin/clients/import/template.xlsx" in admin.page(URL)
    response = admin.get("/admin/clients/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == HEADER


@pytest.mark.parametrize("method,url", [("get", URL), ("post", URL), ("get", URL + "/template.xlsx")])
def test_operators_cannot_import(operator, method, url):
    response = operator.get(url) if method == "get" else _upload(operator, xlsx(ROWS), "c.xlsx")
    assert response.status_code == 403
    assert _accounts() == []
