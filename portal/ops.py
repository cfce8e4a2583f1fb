"""Operations: /healthz for the load balancer, one structured log line per request with an id."""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time

from flask import Blueprint, Flask, Response, g, request
from flask_login import current_user
from sqlalchemy import text

from portal.access import public
from portal.extensions import db

bp = Blueprint("ops", __name__)
log = logging.getLogger("portal.request")


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means: take this instance out of rotation
        logging.getLogger("portal").exception("health check: database unreachable")
        return Response('{"status": "error", "database": "unreachable"}', 503, mimetype="application/json")
    return Response('{"status": "ok"}', 200, mimetype="application/json")


def _start():
    # Behind a proxy that sets X-Request-ID, keep its id so logs can be joined.
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isascii() else secrets.token_hex(8)
    g.started = time.perf_counter()


def logged_path() -> str:
    """The request path with secrets taken out: a URL argument named ``token`` (set-password and
    calendar feed links) is replaced by the first characters of its SHA-256, enough to join log
    lines, useless to an attacker reading the log."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12])
    return path


def _finish(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if request.endpoint != "static" and log.isEnabledFor(logging.INFO):
        user = current_user.get_id().split(":")[0] if current_user and current_user.is_authenticated else None
        log.info(json.dumps({
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": logged_path(),
            "status": response.status_code,
            "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
            "user": user,
            "htmx": request.headers.get("HX-Request") == "true",
        }, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_start)
    app.after_request(_finish)
