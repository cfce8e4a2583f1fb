"""The layout's per-person parts (badges, bell, usable sections, main navigation) are kept per worker
(portal.navigation): a signed-in page costs the user load and the generations read, the next request
after any write that changes what they show sees the change – in every worker –, and no person ever
gets another person's navigation."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from tests.conftest import ROLE_LOGINS, get_user, second_worker


def nav(client, path: str = "/impressum") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)


def header(client, path: str = "/impressum") -> str:
    """The page header (bell, user menu, main navigation), without the session's own CSRF token."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r"<header.*?</header>", html, re.S).group(0)
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"|name="csrf_token" value="[^"]*"', "TOKEN", found)


def bell_count(client) -> int:
    m = re.search(r'id="bell".*?</a>', client.get("/impressum").get_data(as_text=True), re.S).group(0)
    found = re.search(r'class="badge">(\d+)<', m)
    return int(found.group(1)) if found else 0


def links(nav_html: str) -> list[str]:
    return re.findall(r'<span>([^<]+)</span>', nav_html)


# --- the floor ----------------------------------------------------------------------------------

def test_a_signed_in_page_loads_user_and_layout_in_a_fixed_number_of_queries(app, client_as, count_queries):
    from tests.factories.notify import make_post

    client = client_as("moderation")
    client.get("/impressum")  # a running worker: the layout facts are kept
    with count_queries() as q:
        client.get("/impressum")
    # the page's text, the user with roles, the cache generations – nothing per badge or bell
    assert q.count == 3, q.statements
    with app.app_context():
        from portal.board.models import PostStatus
        from portal.org.models import Ortsteil

        taubach = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach"))
        for _ in range(5):
            make_post(taubach, get_user("ehrenamt"), status=PostStatus.PENDING)
        db.session.commit()
    client.get("/impressum")  # counts again once after the write
    with count_queries() as q:
        html = client.get("/impressum").get_data(as_text=True)
    assert q.count == 3, q.statements
    assert "zu prüfen" in html


def test_the_layout_is_the_same_as_counted_fresh(client_as):
    """Kept facts show what a fresh count shows: the Leitung's waiting proposals in the navigation."""
    client = client_as("leitung")
    first, again = nav(client, "/proposals/"), nav(client, "/proposals/")
    assert first == again
    assert "Anträge" in links(first) and "Budget" in links(first)


# --- freshness after each write that changes the layout ----------------------------------------

def test_bell_counts_a_new_notification_and_clears_after_read_all_in_both_workers(app, client_as):
    from portal.notifications.services import notify

    client = client_as("fachkraft")
    other = second_worker(app).test_client()
    other.post("/login", data={"email": "fachkraft@awo.example", "password": "demo-passwort"})
    before = bell_count(client)
    assert bell_count(other) == before
    with app.app_context():
        notify([get_user("fachkraft")], "proposal_returned", subject_key="test:1", subject_title="Test",
               text="Neue Rückfrage", url="/proposals/")
        db.session.commit()
    assert bell_count(client) == before + 1
    assert bell_count(other) == before + 1
    client.post("/notifications/read-all")
    assert bell_count(client) == 0
    assert bell_count(other) == 0


def test_moderation_badge_follows_the_queue(app, client_as):
    from portal.board.models import PostStatus
    from portal.org.models import Ortsteil
    from tests.factories.notify import make_post

    client = client_as("moderation")
    before = re.search(r'title="(\d+) zu prüfen"', nav(client))
    count = int(before.group(1)) if before else 0
    with app.app_context():
        taubach = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach"))
        post = make_post(taubach, get_user("ehrenamt"), status=PostStatus.PENDING)
        db.session.commit()
        post_id = post.id
    assert f'title="{count + 1} zu prüfen"' in nav(client)
    with app.app_context():
        from portal.board.models import Post

        db.session.get(Post, post_id).status = PostStatus.PUBLISHED
        db.session.commit()
    shown = nav(client)
    assert (f'title="{count} zu prüfen"' in shown) if count else ("zu prüfen" not in shown)


def test_leitung_badge_follows_submitted_proposals(app, client_as):
    from portal.proposals.models import ProposalState
    from tests.factories.notify import make_proposal
    from portal.org.models import Sozialraum, Traeger

    client = client_as("leitung")
    found = re.search(r'title="(\d+) warten auf Entscheidung"', nav(client))
    count = int(found.group(1)) if found else 0
    with app.app_context():
        make_proposal(db.session.scalars(select(Traeger)).first(), db.session.scalars(select(Sozialraum)).first(),
                      state=ProposalState.EINGEREICHT)
        db.session.commit()
    assert f'title="{count + 1} warten auf Entscheidung"' in nav(client)


def test_budget_badge_follows_requests(app, client_as):
    from tests.factories.budget import make_request

    client = client_as("leitung")
    found = re.search(r'title="(\d+) Budget-Anträge warten"', nav(client))
    count = int(found.group(1)) if found else 0
    with app.app_context():
        make_request("taubach", 50)
        db.session.commit()
    assert f'title="{count + 1} Budget-Anträge warten"' in nav(client)


def test_ag_tab_and_unread_badge_follow_membership_and_minutes(app, client_as):
    from portal.ag.models import MinutesStatus
    from tests.factories.ag import add_member, make_group, make_meeting

    client = client_as("fachkraft_caritas")
    assert "AG 78" not in links(nav(client))
    with app.app_context():
        group = make_group()
        add_member(group, "fachkraft_caritas", valid_from=date(2020, 1, 1))
        db.session.commit()
        group_id = group.id
    assert "AG 78" in links(nav(client))
    assert "neu zu lesen" not in nav(client)
    with app.app_context():
        from portal.ag.models import WorkingGroup

        make_meeting(db.session.get(WorkingGroup, group_id), minutes_status=MinutesStatus.GENEHMIGT)
        db.session.commit()
    assert 'title="1 neu zu lesen"' in nav(client)


def test_budget_tab_follows_a_volunteers_ortsteile(app, client):
    """A change of the plain association table (a volunteer's Ortsteile) counts as a write too."""
    from portal.auth.models import Role, User
    from portal.org.models import Ortsteil
    from portal.security import hash_password
    from tests.conftest import login
    from tests.factories.notify import make_user

    with app.app_context():
        user = make_user(Role.EHRENAMT, email="neu.ehrenamt@test.example")
        user.password_hash = hash_password("demo-passwort")
        db.session.commit()
    login(client, "neu.ehrenamt@test.example")
    assert "Budget" not in links(nav(client))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "neu.ehrenamt@test.example"))
        user.ortsteile.append(db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach")))
        db.session.commit()
    assert "Budget" in links(nav(client))


def test_a_new_role_changes_the_navigation_at_once(app, client_as):
    from portal.auth.models import Role

    client = client_as("fachkraft")
    assert "Verwaltung" not in links(nav(client))
    with app.app_context():
        user = get_user("fachkraft")
        user.set_roles({*user.roles, Role.ADMIN})
        db.session.commit()
    assert "Verwaltung" in links(nav(client))


# --- never another person's navigation -----------------------------------------------------------

@pytest.mark.parametrize("first, second", [("admin", "ehrenamt"), ("ehrenamt", "admin"),
                                           ("moderation", "ehrenamt_legefeld"), ("ehrenamt_legefeld", "moderation"),
                                           ("leitung", "fachkraft"), ("fachkraft", "leitung")])
@pytest.mark.parametrize("path", ["/board/", "/impressum"])
def test_two_roles_in_either_order_each_see_only_their_own_layout(app, client_as, first, second, path):
    alone = {}
    for role in (first, second):  # each one's layout in a fresh worker
        fresh = second_worker(app).test_client()
        fresh.post("/login", data={"email": ROLE_LOGINS[role],
                                   "password": "demo-passwort"})
        alone[role] = header(fresh, path)
    shared = {role: client_as(role) for role in (first, second)}
    for role in (first, second, first, second):  # the same worker, one after the other
        shown = header(shared[role], path)
        assert shown == alone[role], role
        with app.app_context():
            name = get_user(role).display_name
        assert name in shown
