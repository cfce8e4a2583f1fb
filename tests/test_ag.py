"""AG 78: access, minutes lifecycle, quorum and votes, read receipts, carry-over of tasks,
sanitising, attachments, search, the calendar source and the OParl export."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from portal.ag import services
from portal.ag.models import (ActionItem, AgendaItem, Correction, Decision, Meeting, MeetingAttachment, MeetingStatus,
                              Membership, MinutesStatus, WorkingGroup)
from portal.calendar.sources import external_events
from portal.extensions import db
from tests.conftest import get_user

BASE = "/ag/hze"
NON_MEMBERS = ["moderation", "koordination", "fachkraft", "fachkraft_caritas", "ehrenamt", "ehrenamt_legefeld"]


def meeting(number: int) -> Meeting:
    return db.session.scalar(select(Meeting).where(Meeting.number == number))


def murl(app, number: int, suffix: str = "") -> str:
    with app.app_context():
        return f"{BASE}/meetings/{meeting(number).id}/{suffix}"


def first_item(app, number: int) -> int:
    with app.app_context():
        return meeting(number).agenda[0].id


def text(response) -> str:
    return response.get_data(as_text=True)


def record_attendance(app, client, number: int, absent: int = 0):
    """All members present except the first ``absent`` voting members (excused)."""
    with app.app_context():
        m = meeting(number)
        members = services.members_on(m.group_id, m.date)
        voting = [ms.id for ms in members if ms.voting][:absent]
        data = {f"m-{ms.id}": ("entschuldigt" if ms.id in voting else "anwesend") for ms in members}
    data["guests"] = "Gerda Winkler (Vorsitzende JHA)"
    return client.post(murl(app, number, "attendance"), data=data)


# --- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", NON_MEMBERS)
def test_non_members_get_404_on_every_kind_of_ag_content(app, client_as, role):
    client = client_as(role)
    for url in [f"{BASE}/", murl(app, 1), murl(app, 1, "print"), f"{BASE}/oparl.json"]:
        assert client.get(url).status_code == 404, url
    # and the search finds nothing in AGs they are not in
    assert "Workshop" not in text(client.get("/ag/search?q=workshop"))


@pytest.mark.parametrize("role", ["leitung", "admin", "ag_mitglied", "protokoll"])
def test_members_leitung_and_administration_read_published_minutes(app, client_as, role):
    page = text(client_as(role).get(murl(app, 1)))
    assert "Die Geschäftsordnung der AG 78 HzE wird mit den in der Sitzung besprochenen Änderungen" in page
    assert "17 von 17 stimmberechtigten Mitgliedern anwesend" in page


def test_ag_page_lists_members_with_functions_and_open_tasks(app, client_as):
    page = text(client_as("ag_mitglied").get(f"{BASE}/"))
    assert "Mitglieder (20, davon 17 stimmberechtigt)" in page
    assert re.search(r"Jens Lorenz</td>\s*<td>HTG</td>\s*<td>Sprecher:in", page)
    assert re.search(r"Claudia Richter</td>\s*<td>Familienamt</td>\s*<td>Protokoll", page)
    assert "Übersicht der Stunden § 31 je Sozialraum" in page  # open task from the 1st meeting
    assert "Raum und Moderation für den Workshop" not in page  # done tasks are not listed


def test_draft_minutes_are_hidden_from_readers_but_not_from_the_protokoll(app, client_as):
    item = first_item(app, 5)
    with app.app_context():
        i = db.session.get(AgendaItem, item)
        i.minutes, i.minutes_html = "Geheimer Entwurfstext", "<p>Geheimer Entwurfstext</p>"
        db.session.commit()
    assert "Geheimer Entwurfstext" not in text(client_as("ag_mitglied").get(murl(app, 5)))
    assert "Geheimer Entwurfstext" in text(client_as("protokoll").get(murl(app, 5)))
    assert client_as("ag_mitglied").get(murl(app, 5, "print")).status_code == 403


def test_ag_index_shows_dates_to_everybody_but_links_only_for_members(app, client_as):
    with app.app_context():
        m = meeting(5)
        m.date = services.today() + timedelta(days=10)
        db.session.commit()
        link = f'href="{BASE}/meetings/{m.id}/"'
    outsider = text(client_as("ehrenamt").get("/ag/"))
    assert "AG 78 HzE – 5. Sitzung" in outsider and link not in outsider
    assert "Du bist in keiner Arbeitsgemeinschaft Mitglied" in outsider
    assert link in text(client_as("ag_mitglied").get("/ag/"))


# --- lifecycle -------------------------------------------------------------------------------------

#: (meeting number and so its state, transition, role, expected status, state afterwards)
LIFECYCLE = [
    (5, "publish", "protokoll", 303, MinutesStatus.VEROEFFENTLICHT),
    (5, "publish", "ag_mitglied", 403, MinutesStatus.ENTWURF),
    (5, "publish", "leitung", 403, MinutesStatus.ENTWURF),
    (5, "publish", "admin", 403, MinutesStatus.ENTWURF),
    (5, "publish", "ehrenamt", 404, MinutesStatus.ENTWURF),
    (5, "approve", "protokoll", 409, MinutesStatus.ENTWURF),
    (5, "withdraw", "protokoll", 409, MinutesStatus.ENTWURF),
    (4, "approve", "protokoll", 303, MinutesStatus.GENEHMIGT),
    (4, "approve", "ag_mitglied", 403, MinutesStatus.VEROEFFENTLICHT),
    (4, "withdraw", "protokoll", 303, MinutesStatus.ENTWURF),
    (4, "publish", "protokoll", 409, MinutesStatus.VEROEFFENTLICHT),
    (1, "withdraw", "protokoll", 409, MinutesStatus.GENEHMIGT),
    (1, "publish", "protokoll", 409, MinutesStatus.GENEHMIGT),
    (1, "approve", "protokoll", 409, MinutesStatus.GENEHMIGT),
    (5, "delete", "protokoll", 404, MinutesStatus.ENTWURF),
]


@pytest.mark.parametrize("number,name,role,status,after", LIFECYCLE)
def test_minutes_lifecycle_by_role(app, client_as, number, name, role, status, after):
    reason = "in der 5. Sitzung einstimmig" if name == "approve" else "Fehler in TOP 2"
    response = client_as(role).post(murl(app, number, f"minutes/{name}"),
                                    data={f"transition-{name}-reason": reason})
    assert response.status_code == status
    with app.app_context():
        assert meeting(number).minutes_status == after


def test_every_state_change_is_recorded_with_who_when_and_why(app, client_as):
    client = client_as("protokoll")
    client.post(murl(app, 4, "minutes/approve"), data={"transition-approve-reason": "in der 5. Sitzung einstimmig"})
    with app.app_context():
        m = meeting(4)
        event = m.events[-1]
        assert (event.from_status, event.to_status) == (MinutesStatus.VEROEFFENTLICHT, MinutesStatus.GENEHMIGT)
        assert event.actor.email == "protokoll.ag78@portal.example"
        assert event.reason == "in der 5. Sitzung einstimmig"
        assert event.created_at is not None
        assert m.approved_by.display_name == "Claudia Richter" and m.approval_note == "in der 5. Sitzung einstimmig"
    page = text(client.get(murl(app, 4)))
    assert "eingetragen von Claudia Richter – in der 5. Sitzung einstimmig" in page


def test_approval_and_withdrawal_need_a_reason(app, client_as):
    response = client_as("protokoll").post(murl(app, 4, "minutes/approve"), data={"transition-approve-reason": " "})
    assert response.status_code == 422
    assert "Bitte gib eine Begründung an." in text(response)
    with app.app_context():
        assert meeting(4).minutes_status == MinutesStatus.VEROEFFENTLICHT


def test_approved_minutes_cannot_be_edited_and_the_refusal_shows_the_berichtigung(app, client_as):
    client = client_as("protokoll")
    item = first_item(app, 1)
    with app.app_context():
        before = db.session.get(AgendaItem, item).minutes
    for method, url in [("GET", murl(app, 1, f"agenda/{item}")), ("POST", murl(app, 1, f"agenda/{item}")),
                        ("POST", murl(app, 1, f"agenda/{item}/decisions")), ("POST", murl(app, 1, "agenda")),
                        ("GET", murl(app, 1, "attendance")), ("POST", murl(app, 1, f"agenda/{item}/delete"))]:
        response = client.open(url, method=method, data={"title": "Neu", "minutes": "überschrieben", "version": "1"})
        assert response.status_code == 409, url
        assert "Berichtigung anfügen" in text(response)
        assert murl(app, 1, "corrections") in text(response)
        if method == "POST":  # what was typed is shown for copying into a Berichtigung, not lost
            assert re.search(r"<textarea[^>]*readonly>Neu\n\nüberschrieben</textarea>", text(response))
    with app.app_context():
        assert db.session.get(AgendaItem, item).minutes == before


def test_a_berichtigung_is_a_dated_addendum_and_makes_the_minutes_new_again(app, client_as):
    response = client_as("protokoll").post(murl(app, 1, "corrections"), data={
        "agenda_item": first_item(app, 1), "text": "In TOP 1 muss es heißen: **18** Vertreterinnen."})
    assert response.status_code == 303
    with app.app_context():
        c = db.session.scalar(select(Correction))
        assert c.author.display_name == "Claudia Richter"
        assert "<strong>18</strong>" in c.text_html
        assert meeting(1).minutes_status == MinutesStatus.GENEHMIGT
    page = text(client_as("ag_mitglied").get(murl(app, 1)))
    assert "Berichtigung vom" in page and "neu für dich" in page


def test_published_minutes_are_changed_only_after_withdrawal(app, client_as):
    response = client_as("protokoll").get(murl(app, 4, f"agenda/{first_item(app, 4)}"))
    assert response.status_code == 409
    assert "zur Überarbeitung zurück" in text(response)


def test_members_may_add_a_change_request_to_published_minutes(app, client_as):
    response = client_as("ag_mitglied").post(murl(app, 4, "change-requests"),
                                             data={"change-text": "Bitte TOP 2 um die Gegenstimme der AWO ergänzen."})
    assert response.status_code == 303
    page = text(client_as("protokoll").get(murl(app, 4)))
    assert "Bitte TOP 2 um die Gegenstimme der AWO ergänzen." in page and "Martin Hoffmann" in page
    # not possible any more once approved
    client_as("protokoll").post(murl(app, 4, "minutes/approve"), data={"transition-approve-reason": "einstimmig"})
    assert client_as("ag_mitglied").post(murl(app, 4, "change-requests"),
                                         data={"change-text": "zu spät"}).status_code == 409


def test_concurrent_edit_of_a_top_gets_409(app, client_as):
    client = client_as("protokoll")
    item = first_item(app, 5)
    url = murl(app, 5, f"agenda/{item}")
    assert client.post(url, data={"title": "A", "minutes": "erste", "version": "1"}).status_code == 303
    response = client.post(url, data={"title": "B", "minutes": "zweite Fassung", "version": "1"})
    assert response.status_code == 409
    page = text(response)
    assert "Inzwischen hat jemand anderes diesen TOP gespeichert." in page
    assert "zweite Fassung</textarea>" in page and "<p>erste</p>" in page  # both texts, nothing lost
    with app.app_context():
        assert db.session.get(AgendaItem, item).minutes == "erste"
    # saving again after looking at both is deliberate and works
    assert client.post(url, data={"title": "B", "minutes": "zweite Fassung", "version": "2"}).status_code == 303


# --- read receipts -----------------------------------------------------------------------------------

def test_member_sees_new_minutes_confirms_reading_and_the_protokoll_sees_it(app, client_as):
    member = client_as("ag_mitglied")
    assert "1 neue Niederschrift" in text(member.get("/ag/"))
    assert "neu für dich" in text(member.get(murl(app, 4)))
    assert "neu für dich" not in text(member.get(murl(app, 1)))
    assert member.post(murl(app, 4, "read")).status_code == 303
    page = text(member.get(murl(app, 4)))
    assert "neu für dich" not in page and "Du hast diese Niederschrift gelesen" in page
    readers = text(client_as("protokoll").get(murl(app, 4, "readers")))
    assert re.search(r"Martin Hoffmann</td>\s*<td>Diakonie</td>\s*<td><span class=\"tag tag--genehmigt\">gelesen", readers)
    assert re.search(r"Uwe Schröder</td>\s*<td>AWO</td>\s*<td><span class=\"tag tag--muted\">noch nicht gelesen", readers)
    with app.app_context():
        assert services.unread_count(get_user("ag_mitglied")) == 0



def test_a_person_with_two_memberships_is_listed_once_under_who_has_read(app, client_as):
    protokoll = client_as("protokoll")
    before = text(protokoll.get(murl(app, 4, "readers")))
    with app.app_context():
        first = db.session.scalar(select(Membership).join(Membership.user)
                                  .where(Membership.group_id == meeting(4).group_id,
                                         Membership.user.has(display_name="Martin Hoffmann")))
        # e.g. also a deputy for another Träger in the same AG
        db.session.add(Membership(group_id=first.group_id, user_id=first.user_id, traeger_id=None, voting=False,
                                  valid_from=first.valid_from))
        db.session.commit()
    after = text(protokoll.get(murl(app, 4, "readers")))
    assert after.count("Martin Hoffmann</td>") == 1
    count = re.compile(r"(\d+) von (\d+) Mitgliedern")
    assert count.search(after).groups() == count.search(before).groups()


NAV_BADGE = re.compile(r'href="/ag/"[^>]*>.*?<span class="badge"[^>]*>(\d+)<span class="visually-hidden"> neu zu lesen',
                       re.S)


def nav_badge(client) -> int:
    """The number beside "AG 78" in the main navigation (0: no badge)."""
    page = text(client.get("/board/"))
    nav = page[page.index('class="mainnav"'):page.index("</nav>", page.index('class="mainnav"'))]
    found = NAV_BADGE.search(nav)
    return int(found.group(1)) if found else 0


def test_nav_badge_counts_minutes_new_to_the_member_until_confirmed(app, client_as):
    member, protokoll = client_as("ag_mitglied"), client_as("protokoll")
    assert nav_badge(member) == 1  # the published 4. Sitzung
    assert nav_badge(protokoll) == 0  # publishing marks them read for the author
    for role in ["leitung", "admin", "ehrenamt"]:  # not members: nothing is "new" to them
        assert nav_badge(client_as(role)) == 0
    assert member.post(murl(app, 4, "read")).status_code == 303
    assert nav_badge(member) == 0
    # a withdrawn and re-published text is new again
    assert protokoll.post(murl(app, 4, "minutes/withdraw"), data={"transition-withdraw-reason": "Tippfehler"}
                          ).status_code == 303
    assert nav_badge(member) == 0  # a draft is nobody's reading
    assert protokoll.post(murl(app, 4, "minutes/publish")).status_code == 303
    assert nav_badge(member) == 1
    member.post(murl(app, 4, "read"))
    # approval changes no text; a Berichtigung does
    protokoll.post(murl(app, 4, "minutes/approve"), data={"transition-approve-reason": "in der 5. Sitzung"})
    assert nav_badge(member) == 0
    assert protokoll.post(murl(app, 4, "corrections"), data={"text": "TOP 2: 15 statt 14 Ja-Stimmen."}
                          ).status_code == 303
    assert nav_badge(member) == 1


def test_minutes_settled_before_someone_joined_are_not_new_to_them(app, client_as):
    newcomer, protokoll = client_as("ehrenamt"), client_as("protokoll")
    with app.app_context():
        db.session.add(Membership(group_id=meeting(4).group_id, user_id=get_user("ehrenamt").id,
                                  valid_from=date.today() - timedelta(days=1)))
        db.session.commit()
    assert nav_badge(newcomer) == 0  # the published 4. Sitzung is older than the membership
    assert "neue Niederschrift" not in text(newcomer.get("/ag/"))
    assert "neu für dich" not in text(newcomer.get(murl(app, 4)))
    # a change after joining is new to them like to everyone
    protokoll.post(murl(app, 4, "minutes/approve"), data={"transition-approve-reason": "in der 5. Sitzung"})
    assert protokoll.post(murl(app, 4, "corrections"), data={"text": "TOP 2: 15 statt 14 Ja-Stimmen."}
                          ).status_code == 303
    assert nav_badge(newcomer) == 1
    assert "neu für dich" in text(newcomer.get(murl(app, 4)))
    assert nav_badge(client_as("ag_mitglied")) == 1  # an older member: unchanged


def test_nav_badges_are_counted_only_for_pages_that_show_the_navigation(client_as, count_queries):
    member = client_as("ag_mitglied")
    with count_queries() as page:
        assert nav_badge(member) == 1
    with count_queries() as fragment:
        assert member.get("/ag/search?q=workshop", headers={"HX-Request": "true"}).status_code == 200
    counts_unread = [s for s in page.statements if "ag_read_receipt" in s and "count(" in s]
    assert len(counts_unread) == 1  # once per page, though base.html and a partial both ask
    assert not any("ag_read_receipt" in s and "count(" in s for s in fragment.statements)


def test_draft_minutes_cannot_be_confirmed_as_read(app, client_as):
    assert client_as("ag_mitglied").post(murl(app, 5, "read")).status_code == 409


# --- attendance, quorum and votes ------------------------------------------------------------------

@pytest.mark.parametrize("voting,present,reached", [(17, 9, True), (17, 8, False), (16, 8, False), (16, 9, True),
                                                    (1, 1, True), (0, 0, False)])
def test_quorum_is_more_than_half_of_the_voting_members(voting, present, reached):
    q = services.Quorum(voting_members=voting, voting_present=present, present=present, recorded=True)
    assert q.reached is reached


def test_attendance_is_recorded_and_quorum_shown(app, client_as):
    client = client_as("protokoll")
    assert record_attendance(app, client, 5, absent=9).status_code == 303
    page = text(client.get(murl(app, 5)))
    assert "Nicht beschlussfähig:" in page and "8 von 17 stimmberechtigten Mitgliedern anwesend (nötig: 9)" in page
    assert "Gerda Winkler (Vorsitzende JHA)" in page
    record_attendance(app, client, 5, absent=2)
    assert "Beschlussfähig:</strong>\n  15 von 17" in text(client.get(murl(app, 5)))
    with app.app_context():
        m = meeting(5)
        assert m.status == MeetingStatus.DURCHGEFUEHRT and m.sequence == 2


def test_attendance_without_a_choice_keeps_the_others_and_says_what_is_missing(app, client_as):
    with app.app_context():
        m = meeting(5)
        members = services.members_on(m.group_id, m.date)
    data = {f"m-{ms.id}": "entschuldigt" for ms in members[1:]}
    response = client_as("protokoll").post(murl(app, 5, "attendance"), data=data)
    assert response.status_code == 422
    page = text(response)
    assert "Bitte wähle anwesend, entschuldigt oder fehlt." in page
    assert page.count('value="entschuldigt" checked') == len(members) - 1


@pytest.mark.parametrize("yes,no,abstain,absent,status,message", [
    (10, 3, 2, 2, 200, None),
    (10, 5, 1, 2, 422, "Es wurden 16 Stimmen gezählt, aber nur 15 stimmberechtigte Mitglieder sind anwesend."),
    (5, 0, 0, 9, 422, "Die Sitzung ist nicht beschlussfähig: 8 von 17"),
    (0, 0, 0, 0, 422, "Bitte trage das Abstimmungsergebnis ein."),
    (-1, 0, 0, 0, 422, "Nicht negativ."),
])
def test_vote_counts_are_checked_against_voting_members_present(app, client_as, yes, no, abstain, absent, status,
                                                                message):
    client = client_as("protokoll")
    record_attendance(app, client, 5, absent=absent)
    item = first_item(app, 5)
    prefix = f"decision{item}"
    response = client.post(murl(app, 5, f"agenda/{item}/decisions"), headers={"HX-Request": "true"}, data={
        f"{prefix}-text": "Die Niederschrift der 4. Sitzung wird genehmigt.",
        f"{prefix}-yes": yes, f"{prefix}-no": no, f"{prefix}-abstain": abstain})
    assert response.status_code == status
    page = text(response)
    assert page.lstrip().startswith(f'<section class="top" id="top-{item}"')  # the TOP's region only
    with app.app_context():
        decisions = db.session.scalars(select(Decision).where(Decision.agenda_item_id == item)).all()
    if message:
        assert message in page
        assert "Die Niederschrift der 4. Sitzung wird genehmigt." in page  # nothing typed is lost
        assert decisions == []
    else:
        assert "angenommen" in page and "(10 Ja, 3 Nein, 2 Enthaltung)" in page
        assert decisions[0].accepted and response.headers["HX-Trigger"]


def test_decision_needs_attendance_first(app, client_as):
    item = first_item(app, 5)
    response = client_as("protokoll").post(murl(app, 5, f"agenda/{item}/decisions"), data={
        f"decision{item}-text": "Beschluss", f"decision{item}-yes": 3, f"decision{item}-no": 0,
        f"decision{item}-abstain": 0})
    assert response.status_code == 422
    assert "Bitte erfasse zuerst die Anwesenheit" in text(response)


# --- agenda --------------------------------------------------------------------------------------------

def test_empty_top_title_is_refused_and_the_description_kept(app, client_as):
    response = client_as("protokoll").post(murl(app, 5, "agenda"),
                                           data={"agenda-title": "  ", "agenda-description": "Bericht der Träger"})
    assert response.status_code == 422
    assert "Bitte gib dem TOP einen Titel." in text(response)
    assert "Bericht der Träger" in text(response)


def test_tops_can_be_added_and_reordered(app, client_as):
    client = client_as("protokoll")
    client.post(murl(app, 5, "agenda"), data={"agenda-title": "Bericht aus dem JHA"})
    with app.app_context():
        items = meeting(5).agenda
        assert [i.title for i in items][-1] == "Bericht aus dem JHA" and items[-1].position == 4
        last = items[-1].id
    client.post(murl(app, 5, f"agenda/{last}/move"), data={"direction": "up"})
    with app.app_context():
        assert [i.position for i in meeting(5).agenda if i.id == last] == [3]
        assert [i.position for i in sorted(meeting(5).agenda, key=lambda i: i.position)] == [1, 2, 3, 4]


def test_meeting_end_before_start_is_refused(app, client_as):
    response = client_as("protokoll").post(f"{BASE}/meetings/new", data={
        "number": 6, "date": "2027-05-11", "start_time": "12:00", "end_time": "09:00", "place": "Rathaus",
        "status": "geplant"})
    assert response.status_code == 422
    assert "Das Ende muss nach dem Beginn liegen." in text(response)
    assert 'value="Rathaus"' in text(response)


def test_new_meeting_goes_into_the_calendar_and_changes_raise_its_sequence(app, client_as):
    client = client_as("protokoll")
    response = client.post(f"{BASE}/meetings/new", data={
        "number": 6, "date": "2027-05-11", "start_time": "09:00", "end_time": "12:00",
        "place": "Rathaus, Raum 101", "status": "geplant"})
    assert response.status_code == 303
    start = datetime(2027, 5, 1, tzinfo=timezone.utc)
    with app.test_request_context():
        [event] = external_events(start, start + timedelta(days=30), None)
        assert event.title == "AG 78 HzE – 6. Sitzung" and event.sequence == 0
        meeting_id = meeting(6).id
    client.post(f"{BASE}/meetings/{meeting_id}/edit", data={
        "number": 6, "date": "2027-05-11", "start_time": "09:00", "end_time": "12:00",
        "place": "Rathaus, Raum 101", "status": "abgesagt"})
    with app.test_request_context():
        [event] = external_events(start, start + timedelta(days=30), None)
        assert event.cancelled and event.sequence == 1


# --- calendar source -----------------------------------------------------------------------------------

def test_calendar_source_gives_dates_to_everybody_without_content(app):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with app.test_request_context():
        events = [e for e in external_events(start, datetime(2027, 12, 31, tzinfo=timezone.utc), get_user("ag_mitglied"))
                  if e.uid.startswith("ag-meeting-")]
        first = events[0]
        m1 = meeting(1)
    assert [e.title for e in events] == [f"AG 78 HzE – {n}. Sitzung" for n in range(1, 6)]
    assert first.start.isoformat() == "2026-01-27T09:00:00+01:00" and first.end.hour == 12
    assert first.place.startswith("Familienamt") and first.category == "sitzung"
    assert first.url == f"{BASE}/meetings/{m1.id}/" and first.organiser == "AG 78 HzE"
    assert first.description == "" and not first.cancelled and first.last_modified is not None
    assert events[1].start.isoformat() == "2026-05-12T09:00:00+02:00"  # summer time


def test_calendar_source_works_outside_a_request_too(app):
    with app.app_context():
        events = external_events(datetime(2026, 1, 27, tzinfo=timezone.utc), datetime(2026, 1, 28, tzinfo=timezone.utc),
                                 get_user("leitung"))
        assert events[0].url == f"{BASE}/meetings/{meeting(1).id}/"


@pytest.mark.parametrize("role", ["ehrenamt", "fachkraft", "moderation", None])
def test_calendar_links_a_meeting_only_for_those_who_may_open_it(app, role):
    with app.app_context():
        user = get_user(role) if role else None
        [event] = external_events(datetime(2026, 1, 27, tzinfo=timezone.utc),
                                  datetime(2026, 1, 28, tzinfo=timezone.utc), user)
    assert event.title == "AG 78 HzE – 1. Sitzung" and event.url is None


def test_calendar_source_window_is_half_open(app):
    with app.test_request_context():
        end_of_meeting = datetime(2026, 1, 27, 11, 0, tzinfo=timezone.utc)  # 12:00 Berlin
        assert [e.title for e in external_events(end_of_meeting, end_of_meeting + timedelta(hours=1), None)] == []
        assert len(external_events(end_of_meeting - timedelta(minutes=1), end_of_meeting, None)) == 1


# --- carry-over of open tasks ----------------------------------------------------------------------------

def test_open_tasks_carry_over_to_later_meetings_until_done(app, client_as):
    client = client_as("protokoll")
    item = first_item(app, 5)
    response = client.post(murl(app, 5, f"agenda/{item}/actions"), data={
        f"action{item}-task": "Stellungnahme an den JHA senden", f"action{item}-responsible": "Jens Lorenz",
        f"action{item}-due_on": "2027-02-15"})
    assert response.status_code == 303
    page5 = text(client.get(murl(app, 5)))
    assert "Offene Aufgaben aus früheren Sitzungen" in page5
    assert "Übersicht der Stunden § 31 je Sozialraum" in page5  # from the 1st meeting, still open
    assert "Empfehlung für die Dezembersitzung des JHA" in page5  # from the 4th
    assert "Offene Aufgaben aus früheren Sitzungen" not in text(client.get(murl(app, 1)))  # nothing before the 1st
    with app.app_context():
        task = db.session.scalar(select(ActionItem).where(ActionItem.task.like("Übersicht der Stunden%")))
        task_id = task.id
    assert client.post(f"{BASE}/actions/{task_id}/done", data={"done": "1"}).status_code == 303
    assert "ist erledigt" in text(client.get("/ag/"))  # the confirmation (flash) is shown once
    assert "Übersicht der Stunden § 31 je Sozialraum" not in text(client.get(murl(app, 5)))
    group = text(client.get(f"{BASE}/"))
    assert "Übersicht der Stunden § 31" not in group and "Stellungnahme an den JHA senden" in group
    # in the meeting where it was agreed it stays, marked done
    assert "erledigt" in text(client.get(murl(app, 1)))


# --- sanitising --------------------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[klick](javascript:alert(1))",
    '<a href="#" hx-get="/admin/users" hx-trigger="load">x</a>',
    "<iframe src=//evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg onload=alert(1)>",
]


@pytest.mark.parametrize("payload", XSS)
def test_minutes_markdown_is_sanitised(app, client_as, payload):
    client = client_as("protokoll")
    item = first_item(app, 5)
    client.post(murl(app, 5, f"agenda/{item}"), data={"title": "TOP", "minutes": f"Text {payload}", "version": "1"})
    client.post(murl(app, 5, "minutes/publish"))
    page = text(client_as("ag_mitglied").get(murl(app, 5)))
    region = page.split('class="usercontent top__minutes" hx-disable>')[1].split("</div>")[0]
    for bad in ("<script", "onerror", "javascript:", "hx-get", "<iframe", "style=", "<svg", "onload"):
        assert bad not in region.lower()


# --- attachments -------------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, app, name: str, content: bytes, number: int = 5):
    return client.post(murl(app, number, "attachments"), content_type="multipart/form-data",
                       data={"attachment-file": (io.BytesIO(content), name), "attachment-agenda_item": "0"})


def test_attachment_upload_and_download_for_members_only(app, client_as):
    client = client_as("protokoll")
    assert upload(client, app, "Einladung 5. Sitzung.pdf", PDF).status_code == 303
    with app.app_context():
        a = db.session.scalar(select(MeetingAttachment))
    url = f"{BASE}/attachments/{a.id}"
    assert url in text(client.get(murl(app, 5)))
    response = client_as("ag_mitglied").get(url)
    assert response.status_code == 200 and response.data == PDF
    assert client_as("fachkraft").get(url).status_code == 404


@pytest.mark.parametrize("name,content,status,message", [
    ("gross.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), 413, "höchstens 10 MB"),
    ("bild.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, 422, "nicht erlaubtes Format"),
    ("falsch.pdf", b"MZ\x90\x00 not a pdf", 422, "kein gültiges PDF"),
])
def test_bad_attachments_are_refused_with_a_german_message(app, client_as, name, content, status, message):
    response = upload(client_as("protokoll"), app, name, content)
    assert response.status_code == status
    assert message in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(MeetingAttachment.id))) == 0


# --- search and print ---------------------------------------------------------------------------------------

def test_search_finds_minutes_of_ones_ags_and_answers_htmx_with_the_results_only(app, client_as):
    client = client_as("ag_mitglied")
    page = text(client.get("/ag/search?q=Workshop"))
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert "1. Sitzung, TOP 5: Workshop Sozialraumorientierung" in page
    partial = client.get("/ag/search?q=workshop", headers={"HX-Request": "true"})
    assert text(partial).lstrip().startswith('<div id="search-results"')
    assert "<mark>Workshop</mark>" in text(partial)
    # decisions are searched too; drafts are not
    assert "TOP 3: Wahl der Sprecher:innen" in text(client.get("/ag/search?q=Sprecherinnen"))
    assert "5. Sitzung" not in text(client.get("/ag/search?q=Jugendhilfeplanung"))
    # % and _ are searched literally
    assert "0 Treffer" in text(client.get("/ag/search?q=%25%25"))
    assert "Zielvorgabe 15 % Sozialraumangebote" in text(client.get("/ag/search?q=15 %25"))


def test_print_view_has_the_whole_niederschrift(app, client_as):
    page = text(client_as("ag_mitglied").get(murl(app, 1, "print")))
    for part in ("Niederschrift der 1. Sitzung", "Genehmigt am 12.05.2026", "Dienstag, 27. Januar 2026",
                 "TOP 6: Verschiedenes und nächste Termine", "Beschluss (angenommen; 17 Ja, 0 Nein, 0 Enthaltung)",
                 "Für die Niederschrift: Claudia Richter"):
        assert part in page


# --- OParl export ------------------------------------------------------------------------------------------

def test_oparl_export_has_the_shape_of_oparl_1_1(app, client_as):
    response = client_as("ag_mitglied").get(f"{BASE}/oparl.json")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    schema = "https://schema.oparl.org/1.1/"
    org, *traeger = data["organization"]
    assert org["type"] == schema + "Organization" and org["organizationType"] == "Gremium"
    assert org["name"] == "AG 78 Hilfen zur Erziehung (ambulante und stationäre Träger)"
    assert org["id"].startswith("http://") and len(data["meeting"]) == 5 and len(org["membership"]) == 20
    assert isinstance(org["meeting"], str)  # OParl: the URL of the meeting list, not the list
    assert {p["type"] for p in data["person"]} == {schema + "Person"}
    assert all("email" not in p for p in data["person"])
    # Membership objects are embedded in their Person, as OParl has it, and the Organization links them
    memberships = [m for p in data["person"] for m in p["membership"]]
    assert sorted(m["id"] for m in memberships) == sorted(org["membership"])
    assert all(m["person"] == p["id"] for p in data["person"] for m in p["membership"])
    assert len([m for m in memberships if m["votingRight"]]) == 17
    # onBehalfOf is the URL of the represented Träger, itself exported as an Organization
    diakonie = next(t for t in traeger if t["name"].startswith("Diakonie"))
    assert diakonie["type"] == schema + "Organization" and diakonie["organizationType"] == "Institution"
    martin = next(p for p in data["person"] if p["name"] == "Martin Hoffmann")
    [membership] = martin["membership"]
    assert membership["onBehalfOf"] == diakonie["id"] and membership["votingRight"]
    assert membership["type"] == schema + "Membership" and membership["organization"] == org["id"]
    assert {m["onBehalfOf"] for m in memberships if "onBehalfOf" in m} == {t["id"] for t in traeger}
    assert all(value is not None for m in memberships for value in m.values())  # no nulls, as in OParl
    first = data["meeting"][0]
    assert first["type"] == schema + "Meeting" and first["name"] == "AG 78 HzE – 1. Sitzung"
    assert first["start"] == "2026-01-27T09:00:00+01:00" and first["end"] == "2026-01-27T12:00:00+01:00"
    assert first["location"]["type"] == schema + "Location" and "Familienamt" in first["location"]["description"]
    assert first["cancelled"] is False and first["organization"] == [org["id"]]
    top2 = first["agendaItem"][1]
    assert top2["type"] == schema + "AgendaItem" and top2["number"] == "2" and top2["name"] == "Geschäftsordnung"
    assert top2["result"].startswith("angenommen (17 Ja") and "Geschäftsordnung" in top2["resolutionText"]
    assert top2["meeting"] == first["id"]
    assert first["resultsProtocol"]["type"] == schema + "File"
    draft = data["meeting"][4]
    assert "resultsProtocol" not in draft and draft["participant"] == []


def test_oparl_export_lists_files_with_oparl_fields(app, client_as):
    upload(client_as("protokoll"), app, "Einladung.pdf", PDF)
    data = client_as("ag_mitglied").get(f"{BASE}/oparl.json").get_json()
    [f] = data["meeting"][4]["auxiliaryFile"]
    assert f["type"] == "https://schema.oparl.org/1.1/File" and f["mimeType"] == "application/pdf"
    assert f["fileName"] == "Einladung.pdf" and f["accessUrl"].endswith(f"/attachments/{f['id'].split('-')[-1]}")


# --- administration -------------------------------------------------------------------------------------------

def test_administration_adds_a_member_who_then_sees_the_ag(app, client_as):
    with app.app_context():
        user = get_user("fachkraft")
        uid, tid = user.id, user.traeger_id
    assert client_as("fachkraft").get(f"{BASE}/").status_code == 404
    response = client_as("admin").post(f"{BASE}/members/new", data={
        "user": uid, "traeger": tid, "function": "mitglied", "voting": "y", "valid_from": "2026-01-01"})
    assert response.status_code == 303
    page = text(client_as("fachkraft").get(f"{BASE}/"))
    assert "Mitglieder (21, davon 18 stimmberechtigt)" in page


def test_ended_membership_loses_access(app, client_as):
    with app.app_context():
        ms = db.session.scalar(select(Membership).where(Membership.user_id == get_user("ag_mitglied").id))
        ms.valid_to = services.today() - timedelta(days=1)
        db.session.commit()
    assert client_as("ag_mitglied").get(f"{BASE}/").status_code == 404


def test_administration_creates_an_ag(app, client_as):
    response = client_as("admin").post("/ag/new", data={
        "name": "AG 78 Kinder- und Jugendarbeit", "short_name": "AG 78 KJA", "description": "Offene Arbeit"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/ag/ag-78-kja/")


# --- queries ------------------------------------------------------------------------------------------------

def _bulk(app, meetings: int):
    with app.app_context():
        group_id = db.session.scalar(select(WorkingGroup.id))
        start = 100
        db.session.execute(insert(Meeting), [
            dict(group_id=group_id, number=start + i, date=date(2020, 1, 1) + timedelta(days=i % 2000),
                 start_time=time(9), end_time=time(12), place="Raum", status="durchgefuehrt", guests="",
                 sequence=0, updated_at=datetime.now(timezone.utc), minutes_status="veroeffentlicht",
                 minutes_changed_at=datetime.now(timezone.utc), approval_note="")
            for i in range(meetings)])
        ids = db.session.scalars(select(Meeting.id).where(Meeting.number >= start)).all()
        db.session.execute(insert(AgendaItem), [
            dict(meeting_id=mid, position=1, title="Bericht Workshop", description="", minutes="Workshop Ergebnis",
                 minutes_html="<p>Workshop Ergebnis</p>", version=1) for mid in ids])
        items = db.session.scalars(select(AgendaItem.id).where(AgendaItem.meeting_id.in_(ids))).all()
        db.session.execute(insert(ActionItem), [
            dict(group_id=group_id, meeting_id=mid, agenda_item_id=iid, task="Aufgabe", responsible="Träger",
                 created_at=datetime.now(timezone.utc)) for mid, iid in zip(ids[:300], items[:300])])
        db.session.commit()


@pytest.mark.parametrize("path", ["/ag/", f"{BASE}/", "/ag/search?q=workshop"])
def test_list_pages_run_a_fixed_number_of_queries(app, client_as, count_queries, path):
    client = client_as("ag_mitglied")
    client.get(path)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    _bulk(app, 5000)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert large.count == small.count, large.statements


def test_meeting_page_runs_a_fixed_number_of_queries(app, client_as, count_queries):
    client = client_as("protokoll")
    url = murl(app, 5)
    client.get(url)
    with count_queries() as small:
        client.get(url)
    _bulk(app, 300)
    record_attendance(app, client, 5)
    for i in range(5):
        client.post(murl(app, 5, "agenda"), data={"agenda-title": f"TOP {i}"})
    with count_queries() as large:
        client.get(url)
    assert large.count == small.count, large.statements


def test_plain_text_fields_are_escaped(app, client_as):
    client = client_as("protokoll")
    record_attendance(app, client, 5)
    item = first_item(app, 5)
    client.post(murl(app, 5, f"agenda/{item}/decisions"), data={
        f"decision{item}-text": "<script>alert(1)</script>Beschluss", f"decision{item}-yes": 3,
        f"decision{item}-no": 0, f"decision{item}-abstain": 0})
    client.post(murl(app, 5, f"agenda/{item}/actions"), data={
        f"action{item}-task": "<img src=x onerror=alert(1)>", f"action{item}-responsible": "<b>AWO</b>"})
    page = text(client.get(murl(app, 5)))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;Beschluss" in page
    assert "<img src=x" not in page and "&lt;b&gt;AWO&lt;/b&gt;" in page


def test_description_and_geschaeftsordnung_are_sanitised(app, client_as):
    client_as("admin").post(f"{BASE}/edit", data={
        "name": "AG 78 Hilfen zur Erziehung (ambulante und stationäre Träger)", "short_name": "AG 78 HzE",
        "slug": "hze", "description": "Beschreibung <script>alert(1)</script>",
        "rules": "§ 1 <iframe src=//evil.example></iframe> **gilt**", "rules_adopted_on": "2026-01-27"})
    page = text(client_as("ag_mitglied").get(f"{BASE}/"))
    assert "<script>alert(1)" not in page and "<iframe" not in page and "<strong>gilt</strong>" in page


def test_a_changed_description_shows_at_once(app, client_as):
    """The rendered description is kept per text: a new text is rendered anew, never the old one shown."""
    member = client_as("ag_mitglied")
    for description in ["Wir treffen uns **viermal** im Jahr.", "Wir treffen uns **sechsmal** im Jahr."]:
        client_as("admin").post(f"{BASE}/edit", data={
            "name": "AG 78 Hilfen zur Erziehung (ambulante und stationäre Träger)", "short_name": "AG 78 HzE",
            "slug": "hze", "description": description, "rules": "", "rules_adopted_on": ""})
        page = text(member.get(f"{BASE}/"))
        assert description.replace("**", "<strong>", 1).replace("**", "</strong>", 1) in page


def test_group_and_functions_come_from_one_query(app):
    with app.app_context():
        user = get_user("protokoll")
        group, functions = services.group_with_functions("hze", user)
        assert group.slug == "hze" and functions == services.functions_of(user, group)
        assert services.group_with_functions("hze", get_user("fachkraft"))[1] == frozenset()
        assert services.group_with_functions("gibt-es-nicht", user) == (None, frozenset())


@pytest.mark.parametrize("role, path, most", [
    # two for the signed-in user and one for the navigation badges are part of every page
    ("ag_mitglied", f"{BASE}/", 9),
    ("protokoll", "meeting", 13),
    ("ag_mitglied", "/ag/search?q=workshop", 4),
])
def test_ag_pages_load_people_by_name_without_their_roles(app, client_as, count_queries, role, path, most):
    """Members, authors and approvers are joined to the rows that name them; their roles are not loaded."""
    client = client_as(role)
    url = murl(app, 5) if path == "meeting" else path
    record_attendance(app, client_as("protokoll"), 5)
    client.get(url)
    with count_queries() as q:
        assert client.get(url).status_code == 200
    assert q.count <= most, q.statements
    assert sum("user_role" in s for s in q.statements) == 1, q.statements  # the signed-in user's own
