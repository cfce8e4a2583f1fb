"""AG 78 Einladung in a real browser (issue 15 items 1 and 2), at 1280 px and 390 px: the Protokoll
sends an invitation inside the Ladungsfrist and one outside it (warning, reason required), a member
replies that their deputy comes, and the meeting page shows the expected quorum. axe on every page.

Data: tests/test_ag_invitations.py (``Case``)."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.ag import invitations
from portal.ag.models import MeetingStatus, Membership, ReplyAnswer, WorkingGroup
from portal.extensions import db
from portal.formatting import heute
from tests.browser.conftest import check_page
from tests.factories.ag import make_item, make_meeting
from tests.test_ag_invitations import Case


@pytest.mark.parametrize("phone", [False, True], ids=["1280px", "390px"])
def test_invite_inside_and_outside_the_ladungsfrist_and_reply_with_a_deputy(page_as, live_server, phone):
    app = live_server.app
    case = Case(app, days=30)
    with app.app_context():
        short = make_meeting(db.session.get(WorkingGroup, case.group_id), 2, heute() + timedelta(days=5),
                             status=MeetingStatus.GEPLANT)
        make_item(short, "Eilige Stellungnahme zur Jugendhilfeplanung")
        db.session.commit()
        short_url = f"/ag/{case.slug}/meetings/{short.id}/"

    protokoll = page_as("protokoll", phone=phone)
    # inside the Ladungsfrist
    protokoll.goto(case.url())
    check_page(protokoll)
    protokoll.get_by_role("link", name="Einladung versenden").click()
    expect(protokoll.get_by_text("Die Ladungsfrist ist eingehalten.")).to_be_visible()
    check_page(protokoll)
    protokoll.get_by_role("button", name="Einladung versenden").click()
    expect(protokoll.get_by_text("Die Einladung zur 1. Sitzung ist an die Mitglieder verschickt.")).to_be_visible()
    expect(protokoll.locator("#erwartet")).to_contain_text("Voraussichtlich nicht beschlussfähig")

    # outside the Ladungsfrist: warned, and a reason is required
    protokoll.goto(short_url)
    expect(protokoll.get_by_text("ist nicht eingehalten").first).to_be_visible()
    protokoll.get_by_role("link", name="Einladung versenden").click()
    protokoll.get_by_role("button", name="Trotzdem einladen").click()
    expect(protokoll.get_by_text("bitte begründe, warum du trotzdem einlädst")).to_be_visible()
    check_page(protokoll)
    protokoll.get_by_label("Begründung für die kurze Ladungsfrist").fill("Der JHA tagt schon in zwei Wochen.")
    protokoll.get_by_role("button", name="Trotzdem einladen").click()
    expect(protokoll.get_by_text("Begründung: Der JHA tagt schon in zwei Wochen.")).to_be_visible()
    check_page(protokoll)

    # a member replies: the deputy comes
    member = page_as("ag_mitglied", phone=phone)
    member.goto(case.url())
    member.get_by_label("Absage, meine Stellvertretung Vera Vertreterin kommt").check()
    member.get_by_role("button", name="Rückmeldung senden").click()
    expect(member.get_by_text("Deine Rückmeldung ist gespeichert")).to_be_visible()
    expect(member.get_by_text("Vertretungen (1)")).to_be_visible()
    expect(member.locator("#erwartet")).to_contain_text("1 von 6 stimmberechtigten Mitgliedern")
    check_page(member)

    # with the Protokoll's and three more Zusagen the AG will be quorate
    protokoll.goto(case.url())
    protokoll.get_by_label("Zusage: ich komme").check()
    protokoll.get_by_role("button", name="Rückmeldung senden").click()
    expect(protokoll.locator("#erwartet")).to_contain_text("2 von 6")
    with app.app_context():
        m = case.meeting()
        for membership_id in case.people[:2]:
            ms = db.session.get(Membership, membership_id)
            invitations.reply(m, ms.user, ReplyAnswer.ZUSAGE)
        db.session.commit()
    protokoll.reload()
    expect(protokoll.locator("#erwartet")).to_contain_text("Voraussichtlich beschlussfähig")
    expect(protokoll.locator("#erwartet")).to_contain_text("4 von 6")
    check_page(protokoll)
