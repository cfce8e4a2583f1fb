"""The one place that knows htmx: fragment or page, redirects after POST, client events."""
from __future__ import annotations

from flask import Response, redirect, render_template
from htmx_flask import make_response, request


def wants_fragment() -> bool:
    """htmx asks for a region: not a boosted navigation, not a history restore."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def render(page: str, partial: str, /, status: int = 200, trigger: str | dict | None = None,
           push_url: str | None = None, **ctx) -> Response:
    """Render the full page, or only its partial for an htmx request.

    The page template ``{% include %}``s the partial, so both share one markup.
    """
    template = partial if wants_fragment() else page
    response = make_response(render_template(template, **ctx), status,
                             trigger=trigger, push_url=push_url if wants_fragment() else None)
    response.vary.add("HX-Request")
    return response


def redirect_after_post(url: str, trigger: str | dict | None = None) -> Response:
    """303 to ``url`` for a plain form; for htmx a client-side navigation to it."""
    if request.htmx:
        response = make_response("", 204, location=url, trigger=trigger)
    else:
        response = redirect(url, code=303)
    response.vary.add("HX-Request")
    return response

