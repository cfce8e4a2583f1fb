"""Values kept per worker process under a fingerprint of everything they depend on.

A feature passes the fingerprint (counts, newest change, ...: a cheap index query) as part of the
key, so a change in the data shows at once in every worker; old entries simply fall out of the
bounded store.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Callable, TypeVar

from flask import current_app

T = TypeVar("T")
_lock = threading.Lock()


def kept(store: str, size: int, key_parts: tuple, build: Callable[[], T], max_age: float | None = None) -> T:
    """``build()``, kept in the app's ``store`` under a hash of ``key_parts``: the ``size`` last
    used, each for at most ``max_age`` seconds if given."""
    key = hashlib.sha256(repr(key_parts).encode()).hexdigest()
    cache: OrderedDict = current_app.extensions.setdefault(store, OrderedDict())
    with _lock:
        hit = cache.get(key)
        if hit is not None and (max_age is None or time.monotonic() - hit[0] < max_age):
            cache.move_to_end(key)
            return hit[1]
    value = build()
    with _lock:
        cache[key] = (time.monotonic(), value)
        while len(cache) > size:
            cache.popitem(last=False)
    return value
