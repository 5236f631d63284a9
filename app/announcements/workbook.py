"""A notice's residents not reached, as an .xlsx file (XlsxWriter), for the office to phone them: what
the notice said and when, then one row per account with the reason.
Every cell is text by the rules of app/xlsx.py: an account keeps its leading zeros, a name or an
address starting with = stays text.
"""
import io

import xlsxwriter

from app.services.people.phones import display_phone
from app.timezone import format_local
from app.xlsx import TEXT_OPTIONS, clean_text, formula_like

OPTIONS = {**TEXT_OPTIONS, "in_memory": True}
COLUMNS = [("Житель", 30), ("Лицевой счёт", 14), ("Адрес", 50), ("Телефон", 18), ("Причина", 45)]
HEAD_ROWS = 3  # the notice's date, its text, an empty row; then the table


def write(notice, unreached) -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, OPTIONS)
    bold, quoted = book.add_format({"bold": True}), book.add_format({"quote_prefix": True})
    sheet = book.add_worksheet("Не получили")

    def text(row: int, col: int, value: str, style=None) -> None:
        value = clean_text(value)
        sheet.write_string(row, col, value, quoted if formula_like(value) else style)

    text(0, 0, "Объявление от", bold)
    text(0, 1, format_local(notice.sent_at))
    text(1, 0, "Текст", bold)
    text(1, 1, notice.text)
    for col, (title, width) in enumerate(COLUMNS):
        sheet.set_column(col, col, width)
        text(HEAD_ROWS, col, title, bold)
    for number, entry in enumerate(unreached, start=HEAD_ROWS + 1):
        for col, value in enumerate((entry.name, entry.account, entry.address, display_phone(entry.phone),
                                     entry.reason)):
            text(number, col, value)
    sheet.freeze_panes(HEAD_ROWS + 1, 0)
    sheet.autofilter(HEAD_ROWS, 0, HEAD_ROWS + max(1, len(unreached)), len(COLUMNS) - 1)
    book.close()
    buffer.seek(0)
    return buffer
