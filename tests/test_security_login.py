"""Login throttling that an attacker cannot turn into a lockout, one argon2 verification per
attempt, and sessions with an absolute and an idle limit."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import DEMO_PASSWORD, login

ADMIN = "admin@portal.example"


def _post_login(client, email, password, ip="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip})


def test_wrong_passwords_from_an_attacker_do_not_lock_the_admin_out_of_her_own_browser(app):
    own_browser = app.test_client()
    assert _post_login(own_browser, ADMIN, DEMO_PASSWORD).status_code == 303
    own_browser.post("/logout")
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _post_login(attacker, ADMIN, "falsch-falsch", ip="203.0.113.9").status_code == 422
    assert _post_login(attacker, ADMIN, DEMO_PASSWORD, ip="203.0.113.9").status_code == 429
    assert _post_login(own_browser, ADMIN, DEMO_PASSWORD).status_code == 303
    # a colleague's new browser at another address is not blocked either
    assert _post_login(app.test_client(), ADMIN, DEMO_PASSWORD, ip="10.0.0.77").status_code == 303


def test_one_office_address_does_not_lock_out_everybody_behind_it(app):
    office = app.test_client()
    for i in range(24):
        _post_login(office, f"probe{i}@example.org", "falsch-falsch")
    assert _post_login(app.test_client(), "leitung@portal.example", DEMO_PASSWORD).status_code == 303


def test_parallel_wrong_attempts_are_all_counted(app):
    limit = app.config["LOGIN_MAX_FAILURES"]

    def attempt(_):
        return _post_login(app.test_client(), ADMIN, "falsch-falsch").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(attempt, range(10)))
    assert statuses.count(422) <= limit, statuses  # passwords actually checked
    assert statuses.count(429) >= 10 - limit


def test_an_unknown_address_costs_one_argon2_verification_and_no_hashing(app, monkeypatch):
    from argon2 import PasswordHasher

    from portal.security import verify_password

    hashed = []
    real_hash = PasswordHasher.hash
    monkeypatch.setattr(PasswordHasher, "hash", lambda self, pw, **kw: hashed.append(1) or real_hash(self, pw, **kw))
    with app.app_context():
        verify_password(None, "raten-1")
        verify_password(None, "raten-2")
        verify_password(None, "raten-3")
    assert len(hashed) <= 1


def test_guesses_of_the_current_password_are_throttled(app, client):
    login(client, "fachkraft@awo.example")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/account/password", data={"current": "falsch-falsch", "password": "Ein-neues-Passwort-77",
                                                           "confirm": "Ein-neues-Passwort-77"})
        assert response.status_code == 422
    response = client.post("/account/password", data={"current": DEMO_PASSWORD, "password": "Ein-neues-Passwort-77",
                                                       "confirm": "Ein-neues-Passwort-77"})
    assert response.status_code == 429
    assert "Zu viele falsche Versuche" in response.get_data(as_text=True)


def _shift_session(client, **seconds_ago):
    with client.session_transaction() as s:
        for key, ago in seconds_ago.items():
            s[key] = int(time.time()) - ago


def test_a_session_ends_after_its_absolute_lifetime_however_active(app, client):
    login(client, "leitung@portal.example")
    assert client.get("/account").status_code == 200
    limit = int(app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds())
    _shift_session(client, login_at=limit + 60, seen_at=10)
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_session_ends_after_being_idle_too_long(app, client):
    login(client, "leitung@portal.example")
    idle = int(app.config["SESSION_IDLE_TIMEOUT"].total_seconds())
    _shift_session(client, login_at=idle + 120, seen_at=idle + 60)
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
