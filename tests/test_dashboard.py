"""Start page "Für dich": blocks per role, empty states, navigation per role, constant queries."""
from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.formatting import heute
from tests.conftest import get_user, signed_in, two_workers


def _nav(html: str) -> str:
    return re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)


def test_leitung_sees_proposals_to_decide_with_count_and_link(client_as, app):
    from portal.proposals.models import Proposal, ProposalState
    from sqlalchemy import func, select

    with app.app_context():
        waiting = db.session.scalar(select(func.count(Proposal.id)).where(Proposal.state == ProposalState.EINGEREICHT))
    html = client_as("leitung").get("/").get_data(as_text=True)
    assert "Zu erledigen" in html
    if waiting:
        assert re.search(rf'href="/proposals/inbox"><span class="foryou__count">{waiting}</span> Anträge zu entscheiden', html)
    assert "Zielvorgabe 15 %" in html


def test_moderation_sees_its_queue(client_as, app):
    from portal.board.queries import open_report_count, pending_count

    with app.app_context():
        pending, reports = pending_count(), open_report_count()
    html = client_as("moderation").get("/").get_data(as_text=True)
    if pending:
        assert f'<span class="foryou__count">{pending}</span> Beiträge vor der Freigabe zu prüfen' in html
    if reports:
        assert f'<span class="foryou__count">{reports}</span> Meldungen zu bearbeiten' in html
    assert "Zielvorgabe 15 %" not in html


def test_traeger_sees_rueckfragen_of_its_own_traeger_only(client_as, app):
    from sqlalchemy import select, update

    from portal.proposals.models import Proposal, ProposalState

    with app.app_context():
        awo = get_user("fachkraft")
        own = db.session.scalar(select(Proposal).where(Proposal.traeger_id == awo.traeger_id).limit(1))
        other = db.session.scalar(select(Proposal).where(Proposal.traeger_id != awo.traeger_id).limit(1))
        db.session.execute(update(Proposal).values(state=ProposalState.ABGELEHNT))
        db.session.execute(update(Proposal).where(Proposal.id.in_([own.id, other.id]))
                           .values(state=ProposalState.RUECKFRAGE))
        db.session.commit()
    html = client_as("fachkraft").get("/").get_data(as_text=True)
    assert '<span class="foryou__count">1</span> Rückfragen zu beantworten' in html
    assert "Anträge zu entscheiden" not in html


def test_volunteer_without_ag_gets_no_ag_tab_and_empty_states(client_as):
    html = client_as("ehrenamt").get("/").get_data(as_text=True)
    nav = _nav(html)
    assert "AG 78" not in nav
    assert "Pinnwand" in nav and "Kalender" in nav
    assert "Zielvorgabe 15 %" not in html
    assert "Kalender in Outlook oder Thunderbird abonnieren" in html


def test_ag_member_gets_the_ag_tab(client_as):
    nav = _nav(client_as("ag_mitglied").get("/").get_data(as_text=True))
    assert "AG 78" in nav


def test_new_since_last_visit_lists_unread_notifications_only(client_as, app):
    from portal.notifications.models import Notification

    with app.app_context():
        user = get_user("ehrenamt")
        db.session.add_all([
            Notification(user_id=user.id, kind="post_commented", subject_key="post:1", text="Neuer Kommentar zu Backtag",
                         url="/board/posts/1"),
            Notification(user_id=user.id, kind="board_post", subject_key="post:2", text="Gelesener Beitrag Laternenfest",
                         url="/board/posts/2", read_at=db.func.now()),
        ])
        db.session.commit()
    html = client_as("ehrenamt").get("/").get_data(as_text=True)
    assert "Neuer Kommentar zu Backtag" in html
    assert "Gelesener Beitrag Laternenfest" not in html


@pytest.mark.parametrize("role", ["leitung", "fachkraft", "ehrenamt", "moderation", "protokoll", "koordination"])
def test_start_page_query_count_does_not_grow_with_data(role, client_as, app, count_queries):
    from portal.notifications.models import Notification

    client = client_as(role)
    client.get("/")
    with count_queries() as before:
        assert client.get("/").status_code == 200
    with app.app_context():
        user = get_user(role)
        db.session.add_all([Notification(user_id=user.id, kind="board_post", subject_key=f"post:{i}",
                                         text=f"Beitrag {i}", url="/board/") for i in range(30)])
        db.session.commit()
    client.get("/")  # the write renewed the kept layout facts (portal.navigation): counted once, then kept
    with count_queries() as after:
        assert client.get("/").status_code == 200
    assert after.count == before.count


def test_koordination_sees_the_15_percent_bar_of_its_sozialraum_only(client_as, app):
    from sqlalchemy import select

    from portal.org.models import Sozialraum

    with app.app_context():
        own = get_user("koordination").sozialraum.name
        others = [s for s in db.session.scalars(select(Sozialraum.name)) if s != own]
    html = client_as("koordination").get("/").get_data(as_text=True)
    bars = html[html.index('id="fy-target"'):html.index("Zur 15-%-Übersicht")]
    assert f"{own}:" in bars
    assert not any(f"{name}:" in bars for name in others)


