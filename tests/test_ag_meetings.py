"""AG 78 meetings: attendance, quorum and votes, the agenda and the meeting form, the calendar
source, carry-over of tasks, Anlagen, search and print, the OParl export, and the number of queries
of the AG pages. Data: tests/factories/ag.py (``build_ag``), as in tests/test_ag.py."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from portal.ag import services
from portal.ag.models import ActionItem, AgendaItem, Decision, Meeting, MeetingAttachment, MeetingStatus
from portal.calendar.sources import external_events
from portal.extensions import db
from tests.conftest import get_user
from tests.factories.ag import (AG, GO_DECISION, PDF, build_ag, first_item, meeting, record_attendance, text)


@pytest.fixture
def ag(app) -> AG:
    return build_ag(app)

# --- attendance, quorum and votes ------------------------------------------------------------------

@pytest.mark.parametrize("voting,present,reached", [(17, 9, True), (17, 8, False), (16, 8, False), (16, 9, True),
                                                    (1, 1, True), (0, 0, False)])
def test_quorum_is_more_than_half_of_the_voting_members(voting, present, reached):
    q = services.Quorum(voting_members=voting, voting_present=present, present=present, recorded=True)
    assert q.reached is reached


def test_attendance_is_recorded_and_quorum_shown(app, client_as, ag):
    client = client_as("protokoll")
    assert record_attendance(app, ag, client, 3, absent=3).status_code == 303
    page = text(client.get(ag.url(3)))
    assert "Nicht beschlussfähig:" in page and "3 von 6 stimmberechtigten Mitgliedern anwesend (nötig: 4)" in page
    assert "Gerda Winkler (Vorsitzende JHA)" in page
    with app.app_context():
        m = meeting(ag, 3)
        assert m.status == MeetingStatus.DURCHGEFUEHRT and m.sequence == 1  # the calendar shows it as held
    record_attendance(app, ag, client, 3, absent=1)
    assert "Beschlussfähig:</strong>\n  5 von 6" in text(client.get(ag.url(3)))
    with app.app_context():
        assert meeting(ag, 3).sequence == 1  # attendance alone is nothing for calendar subscribers


def test_attendance_without_a_choice_keeps_the_others_and_says_what_is_missing(app, client_as, ag):
    with app.app_context():
        m = meeting(ag, 3)
        members = services.members_on(m.group_id, m.date)
    data = {f"m-{ms.id}": "entschuldigt" for ms in members[1:]}
    response = client_as("protokoll").post(ag.url(3, "attendance"), data=data)
    assert response.status_code == 422
    page = text(response)
    assert "Bitte wähle anwesend, entschuldigt oder fehlt." in page
    assert page.count('value="entschuldigt" checked') == len(members) - 1


@pytest.mark.parametrize("yes,no,abstain,absent,status,message", [
    (3, 1, 1, 1, 200, None),
    (3, 2, 1, 1, 422, "Es wurden 6 Stimmen gezählt, aber nur 5 stimmberechtigte Mitglieder sind anwesend."),
    (2, 0, 0, 3, 422, "Die Sitzung ist nicht beschlussfähig: 3 von 6"),
    (0, 0, 0, 0, 422, "Bitte trage das Abstimmungsergebnis ein."),
    (-1, 0, 0, 0, 422, "Nicht negativ."),
    ("", 0, 0, 0, 422, "Bitte eine Zahl."),
])
def test_vote_counts_are_checked_against_voting_members_present(app, client_as, ag, yes, no, abstain, absent,
                                                                status, message):
    client = client_as("protokoll")
    record_attendance(app, ag, client, 3, absent=absent)
    item = first_item(app, ag, 3)
    prefix = f"decision{item}"
    response = client.post(ag.url(3, f"agenda/{item}/decisions"), headers={"HX-Request": "true"}, data={
        f"{prefix}-text": "Die Niederschrift der 2. Sitzung wird genehmigt.",
        f"{prefix}-yes": yes, f"{prefix}-no": no, f"{prefix}-abstain": abstain})
    assert response.status_code == status
    page = text(response)
    assert page.lstrip().startswith(f'<section class="top" id="top-{item}"')  # the TOP's region only
    with app.app_context():
        decisions = db.session.scalars(select(Decision).where(Decision.agenda_item_id == item)).all()
    if message:
        assert message in page
        assert "Die Niederschrift der 2. Sitzung wird genehmigt." in page  # nothing typed is lost
        assert decisions == []
    else:
        assert "angenommen" in page and "(3 Ja, 1 Nein, 1 Enthaltung)" in page
        assert decisions[0].accepted and response.headers["HX-Trigger"]


def test_decision_needs_attendance_first(app, client_as, ag):
    item = first_item(app, ag, 3)
    response = client_as("protokoll").post(ag.url(3, f"agenda/{item}/decisions"), data={
        f"decision{item}-text": "Beschluss", f"decision{item}-yes": 3, f"decision{item}-no": 0,
        f"decision{item}-abstain": 0})
    assert response.status_code == 422
    assert "Bitte erfasse zuerst die Anwesenheit" in text(response)


# --- agenda --------------------------------------------------------------------------------------------

def test_empty_top_title_is_refused_and_the_description_kept(app, client_as, ag):
    response = client_as("protokoll").post(ag.url(3, "agenda"),
                                           data={"agenda-title": "  ", "agenda-description": "Bericht der Träger"})
    assert response.status_code == 422
    assert "Bitte gib dem TOP einen Titel." in text(response)
    assert "Bericht der Träger" in text(response)


def test_tops_can_be_added_and_reordered(app, client_as, ag):
    client = client_as("protokoll")
    client.post(ag.url(3, "agenda"), data={"agenda-title": "Bericht aus dem JHA"})
    with app.app_context():
        items = meeting(ag, 3).agenda
        assert [i.title for i in items][-1] == "Bericht aus dem JHA" and items[-1].position == 4
        last = items[-1].id
    client.post(ag.url(3, f"agenda/{last}/move"), data={"direction": "up"})
    with app.app_context():
        assert [i.position for i in meeting(ag, 3).agenda if i.id == last] == [3]
        assert [i.position for i in sorted(meeting(ag, 3).agenda, key=lambda i: i.position)] == [1, 2, 3, 4]


def test_meeting_end_before_start_is_refused(app, client_as, ag):
    response = client_as("protokoll").post(f"{ag.base}/meetings/new", data={
        "number": 6, "date": "2027-05-11", "start_time": "12:00", "end_time": "09:00", "place": "Rathaus",
        "status": "geplant"})
    assert response.status_code == 422
    assert "Das Ende muss nach dem Beginn liegen." in text(response)
    assert 'value="Rathaus"' in text(response)


@pytest.mark.parametrize("field,value,message", [
    ("date", "31.02.2027", "Kein gültiges Datum."),
    ("date", "2200-05-11", "höchstens 10 Jahre vor oder nach heute"),  # a typo, caught
    ("status", "vertagt", "Keine gültige Auswahl."),
    ("number", "2", "Eine 2. Sitzung gibt es schon."),
])
def test_meeting_form_answers_in_german(app, client_as, ag, field, value, message):
    data = {"number": 6, "date": "2027-05-11", "start_time": "09:00", "end_time": "12:00", "place": "Rathaus",
            "status": "geplant", field: value}
    response = client_as("protokoll").post(f"{ag.base}/meetings/new", data=data)
    assert response.status_code == 422
    assert message in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting).where(Meeting.group_id == ag.group_id)) == 3


def _ag_events(ag: AG, start: datetime, end: datetime, user) -> list:
    uids = {f"ag-meeting-{mid}@traegerportal" for mid in ag.meetings.values()} | {
        f"ag-meeting-{mid}@traegerportal" for mid in db.session.scalars(
            select(Meeting.id).where(Meeting.group_id == ag.group_id))}
    return [e for e in external_events(start, end, user) if e.uid in uids]


def test_new_meeting_goes_into_the_calendar_and_changes_raise_its_sequence(app, client_as, ag):
    client = client_as("protokoll")
    response = client.post(f"{ag.base}/meetings/new", data={
        "number": 6, "date": "2027-05-11", "start_time": "09:00", "end_time": "12:00",
        "place": "Rathaus, Raum 101", "status": "geplant"})
    assert response.status_code == 303
    start = datetime(2027, 5, 1, tzinfo=timezone.utc)
    with app.test_request_context():
        [event] = _ag_events(ag, start, start + timedelta(days=30), None)
        assert event.title == "AG Prüf – 6. Sitzung" and event.sequence == 0
        meeting_id = db.session.scalar(select(Meeting.id).where(Meeting.group_id == ag.group_id,
                                                                Meeting.number == 6))
    client.post(f"{ag.base}/meetings/{meeting_id}/edit", data={
        "number": 6, "date": "2027-05-11", "start_time": "09:00", "end_time": "12:00",
        "place": "Rathaus, Raum 101", "status": "abgesagt"})
    with app.test_request_context():
        [event] = _ag_events(ag, start, start + timedelta(days=30), None)
        assert event.cancelled and event.sequence == 1


# --- calendar source -----------------------------------------------------------------------------------

def test_calendar_source_gives_dates_to_everybody_without_content(app, ag):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with app.test_request_context():
        events = _ag_events(ag, start, datetime(2027, 12, 31, tzinfo=timezone.utc), get_user("ag_mitglied"))
    assert [e.title for e in events] == [f"AG Prüf – {n}. Sitzung" for n in range(1, 4)]
    first = events[0]
    assert first.start.isoformat() == "2026-01-27T09:00:00+01:00" and first.end.hour == 12
    assert first.place == "Rathaus, Raum 1" and first.category == "sitzung"
    assert first.url == ag.url(1) and first.organiser == "AG Prüf"
    assert first.description == "" and not first.cancelled and first.last_modified is not None
    assert events[1].start.isoformat() == "2026-05-12T09:00:00+02:00"  # summer time


def test_calendar_source_works_outside_a_request_too(app, ag):
    with app.app_context():
        [event] = _ag_events(ag, datetime(2026, 1, 27, tzinfo=timezone.utc), datetime(2026, 1, 28, tzinfo=timezone.utc),
                             get_user("leitung"))
        assert event.url == ag.url(1)


@pytest.mark.parametrize("role", ["ehrenamt", "fachkraft", "moderation", None])
def test_calendar_links_a_meeting_only_for_those_who_may_open_it(app, ag, role):
    with app.app_context():
        user = get_user(role) if role else None
        [event] = _ag_events(ag, datetime(2026, 1, 27, tzinfo=timezone.utc),
                             datetime(2026, 1, 28, tzinfo=timezone.utc), user)
    assert event.title == "AG Prüf – 1. Sitzung" and event.url is None


def test_calendar_source_window_is_half_open(app, ag):
    with app.test_request_context():
        end_of_meeting = datetime(2026, 1, 27, 11, 0, tzinfo=timezone.utc)  # 12:00 Berlin
        assert _ag_events(ag, end_of_meeting, end_of_meeting + timedelta(hours=1), None) == []
        assert len(_ag_events(ag, end_of_meeting - timedelta(minutes=1), end_of_meeting, None)) == 1


# --- carry-over of open tasks ----------------------------------------------------------------------------

def test_open_tasks_carry_over_to_later_meetings_until_done(app, client_as, ag):
    client = client_as("protokoll")
    item = first_item(app, ag, 3)
    response = client.post(ag.url(3, f"agenda/{item}/actions"), data={
        f"action{item}-task": "Stellungnahme an den JHA senden", f"action{item}-responsible": "Anna Adler",
        f"action{item}-due_on": "2027-02-15"})
    assert response.status_code == 303
    page3 = text(client.get(ag.url(3)))
    assert "Offene Aufgaben aus früheren Sitzungen" in page3
    assert "Übersicht der Fachleistungsstunden erstellen" in page3  # from the 1st meeting, still open
    assert "Empfehlung für die Dezembersitzung vorbereiten" in page3  # from the 2nd
    assert "Offene Aufgaben aus früheren Sitzungen" not in text(client.get(ag.url(1)))  # nothing before the 1st
    with app.app_context():
        task_id = db.session.scalar(select(ActionItem.id).where(
            ActionItem.group_id == ag.group_id, ActionItem.task == "Übersicht der Fachleistungsstunden erstellen"))
    assert client.post(f"{ag.base}/actions/{task_id}/done", data={"done": "1"}).status_code == 303
    assert "ist erledigt" in text(client.get("/ag/"))  # the confirmation (flash) is shown once
    assert "Übersicht der Fachleistungsstunden erstellen" not in text(client.get(ag.url(3)))
    group = text(client.get(f"{ag.base}/"))
    assert "Übersicht der Fachleistungsstunden" not in group and "Stellungnahme an den JHA senden" in group
    # in the meeting where it was agreed it stays, marked done
    page1 = text(client.get(ag.url(1)))
    assert re.search(r"Übersicht der Fachleistungsstunden erstellen.{0,400}erledigt", page1, re.S)


# --- attachments -------------------------------------------------------------------------------------------

def upload(client, ag: AG, name: str, content: bytes, number: int = 3):
    return client.post(ag.url(number, "attachments"), content_type="multipart/form-data",
                       data={"attachment-file": (io.BytesIO(content), name), "attachment-agenda_item": "0"})


def test_attachment_upload_and_download_for_members_only(app, client_as, ag):
    client = client_as("protokoll")
    assert upload(client, ag, "Einladung 3. Sitzung.pdf", PDF).status_code == 303
    with app.app_context():
        a = db.session.scalar(select(MeetingAttachment).where(MeetingAttachment.meeting_id == ag.meetings[3]))
    url = f"{ag.base}/attachments/{a.id}"
    assert url in text(client.get(ag.url(3)))
    response = client_as("ag_mitglied").get(url)
    assert response.status_code == 200 and response.data == PDF
    assert client_as("fachkraft").get(url).status_code == 404


@pytest.mark.parametrize("name,content,status,message", [
    ("gross.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), 413, "höchstens 10 MB"),
    ("bild.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, 422, "nicht erlaubtes Format"),
    ("falsch.pdf", b"MZ\x90\x00 not a pdf", 422, "kein gültiges PDF"),
])
def test_bad_attachments_are_refused_with_a_german_message(app, client_as, ag, name, content, status, message):
    response = upload(client_as("protokoll"), ag, name, content)
    assert response.status_code == status
    assert message in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(MeetingAttachment.id))) == 0


# --- search and print ---------------------------------------------------------------------------------------

def test_search_finds_minutes_of_ones_ags_and_answers_htmx_with_the_results_only(app, client_as, ag):
    client = client_as("ag_mitglied")
    page = text(client.get("/ag/search?q=Ausschuss"))
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert "AG Prüf – 2. Sitzung, TOP 1: Bericht aus dem Jugendhilfeausschuss" in page
    partial = client.get("/ag/search?q=ausschuss", headers={"HX-Request": "true"})
    assert text(partial).lstrip().startswith('<div id="search-results"')
    assert "<mark>Ausschuss</mark>" in text(partial)
    # decisions are searched too; drafts are not
    assert "AG Prüf – 1. Sitzung, TOP 2: Geschäftsordnung" in text(client.get("/ag/search?q=Prüfgruppe"))
    assert "0 Treffer" in text(client.get("/ag/search?q=Jugendhilfeplanung"))
    # % and _ are searched literally
    assert "0 Treffer" in text(client.get("/ag/search?q=%25%25"))
    assert "TOP 2: Zielvorgabe 15 % Sozialraumangebote" in text(client.get("/ag/search?q=15 %25"))


def test_print_view_has_the_whole_niederschrift(app, client_as, ag):
    page = text(client_as("ag_mitglied").get(ag.url(1, "print")))
    with app.app_context():
        protokoll = get_user("protokoll").display_name
    for part in ("Niederschrift der 1. Sitzung", "Genehmigt am 12.05.2026", "Dienstag, 27. Januar 2026",
                 "TOP 2: Geschäftsordnung", "Beschluss (angenommen; 6 Ja, 0 Nein, 0 Enthaltung)",
                 "Unterschrift Sitzungsleitung", "Unterschrift Protokollführung", protokoll, "Gedruckt am"):
        assert part in page


# --- OParl: the one-document export became the OParl interface, tests/test_oparl.py -------------------------

# --- queries ------------------------------------------------------------------------------------------------

def _bulk(app, ag: AG, meetings: int):
    with app.app_context():
        start = 100
        db.session.execute(insert(Meeting), [
            dict(group_id=ag.group_id, number=start + i, date=date(2020, 1, 1) + timedelta(days=i % 2000),
                 start_time=time(9), end_time=time(12), place="Raum", status="durchgefuehrt", guests="",
                 sequence=0, updated_at=datetime.now(timezone.utc), minutes_status="veroeffentlicht",
                 minutes_changed_at=datetime.now(timezone.utc), approval_note="")
            for i in range(meetings)])
        ids = db.session.scalars(select(Meeting.id).where(Meeting.group_id == ag.group_id,
                                                          Meeting.number >= start)).all()
        db.session.execute(insert(AgendaItem), [
            dict(meeting_id=mid, position=1, title="Bericht Ausschuss", description="", minutes="Ausschuss Ergebnis",
                 minutes_html="<p>Ausschuss Ergebnis</p>", version=1) for mid in ids])
        items = db.session.scalars(select(AgendaItem.id).where(AgendaItem.meeting_id.in_(ids))).all()
        db.session.execute(insert(ActionItem), [
            dict(group_id=ag.group_id, meeting_id=mid, agenda_item_id=iid, task="Aufgabe", responsible="Träger",
                 created_at=datetime.now(timezone.utc)) for mid, iid in zip(ids[:300], items[:300])])
        db.session.commit()


@pytest.mark.parametrize("path", ["/ag/", "/ag/pruef/", "/ag/search?q=ausschuss"])
def test_list_pages_run_a_fixed_number_of_queries(app, client_as, count_queries, ag, path):
    client = client_as("ag_mitglied")
    client.get(path)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    _bulk(app, ag, 5000)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert large.count == small.count, large.statements


def test_meeting_page_runs_a_fixed_number_of_queries(app, client_as, count_queries, ag):
    client = client_as("protokoll")
    url = ag.url(3)
    client.get(url)
    with count_queries() as small:
        client.get(url)
    _bulk(app, ag, 300)
    record_attendance(app, ag, client, 3)
    for i in range(5):
        assert client.post(ag.url(3, "agenda"), data={"agenda-title": f"TOP {i}"}).status_code == 303
    client.get(url)  # the write renewed the kept layout facts (portal.navigation): counted once, then kept
    with count_queries() as large:
        client.get(url)
    assert large.count == small.count, large.statements


@pytest.mark.parametrize("role, path, most", [
    # every full page: the signed-in user, the bell, the navigation badges and whether the AG tab shows
    ("ag_mitglied", "/ag/pruef/", 9),
    ("protokoll", "meeting", 13),
    ("ag_mitglied", "/ag/search?q=ausschuss", 5),
])
def test_ag_pages_stay_within_their_query_budget(app, client_as, count_queries, ag, role, path, most):
    """Members, authors and approvers are loaded with the rows that name them (bench/plans_ag.py
    shows that their roles are not loaded)."""
    client = client_as(role)
    url = ag.url(3) if path == "meeting" else path
    record_attendance(app, ag, client_as("protokoll"), 3)
    client.get(url)
    with count_queries() as q:
        assert client.get(url).status_code == 200
    assert q.count <= most, q.statements
