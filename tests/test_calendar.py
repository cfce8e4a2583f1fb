"""Gemeinsamer Kalender: what the portal shows equals what a subscribed calendar app shows,
recurrences survive the summer-time change, bad input gets German messages, scopes are enforced,
every change goes through one operation that sends ``event_changed`` and shows at once.

Test data come from tests/factories/calendar.py; demo *logins* give the people and their places.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import func, insert, select

from portal.calendar import occurrences, services, sources
from portal.calendar.models import Event, FeedToken, OccurrenceChange, Scope
from portal.calendar.queries import Filters
from portal.calendar.sources import ExternalEvent
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.signals import event_changed
from tests.conftest import ROLE_LOGINS, get_user
from tests.factories.calendar import BERLIN, berlin, cancel_date, make_event, make_ortsteil, move_date, weekly_cafe

UTC = timezone.utc
#: The calendar's "today" in these tests.
NOW = datetime(2026, 11, 21, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """The calendar's idea of "now" (feed window, today's month) is 21 November 2026."""
    monkeypatch.setattr(occurrences, "utcnow", lambda: NOW)


def key(uid: str, start: datetime) -> str:
    return f"{uid}|{start.astimezone(UTC).isoformat()}"


def shown(html: str, include_dropped: bool = False) -> set[str]:
    """The dates a page shows, by their data-occurrence key."""
    found = set()
    for match in re.finditer(r'data-occurrence="([^"]+)"( data-dropped)?', html):
        if include_dropped or not match.group(2):
            found.add(match.group(1).replace("&#43;", "+"))
    return found


def feed_url(client, data: dict | None = None) -> str:
    html = client.post("/calendar/subscribe", data=data or {}).get_data(as_text=True)
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html).group(1).replace("&amp;", "&")
    return url.removeprefix("http://localhost")


def feed_occurrences(app, url: str, start: datetime, end: datetime) -> dict[str, icalendar.Event]:
    """Fetch a feed without any cookie and expand it like a calendar app would."""
    response = app.test_client().get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    return {key(str(e["UID"]), e.decoded("DTSTART")): e
            for e in recurring_ical_events.of(cal).between(start, end)}


def in_window(keys: set[str], start: datetime, end: datetime) -> set[str]:
    return {k for k in keys if start <= datetime.fromisoformat(k.split("|")[1]) < end}


@pytest.fixture
def cafe(app):
    """A weekly Friday series of the Taubach volunteer: 4 Dec moved to Saturday 10:00, Christmas off."""
    with app.app_context():
        event = weekly_cafe("ehrenamt")
        move_date(event, "2026-12-04 15:00", "2026-12-05 10:00", note="diesmal am Samstag")
        cancel_date(event, "2026-12-25 15:00", "Weihnachten")
        return {"id": event.id, "uid": event.uid, "title": event.title}


def agenda_keys(client, first: str, last: str) -> set[str]:
    found, day = set(), first
    while day and day < last:
        html = client.get(f"/calendar/agenda?from={day}").get_data(as_text=True)
        found |= shown(html)
        nxt = re.search(r'agenda\?from=(\d{4}-\d\d-\d\d)', html)
        day = nxt.group(1) if nxt else None
    return found


# --- the feed shows exactly what the portal shows -----------------------------------------------------

def test_feed_occurrences_equal_the_month_view_and_the_agenda(app, client_as, cafe):
    with app.app_context():
        off = make_event(title="Basteln", start="2026-11-28 14:00", cancelled=True)
        off_uid = off.uid
    start, end = berlin("2026-10-01 00:00"), berlin("2027-01-01 00:00")
    volunteer = client_as("ehrenamt")
    months = set()
    for month in ("2026-10", "2026-11", "2026-12"):
        months |= shown(volunteer.get(f"/calendar/?month={month}").get_data(as_text=True))
    months = in_window(months, start, end)
    agenda = in_window(agenda_keys(volunteer, "2026-10-01", "2027-01-01"), start, end)
    feed = feed_occurrences(app, feed_url(client_as("fachkraft")), start, end)

    assert months == agenda == set(feed)
    # the moved date is at its new time, the cancelled Christmas date is not in the feed ...
    assert key(cafe["uid"], berlin("2026-12-05 10:00")) in feed
    assert key(cafe["uid"], berlin("2026-12-04 15:00")) not in feed
    assert key(cafe["uid"], berlin("2026-12-25 15:00")) not in feed
    assert key(cafe["uid"], berlin("2026-12-18 15:00")) in feed
    # ... but the portal shows it as "fällt aus"
    december = volunteer.get("/calendar/?month=2026-12").get_data(as_text=True)
    assert key(cafe["uid"], berlin("2026-12-25 15:00")) in shown(december, include_dropped=True)
    assert "fällt aus" in december
    # a whole event called off stays in the feed, marked cancelled
    basteln = feed[key(off_uid, berlin("2026-11-28 14:00"))]
    assert basteln["STATUS"] == "CANCELLED"
    assert str(basteln["SUMMARY"]) == "Abgesagt: Basteln"


def test_weekly_18_oclock_stays_18_oclock_across_the_october_clock_change(app, client_as):
    with app.app_context():
        uid = make_event("ehrenamt_legefeld", ortsteil=get_user("ehrenamt_legefeld").ortsteile[0],
                         start="2026-09-01 18:00", repeat="weekly", weekdays="TU", count=40).uid
    # Tuesdays 20 and 27 October 2026 lie on both sides of Sunday 25 October (last Sunday).
    start, end = berlin("2026-10-19 00:00"), berlin("2026-11-01 00:00")
    feed = feed_occurrences(app, feed_url(client_as("fachkraft")), start, end)
    tuesdays = sorted((e.decoded("DTSTART"), e.decoded("DTEND")) for k, e in feed.items() if k.startswith(uid))
    assert [(s.astimezone(BERLIN).strftime("%d.%m. %H:%M"), e.astimezone(BERLIN).strftime("%H:%M"))
            for s, e in tuesdays] == [("20.10. 18:00", "20:00"), ("27.10. 18:00", "20:00")]
    assert [s.astimezone(UTC).hour for s, _ in tuesdays] == [16, 17]  # UTC shifts, wall time does not
    html = client_as("ehrenamt").get("/calendar/?month=2026-10").get_data(as_text=True)
    assert key(uid, berlin("2026-10-20 18:00")) in shown(html)
    assert key(uid, berlin("2026-10-27 18:00")) in shown(html)


def test_feed_is_valid_icalendar_with_timezone_rrule_exdate_and_recurrence_id(app, client_as, cafe):
    with app.app_context():
        monthly = make_event("koordination", sozialraum=db.session.get(Sozialraum, get_user("koordination").sozialraum_id),
                             start="2026-10-07 10:00", repeat="monthly_weekday", count=12)
        monthly_id = monthly.id
    body = app.test_client().get(feed_url(client_as("fachkraft"))).get_data(as_text=True)
    cal = icalendar.Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and cal.get("PRODID")
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    series = [e for e in cal.walk("VEVENT") if e["UID"] == cafe["uid"]]
    master = next(e for e in series if "RECURRENCE-ID" not in e)
    override = next(e for e in series if "RECURRENCE-ID" in e)
    assert master["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert master["RRULE"]["FREQ"] == ["WEEKLY"] and master["RRULE"]["BYDAY"] == ["FR"]
    assert "EXDATE;TZID=Europe/Berlin:20261225T150000" in body
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20261204T150000" in body
    assert override["SEQUENCE"] == master["SEQUENCE"] == 2
    for vevent in cal.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART", "SEQUENCE", "LAST-MODIFIED", "SUMMARY"):
            assert prop in vevent, (prop, vevent.get("UID"))
    page = client_as("koordination").get(f"/calendar/events/{monthly_id}").get_data(as_text=True)
    assert "monatlich am 1. Mittwoch, insgesamt 12 Termine" in page


def test_every_change_raises_sequence_and_keeps_the_uid(app, client_as, cafe):
    volunteer = client_as("ehrenamt")
    with app.app_context():
        before = db.session.get(Event, cafe["id"]).sequence
    assert volunteer.post(f"/calendar/events/{cafe['id']}/dates/20270108T140000Z/cancel",
                          data={"note": "Ferien"}).status_code == 303
    assert volunteer.post(f"/calendar/events/{cafe['id']}/cancel").status_code == 303
    with app.app_context():
        event = db.session.get(Event, cafe["id"])
        assert (event.sequence, event.uid, event.cancelled) == (before + 2, cafe["uid"], True)


# --- operations: one way in, events out ----------------------------------------------------------------------

@contextmanager
def caught_changes():
    seen = []

    def listener(sender, **kw):
        seen.append((sender.id, kw["actor"].email if kw.get("actor") else None, kw["change"]))

    with event_changed.connected_to(listener):
        yield seen


def test_every_operation_sends_event_changed_once_with_its_change(app, client_as, cafe):
    volunteer, email = client_as("ehrenamt"), ROLE_LOGINS["ehrenamt"]
    base = f"/calendar/events/{cafe['id']}"
    steps = [
        (f"{base}/dates/20270108T140000Z/cancel", {}, "occurrence-cancelled"),
        (f"{base}/dates/20270108T140000Z/restore", {}, "occurrence-restored"),
        (f"{base}/dates/20270115T140000Z/move", {"start_date": "2027-01-16", "start_time": "10:00",
                                                  "end_time": "12:00"}, "occurrence-moved"),
        (f"{base}/cancel", {}, "cancelled"),
        (f"{base}/reinstate", {}, "restored"),
        (f"{base}/edit", valid_form(app, title="Neuer Titel", repeat="none"), "updated"),
        (f"{base}/delete", {}, "deleted"),
    ]
    for url, data, change in steps:
        with caught_changes() as seen:
            assert volunteer.post(url, data=data).status_code == 303, url
        assert seen == [(cafe["id"], email, change)], url
    with caught_changes() as seen:
        response = volunteer.post("/calendar/events/new", data=valid_form(app))
    assert response.status_code == 303
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert seen == [(new_id, email, "created")]
    # nothing is sent when nothing changed, e.g. refused input
    with caught_changes() as seen:
        assert volunteer.post("/calendar/events/new", data=valid_form(app, title="")).status_code == 422
    assert seen == []


def test_operations_do_not_commit_the_view_does(app, cafe):
    with app.app_context():
        event = db.session.get(Event, cafe["id"])
        services.set_cancelled(event, get_user("ehrenamt"), True)
        services.cancel_occurrence(event, get_user("ehrenamt"), berlin("2027-01-08 15:00"))
        db.session.rollback()
    with app.app_context():
        event = db.session.get(Event, cafe["id"])
        assert not event.cancelled and len(event.exceptions) == 2 and event.sequence == 2


def test_operations_check_the_permission_themselves(app, cafe):
    from portal.errors import NotAllowed

    with app.app_context():
        event = db.session.get(Event, cafe["id"])
        with pytest.raises(NotAllowed):
            services.set_cancelled(event, get_user("ehrenamt_legefeld"), True)
        with pytest.raises(NotAllowed):
            services.delete_event(event, get_user("leitung"))


def test_a_stale_edit_is_a_409_and_keeps_what_was_typed(app, client_as, cafe):
    volunteer, moderation = client_as("ehrenamt"), client_as("moderation")
    form = volunteer.get(f"/calendar/events/{cafe['id']}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', form).group(1)
    assert version == "2"
    # meanwhile Moderation calls one date off
    assert moderation.post(f"/calendar/events/{cafe['id']}/dates/20270108T140000Z/cancel").status_code == 303
    data = valid_form(app, title="Wochencafé mit Vorlesen", repeat="weekly", weekdays=["FR"],
                      start_date="2026-09-04", start_time="15:00", end_time="17:00", until="2027-07-16",
                      version=version)
    response = volunteer.post(f"/calendar/events/{cafe['id']}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Inzwischen hat jemand anderes diesen Termin geändert" in html
    assert 'value="Wochencafé mit Vorlesen"' in html
    with app.app_context():
        event = db.session.get(Event, cafe["id"])
        assert event.title == "Wochencafé" and len(event.exceptions) == 3
    # the same form with the current version goes through
    data["version"] = "3"
    assert volunteer.post(f"/calendar/events/{cafe['id']}/edit", data=data).status_code == 303


def test_a_stale_button_is_a_409_and_changes_nothing(app, client_as, cafe):
    volunteer = client_as("ehrenamt")
    assert volunteer.post(f"/calendar/events/{cafe['id']}/cancel", data={"version": "1"}).status_code == 409
    assert volunteer.post(f"/calendar/events/{cafe['id']}/delete", data={"version": "1"}).status_code == 409
    moved = volunteer.post(f"/calendar/events/{cafe['id']}/dates/20270108T140000Z/move",
                           data={"start_date": "2027-01-09", "start_time": "10:00", "end_time": "12:00",
                                 "note": "Samstag", "version": "1"})
    assert moved.status_code == 409 and 'value="Samstag"' in moved.get_data(as_text=True)
    with app.app_context():
        event = db.session.get(Event, cafe["id"])
        assert (event.cancelled, event.sequence, len(event.exceptions)) == (False, 2, 2)
    assert volunteer.post(f"/calendar/events/{cafe['id']}/cancel", data={"version": "2"}).status_code == 303


# --- one permission rule -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", list(ROLE_LOGINS))
def test_the_create_button_agrees_with_the_places_the_form_offers(app, role):
    """``Event.may_create_any`` (button, 403 on the form) says yes exactly when ``writable_choices``
    (derived from ``Event.may_create`` over every place and Träger) offers something."""
    with app.app_context():
        user = get_user(role)
        sozialraeume = db.session.scalars(select(Sozialraum)).all()
        ortsteile = db.session.scalars(select(Ortsteil)).all()
        traeger = db.session.scalars(select(Traeger)).all()
        scopes, organisers = Event.writable_choices(user, sozialraeume, ortsteile, traeger)
        assert Event.may_create_any(user) == bool(scopes) == bool(organisers)
        # every offered (place, Träger) pair the rule allows is really accepted, and nothing else is offered
        for value, _ in scopes:
            kind, _, raw = value.partition(":")
            ortsteil = db.session.get(Ortsteil, int(raw)) if kind == "ortsteil" else None
            sozialraum_id = (ortsteil.sozialraum_id if ortsteil else int(raw) if kind == "sozialraum" else None)
            assert any(Event.may_create(user, Scope(kind), sozialraum_id, ortsteil, t) for t in organisers)


@pytest.mark.parametrize("role", list(ROLE_LOGINS))
def test_edit_links_follow_can_edit(app, client_as, role, cafe):
    """The page shows "Bearbeiten" exactly when the model's rule lets the user edit."""
    with app.app_context():
        allowed = db.session.get(Event, cafe["id"]).can_edit(get_user(role))
    assert allowed == (role in ("ehrenamt", "moderation", "admin"))
    client = client_as(role)
    html = client.get(f"/calendar/events/{cafe['id']}").get_data(as_text=True)
    assert (f"/calendar/events/{cafe['id']}/edit" in html) == allowed
    assert client.get(f"/calendar/events/{cafe['id']}/edit").status_code == (200 if allowed else 403)


