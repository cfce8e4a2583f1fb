"""Gemeinsamer Kalender: what the portal shows equals what a subscribed calendar app shows,
recurrences survive the summer-time change, bad input gets German messages, scopes are enforced."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import func, insert, select

from portal.calendar import services, sources
from portal.calendar.models import Event, FeedToken, OccurrenceChange
from portal.calendar.sources import ExternalEvent
from portal.extensions import db
from tests.conftest import get_user

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
#: The demo data describe a year around this day.
NOW = datetime(2026, 11, 21, 11, 0, tzinfo=UTC)
CAFE = "demo-familiencafe-taubach@traegerportal"
JUGENDTREFF = "demo-jugendtreff-legefeld@traegerportal"
BASTELN = "demo-basteln-advent-legefeld@traegerportal"


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """The calendar's idea of "now" (feed window, today's month) is the demo's 21 November 2026."""
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


def berlin(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


def key(uid: str, start: datetime) -> str:
    return f"{uid}|{start.astimezone(UTC).isoformat()}"


def event_id(app, uid: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Event.id).where(Event.uid == uid))


def shown(html: str, include_dropped: bool = False) -> set[str]:
    """The dates a page shows, by their data-occurrence key."""
    found = set()
    for match in re.finditer(r'data-occurrence="([^"]+)"( data-dropped)?', html):
        if include_dropped or not match.group(2):
            found.add(match.group(1).replace("&#43;", "+"))
    return found


def feed_url(client) -> str:
    html = client.post("/calendar/subscribe", data={}).get_data(as_text=True)
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


# --- the feed shows exactly what the portal shows -----------------------------------------------------

def test_feed_occurrences_equal_the_month_view_and_the_agenda(app, client_as):
    start, end = berlin("2026-10-01 00:00"), berlin("2027-01-01 00:00")
    volunteer = client_as("ehrenamt")
    months = set()
    for month in ("2026-10", "2026-11", "2026-12"):
        months |= shown(volunteer.get(f"/calendar/?month={month}").get_data(as_text=True))
    agenda = set()
    day = "2026-10-01"
    while day and day < "2027-01-01":
        html = volunteer.get(f"/calendar/agenda?from={day}").get_data(as_text=True)
        agenda |= shown(html)
        nxt = re.search(r'agenda\?from=(\d{4}-\d\d-\d\d)', html)
        day = nxt.group(1) if nxt else None
    months, agenda = in_window(months, start, end), in_window(agenda, start, end)

    staff = client_as("fachkraft")
    feed = feed_occurrences(app, feed_url(staff), start, end)

    assert months == agenda == set(feed)
    # the moved date is at its new time, the cancelled Christmas date is not in the feed ...
    assert key(CAFE, berlin("2026-12-05 10:00")) in feed
    assert key(CAFE, berlin("2026-12-04 15:00")) not in feed
    assert key(CAFE, berlin("2026-12-25 15:00")) not in feed
    # ... but the portal shows it as "fällt aus"
    december = volunteer.get("/calendar/?month=2026-12").get_data(as_text=True)
    assert key(CAFE, berlin("2026-12-25 15:00")) in shown(december, include_dropped=True)
    assert "fällt aus" in december
    # a whole event called off stays in the feed, marked cancelled
    basteln = feed[key(BASTELN, berlin("2026-11-28 14:00"))]
    assert basteln["STATUS"] == "CANCELLED"
    assert str(basteln["SUMMARY"]).startswith("Abgesagt:")


def test_weekly_18_oclock_stays_18_oclock_across_the_october_clock_change(app, client_as):
    # Tuesdays 20 and 27 October 2026 lie on both sides of Sunday 25 October (last Sunday).
    start, end = berlin("2026-10-19 00:00"), berlin("2026-11-01 00:00")
    feed = feed_occurrences(app, feed_url(client_as("fachkraft")), start, end)
    tuesdays = sorted((e.decoded("DTSTART"), e.decoded("DTEND")) for k, e in feed.items() if k.startswith(JUGENDTREFF))
    assert [(s.astimezone(BERLIN).strftime("%d.%m. %H:%M"), e.astimezone(BERLIN).strftime("%H:%M"))
            for s, e in tuesdays] == [("20.10. 18:00", "20:00"), ("27.10. 18:00", "20:00")]
    assert [s.astimezone(UTC).hour for s, _ in tuesdays] == [16, 17]  # UTC shifts, wall time does not
    html = client_as("ehrenamt").get("/calendar/?month=2026-10").get_data(as_text=True)
    assert key(JUGENDTREFF, berlin("2026-10-20 18:00")) in shown(html)
    assert key(JUGENDTREFF, berlin("2026-10-27 18:00")) in shown(html)


