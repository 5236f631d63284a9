"""Meter import: the client import's file reading, a report of rejected rows and why, create or update,
--dry-run, the template, the web page and the CLI."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models.meters import Meter
from app.services.meters.meter_import import TITLES, ImportFailed, import_meters, template_xlsx
from devtools.spreadsheets import csv_bytes, xlsx

HEADER = ["ЛС", "Ресурс", "Заводской номер", "Место установки", "Цифр до запятой", "Цифр после запятой",
          "Дата поверки", "Начальное показание", "Тариф 2"]


def rows():
    return [
        [100001, "ХВС", 123456, "кухня", 5, 3, "31.12.2030", "12,5", ""],
        ["100001", "гвс", "A-7", "ванная", "", "", date(2031, 5, 1), 7.25, ""],
        ["100001", "Электроэнергия (двухтарифный)", "E-1", "", 6, 1, "", "1234,5", "567"],
        ["100002", "ХВС", "123456", "кухня", 5, 3, "", "1", ""],            # the same serial again
        ["999999", "ХВС", "Z-1", "", 5, 3, "", "1", ""],                    # unknown account
        ["100002", "Пар", "Z-2", "", 5, 3, "", "1", ""],                    # unknown resource
        ["100002", "ХВС", "Z-3", "", 5, 0, "", "12,5", ""],                 # decimals on a meter without them
        ["100002", "ХВС", "Z-4", "", 5, 3, "32.13.2030", "-1", ""],         # a bad date, a negative value
        ["100002", "Электроэнергия (двухтарифный)", "Z-5", "", 6, 1, "", "10", ""],  # the night rate missing
    ]


@pytest.fixture
def clients(ctx):
    ctx.client("100001")
    ctx.client("100002", full_name="Петрова Анна")
    return ctx


def test_good_rows_are_imported_and_each_rejected_row_says_why(clients):
    report = import_meters(xlsx(rows(), header=HEADER, title="Реестр счётчиков"), "meters.xlsx")
    db.session.commit()
    assert (report.rows, report.created, report.updated, len(report.errors)) == (9, 3, 0, 6)
    reasons = {e.line: e.reason for e in report.errors}
    lines = sorted(reasons)
    assert "повторяется в файле" in reasons[lines[0]] and "строке 4" in reasons[lines[0]]
    assert "не найден среди клиентов" in reasons[lines[1]]
    assert "Ресурс «Пар» не распознан" in reasons[lines[2]]
    assert "нет цифр после запятой" in reasons[lines[3]]
    assert "не дата" in reasons[lines[4]] and "отрицательным" in reasons[lines[4]]
    assert "ночь" in reasons[lines[5]] and "укажите его" in reasons[lines[5]]
    meters = {m.serial: m for m in Meter.query.all()}
    assert set(meters) == {"123456", "A-7", "E-1"}
    assert meters["123456"].initial == (12_500,) and meters["123456"].verification_due == date(2030, 12, 31)
    assert meters["A-7"].resource == "hot" and meters["A-7"].initial == (7_250,)
    assert meters["A-7"].verification_due == date(2031, 5, 1) and meters["A-7"].int_digits == 8
    assert meters["E-1"].initial == (1_234_500, 567_000) and meters["E-1"].frac_digits == 1


def test_a_second_import_updates_and_a_serial_of_another_account_is_refused(clients):
    import_meters(csv_bytes(rows()[:1], header=HEADER), "m.csv")
    db.session.commit()
    again = [[100001, "ХВС", 123456, "ванная", 5, 3, "31.12.2030", "12,5", ""],
             [100002, "ХВС", "123456x", "", 5, 3, "", "1", ""]]
    report = import_meters(csv_bytes(again, header=HEADER), "m.csv")
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    db.session.commit()
    assert Meter.query.filter_by(serial="123456").one().place == "ванная"
    moved = [[100002, "ХВС", 123456, "", 5, 3, "", "1", ""]]
    report = import_meters(csv_bytes(moved, header=HEADER), "m.csv")
    assert "уже числится на лицевом счёте 100001" in report.errors[0].reason


def test_a_dry_run_writes_nothing(clients):
    report = import_meters(xlsx(rows(), header=HEADER), "m.xlsx", dry_run=True)
    assert report.dry_run and report.created == 3
    db.session.rollback()
    assert Meter.query.count() == 0


def test_a_file_without_the_required_columns_is_refused_whole(clients):
    with pytest.raises(ImportFailed, match="Заводской номер"):
        import_meters(xlsx([["100001", "ХВС"]], header=["ЛС", "Ресурс"]), "m.xlsx")
    with pytest.raises(ImportFailed, match="Excel 97"):
        import_meters(b"\xd0\xcf\x11\xe0" + b"0" * 100, "m.xls")


def test_the_template_names_every_column_and_the_resources():
    book = load_workbook(io.BytesIO(template_xlsx()))
    assert [c.value for c in book["Счётчики"][1]] == list(TITLES.values())
    assert book["Счётчики"]["A2"].number_format == "@"
    assert "ХВС" in [row[0].value for row in book["Ресурсы"].iter_rows()]


def test_the_import_page_and_its_template_for_administrators(clients, admin, operator):
    data = {"file": (io.BytesIO(xlsx(rows(), header=HEADER)), "meters.xlsx")}
    page = admin.post("/meters/import", data=data, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Добавлено: <b>3</b>" in html and "Отклонено: <b>6</b>" in html
    assert "повторяется в файле" in html
    assert admin.get("/meters/import/template.xlsx").status_code == 200
    assert operator.get("/meters/import").status_code == 403
    broken = admin.post("/meters/import", data={"file": (io.BytesIO(b"junk"), "m.xlsx")},
                        content_type="multipart/form-data")
    assert "Файл не импортирован" in broken.get_data(as_text=True)


def test_the_cli_imports_and_dry_runs(clients, app, tmp_path):
    path = tmp_path / "m.xlsx"
    path.write_bytes(xlsx(rows(), header=HEADER))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-meters", "--dry-run", str(path)])
    assert result.exit_code == 0 and "Would import" in result.output and "3 created" in result.output
    assert Meter.query.count() == 0
    result = runner.invoke(args=["import-meters", str(path)])
    assert result.exit_code == 0 and "6 rejected" in result.output and "line 5" in result.output
    db.session.rollback()
    assert Meter.query.count() == 3
