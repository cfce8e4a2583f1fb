"""Benachrichtigungen in the portal: who hears what (listeners of the domain events), the bell, the
list, opening an entry, "alle als gelesen markieren", the settings page and following boards."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal import signals
from portal.ag.models import ActionItem, ChangeRequest
from portal.auth.models import Role
from portal.board.models import PostStatus, Report
from portal.extensions import db
from portal.notifications.listeners import remind_due_reports
from portal.notifications.models import BoardFollow, Channel, Notification, NotificationSetting, OutboxMail
from portal.notifications.services import board_followers, follows_board, notify
from portal.proposals.models import ProposalState
from tests.conftest import get_user
from tests.factories.notify import (add_member, make_comment, make_group, make_meeting, make_ortsteil, make_post,
                                    make_proposal, make_proposal_comment, make_sozialraum, make_traeger, make_user)


def notes(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def mails_to(user) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.user_id == user.id)))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def proposal_world(ctx):
    """A Träger with two Fachkräfte (one inactive), another Träger, a Koordination of the Sozialraum
    who works for nobody's Träger, and the Leitung."""
    raum = make_sozialraum()
    traeger, other = make_traeger(), make_traeger()
    w = type("World", (), {})()
    w.fachkraft = make_user(Role.FACHKRAFT, traeger=traeger)
    w.inactive = make_user(Role.FACHKRAFT, traeger=traeger, active=False)
    w.stranger = make_user(Role.FACHKRAFT, traeger=other)
    w.koordination = make_user(Role.KOORDINATION, sozialraum=raum)
    w.leitung = make_user(Role.LEITUNG)
    w.proposal = make_proposal(traeger, raum, title="Elterncafé am Markt")
    return w


# --- who hears what: Projektanträge ---------------------------------------------------------------------

def test_rueckfrage_reaches_the_applicant_only(proposal_world):
    w = proposal_world
    signals.proposal_returned.send(w.proposal, actor=w.leitung, reason="Bitte den Zeitplan ergänzen.")

    [entry] = notes(w.fachkraft)
    assert entry.text == "Leitung hat zu „Elterncafé am Markt“ eine Rückfrage gestellt"
    assert entry.detail == "Bitte den Zeitplan ergänzen."
    assert entry.url == f"/proposals/{w.proposal.id}"
    assert entry.read_at is None
    for nobody in (w.inactive, w.stranger, w.koordination, w.leitung):
        assert notes(nobody) == [], nobody.display_name


def test_submission_reaches_the_leitung_with_the_traeger(proposal_world):
    w = proposal_world
    signals.proposal_submitted.send(w.proposal, actor=w.fachkraft, resubmitted=True)

    [entry] = notes(w.leitung)
    assert entry.text == (f"{w.fachkraft.display_name} ({w.proposal.traeger.short_name}) hat "
                          "„Elterncafé am Markt“ erneut eingereicht")
    assert entry.kind == "proposal_submitted"
    assert notes(w.fachkraft) == [] and notes(w.stranger) == []


@pytest.mark.parametrize("approved, verb", [(True, "freigegeben"), (False, "abgelehnt")])
def test_decision_carries_the_reason(proposal_world, approved, verb):
    w = proposal_world
    signals.proposal_decided.send(w.proposal, actor=w.leitung, approved=approved, reason="Passt zum Ziel.")
    [entry] = notes(w.fachkraft)
    assert entry.text == f"Leitung hat „Elterncafé am Markt“ {verb}"
    assert entry.detail == "Passt zum Ziel."


def test_wirkungsbericht_submitted_to_leitung_returned_to_applicant(proposal_world):
    w = proposal_world
    signals.proposal_report.send(w.proposal, actor=w.fachkraft, step="submitted", reason="")
    assert [n.kind for n in notes(w.leitung)] == ["report_submitted"]
    signals.proposal_report.send(w.proposal, actor=w.leitung, step="returned", reason="Zahlen fehlen.")
    assert [(n.kind, n.detail) for n in notes(w.fachkraft)] == [("report_returned", "Zahlen fehlen.")]
    signals.proposal_report.send(w.proposal, actor=w.leitung, step="acknowledged", reason="")
    assert len(notes(w.fachkraft)) == 1


def test_discussion_comment_reaches_the_applicants_but_not_the_writer(proposal_world):
    w = proposal_world
    colleague = make_user(Role.FACHKRAFT, traeger=w.proposal.traeger)
    comment = make_proposal_comment(w.proposal, w.fachkraft)
    signals.proposal_commented.send(comment, actor=w.fachkraft)
    assert notes(w.fachkraft) == []
    [entry] = notes(colleague)
    assert entry.text == f"{w.fachkraft.display_name} hat die Diskussion zu „Elterncafé am Markt“ kommentiert"


