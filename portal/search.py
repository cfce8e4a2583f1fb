"""One way to search text in the portal: German folding that is the same in Python, SQLite and
PostgreSQL.

``fold("Übergangsregelung") == fold("ÜBERGANGSREGELUNG")`` and ``fold("Straße") == fold("Strasse")``.
In SQL, ``folded(column)`` is ``portal_fold(column)`` on SQLite (a Python function registered on
every connection, see ``register_sqlite_functions``) and ``replace(lower(column), 'ß', 'ss')`` on
PostgreSQL; SQL's own ``lower()`` on SQLite folds ASCII only, so "Ü" would not find "ü".
"""
from __future__ import annotations

import functools
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


# --- full-text search terms (portal.search_index) --------------------------------------------------
#
# Both databases search the same normalised text, produced here: words folded (case, ß -> ss),
# stemmed by the German Snowball stemmer (which also turns ä/ö/ü into a/o/u), accents removed, and
# stems that are German stop words ("und", "die", "ein") dropped: PostgreSQL's 'german' dictionary
# would drop them, FTS5 would not. "über" stays searchable: its stem "uber" is no stop word. SQLite's FTS5 and PostgreSQL's tsvector ('german') then only split on
# spaces, so "Ferienfreizeit" finds "Ferienfreizeiten", "über" finds "Über", "Strasse" finds "Straße"
# on both, with the same hits.

_WORD = re.compile(r"[^\W_]+")
#: At most this many words of a query are searched (a pasted paragraph is cut, never an error).
MAX_QUERY_TERMS = 8
#: The last word of a query also matches as a prefix ("Ferienfr" finds "Ferienfreizeit") from this length.
MIN_PREFIX = 3

_stemmer = None


@functools.lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    """Kept per word: a pure function, and the snippets of one result page stem some 300 words
    (the live search at production size: 19.6 -> 8.6 ms in-process, bench/NOTES.md)."""
    global _stemmer
    if _stemmer is None:
        import snowballstemmer

        _stemmer = snowballstemmer.stemmer("german")
    stem = _stemmer.stemWord(word)
    return "".join(c for c in unicodedata.normalize("NFKD", stem) if not unicodedata.combining(c))


def _terms(text: str | None) -> list[str]:
    from portal.search_stopwords import GERMAN_STOP_WORDS

    out = []
    for word in _WORD.findall(fold(text)):
        stem = _stem(word)
        if stem and stem not in GERMAN_STOP_WORDS:
            out.append(stem)
    return out


def index_terms(*texts: str | None) -> str:
    """The normalised words of ``texts``, space-separated: what the full-text index stores."""
    return " ".join(term for text in texts for term in _terms(text))


def query_terms(q: str | None) -> tuple[list[str], bool]:
    """The normalised words of a search text (at most MAX_QUERY_TERMS, no duplicates) and whether
    the last one is also matched as a prefix (typed without a trailing space, long enough)."""
    text = clean_query(q)
    terms = list(dict.fromkeys(_terms(text)))[:MAX_QUERY_TERMS]
    prefix = bool(terms) and len(terms[-1]) >= MIN_PREFIX and not (q or "").endswith(" ")
    return terms, prefix


class Highlighter:
    """Marks the words of one search in many texts: the query's terms are worked out once, then
    ``marks(text)`` gives a snippet of ``text`` around the first word that matches the way the index
    does, as (text, marked) pieces for the template (which escapes them and wraps marked ones in
    <mark>)."""

    def __init__(self, q: str | None):
        self.terms, self.prefix = query_terms(q)
        self.wanted = set(self.terms)

    def _matches(self, word: str) -> bool:
        stems = _terms(word)
        return bool(stems) and (stems[0] in self.wanted or (self.prefix and stems[0].startswith(self.terms[-1])))

    def __call__(self, text: str | None, width: int = 90) -> list[tuple[str, bool]]:
        plain = re.sub(r"\\([\\`*_{}\[\]()#+\-.!])", r"\1", text or "")  # Markdown escapes ("12\. Mai")
        plain = " ".join(re.sub(r"[*#_`]", "", plain).split())
        spans = []
        for m in _WORD.finditer(plain):
            if spans and m.start() > spans[0][1] + width:
                break  # past the snippet around the first hit: the rest of a long text is not shown
            if self._matches(m.group()):
                spans.append((m.start(), m.end()))
        if not spans:
            cut = plain[: width * 2]
            return [(cut + ("…" if len(plain) > width * 2 else ""), False)] if cut else []
        start = max(0, spans[0][0] - width)
        end = min(len(plain), spans[0][1] + width)
        if start:  # begin and end at a word boundary
            space = plain.find(" ", start, spans[0][0])
            start = space + 1 if space >= 0 else start
        if end < len(plain):
            space = plain.rfind(" ", spans[0][1], end)
            end = space if space >= 0 else end
        pieces: list[tuple[str, bool]] = [("…", False)] if start else []
        at = start
        for s, e in spans:
            if s < start or e > end:
                continue
            if s > at:
                pieces.append((plain[at:s], False))
            pieces.append((plain[s:e], True))
            at = e
        if at < end:
            pieces.append((plain[at:end], False))
        if end < len(plain):
            pieces.append(("…", False))
        return pieces

