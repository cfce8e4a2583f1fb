"""The calendar as people use it: a volunteer on her phone enters a weekly event and finds it in
the month and the list; a staff member subscribes and her calendar app gets exactly those dates."""
import re
import urllib.request
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from playwright.sync_api import expect

from portal.calendar import occurrences
from tests.browser.conftest import check_page
from tests.factories.calendar import make_event, make_ortsteil, move_date, weekly_cafe

NOW = datetime(2026, 11, 21, 11, 0, tzinfo=timezone.utc)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(occurrences, "utcnow", lambda: NOW)


@pytest.fixture
def cafe(live_server):
    """The Taubach volunteer's weekly Friday series ("Wochencafé"), 4 December moved to Saturday 10:00."""
    with live_server.app.app_context():
        event = weekly_cafe("ehrenamt")
        move_date(event, "2026-12-04 15:00", "2026-12-05 10:00")
        return {"uid": event.uid, "title": event.title, "ortsteil": event.ortsteil.name}


def test_volunteer_adds_a_weekly_event_on_her_phone_and_finds_it_in_month_and_list(page_as):
    page = page_as("ehrenamt", phone=True)
    page.goto("/calendar/")
    expect(page.get_by_role("heading", name="November 2026", exact=True)).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Termin eintragen").click()
    check_page(page)

    page.get_by_label("Titel").fill("Tanzgruppe für Kinder")
    expect(page.get_by_label("Für wen?")).to_have_value(re.compile(r"ortsteil:\d+"))
    page.get_by_label(re.compile(r"^Datum")).fill("2026-11-24")
    page.get_by_label("Beginn").fill("17:00")
    page.get_by_label("Ende (Uhrzeit)").fill("16:00")  # a slip: ends before it starts
    page.get_by_text("Wiederholung (z. B. jeden Freitag)").click()
    page.get_by_label("Wiederholung", exact=True).select_option("weekly")
    page.get_by_label("Dienstag").check()
    page.get_by_label("Wiederholen bis einschließlich").fill("2027-01-26")
    page.get_by_label("Ort", exact=True).fill("Gemeindehaus Taubach")
    page.get_by_role("button", name="Termin speichern").click()
    expect(page.get_by_text("Das Ende liegt vor dem Beginn")).to_be_visible()
    expect(page.get_by_label("Titel")).to_have_value("Tanzgruppe für Kinder")
    check_page(page)
    page.get_by_label("Ende (Uhrzeit)").fill("18:30")
    page.get_by_role("button", name="Termin speichern").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tanzgruppe für Kinder")
    expect(page.get_by_text("jeden Dienstag bis 26.01.2027")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="← Zum Kalender").click()
    day_list = page.locator(".cal-daylist")
    expect(day_list.get_by_role("link", name="Tanzgruppe für Kinder")).to_have_count(1)  # 24.11.
    page.get_by_role("link", name="Nächster Monat").click()
    expect(page).to_have_url(re.compile(r"month=2026-12"))
    expect(page.get_by_role("heading", name="Dezember 2026", exact=True)).to_be_visible()
    expect(day_list.get_by_role("link", name="Tanzgruppe für Kinder")).to_have_count(5)
    check_page(page)

    page.get_by_role("link", name="Liste").click()
    expect(page.get_by_role("link", name="Tanzgruppe für Kinder").first).to_be_visible()
    check_page(page)


def test_volunteer_filters_on_her_phone_and_keeps_the_dates_for_everybody(page_as, live_server, cafe):
    with live_server.app.app_context():
        make_event(ortsteil=make_ortsteil("Anderort"), title="Kinderdisco", start="2027-01-12 18:00")
    page = page_as("ehrenamt", phone=True)
    page.goto("/calendar/?month=2027-01")
    day_list = page.locator(".cal-daylist")
    # the filters fold away on a phone
    expect(page.get_by_label("Ortsteil")).to_be_hidden()
    page.get_by_text("Termine filtern").click()
    expect(day_list.get_by_role("link", name="Kinderdisco")).to_have_count(1)
    page.get_by_label("Ortsteil").select_option(label=cafe["ortsteil"])
    expect(page).to_have_url(re.compile(r"ortsteil=\d+"))
    expect(day_list.get_by_role("link", name="Wochencafé").first).to_be_visible()
    expect(day_list.get_by_role("link", name="Kinderdisco")).to_have_count(0)  # another Ortsteil
    # AG dates concern everybody; the meeting itself only opens for members, so no link for her
    expect(day_list.locator(".cal-occ__title", has_text=re.compile("AG 78"))).to_have_count(1)
    expect(day_list.get_by_role("link", name=re.compile("AG 78"))).to_have_count(0)
    check_page(page)
    page.get_by_label("Nur Termine genau dieses Orts").check()
    expect(page).to_have_url(re.compile(r"only_here=1"))
    expect(day_list.locator(".cal-occ__title", has_text=re.compile("AG 78"))).to_have_count(0)
    expect(day_list.get_by_role("link", name="Wochencafé").first).to_be_visible()
    check_page(page)