def test_wirkungsbericht_reminder_comes_once_before_the_end(proposal_world):
    w = proposal_world
    w.proposal.state = ProposalState.FREIGEGEBEN
    w.proposal.ends_on = date(2027, 6, 30)
    db.session.flush()
    assert remind_due_reports(date(2027, 6, 1)) == 0  # a month ahead: not yet
    assert remind_due_reports(date(2027, 6, 20)) == 1
    assert remind_due_reports(date(2027, 6, 21)) == 0  # once
    [entry] = notes(w.fachkraft)
    assert entry.kind == "report_due" and entry.detail == "Das Projekt endet am 30.06.2027."


# --- who hears what: Pinnwand ------------------------------------------------------------------------------

@pytest.fixture
def board_world(ctx):
    w = type("World", (), {})()
    w.ortsteil, w.elsewhere = make_ortsteil(), make_ortsteil()
    w.author = make_user(Role.EHRENAMT, ortsteile=[w.ortsteil])
    w.neighbour = make_user(Role.EHRENAMT, ortsteile=[w.ortsteil])
    w.unfollowed = make_user(Role.EHRENAMT, ortsteile=[w.ortsteil])
    w.follower = make_user(Role.EHRENAMT, ortsteile=[w.elsewhere])
    w.other = make_user(Role.EHRENAMT, ortsteile=[w.elsewhere])
    w.moderation = make_user(Role.MODERATION)
    db.session.add_all([BoardFollow(user_id=w.unfollowed.id, ortsteil_id=w.ortsteil.id, following=False),
                        BoardFollow(user_id=w.follower.id, ortsteil_id=w.ortsteil.id, following=True)])
    db.session.flush()
    return w


def test_board_followers_are_the_own_ortsteil_and_explicit_follows(board_world):
    w = board_world
    ids = {u.id for u in board_followers(w.ortsteil.id)}
    new = {w.author.id, w.neighbour.id, w.unfollowed.id, w.follower.id, w.other.id}
    assert ids & new == {w.author.id, w.neighbour.id, w.follower.id}
    # the settings page's checkbox says the same as the SQL for every one of them
    for user in (w.author, w.neighbour, w.unfollowed, w.follower, w.other):
        assert follows_board(user, w.ortsteil) == (user.id in ids), user.display_name


def test_new_post_reaches_followers_not_the_author(board_world):
    w = board_world
    post = make_post(w.ortsteil, w.author, title="Flohmarkt im Hof")
    signals.post_created.send(post, actor=w.author)
    for user in (w.neighbour, w.follower):
        [entry] = notes(user)
        assert entry.kind == "board_post" and entry.subject_key == f"board:{w.ortsteil.id}"
        assert "„Flohmarkt im Hof“" in entry.text
    for user in (w.author, w.unfollowed, w.other, w.moderation):
        assert notes(user) == [], user.display_name


def test_waiting_post_reaches_only_the_moderation(board_world):
    """Followers may not see a post before the pre-check: they hear of it when it is released."""
    w = board_world
    post = make_post(w.ortsteil, w.author, status=PostStatus.PENDING, title="Wartet noch")
    signals.post_created.send(post, actor=w.author)
    assert [n.kind for n in notes(w.moderation)] == ["moderation_pending"]
    assert notes(w.neighbour) == [] and notes(w.follower) == []

    post.status = PostStatus.PUBLISHED
    db.session.flush()
    signals.post_approved.send(post, actor=w.moderation)
    assert [n.kind for n in notes(w.author)] == ["post_moderated"]
    assert [n.kind for n in notes(w.neighbour)] == ["board_post"]


def test_hidden_post_tells_the_author_why(board_world):
    w = board_world
    post = make_post(w.ortsteil, w.author, title="Zu privat")
    post.status = PostStatus.HIDDEN
    signals.post_hidden.send(post, actor=w.moderation, reason="Bitte keine Telefonnummern.")
    [entry] = notes(w.author)
    assert entry.text == "Die Moderation hat deinen Beitrag „Zu privat“ ausgeblendet"
    assert entry.detail == "Bitte keine Telefonnummern."
    assert notes(w.neighbour) == []


