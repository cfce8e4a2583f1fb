"""What the plan checks of bench/plans_*.py share: the SQL a block runs, and SQLite's plan of it."""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def captured_sql(engine):
    """``with captured_sql(engine) as seen: ...`` -> ``seen`` holds (statement, parameters) of the block."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def query_plan(app, statement: str, parameters) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN of a statement, one line per step."""
    from portal.extensions import db

    with app.app_context():
        return [row[-1] for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, tuple(parameters))]
