"""Values kept per worker process, invalidated by the writes themselves.

A cache has a name ("calendar", "project_hours") and the models it depends on, declared once in
``create_app`` with ``invalidate_on_write(name, *models)``. Whenever a flush inserts, changes or
deletes a row of one of those models (or an ORM bulk UPDATE/DELETE touches their table), the
cache's *generation* in the table ``cache_generation`` goes up, in the same transaction. Readers put
``generation(name)`` into their key: one small query per request reads all generations, so a
change shows at once in every worker and no writer has to remember anything.

The values themselves sit in cachetools' LRU (or, with ``max_age``, TTL) caches, one per store, in
the app of each worker process.

Data changed by hand in SQL bypasses this: reload gunicorn afterwards (README › Betrieb).
"""
from __future__ import annotations

import hashlib
import threading
from typing import Callable, TypeVar

from cachetools import Cache, LRUCache, TTLCache
from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import BigInteger, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import db

T = TypeVar("T")
_lock = threading.Lock()

#: model class -> names of the caches that depend on it (filled by invalidate_on_write)
_DEPENDENTS: dict[type, set[str]] = {}
#: model class -> names of the caches that also depend on its many-to-many collections
_COLLECTION_DEPENDENTS: dict[type, set[str]] = {}


class CacheGeneration(db.Model):
    """How often the data behind a per-worker cache changed; part of that cache's keys."""

    __tablename__ = "cache_generation"

    #: Name of the cache, e.g. "calendar".
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: Raised by every flush that writes a row the cache depends on.
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def invalidate_on_write(name: str, *models: type, collections: tuple[type, ...] = ()) -> None:
    """Declare that cache ``name`` shows data of ``models`` (called from create_app).

    ``collections``: models whose many-to-many collections (rows of a plain association table,
    e.g. a user's Ortsteile) the cache shows as well; a changed collection counts as a write.
    """
    for model in (*models, *collections):
        _DEPENDENTS.setdefault(model, set()).add(name)
    for model in collections:
        _COLLECTION_DEPENDENTS.setdefault(model, set()).add(name)


def generation(name: str) -> int:
    """The current generation of cache ``name`` (all names read in one query per request)."""
    if has_request_context():
        if "cache_generations" not in g:
            g.cache_generations = _read_generations()
        return g.cache_generations.get(name, 0)
    return _read_generations().get(name, 0)


def _read_generations() -> dict[str, int]:
    return dict(db.session.execute(select(CacheGeneration.name, CacheGeneration.value)).all())


def _bump(session: Session, names: set[str]) -> None:
    """Raise the generations of ``names`` inside the session's transaction."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = CacheGeneration.__table__
    for name in sorted(names):  # a fixed order: two writers never wait for each other crosswise
        stmt = insert(table).values(name=name, value=1)
        connection.execute(stmt.on_conflict_do_update(index_elements=[table.c.name],
                                                      set_={"value": table.c.value + 1}))
    # Values built from now on in this transaction must not be kept: if it rolls back, another
    # transaction reaches the same generation with other data.
    session.info["cache_dirty"] = True
    if has_request_context():
        g.pop("cache_generations", None)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:
    if not _DEPENDENTS:
        return
    names: set[str] = set()
    for obj in (*session.new, *session.deleted, *session.dirty):
        dependents = _DEPENDENTS.get(type(obj))
        if not dependents:
            continue
        if obj not in session.dirty or session.is_modified(obj, include_collections=False):
            names |= dependents
        elif type(obj) in _COLLECTION_DEPENDENTS and session.is_modified(obj, include_collections=True):
            names |= _COLLECTION_DEPENDENTS[type(obj)]
    if names:
        _bump(session, names)


@event.listens_for(Session, "do_orm_execute")
def _after_bulk_write(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        names = _DEPENDENTS.get(state.bind_mapper.class_)
        if names:
            _bump(state.session, set(names))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop("cache_dirty", None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("cache_dirty", None)


def person_key(user) -> tuple:
    """What a value kept for one person depends on besides the data: who she is, her roles, Träger and
    Sozialraum, and today's date in Berlin (memberships and "today" rules change at midnight)."""
    from portal.formatting import heute

    return (user.id, tuple(sorted(user.roles)), user.traeger_id, user.sozialraum_id, heute())


def kept(store: str, size: int, key_parts: tuple, build: Callable[[], T], max_age: float | None = None) -> T:
    """``build()``, kept in the app's ``store`` under a hash of ``key_parts``: the ``size`` last
    used, each for at most ``max_age`` seconds if given (a store is created by its first use:
    every call for one store passes the same ``size`` and ``max_age``).

    ``key_parts`` holds everything the value shows, including ``generation(name)`` of the caches
    whose data it is built from.
    """
    key = hashlib.sha256(repr(key_parts).encode()).hexdigest()
    cache = _store(store, size, max_age)
    with _lock:  # cachetools' caches are not thread-safe
        value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    value = build()
    if has_app_context() and db.session.info.get("cache_dirty"):
        return value  # built from uncommitted writes: see _bump
    with _lock:
        cache[key] = value
    return value


_MISSING = object()


def _store(name: str, size: int, max_age: float | None) -> Cache:
    """The app's store ``name``: least recently used entries go first, and with ``max_age`` each
    entry also expires that many seconds after it was built."""
    cache = current_app.extensions.get(name)
    if cache is None:
        with _lock:
            cache = current_app.extensions.setdefault(
                name, TTLCache(size, max_age) if max_age is not None else LRUCache(size))
    return cache
