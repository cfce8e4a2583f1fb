"""Configuration, German error pages, time formats."""
import os
import stat
from datetime import datetime, timezone

import pytest

from portal import _instance_secret_key, create_app
from portal.formatting import datum, datum_zeit, uhrzeit, zahl
from tests.conftest import base_config


def test_secret_key_is_generated_once_and_private(tmp_path):
    path = tmp_path / "secret_key"
    first = _instance_secret_key(path)
    assert len(first) == 64 and _instance_secret_key(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_portal_environment_variables_override_defaults(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.stadt.example")
    monkeypatch.setenv("PORTAL_LOGIN_MAX_FAILURES", "3")
    config = base_config(backend.new_database(tmp_path), tmp_path)
    del config["BASE_URL"]
    app = create_app(config)
    assert app.config["BASE_URL"] == "https://portal.stadt.example"
    assert app.config["LOGIN_MAX_FAILURES"] == 3


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app, request):
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("SQLite pragmas only")
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context(), db.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == 5000


@pytest.mark.parametrize("code,title", [
    (400, "Ungültige Anfrage"), (403, "Kein Zugriff"), (404, "Nicht gefunden"), (409, "Konflikt"),
    (413, "Datei zu groß"), (422, "Eingabe prüfen"), (429, "Zu viele Versuche"), (500, "Fehler im Portal"),
])
def test_error_pages_are_german(backend, tmp_path, code, title):
    from flask import abort

    from portal.access import public

    app = create_app({**base_config(backend.new_database(tmp_path), tmp_path), "PROPAGATE_EXCEPTIONS": False})

    @app.get("/fehler")
    @public
    def fail():
        abort(code)

    response = app.test_client().get("/fehler")
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in body and 'lang="de"' in body


def test_method_not_allowed_is_german(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert "Nicht erlaubt" in response.get_data(as_text=True)


def test_times_are_shown_in_berlin_in_german_format():
    summer = datetime(2026, 7, 1, 16, 0, tzinfo=timezone.utc)
    winter = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
    assert uhrzeit(summer) == "18:00 Uhr"
    assert datum_zeit(winter) == "21.11.2026, 09:00 Uhr"
    assert datum(winter) == "21.11.2026"
    assert zahl(1507.6) == "1.507,6"


@pytest.mark.parametrize("script_root", ["", "/portal"])
def test_layout_links_follow_the_deployments_path_prefix(client, script_root):
    page = client.get("/impressum", base_url=f"http://localhost{script_root}").get_data(as_text=True)
    assert f'href="{script_root}/impressum"' in page
    assert f'href="{script_root}/static/css/portal.css?v=' in page
