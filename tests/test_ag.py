"""AG 78: access, minutes lifecycle, quorum and votes, read receipts, carry-over of tasks,
sanitising, attachments, search, the calendar source and the OParl export.

Data: one AG built by tests/factories/ag.py (fixture ``ag``); the demo logins "protokoll" and
"ag_mitglied" are its Protokoll and a member, and members of no other AG during the test."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from portal.ag import services
from portal.ag.models import (ActionItem, AgendaItem, Attendance, Correction, Decision, Function, Meeting,
                              MeetingAttachment, MeetingStatus, Membership, MinutesStatus, Presence, ReadReceipt,
                              WorkingGroup)
from portal.calendar.sources import external_events
from portal.extensions import db, utcnow
from portal.org.models import Traeger
from tests.conftest import get_user
from tests.factories.ag import (PDF, add_member, make_action, make_decision, make_group, make_item, make_meeting,
                                make_person)

NON_MEMBERS = ["moderation", "koordination", "fachkraft", "fachkraft_caritas", "ehrenamt", "ehrenamt_legefeld"]
VOTING_PEOPLE = ["Anna Adler", "Bernd Berg", "Carla Conrad", "Dieter Dorn"]
GO_DECISION = "Die Geschäftsordnung der Prüfgruppe wird mit den besprochenen Änderungen beschlossen."


@dataclass
class AG:
    slug: str
    group_id: int
    meetings: dict[int, int] = field(default_factory=dict)  # number -> id

    @property
    def base(self) -> str:
        return f"/ag/{self.slug}"

    def url(self, number: int, suffix: str = "") -> str:
        return f"{self.base}/meetings/{self.meetings[number]}/{suffix}"

    def first_item(self, number: int) -> int:
        return db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == self.meetings[number])
                                 .order_by(AgendaItem.position))


@pytest.fixture
def ag(app) -> AG:
    """"AG Prüf": 7 members, 6 of them voting (the Protokoll, the member, four more) and a guest.
    1. Sitzung: minutes approved, everybody present, a decision, an open and a done task.
    2. Sitzung: minutes published (new to the member, read by the Protokoll), an open task.
    3. Sitzung: planned, minutes a draft, three TOPs."""
    with app.app_context():
        yesterday = services.today() - timedelta(days=1)
        for role in ("protokoll", "ag_mitglied"):  # members of this AG only
            for ms in db.session.scalars(select(Membership).where(Membership.user_id == get_user(role).id)):
                ms.valid_to = yesterday
        group = make_group(short_name="AG Prüf", name="AG Prüf – Arbeitsgemeinschaft für Tests", slug="pruef")
        protokoll = add_member(group, "protokoll", Function.PROTOKOLL)
        member = add_member(group, "ag_mitglied", Function.MITGLIED)
        member.traeger_id = db.session.scalar(select(Traeger.id).where(Traeger.short_name == "AWO"))
        for i, name in enumerate(VOTING_PEOPLE):
            add_member(group, make_person(name), Function.SPRECHER if i == 0 else Function.MITGLIED)
        add_member(group, make_person("Gisela Gast"), Function.GAST, voting=False)

        first = make_meeting(group, 1, date(2026, 1, 27), MinutesStatus.GENEHMIGT)
        first.approved_at, first.approved_by_id = datetime(2026, 5, 12, 12, tzinfo=timezone.utc), protokoll.user_id
        first.approval_note = "in der 2. Sitzung am 12.05.2026 einstimmig"
        make_item(first, "Begrüßung und Tagesordnung", minutes="Alle sind da.")
        go = make_item(first, "Geschäftsordnung", minutes="Die Geschäftsordnung wird besprochen.")
        make_decision(go, GO_DECISION, yes=6)
        make_action(go, "Übersicht der Fachleistungsstunden erstellen", "Anna Adler", date(2026, 3, 1))
        done = make_action(go, "Raum für den Workshop buchen", "Bernd Berg")
        done.done_at = datetime(2026, 2, 1, tzinfo=timezone.utc)
        for ms in group.memberships:
            db.session.add(Attendance(meeting=first, membership_id=ms.id, presence=Presence.ANWESEND))

        second = make_meeting(group, 2, date(2026, 5, 12), MinutesStatus.VEROEFFENTLICHT)
        report = make_item(second, "Bericht aus dem Jugendhilfeausschuss", minutes="Der Ausschuss tagte im April.")
        make_item(second, "Zielvorgabe 15 % Sozialraumangebote", minutes="Die 15 % werden erreicht.")
        make_action(report, "Empfehlung für die Dezembersitzung vorbereiten", "Carla Conrad")

        third = make_meeting(group, 3, date(2026, 9, 1), MinutesStatus.ENTWURF, status=MeetingStatus.GEPLANT)
        make_item(third, "Niederschrift der 2. Sitzung")
        make_item(third, "Jugendhilfeplanung", minutes="Entwurf zur Jugendhilfeplanung.")
        make_item(third, "Verschiedenes")

        now = utcnow()
        db.session.add_all([ReadReceipt(meeting_id=first.id, user_id=protokoll.user_id, read_at=now),
                            ReadReceipt(meeting_id=second.id, user_id=protokoll.user_id, read_at=now),
                            ReadReceipt(meeting_id=first.id, user_id=member.user_id, read_at=now)])
        db.session.commit()
        return AG(group.slug, group.id, {1: first.id, 2: second.id, 3: third.id})


def meeting(ag: AG, number: int) -> Meeting:
    return db.session.get(Meeting, ag.meetings[number])


def text(response) -> str:
    return response.get_data(as_text=True)


def first_item(app, ag: AG, number: int) -> int:
    with app.app_context():
        return ag.first_item(number)


def record_attendance(app, ag: AG, client, number: int, absent: int = 0):
    """All members present except the first ``absent`` voting members (excused)."""
    with app.app_context():
        m = meeting(ag, number)
        members = services.members_on(m.group_id, m.date)
        voting = [ms.id for ms in members if ms.voting][:absent]
        data = {f"m-{ms.id}": ("entschuldigt" if ms.id in voting else "anwesend") for ms in members}
    data["guests"] = "Gerda Winkler (Vorsitzende JHA)"
    return client.post(ag.url(number, "attendance"), data=data)


# --- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", NON_MEMBERS)
def test_non_members_get_404_on_every_kind_of_ag_content(app, client_as, ag, role):
    client = client_as(role)
    for url in [f"{ag.base}/", ag.url(1), ag.url(1, "print"), f"{ag.base}/oparl.json"]:
        assert client.get(url).status_code == 404, url
    # and the search finds nothing in AGs they are not in
    assert "Geschäftsordnung" not in text(client.get("/ag/search?q=geschäftsordnung", headers={"HX-Request": "true"}))


@pytest.mark.parametrize("role", ["leitung", "admin", "ag_mitglied", "protokoll"])
def test_members_leitung_and_administration_read_published_minutes(app, client_as, ag, role):
    page = text(client_as(role).get(ag.url(1)))
    assert GO_DECISION in page
    assert "6 von 6 stimmberechtigten Mitgliedern anwesend" in page


def test_ag_page_lists_members_with_functions_and_open_tasks(app, client_as, ag):
    page = text(client_as("ag_mitglied").get(f"{ag.base}/"))
    assert "Mitglieder (7, davon 6 stimmberechtigt)" in page
    assert re.search(r"Anna Adler</td>\s*<td>ohne Träger</td>\s*<td>Sprecher:in", page)
    with app.app_context():
        protokoll = get_user("protokoll").display_name
    assert re.search(rf"{protokoll}</td>\s*<td>[^<]*</td>\s*<td>Protokoll", page)
    assert "Übersicht der Fachleistungsstunden erstellen" in page  # open task from the 1st meeting
    assert "Raum für den Workshop buchen" not in page  # done tasks are not listed


def test_draft_minutes_are_hidden_from_readers_but_not_from_the_protokoll(app, client_as, ag):
    with app.app_context():
        i = db.session.get(AgendaItem, ag.first_item(3))
        i.minutes, i.minutes_html = "Geheimer Entwurfstext", "<p>Geheimer Entwurfstext</p>"
        db.session.commit()
    assert "Geheimer Entwurfstext" not in text(client_as("ag_mitglied").get(ag.url(3)))
    assert "Geheimer Entwurfstext" in text(client_as("protokoll").get(ag.url(3)))
    assert client_as("ag_mitglied").get(ag.url(3, "print")).status_code == 403


def test_ag_index_shows_dates_to_everybody_but_links_only_for_members(app, client_as, ag):
    with app.app_context():
        meeting(ag, 3).date = services.today() + timedelta(days=10)
        db.session.commit()
    link = f'href="{ag.url(3)}"'
    outsider = text(client_as("ehrenamt").get("/ag/"))
    assert "AG Prüf – 3. Sitzung" in outsider and link not in outsider
    assert "Du bist in keiner Arbeitsgemeinschaft Mitglied" in outsider
    assert link in text(client_as("ag_mitglied").get("/ag/"))


# --- lifecycle -------------------------------------------------------------------------------------

#: (meeting number and so its state, transition, role, expected status, state afterwards)
LIFECYCLE = [
    (3, "publish", "protokoll", 303, MinutesStatus.VEROEFFENTLICHT),
    (3, "publish", "ag_mitglied", 403, MinutesStatus.ENTWURF),
    (3, "publish", "leitung", 403, MinutesStatus.ENTWURF),
    (3, "publish", "admin", 403, MinutesStatus.ENTWURF),
    (3, "publish", "ehrenamt", 404, MinutesStatus.ENTWURF),
    (3, "approve", "protokoll", 409, MinutesStatus.ENTWURF),
    (3, "withdraw", "protokoll", 409, MinutesStatus.ENTWURF),
    (2, "approve", "protokoll", 303, MinutesStatus.GENEHMIGT),
    (2, "approve", "ag_mitglied", 403, MinutesStatus.VEROEFFENTLICHT),
    (2, "withdraw", "protokoll", 303, MinutesStatus.ENTWURF),
    (2, "publish", "protokoll", 409, MinutesStatus.VEROEFFENTLICHT),
    (1, "withdraw", "protokoll", 409, MinutesStatus.GENEHMIGT),
    (1, "publish", "protokoll", 409, MinutesStatus.GENEHMIGT),
    (1, "approve", "protokoll", 409, MinutesStatus.GENEHMIGT),
    (3, "delete", "protokoll", 404, MinutesStatus.ENTWURF),
]


@pytest.mark.parametrize("number,name,role,status,after", LIFECYCLE)
def test_minutes_lifecycle_by_role(app, client_as, ag, number, name, role, status, after):
    reason = "in der 3. Sitzung einstimmig" if name == "approve" else "Fehler in TOP 2"
    response = client_as(role).post(ag.url(number, f"minutes/{name}"), data={f"transition-{name}-reason": reason})
    assert response.status_code == status
    with app.app_context():
        assert meeting(ag, number).minutes_status == after


def test_every_state_change_is_recorded_with_who_when_and_why(app, client_as, ag):
    client = client_as("protokoll")
    client.post(ag.url(2, "minutes/approve"), data={"transition-approve-reason": "in der 3. Sitzung einstimmig"})
    with app.app_context():
        m = meeting(ag, 2)
        event = m.events[-1]
        assert (event.from_status, event.to_status) == (MinutesStatus.VEROEFFENTLICHT, MinutesStatus.GENEHMIGT)
        assert event.actor.email == "protokoll.ag78@portal.example"
        assert event.reason == "in der 3. Sitzung einstimmig"
        assert event.created_at is not None
        name = get_user("protokoll").display_name
        assert m.approved_by.display_name == name and m.approval_note == "in der 3. Sitzung einstimmig"
    page = text(client.get(ag.url(2)))
    assert f"eingetragen von {name} – in der 3. Sitzung einstimmig" in page


def test_approval_and_withdrawal_need_a_reason(app, client_as, ag):
    response = client_as("protokoll").post(ag.url(2, "minutes/approve"), data={"transition-approve-reason": " "})
    assert response.status_code == 422
    assert "Bitte gib eine Begründung an." in text(response)
    with app.app_context():
        assert meeting(ag, 2).minutes_status == MinutesStatus.VEROEFFENTLICHT


def test_approved_minutes_cannot_be_edited_and_the_refusal_shows_the_berichtigung(app, client_as, ag):
    client = client_as("protokoll")
    item = first_item(app, ag, 1)
    for method, url in [("GET", ag.url(1, f"agenda/{item}")), ("POST", ag.url(1, f"agenda/{item}")),
                        ("POST", ag.url(1, f"agenda/{item}/decisions")), ("POST", ag.url(1, "agenda")),
                        ("GET", ag.url(1, "attendance")), ("POST", ag.url(1, f"agenda/{item}/delete"))]:
        response = client.open(url, method=method, data={"title": "Neu", "minutes": "überschrieben", "version": "1"})
        assert response.status_code == 409, url
        assert "Berichtigung anfügen" in text(response)
        assert ag.url(1, "corrections") in text(response)
        if method == "POST":  # what was typed is shown for copying into a Berichtigung, not lost
            assert re.search(r"<textarea[^>]*readonly>Neu\n\nüberschrieben</textarea>", text(response))
    with app.app_context():
        assert db.session.get(AgendaItem, item).minutes == "Alle sind da."


def test_a_berichtigung_is_a_dated_addendum_and_makes_the_minutes_new_again(app, client_as, ag):
    response = client_as("protokoll").post(ag.url(1, "corrections"), data={
        "agenda_item": first_item(app, ag, 1), "text": "In TOP 1 muss es heißen: **7** Anwesende."})
    assert response.status_code == 303
    with app.app_context():
        c = db.session.scalar(select(Correction).where(Correction.meeting_id == ag.meetings[1]))
        assert c.author.email == "protokoll.ag78@portal.example"
        assert "<strong>7</strong>" in c.text_html
        assert meeting(ag, 1).minutes_status == MinutesStatus.GENEHMIGT
    page = text(client_as("ag_mitglied").get(ag.url(1)))
    assert "Berichtigung vom" in page and "neu für dich" in page


def test_published_minutes_are_changed_only_after_withdrawal(app, client_as, ag):
    response = client_as("protokoll").get(ag.url(2, f"agenda/{first_item(app, ag, 2)}"))
    assert response.status_code == 409
    assert "zur Überarbeitung zurück" in text(response)


def test_members_may_add_a_change_request_to_published_minutes(app, client_as, ag):
    response = client_as("ag_mitglied").post(ag.url(2, "change-requests"),
                                             data={"change-text": "Bitte TOP 2 um die Gegenstimme der AWO ergänzen."})
    assert response.status_code == 303
    page = text(client_as("protokoll").get(ag.url(2)))
    with app.app_context():
        author = get_user("ag_mitglied").display_name
    assert "Bitte TOP 2 um die Gegenstimme der AWO ergänzen." in page and author in page
    # not possible any more once approved
    client_as("protokoll").post(ag.url(2, "minutes/approve"), data={"transition-approve-reason": "einstimmig"})
    assert client_as("ag_mitglied").post(ag.url(2, "change-requests"),
                                         data={"change-text": "zu spät"}).status_code == 409


def test_concurrent_edit_of_a_top_gets_409(app, client_as, ag):
    client = client_as("protokoll")
    item = first_item(app, ag, 3)
    url = ag.url(3, f"agenda/{item}")
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

def test_member_sees_new_minutes_confirms_reading_and_the_protokoll_sees_it(app, client_as, ag):
    member = client_as("ag_mitglied")
    assert "1 neue Niederschrift" in text(member.get("/ag/"))
    assert "neu für dich" in text(member.get(ag.url(2)))
    assert "neu für dich" not in text(member.get(ag.url(1)))
    assert member.post(ag.url(2, "read")).status_code == 303
    page = text(member.get(ag.url(2)))
    assert "neu für dich" not in page and "Du hast diese Niederschrift gelesen" in page
    readers = text(client_as("protokoll").get(ag.url(2, "readers")))
    with app.app_context():
        name = get_user("ag_mitglied").display_name
    assert re.search(rf"{name}</td>\s*<td>AWO</td>\s*<td><span class=\"tag tag--genehmigt\">gelesen", readers)
    assert re.search(r"Bernd Berg</td>\s*<td></td>\s*<td><span class=\"tag tag--muted\">noch nicht gelesen", readers)
    with app.app_context():
        assert services.unread_count(get_user("ag_mitglied")) == 0


def test_a_person_with_two_memberships_is_listed_once_under_who_has_read(app, client_as, ag):
    protokoll = client_as("protokoll")
    before = text(protokoll.get(ag.url(2, "readers")))
    with app.app_context():
        first = db.session.scalar(select(Membership).join(Membership.user).where(
            Membership.group_id == ag.group_id, Membership.user.has(display_name="Anna Adler")))
        # e.g. also a deputy for another Träger in the same AG
        db.session.add(Membership(group_id=first.group_id, user_id=first.user_id, traeger_id=None, voting=False,
                                  valid_from=first.valid_from))
        db.session.commit()
    after = text(protokoll.get(ag.url(2, "readers")))
    assert after.count("Anna Adler</td>") == 1
    count = re.compile(r"(\d+) von (\d+) Mitgliedern")
    assert count.search(after).groups() == count.search(before).groups() == ("1", "7")


NAV_BADGE = re.compile(r'href="/ag/"[^>]*>.*?<span class="badge"[^>]*>(\d+)<span class="visually-hidden"> neu zu lesen',
                       re.S)


def nav_badge(client) -> int:
    """The number beside "AG 78" in the main navigation (0: no badge)."""
    page = text(client.get("/board/"))
    nav = page[page.index('class="mainnav"'):page.index("</nav>", page.index('class="mainnav"'))]
    found = NAV_BADGE.search(nav)
    return int(found.group(1)) if found else 0


def test_nav_badge_counts_minutes_new_to_the_member_until_confirmed(app, client_as, ag):
    member, protokoll = client_as("ag_mitglied"), client_as("protokoll")
    assert nav_badge(member) == 1  # the published 2. Sitzung
    assert nav_badge(protokoll) == 0
    for role in ["leitung", "admin", "ehrenamt"]:  # not members: nothing is "new" to them
        assert nav_badge(client_as(role)) == 0
    assert member.post(ag.url(2, "read")).status_code == 303
    assert nav_badge(member) == 0
    # a withdrawn and re-published text is new again
    assert protokoll.post(ag.url(2, "minutes/withdraw"), data={"transition-withdraw-reason": "Tippfehler"}
                          ).status_code == 303
    assert nav_badge(member) == 0  # a draft is nobody's reading
    assert protokoll.post(ag.url(2, "minutes/publish")).status_code == 303
    assert nav_badge(member) == 1
    assert nav_badge(protokoll) == 0  # publishing marks them read for the author
    member.post(ag.url(2, "read"))
    # approval changes no text; a Berichtigung does
    protokoll.post(ag.url(2, "minutes/approve"), data={"transition-approve-reason": "in der 3. Sitzung"})
    assert nav_badge(member) == 0
    assert protokoll.post(ag.url(2, "corrections"), data={"text": "TOP 2: 5 statt 4 Ja-Stimmen."}
                          ).status_code == 303
    assert nav_badge(member) == 1


def test_minutes_settled_before_someone_joined_are_not_new_to_them(app, client_as, ag):
    newcomer, protokoll = client_as("ehrenamt"), client_as("protokoll")
    with app.app_context():
        for ms in db.session.scalars(select(Membership).where(Membership.user_id == get_user("ehrenamt").id)):
            ms.valid_to = services.today() - timedelta(days=2)
        db.session.add(Membership(group_id=ag.group_id, user_id=get_user("ehrenamt").id,
                                  valid_from=services.today() - timedelta(days=1)))
        db.session.commit()
    assert nav_badge(newcomer) == 0  # the published 2. Sitzung is older than the membership
    assert "neue Niederschrift" not in text(newcomer.get("/ag/"))
    assert "neu für dich" not in text(newcomer.get(ag.url(2)))
    # a change after joining is new to them like to everyone
    protokoll.post(ag.url(2, "minutes/approve"), data={"transition-approve-reason": "in der 3. Sitzung"})
    assert protokoll.post(ag.url(2, "corrections"), data={"text": "TOP 2: 5 statt 4 Ja-Stimmen."}
                          ).status_code == 303
    assert nav_badge(newcomer) == 1
    assert "neu für dich" in text(newcomer.get(ag.url(2)))
    assert nav_badge(client_as("ag_mitglied")) == 1  # an older member: unchanged


def test_draft_minutes_cannot_be_confirmed_as_read(app, client_as, ag):
    assert client_as("ag_mitglied").post(ag.url(3, "read")).status_code == 409


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
def test_minutes_markdown_is_sanitised(app, client_as, ag, payload):
    client = client_as("protokoll")
    item = first_item(app, ag, 3)
    assert client.post(ag.url(3, f"agenda/{item}"), data={"title": "TOP", "minutes": f"Text {payload}",
                                                          "version": "1"}).status_code == 303
    assert client.post(ag.url(3, "minutes/publish")).status_code == 303
    page = text(client_as("ag_mitglied").get(ag.url(3)))
    region = page.split('class="usercontent top__minutes" hx-disable>')[1].split("</div>")[0]
    assert "Text" in region
    for bad in ("<script", "onerror", "javascript:", "hx-get", "<iframe", "style=", "<svg", "onload"):
        assert bad not in region.lower()


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
                 f"Für die Niederschrift: {protokoll}"):
        assert part in page


# --- OParl export ------------------------------------------------------------------------------------------

def test_oparl_export_has_the_shape_of_oparl_1_1(app, client_as, ag):
    response = client_as("ag_mitglied").get(f"{ag.base}/oparl.json")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    schema = "https://schema.oparl.org/1.1/"
    org, *traeger = data["organization"]
    assert org["type"] == schema + "Organization" and org["organizationType"] == "Gremium"
    assert org["name"] == "AG Prüf – Arbeitsgemeinschaft für Tests"
    assert org["id"].startswith("http://") and len(data["meeting"]) == 3 and len(org["membership"]) == 7
    assert isinstance(org["meeting"], str)  # OParl: the URL of the meeting list, not the list
    assert {p["type"] for p in data["person"]} == {schema + "Person"}
    assert all("email" not in p for p in data["person"])
    # Membership objects are embedded in their Person, as OParl has it, and the Organization links them
    memberships = [m for p in data["person"] for m in p["membership"]]
    assert sorted(m["id"] for m in memberships) == sorted(org["membership"])
    assert all(m["person"] == p["id"] for p in data["person"] for m in p["membership"])
    assert len([m for m in memberships if m["votingRight"]]) == 6
    # onBehalfOf is the URL of the represented Träger, itself exported as an Organization
    awo = next(t for t in traeger if t["shortName"] == "AWO")
    assert awo["type"] == schema + "Organization" and awo["organizationType"] == "Institution"
    with app.app_context():
        member_name = get_user("ag_mitglied").display_name
    [membership] = next(p for p in data["person"] if p["name"] == member_name)["membership"]
    assert membership["onBehalfOf"] == awo["id"] and membership["votingRight"]
    assert membership["type"] == schema + "Membership" and membership["organization"] == org["id"]
    assert {m["onBehalfOf"] for m in memberships if "onBehalfOf" in m} == {t["id"] for t in traeger}
    assert all(value is not None for m in memberships for value in m.values())  # no nulls, as in OParl
    first = data["meeting"][0]
    assert first["type"] == schema + "Meeting" and first["name"] == "AG Prüf – 1. Sitzung"
    assert first["start"] == "2026-01-27T09:00:00+01:00" and first["end"] == "2026-01-27T12:00:00+01:00"
    assert first["location"]["type"] == schema + "Location" and first["location"]["description"] == "Rathaus, Raum 1"
    assert first["cancelled"] is False and first["organization"] == [org["id"]]
    top2 = first["agendaItem"][1]
    assert top2["type"] == schema + "AgendaItem" and top2["number"] == "2" and top2["name"] == "Geschäftsordnung"
    assert top2["result"].startswith("angenommen (6 Ja") and top2["resolutionText"] == GO_DECISION
    assert top2["meeting"] == first["id"]
    assert first["resultsProtocol"]["type"] == schema + "File"
    draft = data["meeting"][2]
    assert "resultsProtocol" not in draft and draft["participant"] == []


def test_oparl_export_lists_files_with_oparl_fields(app, client_as, ag):
    assert upload(client_as("protokoll"), ag, "Einladung.pdf", PDF).status_code == 303
    data = client_as("ag_mitglied").get(f"{ag.base}/oparl.json").get_json()
    [f] = data["meeting"][2]["auxiliaryFile"]
    assert f["type"] == "https://schema.oparl.org/1.1/File" and f["mimeType"] == "application/pdf"
    assert f["fileName"] == "Einladung.pdf" and f["accessUrl"].endswith(f"/attachments/{f['id'].split('-')[-1]}")


# --- administration -------------------------------------------------------------------------------------------

def test_administration_adds_a_member_who_then_sees_the_ag(app, client_as, ag):
    with app.app_context():
        user = get_user("fachkraft")
        uid, tid = user.id, user.traeger_id
    assert client_as("fachkraft").get(f"{ag.base}/").status_code == 404
    response = client_as("admin").post(f"{ag.base}/members/new", data={
        "user": uid, "traeger": tid or 0, "function": "mitglied", "voting": "y", "valid_from": "2026-01-01"})
    assert response.status_code == 303
    page = text(client_as("fachkraft").get(f"{ag.base}/"))
    assert "Mitglieder (8, davon 7 stimmberechtigt)" in page


def test_membership_form_answers_in_german(app, client_as, ag):
    response = client_as("admin").post(f"{ag.base}/members/new", data={
        "user": 0, "traeger": 0, "function": "chef", "valid_from": "gestern"})
    assert response.status_code == 422
    page = text(response)
    for message in ("Bitte wähle eine Person.", "Keine gültige Auswahl.", "Kein gültiges Datum."):
        assert message in page


def test_ended_membership_loses_access(app, client_as, ag):
    with app.app_context():
        ms = db.session.scalar(select(Membership).where(Membership.group_id == ag.group_id,
                                                        Membership.user_id == get_user("ag_mitglied").id))
        ms.valid_to = services.today() - timedelta(days=1)
        db.session.commit()
    assert client_as("ag_mitglied").get(f"{ag.base}/").status_code == 404


def test_administration_creates_an_ag(app, client_as):
    response = client_as("admin").post("/ag/new", data={
        "name": "AG 78 Kinder- und Jugendarbeit", "short_name": "AG 78 KJA", "description": "Offene Arbeit"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/ag/ag-78-kja/")
    again = client_as("admin").post("/ag/new", data={"name": "AG 78 Kinder- und Jugendarbeit", "short_name": "X"})
    assert again.status_code == 422 and "Name oder Kürzel ist schon vergeben." in text(again)


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
    with count_queries() as large:
        client.get(url)
    assert large.count == small.count, large.statements


@pytest.mark.parametrize("role, path, most", [
    # two for the signed-in user and one for the navigation badges are part of every page
    ("ag_mitglied", "/ag/pruef/", 9),
    ("protokoll", "meeting", 13),
    ("ag_mitglied", "/ag/search?q=ausschuss", 4),
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


def test_plain_text_fields_are_escaped(app, client_as, ag):
    client = client_as("protokoll")
    record_attendance(app, ag, client, 3)
    item = first_item(app, ag, 3)
    assert client.post(ag.url(3, f"agenda/{item}/decisions"), data={
        f"decision{item}-text": "<script>alert(1)</script>Beschluss", f"decision{item}-yes": 3,
        f"decision{item}-no": 0, f"decision{item}-abstain": 0}).status_code == 303
    assert client.post(ag.url(3, f"agenda/{item}/actions"), data={
        f"action{item}-task": "<img src=x onerror=alert(1)>", f"action{item}-responsible": "<b>AWO</b>"}
                       ).status_code == 303
    page = text(client.get(ag.url(3)))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;Beschluss" in page
    assert "<img src=x" not in page and "&lt;b&gt;AWO&lt;/b&gt;" in page


def _edit_group(client_as, ag: AG, **values):
    data = {"name": "AG Prüf – Arbeitsgemeinschaft für Tests", "short_name": "AG Prüf", "slug": ag.slug,
            "description": "", "rules": "", "rules_adopted_on": "", **values}
    assert client_as("admin").post(f"{ag.base}/edit", data=data).status_code == 303


def test_description_and_geschaeftsordnung_are_sanitised(app, client_as, ag):
    _edit_group(client_as, ag, description="Beschreibung <script>alert(1)</script>",
                rules="§ 1 <iframe src=//evil.example></iframe> **gilt**", rules_adopted_on="2026-01-27")
    page = text(client_as("ag_mitglied").get(f"{ag.base}/"))
    assert "<script>alert(1)" not in page and "<iframe" not in page and "<strong>gilt</strong>" in page


def test_a_changed_description_shows_at_once(app, client_as, ag):
    member = client_as("ag_mitglied")
    for description in ["Wir treffen uns **viermal** im Jahr.", "Wir treffen uns **sechsmal** im Jahr."]:
        _edit_group(client_as, ag, description=description)
        page = text(member.get(f"{ag.base}/"))
        assert description.replace("**", "<strong>", 1).replace("**", "</strong>", 1) in page


def test_group_and_functions_come_from_one_query(app, ag):
    with app.app_context():
        user = get_user("protokoll")
        group, functions = services.group_with_functions(ag.slug, user)
        assert group.id == ag.group_id and functions == services.functions_of(user, group) == {Function.PROTOKOLL}
        assert services.group_with_functions(ag.slug, get_user("fachkraft"))[1] == frozenset()
        assert services.group_with_functions("gibt-es-nicht", user) == (None, frozenset())
