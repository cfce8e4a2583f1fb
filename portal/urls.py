"""Addresses built without asking the URL map each time: ``url_for`` costs several µs, and a list
page has a hundred links or more (cards, rows, the layout's navigation).

- ``row_url``: the links of one list that differ only in an id, from one ``url_for``.
- ``id_url`` (template global): the same for templates, kept per request.
- ``fixed_url`` (template global): links every page repeats, built once per worker.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

from flask import Flask, g, request, url_for

_SLOT = 2_147_483_647  # an id no row has; only its position in the built URL matters


def row_url(endpoint: str, key: str, **values) -> Callable[[object], str]:
    """``row_url("proposals.detail", "proposal_id")(7) == url_for("proposals.detail", proposal_id=7)``
    for an integer argument ``key``; the other ``values`` are the same for every row."""
    head, tail = url_for(endpoint, **values, **{key: _SLOT}).split(str(_SLOT), 1)
    return lambda value: f"{head}{int(value)}{tail}"


def id_url(endpoint: str, **values) -> str:
    """``url_for`` for the links of many cards that differ only in one int (post, attachment, event).

    Each kind of link is built once per request with ``row_url`` and the id put in. Links without an
    int value are kept per request as they are; several int values go to url_for.
    """
    ints = [k for k, v in values.items() if type(v) is int]
    if len(ints) > 1:
        return url_for(endpoint, **values)
    cache = g.setdefault("id_urls", {})
    if not ints:
        key = (endpoint, tuple(sorted(values.items())))
        url = cache.get(key)
        if url is None:
            url = cache[key] = url_for(endpoint, **values)
        return url
    name = ints[0]
    others = {k: v for k, v in values.items() if k != name}
    key = (endpoint, name, tuple(sorted(others.items())))
    build = cache.get(key)
    if build is None:
        build = cache[key] = row_url(endpoint, name, **others)
    return build(values[name])


def fixed_url(endpoint: str, **values) -> str:
    """url_for for the links every page repeats (navigation, footer, static files).

    Their URLs change only with the deployment's path prefix, so each is built once per worker.
    """
    return _fixed_url(request.script_root, endpoint, tuple(sorted(values.items())))


@lru_cache(maxsize=128)
def _fixed_url(script_root: str, endpoint: str, values: tuple) -> str:
    return url_for(endpoint, **dict(values))


def init_app(app: Flask) -> None:
    app.add_template_global(id_url)
    app.add_template_global(fixed_url)
