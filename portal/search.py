"""One way to search text in the portal: German folding that is the same in Python, SQLite and
PostgreSQL.

``fold("Übergangsregelung") == fold("ÜBERGANGSREGELUNG")`` and ``fold("Straße") == fold("Strasse")``.
In SQL, ``folded(column)`` is ``portal_fold(column)`` on SQLite (a Python function registered on
every connection, see ``register_sqlite_functions``) and ``replace(lower(column), 'ß', 'ss')`` on
PostgreSQL; SQL's own ``lower()`` on SQLite folds ASCII only, so "Ü" would not find "ü".
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

#: Longest search text taken from a form or URL (longer input is cut, never an error).
MAX_QUERY = 200


def fold(text: str | None) -> str:
    """Case and ß folded, composed form: what a search compares."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", text).casefold()


def clean_query(raw: str | None) -> str:
    """A user's search text: control characters dropped, spaces collapsed, at most MAX_QUERY."""
    text = "".join(c for c in (raw or "") if c.isprintable() or c == " ")
    return " ".join(text.split())[:MAX_QUERY]


class folded(FunctionElement):
    """``fold(column)`` in SQL."""

    type = Text()
    name = "portal_fold"
    inherit_cache = True


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw):
    return f"portal_fold({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element, compiler, **kw):
    return f"replace(lower({compiler.process(element.clauses, **kw)}), 'ß', 'ss')"


def register_sqlite_functions(dbapi_connection) -> None:
    dbapi_connection.create_function("portal_fold", 1, fold, deterministic=True)


def like_pattern(text: str) -> str:
    """``%text%`` (folded) for ``LIKE … ESCAPE '/'``; ``%`` and ``_`` typed by a user stay literal."""
    return "%" + fold(text).replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def contains(column, q: str, *, already_folded: bool = False) -> ColumnElement:
    """SQL condition: ``column`` contains ``q``, folded. ``already_folded`` for columns that store
    ``fold(text)`` (e.g. a post's search_text), which can then use the plain column."""
    target = column if already_folded else folded(column)
    return target.like(like_pattern(q), escape="/")


def _plain(text: str) -> str:
    """Markdown source as one line of plain text (for snippets)."""
    return " ".join(re.sub(r"[*#_`>]", "", text or "").split())


def snippet(text: str, q: str, width: int = 90) -> tuple[str, str, str]:
    """(before, match, after) around the first folded hit of ``q`` in ``text``.

    Folding may change lengths ("ß" -> "ss"), so positions are mapped back to the original text.
    """
    plain = _plain(text)
    folded_chars: list[str] = []
    origin: list[int] = []  # index in ``plain`` of every character of the folded text
    for i, char in enumerate(plain):
        for f in fold(char):
            folded_chars.append(f)
            origin.append(i)
    needle = fold(q)
    at = "".join(folded_chars).find(needle) if needle else -1
    if at < 0:
        return (plain[: width * 2] + ("…" if len(plain) > width * 2 else ""), "", "")
    i = origin[at]
    j = origin[at + len(needle) - 1] + 1
    start = max(0, i - width)
    end = min(len(plain), j + width)
    return (("…" if start else "") + plain[start:i], plain[i:j], plain[j:end] + ("…" if end < len(plain) else ""))
