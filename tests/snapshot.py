"""A database's rows kept in memory and put back into another database of the same engine.

For fixtures whose data is slow to build through the real services (the dashboard's ten weeks of
requests, the journal's requests): built once per backend, then each test gets its own copy in
its own fresh database, as if built again, ids and sequences included (tests/shared.py shares them
between the test processes of a run)."""
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import delete, func, insert, select, text

from app.extensions import db
from tests import shared


def take(tables=None) -> dict[str, list[dict]]:
    """Every table's rows (or those of the named tables), in primary key order."""
    return {table.name: [dict(row._mapping) for row in db.session.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables if tables is None or table.name in tables}


def restore(rows: dict[str, list[dict]]) -> None:
    """Replace the rows of the tables in `rows` (every table, for a whole snapshot) and commit."""
    connection = db.session.connection()
    tables = [table for table in db.metadata.sorted_tables if table.name in rows]
    for table in reversed(tables):
        connection.execute(delete(table))
    for table in tables:
        if rows[table.name]:
            connection.execute(insert(table), rows[table.name])
    if connection.dialect.name == "postgresql":  # the next id after the copied ones, as after building
        for table in tables:
            key = list(table.primary_key.columns)
            if len(key) != 1 or not key[0].autoincrement or key[0].type.python_type is not int:
                continue
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": table.name, "c": key[0].name}).scalar()
            if sequence:
                top = connection.execute(select(func.max(key[0]))).scalar()
                connection.execute(text("SELECT setval(:s, :v, :called)"),
                                   {"s": sequence, "v": top or 1, "called": top is not None})
    db.session.commit()


@dataclass
class Change:
    """What a build changed: the changed tables' rows before and after it."""

    before: dict[str, list[dict]]
    after: dict[str, list[dict]]

    def applies(self) -> bool:
        """Whether the current database holds the rows the build started from in those tables (by
        primary key: the admin a fixture made a moment ago is the same admin, if not to the second)."""
        return _keys(take(set(self.before))) == _keys(self.before)

    def apply(self) -> None:
        restore(self.after)


def _keys(rows: dict[str, list[dict]]) -> dict[str, list[tuple]]:
    tables = {table.name: table for table in db.metadata.sorted_tables}
    return {name: [tuple(row[column.name] for column in tables[name].primary_key.columns) for row in table_rows]
            for name, table_rows in rows.items()}


def change(build) -> tuple[object, Change]:
    """Run build() and capture the tables it changed: (its result, the change)."""
    before = take()
    result = build()
    db.session.commit()
    after = take()
    changed = {name for name in after if after[name] != before.get(name)}
    return result, Change({name: before[name] for name in changed}, {name: after[name] for name in changed})


def once(name: str, build: Callable[[], object], keep: Callable[[object], object] = lambda result: result):
    """build() (it writes into this test's database) once in the whole run for `name` (tests/shared.py);
    later callers get the rows it changed copied into their own database. (build's result, True) where
    this call built; else (keep(result) as the builder kept it, False). A database that does not hold
    the rows the build started from (by key) builds again."""
    results = []

    def run():
        result, captured = change(build)
        results.append(result)
        return keep(result), captured

    (kept, captured), _ = shared.value(name, run)
    if results:
        return results[0], True
    if not captured.applies():
        return build(), True
    captured.apply()
    return kept, False