# --- feed tokens and caching ---------------------------------------------------------------------------------

def test_feed_token_is_stored_hashed_and_revoking_one_ends_it(app, client_as):
    staff = client_as("fachkraft")
    first = feed_url(staff)
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        stored = db.session.scalars(select(FeedToken.token_hash)).all()
        feed_id = db.session.scalar(select(FeedToken.id))
    assert token not in stored and len(stored) == 1
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 200
    second = feed_url(staff)
    assert anonymous.get(first).status_code == 200  # a second address keeps the first (issue 18.7)
    assert staff.post(f"/calendar/subscribe/{feed_id}/revoke").status_code == 303
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    assert anonymous.get("/calendar/feed/unknown-token.ics").status_code == 404


def test_feed_of_a_deactivated_user_is_gone(app, client_as):
    url = feed_url(client_as("fachkraft"))
    with app.app_context():
        get_user("fachkraft").active = False
        db.session.commit()
    assert app.test_client().get(url).status_code == 404


def test_feed_answers_304_to_if_none_match_and_if_modified_since(app, client_as, cafe):
    url = feed_url(client_as("fachkraft"))
    client = app.test_client()
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "no-cache" in first.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    # a change gives a new ETag
    assert client_as("moderation").post(f"/calendar/events/{cafe['id']}/cancel").status_code == 303
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def _month_agenda_feed(client, feed_client, url) -> tuple[str, str, str]:
    month = client.get("/calendar/?month=2027-01").get_data(as_text=True)
    agenda = client.get("/calendar/agenda?from=2027-01-01").get_data(as_text=True)
    feed = feed_client.get(url).get_data(as_text=True).replace("\r\n ", "")
    return month, agenda, feed