def test_staff_subscribes_and_the_feed_has_exactly_the_dates_the_portal_shows(page_as, live_server, cafe):
    with live_server.app.app_context():
        fest = make_event(title="Lichterfest", category="fest", start="2026-12-12 16:00").uid
    page = page_as("fachkraft")
    page.goto("/calendar/?month=2026-12")
    check_page(page)
    grid = page.locator(".cal-grid")
    portal_dates = set()
    for item in grid.locator("[data-occurrence]").all():
        if item.get_attribute("data-dropped") is None:
            portal_dates.add(item.get_attribute("data-occurrence"))
    expect(grid.get_by_text("Wochencafé").first).to_be_visible()
    assert any(d.startswith(fest) for d in portal_dates)

    # filtering via htmx updates the address and leaves only that kind
    page.get_by_label("Art").select_option("fest")
    expect(page).to_have_url(re.compile(r"category=fest"))
    expect(grid.locator(f'[data-occurrence^="{fest}"]')).to_have_count(1)
    expect(grid.locator("[data-occurrence]:not(.cal-occ--fest)")).to_have_count(0)
    expect(grid.get_by_text("Wochencafé")).to_have_count(0)
    check_page(page)

    page.get_by_role("link", name="Kalender abonnieren").click()
    check_page(page)
    page.get_by_role("button", name="Abo-Adresse erzeugen").click()
    url = page.get_by_role("textbox", name="Abo-Adresse").input_value()
    check_page(page)

    base = re.match(r"https?://[^/]+", page.url).group(0)
    with urllib.request.urlopen(url.replace("http://localhost", base)) as response:  # no cookie
        cal = icalendar.Calendar.from_ical(response.read())
    start, end = datetime(2026, 11, 30, tzinfo=BERLIN), datetime(2027, 1, 4, tzinfo=BERLIN)
    feed_dates = {f"{e['UID']}|{e.decoded('DTSTART').astimezone(timezone.utc).isoformat()}"
                  for e in recurring_ical_events.of(cal).between(start, end)}
    assert feed_dates == portal_dates
    assert f"{cafe['uid']}|2026-12-05T09:00:00+00:00" in feed_dates  # the moved date


def test_creator_moves_one_date_of_the_series(page_as, cafe):
    page = page_as("ehrenamt")
    page.goto("/calendar/?month=2027-01")
    page.locator(".cal-grid").get_by_role("link", name="Wochencafé").first.click()
    page.get_by_role("link", name="Verschieben (08.01.2027)").click()
    check_page(page)
    page.get_by_label("Beginn").fill("16:00")
    page.get_by_label("Ende").fill("18:00")
    page.get_by_label("Hinweis").fill("eine Stunde später")
    page.get_by_role("button", name="Termin verschieben").click()
    expect(page.get_by_text("statt 08.01.2027, 15:00 Uhr · eine Stunde später")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Fällt aus (15.01.2027)").click()
    check_page(page)
    page.get_by_role("button", name="Dieser Termin fällt aus").click()
    expect(page.get_by_text("Der Termin am 15.01.2027 fällt aus.")).to_be_visible()
    page.get_by_text("Löschen …").click()
    check_page(page)
    page.get_by_role("button", name="Ja, endgültig löschen").click()
    expect(page.get_by_text("„Wochencafé“ ist gelöscht.")).to_be_visible()
    expect(page.locator(".cal-grid").get_by_role("link", name="Wochencafé")).to_have_count(0)


def test_copy_button_puts_the_new_feed_address_on_the_clipboard_and_says_so(page_as):
    page = page_as("fachkraft", phone=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/calendar/subscribe")
    page.get_by_role("button", name="Abo-Adresse erzeugen").click()
    url = page.get_by_role("textbox", name="Abo-Adresse").input_value()
    assert "/calendar/feed/" in url
    page.get_by_role("button", name="Adresse kopieren").click()
    expect(page.get_by_role("button", name="Kopiert")).to_be_visible()
    expect(page.locator("#announcer")).to_have_text("Adresse kopiert.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    check_page(page)
