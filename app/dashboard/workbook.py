"""The dashboard's figures as an .xlsx file (XlsxWriter): a sheet with the period and the tiles,
then one sheet per chart with its table.

Text stays text: nothing becomes a formula, a number or a link, and text that Excel would run as a
formula when the cell is edited (a category or an address starting with = + - @) gets a quote prefix.
"""
import io
import re

import xlsxwriter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")  # control characters XML cannot hold
OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


def write(figures) -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, OPTIONS)
    formats = {"bold": book.add_format({"bold": True}), "quoted": book.add_format({"quote_prefix": True})}
    period = figures.period
    summary = [["Период", f"{period.start:%d.%m.%Y} — {period.end:%d.%m.%Y}"],
               ["Категория", figures.category_name],
               *([tile["title"], int(tile["text"]) if tile["text"].isdigit() else tile["text"]]
                 for tile in figures.tiles)]
    _sheet(book, "Сводка", ["Показатель", "Значение"], summary, formats)
    for chart in figures.charts:
        _sheet(book, chart.sheet, chart.columns, chart.rows, formats)
    book.close()
    buffer.seek(0)
    return buffer


def _sheet(book, name: str, columns: list[str], rows: list[list], formats) -> None:
    sheet = book.add_worksheet(name)
    for col, title in enumerate(columns):
        width = max([len(str(title))] + [len(str(row[col])) for row in rows])
        sheet.set_column(col, col, min(60, width + 2))
        sheet.write_string(0, col, title, formats["bold"])
    for number, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, str):
                value = ILLEGAL_XML.sub("", value)
                sheet.write_string(number, col, value, formats["quoted"] if value.startswith(FORMULA_START) else None)
            elif value is not None:
                sheet.write_number(number, col, value)
    sheet.freeze_panes(1, 0)
    if rows:
        sheet.autofilter(0, 0, len(rows), len(columns) - 1)