def test_every_kind_of_write_shows_at_once_in_month_agenda_and_feed(app, client_as):
    """Month, agenda and feed are kept per worker; every write shows on the next request, whoever
    wrote it and however (a form, an operation, a rename of an Ortsteil, an AG meeting moved)."""
    from portal.ag.models import Meeting

    with app.app_context():
        ortsteil = make_ortsteil("Neudorf")
        series = make_event(ortsteil=ortsteil, title="Lesekreis", start="2027-01-06 17:00", repeat="weekly",
                            weekdays="WE", count=10)
        series_id, uid = series.id, series.uid
        meeting = db.session.scalar(select(Meeting).where(Meeting.date >= date(2027, 1, 1),
                                                          Meeting.date < date(2027, 2, 1)).limit(1))
        meeting_id, meeting_start = meeting.id, meeting.start_time
    viewer, moderation = client_as("ag_mitglied"), client_as("moderation")
    url, feed_client = feed_url(viewer), app.test_client()

    def everywhere() -> tuple[str, str, str]:
        return _month_agenda_feed(viewer, feed_client, url)  # each answer is kept until the next write

    month, agenda, feed = everywhere()
    assert "Lesekreis" in month and "Lesekreis" in agenda and "SUMMARY:Lesekreis" in feed

    # an edit through the form
    edit = dict(valid_form(app, title="Lesekreis für Kinder", scope=f"ortsteil:{ortsteil_id(app, 'Neudorf')}",
                           start_date="2027-01-06", start_time="17:00", end_time="19:00", weekdays=["WE"],
                           until="", count="10"))
    assert moderation.post(f"/calendar/events/{series_id}/edit", data=edit).status_code == 303
    for page in everywhere():
        assert "Lesekreis für Kinder" in page
    # a date called off and a date moved
    assert moderation.post(f"/calendar/events/{series_id}/dates/20270113T160000Z/cancel",
                           data={"note": "Krank"}).status_code == 303
    month, agenda, feed = everywhere()
    assert key(uid, berlin("2027-01-13 17:00")) in shown(month, include_dropped=True) - shown(month)
    assert "Krank" in agenda and "EXDATE;TZID=Europe/Berlin:20270113T170000" in feed
    assert moderation.post(f"/calendar/events/{series_id}/dates/20270120T160000Z/move",
                           data={"start_date": "2027-01-21", "start_time": "17:00", "end_time": "19:00"}
                           ).status_code == 303
    month, agenda, feed = everywhere()
    assert key(uid, berlin("2027-01-21 17:00")) in shown(month) & shown(agenda)
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20270120T170000" in feed
    # a new event
    with app.app_context():
        new_uid = make_event(title="Neu eingetragen", start="2027-01-02 10:00").uid
    month, agenda, feed = everywhere()
    assert key(new_uid, berlin("2027-01-02 10:00")) in shown(month) & shown(agenda) and new_uid in feed
    # a renamed Ortsteil (the event itself is not touched)
    with app.app_context():
        db.session.scalar(select(Ortsteil).where(Ortsteil.name == "Neudorf")).name = "Neudorf an der Ilm"
        db.session.commit()
    month, agenda, feed = everywhere()
    assert "Ortsteil Neudorf an der Ilm" in agenda and "Für: Ortsteil Neudorf an der Ilm" in feed
    # an AG meeting moved by its feature
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        meeting.date, meeting.sequence = date(2027, 1, 28), meeting.sequence + 1
        db.session.commit()
    moved = key(f"ag-meeting-{meeting_id}@traegerportal", datetime.combine(date(2027, 1, 28), meeting_start,
                                                                           tzinfo=BERLIN))
    month, agenda, feed = everywhere()
    assert moved in shown(month) & shown(agenda)
    assert "DTSTART;TZID=Europe/Berlin:20270128T" in feed