def test_comment_and_report(board_world):
    w = board_world
    post = make_post(w.ortsteil, w.author, title="Suche Helfer")
    comment = make_comment(post, w.neighbour)
    signals.comment_added.send(comment, actor=w.neighbour)
    [entry] = notes(w.author)
    assert entry.text == f"{w.neighbour.display_name} hat deinen Beitrag „Suche Helfer“ kommentiert"
    # commenting on one's own post tells nobody
    own = make_comment(post, w.author)
    signals.comment_added.send(own, actor=w.author)
    assert len(notes(w.author)) == 1

    report = Report(post=post, reporter=w.neighbour, reason="Werbung")
    db.session.add(report)
    db.session.flush()
    signals.report_filed.send(report, actor=w.neighbour)
    [entry] = notes(w.moderation)
    assert entry.kind == "moderation_reported" and entry.url == "/board/moderation"
    assert len(notes(w.author)) == 1  # the author does not learn of the report


# --- who hears what: AG 78 ------------------------------------------------------------------------------------

@pytest.fixture
def ag_world(ctx):
    w = type("World", (), {})()
    w.member = make_user(Role.FACHKRAFT, name="Mira Mitglied")
    w.protokoll = make_user(Role.FACHKRAFT, name="Paul Protokoll")
    w.former = make_user(Role.FACHKRAFT)
    w.outsider = make_user(Role.FACHKRAFT)
    w.group = make_group(w.member)
    from portal.ag.models import Function

    add_member(w.group, w.protokoll, Function.PROTOKOLL)
    add_member(w.group, w.former, valid_to=date(2021, 1, 1))
    w.meeting = make_meeting(w.group)
    return w


def test_meeting_scheduled_and_minutes_reach_current_members(ag_world):
    w = ag_world
    signals.meeting_scheduled.send(w.meeting, actor=w.protokoll, change="created")
    signals.meeting_scheduled.send(w.meeting, actor=w.protokoll, change="moved")
    signals.meeting_scheduled.send(w.meeting, actor=w.protokoll, change="updated")  # nothing to tell
    signals.minutes_published.send(w.meeting, actor=w.protokoll)
    signals.minutes_approved.send(w.meeting, actor=w.protokoll)
    texts = [n.text for n in notes(w.member)]
    title = w.meeting.full_title
    assert texts == [f"{title} ist angesetzt: 04.03.2027, 09:00 Uhr", f"{title} wurde verlegt: jetzt 04.03.2027, 09:00 Uhr",
                     f"Die Niederschrift der {title} ist veröffentlicht", f"Die Niederschrift der {title} ist genehmigt"]
    assert notes(w.member)[0].url == f"/ag/{w.group.slug}/meetings/{w.meeting.id}/"
    assert notes(w.former) == [] and notes(w.outsider) == [] and notes(w.protokoll) == []


def test_task_reaches_the_member_named_responsible(ag_world):
    w = ag_world
    from portal.ag.models import MinutesStatus
    w.meeting.minutes_status = MinutesStatus.VEROEFFENTLICHT  # tasks of draft minutes wait for publication
    item = ActionItem(group_id=w.group.id, meeting=w.meeting, task="Einladung verschicken",
                      responsible="Mira Mitglied (AWO)", due_on=date(2027, 4, 1))
    db.session.add(item)
    db.session.flush()
    signals.action_item_changed.send(item, actor=w.protokoll, change="created")
    [entry] = notes(w.member)
    assert entry.text == f"Aufgabe für dich aus der {w.meeting.full_title} (fällig am 01.04.2027)"
    assert entry.detail == "Einladung verschicken"
    assert notes(w.outsider) == [] and notes(w.former) == []


def test_answered_change_request_reaches_its_author(ag_world):
    w = ag_world
    request = ChangeRequest(meeting=w.meeting, text="TOP 2 bitte korrigieren", author=w.member)
    db.session.add(request)
    db.session.flush()
    signals.change_request_changed.send(request, actor=w.protokoll, change="requested")
    assert notes(w.member) == []
    signals.change_request_changed.send(request, actor=w.protokoll, change="answered")
    assert [n.kind for n in notes(w.member)] == ["change_request_answered"]


# --- channels and the transaction ---------------------------------------------------------------------------

def test_instant_mail_joins_the_transaction_and_leaves_with_it(proposal_world):
    w = proposal_world
    signals.proposal_returned.send(w.proposal, actor=w.leitung, reason="Rückfrage")
    [mail] = mails_to(w.fachkraft)
    assert mail.to_address == w.fachkraft.email and mail.kind == "proposal_returned"
    db.session.rollback()  # the operation failed: neither the entry nor the mail remain
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "proposal_returned")) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


