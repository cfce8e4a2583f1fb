"""Routes of the shared calendar. Everybody signed in reads; writers by scope; the creator
(a weekly series of the Taubach volunteer, made by the factory) and Moderation/Administration edit;
feeds use a token."""
from sqlalchemy import select

from portal.calendar.models import Event
from portal.extensions import db
from tests.factories.calendar import weekly_cafe
from tests.matrix import Route

#: The series the matrix works on: Fridays 15:00 from 4 September 2026, entered by ehrenamt.taubach.
CAFE_UID = "matrix-cafe@test"
#: Friday 8 January 2027, 15:00 Berlin: a regular date of that series.
CAFE_DATE = "20270108T140000Z"
EDITORS = {"admin": 1, "moderation": 1, "ehrenamt": 1}


def cafe(suffix=""):
    def url():
        event_id = db.session.scalar(select(Event.id).where(Event.uid == CAFE_UID))
        if event_id is None:
            event_id = weekly_cafe("ehrenamt", uid=CAFE_UID).id
        return f"/calendar/events/{event_id}{suffix}"
    return url


def leitung_feed():
    """A feed address of the Leitung: she revokes it (303), for everybody else it does not exist (404)."""
    from portal.calendar import services
    from portal.calendar.models import FeedToken
    from tests.conftest import get_user
    feed_id = db.session.scalar(select(FeedToken.id).where(FeedToken.name == "Matrix-Abo"))
    if feed_id is None:
        feed_id = services.create_feed_token(get_user("leitung"), "Matrix-Abo")[0].id
        db.session.commit()
    return f"/calendar/subscribe/{feed_id}/revoke"


def editors_only(endpoint, method, url, ok, **kw):
    return Route(endpoint, method, url, expect={role: ok for role in EDITORS}, other=403, **kw)


ROUTES = [
    Route("calendar.index", "GET", "/calendar/?month=2026-12&ortsteil=1&category=treffen"),
    Route("calendar.agenda", "GET", "/calendar/agenda?from=2026-11-01"),
    Route("calendar.event", "GET", cafe()),
    Route("calendar.event_ics", "GET", cafe(".ics")),
    # Leitung holds no writing scope; every other demo role has one.
    Route("calendar.event_new", "GET", "/calendar/events/new", expect={"leitung": 403}),
    Route("calendar.event_new", "POST", "/calendar/events/new", expect={"leitung": 403}, other=422),
    editors_only("calendar.event_edit", "GET", cafe("/edit"), 200),
    editors_only("calendar.event_edit", "POST", cafe("/edit"), 422),
    editors_only("calendar.event_cancel", "POST", cafe("/cancel"), 303),
    editors_only("calendar.event_reinstate", "POST", cafe("/reinstate"), 303),
    editors_only("calendar.event_delete", "POST", cafe("/delete"), 303),
    editors_only("calendar.occurrence_cancel", "GET", cafe(f"/dates/{CAFE_DATE}/cancel"), 200),
    editors_only("calendar.occurrence_cancel", "POST", cafe(f"/dates/{CAFE_DATE}/cancel"), 303),
    editors_only("calendar.occurrence_move", "GET", cafe(f"/dates/{CAFE_DATE}/move"), 200),
    editors_only("calendar.occurrence_move", "POST", cafe(f"/dates/{CAFE_DATE}/move"), 422),
    editors_only("calendar.occurrence_restore", "POST", cafe(f"/dates/{CAFE_DATE}/restore"), 303),
    Route("calendar.subscribe", "GET", "/calendar/subscribe"),
    Route("calendar.subscribe", "POST", "/calendar/subscribe"),
    Route("calendar.feed_revoke", "POST", leitung_feed, expect={"leitung": 303}, other=404),
    # Unknown token: 404 for everyone, signed in or not (the feed ignores the session).
    Route("calendar.feed", "GET", "/calendar/feed/not-a-token.ics", anon=404, other=404),
]
