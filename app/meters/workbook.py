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
MISSING = [("ЛС", 14), ("ФИО", 34), ("Адрес", 44), ("Телефон", 16), ("Счётчиков", 11), ("Без показаний", 14)]


def typed_text(value: str) -> str:
    """Text people typed, fit for a cell: without the characters .xlsx cannot hold, and written
    with a quote prefix if Excel would run it as a formula."""
    value = clean_text(value)
    return FormulaLike(value) if formula_like(value) else value


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

    def add(self, values, typed=None) -> None:
        """A row; `typed`: the columns holding text people typed (the others are ours: numbers, dates,
        labels, a ЛС of digits), which alone need checking; () when the caller checked them
        (`typed_text`)."""
        if typed is None or typed:
            values = list(values)
            for i in range(len(values)) if typed is None else typed:
                if type(values[i]) is str:
                    values[i] = typed_text(values[i])
        self.row += 1
        if self.sheet.write_row(self.row, 0, values):  # a cell it had to change: the rest one by one
            for i, value in enumerate(values):
                self.sheet.write(self.row, i, value)

    def finish(self) -> int:
        self.sheet.autofilter(0, 0, max(self.row, 1), self.columns - 1)
        return self.row


def write_readings(path, rows, tz) -> int:
    """The month's readings, one row per rate: `rows` as app.services.meters.month.export_statement
    gives them (counted readings, EXPORT_COLUMNS). Numbers are plain numbers in units (Excel's
    General format shows them as the meter does). Returns the number of rows written.

    The per-row work is kept small (it is most of the time beside XlsxWriter's own): the rows are
    unpacked as tuples, an account's address is made and checked once for its meters (they come
    together, in ЛС order), the labels are looked up in dicts made once."""
    kinds = {code: (kind.title, kind.rates) for code, kind in RESOURCES.items()}
    sources, statuses = dict(SOURCES), {code: STATUSES[code] for code in COUNTED}
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmp:
        book = xlsxwriter.Workbook(str(path), {**OPTIONS, "tmpdir": tmp})
        out = _Sheet(book, "Показания", READINGS)
        place = address = None
        for (account, city, street, house, letter, apartment, resource, serial, v1, v2, v3, p1, p2, p3, source,
             status, created_at) in rows:
            if place != (city, street, house, letter, apartment):
                place = (city, street, house, letter, apartment)
                address = typed_text(format_address(*place))
            title, rates = kinds[resource]
            day = created_at.astimezone(tz).replace(tzinfo=None)
            source, status, serial = sources.get(source, source), statuses.get(status, status), typed_text(serial)
            if len(rates) == 1:
                out.add((account, address, title, "", serial, None if p1 is None else p1 / SCALE, v1 / SCALE,
                         None if p1 is None else (v1 - p1) / SCALE, day, source, status), ())
                continue
            for rate, now, before in zip(rates, (v1, v2, v3), (p1, p2, p3)):
                out.add((account, address, title, rate, serial, None if before is None else before / SCALE,
                         now / SCALE, None if before is None else (now - before) / SCALE, day, source, status), ())
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
