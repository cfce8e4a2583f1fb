"""Portal-wide search in the browser: the header field at a desk, the bottom-bar tab on a phone,
live results while typing, the plain form, axe on the search page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page


def test_header_field_then_live_results_at_a_desk(page_as):
    page = page_as("ehrenamt")
    page.goto("/")
    page.get_by_label("Im Portal suchen").fill("Laternenumzug")
    page.get_by_label("Im Portal suchen").press("Enter")
    page.wait_for_url(re.compile(r"/suche\?q=Laternenumzug"))
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name=re.compile("Laternenumzug"))).not_to_have_count(0)
    expect(results.locator("mark").first).to_have_text(re.compile("Laternenumzug", re.I))
    # live: typing into the page's field replaces the results without a page load
    page.get_by_label("Suchbegriff").fill("Familiencafe")
    expect(results.get_by_role("link", name=re.compile("Familiencafé"))).not_to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=Familiencafe"))
    check_page(page)


def test_bottom_bar_search_and_type_filter_on_a_phone(page_as):
    page = page_as("ag_mitglied", phone=True)
    page.goto("/")
    expect(page.get_by_label("Im Portal suchen")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    nav.get_by_role("link", name="Suche").click()
    page.wait_for_url(re.compile(r"/suche"))
    page.get_by_label("Suchbegriff").fill("Kinder")
    page.get_by_label("Art").select_option("termin")
    page.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(r"art=termin"))
    expect(page.locator("#search-results")).to_contain_text("Treffer")
    expect(page.locator(".results__kind").first).to_have_text("Termin")
    for kind in page.locator(".results__kind").all_inner_texts():
        assert kind == "Termin"
    check_page(page)


@pytest.mark.parametrize("phone", [True, False], ids=["390px", "1280px"])
def test_search_page_without_query_passes_axe(page_as, phone):
    page = page_as("leitung", phone=phone)
    page.goto("/suche")
    expect(page.get_by_role("heading", level=1, name="Suche")).to_be_visible()
    check_page(page)