def test_feed_is_valid_icalendar_with_timezone_rrule_exdate_and_recurrence_id(app, client_as):
    body = app.test_client().get(feed_url(client_as("fachkraft"))).get_data(as_text=True)
    cal = icalendar.Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and cal.get("PRODID")
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    cafe = [e for e in cal.walk("VEVENT") if e["UID"] == CAFE]
    master = next(e for e in cafe if "RECURRENCE-ID" not in e)
    override = next(e for e in cafe if "RECURRENCE-ID" in e)
    assert master["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert master["RRULE"]["FREQ"] == ["WEEKLY"] and master["RRULE"]["BYDAY"] == ["FR"]
    assert "EXDATE;TZID=Europe/Berlin:20261225T150000" in body
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20261204T150000" in body
    assert override["SEQUENCE"] == master["SEQUENCE"]
    for vevent in cal.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART", "SEQUENCE", "LAST-MODIFIED", "SUMMARY"):
            assert prop in vevent, (prop, vevent.get("UID"))
    assert "jeden 1. Mittwoch" in client_as("koordination").get(
        f"/calendar/events/{event_id(app, 'demo-sprechstunde-nord@traegerportal')}").get_data(as_text=True)


def test_every_change_raises_sequence_and_keeps_the_uid(app, client_as):
    eid = event_id(app, CAFE)
    with app.app_context():
        before = db.session.get(Event, eid).sequence
    volunteer = client_as("ehrenamt")
    assert volunteer.post(f"/calendar/events/{eid}/dates/20270108T140000Z/cancel", data={"note": "Ferien"}).status_code == 303
    assert volunteer.post(f"/calendar/events/{eid}/cancel").status_code == 303
    with app.app_context():
        event = db.session.get(Event, eid)
        assert event.sequence == before + 2 and event.uid == CAFE and event.cancelled


# --- feed tokens and caching ---------------------------------------------------------------------------------

def test_feed_token_is_stored_hashed_and_a_new_one_revokes_the_old(app, client_as):
    staff = client_as("fachkraft")
    first = feed_url(staff)
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        stored = db.session.scalars(select(FeedToken.token_hash)).all()
    assert token not in stored and len(stored) == 1
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 200
    second = feed_url(staff)
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    assert anonymous.get("/calendar/feed/unknown-token.ics").status_code == 404


def test_feed_of_a_deactivated_user_is_gone(app, client_as):
    url = feed_url(client_as("fachkraft"))
    with app.app_context():
        get_user("fachkraft").active = False
        db.session.commit()
    assert app.test_client().get(url).status_code == 404


def test_feed_answers_304_to_if_none_match_and_if_modified_since(app, client_as):
    url = feed_url(client_as("fachkraft"))
    client = app.test_client()
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "no-cache" in first.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    # a change gives a new ETag
    eid = event_id(app, CAFE)
    client_as("moderation").post(f"/calendar/events/{eid}/cancel")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def _ortsteil_id(app, slug: str) -> int:
    with app.app_context():
        from portal.org.models import Ortsteil
        return db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == slug))


def _feed_body(app, client, data: dict) -> str:
    html = client.post("/calendar/subscribe", data=data).get_data(as_text=True)
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html).group(1).replace("&amp;", "&")
    return url, app.test_client().get(url.removeprefix("http://localhost")).get_data(as_text=True)


def test_feed_filter_by_ortsteil_keeps_city_wide_dates_and_ag_meetings(app, client_as):
    taubach = _ortsteil_id(app, "taubach")
    staff = client_as("ag_mitglied")  # a member: the AG dates carry a link to the meeting
    url, body = _feed_body(app, staff, {"ortsteil": taubach})
    assert f"ortsteil={taubach}" in url and "only_here" not in url
    assert "Familiencafé" in body and "Jugendtreff" not in body  # another Ortsteil
    assert "Fachtag" in body  # for the whole city
    assert "ag-meeting-" in body  # AG 78 dates concern everybody
    assert "URL:http://localhost/ag/" in body and "URL:/ag/" not in body
    assert "Offene Sprechstunde" not in body  # Sozialraum Nord/Schöndorf, Taubach lies in Mitte/Süd


