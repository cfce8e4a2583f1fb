"""Issue 18 (items 3, 7, 8, 12, 13) and issue 19 (items 5, 19) for the calendar: the reason of a
cancelled date reaches Outlook users, several named feeds per person, the phone month starts
today, sane ranges, expansion by window, readable recurrence wording, summer-time gaps.
Each test failed on main before the fix."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import insert, select

from portal.calendar import occurrences
from portal.calendar.models import Event, FeedToken, Repeat
from portal.calendar.recurrence import Schedule
from portal.extensions import db
from tests.conftest import get_user
from tests.factories.calendar import berlin, cancel_date, make_event, weekly_cafe
from tests.test_calendar import valid_form

UTC = timezone.utc
NOW = datetime(2026, 11, 21, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(occurrences, "utcnow", lambda: NOW)


def errors(response) -> str:
    return " ".join(re.findall(r'class="field__error"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S))


def new_feed(client, **data) -> str:
    html = client.post("/calendar/subscribe", data=data).get_data(as_text=True)
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html).group(1).replace("&amp;", "&")
    return url.removeprefix("http://localhost")


# --- 18.3: the reason of a cancelled date -----------------------------------------------------------------

def test_cancelled_date_stays_an_exdate_and_its_reason_is_in_the_series_description(app, client_as):
    with app.app_context():
        cafe = weekly_cafe("ehrenamt")
        cancel_date(cafe, "2026-12-25 15:00", "Weihnachtsferien")
        cancel_date(cafe, "2027-01-01 15:00")
        cancel_date(cafe, "2026-10-02 15:00", "Herbstputz")  # in the past: no longer worth a line
        eid, uid = cafe.id, cafe.uid
    body = app.test_client().get(new_feed(client_as("fachkraft"))).get_data(as_text=True)
    unfolded = body.replace("\r\n ", "")
    assert "20261225T150000" in unfolded.split("EXDATE", 1)[1].split("\r\n", 1)[0]
    cal = icalendar.Calendar.from_ical(body)
    dates = {e.decoded("DTSTART").date(): e for e in recurring_ical_events.of(cal).between(date(2026, 12, 1), date(2027, 1, 10))
             if str(e["UID"]) == uid}
    assert date(2026, 12, 25) not in dates and date(2027, 1, 1) not in dates  # the EXDATE holds
    text = str(dates[date(2026, 12, 18)]["DESCRIPTION"])  # every date of the series carries the list
    assert "Fällt aus:" in text
    assert "Fr 25.12.2026 – Weihnachtsferien" in text and "Fr 01.01.2027" in text
    assert "Herbstputz" not in text
    # the single-event download says the same
    ics = client_as("fachkraft").get(f"/calendar/events/{eid}.ics").get_data(as_text=True)
    assert "Weihnachtsferien" in ics.replace("\r\n ", "")


# --- 18.7: several named feeds -------------------------------------------------------------------------------

def test_a_second_named_feed_keeps_the_first_and_each_can_be_revoked(app, client_as):
    staff = client_as("fachkraft")
    office = new_feed(staff, name="Outlook im Büro")
    phone = new_feed(staff, name="Handy", ortsteil="0", category="fest")
    anonymous = app.test_client()
    assert anonymous.get(office).status_code == 200
    assert anonymous.get(phone).status_code == 200
    page = staff.get("/calendar/subscribe").get_data(as_text=True)
    assert "Outlook im Büro" in page and "Handy" in page and "nur Fest" in page
    with app.app_context():
        feeds = {f.name: f.id for f in db.session.scalars(select(FeedToken))}
    assert set(feeds) == {"Outlook im Büro", "Handy"}
    # someone else cannot revoke it
    assert client_as("fachkraft_caritas").post(f"/calendar/subscribe/{feeds['Handy']}/revoke").status_code == 404
    assert staff.post(f"/calendar/subscribe/{feeds['Handy']}/revoke").status_code == 303
    assert anonymous.get(phone).status_code == 404
    assert anonymous.get(office).status_code == 200
    page = staff.get("/calendar/subscribe").get_data(as_text=True)
    assert "„Handy“ ist widerrufen" in page
    listed = page.split('class="feedlist"')[1].split("</ul>")[0]
    assert "Outlook im Büro" in listed and "Handy" not in listed


def test_new_feed_shows_its_address_with_a_copy_button_and_separate_android_and_iphone_steps(client_as):
    staff = client_as("fachkraft")
    html = staff.post("/calendar/subscribe", data={"name": "Handy"}).get_data(as_text=True)
    assert re.search(r'<button[^>]*data-copy="feed-url"', html)
    assert "<script" not in html.split("</main>")[0].split("<main")[1]
    assert "iPhone" in html and "Android" in html and "ICSx" in html and "Per URL" in html
    assert "iPhone/Android" not in html


def test_a_person_has_at_most_a_few_feeds(app, client_as):
    staff = client_as("fachkraft")
    for n in range(10):
        assert staff.post("/calendar/subscribe", data={"name": f"Abo {n}"}).status_code == 200
    refused = staff.post("/calendar/subscribe", data={"name": "eins zu viel"})
    assert refused.status_code == 422
    assert "Höchstens 10 Abo-Adressen" in refused.get_data(as_text=True)


# --- 18.8: the phone month view starts today ----------------------------------------------------------------

def test_phone_month_list_starts_today_and_always_offers_heute(app, client_as):
    with app.app_context():
        past = make_event(title="Schon vorbei", start="2026-11-03 10:00")
        later = make_event(title="Kommt noch", start="2026-11-26 10:00")
    html = client_as("ehrenamt").get("/calendar/?month=2026-11").get_data(as_text=True)
    daylist = html.split('class="cal-daylist"')[1]
    main, _, earlier = daylist.partition("cal-daylist__earlier")
    # the list opens with today (21 November, no dates: said so), then what is still to come
    assert main.index("Samstag, 21. November 2026") < main.index("Kommt noch")
    assert "Heute keine Termine" in main
    assert "Schon vorbei" not in main.split("cal-daylist__earlier")[0] and "Schon vorbei" in earlier
    assert re.search(r'<a[^>]*href="#cal-heute"[^>]*>Heute</a>', html)
    other = client_as("ehrenamt").get("/calendar/?month=2027-02").get_data(as_text=True)
    assert re.search(r'<a[^>]*href="/calendar/\?month=2026-11"[^>]*>Heute</a>', other)


# --- 18.12 + 19.5: ranges and expansion by window -------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    ({"start_date": "9999-12-30", "repeat": "none"}, "höchstens 10 Jahre"),
    ({"start_date": "1990-01-01", "repeat": "none"}, "höchstens 10 Jahre"),
    ({"repeat": "none", "end_date": "2026-12-20"}, "höchstens 14 Tage"),
    ({"repeat": "none", "all_day": "y", "end_date": "2027-01-10"}, "höchstens 31 Tage"),
    ({"description": "x" * 10001}, "höchstens 10000 Zeichen"),
])
def test_absurd_event_values_are_refused_with_a_german_message(app, client_as, changes, message):
    response = client_as("ehrenamt").post("/calendar/events/new", data=valid_form(app, **changes))
    assert response.status_code == 422
    assert message in errors(response)


def test_a_long_all_day_event_within_the_bound_is_fine(app, client_as):
    data = valid_form(app, repeat="none", all_day="y", end_date="2026-12-20", title="Ferienspiele")
    assert client_as("ehrenamt").post("/calendar/events/new", data=data).status_code == 303


def test_a_date_cannot_be_moved_decades_away(app, client_as):
    with app.app_context():
        eid = weekly_cafe("ehrenamt").id
    response = client_as("ehrenamt").post(f"/calendar/events/{eid}/dates/20270108T140000Z/move",
                                          data={"start_date": "9999-12-30", "start_time": "15:00", "end_time": "17:00"})
    assert response.status_code == 422
    assert "höchstens 10 Jahre" in errors(response)


class Counting:
    """Counts the day steps the calendar takes (every ``timedelta`` the module builds)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args, **kw):
        self.calls += 1
        return timedelta(*args, **kw)


