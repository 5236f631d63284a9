"""Residents' answers about personal data as an .xlsx file (XlsxWriter): the company's proof of consent.

Sheet «Согласия»: one row per answer (time, Telegram id, what it was, the version); sheet «Редакции»:
each version's text and policy address, so the file alone shows what was agreed to.
Every cell is text by the rules of app/xlsx.py: a notice an administrator began with = stays text.
"""
import io

import xlsxwriter

from app.services.people import consent
from app.timezone import format_local
from app.xlsx import TEXT_OPTIONS, clean_text, formula_like

OPTIONS = {**TEXT_OPTIONS, "in_memory": True}
RECORD_COLUMNS = [("Дата и время", 18), ("Telegram ID", 16), ("Действие", 32), ("Редакция №", 12),
                  ("Политика", 40)]
VERSION_COLUMNS = [("Редакция №", 12), ("Действует с", 18), ("Текст", 100), ("Политика", 40)]


def write(records, versions) -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, OPTIONS)
    bold, quoted = book.add_format({"bold": True}), book.add_format({"quote_prefix": True})
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})

    def table(title: str, columns, rows, style=None) -> None:
        sheet = book.add_worksheet(title)
        for col, (name, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, name, bold)
        for number, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                value = clean_text(str(value))
                sheet.write_string(number, col, value, quoted if formula_like(value) else style)
        sheet.freeze_panes(1, 0)

    table("Согласия", RECORD_COLUMNS, (
        (format_local(row.created_at, "%d.%m.%Y %H:%M:%S"), row.telegram_user_id,
         consent.ACTIONS.get(row.action, row.action), row.number, row.policy_url) for row in records))
    table("Редакции", VERSION_COLUMNS, (
        (version.number, format_local(version.created_at, "%d.%m.%Y %H:%M:%S"), version.notice, version.policy_url)
        for version in versions), wrapped)
    book.close()
    buffer.seek(0)
    return buffer
