"""Who may enter: every view needs a signed-in user unless marked ``@public``.

Protecting by default means a new route cannot be forgotten; the permission-matrix test
checks every route for every role on top.
"""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, request
from flask_login import current_user

from portal.extensions import login_manager


def public(view):
    """Mark a view as reachable without signing in (login, legal pages, feeds)."""
    view.is_public = True
    return view


def role_required(*roles):
    """403 unless the signed-in user holds one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _require_login():
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False) or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def init_app(app: Flask) -> None:
    app.before_request(_require_login)


@login_manager.unauthorized_handler
def _unauthorized():
    """Send anonymous visitors to the login page; htmx requests navigate there as a whole."""
    from flask import redirect, url_for
    from htmx_flask import make_response
    from htmx_flask import request as hx_request

    target = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if hx_request.htmx:
        return make_response("", 401, redirect=target)
    return redirect(target)