def ortsteil_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Ortsteil.id).where(Ortsteil.name == name))


@pytest.mark.parametrize("first", ["ag_mitglied", "ehrenamt"])
def test_kept_month_is_never_shared_between_users_who_see_other_links(app, client_as, first):
    """AG meetings link to their page only for those who may open it: the kept month of an AG
    member is not served to a volunteer, whichever asks first."""
    url = "/calendar/?month=2027-01"
    pages = {}
    for role in (first, "ag_mitglied" if first == "ehrenamt" else "ehrenamt"):
        pages[role] = client_as(role).get(url).get_data(as_text=True)
    linked = r'<a href="/ag/[^"]+"><span class="cal-occ__title">'
    assert re.search(linked, pages["ag_mitglied"])
    assert 'data-occurrence="ag-meeting-' in pages["ehrenamt"]
    assert not re.search(linked, pages["ehrenamt"])


# --- dates of other features (AG 78) -------------------------------------------------------------------------

@contextmanager
def provided(*meetings: ExternalEvent):
    seen_users = []

    def provider(start, end, user):
        seen_users.append(user)
        return [m for m in meetings if start < m.end and end > m.start]

    sources.register_source(provider)
    try:
        yield seen_users
    finally:
        sources._SOURCES.remove(provider)


def test_dates_from_other_features_appear_in_month_agenda_and_feed(app, client_as):
    meeting = ExternalEvent(uid="ag-meeting-99@traegerportal", title="AG Probe", start=berlin("2026-12-09 09:00"),
                            end=berlin("2026-12-09 12:00"), place="Rathaus", url="/ag/meetings/99",
                            organiser="AG Probe", sequence=3, last_modified=NOW)
    with provided(meeting) as seen_users:
        staff = client_as("fachkraft")
        month = staff.get("/calendar/?month=2026-12").get_data(as_text=True)
        agenda = staff.get("/calendar/agenda?from=2026-12-01").get_data(as_text=True)
        the_key = key(meeting.uid, meeting.start)
        assert the_key in shown(month) and the_key in shown(agenda)
        assert 'href="/ag/meetings/99"' in agenda and "AG Probe" in agenda
        feed = feed_occurrences(app, feed_url(staff), berlin("2026-12-01 00:00"), berlin("2027-01-01 00:00"))
        assert feed[the_key]["SEQUENCE"] == 3
        # calendar apps cannot follow a path: the feed gives the whole address
        assert str(feed[the_key]["URL"]) == "http://localhost/ag/meetings/99"
        assert any(getattr(u, "email", None) == ROLE_LOGINS["fachkraft"] for u in seen_users)


# --- query counts and bounds ----------------------------------------------------------------------------------

def _bulk_events(app, n: int) -> None:
    with app.app_context():
        rows = []
        base = datetime(2025, 1, 1, 8, tzinfo=UTC)
        for i in range(n):
            start = base + timedelta(hours=7 * i)  # spread over about four years
            rows.append(dict(uid=f"bulk-{i}@test", title=f"Termin {i}", description="", description_html="",
                             place="", contact="", category="treffen", scope="stadt", all_day=False,
                             starts_at=start, ends_at=start + timedelta(hours=2), repeat="none", interval=1,
                             weekdays="", span_start=start, span_end=start + timedelta(hours=2),
                             cancelled=False, sequence=0, created_at=start, updated_at=start))
        db.session.execute(insert(Event), rows)
        db.session.commit()


