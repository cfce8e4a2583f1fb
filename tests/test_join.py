"""Einladungslinks: create, join, release, revoke, closed links, QR code, rate limit."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.board.models import can_post_in
from portal.extensions import db, utcnow
from portal.formatting import heute
from portal.join import services
from portal.join.models import JoinedAccount, JoinLink
from portal.org.models import Ortsteil
from tests.conftest import get_user

PASSWORD = "Montags backen wir Brot in Schöndorf"


def _place(slug="schoendorf"):
    return db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))


def _make_link(app, needs_release=False, max_uses=5, slug="schoendorf"):
    with app.app_context():
        link = services.create_link(get_user("admin"), [_place(slug)], heute() + timedelta(days=7), max_uses,
                                    needs_release)
        db.session.commit()
        return link.id, link.token


def _join(client, token, email="neu@example.org", name="Rita Neu"):
    return client.post(f"/join/{token}", data={"display_name": name, "email": email, "password": PASSWORD,
                                               "confirm": PASSWORD, "consent": "y"})


def test_coordination_creates_link_for_its_sozialraum_only(app, client_as):
    c = client_as("koordination")
    with app.app_context():
        nord, taubach = _place("schoendorf").id, _place("taubach").id
    day = (heute() + timedelta(days=10)).isoformat()
    r = c.post("/join/links/new", data={"ortsteile": [taubach], "valid_until": day, "max_uses": "10"})
    assert r.status_code == 422  # Taubach is not among its choices
    r = c.post("/join/links/new", data={"ortsteile": [nord], "valid_until": day, "max_uses": "10",
                                        "needs_release": "y"})
    assert r.status_code == 303
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "Schöndorf" in page and "/join/" in page and "data:image/svg+xml" in page
    with app.app_context():
        link = db.session.scalar(select(JoinLink))
        assert link.needs_release and link.max_uses == 10 and link.created_by_id == get_user("koordination").id


def test_past_date_keeps_input(app, client_as):
    c = client_as("moderation")
    with app.app_context():
        place = _place().id
    r = c.post("/join/links/new", data={"ortsteile": [place], "valid_until": "2001-01-01", "max_uses": "7"})
    assert r.status_code == 422
    assert "Vergangenheit" in r.get_data(as_text=True) and 'value="7"' in r.get_data(as_text=True)


def test_join_signs_in_and_lands_on_the_board(app, client):
    link_id, token = _make_link(app)
    r = client.get(f"/join/{token}")
    assert r.status_code == 200 and "Schöndorf" in r.get_data(as_text=True)
    r = _join(client, token)
    assert r.status_code == 303 and r.headers["Location"].endswith("/board/schoendorf")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Willkommen auf der Pinnwand Schöndorf" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "neu@example.org"))
        assert user.display_name == "Rita Neu" and can_post_in(user, _place())
        assert db.session.scalar(select(JoinedAccount)).released_at is not None


def test_join_needs_consent_and_a_good_password(app, client):
    _, token = _make_link(app)
    r = client.post(f"/join/{token}", data={"display_name": "Rita", "email": "rita@example.org",
                                            "password": "rita@example.org", "confirm": "rita@example.org"})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "Bitte stimme zu" in text and "zu leicht zu erraten" in text and 'value="rita@example.org"' in text
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "rita@example.org")) is None


def test_release_queue(app, client, client_as):
    link_id, token = _make_link(app, needs_release=True)
    r = _join(client, token)
    assert r.headers["Location"].endswith("/join/waiting")
    assert "Freigabe" in client.get("/join/waiting").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "neu@example.org"))
        assert not can_post_in(user, _place())
        joined_id = db.session.scalar(select(JoinedAccount.id))
    assert client_as("ehrenamt").post(f"/join/accounts/{joined_id}/release").status_code == 403
    koord = client_as("koordination")
    assert "Rita Neu" in koord.get("/join/links").get_data(as_text=True)
    assert koord.post(f"/join/accounts/{joined_id}/release").status_code == 303
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "neu@example.org"))
        assert can_post_in(user, _place())


@pytest.mark.parametrize("how", ["revoked", "expired", "used_up"])
def test_closed_links_answer_with_a_german_page(app, client, client_as, how):
    link_id, token = _make_link(app, max_uses=1)
    if how == "revoked":
        assert client_as("moderation").post(f"/join/links/{link_id}/revoke").status_code == 303
        expected = "zurückgezogen"
    elif how == "expired":
        with app.app_context():
            db.session.get(JoinLink, link_id).valid_until = utcnow() - timedelta(minutes=1)
            db.session.commit()
        expected = "abgelaufen"
    else:
        assert _join(app.test_client(), token, email="erste@example.org").status_code == 303
        expected = "schon so viele Personen"
    for r in (client.get(f"/join/{token}"), _join(client, token)):
        assert r.status_code == 410
        assert expected in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "neu@example.org")) is None


def test_known_address_creates_nothing(app, client):
    _, token = _make_link(app)
    r = _join(client, token, email="Ehrenamt.Taubach@portal.example")
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(JoinedAccount)) is None


def test_unknown_token_is_404(client):
    assert client.get("/join/gibt-es-nicht").status_code == 404


def test_join_is_rate_limited(app, client):
    _, token = _make_link(app)
    from portal.join import views

    for _ in range(views.JOIN_ATTEMPTS_PER_IP):
        _join(client, token, email="ehrenamt.taubach@portal.example")
    assert _join(client, token, email="spaet@example.org").status_code == 429


def test_other_sozialraum_link_is_forbidden_for_coordination(app, client_as):
    link_id, _ = _make_link(app, slug="taubach")
    assert client_as("koordination").get(f"/join/links/{link_id}").status_code == 403
    assert client_as("moderation").get(f"/join/links/{link_id}").status_code == 200


def test_qr_code_decodes_to_the_link(app, client_as):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    link_id, token = _make_link(app)
    r = client_as("admin").get(f"/join/links/{link_id}/qr.png")
    assert r.status_code == 200 and r.mimetype == "image/png"
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.data)))
    assert [res.text for res in results] == [f"http://localhost/join/{token}"]
    svg = client_as("admin").get(f"/join/links/{link_id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    poster = client_as("admin").get(f"/join/links/{link_id}/poster").get_data(as_text=True)
    assert "Schöndorf" in poster and "Sozialdaten" in poster and f"/join/{token}" in poster


def test_set_password_signs_in(app, client_as, client):
    admin = client_as("admin")
    with app.app_context():
        from portal.auth.models import LinkPurpose
        from portal.auth.services import create_account_link

        with app.test_request_context():
            url = create_account_link(get_user("ehrenamt"), LinkPurpose.RESET)
        db.session.commit()
    path = url.replace("http://localhost", "")
    r = client.post(path, data={"password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert client.get("/account").status_code == 200


def test_web_app_manifest_and_icons(client):
    import json

    page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest"' in page and "apple-touch-icon" in page
    manifest = json.loads(client.get("/static/manifest.webmanifest").data)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/")  # nothing from other hosts
        assert client.get(icon["src"]).status_code == 200


def test_account_page_links_the_invitations_for_managers_only(client_as):
    assert "Einladungslinks" in client_as("koordination").get("/account").get_data(as_text=True)
    assert "Einladungslinks" not in client_as("ehrenamt").get("/account").get_data(as_text=True)


def test_first_steps_box_for_new_accounts_until_dismissed(app, client):
    _, token = _make_link(app)
    _join(client, token)
    assert "Erste Schritte" in client.get("/").get_data(as_text=True)
    assert client.post("/erste-schritte/ausblenden").status_code == 303
    assert "Erste Schritte" not in client.get("/").get_data(as_text=True)
