"""Versioned static URLs: every url_for('static', ...) gets ?v=<content hash>, so browsers may
cache static files for a year and still get a new file the moment it changes."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, redirect, url_for

from portal.access import public

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

    @app.get("/favicon.ico")
    @public
    def favicon():
        """Browsers ask for /favicon.ico by themselves (e.g. beside a PDF): send them, once for
        a day, to the versioned icon the pages link to, instead of a 404 page on every visit."""
        response = redirect(url_for("static", filename="favicon.svg"), 301)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    @app.after_request
    def immutable_static(response):
        from flask import request

        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response
