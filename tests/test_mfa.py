"""Second factor for Leitung and Administration: enrolment, code step, replay, recovery codes,
remembered browsers and the Administration's reset."""
from __future__ import annotations

import re

import pyotp
import pytest

from tests.conftest import DEMO_PASSWORD

LEITUNG = "leitung@portal.example"


@pytest.fixture
def mfa_app(app):
    app.config["MFA_REQUIRED"] = True
    return app


def _password_step(client, email=LEITUNG):
    return client.post("/login", data={"email": email, "password": DEMO_PASSWORD})


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/mfa").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert 'src="data:image/svg+xml' in page  # the QR code is made here, no other host
    done = client.post("/account/mfa", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f-]{14})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_the_leitung_must_enrol_before_anything_else(mfa_app):
    client = mfa_app.test_client()
    assert _password_step(client).status_code == 303
    response = client.get("/proposals/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/mfa")
    _enrol(client)
    assert client.get("/proposals/").status_code == 200


def test_volunteers_are_not_asked_for_a_second_factor(mfa_app):
    client = mfa_app.test_client()
    _password_step(client, "ehrenamt.taubach@portal.example")
    assert client.get("/board/").status_code == 200


def test_after_enrolment_the_password_alone_does_not_open_the_portal(mfa_app):
    client = mfa_app.test_client()
    _password_step(client)
    secret, codes = _enrol(client)
    client.post("/logout")

    other = mfa_app.test_client()
    response = _password_step(other)
    assert response.headers["Location"].endswith("/login/code")
    assert other.get("/account").status_code == 302  # not signed in yet
    assert other.post("/login/code", data={"code": "000000"}).status_code == 422
    used = pyotp.TOTP(secret).now()
    # the code the enrolment used cannot be replayed; a recovery code works once
    assert other.post("/login/code", data={"code": used}).status_code == 422
    assert other.post("/login/code", data={"code": codes[0]}).status_code == 303
    assert other.get("/account").status_code == 200

    third = mfa_app.test_client()
    _password_step(third)
    assert third.post("/login/code", data={"code": codes[0]}).status_code == 422


def test_a_remembered_browser_skips_the_code_until_the_factor_is_reset(mfa_app, client_as):
    client = mfa_app.test_client()
    _password_step(client)
    secret, codes = _enrol(client)
    client.post("/logout")
    _password_step(client)
    response = client.post("/login/code", data={"code": codes[1], "remember": "y"})
    assert response.status_code == 303
    client.post("/logout")
    assert not _password_step(client).headers["Location"].endswith("/login/code")

    with mfa_app.app_context():
        from portal.extensions import db
        from tests.conftest import get_user
        leitung_id = get_user("leitung").id
        db.session.remove()
    admin = mfa_app.test_client()
    admin.post("/login", data={"email": "admin@portal.example", "password": DEMO_PASSWORD})
    _enrol(admin)
    assert admin.post(f"/admin/users/{leitung_id}/mfa-reset").status_code == 303
    assert client.get("/account").status_code == 302  # her sessions ended
    _password_step(client)
    assert client.get("/proposals/").headers["Location"].endswith("/account/mfa")  # enrol again


def test_only_the_administration_resets_a_second_factor(client_as, app):
    from tests.conftest import get_user

    with app.app_context():
        leitung_id = get_user("leitung").id
    assert client_as("koordination").post(f"/admin/users/{leitung_id}/mfa-reset").status_code == 403
