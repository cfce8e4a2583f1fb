"""Addresses of list rows built from one ``url_for``: a list of 50 rows asks the URL map once, not
50 times (``url_for`` is one of the larger costs of rendering a list)."""
from __future__ import annotations

from typing import Callable

from flask import url_for

_SLOT = 2_147_483_647  # an id no row has; only its position in the built URL matters


def row_url(endpoint: str, key: str, **values) -> Callable[[object], str]:
    """``row_url("proposals.detail", "proposal_id")(7) == url_for("proposals.detail", proposal_id=7)``
    for an integer argument ``key``; the other ``values`` are the same for every row."""
    head, tail = url_for(endpoint, **values, **{key: _SLOT}).split(str(_SLOT), 1)
    return lambda value: f"{head}{int(value)}{tail}"
