"""Browser tests: Playwright on Debian's Chromium (/usr/bin/chromium), never a downloaded browser.

Each test gets its own live server on a fresh copy of the demo database. ``page_as(role)`` signs in
by typing into the login form; ``check_page(page)`` runs axe-core (WCAG 2.1 AA) and fails on any
violation or CSP report.
"""
from __future__ import annotations

import os
import re
import threading

import pytest
from werkzeug.serving import make_server

from portal import create_app
from tests.conftest import DEMO_PASSWORD, ROLE_LOGINS, base_config

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} fehlt: apt-get install chromium (browser tests never skip)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(backend, tmp_path):
    url = backend.new_database(tmp_path)
    app = create_app(base_config(url, tmp_path))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.base_url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()
    backend.drop(url)


class PageProblems:
    """Collects CSP violations and JavaScript errors reported by a page."""

    def __init__(self, page):
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))

    def _console(self, msg):
        text = msg.text
        if msg.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            self.messages.append(text)


@pytest.fixture
def page_as(browser, live_server):
    """page_as("ehrenamt", phone=True) -> a signed-in Playwright page (CSP problems tracked)."""
    contexts = []

    def make(role: str = "anonymous", phone: bool = False):
        ctx = browser.new_context(viewport=PHONE if phone else DESKTOP, base_url=live_server.base_url,
                                  locale="de-DE", timezone_id="Europe/Berlin")
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.problems = PageProblems(page)
        if role != "anonymous":
            login_in_browser(page, ROLE_LOGINS.get(role, role))
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def login_in_browser(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def check_page(page) -> None:
    """No WCAG 2.1 AA violation (axe-core) and no CSP violation or script error on this page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    violations = [
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]
    assert violations == [], f"axe on {page.url}:\n" + "\n".join(violations)
    assert page.problems.messages == [], f"CSP/script problems on {page.url}: {page.problems.messages}"
