"""Projektanträge in a real browser: a Fachkraft drafts and submits, the Leitung asks back, the
Fachkraft revises, the Leitung sees what changed and approves; the project is listed and counted
for the 15 % target. axe and CSP are checked on every page on the way."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.proposals.models import Indicator, ProposalState
from tests.browser.conftest import DESKTOP, check_page, login_in_browser
from tests.factories.proposals import make_proposal, remove_demo_proposals

S = ProposalState
TITLE = "Kiezdetektive Schöndorf"
#: Made by the factory for each test (no demo proposals).
RUNNING = "Nachbarschaftstreff Nord"    # AWO, Nord, approved, 4 h a week through 2026
WAITING = "Tanzgruppe Taubach"          # Caritas, Mitte/Süd, waiting for the Leitung


@pytest.fixture(autouse=True)
def proposals(live_server):
    with live_server.app.app_context():
        remove_demo_proposals()
        make_proposal(S.FREIGEGEBEN, title=RUNNING, hours_per_week=4, report_text="",
                      starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                      indicators=[Indicator(position=0, indicator="Besuche pro Monat", method="Strichliste"),
                                  Indicator(position=1, indicator="Helfende", method="Liste")])
        make_proposal(S.EINGEREICHT, traeger="Caritas", raum="mitte-sued", title=WAITING)
        db.session.commit()


def label(scope, text):
    """The field labelled exactly ``text`` (the label may end with the required-marker *)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(text)}( \*)?$"))


def fill_formblatt(page):
    label(page, "Titel").fill(TITLE)
    page.get_by_label("Sozialraum / Stadtteilbüro").select_option(label="Nord/Schöndorf")
    page.get_by_label("Schöndorf (Nord/Schöndorf)").check()
    page.get_by_label("Zielgruppe").fill("Kinder 8–12 Jahre")
    page.get_by_label("Thema/Inhalt").fill("Kinder erkunden mit einer Fachkraft ihren Stadtteil und zeigen ihn anderen.")
    page.get_by_label("Stundenumfang (Fachleistungsstunden pro Woche)").fill("3")
    label(page, "Beginn").fill("2026-01-01")
    label(page, "Ende").fill("2026-12-31")
    page.get_by_label("Erhoffte Wirkung auf den Sozialraum").fill("Kinder nutzen Angebote im Stadtteil.")
    first = page.get_by_role("group", name="Wirkungsindikator 1")
    label(first, "Indikator").fill("Kinder pro Erkundung")
    first.get_by_label("Erhebungsmethode").fill("Strichliste")
    first.get_by_label("Ausgangswert").fill("0")
    first.get_by_label("Zielwert").fill("8")


def test_proposal_from_draft_through_rueckfrage_to_approval_and_the_15_percent_page(page_as):
    fachkraft = page_as("fachkraft", phone=True)
    fachkraft.goto("/proposals/")
    check_page(fachkraft)
    fachkraft.get_by_role("link", name="Neuen Antrag anlegen").click()
    fill_formblatt(fachkraft)
    # a second indicator row, added in place (htmx) with everything typed kept
    fachkraft.get_by_role("button", name="+ Weitere Zeile").click()
    second = fachkraft.get_by_role("group", name="Wirkungsindikator 2")
    expect(label(second, "Indikator")).to_be_focused()
    expect(label(fachkraft, "Titel")).to_have_value(TITLE)
    label(second, "Indikator").fill("Neue Angebote, die Kinder nutzen")
    second.get_by_label("Erhebungsmethode").fill("Abfrage in der Gruppe")
    check_page(fachkraft)
    fachkraft.get_by_role("button", name="Entwurf speichern", exact=True).last.click()
    expect(fachkraft.get_by_text("Entwurf gespeichert.")).to_be_visible()
    expect(fachkraft.get_by_role("heading", level=1)).to_have_text(TITLE)
    check_page(fachkraft)
    fachkraft.get_by_role("button", name="Einreichen").click()
    expect(fachkraft.locator(".proposal__state")).to_contain_text("Eingereicht")
    detail_url = fachkraft.url

    leitung = page_as("leitung")
    leitung.goto("/proposals/inbox")
    check_page(leitung)
    leitung.get_by_role("link", name=TITLE).click()
    check_page(leitung)
    leitung.get_by_label("Begründung oder Kommentar").fill("Bitte nennt für Indikator 2 einen Zielwert.")
    leitung.get_by_role("button", name="Rückfrage senden").click()
    expect(leitung.get_by_role("heading", name="Rückfrage der Leitung")).to_be_visible()
    check_page(leitung)

    fachkraft.goto(detail_url)
    expect(fachkraft.get_by_text("Bitte nennt für Indikator 2 einen Zielwert.").first).to_be_visible()
    check_page(fachkraft)
    fachkraft.get_by_role("link", name="Antrag überarbeiten").click()
    fachkraft.get_by_role("group", name="Wirkungsindikator 2").get_by_label("Zielwert").fill("3")
    fachkraft.get_by_label("Stundenumfang (Fachleistungsstunden pro Woche)").fill("4")
    check_page(fachkraft)
    fachkraft.get_by_role("button", name="Einreichen").click()
    expect(fachkraft.locator(".proposal__state")).to_contain_text("Eingereicht")

    leitung.goto(detail_url)
    changes = leitung.get_by_role("region", name="Geändert seit der 1. Einreichung")
    expect(changes.get_by_role("row", name=re.compile("Stundenumfang pro Woche"))).to_contain_text("3,0")
    expect(changes.get_by_role("row", name=re.compile("Stundenumfang pro Woche"))).to_contain_text("4,0")
    expect(changes.get_by_role("row", name=re.compile("Wirkungsindikatoren"))).to_contain_text("Zielwert 3")
    check_page(leitung)
    leitung.get_by_role("button", name="Freigeben").click()
    expect(leitung.locator(".proposal__state")).to_contain_text("Freigegeben")
    check_page(leitung)

    leitung.get_by_role("link", name="Freigegebene Projekte").click()
    nord = leitung.get_by_role("region", name="Sozialraum Nord/Schöndorf")
    expect(nord.get_by_role("heading", name=f"„{TITLE}“")).to_be_visible()
    check_page(leitung)

    leitung.goto("/proposals/target?year=2026")
    check_page(leitung)
    january = leitung.get_by_role("table", name="Monatswerte 2026, Sozialraum Nord/Schöndorf") \
        .get_by_role("row", name=re.compile("Januar 2026"))
    # the running project (4 h) and the new one (4 h) run all January: 2 x 4 x 31/7 = 35.4 h
    expect(january).to_contain_text("35,4")
    expect(leitung.get_by_role("img", name="Anteil der Projektstunden je Monat 2026, Sozialraum Nord/Schöndorf")).to_be_visible()

    leitung.goto(detail_url)
    leitung.emulate_media(media="print")
    expect(leitung.get_by_role("navigation", name="Hauptnavigation")).to_be_hidden()
    expect(leitung.get_by_role("heading", name="Formblatt")).to_be_visible()


