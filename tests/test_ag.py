"""AG 78: access, the minutes lifecycle, read receipts, administration of AGs and memberships,
sanitising.

Data: one AG built by tests/factories/ag.py (``build_ag``); the demo logins "protokoll" and
"ag_mitglied" are its Protokoll and a member, and members of no other AG during the test.
Meetings, attendance, votes, tasks, Anlagen, search, calendar and OParl: tests/test_ag_meetings.py."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.ag import services
from portal.ag.models import AgendaItem, Correction, Function, Membership, MinutesStatus
from portal.extensions import db
from portal.formatting import heute
from tests.conftest import get_user
from tests.factories.ag import AG, GO_DECISION, build_ag, first_item, meeting, record_attendance, text

NON_MEMBERS = ["moderation", "koordination", "fachkraft", "fachkraft_caritas", "ehrenamt", "ehrenamt_legefeld"]


@pytest.fixture
def ag(app) -> AG:
    return build_ag(app)


# --- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", NON_MEMBERS)
def test_non_members_get_404_on_every_kind_of_ag_content(app, client_as, ag, role):
    client = client_as(role)
    for url in [f"{ag.base}/", ag.url(1), ag.url(1, "print")]:
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
        meeting(ag, 3).date = heute() + timedelta(days=10)
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
    if (number, name) == (3, "publish"):  # the meeting took place: attendance recorded (issue 15)
        assert record_attendance(app, ag, client_as("protokoll"), 3).status_code == 303
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
    # the answer fits the question "Genehmigt wo und wie?" (issue 18, item 13)
    assert "Bitte gib an, wo und wie die Niederschrift genehmigt wurde" in text(response)
    assert "Bitte gib eine Begründung an." not in text(response)
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
                                             data={"change-text": "Bitte TOP 2 um die Gegenstimme der AWO ergänzen.",
                                                   "change-agenda_item": str(first_item(app, ag, 2))})
    assert response.status_code == 303
    page = text(client_as("protokoll").get(ag.url(2)))
    with app.app_context():
        author = get_user("ag_mitglied").display_name
    assert "Bitte TOP 2 um die Gegenstimme der AWO ergänzen." in page and author in page
    # not possible any more once approved
    client_as("protokoll").post(ag.url(2, "minutes/approve"), data={"transition-approve-reason": "einstimmig"})
    assert client_as("ag_mitglied").post(ag.url(2, "change-requests"),
                                         data={"change-text": "zu spät",
                                               "change-agenda_item": str(first_item(app, ag, 2))}).status_code == 409


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
            ms.valid_to = heute() - timedelta(days=2)
        db.session.add(Membership(group_id=ag.group_id, user_id=get_user("ehrenamt").id,
                                  valid_from=heute() - timedelta(days=1)))
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
    assert record_attendance(app, ag, client, 3).status_code == 303
    assert client.post(ag.url(3, "minutes/publish")).status_code == 303
    page = text(client_as("ag_mitglied").get(ag.url(3)))
    region = page.split('class="usercontent top__minutes" hx-disable>')[1].split("</div>")[0]
    assert "Text" in region
    for bad in ("<script", "onerror", "javascript:", "hx-get", "<iframe", "style=", "<svg", "onload"):
        assert bad not in region.lower()


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
        ms.valid_to = heute() - timedelta(days=1)
        db.session.commit()
    assert client_as("ag_mitglied").get(f"{ag.base}/").status_code == 404


def test_administration_creates_an_ag(app, client_as):
    response = client_as("admin").post("/ag/new", data={
        "name": "AG 78 Kinder- und Jugendarbeit", "short_name": "AG 78 KJA", "description": "Offene Arbeit"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/ag/ag-78-kja/")
    again = client_as("admin").post("/ag/new", data={"name": "AG 78 Kinder- und Jugendarbeit", "short_name": "X"})
    assert again.status_code == 422 and "Name oder Kürzel ist schon vergeben." in text(again)


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


def test_tasks_of_draft_minutes_stay_with_the_editors_until_published(app, client_as, ag):
    """Issue 19.16: a task written into draft minutes is neither under "Offene Aufgaben" for members
    nor announced to the person responsible before the minutes are published."""
    from portal.ag import meetings as ops
    from portal.notifications.models import Notification

    with app.app_context():
        member = get_user("ag_mitglied")
        item = db.session.get(AgendaItem, ag.first_item(3))
        ops.add_action_item(item, get_user("protokoll"), task="Vertrauliche Entwurfsaufgabe",
                            responsible=member.display_name, due_on=None)
        db.session.commit()
        assert not db.session.scalars(select(Notification).where(
            Notification.user_id == member.id, Notification.kind == "task_assigned")).all()
    assert "Vertrauliche Entwurfsaufgabe" not in text(client_as("ag_mitglied").get(f"{ag.base}/"))
    assert "Vertrauliche Entwurfsaufgabe" in text(client_as("protokoll").get(f"{ag.base}/"))
    with app.app_context():
        meeting(ag, 3).minutes_status = MinutesStatus.VEROEFFENTLICHT
        db.session.commit()
    assert "Vertrauliche Entwurfsaufgabe" in text(client_as("ag_mitglied").get(f"{ag.base}/"))