def _counted_get(app, client, count_queries, url: str, cold: bool):
    """Queries of one request; ``cold``: with the rendered views forgotten (a new month, a change)."""
    if cold:
        app.extensions.get("calendar_view_cache", {}).clear()
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200
    return q, response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/calendar/?month=2026-11", "/calendar/agenda?from=2026-11-21"])
def test_month_and_agenda_query_counts_do_not_grow_with_5000_events(app, client_as, count_queries, url):
    client = client_as("ehrenamt")
    client.get(url)
    cold_small, _ = _counted_get(app, client, count_queries, url, cold=True)
    warm_small, _ = _counted_get(app, client, count_queries, url, cold=False)
    _bulk_events(app, 5000)
    cold_big, html = _counted_get(app, client, count_queries, url, cold=True)
    warm_big, _ = _counted_get(app, client, count_queries, url, cold=False)
    assert html.count("Termin ") > 30
    assert cold_big.count == cold_small.count
    assert warm_big.count == warm_small.count
    # a kept page reads neither the events nor their single-date changes (2 queries for the month,
    # 3 with the agenda's probe)
    assert cold_big.count - warm_big.count == (2 if "month" in url else 3)


def _busy_day(app, day: str, n: int, title: str = "Probe") -> list[str]:
    """``n`` single dates on one day (Berlin), 08:00, 09:00, ...; returns their keys."""
    keys = []
    with app.app_context():
        for i in range(n):
            event = make_event(title=f"{title} {i + 1}", start=f"{day} {8 + i:02d}:00", hours=1, commit=False)
            keys.append(key(event.uid, event.starts_at))
        db.session.commit()
    return keys


def _cell(html: str, day_label: str) -> str:
    """The month grid's cell of one day, e.g. "Mittwoch, 16. Dezember 2026"."""
    grid = html.split('class="cal-daylist"')[0]
    start = grid.index(f'<span class="visually-hidden">{day_label}</span>')
    return grid[start:grid.index("</td>", start)]


def test_a_busy_day_shows_three_dates_and_links_the_rest_in_the_list(app, client_as):
    keys = _busy_day(app, "2026-12-16", 5)
    client = client_as("ehrenamt")
    html = client.get("/calendar/?month=2026-12").get_data(as_text=True)
    cell = _cell(html, "Mittwoch, 16. Dezember 2026")
    assert shown(cell) == set(keys[:3])
    assert "+ 2 weitere" in cell and "Termine am Mittwoch, 16. Dezember 2026" in cell
    phone = html.split('class="cal-daylist"')[1]
    assert set(keys[:3]) <= shown(phone) and not set(keys[3:]) & shown(phone)
    assert phone.count("+ 2 weitere") == 1
    assert not set(keys[3:]) & shown(html)
    # the status line counts every date of the month
    with app.app_context():
        in_december = [o for o in occurrences.occurrences(berlin("2026-12-01 00:00"), berlin("2027-01-01 00:00"),
                                                          get_user("ehrenamt"))]
    assert f'role="status">Dezember 2026: {len(in_december)} Termine' in html

    link = re.search(r'<a class="cal-day__more" href="([^"]+)">\+ 2 weitere', cell).group(1).replace("&amp;", "&")
    assert link == "/calendar/agenda?from=2026-12-16"
    listed = client.get(link).get_data(as_text=True)
    assert set(keys) <= shown(listed), "the list view shows every date of that day"
    assert "Probe 5" in listed.split('id="day-2026-12-16"')[1].split("</section>")[0]


def test_more_link_keeps_the_filters(app, client_as):
    _busy_day(app, "2026-12-16", 4, title="Kurs")
    client = client_as("ehrenamt")
    html = client.get("/calendar/?month=2026-12&category=treffen").get_data(as_text=True)
    cell = _cell(html, "Mittwoch, 16. Dezember 2026")
    assert "+ 1 weiterer" in cell and "Termin am Mittwoch, 16. Dezember 2026" in cell
    link = re.search(r'class="cal-day__more" href="([^"]+)"', cell).group(1).replace("&amp;", "&")
    assert link == "/calendar/agenda?category=treffen&from=2026-12-16"
    assert "Kurs 4" in client.get(link).get_data(as_text=True)


def test_expansion_is_bounded(app):
    with app.app_context():
        ortsteil = make_ortsteil()
        uid = make_event(ortsteil=ortsteil, start="2026-09-01 18:00", repeat="weekly", weekdays="TU", count=40).uid
        only_here = Filters(ortsteil_id=ortsteil.id, only_here=True)
        # ten years from the series' start yield exactly its 40 dates ...
        found = occurrences.occurrences(berlin("2026-08-01 00:00"), berlin("2036-08-01 00:00"), None, only_here)
        assert len([o for o in found if o.uid == uid]) == 40
        # ... and a window is capped at MAX_WINDOW: from 2020 on, 2026 is out of reach
        assert occurrences.MAX_WINDOW == timedelta(days=800)
        assert occurrences.occurrences(berlin("2020-01-01 00:00"), berlin("2030-01-01 00:00"), None, only_here) == []


# --- writing: bad input, scopes --------------------------------------------------------------------------------

def valid_form(app, **changes) -> dict:
    with app.app_context():
        own = get_user("ehrenamt").ortsteile[0].id
    data = {"title": "Spielenachmittag", "scope": f"ortsteil:{own}", "category": "angebot",
            "start_date": "2026-12-02", "start_time": "18:00", "end_time": "20:00", "repeat": "weekly",
            "interval": "1", "weekdays": ["WE"], "until": "2027-03-31", "place": "Gemeindehaus", "traeger": "0"}
    data.update(changes)
    return data


