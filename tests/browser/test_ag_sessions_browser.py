"""AG 78, issue 15 in a real browser: minutes of a future meeting cannot be published (the page
says why instead of offering the button); a member asks for a change to one TOP and the Protokoll
refuses it with a reason.

Data: the AG of tests/factories/ag.py (``build_ag``)."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.formatting import heute
from tests.browser.conftest import check_page
from tests.factories.ag import build_ag, meeting


@pytest.fixture
def ag(live_server):
    return build_ag(live_server.app)


def test_minutes_of_a_future_meeting_cannot_be_published(page_as, live_server, ag):
    with live_server.app.app_context():
        meeting(ag, 3).date = heute() + timedelta(days=14)
        db.session.commit()
        path = ag.url(3)
    protokoll = page_as("protokoll")
    protokoll.goto(path)
    expect(protokoll.locator("#publish-blocked")).to_contain_text("Sitzung hat noch nicht begonnen")
    expect(protokoll.get_by_role("button", name="Veröffentlichen")).to_have_count(0)
    check_page(protokoll)


def test_change_request_for_a_top_is_refused_with_a_reason(page_as, live_server, ag):
    with live_server.app.app_context():
        path = ag.url(2)
    member = page_as("ag_mitglied")
    member.goto(path)
    member.get_by_label(re.compile("Zu welchem TOP")).select_option(index=1)
    member.get_by_label("Änderungswunsch").fill("Bitte die Gegenstimme der AWO ergänzen.")
    member.get_by_role("button", name="Änderungswunsch senden").click()
    expect(member.get_by_text("Bitte die Gegenstimme der AWO ergänzen.")).to_be_visible()
    check_page(member)

    protokoll = page_as("protokoll")
    protokoll.goto(path)
    protokoll.get_by_text("Beantworten").click()
    protokoll.get_by_label("Entscheidung").select_option("abgelehnt")
    protokoll.get_by_role("button", name="Antwort speichern").click()
    expect(protokoll.get_by_text("Bitte begründe die Ablehnung.").first).to_be_visible()
    check_page(protokoll)
    protokoll.get_by_label("Antwort", exact=True).fill("Die AWO hat zugestimmt.")
    protokoll.get_by_role("button", name="Antwort speichern").click()
    expect(protokoll.get_by_text("Die AWO hat zugestimmt.")).to_be_visible()
    check_page(protokoll)