def test_an_event_ending_in_9999_does_not_make_a_month_expand_its_whole_span(app, client_as, monkeypatch):
    with app.app_context():
        start, end = berlin("2026-01-01 10:00"), datetime(9999, 12, 30, tzinfo=UTC)
        for title, repeat, until in (("Endlos einzeln", Repeat.NONE, None),
                                      ("Endlos wöchentlich", Repeat.WEEKLY, date(9999, 12, 30))):
            db.session.execute(insert(Event).values(
                uid=f"absurd-{title}@test", title=title, description="", description_html="", place="", contact="",
                starts_at=start, ends_at=end if repeat == Repeat.NONE else start + timedelta(hours=2), repeat=repeat,
                interval=1, weekdays="TH" if repeat == Repeat.WEEKLY else "", until=until, span_start=start,
                span_end=end, all_day=False, cancelled=False, sequence=0, created_at=start, updated_at=start))
        db.session.commit()
        absurd = db.session.scalar(select(Event.id).where(Event.title == "Endlos einzeln"))
    counter = Counting()
    monkeypatch.setattr(occurrences, "timedelta", counter)
    client = client_as("ehrenamt")
    html = client.get("/calendar/?month=2032-06").get_data(as_text=True)
    assert "Endlos einzeln" in html and "Endlos wöchentlich" in html
    assert counter.calls < 2000  # a month of days, not 8,000 years of them
    counter.calls = 0
    agenda = client.get("/calendar/agenda?from=2032-06-01")
    assert agenda.status_code == 200 and "Endlos einzeln" in agenda.get_data(as_text=True)
    assert counter.calls < 2000
    assert client.get(f"/calendar/events/{absurd}").status_code == 200
    with app.app_context():
        weekly = db.session.scalar(select(Event).where(Event.title == "Endlos wöchentlich"))
        found = occurrences.expand(weekly, berlin("2032-06-01 00:00"), berlin("2032-07-01 00:00"))
    assert len(found) == 4  # the Thursdays of June 2032