def test_indicator_rows_work_without_javascript(browser, live_server):
    ctx = browser.new_context(viewport=DESKTOP, base_url=live_server.base_url, java_script_enabled=False,
                              locale="de-DE")
    page = ctx.new_page()
    try:
        login_in_browser(page, "fachkraft@awo.example")
        page.goto("/proposals/new")
        label(page, "Titel").fill(TITLE)
        label(page.get_by_role("group", name="Wirkungsindikator 1"), "Indikator").fill("Kinder pro Treffen")
        page.get_by_role("button", name="+ Weitere Zeile").click()
        expect(page.get_by_role("group", name="Wirkungsindikator 2")).to_be_visible()
        expect(label(page, "Titel")).to_have_value(TITLE)
        page.get_by_role("button", name="Entfernen (Wirkungsindikator 1)").click()
        expect(page.get_by_role("group", name="Wirkungsindikator 2")).to_have_count(0)
        expect(label(page.get_by_role("group", name="Wirkungsindikator 1"), "Indikator")).to_have_value("")
        page.get_by_role("button", name="Einreichen").click()
        expect(page.get_by_text("Bitte beschreibe die Zielgruppe.")).to_be_visible()
        expect(label(page, "Titel")).to_have_value(TITLE)
    finally:
        ctx.close()


def test_report_hze_hours_and_refusals_are_accessible(page_as):
    leitung = page_as("leitung")
    leitung.goto("/proposals/inbox")
    leitung.get_by_role("link", name=WAITING).click()
    # a Rückfrage without a reason: the message sits at the field
    leitung.get_by_role("button", name="Rückfrage senden").click()
    expect(leitung.get_by_text("Bitte gib eine Begründung an.")).to_be_visible()
    check_page(leitung)

    leitung.goto("/proposals/target/hours")
    check_page(leitung)
    leitung.get_by_label("Sozialraum").select_option(label="West")
    leitung.get_by_label(re.compile(r"^Monat")).fill("2026-07")
    leitung.get_by_label(re.compile(r"^Stunden ambulanter Hilfen")).fill("1.200,5")
    leitung.get_by_role("button", name="Speichern").click()
    expect(leitung.get_by_text("HzE-Stunden für 07/2026 gespeichert.")).to_be_visible()
    july = leitung.get_by_role("table", name="Monatswerte 2026, Sozialraum West").get_by_role(
        "row", name=re.compile("Juli 2026"))
    expect(july).to_contain_text("1.200,5")

    fachkraft = page_as("fachkraft", phone=True)
    fachkraft.goto("/proposals/")
    fachkraft.get_by_role("link", name=RUNNING).click()
    fachkraft.get_by_role("link", name="Wirkungsbericht schreiben").click()
    check_page(fachkraft)
    fachkraft.get_by_role("group", name="Besuche pro Monat").get_by_label("Ist-Wert").fill("35")
    fachkraft.get_by_label(re.compile(r"^Wirkungsbericht")).fill("Der Treff ist im Stadtteil angekommen.")
    fachkraft.get_by_role("button", name="Wirkungsbericht einreichen").click()
    expect(fachkraft.locator(".proposal__state")).to_contain_text("Wirkungsbericht eingereicht")
    check_page(fachkraft)

    # the Leitung sends the report back with a reason; the Fachkraft sees why
    leitung.goto("/proposals/inbox")
    leitung.get_by_role("link", name=RUNNING).click()
    leitung.get_by_role("button", name="Zurückgeben").click()
    expect(leitung.get_by_text("Bitte gib eine Begründung an.")).to_be_visible()
    check_page(leitung)
    leitung.get_by_label("Kommentar zum Wirkungsbericht").fill("Bitte auch die Helfenden zählen.")
    leitung.get_by_role("button", name="Zurückgeben").click()
    expect(leitung.locator(".proposal__state")).to_contain_text("Freigegeben")
    fachkraft.reload()
    expect(fachkraft.get_by_role("region", name="Wirkungsbericht zurückgegeben")).to_contain_text(
        "Bitte auch die Helfenden zählen.")
    check_page(fachkraft)