@pytest.mark.parametrize("channel", [Channel.PORTAL, Channel.TAEGLICH, Channel.WOECHENTLICH])
def test_no_instant_mail_unless_chosen(proposal_world, channel):
    w = proposal_world
    db.session.add(NotificationSetting(user_id=w.fachkraft.id, kind="proposal_returned", channel=channel))
    db.session.flush()
    signals.proposal_returned.send(w.proposal, actor=w.leitung, reason="")
    assert len(notes(w.fachkraft)) == 1
    assert mails_to(w.fachkraft) == []


def test_board_news_default_to_the_daily_digest(board_world):
    w = board_world
    signals.post_created.send(make_post(w.ortsteil, w.author), actor=w.author)
    assert len(notes(w.neighbour)) == 1 and mails_to(w.neighbour) == []


# --- bell, list, open, all read ---------------------------------------------------------------------------

def _give(app, role, n=1, **kw):
    with app.app_context():
        user = get_user(role)
        kind, text, url = (kw.pop("kind", "post_commented"), kw.pop("text", "Jemand hat deinen Beitrag kommentiert"),
                           kw.pop("url", "/board/"))
        written = [e for _ in range(n)
                   for e in notify([user], kind, subject_key="post:1", subject_title="T", text=text, url=url, **kw)]
        db.session.commit()
        return [e.id for e in written]


def test_bell_shows_the_unread_count(app, client_as):
    _give(app, "ehrenamt", 3)
    page = client_as("ehrenamt").get("/").get_data(as_text=True)
    assert '3<span class="visually-hidden"> ungelesen</span>' in page
    other = client_as("moderation").get("/").get_data(as_text=True)
    assert "ungelesen</span>" not in other


def test_bell_counts_once_after_a_change_and_fragments_never(app, client_as, count_queries):
    """The bell is a kept layout fact (portal.navigation): one count after a notification was
    written, none on the pages after it, none in fragments."""
    def bell_counts(statements):
        return [s for s in statements if "count(" in s.lower() and "notification" in s.lower()]

    client = client_as("ehrenamt")
    client.get("/notifications/")
    with count_queries() as without:
        client.get("/impressum")
    _give(app, "ehrenamt", 5)
    with count_queries() as changed:
        html = client.get("/impressum").get_data(as_text=True)
    assert len(bell_counts(changed.statements)) == 1
    assert '5<span class="visually-hidden"> ungelesen' in html
    with count_queries() as page:
        client.get("/impressum")
    assert page.count == without.count  # whether 0 or 5 unread
    assert not bell_counts(page.statements)
    with count_queries() as fragment:
        client.get("/notifications/", headers={"HX-Request": "true"})
    assert not [s for s in fragment.statements if "count(" in s.lower() and "notification" in s.lower()]


def test_opening_an_entry_marks_it_read_and_leads_to_the_item(app, client_as):
    [nid] = _give(app, "fachkraft", url="/proposals/")
    client = client_as("fachkraft")
    response = client.post(f"/notifications/{nid}/open")
    assert response.status_code == 303 and response.headers["Location"] == "/proposals/"
    with app.app_context():
        assert db.session.get(Notification, nid).read_at is not None
    page = client.get("/notifications/").get_data(as_text=True)
    assert "notification--unread" not in page


def test_nobody_opens_another_persons_entry(app, client_as):
    [nid] = _give(app, "fachkraft")
    assert client_as("fachkraft_caritas").post(f"/notifications/{nid}/open").status_code == 404
    with app.app_context():
        assert db.session.get(Notification, nid).read_at is None
    assert "Jemand hat deinen Beitrag" not in client_as("fachkraft_caritas").get("/notifications/").get_data(as_text=True)


