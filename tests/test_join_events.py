"""Einladungslinks send domain events; an account waiting for release notifies Moderation and the
Koordination of the link's Sozialraum; the released person hears of it; the list of links pages
with ?nach= in a constant number of queries and shows exactly the links JoinLink.can_manage allows."""
import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import insert, select

from portal import signals
from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.formatting import heute
from portal.join import services
from portal.join.models import JoinedAccount, JoinLink, join_link_ortsteil
from portal.notifications.models import Notification, OutboxMail
from portal.org.models import Ortsteil
from tests.conftest import get_user

PASSWORD = "Montags backen wir Brot in Schöndorf"


def _place(slug):
    return db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))


@contextmanager
def _caught(*sigs):
    seen = []

    def receiver(sender, **kw):
        # the actor may be the request's current_user proxy: keep its address while it is bound
        seen.append((sender, {**kw, "actor_email": getattr(kw.get("actor"), "email", None)}))

    with_all = [s.connected_to(receiver) for s in sigs]
    for ctx in with_all:
        ctx.__enter__()
    try:
        yield seen
    finally:
        for ctx in reversed(with_all):
            ctx.__exit__(None, None, None)


def _link(app, slug="schoendorf", needs_release=True, by="admin"):
    with app.app_context():
        link = services.create_link(get_user(by), [_place(slug)], heute() + timedelta(days=7), 5, needs_release)
        db.session.commit()
        return link.id, link.token


def _join(client, token, email="neu@example.org", name="Rita Neu"):
    return client.post(f"/join/{token}", data={"display_name": name, "email": email, "password": PASSWORD,
                                               "confirm": PASSWORD, "consent": "y"})


def _entries(app, role, kind):
    with app.app_context():
        user = get_user(role)
        return db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                             Notification.kind == kind)).all()


def test_creating_and_revoking_a_link_send_their_events_once(app):
    with app.app_context(), _caught(signals.join_link_created, signals.join_link_revoked) as seen:
        admin = get_user("admin")
        link = services.create_link(admin, [_place("taubach")], heute() + timedelta(days=7), 5, False)
        services.revoke_link(admin, link)
        services.revoke_link(admin, link)  # already revoked: nothing happens twice
        assert [(s, kw["actor"]) for s, kw in seen] == [(link, admin), (link, admin)]


def test_joining_sends_member_joined_with_the_new_account(app, client):
    _, token = _link(app, needs_release=False)
    with _caught(signals.member_joined) as seen:
        assert _join(client, token).status_code == 303
    assert len(seen) == 1
    joined, kw = seen[0]
    assert isinstance(joined, JoinedAccount) and kw["actor_email"] == "neu@example.org"


def test_waiting_account_notifies_moderation_and_the_coordination_of_its_sozialraum(app, client):
    _, token = _link(app, "schoendorf")  # Sozialraum Nord: the demo Koordination's
    assert _join(client, token).headers["Location"].endswith("/join/waiting")
    for role in ("moderation", "koordination"):
        [entry] = _entries(app, role, "account_waiting")
        assert "Rita Neu" in entry.text and "Schöndorf" in entry.text and entry.url == "/join/links"
    for role in ("admin", "leitung", "ehrenamt"):
        assert _entries(app, role, "account_waiting") == []
    with app.app_context():  # the default channel is "E-Mail sofort"
        assert db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == "koordination.nord@portal.example",
                                                          OutboxMail.kind == "account_waiting"))


def test_waiting_account_of_another_sozialraum_does_not_reach_this_coordination(app, client):
    _, token = _link(app, "taubach")  # Mitte/Süd
    _join(client, token)
    assert len(_entries(app, "moderation", "account_waiting")) == 1
    assert _entries(app, "koordination", "account_waiting") == []


def test_joining_without_release_notifies_nobody(app, client):
    _, token = _link(app, needs_release=False)
    _join(client, token)
    with app.app_context():
        assert db.session.scalar(select(Notification).where(Notification.kind == "account_waiting")) is None