def test_protokoll_sees_minutes_to_write_of_its_ag(client_as, app):
    from datetime import timedelta

    from sqlalchemy import select

    from portal.ag.models import Function, Meeting, Membership, MinutesStatus

    with app.app_context():
        user = get_user("protokoll")
        group_id = db.session.scalar(select(Membership.group_id).where(Membership.user_id == user.id,
                                                                      Membership.function == Function.PROTOKOLL))
        meeting = db.session.scalar(select(Meeting).where(Meeting.group_id == group_id).limit(1))
        meeting.minutes_status = MinutesStatus.ENTWURF
        meeting.date = heute() - timedelta(days=1)
        db.session.commit()
    html = client_as("protokoll").get("/").get_data(as_text=True)
    assert "Niederschriften zu schreiben oder zu veröffentlichen" in html
    assert "Niederschriften zu schreiben" not in client_as("ag_mitglied").get("/").get_data(as_text=True)


# --- the kept start page (portal.pages.dashboard.blocks_for) ----------------------------------------

def _submit_a_proposal():
    from sqlalchemy import select

    from portal.proposals.models import Proposal, ProposalState

    draft = db.session.scalar(select(Proposal).where(Proposal.state != ProposalState.EINGEREICHT).limit(1))
    draft.state = ProposalState.EINGEREICHT


def _post_waiting_for_moderation():
    from tests.factories.board import make_post

    from portal.board.models import PostStatus

    make_post("ehrenamt", "taubach", title="Neu und wartend", status=PostStatus.PENDING)


def _notify_the_volunteer():
    from portal.notifications.models import Notification

    db.session.add(Notification(user_id=get_user("ehrenamt").id, kind="post_commented", subject_key="post:77",
                                text="Frischer Kommentar zum Backtag", url="/board/"))


def _event_tomorrow_in_taubach():
    from datetime import datetime, timedelta

    from tests.factories.calendar import make_event
    from tests.factories.board import ortsteil

    from portal.formatting import BERLIN

    start = (datetime.now(BERLIN) + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
    make_event("moderation", title="Kürbisschnitzen morgen", start=start, ortsteil=ortsteil("taubach"))


def _hze_hours_of_this_month():

    from portal.proposals.models import HzeHours

    from sqlalchemy import select

    user = get_user("koordination")
    month = heute().replace(day=1)
    row = db.session.scalar(select(HzeHours).where(HzeHours.sozialraum_id == user.sozialraum_id,
                                                   HzeHours.month == month))
    if row is None:
        db.session.add(HzeHours(sozialraum_id=user.sozialraum_id, month=month, hours=1.0))
    else:
        row.hours = row.hours * 3 + 1


def _minutes_left_to_write():
    from datetime import timedelta

    from sqlalchemy import select

    from portal.ag.models import Function, Meeting, Membership, MinutesStatus

    group_id = db.session.scalar(select(Membership.group_id).where(
        Membership.user_id == get_user("protokoll").id, Membership.function == Function.PROTOKOLL))
    meeting = db.session.scalar(select(Meeting).where(Meeting.group_id == group_id).limit(1))
    meeting.minutes_status = MinutesStatus.ENTWURF
    meeting.date = heute() - timedelta(days=1)


def _main(response) -> str:
    """The page's content without the session's CSRF tokens."""
    html = response.get_data(as_text=True)
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html[html.index("<main"):html.index("</main>")])


#: (role, write, region of the page it changes): every kind of write behind a block.
WRITES = {
    "proposal submitted": ("leitung", _submit_a_proposal, "Zu erledigen"),
    "post waiting": ("moderation", _post_waiting_for_moderation, "Zu erledigen"),
    "notification": ("ehrenamt", _notify_the_volunteer, "Neu seit"),
    "event": ("ehrenamt", _event_tomorrow_in_taubach, "Als Nächstes"),
    "HzE hours": ("koordination", _hze_hours_of_this_month, "Zielvorgabe"),
    "minutes due": ("protokoll", _minutes_left_to_write, "Zu erledigen"),
}


@pytest.mark.parametrize("change", sorted(WRITES))
def test_kept_start_page_shows_every_write_at_once_in_both_workers(app, change):
    role, write, region = WRITES[change]
    with two_workers(app, role) as (first, second):
        before = _main(first.get("/"))
        assert _main(second.get("/")) == before  # both workers keep the page now
        with app.app_context():
            write()
            db.session.commit()
        for client in (first, second):
            after = _main(client.get("/"))
            assert region in after
            assert after != before, f"{change}: the kept start page did not change"


def test_kept_start_page_follows_the_write_it_shows(app):
    """The new text itself appears (not just any change), and a page kept before is not served again."""
    client = signed_in(app, "ehrenamt")
    assert "Frischer Kommentar zum Backtag" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        _notify_the_volunteer()
        db.session.commit()
    assert "Frischer Kommentar zum Backtag" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("order", [("ehrenamt", "ehrenamt_legefeld"), ("ehrenamt_legefeld", "ehrenamt")])
def test_a_kept_start_page_never_reaches_another_person(app, order):
    with app.app_context():
        _notify_the_volunteer()
        db.session.commit()
    pages = {role: signed_in(app, role).get("/").get_data(as_text=True) for role in order}
    assert "Frischer Kommentar zum Backtag" in pages["ehrenamt"]
    assert "Frischer Kommentar zum Backtag" not in pages["ehrenamt_legefeld"]
    with app.app_context():
        names = {role: get_user(role).display_name for role in order}
    for role, other in (order, order[::-1]):
        assert f"Willkommen, {names[role]}" in pages[role]
        assert f"Willkommen, {names[other]}" not in pages[role]