def test_all_read_plain_and_htmx(app, client_as):
    _give(app, "ehrenamt", 2)
    _give(app, "ehrenamt_legefeld", 1)
    client = client_as("ehrenamt")
    response = client.post("/notifications/read-all")
    assert response.status_code == 303
    with app.app_context():
        unread = lambda email: db.session.scalar(select(func.count()).select_from(Notification).where(  # noqa: E731
            Notification.user_id == get_user(email).id, Notification.read_at.is_(None)))
        assert unread("ehrenamt") == 0
        assert unread("ehrenamt_legefeld") == 1  # only one's own
    _give(app, "ehrenamt", 1)
    response = client.post("/notifications/read-all", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "notifications-read" in response.headers["HX-Trigger"]
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="notification-list"') and "<html" not in body
    bell = client.get("/notifications/bell").get_data(as_text=True)
    assert "ungelesen" not in bell


def test_list_pages_with_nach(app, client_as):
    ids = _give(app, "ehrenamt", 30)
    client = client_as("ehrenamt")
    first = client.get("/notifications/").get_data(as_text=True)
    assert first.count('class="notification ') == 25
    assert f"?nach={sorted(ids, reverse=True)[24]}" in first
    second = client.get(f"/notifications/?nach={sorted(ids, reverse=True)[24]}").get_data(as_text=True)
    assert second.count('class="notification ') == 5 and "Zum Anfang der Liste" in second


def test_list_query_count_does_not_grow(app, client_as, count_queries):
    client = client_as("ehrenamt")
    _give(app, "ehrenamt", 2)
    with count_queries() as few:
        client.get("/notifications/")
    _give(app, "ehrenamt", 20)
    with count_queries() as many:
        client.get("/notifications/")
    assert many.count == few.count


# --- settings and following boards ---------------------------------------------------------------------------

def test_settings_store_channels_and_boards(app, client_as):
    client = client_as("ehrenamt")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Kommentar zu meinem Beitrag" in page
    assert "Antrag eingereicht" not in page  # a Leitung matter
    with app.app_context():
        from portal.org.models import Ortsteil

        ortsteile = list(db.session.scalars(select(Ortsteil).order_by(Ortsteil.id)))
        own = {o.id for o in get_user("ehrenamt").ortsteile}
        extra = next(o.id for o in ortsteile if o.id not in own)
    response = client.post("/notifications/settings", data={
        "kind_post_commented": "woechentlich", "kind_board_post": "portal", "boards": [extra]})
    assert response.status_code == 303
    with app.app_context():
        user = get_user("ehrenamt")
        assert db.session.get(NotificationSetting, (user.id, "post_commented")).channel == Channel.WOECHENTLICH
        followed = {o.id for o in db.session.scalars(select(Ortsteil)) if follows_board(user, o)}
        assert followed == {extra}


def test_settings_reject_unknown_channel_in_german(client_as):
    response = client_as("ehrenamt").post("/notifications/settings", data={"kind_post_commented": "immer"})
    assert response.status_code == 422
    assert "Keine gültige Auswahl" in response.get_data(as_text=True)


def test_follow_and_unfollow_one_board(app, client_as):
    client = client_as("ehrenamt")
    with app.app_context():
        slug = get_user("ehrenamt").ortsteile[0].slug
    assert client.post(f"/notifications/boards/{slug}/follow", data={"following": "0"}).status_code == 303
    with app.app_context():
        user = get_user("ehrenamt")
        assert not follows_board(user, user.ortsteile[0])
    client.post(f"/notifications/boards/{slug}/follow", data={"following": "1"})
    with app.app_context():
        user = get_user("ehrenamt")
        assert follows_board(user, user.ortsteile[0])
    assert client.post("/notifications/boards/gibt-es-nicht/follow", data={"following": "1"}).status_code == 404


# --- one permission rule: the list's SQL filter and Notification.can_view agree ----------------------------

def test_list_filter_and_can_view_agree_for_every_role(app):
    from tests.conftest import ROLE_LOGINS

    with app.app_context():
        people = [get_user(role) for role in ROLE_LOGINS]
        for person in people:
            notify([person], "post_commented", subject_key="post:1", subject_title="T", text=f"für {person.email}",
                   url="/board/")
        every = list(db.session.scalars(select(Notification)))
        from portal.notifications.services import notifications_page

        for person in people:
            listed = {n.id for n in notifications_page(person, None, 1000).items}
            allowed = {n.id for n in every if n.can_view(person)}
            assert listed == allowed and listed, person.email
        db.session.rollback()


def test_postausgang_rule_matches_the_admin_role(app):
    from portal.notifications.models import OutboxMail as Mail
    from tests.conftest import ROLE_LOGINS

    with app.app_context():
        for role in ROLE_LOGINS:
            assert Mail.can_view(get_user(role)) == (role == "admin"), role


def test_dsgvo_export_contains_notifications_and_settings(app, client_as):
    _give(app, "ehrenamt", 1, text="Ein Eintrag für den Export")
    client = client_as("ehrenamt")
    client.post("/notifications/settings", data={"kind_post_commented": "portal"})
    data = client.get("/account/export.json").get_json()["benachrichtigungen"]
    assert [n["text"] for n in data["benachrichtigungen"]] == ["Ein Eintrag für den Export"]
    assert data["einstellungen"]["post_commented"] == "portal"