def test_feed_filter_only_here_leaves_out_city_wide_dates_and_ag_meetings(app, client_as):
    taubach = _ortsteil_id(app, "taubach")
    url, body = _feed_body(app, client_as("fachkraft"), {"ortsteil": taubach, "only_here": "y"})
    assert "only_here=1" in url
    assert "Familiencafé" in body and "Fachtag" not in body and "ag-meeting-" not in body


def test_feed_filter_with_an_unknown_ortsteil_gets_a_german_message(app, client_as):
    response = client_as("fachkraft").post("/calendar/subscribe", data={"ortsteil": 99999})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Diesen Ortsteil gibt es nicht" in html and 'id="feed-url"' not in html


# --- dates of other features (AG 78) -------------------------------------------------------------------------

def test_dates_from_other_features_appear_in_month_agenda_and_feed(app, client_as):
    meeting = ExternalEvent(uid="ag-meeting-99@traegerportal", title="AG 78 Jugendarbeit",
                            start=berlin("2026-12-09 09:00"), end=berlin("2026-12-09 12:00"),
                            place="Rathaus", url="/ag/meetings/99", organiser="AG 78 Jugendarbeit",
                            sequence=3, last_modified=NOW)
    seen_users = []

    def provider(start, end, user):
        seen_users.append(user)
        return [meeting] if start < meeting.end and end > meeting.start else []

    sources.register_source(provider)
    try:
        staff = client_as("fachkraft")
        month = staff.get("/calendar/?month=2026-12").get_data(as_text=True)
        agenda = staff.get("/calendar/agenda?from=2026-12-01").get_data(as_text=True)
        the_key = key(meeting.uid, meeting.start)
        assert the_key in shown(month) and the_key in shown(agenda)
        assert 'href="/ag/meetings/99"' in agenda and "AG 78 Jugendarbeit" in agenda
        feed = feed_occurrences(app, feed_url(staff), berlin("2026-12-01 00:00"), berlin("2027-01-01 00:00"))
        assert feed[the_key]["SEQUENCE"] == 3
        # calendar apps cannot follow a path: the feed gives the whole address
        assert str(feed[the_key]["URL"]) == "http://localhost/ag/meetings/99"
        assert any(getattr(u, "email", None) == "fachkraft@awo.example" for u in seen_users)
    finally:
        sources._SOURCES.remove(provider)


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
    # a kept page is not read again: the events of the window are only counted
    assert warm_big.count < cold_big.count
    assert not any("calendar_occurrence_change" in s for s in warm_big.statements)


def _busy_day(app, day: str, n: int, title: str = "Probe") -> list[str]:
    """``n`` single dates on one day (Berlin), 08:00, 09:00, ...; returns their keys."""
    keys = []
    with app.app_context():
        rows = []
        for i in range(n):
            start = berlin(f"{day} {8 + i:02d}:00")
            uid = f"busy-{day}-{i}@test"
            keys.append(key(uid, start))
            rows.append(dict(uid=uid, title=f"{title} {i + 1}", starts_at=start, ends_at=start + timedelta(hours=1),
                             span_start=start, span_end=start + timedelta(hours=1), category="treffen",
                             scope="stadt"))
        db.session.execute(insert(Event), rows)
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
    # the status line still counts every date of the month
    assert re.search(r'role="status">Dezember 2026: (\d+) Termine', html)

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


def test_kept_month_shows_changes_at_once(app, client_as):
    """The rendered month is kept, but an edited event, a cancelled date, a new event or a renamed
    Ortsteil shows on the next request."""
    volunteer = client_as("ehrenamt")
    url = "/calendar/?month=2026-12"
    before = volunteer.get(url).get_data(as_text=True)
    assert "Familiencafé" in before
    cafe = event_id(app, CAFE)
    with app.app_context():
        from portal.calendar.services import touch
        event = db.session.get(Event, cafe)
        event.title = "Familiencafé am Nachmittag"
        touch(event)
        db.session.commit()
    assert "Familiencafé am Nachmittag" in volunteer.get(url).get_data(as_text=True)
    # a date of the series called off, through the page as a user does it
    moderation = client_as("moderation")
    moderation.post(f"/calendar/events/{cafe}/dates/20261211T140000Z/cancel", data={"note": "Krank"})
    assert key(CAFE, berlin("2026-12-11 15:00")) in shown(volunteer.get(url).get_data(as_text=True), include_dropped=True)
    assert "Krank" in volunteer.get(url).get_data(as_text=True)
    keys = _busy_day(app, "2026-12-02", 1, title="Neu eingetragen")
    assert keys[0] in shown(volunteer.get(url).get_data(as_text=True))
    with app.app_context():  # names shown with events change without touching them
        from portal.org.models import Ortsteil
        db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach")).name = "Taubach an der Ilm"
        db.session.commit()
    assert "Ortsteil Taubach an der Ilm · Ehrenamtliche Taubach an der Ilm" in volunteer.get(url).get_data(as_text=True)