def test_volunteer_adds_a_weekly_event_that_shows_in_month_and_list(app, client_as):
    volunteer = client_as("ehrenamt")
    response = volunteer.post("/calendar/events/new", data=valid_form(app))
    assert response.status_code == 303
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.title == "Spielenachmittag"))
        assert event.created_by.email == ROLE_LOGINS["ehrenamt"]
        assert event.sozialraum_id == event.ortsteil.sozialraum_id is not None
        uid = event.uid
    assert key(uid, berlin("2026-12-09 18:00")) in shown(volunteer.get("/calendar/?month=2026-12").get_data(as_text=True))
    assert key(uid, berlin("2027-03-31 18:00")) in shown(volunteer.get("/calendar/agenda?from=2027-03-30").get_data(as_text=True))


@pytest.mark.parametrize("changes, field_id, message", [
    ({"end_time": "17:00"}, "end_time", "Das Ende liegt vor dem Beginn"),
    ({"end_date": "2026-12-01", "repeat": "none"}, "end_date", "Das Ende liegt vor dem Beginn"),
    ({"until": "", "count": "501"}, "count", "Höchstens 500 Termine"),
    ({"until": "", "count": ""}, "until", "Bis wann wiederholt sich der Termin?"),
    ({"count": "10"}, "count", "entweder ein Enddatum oder eine Anzahl"),
    ({"until": "2026-11-01"}, "until", "liegt vor dem ersten Termin"),
    ({"until": "2035-01-01"}, "until", "höchstens 5 Jahre"),
    ({"weekdays": ["FR"]}, "weekdays", "Der erste Termin ist ein Mittwoch"),
    ({"repeat": "monthly_date", "start_date": "2026-12-31"}, "repeat", "Den 31. gibt es nicht in jedem Monat"),
    ({"interval": "99"}, "interval", "von 1 bis 52"),
    ({"scope": "ortsteil:99999"}, "scope", "Diesen Ortsteil gibt es nicht"),
    ({"start_date": "32.13.2026"}, "start_date", "Kein gültiges Datum"),
    ({"start_time": ""}, "start_time", "Bitte eine Uhrzeit angeben"),
    ({"title": ""}, "title", "Bitte ausfüllen."),
    ({"category": "party"}, "category", "Keine gültige Auswahl"),
])
def test_bad_input_gets_a_german_message_at_the_field_and_keeps_the_input(app, client_as, changes, field_id, message):
    data = valid_form(app, **changes)
    response = client_as("ehrenamt").post("/calendar/events/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="{field_id}-error">([^<]*)<', html)
    assert error, html[html.find("field__error") - 200:][:600]
    assert message in error.group(1)
    assert 'value="Gemeindehaus"' in html  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Event.title == "Spielenachmittag")) == 0


def _places_of(app) -> dict:
    """Places and Träger named by the demo logins that hold them."""
    with app.app_context():
        nord = get_user("koordination").sozialraum_id
        return {"legefeld": get_user("ehrenamt_legefeld").ortsteile[0].id,
                "taubach": get_user("ehrenamt").ortsteile[0].id,
                "outside_nord": db.session.scalar(select(Ortsteil.id).where(Ortsteil.sozialraum_id != nord).limit(1)),
                "inside_nord": db.session.scalar(select(Ortsteil.id).where(Ortsteil.sozialraum_id == nord).limit(1)),
                "nord": nord, "caritas": get_user("fachkraft_caritas").traeger_id}


@pytest.mark.parametrize("role, changes", [
    ("ehrenamt", {"scope": "ortsteil:{legefeld}"}),  # not her Ortsteil
    ("ehrenamt", {"scope": "stadt"}),
    ("koordination", {"scope": "ortsteil:{outside_nord}"}),
    ("fachkraft", {"scope": "stadt", "traeger": "{caritas}"}),  # another Träger
    ("fachkraft", {"scope": "stadt", "traeger": "0"}),
])
def test_writing_outside_ones_scope_is_refused_with_403(app, client_as, role, changes):
    ids = _places_of(app)
    data = valid_form(app, **{k: v.format(**ids) for k, v in changes.items()})
    assert client_as(role).post("/calendar/events/new", data=data).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Event.title == "Spielenachmittag")) == 0


@pytest.mark.parametrize("role, scope, expected", [
    ("ehrenamt", "ortsteil:{taubach}", 303),
    ("koordination", "ortsteil:{inside_nord}", 303),
    ("koordination", "sozialraum:{nord}", 303),
    ("fachkraft", "stadt", 303),
    ("moderation", "stadt", 303),
    ("admin", "sozialraum:{nord}", 303),
    ("leitung", "stadt", 403),
])
def test_who_may_write_where(app, client_as, role, scope, expected):
    ids = _places_of(app)
    with app.app_context():
        traeger = get_user(role).traeger_id or 0
    data = valid_form(app, scope=scope.format(**ids), traeger=str(traeger))
    assert client_as(role).post("/calendar/events/new", data=data).status_code == expected


