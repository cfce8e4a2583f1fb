"""Issue 19.11: double submits. A form sent twice creates one object, and a parallel request that
wins a unique key first never turns the other one into a 500: it gets the existing object or a
clear German message.

``competing`` makes the race deterministic: right after the operation looked for an existing row
(and found none), another "request" – an app context of its own, committing at once – creates the
same thing, so the operation's insert hits the unique constraint exactly as the slower of two
parallel requests does. Real parallel requests: tests/test_concurrency.py (a server with two
workers) and the threads below."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.ag.models import Meeting
from portal.auth.models import Role, User
from portal.board.models import Post, Reaction
from portal.budget.models import Budget, BudgetRequest
from portal.extensions import db
from portal.formatting import heute
from portal.org.models import Ortsteil, Sozialraum
from portal.proposals.models import HzeHours
from tests.conftest import ROLE_LOGINS, get_user, login
from tests.factories.ag import add_member, make_group
from tests.factories.budget import make_budget

DOUBLE = "zweimal abgeschickt"


@contextmanager
def competing(app, looks_for, create):
    """Run ``create()`` (in its own app context and transaction, committed) right after the first
    ORM SELECT whose SQL contains ``looks_for`` – between the operation's look-up and its insert."""
    fired = []

    def handler(state):
        if fired or not state.is_select or looks_for not in str(state.statement):
            return None
        fired.append(True)
        result = state.invoke_statement()  # the operation sees the database as it was
        with app.app_context():
            create()
            db.session.commit()
        return result

    event.listen(Session, "do_orm_execute", handler)
    try:
        yield fired
    finally:
        event.remove(Session, "do_orm_execute", handler)
    assert fired, f"no SELECT with {looks_for!r} ran: the race was not staged"


def _parallel(app, role: str, n: int, call) -> list[int]:
    """``n`` clients signed in as ``role`` send ``call(client)`` at the same moment (threads)."""
    clients = [login(app.test_client(), ROLE_LOGINS[role]) for _ in range(n)]
    barrier = threading.Barrier(n)
    codes = [0] * n

    def run(i):
        barrier.wait()
        codes[i] = call(clients[i]).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return codes


def _published_post(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Post.id).join(Ortsteil).where(
            Ortsteil.slug == "taubach", Post.status == "published").order_by(Post.id).limit(1))


def _reactions(app, post_id: int, role: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Reaction).where(
            Reaction.post_id == post_id, Reaction.user_id == get_user(role).id))


# --- Danke -----------------------------------------------------------------------------------------

def test_danke_sent_twice_stays_one_danke(app, client_as):
    post_id = _published_post(app)
    client = client_as("ehrenamt")
    for _ in range(2):  # a double click: both requests say "Danke", the second must not take it back
        assert client.post(f"/board/posts/{post_id}/thanks", data={"danke": "ja"}).status_code == 303
    assert _reactions(app, post_id, "ehrenamt") == 1
    assert client.post(f"/board/posts/{post_id}/thanks", data={"danke": "nein"}).status_code == 303
    assert _reactions(app, post_id, "ehrenamt") == 0


def test_danke_raced_by_a_parallel_request_is_no_500(app, client_as):
    post_id = _published_post(app)
    client = client_as("ehrenamt")
    with app.app_context():
        user_id = get_user("ehrenamt").id
    with competing(app, "board_reaction", lambda: db.session.add(Reaction(post_id=post_id, user_id=user_id))):
        r = client.post(f"/board/posts/{post_id}/thanks", data={"danke": "ja"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert 'aria-pressed="true"' in r.get_data(as_text=True)
    assert _reactions(app, post_id, "ehrenamt") == 1


def test_parallel_danke_gives_one_danke(app):
    post_id = _published_post(app)
    codes = _parallel(app, "ehrenamt", 4, lambda c: c.post(f"/board/posts/{post_id}/thanks", data={"danke": "ja"}))
    assert codes == [303] * 4
    assert _reactions(app, post_id, "ehrenamt") == 1


# --- Pinnwand-Beitrag -------------------------------------------------------------------------------

POST = {"title": "Kuchenbasar am Samstag", "body": "Wer backt mit? Wir treffen uns um 14 Uhr.", "category": "information"}


def _posts_titled(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post).where(Post.title == title))


def test_a_post_form_sent_twice_creates_one_post(app, client_as):
    client = client_as("ehrenamt")
    first = client.post("/board/taubach/new", data=POST)
    assert first.status_code == 303
    second = client.post("/board/taubach/new", data=POST, follow_redirects=True)
    assert second.status_code == 200
    assert "Dieser Beitrag war schon gespeichert" in second.get_data(as_text=True)
    assert _posts_titled(app, POST["title"]) == 1
    # a different text is a new post
    assert client.post("/board/taubach/new", data={**POST, "body": "Noch ein Termin."}).status_code == 303
    assert _posts_titled(app, POST["title"]) == 2


def test_parallel_identical_posts_create_one(app):
    data = {**POST, "title": "Paralleler Kuchenbasar"}
    codes = _parallel(app, "ehrenamt", 3, lambda c: c.post("/board/taubach/new", data=data))
    assert codes == [303] * 3
    assert _posts_titled(app, data["title"]) == 1


# --- HzE-Stunden ------------------------------------------------------------------------------------

def test_hze_hours_raced_by_a_parallel_entry_are_saved_not_a_500(app, client_as):
    with app.app_context():
        nord = db.session.scalar(select(Sozialraum).order_by(Sozialraum.id).limit(1))
        nord_id, leitung_id = nord.id, get_user("leitung").id
    month = date(2031, 3, 1)
    with competing(app, "hze_hours", lambda: db.session.add(HzeHours(
            sozialraum_id=nord_id, month=month, hours=10, updated_by_id=leitung_id,
            updated_at=datetime.now(timezone.utc)))):
        r = client_as("leitung").post("/proposals/target/hours",
                                      data={"sozialraum": nord_id, "month": "2031-03", "hours": "1507,6"})
    assert r.status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(HzeHours).where(HzeHours.sozialraum_id == nord_id,
                                                         HzeHours.month == month)).all()
        assert [row.hours for row in rows] == [pytest.approx(1507.6)]