# --- 18.13: recurrence wording -----------------------------------------------------------------------------

@pytest.mark.parametrize("repeat, start, interval, weekdays, until, count, text", [
    ("weekly", "2026-12-07 18:00", 1, ["MO"], date(2026, 12, 31), None, "jeden Montag bis 31.12.2026"),
    ("weekly", "2026-12-07 18:00", 1, ["WE", "MO"], date(2026, 12, 31), None,
     "jeden Montag und Mittwoch bis 31.12.2026"),
    ("weekly", "2026-12-07 18:00", 1, ["MO", "WE", "FR"], None, 10,
     "jeden Montag, Mittwoch und Freitag, insgesamt 10 Termine"),
    ("weekly", "2026-12-07 18:00", 2, ["MO"], date(2027, 6, 30), None, "alle 2 Wochen am Montag bis 30.06.2027"),
    ("weekly", "2026-12-07 18:00", 2, ["MO", "TH"], None, 8, "alle 2 Wochen am Montag und Donnerstag, insgesamt 8 Termine"),
    ("weekly", "2026-12-07 09:00", 1, ["MO", "TU", "WE", "TH", "FR"], date(2027, 1, 29), None,
     "werktags (Montag bis Freitag) bis 29.01.2027"),
    ("weekly", "2026-12-07 09:00", 1, ["MO", "TU", "WE", "TH", "FR", "SA", "SU"], None, 14,
     "jeden Tag, insgesamt 14 Termine"),
    ("monthly_date", "2026-12-15 10:00", 1, [], None, 6, "monatlich am 15., insgesamt 6 Termine"),
    ("monthly_date", "2026-12-15 10:00", 3, [], date(2027, 12, 31), None, "alle 3 Monate am 15. bis 31.12.2027"),
    ("monthly_weekday", "2026-12-08 10:00", 1, [], date(2027, 6, 30), None, "monatlich am 2. Dienstag bis 30.06.2027"),
    ("monthly_weekday", "2026-12-29 10:00", 1, [], None, 12, "monatlich am letzten Dienstag, insgesamt 12 Termine"),
    ("monthly_weekday", "2026-12-02 10:00", 2, [], None, 4, "alle 2 Monate am 1. Mittwoch, insgesamt 4 Termine"),
])
def test_recurrence_reads_like_german(repeat, start, interval, weekdays, until, count, text):
    begin = berlin(start)
    schedule = Schedule(start=begin, end=begin + timedelta(hours=2), repeat=Repeat(repeat), interval=interval,
                        weekdays=weekdays, until=until, count=count)
    assert schedule.describe() == text


# --- 19.19: a time the clocks skip ---------------------------------------------------------------------------

def test_a_time_skipped_by_the_summer_time_change_is_refused_not_moved(app, client_as):
    volunteer = client_as("ehrenamt")
    data = valid_form(app, repeat="none", start_date="2026-03-29", start_time="02:30", end_time="03:00")
    response = volunteer.post("/calendar/events/new", data=data)
    assert response.status_code == 422
    text = errors(response)
    assert "Diese Uhrzeit gibt es am 29.03.2026 wegen der Zeitumstellung nicht." in text
    assert "Ende liegt vor dem Beginn" not in text
    ending = volunteer.post("/calendar/events/new", data=valid_form(
        app, repeat="none", start_date="2026-03-29", start_time="01:00", end_time="02:15"))
    assert "Diese Uhrzeit gibt es am 29.03.2026 wegen der Zeitumstellung nicht." in errors(ending)
    with app.app_context():
        assert db.session.scalar(select(Event.id).where(Event.title == "Spielenachmittag")) is None
    # the same day at 03:00 is an ordinary time
    fine = volunteer.post("/calendar/events/new", data=valid_form(
        app, repeat="none", start_date="2026-03-29", start_time="03:00", end_time="04:00"))
    assert fine.status_code == 303


def test_moving_a_date_into_the_gap_is_refused(app, client_as):
    with app.app_context():
        eid = weekly_cafe("ehrenamt", start="2027-03-05 15:00", until=date(2027, 4, 30)).id
    response = client_as("ehrenamt").post(f"/calendar/events/{eid}/dates/20270326T140000Z/move",
                                          data={"start_date": "2027-03-28", "start_time": "02:30", "end_time": "04:00"})
    assert response.status_code == 422
    assert "Diese Uhrzeit gibt es am 28.03.2027 wegen der Zeitumstellung nicht." in errors(response)


def test_the_list_of_feed_addresses_costs_the_same_queries_with_more_addresses(app, client_as, count_queries):
    staff = client_as("fachkraft")
    new_feed(staff, name="Erstes")
    staff.get("/calendar/subscribe")  # warm: session, places
    with count_queries() as one:
        staff.get("/calendar/subscribe")
    for n in range(6):
        new_feed(staff, name=f"Abo {n}", category="fest")
    with count_queries() as seven:
        page = staff.get("/calendar/subscribe").get_data(as_text=True)
    assert page.count('class="feedlist__item"') == 7
    assert seven.count == one.count
