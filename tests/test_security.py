"""Security defaults: CSRF, server-side session end, rate limit, headers, no tracebacks."""
import re

import pytest
from sqlalchemy import select

from portal.access import public
from portal.auth.models import User
from portal.extensions import db
from tests.conftest import DEMO_PASSWORD, get_user, login


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def csrf_token_from(html: bytes) -> str:
    return re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1).decode()


def test_form_post_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "admin@portal.example", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "Sicherheitsprüfung" in response.get_data(as_text=True)


def test_form_post_with_csrf_token_is_accepted(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").data)
    response = client.post("/login", data={"email": "admin@portal.example", "password": DEMO_PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 303


def test_htmx_request_needs_the_csrf_header(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").data)
    client.post("/login", data={"email": "admin@portal.example", "password": DEMO_PASSWORD, "csrf_token": token})
    page = client.get("/").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    hx = {"HX-Request": "true"}
    assert client.post("/admin/users/1/link", headers=hx).status_code == 400
    response = client.post("/admin/users/1/link", headers={**hx, "X-CSRFToken": header_token})
    assert response.status_code == 200


def test_cookie_replayed_after_logout_is_refused(client):
    login(client, "fachkraft@awo.example")
    stolen = client.get_cookie("portal_session").value
    assert client.get("/account").status_code == 200
    client.post("/logout")
    client.set_cookie("portal_session", stolen)
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_deactivation_ends_the_users_open_session(app, client_as):
    volunteer = client_as("ehrenamt")
    admin = client_as("admin")
    with app.app_context():
        uid = get_user("ehrenamt").id
    assert volunteer.get("/account").status_code == 200
    assert admin.post(f"/admin/users/{uid}/deactivate").status_code == 303
    assert volunteer.get("/account").status_code == 302
    # and the deactivated user cannot sign in again
    response = volunteer.post("/login", data={"email": "ehrenamt.taubach@portal.example", "password": DEMO_PASSWORD})
    assert response.status_code == 422


def test_unknown_user_and_wrong_password_get_the_same_answer(client):
    unknown = client.post("/login", data={"email": "niemand@portal.example", "password": "irgendwas-123"})
    wrong = client.post("/login", data={"email": "admin@portal.example", "password": "irgendwas-123"})
    assert unknown.status_code == wrong.status_code == 422
    message = "E-Mail-Adresse oder Passwort ist falsch."
    assert message in unknown.get_data(as_text=True)
    assert message in wrong.get_data(as_text=True)


def test_login_is_rate_limited_after_repeated_failures(app, client):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert client.post("/login", data={"email": "admin@portal.example", "password": "falsch-falsch"}).status_code == 422
    blocked = client.post("/login", data={"email": "admin@portal.example", "password": DEMO_PASSWORD})
    assert blocked.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in blocked.get_data(as_text=True)
    # other accounts from the same client still work until the per-client limit
    assert client.post("/login", data={"email": "leitung@portal.example", "password": DEMO_PASSWORD}).status_code == 303


def test_login_rate_limit_per_client_covers_many_addresses(app, client):
    for i in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
        client.post("/login", data={"email": f"probe{i}@example.org", "password": "falsch-falsch"})
    assert client.post("/login", data={"email": "admin@portal.example", "password": DEMO_PASSWORD}).status_code == 429


def test_passwords_are_stored_as_argon2id(app):
    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_login_never_redirects_to_another_host(client):
    response = client.post("/login?next=https://evil.example/", data={"email": "admin@portal.example",
                                                                     "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/"
    response = client.get("/login?next=//evil.example/")
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("path", ["/login", "/impressum", "/nicht-da", "/static/css/portal.css"])
def test_security_headers_on_anonymous_responses(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/account", "/admin/users", "/nicht-da"])
def test_signed_in_pages_are_not_cached_and_vary_on_htmx(client_as, path):
    response = client_as("admin").get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]
    assert "Content-Security-Policy" in response.headers


def test_session_cookie_is_http_only_and_same_site(client):
    client.post("/login", data={"email": "admin@portal.example", "password": DEMO_PASSWORD})
    cookie = client.get_cookie("portal_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_unexpected_error_shows_a_german_page_without_traceback(backend, tmp_path):
    from portal import create_app
    from tests.conftest import base_config

    app = create_app({**base_config(backend.new_database(tmp_path), tmp_path), "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")
    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Etwas ist schiefgelaufen" in body
    assert "Traceback" not in body and "secret internals" not in body


def test_anonymous_htmx_request_is_sent_to_login_as_a_whole_page(client):
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
