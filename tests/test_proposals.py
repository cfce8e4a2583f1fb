"""Projektanträge as users meet them: the Formblatt (drafts, rows, validation), who sees what,
decisions on the page, the discussion, documents after approval, lists and their query counts."""
import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from portal.extensions import db, utcnow
from portal.org.models import Sozialraum, Traeger
from portal.proposals import services
from portal.proposals.models import Indicator, Proposal, ProposalDocument, ProposalState
from tests.conftest import ROLES, get_user
from tests.factories.proposals import make_proposal, remove_demo_proposals

S = ProposalState
#: Runs that have not ended: the Freigegebene Projekte list shows running projects only.
RUNNING = dict(starts_on=date(2026, 1, 1), ends_on=date(2099, 12, 31))


@pytest.fixture(autouse=True)
def no_demo_proposals(app):
    """Each test makes the proposals it looks at (factories); the demo ones would only blur it."""
    with app.app_context():
        remove_demo_proposals()


def made(app, state=S.ENTWURF, **values) -> tuple[int, int, str]:
    """(id, version, title) of a committed proposal from the factory."""
    with app.app_context():
        p = make_proposal(state, **values)
        db.session.commit()
        return p.id, p.version, p.title


def nord_id(app):
    with app.app_context():
        return db.session.scalar(select(Sozialraum.id).where(Sozialraum.slug == "nord"))


def complete_form(app, **overrides):
    data = {
        "intent": "submit", "title": "Spielplatzpaten", "sozialraum": nord_id(app),
        "target_group": "Kinder 6–12 Jahre", "content": "Kinder und Eltern pflegen gemeinsam den Spielplatz.",
        "hours_per_week": "2,5", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "expected_effect": "Mehr Begegnung im Stadtteil.", "contact_person": "Thomas Becker, AWO",
        "indicators-0-indicator": "Familien pro Aktion", "indicators-0-method": "Strichliste",
        "indicators-0-baseline": "0", "indicators-0-target": "10",
    }
    data.update(overrides)
    return data


