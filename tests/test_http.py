"""Delivery: compression, conditional GET for feeds and exports, static files without cookies."""
from __future__ import annotations

import gzip
import re

import pytest


def _static_paths(html: str) -> list[str]:
    return [p.replace("&amp;", "&") for p in re.findall(r'(?:href|src)="(/static/[^"]+)"', html)]


# --- compression (defects issue, item 22) --------------------------------------------------------

def _without_csrf(html: bytes) -> bytes:
    return re.sub(rb'("X-CSRFToken": "|name="csrf_token" value=")[^"]+', rb"\1-", html)


@pytest.mark.parametrize("path", ["/board/", "/impressum"])
def test_pages_are_sent_gzip_compressed_when_the_browser_accepts_it(client_as, path):
    client = client_as("ehrenamt")
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    # the CSRF token is signed with a timestamp in seconds: two requests may straddle a second
    assert _without_csrf(gzip.decompress(packed.data)) == _without_csrf(plain.data)
    assert len(packed.data) < len(plain.data)
    vary = {v.strip() for v in packed.headers["Vary"].split(",")}
    assert {"Accept-Encoding", "HX-Request", "Cookie"} <= vary


def test_nothing_is_compressed_for_a_client_that_does_not_ask(client_as):
    response = client_as("ehrenamt").get("/board/")
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]


def test_css_and_js_are_compressed(client_as):
    client = client_as("ehrenamt")
    html = client.get("/impressum").get_data(as_text=True)
    for path in _static_paths(html):
        if path.split("?")[0].endswith((".css", ".js")):
            response = client.get(path, headers={"Accept-Encoding": "br, gzip"})
            assert response.headers.get("Content-Encoding") in ("br", "zstd", "gzip"), path


def test_the_calendar_feed_is_compressed(client_as, app):
    from tests.test_calendar import feed_url

    url = feed_url(client_as("fachkraft"))
    response = app.test_client().get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).startswith(b"BEGIN:VCALENDAR")


# --- static files ------------------------------------------------------------------------------

def test_static_files_carry_no_cookie_and_do_not_vary_on_it(client_as):
    client = client_as("ehrenamt")
    html = client.get("/impressum").get_data(as_text=True)
    paths = _static_paths(html)
    assert any("favicon" in p for p in paths)
    for path in paths:
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        vary = response.headers.get("Vary", "")
        assert "Cookie" not in vary and "HX-Request" not in vary, (path, vary)
        assert "immutable" in response.headers["Cache-Control"], path


def test_the_favicon_has_a_versioned_url_and_favicon_ico_leads_there(client_as):
    client = client_as("ehrenamt")
    html = client.get("/impressum").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    assert re.fullmatch(r"/static/favicon\.svg\?v=[0-9a-f]{12}", icon)
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"] == icon
    assert "Set-Cookie" not in client.get(icon).headers


# --- conditional GET ------------------------------------------------------------------------------

def test_csv_export_answers_304_when_the_client_has_it(client_as):
    client = client_as("leitung")
    first = client.get("/budget/export.csv")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/budget/export.csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    other = client.get("/budget/export.csv", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_a_changed_export_gets_a_new_etag(app, client_as):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.org.models import Ortsteil

    client = client_as("leitung")
    before = client.get("/budget/export.csv")
    with app.app_context():
        db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach")).name = "Taubach-Neu"
        db.session.commit()
    after = client.get("/budget/export.csv", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "Taubach-Neu" in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]


def test_feed_answers_304_for_the_compressed_variant_too(client_as, app):
    from tests.test_calendar import feed_url

    url = feed_url(client_as("fachkraft"))
    calendar_app = app.test_client()
    packed = calendar_app.get(url, headers={"Accept-Encoding": "gzip"})
    etag = packed.headers["ETag"]
    assert etag.endswith(':gzip"')
    again = calendar_app.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    plain = calendar_app.get(url)
    assert calendar_app.get(url, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304


def test_conditional_helper_sets_etag_last_modified_and_cache_control(app):
    from datetime import datetime, timedelta, timezone

    from flask import Response

    from portal.http import conditional

    future = datetime.now(timezone.utc) + timedelta(days=3)
    with app.test_request_context("/x"):
        response = conditional(Response("hallo", mimetype="application/json"), last_modified=future)
    assert response.status_code == 200
    assert response.headers["ETag"]
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.last_modified <= datetime.now(timezone.utc)  # never in the future
    with app.test_request_context("/x", headers={"If-None-Match": response.headers["ETag"]}):
        assert conditional(Response("hallo", mimetype="application/json")).status_code == 304