# --- AG-Sitzung -------------------------------------------------------------------------------------

def test_new_meeting_raced_by_its_twin_gets_a_german_message(app, client_as):
    with app.app_context():
        group = make_group(short_name="AG Doppelt", name="AG Doppelt – Test", slug="doppelt")
        from portal.ag.models import Function
        add_member(group, "protokoll", Function.PROTOKOLL)
        db.session.commit()
        group_id = group.id

    def twin():
        db.session.add(Meeting(group_id=group_id, number=7, date=date(2031, 5, 12), start_time=time(9),
                               end_time=time(12), place="", sequence=0, updated_at=datetime.now(timezone.utc)))

    data = {"number": "7", "date": "2031-05-12", "start_time": "09:00", "end_time": "12:00", "place": "Raum 1",
            "status": "geplant"}
    with competing(app, "ag_meeting.number", twin):
        r = client_as("protokoll").post("/ag/doppelt/meetings/new", data=data)
    assert r.status_code == 422
    assert "Eine 7. Sitzung gibt es schon." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting).where(Meeting.group_id == group_id)) == 1


# --- neues Konto ------------------------------------------------------------------------------------

def test_new_account_raced_by_its_twin_gets_a_german_message(app, client_as):
    email = "doppelt@portal.example"

    def twin():
        u = User(email=email, display_name="Dora Doppelt")
        u.set_roles([Role.EHRENAMT])
        db.session.add(u)

    with competing(app, 'SELECT "user".id \nFROM "user" \nWHERE "user".email', twin):
        r = client_as("admin").post("/admin/users/new", data={"display_name": "Dora Doppelt", "email": email,
                                                             "roles": ["moderation"]})
    assert r.status_code == 422
    assert "Diese E-Mail-Adresse hat schon ein anderes Konto." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == email)) == 1


# --- Jugendbudget -----------------------------------------------------------------------------------

def test_budget_request_sent_twice_is_filed_once(app, client_as):
    with app.app_context():
        make_budget("taubach", 1000)
        db.session.commit()
    client = client_as("ehrenamt")
    data = {"purpose": "Bastelmaterial Laternenfest", "amount": "80"}
    assert client.post("/budget/taubach/new", data=data).status_code == 303
    second = client.post("/budget/taubach/new", data=data, follow_redirects=True)
    assert "Dieser Antrag war schon eingereicht" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BudgetRequest).where(
            BudgetRequest.purpose == data["purpose"])) == 1


def test_budget_amount_raced_by_a_parallel_entry_is_saved(app, client_as):
    with app.app_context():
        taubach_id = db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == "taubach"))
    twin = lambda: db.session.add(Budget(year=2039, ortsteil_id=taubach_id, amount_cents=100, committed_cents=0,  # noqa: E731
                                         spent_cents=0))
    with competing(app, "budget.year", twin):
        r = client_as("leitung").post("/budget/amounts/taubach?jahr=2039", data={"amount": "2.500"})
    assert r.status_code == 303
    with app.app_context():
        amounts = db.session.scalars(select(Budget.amount_cents).where(Budget.year == 2039,
                                                                      Budget.ortsteil_id == taubach_id)).all()
        assert amounts == [250000]


# --- the net under all of them ---------------------------------------------------------------------

def test_an_unforeseen_unique_clash_is_a_409_in_german(app, client_as):
    @app.post("/_test/unique-clash")
    def clash():
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: x.y"))

    r = client_as("ehrenamt").post("/_test/unique-clash")
    assert r.status_code == 409
    assert DOUBLE in r.get_data(as_text=True)


# --- Beitritt über einen Einladungslink ---------------------------------------------------------------

def test_joining_twice_at_once_creates_one_account(app, client):
    from datetime import timedelta

    from portal.join import services as join_services

    with app.app_context():
        place = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "schoendorf"))
        link = join_services.create_link(get_user("admin"), [place], heute() + timedelta(days=7), 5, False)
        db.session.commit()
        token = link.token
    email = "rita.neu@example.org"

    def twin():
        u = User(email=email, display_name="Rita Neu")
        u.set_roles([Role.EHRENAMT])
        db.session.add(u)

    password = "Montags backen wir Brot in Schöndorf"
    with competing(app, "count(*) AS count_1 \nFROM \"user\"", twin):
        r = client.post(f"/join/{token}", data={"display_name": "Rita Neu", "email": email, "password": password,
                                                "confirm": password, "consent": "y"})
    assert r.status_code == 422
    assert "Mit dieser Adresse geht es hier nicht weiter." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == email)) == 1


def test_the_savepoint_stays_inside_the_operations_transaction(app):
    """A row added through portal.duplicates is undone with the rest when the operation fails
    (on SQLite a bare SAVEPOINT would be its own transaction and commit the row at RELEASE)."""
    from portal.duplicates import add_once

    post_id = _published_post(app)
    with app.app_context():
        user_id = get_user("ehrenamt").id
        db.session.rollback()  # a fresh transaction, nothing written yet
        add_once(Reaction(post_id=post_id, user_id=user_id), lambda: None)
        db.session.rollback()
    assert _reactions(app, post_id, "ehrenamt") == 0
