"""Start page "Für dich" per role, on a phone and at a desk, with axe."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page

CASES = {
    # role: (a link the person must see on the start page, whether the AG tab is in the bottom bar)
    "leitung": ("Zur 15-%-Übersicht", True),
    "fachkraft": ("Kalender in Outlook oder Thunderbird abonnieren", False),
    "ehrenamt": ("Kalender in Outlook oder Thunderbird abonnieren", False),
    "ag_mitglied": ("Kalender in Outlook oder Thunderbird abonnieren", True),
}


@pytest.mark.parametrize("phone", [True, False], ids=["390px", "1280px"])
@pytest.mark.parametrize("role", list(CASES))
def test_start_page_shows_the_persons_blocks_and_navigation(page_as, role, phone):
    link, ag_tab = CASES[role]
    page = page_as(role, phone=phone)
    page.goto("/")
    for heading in ("Zu erledigen", "Neu seit deinem letzten Besuch", "Als Nächstes"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(page.get_by_role("link", name=link)).to_be_visible()
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Kalender")).to_be_visible()
    expect(nav.get_by_role("link", name="AG 78")).to_have_count(1 if ag_tab else 0)
    if role == "leitung":
        expect(page.get_by_role("heading", level=2, name="Zielvorgabe 15 %")).to_be_visible()
    else:
        expect(page.get_by_role("heading", level=2, name="Zielvorgabe 15 %")).to_have_count(0)
    check_page(page)
