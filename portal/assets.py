"""Versioned static URLs: every url_for('static', ...) gets ?v=<content hash>, so browsers may
cache static files for a year and still get a new file the moment it changes."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask

ONE_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    static_root = Path(app.static_folder)

    @lru_cache(maxsize=256)
    def version(filename: str) -> str | None:
        path = static_root / filename
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values:
            v = version(values.get("filename", ""))
            if v:
                values["v"] = v

    @app.after_request
    def immutable_static(response):
        from flask import request

        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response
