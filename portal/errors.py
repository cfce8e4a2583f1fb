"""German error pages; never a traceback."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from portal.duplicates import DOUBLE_SUBMIT
from portal.extensions import db

MESSAGES = {
    400: ("Ungültige Anfrage", "Die Anfrage konnte nicht verarbeitet werden."),
    401: ("Anmeldung nötig", "Bitte melde dich an."),
    403: ("Kein Zugriff", "Dafür fehlt dir die Berechtigung. Wenn du meinst, dass das ein Fehler ist, "
          "wende dich an die Administration."),
    404: ("Nicht gefunden", "Diese Seite gibt es nicht oder nicht mehr."),
    405: ("Nicht erlaubt", "Diese Aktion ist hier nicht möglich."),
    409: ("Konflikt", "Inzwischen hat jemand anderes diesen Eintrag geändert. Bitte lade die Seite "
          "neu und sieh dir den aktuellen Stand an."),
    413: ("Datei zu groß", "Die hochgeladene Datei ist zu groß."),
    422: ("Eingabe prüfen", "Einige Angaben sind nicht gültig."),
    429: ("Zu viele Versuche", "Zu viele Versuche in kurzer Zeit. Bitte warte einige Minuten und "
          "versuche es dann erneut."),
    500: ("Fehler im Portal", "Etwas ist schiefgelaufen. Der Fehler wurde protokolliert; bitte "
          "versuche es später noch einmal."),
}


class OperationError(Exception):
    """Raised by an operation in a feature's services.py; the message is German and shown as is.

    A view that can do better (re-render its form with the message at a field) catches it; an
    uncaught one becomes the German error page with ``status``.
    """

    status = 400

    def __init__(self, message: str | None = None):
        super().__init__(message or MESSAGES[self.status][1])
        self.message = message or MESSAGES[self.status][1]


class NotAllowed(OperationError):
    """The acting user may not do this (the model's ``can_*`` rule said no)."""

    status = 403


class Conflict(OperationError):
    """Somebody else changed the object first (stale version), or the step is not possible in
    its current state."""

    status = 409


class Invalid(OperationError):
    """The input breaks a rule the form could not check (e.g. a vote count against the quorum)."""

    status = 422


#: Paths whose clients are programs: errors answer in JSON there (the OParl interface).
JSON_PREFIXES = ("/oparl/",)


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if request.path.startswith(JSON_PREFIXES):
        from flask import jsonify

        response = jsonify(error={"code": code, "title": title, "message": message or default})
        response.content_type = "application/json; charset=utf-8"
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Cache-Control"] = "no-store"
        if code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="OParl"'
        return response, code
    template = "errors/_error.html" if request.headers.get("HX-Request") == "true" else "errors/error.html"
    return render_template(template, code=code, title=title, message=message or default), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(400, "Das Formular ist abgelaufen oder ungültig (Sicherheitsprüfung). "
                                 "Bitte lade die Seite neu und sende es noch einmal.")

    @app.errorhandler(OperationError)
    def operation_error(e: OperationError):
        db.session.rollback()
        return render_error(e.status, e.message)

    @app.errorhandler(IntegrityError)
    def integrity_error(e: IntegrityError):
        # A unique key a parallel request (the same form sent twice) took first; the operations
        # handle the ones they know (portal.duplicates), this is the net under them: 409, no 500.
        db.session.rollback()
        app.logger.warning("Eindeutigkeit verletzt bei %s %s: %s", request.method, request.path,
                           str(e.orig).splitlines()[0] if str(e.orig) else "")  # no DETAIL: it holds values
        return render_error(409, DOUBLE_SUBMIT)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        # Views may pass a German explanation: abort(409, description="...").
        custom = e.description if e.description and e.description != type(e).description else None
        response, code = render_error(e.code or 500, custom)
        if e.code == 405 and hasattr(e, "valid_methods") and e.valid_methods:
            return response, code, {"Allow": ", ".join(e.valid_methods)}
        return response, code

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        if isinstance(e, HTTPException):
            return http_error(e)
        app.logger.exception("Unerwarteter Fehler bei %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)

