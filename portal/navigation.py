"""Counts shown as badges in the main navigation (e.g. waiting proposals for the Leitung).

A feature registers ``register_badge(blueprint_name, count(user) -> int, label)``; the base template
shows the number beside that section's link when it is above zero (``label`` is read out after it).
"""
from __future__ import annotations

from typing import Callable

from flask import Flask, g
from flask_login import current_user

_BADGES: dict[str, tuple[Callable, str]] = {}


def register_badge(name: str, count: Callable, label: str) -> None:
    _BADGES[name] = (count, label)


class _NavBadges:
    """The badges of the signed-in user, counted when a template first asks for one.

    Every render_template runs the context processors, htmx fragments included; the counts cost a
    query each and only the full page's navigation shows them.
    """

    def __init__(self):
        self._badges: dict | None = None

    def _counted(self) -> dict:
        if self._badges is None:
            self._badges = {}
            if current_user and current_user.is_authenticated:
                for name, (count, label) in _BADGES.items():
                    n = count(current_user)
                    if n:
                        self._badges[name] = {"count": n, "label": label}
        return self._badges

    def get(self, name: str, default=None):
        return self._counted().get(name, default)

    def __getitem__(self, name: str):
        return self._counted()[name]

    def __contains__(self, name: str) -> bool:
        return name in self._counted()


def init_app(app: Flask) -> None:
    @app.context_processor
    def nav_badges():
        # One per request, so that a page and the partials it includes count once.
        if "nav_badges" not in g:
            g.nav_badges = _NavBadges()
        return {"nav_badges": g.nav_badges}
