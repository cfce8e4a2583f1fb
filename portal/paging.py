"""One keyset pager for every list that can grow large.

A page ends with the id of its last row; the link to the next page carries it as ``?nach=<id>``
(one URL convention for the whole portal). The pager looks up that row's sort key *within the same
list* (a foreign or unknown id starts over at the top) and continues strictly after it: no OFFSET,
a fixed number of queries however far one pages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from sqlalchemy import Select, and_, func, literal, or_, select
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


def parse_cursor(raw: str | None) -> int | None:
    """The ``nach`` argument as a row id; anything else (text, 0, huge numbers) means "from the top"."""
    return parse_id(raw)


def parse_id(raw) -> int | None:
    """A row id from a query argument or form field: ASCII digits within the database's range, else None."""
    raw = raw.strip() if isinstance(raw, str) else str(raw) if isinstance(raw, int) else ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= _MAX_ID else None


def _after(order: Sequence[tuple[ColumnElement, Direction]], values: Sequence) -> ColumnElement:
    """Rows strictly after ``values`` in ``order``: (a, b) after (x, y) is a ▷ x or (a = x and b ▷ y)."""
    alternatives = []
    for i, (column, direction) in enumerate(order):
        equal = [c == v for (c, _), v in zip(order[:i], values[:i])]
        # A bound literal of the column's type: SQLAlchemy refuses ``<``/``>`` against a plain
        # Python True/False (boolean sort keys such as "pinned").
        value = literal(values[i], column.type)
        step = column < value if direction == "desc" else column > value
        alternatives.append(and_(*equal, step))
    return or_(*alternatives)


def keyset_page(stmt: Select, order: Sequence[tuple[ColumnElement, Direction]], cursor: int | None,
                limit: int, *, id_column: ColumnElement, count: bool = False, count_up_to: int | None = None,
                count_stmt: Select | None = None, rows: bool = False) -> Page:
    """One page of ``stmt`` in ``order`` (its last column must be unique, usually the id).

    ``rows=True`` returns result rows (for statements selecting more than one entity), else the
    objects. ``count=True`` also counts the whole list; with ``count_up_to`` it stops counting one
    row after that many (``total`` is then ``count_up_to + 1`` for "more than …"). ``count_stmt``:
    the same list in a form the database counts faster (the search's), if there is one.
    """
    continued = False
    page_stmt = stmt
    if cursor is not None:
        listed = stmt.order_by(None).subquery()
        last = db.session.execute(select(*[listed.c[column.key] for column, _ in order])
                                  .where(listed.c[id_column.key] == cursor).limit(1)).first()
        if last is not None:
            page_stmt = stmt.where(_after(order, tuple(last)))
            continued = True
    page_stmt = page_stmt.order_by(*[c.desc() if d == "desc" else c.asc() for c, d in order]).limit(limit + 1)
    result = db.session.execute(page_stmt)
    items = list(result.unique().all() if rows else result.unique().scalars())
    more = len(items) > limit
    items = items[:limit]
    next_cursor = None
    if more and items:
        last_item = items[-1][0] if rows else items[-1]
        next_cursor = getattr(last_item, id_column.key)
    total = None
    if count:
        counted = (stmt if count_stmt is None else count_stmt).order_by(None)
        if count_up_to is not None:
            counted = counted.limit(count_up_to + 1)
        total = db.session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    return Page(items=items, next_cursor=next_cursor, total=total, continued=continued)