@pytest.mark.parametrize("first", ["ag_mitglied", "ehrenamt"])
def test_kept_month_is_never_shared_between_users_who_see_other_links(app, client_as, first):
    """AG meetings link to their page only for those who may open it: the kept month of an AG
    member is not served to a volunteer, whichever asks first."""
    url = "/calendar/?month=2027-01"
    pages = {}
    for role in (first, "ag_mitglied" if first == "ehrenamt" else "ehrenamt"):
        pages[role] = client_as(role).get(url).get_data(as_text=True)
    assert re.search(r'<a href="/ag/[^"]+"><span class="cal-occ__title">AG 78', pages["ag_mitglied"])
    assert "AG 78" in pages["ehrenamt"]
    assert not re.search(r'<a href="/ag/[^"]+"><span class="cal-occ__title">AG 78', pages["ehrenamt"])


def test_expansion_is_bounded(app):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.uid == JUGENDTREFF))
        # asking for ten years yields the 40 dates of the series, and a window is capped
        found = services.occurrences(berlin("2020-01-01 00:00"), berlin("2030-01-01 00:00"), None,
                                     services.Filters(ortsteil_id=event.ortsteil_id))
        assert len([o for o in found if o.uid == JUGENDTREFF]) <= 40


# --- writing: bad input, scopes --------------------------------------------------------------------------------

def valid_form(app, **changes) -> dict:
    with app.app_context():
        from portal.org.models import Ortsteil
        taubach = db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == "taubach"))
    data = {"title": "Spielenachmittag", "scope": f"ortsteil:{taubach}", "category": "angebot",
            "start_date": "2026-12-02", "start_time": "18:00", "end_time": "20:00", "repeat": "weekly",
            "interval": "1", "weekdays": ["WE"], "until": "2027-03-31", "place": "Gemeindehaus"}
    data.update(changes)
    return data


def test_volunteer_adds_a_weekly_event_that_shows_in_month_and_list(app, client_as):
    volunteer = client_as("ehrenamt")
    response = volunteer.post("/calendar/events/new", data=valid_form(app))
    assert response.status_code == 303
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.title == "Spielenachmittag"))
        assert event.created_by.email == "ehrenamt.taubach@portal.example"
        assert event.sozialraum_id == event.ortsteil.sozialraum_id
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
])
def test_bad_input_gets_a_german_message_at_the_field_and_keeps_the_input(app, client_as, changes, field_id, message):
    data = valid_form(app, **changes)
    response = client_as("ehrenamt").post("/calendar/events/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="{field_id}-error">([^<]*)<', html)
    assert error and message in error.group(1), html[html.find("field__error") - 200:][:600]
    assert 'value="Gemeindehaus"' in html  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Event.title == "Spielenachmittag")) == 0


@pytest.mark.parametrize("role, changes", [
    ("ehrenamt", {"scope": "ortsteil:{legefeld}"}),  # not her Ortsteil
    ("ehrenamt", {"scope": "stadt"}),
    ("koordination", {"scope": "ortsteil:{taubach}"}),  # Taubach is not in Sozialraum Nord
    ("fachkraft", {"scope": "stadt", "traeger": "{caritas}"}),  # another Träger
    ("fachkraft", {"scope": "stadt", "traeger": "0"}),
])
def test_writing_outside_ones_scope_is_refused_with_403(app, client_as, role, changes):
    with app.app_context():
        from portal.org.models import Ortsteil, Traeger
        ids = {"legefeld": db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == "legefeld")),
               "taubach": db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == "taubach")),
               "caritas": db.session.scalar(select(Traeger.id).where(Traeger.short_name == "Caritas"))}
    data = valid_form(app, **{k: v.format(**ids) for k, v in changes.items()})
    assert client_as(role).post("/calendar/events/new", data=data).status_code == 403


