"""Counts shown as badges in the main navigation (e.g. waiting proposals for the Leitung).

A feature registers ``register_badge(blueprint_name, count(user) -> int, label)``; the base template
shows the number beside that section's link when it is above zero (``label`` is read out after it).
"""
from __future__ import annotations

from typing import Callable

from flask import Flask
from flask_login import current_user

_BADGES: dict[str, tuple[Callable, str]] = {}


def register_badge(name: str, count: Callable, label: str) -> None:
    _BADGES[name] = (count, label)


def init_app(app: Flask) -> None:
    @app.context_processor
    def nav_badges():
        if not current_user or not current_user.is_authenticated:
            return {"nav_badges": {}}
        badges = {}
        for name, (count, label) in _BADGES.items():
            n = count(current_user)
            if n:
                badges[name] = {"count": n, "label": label}
        return {"nav_badges": badges}
