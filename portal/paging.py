"""One keyset pager for every list that can grow large.

A page ends with the id of its last row; the link to the next page carries it as ``?nach=<id>``
(one URL convention for the whole portal). The pager looks up that row's sort key *within the same
list* (a foreign or unknown id starts over at the top) and continues strictly after it: no OFFSET,
a fixed number of queries however far one pages.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal, Sequence

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db

#: The query argument that carries the cursor.
CURSOR_ARG = "nach"
_MAX_ID = 2**31 - 1  # ids are INTEGER columns; a larger number is no id (as in the URL converter)

Direction = Literal["asc", "desc"]


@dataclass
class Page:
    items: list
    #: Id of this page's last row when more rows follow (the next page's ``nach``), else None.
    next_cursor: int | None
    #: Rows in the whole list, when asked for (one COUNT).
    total: int | None = None
    #: This page was reached through a cursor (offer "zum Anfang").
    continued: bool = False


def parse_cursor(raw: str | None, largest: int = _MAX_ID) -> int | None:
    """The ``nach`` argument as a row id; anything else (text, 0, numbers above ``largest``: the
    INTEGER range unless a list's ids are larger) means "from the top"."""
    return parse_id(raw, largest)


def parse_id(raw, largest: int = _MAX_ID) -> int | None:
    """A row id from a query argument or form field: ASCII digits within the database's range, else None."""
    raw = raw.strip() if isinstance(raw, str) else str(raw) if isinstance(raw, int) else ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= largest else None


def _after(order: Sequence[tuple[ColumnElement, Direction]]) -> ColumnElement:
    """Rows strictly after the row whose sort key is bound as ``keyset_after_0``, ``keyset_after_1``, …:
    (a, b) after (x, y) is a ▷ x or (a = x and b ▷ y)."""
    alternatives = []
    for i, (column, direction) in enumerate(order):
        equal = [c == _after_value(j, c) for j, (c, _) in enumerate(order[:i])]
        step = column < _after_value(i, column) if direction == "desc" else column > _after_value(i, column)
        alternatives.append(and_(*equal, step))
    return or_(*alternatives)


def _after_value(i: int, column: ColumnElement):
    # Bound with the column's type: SQLAlchemy refuses ``<``/``>`` against a plain Python True/False
    # (boolean sort keys such as "pinned").
    return bindparam(f"keyset_after_{i}", type_=column.type)


class PageStatements:
    """The statements that page ``stmt`` in ``order`` (its last column must be unique, usually the id).

    Values that vary from request to request (the cursor, the sort key after which a page goes on, a
    caller's own parameters) are bound when they run (``run_page``), so a caller may keep the object
    and run it again; each statement is built on first use.

    ``count=True`` also counts the whole list; with ``count_up_to`` it stops counting one row after
    that many. ``count_stmt``: the same list in a form the database counts faster, if there is one.
    """

    def __init__(self, stmt: Select, order: Sequence[tuple[ColumnElement, Direction]], limit: int, *,
                 id_column: ColumnElement, count: bool = False, count_up_to: int | None = None,
                 count_stmt: Select | None = None):
        self.stmt, self.order, self.limit, self.id_column = stmt, order, limit, id_column
        self.counted = count
        self.count_up_to, self.count_stmt = count_up_to, count_stmt

    @cached_property
    def first(self) -> Select:
        """The first page: limit + 1 rows in list order."""
        return self._in_order(self.stmt)

    @cached_property
    def after(self) -> Select:
        """A later page: the same, strictly after the sort key bound as keyset_after_0, keyset_after_1, …"""
        return self._in_order(self.stmt.where(_after(self.order)))

    @cached_property
    def cursor_row(self) -> Select:
        """The sort key of the row bound as keyset_cursor, if it is in the list."""
        listed = self.stmt.order_by(None).subquery()
        return (select(*[listed.c[column.key] for column, _ in self.order])
                .where(listed.c[self.id_column.key] == bindparam("keyset_cursor", type_=self.id_column.type))
                .limit(1))

    @cached_property
    def count(self) -> Select | None:
        """The number of rows (up to count_up_to + 1), or None when the list is not counted."""
        if not self.counted:
            return None
        counted = (self.stmt if self.count_stmt is None else self.count_stmt).order_by(None)
        if self.count_up_to is not None:
            counted = counted.limit(self.count_up_to + 1)
        return select(func.count()).select_from(counted.subquery())

    def _in_order(self, stmt: Select) -> Select:
        return stmt.order_by(*[c.desc() if d == "desc" else c.asc() for c, d in self.order]).limit(self.limit + 1)


def keyset_page(stmt: Select, order: Sequence[tuple[ColumnElement, Direction]], cursor: int | None,
                limit: int, *, id_column: ColumnElement, count: bool = False, count_up_to: int | None = None,
                count_stmt: Select | None = None, rows: bool = False) -> Page:
    """One page of ``stmt`` in ``order`` (its last column must be unique, usually the id).

    ``rows=True`` returns result rows (for statements selecting more than one entity), else the
    objects. ``count=True`` also counts the whole list; with ``count_up_to`` it stops counting one
    row after that many (``total`` is then ``count_up_to + 1`` for "more than …"). ``count_stmt``:
    the same list in a form the database counts faster (the search's), if there is one.
    """
    statements = PageStatements(stmt, order, limit, id_column=id_column, count=count, count_up_to=count_up_to,
                                count_stmt=count_stmt)
    return run_page(statements, cursor, rows=rows)


def run_page(statements: PageStatements, cursor: int | None, *, params: dict | None = None,
             rows: bool = False) -> Page:
    """One page of the list ``statements`` describe, after the row ``cursor`` if it is in the list (a
    foreign or unknown id starts over at the top); ``params`` binds the caller's own parameters."""
    params = dict(params or {})
    page_stmt = statements.first
    continued = False
    if cursor is not None:
        last = db.session.execute(statements.cursor_row, {**params, "keyset_cursor": cursor}).first()
        if last is not None:
            page_stmt = statements.after
            params.update({f"keyset_after_{i}": value for i, value in enumerate(last)})
            continued = True
    result = db.session.execute(page_stmt, params)
    items = list(result.unique().all() if rows else result.unique().scalars())
    more = len(items) > statements.limit
    items = items[:statements.limit]
    next_cursor = None
    if more and items:
        last_item = items[-1][0] if rows else items[-1]
        next_cursor = getattr(last_item, statements.id_column.key)
    total = None
    if statements.count is not None:
        total = db.session.scalar(statements.count, params) or 0
    return Page(items=items, next_cursor=next_cursor, total=total, continued=continued)
