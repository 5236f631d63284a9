"""The workbook writer on its own: what each cell becomes, the conditions sheet, the row
limit, progress, and nothing left on disk when the writing stops half-way."""
import os
import re
import tempfile
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from app.journal import workbook
from app.journal.columns import BY_KEY

TZ = ZoneInfo("Europe/Moscow")
COLUMNS = [BY_KEY[key] for key in ("number", "created_at", "status", "account", "description", "updated_at")]
CREATED = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)


def row(number=1, account="1001", description="Течёт кран"):
    return (number, CREATED, "new", account, description, CREATED)


@pytest.fixture(autouse=True)
def temp(tmp_path, monkeypatch):
    """The writer's temporary files go here, so that a test can see they are gone."""
    path = tmp_path / "temp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


def excel_text(value: str) -> str:
    """A cell's text as Excel reads it: _xHHHH_ stands for a control character (CR here),
    which openpyxl leaves as it is."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def open_files_under(path) -> list[str]:
    """Files this process still holds open below `path` (deleted ones too)."""
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the descriptor listdir itself used
            continue
    return [link for link in links if link.startswith(str(path))]


def write(tmp_path, rows, **kwargs):
    path = tmp_path / "out.xlsx"
    count = workbook.write_workbook(path, COLUMNS, rows, TZ, **kwargs)
    return count, load_workbook(path)


def test_header_layout_and_typed_cells(tmp_path, temp):
    count, book = write(tmp_path, [row(7)])
    sheet = book["Заявки"]
    assert count == 1 and book.sheetnames == ["Заявки"]  # no filters: no conditions sheet
    assert [c.value for c in sheet[1]] == ["Номер", "Создана", "Статус", "ЛС", "Описание", "Изменена"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F2"
    assert sheet.column_dimensions["E"].width == pytest.approx(BY_KEY["description"].width, abs=1)
    number, created, status, account, description, updated = sheet[2]
    assert number.value == 7 and number.data_type == "n"
    assert created.is_date and created.number_format == "DD.MM.YYYY HH:MM"
    assert created.value == datetime(2025, 3, 1, 12, 30)  # Moscow wall-clock time
    assert updated.is_date and status.value == "новая"
    assert not description.quotePrefix and not any(c.font.bold for c in sheet[2])
    assert not list(temp.iterdir())


@pytest.mark.parametrize("text", ["=1+1", "+7 900 000-00-00", "-5 градусов", "@всем", "\tтаб", "\rвозврат"])
def test_formula_like_text_is_text_with_a_quote_prefix(tmp_path, text):
    _, book = write(tmp_path, [row(description=text)])
    cell = book["Заявки"]["E2"]
    assert excel_text(cell.value) == text and cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("text", ["00123", "1e5", "12.50", "http://evil.example/pay", "mailto:a@b.ru"])
def test_numbers_and_links_in_text_stay_plain_text(tmp_path, text):
    _, book = write(tmp_path, [row(account=text, description=text)])
    sheet = book["Заявки"]
    for cell in (sheet["D2"], sheet["E2"]):
        assert cell.value == text and cell.data_type == "s" and cell.hyperlink is None


def test_control_characters_are_dropped(tmp_path):
    _, book = write(tmp_path, [row(description="a\x00b\x08c\x0bd\x1fe\tf\ng\rh")])
    assert excel_text(book["Заявки"]["E2"].value) == "abcde\tf\ng\rh"


def test_text_too_long_for_a_cell_is_cut_and_the_rest_of_the_row_kept(tmp_path):
    _, book = write(tmp_path, [row(description="я" * 40_000)])
    sheet = book["Заявки"]
    assert len(sheet["E2"].value) == 32_767
    assert sheet["F2"].is_date  # the cell after it is still written


def test_conditions_sheet_lists_the_filters_the_time_and_the_row_count(tmp_path):
    before = datetime.now(TZ).replace(tzinfo=None, second=0, microsecond=0)
    filters = [("Статус", "новая"), ("Описание содержит", "=HYPERLINK(\"x\")\x01")]
    _, book = write(tmp_path, [row(1), row(2)], filters=filters)
    assert book.sheetnames == ["Заявки", "Условия выгрузки"]
    sheet = book["Условия выгрузки"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Условие", "Значение") and sheet["A1"].font.bold
    assert rows[1] == ("Статус", "новая")
    assert rows[2] == ("Описание содержит", "=HYPERLINK(\"x\")")
    assert sheet["B3"].data_type == "s" and sheet["B3"].quotePrefix
    assert rows[3][0] == "Время выгрузки" and sheet["B4"].number_format == "DD.MM.YYYY HH:MM"
    assert before <= rows[3][1] <= datetime.now(TZ).replace(tzinfo=None)
    assert rows[4] == ("Строк в выгрузке", 2)


def test_progress_is_reported_every_n_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "PROGRESS_EVERY", 2)
    seen = []
    count, _ = write(tmp_path, [row(n) for n in range(1, 6)], on_progress=seen.append)
    assert count == 5 and seen == [2, 4]


def test_rows_beyond_the_sheet_limit_stop_the_writing(tmp_path, temp, monkeypatch):
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 3)
    count, book = write(tmp_path, [row(n) for n in range(1, 4)])
    assert count == 3 and book["Заявки"].max_row == 4
    with pytest.raises(workbook.TooManyRows):
        workbook.write_workbook(tmp_path / "over.xlsx", COLUMNS, [row(n) for n in range(1, 5)], TZ)
    assert not (tmp_path / "over.xlsx").exists()
    assert not list(temp.iterdir()) and not open_files_under(temp)


def test_a_stop_half_way_leaves_no_file(tmp_path, temp, monkeypatch):
    monkeypatch.setattr(workbook, "PROGRESS_EVERY", 2)
    seen_temp = []

    def cancel(done):
        seen_temp.extend(p for p in temp.rglob("*") if p.is_file())
        raise KeyboardInterrupt  # any exception, even one that is not an Exception

    with pytest.raises(KeyboardInterrupt):
        workbook.write_workbook(tmp_path / "out.xlsx", COLUMNS, [row(n) for n in range(1, 6)], TZ, cancel)
    assert seen_temp  # rows were on disk in a temporary file...
    assert not list(temp.iterdir()) and not open_files_under(temp)  # ...which is gone, and closed
    assert not (tmp_path / "out.xlsx").exists()
