"""Rows per table, compared between a database and its copy: `flask restore` (the backup's counts ->
the restored database) and `flask transfer-db` (the source -> the target)."""
from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select

from app.extensions import db


@dataclass
class TableCount:
    table: str
    original: int  # in the backup, or the source database
    copy: int      # in the restored, or the target database

    @property
    def differs(self) -> bool:
        return self.original != self.copy


def count(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def count_rows(conn: Connection) -> dict[str, int]:
    """Rows of every table of the models (SQLite's search index, derived from the requests, is not counted)."""
    return {table.name: count(conn, table) for table in db.metadata.sorted_tables}


def compare(original: dict[str, int], copy: dict[str, int]) -> list[TableCount]:
    return [TableCount(name, original.get(name, 0), copy.get(name, 0)) for name in sorted(set(original) | set(copy))]


def differing(counts: list[TableCount]) -> str:
    """The tables whose rows differ, named for a message."""
    return ", ".join(c.table for c in counts if c.differs)
