"""Hilfe on the phone (390 px): from the board to the Kalender help, and the board's own help link."""
from playwright.sync_api import expect

from tests.browser.conftest import check_page


def test_volunteer_opens_help_from_the_board_and_reads_how_to_subscribe(page_as):
    page = page_as("ehrenamt", phone=True)
    page.goto("/board/taubach")
    page.get_by_role("banner").get_by_role("link", name="Hilfe", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hilfe")
    check_page(page)
    page.get_by_role("link", name="Hilfe: Kalender und Kalender-Abo").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hilfe: Kalender und Kalender-Abo")
    expect(page.get_by_role("heading", name="Android", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Thunderbird", exact=True)).to_be_visible()
    expect(page.get_by_text("ICSx⁵").first).to_be_visible()
    check_page(page)

    page.goto("/board/taubach")
    page.get_by_role("link", name="Hilfe zur Pinnwand").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hilfe: Pinnwand")
    check_page(page)


def test_admin_sees_the_edit_button_on_a_help_page(page_as):
    page = page_as("admin")
    page.goto("/hilfe/budget")
    page.get_by_role("link", name="Hilfe-Seite bearbeiten").click()
    expect(page.get_by_label("Überschrift")).to_have_value("Hilfe: Kinder- und Jugendbudget")
    check_page(page)
