"""Double submits: the same form sent twice (a double click, a resent request after a slow answer,
two tabs) creates one object, and two parallel requests never end in a 500 on a unique constraint.

Three tools, used by the operations in the features' ``services.py``:

- ``add_once(obj, existing)``: insert a row whose key is unique (a "Danke", the HzE hours of a
  month, a budget of a year); if a parallel request inserted the same key first, the insert is
  undone (a savepoint) and the row that won is returned instead.
- ``unique_or(error)``: flush inside a savepoint; a unique constraint another request won becomes
  the operation's own German ``error`` (e.g. "Eine 3. Sitzung gibt es schon.").
- ``one_at_a_time(user)`` + a look for a just-created twin: for objects without a natural key (a
  post, a budget request). Parallel submissions of the same person wait for each other (a row lock
  on the person on PostgreSQL, the write lock on SQLite) until the first one committed; then the
  second finds the twin the first created and answers with it.

What slips through all of them (a unique constraint nobody thought of) is answered by the error
handler in portal/errors.py with 409 and ``DOUBLE_SUBMIT``, never with a 500.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db

T = TypeVar("T")

#: How long a identical second submission counts as the same one.
TWIN_WINDOW = timedelta(minutes=10)

DOUBLE_SUBMIT = ("Das ist schon gespeichert – vermutlich wurde das Formular zweimal abgeschickt. "
                 "Bitte lade die Seite neu; du siehst dann den gespeicherten Stand.")


def _savepoint():
    """A savepoint *inside* the request's transaction. Python's sqlite3 opens a transaction only
    before a write; a SAVEPOINT issued outside one would start its own, and its RELEASE would commit
    the row at once, before the view commits (or rolls back) the whole operation."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")
    return db.session.begin_nested()


def add_once(obj: T, existing: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert ``obj``; returns (row, created). When a parallel request inserted the same unique key
    first, returns (``existing()``, False) and the session goes on as if nothing was tried."""
    try:
        with _savepoint():
            db.session.add(obj)
        return obj, True
    except IntegrityError:
        row = existing()
        if row is None:  # another constraint failed: not a double submit
            raise
        return row, False


@contextmanager
def unique_or(error: Exception) -> Iterator[None]:
    """Flush what the block added inside a savepoint; a unique clash raises ``error`` instead."""
    try:
        with _savepoint():
            yield
            db.session.flush()
    except IntegrityError:
        raise error from None


def one_at_a_time(user) -> None:
    """Make parallel writes of ``user`` wait for each other until the first one committed (a no-op
    UPDATE of the person's row: a row lock on PostgreSQL, the database's write lock on SQLite).
    Call it before looking for a twin of what is about to be created."""
    from portal.auth.models import User

    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version)
                       .execution_options(synchronize_session=False))


def since():
    """Objects created after this moment count as twins of an identical new submission."""
    from portal.extensions import utcnow

    return utcnow() - TWIN_WINDOW


def answered_with_twin(obj) -> None:
    """Note that the operation answered with ``obj``, which an earlier identical submission created."""
    db.session.info.setdefault("twins", set()).add((type(obj).__name__, obj.id))


def is_twin(obj) -> bool:
    """Did this request get an existing object back instead of creating one?"""
    return (type(obj).__name__, obj.id) in db.session.info.get("twins", set())
