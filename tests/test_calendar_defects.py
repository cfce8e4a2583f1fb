"""Issue 18, items 1–6: what real calendar clients found in the feed (all-day dates across the
summer-time change, EXDATE at a time that does not exist locally, future Last-Modified, METHOD
without ORGANIZER, Markdown in descriptions). Each test failed on main before the fix."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import recurring_ical_events

from portal.calendar import ical, occurrences, services
from portal.calendar.models import Event
from portal.extensions import db
from tests.conftest import get_user
from tests.factories.calendar import berlin, make_event
from tests.test_calendar import feed_url

UTC = timezone.utc
NOW = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(occurrences, "utcnow", lambda: NOW)


def _feed(app, url: str) -> icalendar.Calendar:
    response = app.test_client().get(url)
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.data)


def _portal_days(event_id: int, start: datetime, end: datetime) -> list[date]:
    """The days the portal itself shows for an event (month view, agenda)."""
    event = db.session.get(Event, event_id)
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    return sorted(day for o in occurrences.expand(event, start, end) for day in o.days_between(first, last))


def test_all_day_date_moved_across_the_summer_time_change_keeps_its_day(app, client_as):
    """Weekly Sunday all-day series from 21.03.2027; 28.03. moved to 29.03. (a 23-hour day)."""
    moderation = client_as("moderation")
    with app.app_context():
        event = make_event(title="Sonntagsaktion", start=berlin("2027-03-21 00:00"), hours=24, all_day=True,
                           repeat="weekly", weekdays="SU", count=4)
        eid = event.id
    moved = moderation.post(f"/calendar/events/{eid}/dates/20270327T230000Z/move",
                            data={"start_date": "2027-03-29"})
    assert moved.status_code == 303, moved.get_data(as_text=True)[:2000]
    url = feed_url(client_as("fachkraft"))
    cal = _feed(app, url)
    for vevent in cal.walk("VEVENT"):
        if str(vevent["UID"]).startswith("test-") and "Sonntagsaktion" in str(vevent["SUMMARY"]):
            assert vevent.decoded("DTEND") > vevent.decoded("DTSTART")  # RFC 5545
    days = sorted(e.decoded("DTSTART") for e in recurring_ical_events.of(cal).between(date(2027, 3, 20), date(2027, 4, 20))
                  if "Sonntagsaktion" in str(e["SUMMARY"]))
    assert days == [date(2027, 3, 21), date(2027, 3, 29), date(2027, 4, 4), date(2027, 4, 11)]
    with app.app_context():
        assert _portal_days(eid, berlin("2027-03-20 00:00"), berlin("2027-04-20 00:00")) == days
    overrides = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e and "Sonntagsaktion" in str(e["SUMMARY"])]
    assert [(o.decoded("DTSTART"), o.decoded("DTEND")) for o in overrides] == [(date(2027, 3, 29), date(2027, 3, 30))]


def test_two_day_all_day_date_moved_keeps_both_days(app, client_as):
    """A Sat–Sun series; the 27./28.03. date (across the change) moved to 24.04. covers 24. and 25.04."""
    with app.app_context():
        event = make_event(title="Wochenendfahrt", start=berlin("2027-03-20 00:00"), hours=48, all_day=True,
                           repeat="weekly", weekdays="SA", count=3)
        eid = event.id
    moved = client_as("moderation").post(f"/calendar/events/{eid}/dates/20270326T230000Z/move",
                                         data={"start_date": "2027-04-24"})
    assert moved.status_code == 303
    cal = _feed(app, feed_url(client_as("fachkraft")))
    override = next(e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e and "Wochenendfahrt" in str(e["SUMMARY"]))
    assert (override.decoded("DTSTART"), override.decoded("DTEND")) == (date(2027, 4, 24), date(2027, 4, 26))
    with app.app_context():
        assert date(2027, 4, 25) in _portal_days(eid, berlin("2027-04-20 00:00"), berlin("2027-05-01 00:00"))


def test_cancelled_date_at_a_time_that_does_not_exist_is_written_at_the_series_wall_time(app, client_as):
    with app.app_context():
        event = make_event(title="Nachtwanderung", start=berlin("2027-03-21 02:30"), hours=1,
                           repeat="weekly", weekdays="SU", count=3)
        # 02:30 does not exist that night: the date takes place at 01:30 UTC (03:30 CEST)
        services.cancel_occurrence(event, get_user("moderation"), datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
                                   "Zeitumstellung")
        db.session.commit()
    body = app.test_client().get(feed_url(client_as("fachkraft"))).get_data(as_text=True).replace("\r\n ", "")
    assert "EXDATE;TZID=Europe/Berlin:20270328T023000" in body
    assert "20270328T033000" not in body
    cal = icalendar.Calendar.from_ical(body)
    starts = [e.decoded("DTSTART") for e in recurring_ical_events.of(cal).between(date(2027, 3, 20), date(2027, 4, 10))
              if "Nachtwanderung" in str(e["SUMMARY"])]
    assert [s.date() for s in starts] == [date(2027, 3, 21), date(2027, 4, 4)]


def test_feed_never_sends_a_future_last_modified_and_has_no_method(app, client_as):
    future = datetime.now(UTC) + timedelta(days=30)
    with app.app_context():
        event = make_event(title="Zukunftstermin", start=berlin("2027-03-10 18:00"))
        event.updated_at = future
        db.session.commit()
    url = feed_url(client_as("fachkraft"))
    client = app.test_client()
    response = client.get(url)
    assert response.last_modified <= datetime.now(UTC)
    body = response.get_data(as_text=True)
    assert "METHOD:" not in body
    for vevent in icalendar.Calendar.from_ical(response.data).walk("VEVENT"):
        assert vevent.decoded("DTSTAMP") <= datetime.now(UTC) + timedelta(seconds=5)
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert client.get(url, headers={"If-Modified-Since": now}).status_code == 304


def test_ics_descriptions_are_plain_text_not_markdown(app, client_as):
    with app.app_context():
        make_event(title="Markdowntermin", start=berlin("2027-03-10 18:00"),
                   description="Bitte **pünktlich** kommen.\n\n- Kaffee\n- Kuchen\n\n[Anmeldung](https://example.org/a)")
    cal = _feed(app, feed_url(client_as("fachkraft")))
    vevent = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "Markdowntermin")
    text = str(vevent["DESCRIPTION"])
    assert "**" not in text and "- Kaffee" not in text and "](" not in text
    assert "Bitte pünktlich kommen." in text and "• Kaffee" in text and "Anmeldung (https://example.org/a)" in text


def test_plain_text_keeps_paragraphs():
    assert ical.plain_text("*a*\n\nb") == "a\n\nb"
