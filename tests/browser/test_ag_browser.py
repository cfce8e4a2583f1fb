"""AG 78 in a real browser: the Protokoll takes the minutes of a meeting and publishes them, a member
reads them, the Protokoll sees who read them, approval freezes the text, non-members get 404.

Data: the AG of tests/factories/ag.py (``build_ag``: "AG Prüf", 6 voting members, meetings 1–3)."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page
from tests.factories.ag import build_ag


@pytest.fixture
def ag(live_server):
    return build_ag(live_server.app)


def _meeting_path(live_server, ag, number: int) -> tuple[str, int]:
    with live_server.app.app_context():
        return ag.url(number), ag.first_item(number)


def _name(live_server, role: str) -> str:
    from tests.conftest import get_user

    with live_server.app.app_context():
        return get_user(role).display_name


def test_minutes_from_attendance_to_approval(page_as, live_server, ag):
    path, first_top = _meeting_path(live_server, ag, 3)

    # --- the Protokoll records attendance -------------------------------------------------------------
    protokoll = page_as("protokoll")
    protokoll.goto(path)
    expect(protokoll.get_by_role("heading", level=1)).to_contain_text("3. Sitzung")
    check_page(protokoll)
    protokoll.get_by_role("link", name="Anwesenheit erfassen").click()
    check_page(protokoll)
    protokoll.get_by_role("group", name=re.compile("Bernd Berg")).get_by_label("entschuldigt").check()
    protokoll.get_by_role("group", name=re.compile("Carla Conrad")).get_by_label("fehlt").check()
    protokoll.get_by_label("Gäste").fill("Gerda Winkler (Vorsitzende JHA)")
    protokoll.get_by_role("button", name="Anwesenheit speichern").click()
    expect(protokoll.get_by_text("4 von 6 stimmberechtigten Mitgliedern anwesend").first).to_be_visible()
    check_page(protokoll)

    # --- writes the minutes of TOP 1 with a decision and a task ---------------------------------------
    top = protokoll.get_by_role("region", name=re.compile(r"^TOP 1:"))
    top.get_by_role("link", name=re.compile("^Bearbeiten")).click()
    protokoll.get_by_label("Protokoll zu diesem TOP").fill(
        "Die Niederschrift wird ohne Aussprache behandelt.\n\n- keine Einwände\n- keine Ergänzungen")
    check_page(protokoll)
    protokoll.get_by_role("button", name="Speichern").click()
    top = protokoll.get_by_role("region", name=re.compile(r"^TOP 1:"))
    expect(top.get_by_role("listitem").filter(has_text="keine Einwände")).to_be_visible()

    top.get_by_text("Beschluss eintragen").click()
    top.get_by_label("Beschlusstext").fill("Die Niederschrift der 2. Sitzung wird genehmigt.")
    top.get_by_label(re.compile(r"^Ja\b")).fill("5")  # more than the 4 present
    top.get_by_role("button", name="Beschluss speichern").click()
    top = protokoll.get_by_role("region", name=re.compile(r"^TOP 1:"))
    expect(top.get_by_text("aber nur 4 stimmberechtigte Mitglieder sind anwesend")).to_be_visible()
    expect(top.get_by_label("Beschlusstext")).to_have_value("Die Niederschrift der 2. Sitzung wird genehmigt.")
    check_page(protokoll)
    top.get_by_label(re.compile(r"^Ja\b")).fill("3")
    top.get_by_label("Enthaltung").fill("1")
    top.get_by_role("button", name="Beschluss speichern").click()
    top = protokoll.get_by_role("region", name=re.compile(r"^TOP 1:"))
    expect(top.get_by_text("(3 Ja, 0 Nein, 1 Enthaltung)")).to_be_visible()

    top.get_by_text("Aufgabe eintragen").click()
    top.get_by_label("Aufgabe").fill("Niederschrift an den Jugendhilfeausschuss weiterleiten")
    top.get_by_label("verantwortlich").fill("Claudia Richter")
    top.get_by_label("Frist").fill("2027-02-15")
    top.get_by_role("button", name="Aufgabe speichern").click()
    top = protokoll.get_by_role("region", name=re.compile(r"^TOP 1:"))
    expect(top.get_by_text("Niederschrift an den Jugendhilfeausschuss weiterleiten")).to_be_visible()
    check_page(protokoll)

    # --- publishes -------------------------------------------------------------------------------------
    protokoll.get_by_text("Veröffentlichen", exact=True).first.click()
    protokoll.get_by_role("button", name="Veröffentlichen").click()
    expect(protokoll.get_by_text("Die Niederschrift ist veröffentlicht.")).to_be_visible()
    check_page(protokoll)

    # --- a member reads them on the phone: new, then read ---------------------------------------------
    member = page_as("ag_mitglied", phone=True)
    member.goto("/ag/")
    expect(member.get_by_text("2 neue Niederschriften")).to_be_visible()
    badge = member.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name=re.compile("^AG 78"))
    expect(badge).to_have_accessible_name(re.compile("2 neu zu lesen"))
    check_page(member)
    member.goto(path)
    expect(member.get_by_text("neu für dich")).to_be_visible()
    expect(member.get_by_text("(3 Ja, 0 Nein, 1 Enthaltung)")).to_be_visible()
    check_page(member)
    member.get_by_role("button", name="Als gelesen bestätigen").click()
    expect(member.get_by_text("Du hast diese Niederschrift gelesen.")).to_be_visible()
    expect(member.get_by_text("neu für dich")).to_have_count(0)
    expect(badge).to_have_accessible_name(re.compile("1 neu zu lesen"))  # the 2. Sitzung is still unread
    check_page(member)

    # --- the Protokoll sees who has read them ------------------------------------------------------------
    protokoll.goto(path)
    protokoll.get_by_role("link", name="Wer hat gelesen?").click()
    expect(protokoll.get_by_role("row", name=re.compile(_name(live_server, "ag_mitglied")))).to_contain_text("gelesen")
    expect(protokoll.get_by_role("row", name=re.compile("Bernd Berg"))).to_contain_text("noch nicht gelesen")
    check_page(protokoll)

    # --- approval freezes the text -------------------------------------------------------------------------
    protokoll.goto(path)
    protokoll.get_by_text("Als genehmigt eintragen", exact=True).first.click()
    protokoll.get_by_label("Genehmigt wo und wie?").fill("in der 4. Sitzung einstimmig")
    protokoll.get_by_role("button", name="Als genehmigt eintragen").click()
    expect(protokoll.get_by_text("Die Niederschrift ist genehmigt.")).to_be_visible()
    expect(protokoll.get_by_role("link", name=re.compile("^Bearbeiten"))).to_have_count(0)
    check_page(protokoll)
    response = protokoll.goto(f"{path}agenda/{first_top}")
    assert response.status == 409
    check_page(protokoll)
    protokoll.get_by_role("link", name="Berichtigung anfügen").click()
    protokoll.get_by_label("Berichtigung").fill("In TOP 1 fehlte: Frau Ludwig hat sich enthalten.")
    check_page(protokoll)
    protokoll.get_by_role("button", name="Berichtigung anfügen").click()
    expect(protokoll.get_by_text("Die Berichtigung ist mit Datum angefügt.")).to_be_visible()
    expect(protokoll.get_by_role("listitem").filter(has_text="Frau Ludwig hat sich enthalten")).to_contain_text(
        "Berichtigung vom")

    # --- a non-member gets 404 ------------------------------------------------------------------------------
    outsider = page_as("ehrenamt", phone=True)
    assert outsider.goto(path).status == 404
    check_page(outsider)


def test_member_searches_minutes_as_they_type_and_prints_a_niederschrift(page_as, live_server, ag):
    path, _ = _meeting_path(live_server, ag, 1)
    page = page_as("ag_mitglied", phone=True)
    page.goto(f"{ag.base}/")
    expect(page.get_by_role("heading", name="Mitglieder (7, davon 6 stimmberechtigt)")).to_be_visible()
    check_page(page)
    page.goto("/ag/search")
    page.get_by_label("Suchbegriff").press_sequentially("Geschäftsordnung")
    expect(page.get_by_role("link", name=re.compile("1. Sitzung, TOP 2: Geschäftsordnung"))).to_be_visible()
    assert "q=Gesch" in page.url
    check_page(page)
    page.goto(f"{path}print")
    expect(page.get_by_role("heading", level=1)).to_have_text("Niederschrift der 1. Sitzung")
    check_page(page)


def test_administration_pages_of_an_ag_are_accessible(page_as, ag):
    page = page_as("admin")
    for url in ["/ag/", "/ag/new", f"{ag.base}/", f"{ag.base}/edit", f"{ag.base}/members/new"]:
        assert page.goto(url).status == 200, url
        check_page(page)
    page.goto(f"{ag.base}/members/new")
    page.get_by_label("Person").select_option(label="Thomas Becker (fachkraft@awo.example)")
    page.get_by_label("vertritt den Träger").select_option(label="Arbeiterwohlfahrt Kreisverband e. V.")
    page.get_by_label("stimmberechtigt").check()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("heading", name="Mitglieder (8, davon 7 stimmberechtigt)")).to_be_visible()


def test_protokoll_plans_a_meeting_with_agenda_and_attachment_and_bad_input_is_explained(page_as, tmp_path, ag):
    page = page_as("protokoll", phone=True)
    page.goto(f"{ag.base}/")
    page.get_by_role("link", name="Sitzung anlegen").click()
    expect(page.get_by_label("Nummer der Sitzung")).to_have_value("4")
    check_page(page)
    page.get_by_label("Datum").fill("2027-05-11")
    page.get_by_label("Beginn").fill("12:00")
    page.get_by_label("Ende").fill("09:00")
    page.get_by_label("Ort", exact=True).fill("Rathaus, Raum 101")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Das Ende muss nach dem Beginn liegen.")).to_be_visible()
    expect(page.get_by_label("Ort", exact=True)).to_have_value("Rathaus, Raum 101")
    check_page(page)
    page.get_by_label("Beginn").fill("09:00")
    page.get_by_label("Ende").fill("12:00")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("4. Sitzung")

    page.get_by_text("Tagesordnungspunkt hinzufügen").click()
    page.get_by_label("Beschreibung").fill("Bericht der Träger")
    page.get_by_role("button", name="TOP hinzufügen").click()
    expect(page.get_by_text("Bitte gib dem TOP einen Titel.")).to_be_visible()
    expect(page.get_by_label("Beschreibung")).to_have_value("Bericht der Träger")
    check_page(page)
    page.get_by_label("Titel des TOP").fill("Berichte aus den Sozialräumen")
    page.get_by_role("button", name="TOP hinzufügen").click()
    expect(page.get_by_role("heading", name="TOP 1: Berichte aus den Sozialräumen")).to_be_visible()

    wrong = tmp_path / "Foto.png"
    wrong.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    page.get_by_label("Datei").set_input_files(str(wrong))
    page.get_by_role("button", name="Anlage hochladen").click()
    expect(page.get_by_text("hat ein nicht erlaubtes Format")).to_be_visible()
    check_page(page)
    pdf = tmp_path / "Einladung 4. Sitzung.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.get_by_label("Datei").set_input_files(str(pdf))
    page.get_by_label("gehört zu").select_option(label="TOP 1: Berichte aus den Sozialräumen")
    page.get_by_role("button", name="Anlage hochladen").click()
    expect(page.get_by_role("region", name=re.compile("^TOP 1")).get_by_role(
        "link", name="Einladung 4. Sitzung.pdf")).to_be_visible()
    check_page(page)
