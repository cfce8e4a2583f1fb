"""Operations: health check and request ids."""
import json
import logging


def test_healthz_reports_the_database_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert client.get_cookie("portal_session") is None


def test_healthz_answers_503_when_the_database_is_gone(app, client, monkeypatch):
    from sqlalchemy.orm import Session

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(Session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_every_response_carries_a_request_id_that_is_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="portal.request"):
        response = client.get("/login")
        forwarded = client.get("/login", headers={"X-Request-ID": "lb-1234"})
    assert len(response.headers["X-Request-ID"]) == 16
    assert forwarded.headers["X-Request-ID"] == "lb-1234"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.request"]
    assert {"request_id": "lb-1234", "method": "GET", "path": "/login", "status": 200}.items() <= lines[-1].items()


def test_static_urls_are_versioned_and_cached_long(client):
    page = client.get("/login").get_data(as_text=True)
    import re

    css = re.search(r'href="(/static/css/portal\.css\?v=[0-9a-f]{12})"', page).group(1)
    js = re.search(r'src="(/static/vendor/htmx-2\.0\.11\.min\.js\?v=[0-9a-f]{12})"', page)
    assert js
    response = client.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]


def test_secret_tokens_in_paths_never_reach_the_log(app, client, caplog):
    from portal.auth.models import LinkPurpose
    from portal.auth.services import create_account_link
    from portal.extensions import db
    from tests.conftest import get_user

    with app.test_request_context():
        link = create_account_link(get_user("fachkraft"), LinkPurpose.RESET)
        db.session.commit()
    token = link.rsplit("/", 1)[1]
    feed_token = "geheim-feed-token-123456"
    with caplog.at_level(logging.INFO, logger="portal.request"):
        client.get(f"/account/set-password/{token}")
        client.get(f"/calendar/feed/{feed_token}.ics")
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "portal.request")
    assert "/account/set-password/sha256:" in logged
    assert token not in logged and feed_token not in logged
