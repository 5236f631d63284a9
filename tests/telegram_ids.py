"""Every column of the schema that holds a Telegram id (a user's or a chat's), found by its name in the
models' metadata, so a table added later is checked too (tests of «Удалить мои данные»)."""
import re

from sqlalchemy import func, select

from app.extensions import db

TELEGRAM_ID = re.compile(r"(^|_)(telegram_(user_)?id|chat_id)$")
# Tables that may keep a forgotten id: they link it to no person and no request.
KEPT = {"consent_records": "the proof of consent: the id, the notice's version, the time and the answer"}


def telegram_id_columns() -> list:
    return [column for table in db.metadata.sorted_tables for column in table.columns
            if TELEGRAM_ID.search(column.name)]


def rows_naming(telegram_id: int) -> dict[str, int]:
    """{"table.column": rows holding the id} for every Telegram id column outside KEPT."""
    found = {}
    for column in telegram_id_columns():
        if column.table.name in KEPT:
            continue
        count = db.session.execute(select(func.count()).select_from(column.table)
                                   .where(column == telegram_id)).scalar_one()
        if count:
            found[f"{column.table.name}.{column.name}"] = count
    return found
