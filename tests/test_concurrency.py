"""Real parallel requests against gunicorn with two worker processes (issue 19): the production
server (``gunicorn wsgi:app`` with the repository's gunicorn.conf.py) on a free port, on this test's
database (SQLite or, with ``--db postgresql``, PostgreSQL), with CSRF protection on as in production.

Threads fire the same request at once, so the two workers really race each other in the database:
a double submit of a post and of a "Danke", two Leitung decisions on one proposal, two budget
approvals that together would overspend, and wrong passwords counted against the login limit.
Every answer must be a 2xx/3xx or the expected 409/422/429 – never a 5xx."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.auth.models import LoginFailure
from portal.board.models import Post, Reaction
from portal.budget.models import Budget, BudgetRequest, RequestState
from portal.extensions import db
from portal.org.models import Ortsteil
from portal.proposals.models import Proposal, ProposalState
from portal import create_app
from tests.conftest import DEMO_PASSWORD, FAST_HASHING, ROLE_LOGINS, _free_port, base_config
from tests.factories.budget import make_budget, make_request
from tests.factories.proposals import make_proposal

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shared(backend, tmp_path_factory):
    """One database and one gunicorn (2 sync workers) for the whole module – starting workers is the
    slow part; the tests use data of their own. Yields (app, base URL)."""
    tmp = tmp_path_factory.mktemp("concurrency")
    url = backend.new_database(tmp)
    app = create_app(base_config(url, tmp))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({
        "PORTAL_DATABASE_URL": url, "PORTAL_UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "PORTAL_SECRET_KEY": "concurrency-test-secret", "PORTAL_MFA_REQUIRED": "false",
        "PORTAL_BIND": f"127.0.0.1:{port}", "PORTAL_WORKERS": "2", "PORTAL_THREADS": "1",
        **{f"PORTAL_{k}": str(v) for k, v in FAST_HASHING.items()},
    })
    log_path = tmp / "gunicorn.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/login", timeout=10).read()
                break
            except OSError:  # not listening yet (URLError, ConnectionError, a timeout)
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("gunicorn did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.1)
        yield app, base
    finally:
        proc.send_signal(signal.SIGINT)  # quick shutdown
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        with app.app_context():
            db.engine.dispose()
        backend.drop(url)
    server_log = log_path.read_text()
    assert "Unerwarteter Fehler" not in server_log, server_log[-3000:]  # no 500 in any worker


@pytest.fixture
def app(shared):
    return shared[0]


@pytest.fixture
def server(shared):
    return shared[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One browser: its own cookies; ``post`` takes the CSRF token from the page it came from."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def token(self, path: str) -> str:
        status, page = self.request(path)
        assert status == 200, (path, status)
        return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)  # hx-headers on <body>, as htmx sends it

    def login(self, role: str, password: str = DEMO_PASSWORD) -> "Browser":
        token = self.token("/login")
        status, _ = self.request("/login", {"csrf_token": token, "email": ROLE_LOGINS[role], "password": password})
        assert status == 303, f"login as {role}: {status}"
        return self


def at_once(calls) -> list[int]:
    """Run the calls in threads released together; their status codes in order."""
    barrier = threading.Barrier(len(calls))
    codes: list[int | None] = [None] * len(calls)

    def run(i):
        barrier.wait()
        codes[i] = calls[i]()[0]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(c is not None and c < 500 for c in codes), codes
    return codes


def test_double_submits_of_a_post_and_a_danke_create_one_each(app, server):
    volunteer = Browser(server).login("ehrenamt")
    token = volunteer.token("/board/taubach/new")
    post = {"csrf_token": token, "title": "Laternenumzug am Freitag", "category": "information",
            "body": "Treffpunkt 17 Uhr am Dorfteich, Laternen bitte mitbringen."}
    assert at_once([lambda: volunteer.request("/board/taubach/new", post)] * 3) == [303] * 3
    with app.app_context():
        posts = db.session.scalars(select(Post).where(Post.title == post["title"])).all()
        assert len(posts) == 1
        post_id = posts[0].id
    # "Danke" for that post from another volunteer's two tabs at once
    other = Browser(server).login("ehrenamt")
    thanks = {"csrf_token": other.token(f"/board/posts/{post_id}"), "danke": "ja"}
    assert at_once([lambda: other.request(f"/board/posts/{post_id}/thanks", thanks)] * 3) == [303] * 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reaction).where(Reaction.post_id == post_id)) == 1


def test_two_leitung_decisions_at_once_one_wins_the_other_gets_409(app, server):
    with app.app_context():
        proposal = make_proposal(ProposalState.EINGEREICHT)
        db.session.commit()
        pid, version = proposal.id, proposal.version
    first, second = Browser(server).login("leitung"), Browser(server).login("leitung")
    approve = {"csrf_token": first.token(f"/proposals/{pid}"), "action": "approve", "version": version}
    reject = {"csrf_token": second.token(f"/proposals/{pid}"), "action": "reject", "version": version,
              "comment": "Im Sozialraum gibt es dieses Angebot schon."}
    codes = at_once([lambda: first.request(f"/proposals/{pid}/transition", approve),
                     lambda: second.request(f"/proposals/{pid}/transition", reject)])
    assert sorted(codes) == [303, 409], codes
    with app.app_context():
        state = db.session.get(Proposal, pid).state
    assert state == (ProposalState.FREIGEGEBEN if codes[0] == 303 else ProposalState.ABGELEHNT)


def test_two_budget_approvals_that_would_overspend_one_is_refused(app, server):
    with app.app_context():
        budget = make_budget("gelmeroda", 1000, year=2042)
        reqs = [make_request("gelmeroda", 600, year=2042, budget_euros=1000) for _ in range(2)]
        db.session.commit()
        bid, ids = budget.id, [(r.id, r.version) for r in reqs]
    people = [Browser(server).login("leitung") for _ in ids]
    forms = [{"csrf_token": b.token(f"/budget/requests/{rid}"), "action": "freigegeben", "version": v}
             for b, (rid, v) in zip(people, ids)]
    codes = at_once([lambda i=i: people[i].request(f"/budget/requests/{ids[i][0]}/decide", forms[i])
                     for i in range(2)])
    assert sorted(codes) == [303, 409], codes
    with app.app_context():
        assert db.session.get(Budget, bid).committed_cents == 60000
        assert db.session.scalar(select(func.count()).select_from(BudgetRequest).where(
            BudgetRequest.budget_id == bid, BudgetRequest.state == RequestState.FREIGEGEBEN)) == 1


def test_parallel_wrong_passwords_are_all_counted_and_at_most_five_checked(app, server):
    client = Browser(server)
    token = client.token("/login")
    wrong = {"csrf_token": token, "email": ROLE_LOGINS["moderation"], "password": "falsch-geraten-123"}
    codes = at_once([lambda: client.request("/login", wrong)] * 10)
    assert set(codes) <= {422, 429}, codes
    assert 1 <= codes.count(422) <= app.config["LOGIN_MAX_FAILURES"], codes  # the limit holds in parallel
    with app.app_context():
        counted = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.key.startswith(f"pair:{ROLE_LOGINS['moderation']}|")))
    assert counted == 10  # every attempt counted, none lost between the workers
    # the right password from this (untrusted) client now waits, too
    status, _ = client.request("/login", {**wrong, "password": DEMO_PASSWORD})
    assert status == 429