@pytest.mark.parametrize("role, scope, expected", [
    ("ehrenamt", "ortsteil:{taubach}", 303),
    ("koordination", "ortsteil:{schoendorf}", 303),
    ("koordination", "sozialraum:{nord}", 303),
    ("fachkraft", "stadt", 303),
    ("moderation", "stadt", 303),
    ("admin", "sozialraum:{nord}", 303),
    ("leitung", "stadt", 403),
])
def test_who_may_write_where(app, client_as, role, scope, expected):
    with app.app_context():
        from portal.org.models import Ortsteil, Sozialraum
        ids = {"taubach": db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == "taubach")),
               "schoendorf": db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == "schoendorf")),
               "nord": db.session.scalar(select(Sozialraum.id).where(Sozialraum.slug == "nord"))}
        traeger = get_user(role).traeger_id or 0
    data = valid_form(app, scope=scope.format(**ids), traeger=str(traeger))
    assert client_as(role).post("/calendar/events/new", data=data).status_code == expected


def test_editing_a_series_moves_and_cancels_single_dates(app, client_as):
    eid = event_id(app, JUGENDTREFF)
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
    assert key(JUGENDTREFF, berlin("2026-11-12 17:00")) in shown(html)
    assert key(JUGENDTREFF, berlin("2026-11-10 18:00")) not in shown(html, include_dropped=True)
    assert key(JUGENDTREFF, berlin("2026-11-17 18:00")) in shown(html, include_dropped=True)
    assert volunteer.post(f"/calendar/events/{eid}/dates/20261117T170000Z/restore").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OccurrenceChange)
                                 .where(OccurrenceChange.event_id == eid)) == 1
    # changing the time of the series drops the single-date changes (they no longer fit)
    edit = volunteer.get(f"/calendar/events/{eid}/edit")
    assert edit.status_code == 200
    with app.app_context():
        from portal.org.models import Ortsteil
        legefeld = db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == "legefeld"))
    saved = volunteer.post(f"/calendar/events/{eid}/edit", data={
        "title": "Jugendtreff", "scope": f"ortsteil:{legefeld}", "category": "angebot", "start_date": "2026-09-01",
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


def test_others_cannot_edit_an_event_they_did_not_create(app, client_as):
    eid = event_id(app, CAFE)
    assert client_as("ehrenamt_legefeld").post(f"/calendar/events/{eid}/cancel").status_code == 403
    assert client_as("fachkraft").get(f"/calendar/events/{eid}/edit").status_code == 403
    assert client_as("moderation").get(f"/calendar/events/{eid}/edit").status_code == 200


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


def test_single_event_download_is_icalendar(app, client_as):
    response = client_as("leitung").get(f"/calendar/events/{event_id(app, CAFE)}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    cal = icalendar.Calendar.from_ical(response.data)
    assert {str(e["UID"]) for e in cal.walk("VEVENT")} == {CAFE}


def test_filters_narrow_the_month(app, client_as):
    legefeld = _ortsteil_id(app, "legefeld")
    client = client_as("fachkraft")
    html = client.get(f"/calendar/?month=2026-12&ortsteil={legefeld}&only_here=1").get_data(as_text=True)
    assert all(k.startswith(JUGENDTREFF) for k in shown(html)) and shown(html)
    only_fests = client.get("/calendar/?month=2026-12&category=fest").get_data(as_text=True)
    assert {k.split("|")[0] for k in shown(only_fests)} == {"demo-weihnachtsfeier-taubach@traegerportal"}
    fragment = client.get("/calendar/?month=2027-01", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith("<section id=\"calendar-view\"")
    assert fragment.headers.get("HX-Push-Url") is None  # the link itself asks for hx-push-url


@pytest.mark.parametrize("place, only_here, expected", [
    # An Ortsteil: its own dates, its Sozialraum's, the whole city's and the AG meetings.
    ("ortsteil=legefeld", False, {"Jugendtreff", "Fachtag", "AG 78"}),
    ("ortsteil=legefeld", True, {"Jugendtreff"}),
    # Schöndorf lies in Nord/Schöndorf, where the Sozialraum team has its monthly Sprechstunde.
    ("ortsteil=schoendorf", False, {"Offene Sprechstunde", "Fachtag", "AG 78"}),
    ("sozialraum=Nord/Schöndorf", False, {"Offene Sprechstunde", "Fachtag", "AG 78"}),
    ("sozialraum=Nord/Schöndorf", True, {"Offene Sprechstunde"}),
])
def test_place_filter_keeps_what_concerns_everybody_unless_only_here(app, client_as, place, only_here, expected):
    kind, _, name = place.partition("=")
    with app.app_context():
        from portal.org.models import Ortsteil, Sozialraum
        if kind == "ortsteil":
            place_id = db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug.startswith(name[:5])))
        else:
            place_id = db.session.scalar(select(Sozialraum.id).where(Sozialraum.name == name))
    client = client_as("ehrenamt")
    titles = set()
    for month in ("2027-01", "2027-02"):  # AG 78 meets on 26 January, the Fachtag is on 11 February
        url = f"/calendar/?month={month}&{kind}={place_id}" + ("&only_here=1" if only_here else "")
        html = client.get(url).get_data(as_text=True)
        titles |= {t for t in ("Jugendtreff", "Familiencafé", "Fachtag", "AG 78", "Offene Sprechstunde")
                   if re.search(r'<span class="cal-occ__title">' + t, html)}
    assert titles == expected
    checkbox = re.search(r'<input type="checkbox" id="filter-only-here"[^>]*>', html).group(0)
    assert ("checked" in checkbox) == only_here


def test_upcoming_for_ortsteil_runs_fixed_queries_and_renders(app, count_queries):
    with app.app_context():
        from flask import render_template

        from portal.org.models import Ortsteil
        taubach = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach"))
        ortsteil_id = taubach.id
    with count_queries() as q:
        with app.app_context():
            upcoming = services.upcoming_for_ortsteil(ortsteil_id)
    assert q.count <= 3
    assert [o.local_start.strftime("%d.%m. %H:%M") for o in upcoming] == ["27.11. 15:00", "05.12. 10:00", "11.12. 15:00"]
    with app.test_request_context():
        html = render_template("calendar/_upcoming.html", upcoming=upcoming,
                               ortsteil=db.session.get(Ortsteil, ortsteil_id))
    assert "Nächste Termine in Taubach" in html and "Familiencafé" in html and "verschoben" in html


def test_demo_year_is_there_and_seeding_twice_changes_nothing(app):
    from portal.calendar.demo import seed

    with app.app_context():
        def snapshot():
            return sorted((e.uid, e.sequence) for e in db.session.scalars(select(Event)))
        before = snapshot()
        seed()
        assert snapshot() == before
        starts = {(e.title, e.starts_at.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M"),
                   e.ends_at.astimezone(BERLIN).strftime("%H:%M")) for e in db.session.scalars(select(Event))}
        # the quarterly AG 78 dates are the AG feature's meetings, shown through its calendar source
        from portal.calendar.sources import external_events

        ag = {(e.start.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M"), e.end.astimezone(BERLIN).strftime("%H:%M"))
              for e in external_events(datetime(2026, 1, 1, tzinfo=timezone.utc),
                                       datetime(2027, 1, 1, tzinfo=timezone.utc), None)}
    assert ("Workshop: Kinderschutz im Ehrenamt", "20.03.2027 09:00", "16:00") in starts
    for day in ("12.05.2026", "01.09.2026", "13.10.2026"):
        assert (f"{day} 09:00", "12:00") in ag


@pytest.mark.parametrize("url", ["/calendar/?month=9999-99", "/calendar/?month=x", "/calendar/agenda?from=9999-12-31",
                                 "/calendar/agenda?from=gestern", "/calendar/?sozialraum=abc&ortsteil=-1&category=<b>"])
def test_nonsense_in_the_address_falls_back_to_today(client_as, url):
    response = client_as("ehrenamt").get(url)
    assert response.status_code == 200
    assert "<b>" not in response.get_data(as_text=True).split("</form>")[0]


def test_unknown_event_and_date_are_404(app, client_as):
    client = client_as("moderation")
    assert client.get("/calendar/events/999999").status_code == 404
    assert client.get(f"/calendar/events/{2**70}").status_code == 404
    assert client.get(f"/calendar/events/{event_id(app, CAFE)}/dates/kaputt/move").status_code == 404
