"""Routes of the OParl 1.1 interface (``/oparl/v1/``). Every view is public and stateless: the
viewer is the owner of the ``Authorization: Bearer`` token or nobody, never the session.

Lists page with the portal's keyset pager (``?nach=<id of the last object>``, links.next) and take
the filters ``created_since``, ``created_until``, ``modified_since``, ``modified_until`` (ISO 8601)
and ``limit`` (1–100). Anything else wrong in a request is a 400 with a JSON body, never a 500.
"""
from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, g, request, url_for

from portal.access import public
from portal.ag.models import Meeting
from portal.auth.services import api_token_user
from portal.extensions import db
from portal.formatting import BERLIN
from portal.http import conditional
from portal.oparl import services as s
from portal.paging import CURSOR_ARG, keyset_page, parse_id
from portal.uploads import send_upload

bp = Blueprint("oparl", __name__, url_prefix="/oparl/v1")

LIMIT_DEFAULT = 20
LIMIT_MAX = 100
FILTERS = ("created_since", "created_until", "modified_since", "modified_until")


# --- who asks, and how the answer looks -------------------------------------------------------------

@bp.before_request
def _viewer():
    """The token's owner (401 for an unknown or revoked token: a client should learn that its token
    stopped working rather than silently see less), or anonymous."""
    header = request.headers.get("Authorization", "")
    if not header:
        g.oparl_viewer = s.ANONYMOUS
        return None
    scheme, _, token = header.partition(" ")
    user = api_token_user(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        abort(401, description="Der API-Zugang ist unbekannt oder widerrufen. Einen neuen legst du im Portal "
                               "unter Mein Konto → API-Zugänge an.")
    db.session.commit()  # the token's last use (written at most hourly)
    g.oparl_viewer = s.viewer_for(user)
    return None


@bp.after_request
def _cors(response: Response) -> Response:
    """Any web page may read the public interface (OParl recommends CORS with *); a token is sent
    by the client itself, never a cookie."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, If-None-Match, If-Modified-Since"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    response.vary.add("Authorization")
    return response


def _viewer_now() -> s.Viewer:
    return g.get("oparl_viewer", s.ANONYMOUS)


def _json(data: dict, modified: datetime | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    response = Response(body, content_type="application/json; charset=utf-8")
    # Caches may keep an answer but must ask again; the answer depends on the token.
    scope = "public" if _viewer_now().anonymous else "private"
    return conditional(response, last_modified=modified, cache_control=f"{scope}, no-cache")


def _bad(message: str):
    abort(400, description=message)


def _window() -> s.Window:
    values = {}
    for name in FILTERS:
        raw = request.args.get(name)
        if raw is None:
            continue
        try:
            value = datetime.fromisoformat(raw.strip().replace(" ", "+"))
        except ValueError:
            _bad(f"„{name}“ muss ein Zeitpunkt nach ISO 8601 sein, z. B. 2026-05-12T09:00:00+02:00.")
        if value.tzinfo is None:
            value = value.replace(tzinfo=BERLIN)
        if not 1900 <= value.year <= 2200:
            _bad(f"„{name}“ liegt außerhalb des möglichen Bereichs.")
        values[name] = value
    return s.Window(**values)


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return LIMIT_DEFAULT
    value = parse_id(raw)
    if value is None or value > LIMIT_MAX:
        _bad(f"„limit“ muss eine Zahl von 1 bis {LIMIT_MAX} sein.")
    return value


def _cursor() -> int | None:
    raw = request.args.get(CURSOR_ARG)
    if raw is None:
        return None
    value = parse_id(raw)
    if value is None:
        _bad(f"„{CURSOR_ARG}“ muss die Nummer des letzten Objekts der vorigen Seite sein.")
    return value


def _list(stmt, id_column, serialize, *, rows: bool = False, **url_values) -> Response:
    """One page of a list as OParl wants it: data, pagination, links."""
    limit, cursor = _limit(), _cursor()
    page = keyset_page(stmt, [(id_column, "asc")], cursor, limit, id_column=id_column, count=True, rows=rows)
    args = {k: v for k, v in request.args.items() if k in FILTERS or k == "limit"}
    endpoint = request.endpoint
    links = {"first": url_for(endpoint, _external=True, **url_values, **args),
             "self": url_for(endpoint, _external=True, **url_values, **args,
                             **({CURSOR_ARG: cursor} if cursor else {}))}
    if page.next_cursor is not None:
        links["next"] = url_for(endpoint, _external=True, **url_values, **args, **{CURSOR_ARG: page.next_cursor})
    return _json({
        "data": serialize(page.items),
        "pagination": {"totalElements": page.total, "elementsPerPage": limit},
        "links": links,
    })


def _portal_name() -> str:
    return current_app.config["PORTAL_NAME"]


# --- System and Body ------------------------------------------------------------------------------

@bp.get("/")
@public
def system():
    created, modified = s.body_stamps()
    return _json(s.system_json(created, modified, f"{_portal_name()} – OParl"), modified)


@bp.get("/bodies")
@public
def bodies():
    created, modified = s.body_stamps()
    return _json({"data": [s.body_json(created, modified, "Jugendamt")],
                  "pagination": {"totalElements": 1, "elementsPerPage": 1},
                  "links": {"first": url_for("oparl.bodies", _external=True)}})


def _body(body_id: int) -> None:
    if body_id != s.BODY_ID:
        abort(404)


@bp.get("/body/<int:body_id>")
@public
def body(body_id: int):
    _body(body_id)
    created, modified = s.body_stamps()
    return _json(s.body_json(created, modified, "Jugendamt"), modified)


# --- lists of the Body ------------------------------------------------------------------------------

@bp.get("/body/<int:body_id>/organization")
@public
def organizations(body_id: int):
    _body(body_id)
    stmt, key = s.organization_keys(_window())
    return _list(stmt, key, lambda rows: [s.organization_json(o) for o in s.load_organizations(rows)],
                 rows=True, body_id=body_id)


@bp.get("/body/<int:body_id>/person")
@public
def persons(body_id: int):
    _body(body_id)
    v = _viewer_now()
    stmt, key = s.persons_stmt(_window())

    def serialize(users):
        memberships = s.load_persons(users)
        return [s.person_json(v, u, memberships[u.id]) for u in users]

    return _list(stmt, key, serialize, body_id=body_id)


@bp.get("/body/<int:body_id>/membership")
@public
def memberships(body_id: int):
    _body(body_id)
    stmt, key = s.memberships_stmt(_window())
    return _list(stmt, key, lambda items: [s.membership_json(m) for m in items], body_id=body_id)


@bp.get("/body/<int:body_id>/meeting")
@public
def meetings(body_id: int):
    _body(body_id)
    v = _viewer_now()
    stmt, key = s.meetings_stmt(v, _window())
    return _list(stmt, key, lambda items: [s.meeting_json(v, m) for m in items], body_id=body_id)


@bp.get("/body/<int:body_id>/agendaItem")
@public
def agenda_items(body_id: int):
    _body(body_id)
    v = _viewer_now()
    stmt, key = s.items_stmt(v, _window())
    return _list(stmt, key, lambda items: [s.item_json(v, i, i.meeting) for i in items], body_id=body_id)


@bp.get("/body/<int:body_id>/file")
@public
def files(body_id: int):
    _body(body_id)
    stmt, key = s.files_stmt(_viewer_now(), _window())
    return _list(stmt, key, lambda items: [s.file_json(a) for a in items], body_id=body_id)


@bp.get("/body/<int:body_id>/location")
@public
def locations(body_id: int):
    _body(body_id)
    stmt, key = s.locations_stmt(_viewer_now(), _window())
    return _list(stmt, key, lambda items: [s.location_json(m) for m in items], body_id=body_id)


@bp.get("/body/<int:body_id>/paper")
@public
def papers(body_id: int):
    """The portal has no Beschlussvorlagen (yet): an empty list, as OParl asks for."""
    _body(body_id)
    _window(), _limit(), _cursor()
    return _json({"data": [], "pagination": {"totalElements": 0, "elementsPerPage": _limit()},
                  "links": {"first": url_for("oparl.papers", body_id=body_id, _external=True)}})


# --- single objects -----------------------------------------------------------------------------

def _split_key(key: str) -> tuple[str, int]:
    kind, _, raw = key.partition("-")
    number = parse_id(raw)
    if kind not in ("ag", "traeger") or number is None:
        abort(404)
    return kind, number


@bp.get("/organization/<key>")
@public
def organization(key: str):
    obj = s.get_organization(*_split_key(key))
    if obj is None:
        abort(404)
    data = s.organization_json(obj)
    return _json(data, datetime.fromisoformat(data["modified"]))


@bp.get("/organization/<key>/meeting")
@public
def organization_meetings(key: str):
    kind, number = _split_key(key)
    if kind != "ag" or s.get_organization(kind, number) is None:
        abort(404)
    v = _viewer_now()
    stmt, id_column = s.meetings_stmt(v, _window(), group_id=number)
    return _list(stmt, id_column, lambda items: [s.meeting_json(v, m) for m in items], key=key)


@bp.get("/person/<int:person_id>")
@public
def person(person_id: int):
    user = s.get_person(person_id)
    if user is None:
        abort(404)
    data = s.person_json(_viewer_now(), user, s.load_persons([user])[user.id])
    return _json(data, datetime.fromisoformat(data["modified"]))


@bp.get("/membership/<int:membership_id>")
@public
def membership(membership_id: int):
    stmt, _ = s.memberships_stmt(s.Window())
    m = db.session.scalar(stmt.where(s.Membership.id == membership_id))
    if m is None:
        abort(404)
    return _json(s.membership_json(m), m.updated_at)


@bp.get("/meeting/<int:meeting_id>")
@public
def meeting(meeting_id: int):
    v = _viewer_now()
    m = s.get_meeting(v, meeting_id)
    if m is None:
        abort(404)
    data = s.meeting_json(v, m)
    return _json(data, datetime.fromisoformat(data["modified"]))


@bp.get("/agendaItem/<int:item_id>")
@public
def agenda_item(item_id: int):
    v = _viewer_now()
    item = s.get_item(v, item_id)
    if item is None:
        abort(404)
    data = s.item_json(v, item, item.meeting)
    return _json(data, datetime.fromisoformat(data["modified"]))


@bp.get("/file/<int:file_id>")
@public
def file(file_id: int):
    a = s.get_file(_viewer_now(), file_id)
    if a is None:
        abort(404)
    return _json(s.file_json(a), a.created_at)


@bp.get("/file/<int:file_id>/download")
@public
def file_download(file_id: int):
    """The file itself, for those who may see its File object (the portal's own download needs a session)."""
    a = s.get_file(_viewer_now(), file_id)
    if a is None:
        abort(404)
    return send_upload(a.storage_name, a.original_name, a.content_type, inline=a.content_type == "application/pdf")


@bp.get("/location/<int:meeting_id>")
@public
def location(meeting_id: int):
    m: Meeting | None = s.get_location(_viewer_now(), meeting_id)
    if m is None:
        abort(404)
    return _json(s.location_json(m), m.updated_at)
