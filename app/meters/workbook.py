"""The month's readings for billing, and the accounts without readings, as .xlsx (no Flask here).

XlsxWriter in constant-memory mode: each row goes to a temporary file as the next one starts, so
memory stays flat however many meters there are. Numbers are numbers (with as many decimals as
the meter shows); text that Excel would run as a formula is written with a quote prefix."""
import tempfile

import xlsxwriter

from app.models.meters import COUNTED, RESOURCES, SOURCES, STATUSES
from app.models.reference import format_address
from app.services.meters.values import units
from app.xlsx import TEXT_OPTIONS, clean_text, formula_like

OPTIONS = {**TEXT_OPTIONS, "constant_memory": True}
READINGS = [("ЛС", 14), ("Адрес", 44), ("Ресурс", 24), ("Тариф", 10), ("Заводской номер", 18),
            ("Предыдущее", 14), ("Текущее", 14), ("Расход", 12), ("Дата", 12), ("Источник", 10), ("Статус", 16)]
MISSING = [("ЛС", 14), ("ФИО", 34), ("Адрес", 44), ("Телефон", 16), ("Счётчиков", 11), ("Без показаний", 14)]


class _Sheet:
    """One sheet being written: text cells safe, numbers with the meter's decimals."""

    def __init__(self, book, title: str, columns):
        self.sheet = book.add_worksheet(title)
        self.quoted = book.add_format({"quote_prefix": True})
        self.number = [book.add_format({"num_format": "0" + ("." + "0" * d if d else "")}) for d in range(4)]
        self.day = book.add_format({"num_format": "DD.MM.YYYY"})
        bold = book.add_format({"bold": True})
        for i, (title, width) in enumerate(columns):
            self.sheet.set_column(i, i, width)
        self.sheet.write_row(0, 0, [title for title, _ in columns], bold)
        self.sheet.freeze_panes(1, 0)
        self.columns = len(columns)
        self.row = 0

    def text(self, col: int, value: str) -> None:
        value = clean_text(value or "")
        if formula_like(value):
            self.sheet.write_string(self.row, col, value, self.quoted)
        elif value:
            self.sheet.write_string(self.row, col, value)

    def finish(self) -> int:
        self.sheet.autofilter(0, 0, max(self.row, 1), self.columns - 1)
        return self.row


def write_readings(path, rows, tz) -> int:
    """The month's readings, one row per rate: `rows` as app.services.meters.month.statement gives
    them (those without a counted reading are skipped). Returns the number of rows written."""
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmp:
        book = xlsxwriter.Workbook(str(path), {**OPTIONS, "tmpdir": tmp})
        out = _Sheet(book, "Показания", READINGS)
        sheet, text = out.sheet, out.text
        for r in rows:
            if r.reading_id is None or r.status not in COUNTED:
                continue
            kind = RESOURCES[r.resource]
            address = format_address(r.city, r.street, r.house, r.house_letter, r.apartment)
            number = out.number[r.frac_digits]
            day = r.created_at.astimezone(tz).replace(tzinfo=None)
            current = (r.v1, r.v2, r.v3)
            previous = (r.prev1, r.prev2, r.prev3)
            for i, rate in enumerate(kind.rates):
                out.row += 1
                text(0, r.account)
                text(1, address)
                text(2, kind.title)
                text(3, rate)
                text(4, r.serial)
                if previous[i] is not None:
                    sheet.write_number(out.row, 5, units(previous[i]), number)
                    sheet.write_number(out.row, 7, units(current[i] - previous[i]), number)
                sheet.write_number(out.row, 6, units(current[i]), number)
                sheet.write_datetime(out.row, 8, day, out.day)
                text(9, SOURCES.get(r.source, r.source))
                text(10, STATUSES.get(r.status, r.status))
        count = out.finish()
        book.close()
    return count



def write_missing(path, rows) -> int:
    """The accounts without readings (app.services.meters.month.missing_accounts)."""
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmp:
        book = xlsxwriter.Workbook(str(path), {**OPTIONS, "tmpdir": tmp})
        out = _Sheet(book, "Без показаний", MISSING)
        for account, name, city, street, house, letter, apartment, phone, meters, missing in rows:
            out.row += 1
            out.text(0, account)
            out.text(1, name)
            out.text(2, format_address(city, street, house, letter, apartment))
            out.text(3, phone)
            out.sheet.write_number(out.row, 4, meters)
            out.sheet.write_number(out.row, 5, int(missing))
        count = out.finish()
        book.close()
    return count