def test_editing_a_series_moves_and_cancels_single_dates(app, client_as):
    with app.app_context():
        legefeld = get_user("ehrenamt_legefeld").ortsteile[0]
        event = make_event("ehrenamt_legefeld", ortsteil=legefeld, start="2026-09-01 18:00", repeat="weekly",
                           weekdays="TU", count=40)
        eid, uid, legefeld_id = event.id, event.uid, legefeld.id
    volunteer = client_as("ehrenamt_legefeld")
    moved = volunteer.post(f"/calendar/events/{eid}/dates/20261110T170000Z/move",
                           data={"start_date": "2026-11-12", "start_time": "17:00", "end_time": "19:00",
                                 "note": "Donnerstag wegen Wahl"})
    assert moved.status_code == 303
    bad = volunteer.post(f"/calendar/events/{eid}/dates/20261110T170000Z/move",
                         data={"start_date": "2026-11-12", "start_time": "17:00", "end_time": "16:00"})
    assert bad.status_code == 422 and "Das Ende liegt vor dem Beginn" in bad.get_data(as_text=True)
    assert volunteer.post(f"/calendar/events/{eid}/dates/20261117T170000Z/cancel").status_code == 303
    # a date that is not part of the series
    assert volunteer.post(f"/calendar/events/{eid}/dates/20261111T170000Z/cancel").status_code == 404
    html = volunteer.get("/calendar/?month=2026-11").get_data(as_text=True)
    assert key(uid, berlin("2026-11-12 17:00")) in shown(html)
    assert key(uid, berlin("2026-11-10 18:00")) not in shown(html, include_dropped=True)
    assert key(uid, berlin("2026-11-17 18:00")) in shown(html, include_dropped=True)
    assert volunteer.post(f"/calendar/events/{eid}/dates/20261117T170000Z/restore").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OccurrenceChange)
                                 .where(OccurrenceChange.event_id == eid)) == 1
    # changing the time of the series drops the single-date changes (they no longer fit)
    assert volunteer.get(f"/calendar/events/{eid}/edit").status_code == 200
    saved = volunteer.post(f"/calendar/events/{eid}/edit", data={
        "title": "Jugendtreff", "scope": f"ortsteil:{legefeld_id}", "category": "angebot", "start_date": "2026-09-01",
        "start_time": "18:30", "end_time": "20:30", "repeat": "weekly", "weekdays": ["TU"], "count": "40",
        "interval": "1", "traeger": "0"})
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OccurrenceChange)
                                 .where(OccurrenceChange.event_id == eid)) == 0


