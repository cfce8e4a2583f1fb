"""Counts shown as badges in the main navigation (e.g. waiting proposals for the Leitung).

A feature registers ``name -> function(user) -> int`` with ``register_badge``; the base template
shows a badge when the number is above zero.
"""
from __future__ import annotations

from typing import Callable

from flask import Flask
from flask_login import current_user

_BADGES: dict[str, Callable] = {}


def register_badge(name: str, count: Callable) -> None:
    _BADGES[name] = count


def init_app(app: Flask) -> None:
    @app.context_processor
    def nav_badges():
        if not current_user or not current_user.is_authenticated:
            return {"nav_badges": {}}
        return {"nav_badges": {name: count(current_user) for name, count in _BADGES.items()}}
