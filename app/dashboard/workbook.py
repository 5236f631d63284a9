"""The dashboard's figures as an .xlsx file (XlsxWriter): a sheet with the period and the tiles,
then one sheet per chart with its table.
Text follows the rules of app/xlsx.py (a category or an address starting with = stays text).
"""
import io

import xlsxwriter

from app.xlsx import TEXT_OPTIONS, clean_text, formula_like

OPTIONS = {**TEXT_OPTIONS, "in_memory": True}


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
                value = clean_text(value)
                sheet.write_string(number, col, value, formats["quoted"] if formula_like(value) else None)
            elif value is not None:
                sheet.write_number(number, col, value)
    sheet.freeze_panes(1, 0)
    if rows:
        sheet.autofilter(0, 0, len(rows), len(columns) - 1)
