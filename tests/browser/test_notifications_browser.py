"""Benachrichtigungen in the browser: the bell, the list, opening an entry, settings; and the whole
way from the Leitung's Rückfrage to the Träger landing on the proposal."""
from __future__ import annotations

import inspect
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import notify
from portal.proposals.models import ProposalState
from tests.browser.conftest import check_page
from tests.conftest import get_user
from tests.factories.notify import make_proposal


def _submitted_proposal(app, title: str) -> int:
    """A submitted proposal of the demo Fachkraft's Träger, built by the factory."""
    with app.app_context():
        fachkraft = get_user("fachkraft")
        proposal = make_proposal(fachkraft.traeger, get_user("koordination").sozialraum, state=ProposalState.EINGEREICHT, title=title, target_group="Eltern",
                                 content="Ein offenes Café.", hours_per_week=2.0, starts_on=date(2027, 1, 1),
                                 ends_on=date(2027, 12, 31), expected_effect="Eltern kennen einander.",
                                 contact_person="Thomas Becker")
        db.session.commit()
        return proposal.id


def test_bell_list_open_and_read(page_as, live_server):
    app = live_server.app
    with app.app_context():
        notify([get_user("fachkraft")], "proposal_commented", subject_key="proposal:0", subject_title="Test",
               text="Koordination hat die Diskussion zu „Lesecafé“ kommentiert", url="/proposals/")
        db.session.commit()
    page = page_as("fachkraft")
    bell = page.locator(".site-header").get_by_role("link", name=re.compile("Benachrichtigungen"))
    expect(bell).to_contain_text("1")
    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Benachrichtigungen")
    check_page(page)
    page.get_by_role("button", name=re.compile("Lesecafé")).click()
    expect(page).to_have_url(re.compile(r"/proposals/$"))
    expect(page.locator(".site-header .bell .badge")).to_have_count(0)

    page.goto("/notifications/settings")
    check_page(page)
    page.get_by_label("Kommentar in der Diskussion eines Antrags").select_option(label="Wöchentliche Zusammenfassung")
    page.get_by_role("button", name="Einstellungen speichern").click()
    expect(page.get_by_text("Deine Einstellungen sind gespeichert.")).to_be_visible()
    expect(page.get_by_label("Kommentar in der Diskussion eines Antrags")).to_have_value("woechentlich")


def test_all_read_with_htmx_on_a_phone(page_as, live_server):
    app = live_server.app
    with app.app_context():
        for i in range(3):
            notify([get_user("ehrenamt")], "post_commented", subject_key=f"post:{i}", subject_title="T",
                   text=f"Jemand hat deinen Beitrag {i} kommentiert", url="/board/")
        db.session.commit()
    page = page_as("ehrenamt", phone=True)
    bell = page.locator(".mainnav").get_by_role("link", name=re.compile("Benachrichtigungen"))
    expect(bell).to_contain_text("3")
    bell.click()
    check_page(page)
    page.get_by_role("button", name="Alle als gelesen markieren").click()
    expect(page.locator(".notification--unread")).to_have_count(0)
    expect(page.locator(".mainnav .bell .badge")).to_have_count(0)  # the bell heard "notifications-read"


def _proposals_send_signals() -> bool:
    from portal.proposals import services

    return "proposal_returned" in inspect.getsource(services)


@pytest.mark.skipif(not _proposals_send_signals(),
                    reason="needs the proposals operations that send portal.signals (branch i11-proposals)")
def test_rueckfrage_reaches_the_traeger_by_the_bell(page_as, live_server):
    """The Leitung sends a Rückfrage; the Träger sees the bell count, opens the entry, lands on the
    proposal; the entry is read."""
    title = "Nachbarschaftscafé Testweg"
    proposal_id = _submitted_proposal(live_server.app, title)

    leitung = page_as("leitung")
    leitung.goto(f"/proposals/{proposal_id}")
    leitung.get_by_label("Begründung oder Kommentar").fill("Bitte ergänzt den Zeitplan.")
    leitung.get_by_role("button", name="Rückfrage senden").click()
    expect(leitung.get_by_role("heading", name="Rückfrage der Leitung")).to_be_visible()

    traeger = page_as("fachkraft")
    bell = traeger.locator(".site-header").get_by_role("link", name=re.compile("Benachrichtigungen"))
    expect(bell.locator(".badge")).to_contain_text("1")
    bell.click()
    check_page(traeger)
    entry = traeger.get_by_role("button", name=f"Ungelesen: Leitung hat zu „{title}“ eine Rückfrage gestellt")
    expect(entry).to_be_visible()
    entry.click()
    expect(traeger).to_have_url(re.compile(rf"/proposals/{proposal_id}$"))
    expect(traeger.get_by_role("heading", level=1)).to_have_text(title)
    expect(traeger.locator(".site-header .bell .badge")).to_have_count(0)
    with live_server.app.app_context():
        entry_row = db.session.scalar(select(Notification).where(Notification.user_id == get_user("fachkraft").id,
                                                                 Notification.kind == "proposal_returned"))
        assert entry_row.read_at is not None
