"""Writing the journal's rows into an .xlsx workbook (no Flask here: the export jobs call it).

XlsxWriter in constant-memory mode writes each row to a temporary file as soon as the
next one starts, so memory stays flat however many rows there are. The temporary
files live in a private directory that is removed whatever happens (a cancelled
export leaves nothing behind).
"""
import tempfile
from datetime import datetime

import xlsxwriter

from app.xlsx import TEXT_OPTIONS, clean_text, formula_like

EXCEL_MAX_ROWS = 1_048_575  # a sheet holds 1 048 576 rows, one is the header
PROGRESS_EVERY = 2000
DATE_FORMAT = "DD.MM.YYYY HH:MM"
CONDITIONS_SHEET = "Условия выгрузки"
# ZIP64 is used only by a sheet over 2 GB (long descriptions on a full sheet), which it lets through.
OPTIONS = {**TEXT_OPTIONS, "constant_memory": True, "default_date_format": DATE_FORMAT, "use_zip64": True}


class TooManyRows(Exception):
    """More rows arrived than a sheet holds (requests were added after they were counted)."""


class FormulaLike(str):
    """Text that Excel would run as a formula; each sheet writes it with a quote prefix."""


def write_workbook(path, columns, rows, tz, on_progress=None, filters=()) -> int:
    """Write a header of Russian titles and the rows (database values in `columns` order).

    Dates become real date cells; text that Excel would run as a formula is stored
    as text. `on_progress(count)` is called every PROGRESS_EVERY rows; an exception
    it raises (a cancel) stops the writing. `filters`, (title, description) pairs,
    go to a second sheet with the export time and the row count. Returns the
    number of rows written.
    """
    started = datetime.now(tz).replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmp:
        book = xlsxwriter.Workbook(str(path), {**OPTIONS, "tmpdir": tmp})
        sheet = book.add_worksheet("Заявки")
        conditions = book.add_worksheet(CONDITIONS_SHEET) if filters else None
        bold = book.add_format({"bold": True})
        quoted = book.add_format({"quote_prefix": True})  # Excel keeps it text even when the cell is edited

        def write_quoted(ws, row, col, text, *_):
            return ws.write_string(row, col, text, quoted)

        for each in book.worksheets():
            each.add_write_handler(FormulaLike, write_quoted)
        try:
            for i, column in enumerate(columns):
                sheet.set_column(i, i, column.width)
            sheet.write_row(0, 0, [column.title for column in columns], bold)
            sheet.freeze_panes(1, 0)
            count = _write_rows(sheet, columns, rows, tz, on_progress)
            sheet.autofilter(0, 0, count, max(len(columns), 1) - 1)
            if conditions is not None:
                _write_conditions(conditions, filters, started, count, bold)
            book.close()
        except BaseException:
            for each in book.worksheets():  # only close() shuts their row files, and it would
                each._opt_close()           # finish the file: shut them so the directory can go
            raise
    return count


def _write_rows(sheet, columns, rows, tz, on_progress) -> int:
    formatters = [column.export for column in columns]
    count = 0
    for row in rows:
        if count == EXCEL_MAX_ROWS:
            raise TooManyRows
        count += 1
        _write_values(sheet, count, [fmt(value, tz) for fmt, value in zip(formatters, row)])
        if on_progress is not None and count % PROGRESS_EVERY == 0:
            on_progress(count)
    return count


def _write_values(sheet, row: int, values: list) -> None:
    """One row of plain values: control characters are dropped, formula-like text is quoted."""
    for i, value in enumerate(values):
        if type(value) is str:
            value = values[i] = clean_text(value)
            if formula_like(value):
                values[i] = FormulaLike(value)
    if sheet.write_row(row, 0, values):
        # write_row() stops at a cell it had to change (text over Excel's 32 767 characters
        # is cut): write the cells one by one so that the rest of the row is not lost.
        for i, value in enumerate(values):
            sheet.write(row, i, value)


def _write_conditions(sheet, filters, started: datetime, count: int, bold) -> None:
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 60)
    sheet.write_row(0, 0, ["Условие", "Значение"], bold)
    row = 0
    for title, description in filters:
        row += 1
        _write_values(sheet, row, [title, description])
    _write_values(sheet, row + 1, ["Время выгрузки", started])
    _write_values(sheet, row + 2, ["Строк в выгрузке", count])
