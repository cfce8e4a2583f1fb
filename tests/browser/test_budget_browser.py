"""Kinder- und Jugendbudget in a real browser, on a phone (390 px): a Taubach volunteer asks for
250 €, the Koordination Mitte/Süd approves, the volunteer books 238,40 € with a receipt, the
Taubach board shows what is left. The Legefeld volunteer cannot open the request. axe on every page."""
import re

import pytest
from playwright.sync_api import expect

from portal.auth.models import Role
from portal.budget.models import Budget
from portal.demo import ensure_user
from portal.extensions import db
from portal.formatting import jetzt
from tests.browser.conftest import check_page
from tests.conftest import DEMO_PASSWORD
from tests.factories.budget import make_budget

KOORDINATION = "koordination.mitte@portal.example"


@pytest.fixture(autouse=True)
def taubach(live_server):
    with live_server.app.app_context():
        ensure_user(KOORDINATION, "Jana Fischer", [Role.KOORDINATION], {"sozialraum": "mitte-sued"},
                    DEMO_PASSWORD, True)
        budget = make_budget("taubach", None)
        db.session.commit()
        return budget.left_cents


def test_ask_approve_book_and_see_what_is_left(page_as, live_server, tmp_path, taubach):
    year = jetzt().year
    volunteer = page_as("ehrenamt", phone=True)
    volunteer.goto("/budget/")
    check_page(volunteer)
    volunteer.get_by_role("link", name="Antrag für Taubach stellen").click()
    check_page(volunteer)
    volunteer.get_by_label(re.compile(r"^Wofür\?")).fill("Kochtöpfe für die Backgruppe")
    volunteer.get_by_label("Für welche Altersgruppe?").fill("8–12 Jahre")
    volunteer.get_by_label("Etwa wie viele Kinder und Jugendliche?").fill("14")
    volunteer.get_by_label(re.compile(r"^Betrag in Euro")).fill("250")
    volunteer.get_by_role("button", name="Antrag einreichen").click()
    expect(volunteer.get_by_role("heading", name="Kochtöpfe für die Backgruppe")).to_be_visible()
    expect(volunteer.get_by_text("wartet auf Entscheidung")).to_be_visible()
    check_page(volunteer)
    request_url = volunteer.url

    other = page_as("ehrenamt_legefeld", phone=True)
    response = other.goto(request_url)
    assert response.status == 404

    coordinator = page_as(KOORDINATION)
    coordinator.goto(request_url)
    check_page(coordinator)
    coordinator.get_by_role("button", name=re.compile("^Freigeben")).click()
    expect(coordinator.get_by_text("Freigegeben: „Kochtöpfe für die Backgruppe“.")).to_be_visible()

    volunteer.goto(request_url)
    check_page(volunteer)
    receipt = tmp_path / "kassenbon.pdf"
    receipt.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    volunteer.get_by_label(re.compile(r"^Ausgegebener Betrag in Euro")).fill("238,40")
    volunteer.get_by_label(re.compile(r"^Beleg")).set_input_files(str(receipt))
    volunteer.get_by_role("button", name="Ausgabe buchen").click()
    expect(volunteer.get_by_text("Gebucht: 238,40 €.")).to_be_visible()
    expect(volunteer.get_by_role("link", name="Beleg „kassenbon.pdf“")).to_be_visible()
    check_page(volunteer)

    left = taubach - 23840
    with live_server.app.app_context():
        from portal.budget.money import euro_short
        text = f"Budget {year}: noch {euro_short(left)} frei"
    volunteer.goto("/board/taubach")
    expect(volunteer.get_by_role("link", name=text)).to_be_visible()
    check_page(volunteer)


def test_overview_and_print_view_are_accessible(page_as):
    leitung = page_as("leitung")
    leitung.goto("/budget/")
    expect(leitung.get_by_role("table", name=re.compile("je Ortsteil"))).to_be_visible()
    check_page(leitung)
    leitung.goto("/budget/print")
    check_page(leitung)