def test_a_fachkraft_is_offered_only_her_own_traeger(app, client_as):
    with app.app_context():
        own = get_user("fachkraft").traeger.name
    html = client_as("fachkraft").get("/calendar/events/new").get_data(as_text=True)
    options = re.search(r'<select[^>]*name="traeger"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r"<option[^>]*>([^<]+)</option>", options) == [own]
    # volunteers choose freely (or none)
    html = client_as("ehrenamt").get("/calendar/events/new").get_data(as_text=True)
    options = re.search(r'<select[^>]*name="traeger"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert "kein Träger" in options and own in options


def test_others_cannot_edit_an_event_they_did_not_create(app, client_as, cafe):
    assert client_as("ehrenamt_legefeld").post(f"/calendar/events/{cafe['id']}/cancel").status_code == 403
    assert client_as("fachkraft").get(f"/calendar/events/{cafe['id']}/edit").status_code == 403
    assert client_as("moderation").get(f"/calendar/events/{cafe['id']}/edit").status_code == 200
    with app.app_context():
        assert not db.session.get(Event, cafe["id"]).cancelled


def test_description_markdown_is_sanitised(app, client_as):
    data = valid_form(app, repeat="none", description='<script>alert(1)</script>**fett** '
                      '<a href="javascript:alert(1)" hx-get="/x">x</a><img src=x onerror=alert(1)>')
    volunteer = client_as("ehrenamt")
    response = volunteer.post("/calendar/events/new", data=data)
    html = volunteer.get(response.headers["Location"]).get_data(as_text=True)
    body = html[html.find('class="usercontent'):]
    body = body[:body.find("</div>")]
    assert "<strong>fett</strong>" in body and "hx-disable" in html
    for bad in ("<script", "javascript:", "onerror", "hx-get"):
        assert bad not in body


def test_single_event_download_is_icalendar(app, client_as, cafe):
    response = client_as("leitung").get(f"/calendar/events/{cafe['id']}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    cal = icalendar.Calendar.from_ical(response.data)
    assert {str(e["UID"]) for e in cal.walk("VEVENT")} == {cafe["uid"]}
    assert len(cal.walk("VEVENT")) == 2  # the series and its moved date


def test_filters_narrow_the_month(app, client_as, cafe):
    with app.app_context():
        other = make_ortsteil()
        here = make_event(ortsteil=other, title="Nur hier", start="2026-12-10 10:00").uid
        fest = make_event(title="Stadtfest", category="fest", start="2026-12-12 10:00").uid
        other_id = other.id
    client = client_as("fachkraft")
    html = client.get(f"/calendar/?month=2026-12&ortsteil={other_id}&only_here=1").get_data(as_text=True)
    assert {k.split("|")[0] for k in shown(html)} == {here}
    only_fests = client.get("/calendar/?month=2026-12&category=fest").get_data(as_text=True)
    assert fest in {k.split("|")[0] for k in shown(only_fests)}
    assert cafe["uid"] not in only_fests
    fragment = client.get("/calendar/?month=2027-01", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith("<section id=\"calendar-view\"")
    assert fragment.headers.get("HX-Push-Url") is None  # the link itself asks for hx-push-url


@pytest.mark.parametrize("place, only_here, expected", [
    # An Ortsteil: its own dates, its Sozialraum's, the whole city's and the AG meetings.
    ("ortsteil", False, {"Im Ort", "Im Sozialraum", "Für alle", "AG Probe"}),
    ("ortsteil", True, {"Im Ort"}),
    ("sozialraum", False, {"Im Ort", "Im Sozialraum", "Für alle", "AG Probe"}),
    ("sozialraum", True, {"Im Ort", "Im Sozialraum"}),
    ("other_ortsteil", False, {"Für alle", "AG Probe", "Im Sozialraum"}),
])
def test_place_filter_keeps_what_concerns_everybody_unless_only_here(app, client_as, place, only_here, expected):
    with app.app_context():
        sozialraum = db.session.scalars(select(Sozialraum).order_by(Sozialraum.id)).first()
        ortsteil, neighbour = make_ortsteil(sozialraum=sozialraum), make_ortsteil(sozialraum=sozialraum)
        make_event(ortsteil=ortsteil, title="Im Ort", start="2027-03-03 10:00")
        make_event(sozialraum=sozialraum, title="Im Sozialraum", start="2027-03-04 10:00")
        make_event(title="Für alle", start="2027-03-05 10:00")
        make_event(ortsteil=make_ortsteil(sozialraum=db.session.scalars(
            select(Sozialraum).where(Sozialraum.id != sozialraum.id)).first()), title="Anderswo",
            start="2027-03-06 10:00")
        args = {"ortsteil": f"ortsteil={ortsteil.id}", "sozialraum": f"sozialraum={sozialraum.id}",
                "other_ortsteil": f"ortsteil={neighbour.id}"}[place]
    meeting = ExternalEvent(uid="ag-meeting-98@traegerportal", title="AG Probe", start=berlin("2027-03-09 09:00"),
                            end=berlin("2027-03-09 12:00"))
    with provided(meeting):
        html = client_as("ehrenamt").get(f"/calendar/?month=2027-03&{args}" + ("&only_here=1" if only_here else "")
                                         ).get_data(as_text=True)
    titles = set(re.findall(r'<span class="cal-occ__title">([^<]+)</span>', html))
    assert titles & {"Im Ort", "Im Sozialraum", "Für alle", "Anderswo", "AG Probe"} == expected
    checkbox = re.search(r'<input type="checkbox" id="filter-only-here"[^>]*>', html).group(0)
    assert ("checked" in checkbox) == only_here


def test_upcoming_for_ortsteil_runs_fixed_queries_and_renders(app, count_queries):
    with app.app_context():
        ortsteil = make_ortsteil("Kleinhausen")
        series = make_event(ortsteil=ortsteil, title="Spielkreis", start="2026-11-06 15:00", repeat="weekly",
                            weekdays="FR", count=10)
        move_date(series, "2026-12-04 15:00", "2026-12-05 10:00")
        cancel_date(series, "2026-11-27 15:00")
        make_event(ortsteil=ortsteil, title="Abgesagt", start="2026-11-25 10:00", cancelled=True)
        make_event(title="Für alle", start="2026-11-24 10:00")  # not the Ortsteil's own
        ortsteil_id = ortsteil.id
    with count_queries() as q:
        with app.app_context():
            upcoming = services.upcoming_for_ortsteil(ortsteil_id)
    assert q.count <= 3
    # a whole event called off stays (struck through), a single cancelled date is left out
    assert [(o.title, o.local_start.strftime("%d.%m. %H:%M")) for o in upcoming] == [
        ("Abgesagt", "25.11. 10:00"), ("Spielkreis", "05.12. 10:00"), ("Spielkreis", "11.12. 15:00")]
    with app.test_request_context():
        from flask import render_template

        html = render_template("calendar/_upcoming.html", upcoming=upcoming,
                               ortsteil=db.session.get(Ortsteil, ortsteil_id))
    assert "Nächste Termine in Kleinhausen" in html and "Spielkreis" in html and "verschoben" in html


def test_demo_calendar_is_there_and_seeding_twice_changes_nothing(app):
    from portal.calendar.demo import seed

    with app.app_context():
        def snapshot():
            return sorted((e.uid, e.sequence, e.span_start, e.span_end) for e in db.session.scalars(select(Event)))
        before = snapshot()
        seed()
        assert snapshot() == before and len(before) >= 5
        # the demo's series went through the operations: their spans hold their dates
        for event in db.session.scalars(select(Event)):
            dates = occurrences.expand(event, event.span_start, event.span_end)
            assert dates and min(o.start for o in dates) == event.span_start
            assert max(o.end for o in dates) == event.span_end


@pytest.mark.parametrize("url", ["/calendar/?month=9999-99", "/calendar/?month=x", "/calendar/agenda?from=9999-12-31",
                                 "/calendar/agenda?from=gestern", "/calendar/?sozialraum=abc&ortsteil=-1&category=<b>"])
def test_nonsense_in_the_address_falls_back_to_today(client_as, url):
    response = client_as("ehrenamt").get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<b>" not in html.split("</form>")[0]
    today = 'name="from" value="2026-11-21"' if "agenda" in url else 'name="month" value="2026-11"'
    assert today in html


def test_unknown_event_and_date_are_404(app, client_as, cafe):
    client = client_as("moderation")
    assert client.get("/calendar/events/999999").status_code == 404
    assert client.get(f"/calendar/events/{2**70}").status_code == 404
    assert client.get(f"/calendar/events/{cafe['id']}/dates/kaputt/move").status_code == 404
    assert client.get(f"/calendar/events/{cafe['id']}/dates/20270109T140000Z/move").status_code == 404


# --- the board's kept "Nächste Termine" (occurrences.upcoming_for_ortsteil) ---------------------------

def _next_dates(client) -> str:
    html = client.get("/board/taubach").get_data(as_text=True)
    return html[html.index('id="upcoming-events"'):html.index("</section>", html.index('id="upcoming-events"'))]


def _taubach():
    return db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach"))


def _soon(days: int = 1) -> datetime:
    return (datetime.now(BERLIN) + timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)


def _new_event():
    make_event(ortsteil=_taubach(), title="Frischer Bastelnachmittag", start=_soon(), commit=False)
    return "Frischer Bastelnachmittag"


def _called_off():
    event = db.session.scalar(select(Event).where(Event.title == "Kekse backen im Gemeindehaus"))
    event.cancelled = True
    return "is-cancelled"


def _renamed_ortsteil():
    _taubach().name = "Taubach an der Ilm"
    return "Nächste Termine in Taubach an der Ilm"


@pytest.mark.parametrize("write", [_new_event, _called_off, _renamed_ortsteil], ids=["event", "cancelled", "place"])
def test_kept_next_dates_on_the_board_show_every_write_at_once_in_both_workers(app, write):
    from tests.conftest import two_workers

    with app.app_context():
        make_event(ortsteil=_taubach(), title="Kekse backen im Gemeindehaus", start=_soon(2))
    with two_workers(app, "ehrenamt") as (first, second):
        before = _next_dates(first)
        assert "Kekse backen im Gemeindehaus" in before and _next_dates(second) == before
        with app.app_context():
            shows = write()
            db.session.commit()
        for client in (first, second):
            after = _next_dates(client)
            assert shows in after and after != before
