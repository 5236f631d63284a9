"""The dashboard's figures as an .xlsx file (XlsxWriter): a sheet with the period, the tiles and the
precision of time to done, then one sheet per chart with its table.

Figures are numbers with a number format, so that a manager can sort, add up and chart them: counts
as integers, time to done as an Excel duration (days, shown [h]:mm), shares as percentages (0.830
shown 83.0%), mean ratings with one decimal, days as dates. Text follows the rules of app/xlsx.py (a
category or an address starting with = stays text).
"""
import io
from datetime import datetime, time

import xlsxwriter

from app.dashboard.figures import COUNT, DATE, DURATION, RATING, SHARE, TEXT, cell_text
from app.services.statistics.request_stats import PRECISION_TEXT
from app.xlsx import TEXT_OPTIONS, clean_text, formula_like

OPTIONS = {**TEXT_OPTIONS, "in_memory": True}
NUMBER_FORMATS = {COUNT: "0", DURATION: "[h]:mm", SHARE: "0.0%", RATING: "0.0", DATE: "dd.mm.yyyy"}
MINUTES_A_DAY = 1440  # an Excel duration counts days
DURATION_HEADING = " (ч:мм)"


def write(figures) -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, OPTIONS)
    formats = {"bold": book.add_format({"bold": True}), "quoted": book.add_format({"quote_prefix": True}),
               **{kind: book.add_format({"num_format": number}) for kind, number in NUMBER_FORMATS.items()}}
    period = figures.period
    summary = [[("Период", TEXT), (f"{period.start:%d.%m.%Y} — {period.end:%d.%m.%Y}", TEXT)],
               [("Категория", TEXT), (figures.category_name, TEXT)],
               *([(tile["title"], TEXT), (tile["value"], tile["kind"])] for tile in figures.tiles),
               [("Время до выполнения", TEXT), (PRECISION_TEXT, TEXT)]]
    _sheet(book, "Сводка", ["Показатель", "Значение"], summary, formats)
    for chart in figures.charts:
        columns = [title + (DURATION_HEADING if kind == DURATION else "")
                   for title, kind in zip(chart.columns, chart.kinds)]
        rows = [[(value, kind) for value, kind in zip(row, chart.kinds)] for row in chart.rows]
        _sheet(book, chart.sheet, columns, rows, formats)
    book.close()
    buffer.seek(0)
    return buffer


def _sheet(book, name: str, columns: list[str], rows: list[list[tuple]], formats) -> None:
    """`rows` of (value, kind) cells."""
    sheet = book.add_worksheet(name)
    for col, title in enumerate(columns):
        width = max([len(str(title))] + [len(str(cell_text(row[col][1], row[col][0]))) for row in rows])
        sheet.set_column(col, col, min(60, width + 2))
        sheet.write_string(0, col, title, formats["bold"])
    for number, row in enumerate(rows, start=1):
        for col, (value, kind) in enumerate(row):
            _cell(sheet, number, col, value, kind, formats)
    sheet.freeze_panes(1, 0)
    if rows:
        sheet.autofilter(0, 0, len(rows), len(columns) - 1)


def _cell(sheet, row: int, col: int, value, kind: str, formats) -> None:
    if value is None:  # no figure (nothing done, nothing rated): an empty cell, not «—»
        return
    if isinstance(value, str):
        value = clean_text(value)
        sheet.write_string(row, col, value, formats["quoted"] if formula_like(value) else None)
    elif kind == DATE:
        sheet.write_datetime(row, col, datetime.combine(value, time()), formats[DATE])
    elif kind == DURATION:
        sheet.write_number(row, col, value / MINUTES_A_DAY, formats[DURATION])
    else:
        sheet.write_number(row, col, value, formats.get(kind))