def errors(response) -> str:
    return " ".join(re.findall(r'class="field__error"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S))


# --- the Formblatt ------------------------------------------------------------------------------------

def test_fachkraft_submits_a_complete_proposal(app, client_as):
    r = client_as("fachkraft").post("/proposals/new", data=complete_form(app))
    assert r.status_code == 303
    with app.app_context():
        p = db.session.scalar(select(Proposal).where(Proposal.title == "Spielplatzpaten"))
        assert p.state == S.EINGEREICHT and p.traeger.short_name == "AWO" and p.hours_per_week == 2.5
        assert [i.indicator for i in p.indicators] == ["Familien pro Aktion"]
        assert [e.action for e in p.events] == ["create", "submit"]
        assert p.revisions[0].data["title"] == "Spielplatzpaten"


def test_a_draft_saves_incomplete(app, client_as):
    r = client_as("fachkraft").post("/proposals/new", data={"intent": "save", "title": "Nur eine Idee",
                                                          "sozialraum": 0})
    assert r.status_code == 303
    with app.app_context():
        p = db.session.scalar(select(Proposal).where(Proposal.title == "Nur eine Idee"))
        assert p.state == S.ENTWURF and p.sozialraum_id is None


#: (changed fields, message at the field, kept as a draft): a value no draft may hold is not stored
#: at all; a complete-enough draft is stored and only the submission waits.
@pytest.mark.parametrize("overrides, field_message, kept_as_draft", [
    ({"title": ""}, "Bitte gib einen Titel an.", True),
    ({"target_group": ""}, "Bitte beschreibe die Zielgruppe.", True),
    ({"hours_per_week": "0"}, "größer als 0 und höchstens 40", False),
    ({"hours_per_week": "41"}, "größer als 0 und höchstens 40", False),
    ({"hours_per_week": "drei"}, "Bitte gib eine Zahl an", False),
    ({"ends_on": "2025-12-31"}, "Das Ende liegt vor dem Beginn.", False),
    ({"starts_on": "31.02.2026"}, "Bitte gib ein gültiges Datum an", False),
    ({"ends_on": "2027-01-01"}, "länger als 12 Monate", True),
    ({"indicators-0-indicator": "", "indicators-0-method": "", "indicators-0-baseline": "",
      "indicators-0-target": ""}, "mindestens einen Wirkungsindikator", True),
    ({"indicators-0-method": ""}, "braucht eine Bezeichnung und eine Erhebungsmethode", True),
])
def test_bad_input_gets_a_german_message_at_the_field_and_nothing_typed_is_lost(app, client_as, overrides,
                                                                                 field_message, kept_as_draft):
    data = complete_form(app, **overrides)
    r = client_as("fachkraft").post("/proposals/new", data=data)
    assert r.status_code == 422
    assert field_message in errors(r)
    page = r.get_data(as_text=True)
    assert "Kinder und Eltern pflegen gemeinsam den Spielplatz." in page  # typed text is still there
    if any(name.startswith("indicators-") for name in overrides):
        assert 'id="indicators-error"' in page
    else:
        assert 'aria-invalid="true"' in page
    with app.app_context():
        stored = db.session.scalars(select(Proposal.state).where(Proposal.content.like("Kinder und Eltern%"))).all()
    assert stored == ([S.ENTWURF] if kept_as_draft else [])  # never submitted


def test_a_longer_run_passes_with_a_reason(app, client_as):
    data = complete_form(app, ends_on="2027-06-30", extension_reason="Das Projekt braucht zwei Sommer.")
    assert client_as("fachkraft").post("/proposals/new", data=data).status_code == 303


def test_submit_with_missing_fields_keeps_the_draft(app, client_as):
    r = client_as("fachkraft").post("/proposals/new", data=complete_form(app, expected_effect=""))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Der Entwurf ist gespeichert, aber noch nicht eingereicht" in page
    with app.app_context():
        p = db.session.scalar(select(Proposal).where(Proposal.title == "Spielplatzpaten"))
        assert p.state == S.ENTWURF and p.content.startswith("Kinder und Eltern")
        pid = p.id
    # the re-rendered form now posts to the draft with its current version, so the next try goes through
    assert f'action="/proposals/{pid}/edit"' in page
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
    again = client_as("fachkraft").post(f"/proposals/{pid}/edit",
                                        data=complete_form(app, version=version, expected_effect="Begegnung."))
    assert again.status_code == 303


def test_indicator_rows_are_added_and_removed_without_javascript(app, client_as):
    c = client_as("fachkraft")
    data = complete_form(app, intent="add_row")
    r = c.post("/proposals/new", data=data)
    assert r.status_code == 200 and "<html" in r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    assert "Wirkungsindikator 2" in page and 'value="Familien pro Aktion"' in page
    assert 'name="indicators-1-indicator"' in page and "autofocus" in page
    data.update({"intent": "remove_row:0", "indicators-1-indicator": "Neue Kontakte", "indicators-1-method": "Befragung"})
    page = c.post("/proposals/new", data=data).get_data(as_text=True)
    assert "Wirkungsindikator 2" not in page
    assert 'value="Neue Kontakte"' in page and 'value="Familien pro Aktion"' not in page
    assert "Kinder und Eltern pflegen gemeinsam den Spielplatz." in page
    with app.app_context():
        assert db.session.scalar(select(Proposal).where(Proposal.title == "Spielplatzpaten")) is None


def test_with_htmx_a_new_draft_that_cannot_be_submitted_yet_gets_its_own_address(app, client_as):
    r = client_as("fachkraft").post("/proposals/new", data=complete_form(app, title=""),
                                    headers={"HX-Request": "true"})
    assert r.status_code == 422
    assert re.fullmatch(r"/proposals/\d+/edit", r.headers["HX-Push-Url"])


def test_with_htmx_adding_a_row_returns_only_the_form(app, client_as):
    r = client_as("fachkraft").post("/proposals/new", data=complete_form(app, intent="add_row"),
                                    headers={"HX-Request": "true"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and page.lstrip().startswith("<form") and "<html" not in page
    assert 'id="proposal-form"' in page and "Wirkungsindikator 2" in page
    assert "announce" in r.headers["HX-Trigger"]


def test_a_proposal_that_is_no_longer_a_draft_cannot_be_edited(app, client_as):
    with app.app_context():
        pid = make_proposal(S.EINGEREICHT).id
        db.session.commit()
    c = client_as("fachkraft")
    assert c.get(f"/proposals/{pid}/edit").status_code == 409
    assert c.post(f"/proposals/{pid}/edit", data={"intent": "save", "title": "anders"}).status_code == 409


def test_koordination_drafts_for_its_own_sozialraum_only(app, client_as):
    page = client_as("koordination").get("/proposals/new").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\d+)"', page.split('id="sozialraum"')[1].split("</select>")[0])
    assert options == [str(nord_id(app))]
    assert "Stadt – Familienamt" in page


# --- who sees what ---------------------------------------------------------------------------------------

def test_another_traegers_draft_is_not_found(app, client_as):
    pid, _, title = made(app, S.ENTWURF, traeger="AWO", raum="mitte-sued")
    caritas = client_as("fachkraft_caritas")
    for path in (f"/proposals/{pid}", f"/proposals/{pid}/edit"):
        assert caritas.get(path).status_code == 404
    assert caritas.post(f"/proposals/{pid}/transition", data={"action": "submit", "version": 1}).status_code == 404
    assert title not in caritas.get("/proposals/").get_data(as_text=True)
    assert title in client_as("fachkraft").get("/proposals/").get_data(as_text=True)


def a_proposal_of_each_kind(app) -> dict[str, str]:
    """kind -> title: AWO in Nord (draft, Rückfrage, approved) and Mitte/Süd (draft), Caritas in Nord
    (draft, submitted) and West (rejected)."""
    kinds = {"awo_draft_nord": (S.ENTWURF, "AWO", "nord"), "awo_queried_nord": (S.RUECKFRAGE, "AWO", "nord"),
             "awo_approved_nord": (S.FREIGEGEBEN, "AWO", "nord"), "awo_draft_mitte": (S.ENTWURF, "AWO", "mitte-sued"),
             "caritas_draft_nord": (S.ENTWURF, "Caritas", "nord"),
             "caritas_waiting_nord": (S.EINGEREICHT, "Caritas", "nord"),
             "caritas_rejected_west": (S.ABGELEHNT, "Caritas", "west")}
    return {kind: made(app, state, traeger=traeger, raum=raum)[2] for kind, (state, traeger, raum) in kinds.items()}


def titles_in_list(client) -> set[str]:
    return set(titles_on(client.get("/proposals/")))


def test_fachkraft_sees_all_proposals_of_its_traeger_and_no_other(app, client_as):
    titles = a_proposal_of_each_kind(app)
    assert titles_in_list(client_as("fachkraft")) == {t for kind, t in titles.items() if kind.startswith("awo_")}


def test_koordination_sees_its_sozialraum_except_drafts_of_traeger(app, client_as):
    titles = a_proposal_of_each_kind(app)
    assert titles_in_list(client_as("koordination")) == {
        titles["awo_queried_nord"], titles["awo_approved_nord"], titles["caritas_waiting_nord"]}


def test_everyone_sees_the_approved_projects_grouped_by_sozialraum(app, client_as):
    nord = [made(app, S.FREIGEGEBEN, raum="nord", **RUNNING)[2], made(app, S.ABGESCHLOSSEN, raum="nord", **RUNNING)[2]]
    mitte = [made(app, S.BERICHTET, traeger="Caritas", raum="mitte-sued", **RUNNING)[2]]
    hidden = [made(app, state, raum="nord", **RUNNING)[2] for state in (S.RUECKFRAGE, S.EINGEREICHT, S.ABGELEHNT)]
    ended = made(app, S.FREIGEGEBEN, raum="nord", starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31))[2]
    page = client_as("ehrenamt").get("/proposals/approved").get_data(as_text=True)
    headings = sorted((page.index(f"Sozialraum {name}"), name) for name in ("Nord/Schöndorf", "Mitte/Süd"))
    assert "Sozialraum West" not in page

    def group_of(title: str) -> str:
        at = page.index(title)
        return [name for start, name in headings if start < at][-1]

    assert [group_of(t) for t in nord + mitte] == ["Nord/Schöndorf", "Nord/Schöndorf", "Mitte/Süd"]
    for title in (*hidden, ended):
        assert title not in page
    assert "ca. 3,0 Stunden wöchentlich" in page
    # volunteers see the list, not the proposal pages
    assert 'href="/proposals/' not in page[headings[0][0]:page.index("</main>")]
    # those who may see a project get a link to its page
    leitung = client_as("leitung").get("/proposals/approved").get_data(as_text=True)
    assert len(titles_on_page(leitung)) == 3


# --- the kept cards of "Freigegebene Projekte" (proposals.views._approved_listing) ------------------

KEPT_TITLE = "Gekachelte Werkstatt"


def _approved_main(client) -> str:
    html = client.get("/proposals/approved").get_data(as_text=True)
    return html[html.index("<main"):html.index("</main>")]


def _kept_project():
    from portal.org.models import Ortsteil

    return db.session.scalar(select(Proposal).where(Proposal.title == KEPT_TITLE)), Ortsteil


def _approve_another():
    leitung = get_user("leitung")
    p = make_proposal(S.EINGEREICHT, title="Frisch freigegebenes Projekt", **RUNNING)
    services.decide(p, leitung, approved=True, version=p.version)
    return "Frisch freigegebenes Projekt"


def _close_the_project():
    p, _ = _kept_project()
    p.state = S.ABGELEHNT  # not a real transition; any change of the row counts
    return None


def _rename_traeger():
    p, _ = _kept_project()
    p.traeger.name = "Werkhof Umbenannt e. V."
    return "Werkhof Umbenannt e. V."


def _rename_ortsteil():
    p, _ = _kept_project()
    p.ortsteile[0].name = "Neudorf am Bach"
    return "Neudorf am Bach"


def _add_ortsteil():
    p, ortsteil_model = _kept_project()
    p.ortsteile.append(db.session.scalar(select(ortsteil_model).where(ortsteil_model.slug == "legefeld")))
    return "Legefeld"


def _rename_sozialraum():
    p, _ = _kept_project()
    p.sozialraum.name = "Nordost"
    return "Sozialraum Nordost"


#: Every kind of write behind a kept card, and the text it brings (None: the card goes).
CARD_WRITES = {"approved": _approve_another, "state": _close_the_project, "traeger": _rename_traeger,
               "ortsteil renamed": _rename_ortsteil, "ortsteil added": _add_ortsteil,
               "sozialraum": _rename_sozialraum}


@pytest.fixture
def kept_project(app):
    from portal.org.models import Ortsteil

    with app.app_context():
        p = make_proposal(S.FREIGEGEBEN, title=KEPT_TITLE, **RUNNING)
        p.ortsteile.append(db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach")))
        db.session.commit()


@pytest.mark.parametrize("change", sorted(CARD_WRITES))
def test_kept_project_cards_show_every_write_at_once_in_both_workers(app, kept_project, change):
    from tests.conftest import two_workers

    with two_workers(app, "ehrenamt") as (first, second):
        before = _approved_main(first)
        assert KEPT_TITLE in before and _approved_main(second) == before  # both workers keep the cards now
        with app.app_context():
            shows = CARD_WRITES[change]()
            db.session.commit()
        for client in (first, second):
            after = _approved_main(client)
            assert after != before, f"{change}: the kept cards did not change"
            if shows is None:
                assert KEPT_TITLE not in after
            else:
                assert shows in after


@pytest.mark.parametrize("order", [("leitung", "ehrenamt", "fachkraft"), ("fachkraft", "ehrenamt", "leitung")])
def test_kept_project_cards_never_carry_another_viewers_links(app, kept_project, order):
    """The same kept cards for everyone; the link to a proposal only for those who may open it
    (Leitung: all; AWO's Fachkraft: AWO's projects; a volunteer: none), in either order."""
    from tests.conftest import signed_in

    caritas = made(app, S.FREIGEGEBEN, traeger="Caritas", title="Fremdes Caritas-Projekt", **RUNNING)
    with app.app_context():
        awo_id = db.session.scalar(select(Proposal.id).where(Proposal.title == KEPT_TITLE))
    pages = {role: _approved_main(signed_in(app, role)) for role in order}
    for role, page in pages.items():
        assert KEPT_TITLE in page and "Fremdes Caritas-Projekt" in page
    assert f'href="/proposals/{awo_id}"' in pages["leitung"] and f'href="/proposals/{caritas[0]}"' in pages["leitung"]
    assert f'href="/proposals/{awo_id}"' in pages["fachkraft"]
    assert f'href="/proposals/{caritas[0]}"' not in pages["fachkraft"]
    assert 'href="/proposals/' not in pages["ehrenamt"][pages["ehrenamt"].index("Sozialraum "):]


def test_nav_badge_counts_waiting_proposals_for_the_leitung_only(app, client_as):
    made(app, S.EINGEREICHT)
    made(app, S.BERICHTET, traeger="Caritas")
    made(app, S.RUECKFRAGE)
    page = client_as("leitung").get("/proposals/approved").get_data(as_text=True)
    assert re.search(r'class="badge"[^>]*>2<', page)
    # the section's own navigation: "Eingang 2 warten auf Entscheidung"
    subnav = page[page.index('aria-label="Bereich Projektanträge"'):]
    subnav = re.sub(r"<[^>]+>", "", subnav[:subnav.index("</nav>")])
    assert re.search(r"Eingang\s+2\s+warten auf Entscheidung", subnav), subnav
    assert 'class="badge"' not in client_as("fachkraft").get("/proposals/approved").get_data(as_text=True)


def test_inbox_lists_waiting_proposals_oldest_first_with_their_age(app, client_as):
    now = utcnow()
    _, _, recent = made(app, S.EINGEREICHT, submitted_at=now - timedelta(days=4))
    _, _, oldest = made(app, S.EINGEREICHT, submitted_at=now.replace(year=now.year - 1))
    _, _, report = made(app, S.BERICHTET, submitted_at=now.replace(year=now.year - 2),
                        reported_at=now - timedelta(days=1))
    others = [made(app, state)[2] for state in (S.ENTWURF, S.FREIGEGEBEN, S.RUECKFRAGE)]
    page = client_as("leitung").get("/proposals/inbox").get_data(as_text=True)
    assert titles_on_page(page) == [oldest, recent, report]  # a report waits since it was handed in
    assert "(seit 4 Tagen)" in page and "(seit gestern)" in page
    for title in others:
        assert title not in page


# --- decisions on the page ---------------------------------------------------------------------------------

def test_leitung_must_give_a_reason_for_a_rueckfrage(app, client_as):
    pid, version, _ = made(app, S.EINGEREICHT, traeger="Caritas", raum="mitte-sued")
    r = client_as("leitung").post(f"/proposals/{pid}/transition", data={"action": "query", "version": version})
    assert r.status_code == 422
    assert "Bitte gib eine Begründung an." in errors(r)
    with app.app_context():
        assert db.session.get(Proposal, pid).state == S.EINGEREICHT


def test_approval_with_conditions_and_requested_documents_is_shown_to_the_author(app, client_as):
    pid, version, _ = made(app, S.EINGEREICHT, traeger="Caritas", raum="mitte-sued")
    r = client_as("leitung").post(f"/proposals/{pid}/transition", data={
        "action": "approve", "version": version, "conditions": "Bericht nach drei Monaten.",
        "documents_requested": "y"})
    assert r.status_code == 303
    page = client_as("fachkraft_caritas").get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Bericht nach drei Monaten." in page
    assert "Leistungsangebot und eine Entgeltkalkulation" in page
    assert "Freigegeben" in client_as("fachkraft_caritas").get("/proposals/").get_data(as_text=True)


def test_the_leitung_sees_what_changed_since_the_previous_submission(app, client_as):
    with app.app_context():
        p = make_proposal(S.ENTWURF, title="Familiencafé", indicators=[Indicator(
            position=0, indicator="Mehr Vernetzung", method="Beobachtung")])
        services.submit(p, get_user("fachkraft"), version=p.version)
        services.send_back(p, get_user("leitung"), version=p.version, reason="Wie messt ihr das?")
        db.session.commit()
        pid = p.id
    fachkraft = client_as("fachkraft")
    form = fachkraft.get(f"/proposals/{pid}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"|name="version" value="(\d+)"', form)
    version = next(v for v in version.groups() if v)
    data = {"intent": "submit", "version": version, "title": "Familiencafé", "sozialraum": nord_id(app),
            "target_group": "Familien mit Kindern unter 6 Jahren",
            "content": "Ein Familiencafé jeden Freitagnachmittag im Gemeindehaus Schöndorf.",
            "hours_per_week": "2,5", "starts_on": "2026-09-01", "ends_on": "2027-08-31",
            "expected_effect": "Mehr Vernetzung der Familien im Ortsteil.", "contact_person": "Thomas Becker, AWO",
            "indicators-0-indicator": "Familien, die sich auch außerhalb des Cafés treffen",
            "indicators-0-method": "Kurzbefragung zweimal im Jahr", "indicators-0-target": "5"}
    assert fachkraft.post(f"/proposals/{pid}/edit", data=data).status_code == 303
    page = client_as("leitung").get(f"/proposals/{pid}").get_data(as_text=True)
    changes = page.split('id="changes-h"')[1].split("</section>")[0]
    assert "Geändert seit der 1. Einreichung" in page
    assert "Mehr Vernetzung – Erhebung: Beobachtung" in changes
    assert "Familien, die sich auch außerhalb des Cafés treffen" in changes
    assert "Titel" not in changes  # unchanged fields are not listed


# --- discussion ------------------------------------------------------------------------------------------------

XSS = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '[klick](javascript:alert(1))',
       '<a href="#" hx-get="/admin/users">x</a>', '<div hx-post="/logout" hx-trigger="load">x</div>']


@pytest.mark.parametrize("payload", XSS)
def test_discussion_is_sanitised(app, client_as, payload):
    pid, _, _ = made(app, S.RUECKFRAGE)
    c = client_as("fachkraft")
    assert c.post(f"/proposals/{pid}/comments", data={"body": f"Hallo {payload}"}).status_code == 303
    page = c.get(f"/proposals/{pid}").get_data(as_text=True)
    discussion = page.split('id="discussion"')[1]
    assert "<script>alert" not in discussion and "onerror" not in discussion
    assert "javascript:" not in discussion and 'hx-get="/admin' not in discussion and 'hx-post="/logout' not in discussion


def test_discussion_with_htmx_returns_the_thread_and_announces(app, client_as):
    pid, _, _ = made(app, S.RUECKFRAGE)
    r = client_as("koordination").post(f"/proposals/{pid}/comments", data={"body": "Wir haben Räume."},
                                       headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.get_data(as_text=True).lstrip().startswith('<section id="discussion"')
    assert "Wir haben Räume." in r.get_data(as_text=True) and "announce" in r.headers["HX-Trigger"]
    empty = client_as("koordination").post(f"/proposals/{pid}/comments", data={"body": " "},
                                           headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "Bitte schreib eine Nachricht." in empty.get_data(as_text=True)


# --- documents after approval ---------------------------------------------------------------------------------

def pdf(name="leistungsangebot.pdf", size=0):
    return (io.BytesIO(b"%PDF-1.4\n" + b"0" * size + b"\n%%EOF"), name)


def test_applicant_uploads_a_leistungsangebot_that_only_permitted_users_can_download(app, client_as):
    pid, _, _ = made(app, S.FREIGEGEBEN)
    fachkraft = client_as("fachkraft")
    r = fachkraft.post(f"/proposals/{pid}/documents", data={"kind": "leistungsangebot", "file": pdf()},
                       content_type="multipart/form-data")
    assert r.status_code == 303
    with app.app_context():
        doc = db.session.scalar(select(ProposalDocument).where(ProposalDocument.proposal_id == pid))
        url = f"/proposals/{pid}/documents/{doc.id}"
    for role in ("fachkraft", "leitung", "koordination"):
        got = client_as(role).get(url)
        assert got.status_code == 200 and got.data.startswith(b"%PDF-")
        assert got.headers["Content-Disposition"].startswith("attachment")
    for role in ("fachkraft_caritas", "ehrenamt"):
        assert client_as(role).get(url).status_code == 404


def test_docx_xlsx_accepted_other_files_refused(app, client_as):
    pid, _, _ = made(app, S.FREIGEGEBEN)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    buf.seek(0)
    c = client_as("fachkraft")
    ok = c.post(f"/proposals/{pid}/documents", data={"kind": "entgeltkalkulation", "file": (buf, "kalkulation.xlsx")},
                content_type="multipart/form-data")
    assert ok.status_code == 303
    bad = c.post(f"/proposals/{pid}/documents", data={"kind": "leistungsangebot",
                                                      "file": (io.BytesIO(b"MZ..."), "programm.exe")},
                 content_type="multipart/form-data")
    assert bad.status_code == 422 and "nicht erlaubtes Format" in bad.get_data(as_text=True)
    fake = c.post(f"/proposals/{pid}/documents", data={"kind": "leistungsangebot",
                                                       "file": (io.BytesIO(b"<html>"), "angebot.pdf")},
                  content_type="multipart/form-data")
    assert fake.status_code == 422 and "kein gültiges PDF" in fake.get_data(as_text=True)


def test_too_large_upload_is_refused_with_413(app, client_as):
    app.config["PROPOSAL_UPLOAD_MAX_BYTES"] = 1024
    pid, _, _ = made(app, S.FREIGEGEBEN)
    r = client_as("fachkraft").post(f"/proposals/{pid}/documents", data={"kind": "leistungsangebot",
                                                                       "file": pdf(size=4096)},
                                    content_type="multipart/form-data")
    assert r.status_code == 413 and "höchstens" in r.get_data(as_text=True)


def test_documents_only_after_approval(app, client_as):
    pid, _, _ = made(app, S.ENTWURF)
    r = client_as("fachkraft").post(f"/proposals/{pid}/documents", data={"kind": "leistungsangebot", "file": pdf()},
                                    content_type="multipart/form-data")
    assert r.status_code == 409


# --- Wirkungsbericht ------------------------------------------------------------------------------------------------

def two_indicators():
    return [Indicator(position=0, indicator="Besuche pro Monat", method="Strichliste"),
            Indicator(position=1, indicator="Helfende", method="Liste")]


def test_wirkungsbericht_then_leitung_acknowledges_and_the_project_is_closed(app, client_as):
    pid, version, _ = made(app, S.FREIGEGEBEN, report_text="", indicators=two_indicators())
    fachkraft = client_as("fachkraft")
    assert fachkraft.post(f"/proposals/{pid}/report", data={"version": version}).status_code == 422
    r = fachkraft.post(f"/proposals/{pid}/report", data={
        "version": version, "results-0-actual": "35", "results-1-actual": "6",
        "report_text": "Der Treff ist im Stadtteil angekommen."})
    assert r.status_code == 303
    with app.app_context():
        p = db.session.get(Proposal, pid)
        assert p.state == S.BERICHTET and [i.actual for i in p.indicators] == ["35", "6"]
        version = p.version
    assert "Wirkungsbericht eingereicht" in client_as("leitung").get("/proposals/inbox").get_data(as_text=True)
    assert client_as("leitung").post(f"/proposals/{pid}/transition",
                                     data={"action": "acknowledge", "version": version}).status_code == 303
    with app.app_context():
        assert db.session.get(Proposal, pid).state == S.ABGESCHLOSSEN


def test_leitung_returns_an_incomplete_wirkungsbericht_with_a_reason_and_the_traeger_reports_again(app, client_as):
    pid, version, _ = made(app, S.FREIGEGEBEN, report_text="", indicators=two_indicators())
    fachkraft, leitung = client_as("fachkraft"), client_as("leitung")
    assert fachkraft.post(f"/proposals/{pid}/report", data={
        "version": version, "results-0-actual": "35", "report_text": "Lief gut."}).status_code == 303
    with app.app_context():
        version = db.session.get(Proposal, pid).version
    page = leitung.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'value="return_report"' in page and 'value="acknowledge"' in page

    r = leitung.post(f"/proposals/{pid}/transition", data={"action": "return_report", "version": version})
    assert r.status_code == 422 and "Bitte gib eine Begründung an." in errors(r)
    r = leitung.post(f"/proposals/{pid}/transition", data={
        "action": "return_report", "version": version, "comment": "Bitte den Ist-Wert der Helfenden nachtragen."})
    assert r.status_code == 303
    with app.app_context():
        p = db.session.get(Proposal, pid)
        assert p.state == S.FREIGEGEBEN and p.events[-1].action == "return_report"
        assert p.events[-1].comment == "Bitte den Ist-Wert der Helfenden nachtragen."
        version = p.version
    for path in (f"/proposals/{pid}", f"/proposals/{pid}/report"):
        assert "Bitte den Ist-Wert der Helfenden nachtragen." in fachkraft.get(path).get_data(as_text=True)
    # the report form keeps what was written before
    assert "Lief gut." in fachkraft.get(f"/proposals/{pid}/report").get_data(as_text=True)
    assert fachkraft.post(f"/proposals/{pid}/report", data={
        "version": version, "results-0-actual": "35", "results-1-actual": "7",
        "report_text": "Lief gut."}).status_code == 303
    with app.app_context():
        assert db.session.get(Proposal, pid).state == S.BERICHTET


# --- lists: a fixed number of queries however many proposals ---------------------------------------------------------

def bulk_insert(app, n: int) -> None:
    with app.app_context():
        awo = db.session.scalar(select(Traeger.id).where(Traeger.short_name == "AWO"))
        raeume = db.session.scalars(select(Sozialraum.id)).all()
        now = utcnow()
        states = [S.EINGEREICHT, S.FREIGEGEBEN, S.ENTWURF, S.RUECKFRAGE]
        db.session.execute(insert(Proposal), [dict(
            title=f"Projekt {i}", traeger_id=awo, sozialraum_id=raeume[i % len(raeume)], state=states[i % 4],
            version=1, hours_per_week=2.0, starts_on=date(2026, 1, 1), ends_on=date(2099, 12, 31),
            target_group="Kinder", content="Inhalt", extension_reason="", expected_effect="Wirkung", costs="",
            contact_person="X", conditions="", documents_requested=False, report_text="", created_at=now,
            updated_at=now, submitted_at=now) for i in range(n)])
        db.session.commit()


@pytest.mark.parametrize("role, path", [
    ("fachkraft", "/proposals/"),
    ("leitung", "/proposals/"),
    ("koordination", "/proposals/"),
    ("leitung", "/proposals/inbox"),
    ("ehrenamt", "/proposals/approved"),
    ("leitung", "/proposals/target?year=2026"),
])
def test_list_pages_run_a_fixed_number_of_queries(app, client_as, count_queries, role, path):
    a_proposal_of_each_kind(app)
    made(app, S.FREIGEGEBEN, **RUNNING)  # no list is empty: loading relations of its rows is counted too
    c = client_as(role)
    c.get(path)
    with count_queries() as few:
        assert c.get(path).status_code == 200
    bulk_insert(app, 5000)
    with count_queries() as changed:
        assert c.get(path).status_code == 200
    with count_queries() as many:
        assert c.get(path).status_code == 200
    assert many.count == few.count, many.statements
    # The first request after the data changed may refill a cache (the project hours of the 15 % page):
    # one query more, once, not one per row.
    assert changed.count <= few.count + 1, changed.statements


NEXT_LINK = re.compile(r'href="([^"]*nach=\d+[^"]*)" rel="next"')


def next_link(response) -> str | None:
    found = NEXT_LINK.search(response.get_data(as_text=True))
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.parametrize("role, path", [
    ("fachkraft", "/proposals/"),
    ("leitung", "/proposals/?state=eingereicht"),
    ("leitung", "/proposals/inbox"),
    ("ehrenamt", "/proposals/approved"),
])
def test_deep_pages_are_keyset_paginated_with_a_fixed_number_of_queries(app, client_as, count_queries, role, path):
    bulk_insert(app, 5000)
    c = client_as(role)
    url = next_link(c.get(path))
    counts = []
    for _ in range(3):
        with count_queries() as q:
            r = c.get(url)
        assert r.status_code == 200 and "Zum Anfang der Liste" in r.get_data(as_text=True)
        counts.append(q.count)
        url = next_link(r)
    assert len(set(counts)) == 1, counts


def titles_on_page(html: str) -> list[str]:
    return re.findall(r'<a href="/proposals/\d+">„?([^<“]+)“?</a>', html)


def titles_on(response) -> list[str]:
    return titles_on_page(response.get_data(as_text=True))


@pytest.mark.parametrize("path, config_key, size", [("/proposals/", "PAGE_SIZE", 3),
                                                    ("/proposals/approved?alle=1", "APPROVED_PAGE_SIZE", 1),
                                                    ("/proposals/inbox", "PAGE_SIZE", 2)])
def test_keyset_pages_show_every_row_exactly_once_in_order(app, client_as, path, config_key, size):
    same_time = utcnow() - timedelta(days=3)
    for i, raum in enumerate(["nord", "west", "mitte-sued", "nord", "west", "nord"]):
        made(app, S.FREIGEGEBEN, raum=raum, title=f"Projekt {i % 3}")  # equal titles: the id decides
        made(app, S.ENTWURF, raum=raum)
        made(app, S.EINGEREICHT if i % 2 else S.BERICHTET, raum=raum, submitted_at=same_time,
             reported_at=same_time if i % 2 == 0 else None)  # waiting since the same moment: the id decides
    c = client_as("leitung")
    app.config[config_key] = 1000
    whole = titles_on(c.get(path))
    app.config[config_key] = size
    seen, url, pages = [], path, 0
    while url:
        r = c.get(url)
        assert len(titles_on(r)) <= size
        seen += titles_on(r)
        url, pages = next_link(r), pages + 1
    assert len(whole) >= 6 and pages > 2 and seen == whole


def test_a_malformed_or_foreign_cursor_starts_at_the_beginning(app, client_as):
    app.config["PAGE_SIZE"] = 2
    now = utcnow()
    caritas_proposal, _, _ = made(app, S.EINGEREICHT, traeger="Caritas", updated_at=now - timedelta(days=30))
    awo = [made(app, S.ENTWURF, updated_at=now - timedelta(days=d))[2] for d in range(3)]
    c = client_as("fachkraft")
    first = titles_on(c.get("/proposals/"))
    assert first == awo[:2]
    for bad in ("abc", "-3", "999999", "1" * 30, str(caritas_proposal)):
        r = c.get(f"/proposals/?nach={bad}")
        assert r.status_code == 200 and titles_on(r) == first


def test_applicant_withdraws_with_a_reason_and_can_no_longer_edit(app, client_as):
    pid, version, _ = made(app, S.RUECKFRAGE)
    c = client_as("fachkraft")
    page = c.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Ja, Antrag zurückziehen" in page
    r = c.post(f"/proposals/{pid}/transition", data={"action": "withdraw", "version": version,
                                                     "comment": "Die Räume fallen weg."})
    assert r.status_code == 303
    page = c.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Zurückgezogen" in page and "Die Räume fallen weg." in page
    assert "Antrag überarbeiten" not in page
    assert c.get(f"/proposals/{pid}/edit").status_code == 409


def test_koordination_submits_a_stadtteilbuero_project_for_its_own_traeger(app, client_as):
    r = client_as("koordination").post("/proposals/new", data=complete_form(app, title="Stadtteilfest Nord"))
    assert r.status_code == 303
    with app.app_context():
        p = db.session.scalar(select(Proposal).where(Proposal.title == "Stadtteilfest Nord"))
        assert p.state == S.EINGEREICHT and p.traeger.short_name == "Familienamt" and p.sozialraum.slug == "nord"
        pid = p.id
    # the Leitung gets it; an AWO Fachkraft does not
    assert "Stadtteilfest Nord" in client_as("leitung").get("/proposals/inbox").get_data(as_text=True)
    assert client_as("fachkraft").get(f"/proposals/{pid}").status_code == 404


def test_ortsteile_are_a_labelled_group_of_checkboxes(client_as):
    page = client_as("fachkraft").get("/proposals/new").get_data(as_text=True)
    assert re.search(r'<fieldset class="checkgroup"[^>]*>\s*<legend>Ortsteile \(optional\)</legend>', page)
    assert re.search(r'<label><input id="ortsteile-\d+" name="ortsteile" type="checkbox" value="\d+"> Taubach', page)


def varied_proposals() -> list[Proposal]:
    """Every state for the AWO and Caritas in Nord, Caritas in West, and proposals of the Koordination
    Nord's own Stadtteilbüro (Koordination-authored), in Nord and in another Sozialraum."""
    koordination = get_user("koordination")
    koord_traeger = db.session.get(Traeger, koordination.traeger_id).short_name
    koord_raum = db.session.get(Sozialraum, koordination.sozialraum_id).slug
    made = []
    for state in S:
        made.append(make_proposal(state, traeger="AWO", raum="nord"))
        made.append(make_proposal(state, traeger="Caritas", raum="nord"))
        made.append(make_proposal(state, traeger="Caritas", raum="west"))
        made.append(make_proposal(state, traeger=koord_traeger, raum=koord_raum, created_by_id=koordination.id))
        made.append(make_proposal(state, traeger=koord_traeger, raum="west"))
    return made


@pytest.mark.parametrize("role", ROLES)
def test_the_sql_visibility_filter_agrees_with_can_view(app, role):
    """``Proposal.visible_to`` (the lists) and ``Proposal.can_view`` (pages, buttons) are one rule."""
    from flask_login import AnonymousUserMixin

    with app.app_context():
        made = {p.id for p in varied_proposals()}
        user = AnonymousUserMixin() if role == "anonymous" else get_user(role)
        by_method = {p.id for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(made)))
                     if p.can_view(user)}
        by_sql = set(db.session.scalars(select(Proposal.id).where(Proposal.id.in_(made), Proposal.visible_to(user))))
        assert by_sql == by_method
        if role == "leitung":
            assert by_method == made
        elif role in ("fachkraft", "fachkraft_caritas", "koordination"):
            assert by_method and by_method != made  # sees some, not all: the comparison says something


def test_printed_formblatt_carries_print_date_and_signature_lines(app, client_as):
    """The A4 print of a proposal ends with where to sign and when it was printed (print-only)."""
    from portal.formatting import jetzt

    pid, _, _ = made(app, S.FREIGEGEBEN)
    with app.app_context():
        traeger = db.session.get(Proposal, pid).traeger.name
    page = client_as("leitung").get(f"/proposals/{pid}").get_data(as_text=True)
    footer = page[page.index('<div class="signatures">'):]
    assert f"Ort, Datum, Unterschrift {traeger}" in footer
    assert "Prüfvermerk Leitung Soziale Dienste" in footer
    assert f"Gedruckt am {jetzt():%d.%m.%Y}, " in footer and f"Antrag Nr. {pid}" in footer