def test_release_sends_account_released_and_tells_the_person(app, client, client_as):
    _, token = _link(app, "schoendorf")
    _join(client, token)
    with app.app_context():
        joined_id = db.session.scalar(select(JoinedAccount.id))
    with _caught(signals.account_released) as seen:
        assert client_as("koordination").post(f"/join/accounts/{joined_id}/release").status_code == 303
        assert client_as("koordination").post(f"/join/accounts/{joined_id}/release").status_code == 303
    assert len(seen) == 1 and seen[0][1]["actor_email"] == "koordination.nord@portal.example"
    with app.app_context():
        rita = db.session.scalar(select(User).where(User.email == "neu@example.org"))
        [entry] = db.session.scalars(select(Notification).where(Notification.user_id == rita.id)).all()
        assert entry.kind == "account_released" and entry.url == "/board/schoendorf"
    # the bell shows it to Rita
    assert "Dein Konto ist freigegeben" in client.get("/notifications/").get_data(as_text=True)


def _many_links(app, n, slug="schoendorf"):
    with app.app_context():
        place = _place(slug)
        admin = get_user("admin")
        until = utcnow() + timedelta(days=5)
        first = (db.session.scalar(select(JoinLink.id).order_by(JoinLink.id.desc())) or 0) + 1
        db.session.execute(insert(JoinLink), [
            {"token": f"t{slug}{first + i}", "created_by_id": admin.id, "valid_until": until, "max_uses": 9,
             "needs_release": False, "created_at": utcnow() - timedelta(minutes=i)} for i in range(n)])
        ids = db.session.scalars(select(JoinLink.id).where(JoinLink.token.like(f"t{slug}%"))).all()
        db.session.execute(insert(join_link_ortsteil), [{"link_id": i, "ortsteil_id": place.id} for i in ids])
        db.session.commit()


def test_link_list_is_paged_and_its_query_count_does_not_grow(app, client_as, count_queries):
    mod = client_as("moderation")
    _many_links(app, 3)
    with count_queries() as few:
        assert mod.get("/join/links").status_code == 200
    _many_links(app, 60, "taubach")
    # joined people on some links (their names are not listed, but the count is)
    _, token = _link(app, "taubach", needs_release=False)
    with app.app_context():
        link = services.find_link(token)
        for i in range(4):
            services.join(link, f"Person {i}", f"p{i}@example.org", PASSWORD)
        db.session.commit()
    with count_queries() as many:
        html = mod.get("/join/links").get_data(as_text=True)
    assert many.count == few.count
    ids = re.findall(r'href="/join/links/(\d+)"', html)
    assert len(ids) == services.LINKS_PER_PAGE
    assert "4 von 5 Personen" in html  # the newest link, with its joins
    next_url = re.search(r'href="(/join/links\?nach=\d+)"', html).group(1)
    second = mod.get(next_url).get_data(as_text=True)
    assert set(ids).isdisjoint(re.findall(r'href="/join/links/(\d+)"', second))


def test_link_list_shows_exactly_the_links_the_rule_allows(app, client_as):
    _link(app, "schoendorf")  # Nord
    _link(app, "taubach")  # Mitte/Süd
    with app.app_context():
        both = services.create_link(get_user("admin"), [_place("schoendorf"), _place("taubach")],
                                    heute() + timedelta(days=3), 5, False).id
        db.session.commit()
    for role in ("koordination", "moderation", "admin"):
        html = client_as(role).get("/join/links").get_data(as_text=True)
        listed = {int(i) for i in re.findall(r'href="/join/links/(\d+)"', html)}
        with app.app_context():
            user = get_user(role)
            allowed = {link.id for link in db.session.scalars(select(JoinLink)) if link.can_manage(user)}
        assert listed == allowed, role
    with app.app_context():
        assert both not in {int(i) for i in re.findall(
            r'href="/join/links/(\d+)"', client_as("koordination").get("/join/links").get_data(as_text=True))}
