"""A database's rows kept in memory and put back into another database of the same engine.

For fixtures whose data is slow to build through the real services (the dashboard's ten weeks of
requests): built once per backend in each test process, then each test gets its own copy in
its own fresh database, as if built again, ids and sequences included."""
from sqlalchemy import delete, func, insert, select, text

from app.extensions import db


def take() -> dict[str, list[dict]]:
    """Every table's rows, in primary key order."""
    return {table.name: [dict(row._mapping) for row in db.session.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables}


def restore(rows: dict[str, list[dict]]) -> None:
    """Replace the current database's rows with `rows` and commit."""
    connection = db.session.connection()
    for table in reversed(db.metadata.sorted_tables):
        connection.execute(delete(table))
    for table in db.metadata.sorted_tables:
        if rows.get(table.name):
            connection.execute(insert(table), rows[table.name])
    if connection.dialect.name == "postgresql":  # the next id after the copied ones, as after building
        for table in db.metadata.sorted_tables:
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
