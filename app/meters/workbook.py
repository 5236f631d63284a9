"""The month's readings for billing, and the accounts without readings, as .xlsx (no Flask here).

XlsxWriter in constant-memory mode: each row goes to a temporary file as the next one starts, so
memory stays flat however many meters there are. Numbers are numbers; text that Excel would run
as a formula is written with a quote prefix (as the journal's export does)."""
import tempfile

import xlsxwriter

from app.journal.workbook import FormulaLike
from app.models.meters import COUNTED, RESOURCES, SCALE, SOURCES, STATUSES
from app.models.reference import format_address
from app.xlsx import TEXT_OPTIONS, clean_text, formula_like

OPTIONS = {**TEXT_OPTIONS, "constant_memory": True, "default_date_format": "DD.MM.YYYY"}
READINGS = [("ЛС", 14), ("Адрес", 44), ("Ресурс", 24), ("Тариф", 10), ("Заводской номер", 18),
            ("Предыдущее", 14), ("Текущее", 14), ("Расход", 12), ("Дата", 12), ("Источник", 10), ("Статус", 16)]
TYPED = (1, 4)  # address, serial: the readings' columns of text people typed
MISSING = [("ЛС", 14), ("ФИО", 34), ("Адрес", 44), ("Телефон", 16), ("Счётчиков", 11), ("Без показаний", 14)]


class _Sheet:
    """One sheet being written row by row (write_row: a call per row, not per cell); text that
    Excel would run as a formula is written with a quote prefix."""

    def __init__(self, book, title: str, columns):
        self.sheet = book.add_worksheet(title)
        quoted = book.add_format({"quote_prefix": True})
        self.sheet.add_write_handler(FormulaLike, lambda ws, row, col, value, *_: ws.write_string(row, col, value, quoted))
        bold = book.add_format({"bold": True})
        for i, (title, width) in enumerate(columns):
            self.sheet.set_column(i, i, width)
        self.sheet.write_row(0, 0, [title for title, _ in columns], bold)
        self.sheet.freeze_panes(1, 0)
        self.columns = len(columns)
        self.row = 0

    def add(self, values: list, typed=None) -> None:
        """A row; `typed`: the columns holding text people typed (the others are ours: numbers, dates,
        labels, a ЛС of digits), which alone need checking."""
        for i in range(len(values)) if typed is None else typed:
            value = values[i]
            if type(value) is str:
                value = values[i] = clean_text(value)
                if formula_like(value):
                    values[i] = FormulaLike(value)
        self.row += 1
        if self.sheet.write_row(self.row, 0, values):  # a cell it had to change: the rest one by one
            for i, value in enumerate(values):
                self.sheet.write(self.row, i, value)

    def finish(self) -> int:
        self.sheet.autofilter(0, 0, max(self.row, 1), self.columns - 1)
        return self.row


def write_readings(path, rows, tz) -> int:
    """The month's readings, one row per rate: `rows` as app.services.meters.month.statement gives
    them (those without a counted reading are skipped). Numbers are plain numbers in units (Excel's
    General format shows them as the meter does). Returns the number of rows written."""
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmp:
        book = xlsxwriter.Workbook(str(path), {**OPTIONS, "tmpdir": tmp})
        out = _Sheet(book, "Показания", READINGS)
        for r in rows:
            if r.reading_id is None or r.status not in COUNTED:
                continue
            kind = RESOURCES[r.resource]
            address = format_address(r.city, r.street, r.house, r.house_letter, r.apartment)
            day = r.created_at.astimezone(tz).replace(tzinfo=None)
            source, status = SOURCES.get(r.source, r.source), STATUSES.get(r.status, r.status)
            current, previous = (r.v1, r.v2, r.v3), (r.prev1, r.prev2, r.prev3)
            for i, rate in enumerate(kind.rates):
                now, before = current[i], previous[i]
                out.add([r.account, address, kind.title, rate, r.serial,
                         None if before is None else before / SCALE, now / SCALE,
                         None if before is None else (now - before) / SCALE, day, source, status], TYPED)
        count = out.finish()
        book.close()
    return count


def write_missing(path, rows) -> int:
    """The accounts without readings (app.services.meters.month.missing_accounts)."""
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmp:
        book = xlsxwriter.Workbook(str(path), {**OPTIONS, "tmpdir": tmp})
        out = _Sheet(book, "Без показаний", MISSING)
        for account, name, city, street, house, letter, apartment, phone, meters, missing in rows:
            out.add([account, name, format_address(city, street, house, letter, apartment), phone, meters,
                     int(missing)])
        count = out.finish()
        book.close()
    return count
