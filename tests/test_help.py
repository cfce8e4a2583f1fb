"""Hilfe: a Seite per part (/hilfe/), reachable from every page, edited by the Administration as
Markdown (sanitised), default texts from seed-demo that never overwrite an edit; the
Nutzungsbedingungen as their own Seite, linked from the join form."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from portal.extensions import db
from portal.formatting import heute
from portal.pages.models import HELP_PAGES, Page, help_slug
from tests.conftest import ROLES, get_user

PARTS = list(HELP_PAGES)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_help_index_and_each_part(client_as, role):
    c = client_as(role)
    index = c.get("/hilfe/")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    for part in PARTS:
        assert f'href="/hilfe/{part}"' in html
    for part in PARTS:
        page = c.get(f"/hilfe/{part}")
        assert page.status_code == 200
        assert "<h1>Hilfe: " in page.get_data(as_text=True)


def test_kalender_help_explains_subscribing_step_by_step(client):
    html = client.get("/hilfe/kalender").get_data(as_text=True)
    for heading in ("Outlook", "Thunderbird", "iPhone und iPad", "Android"):
        assert re.search(rf"<h3>{heading}[^<]*</h3>\n<(p|ol)>", html), heading
    # Android has its own way, not "antippen": Google Kalender per URL or ICSx⁵
    assert "Per URL" in html and "ICSx⁵" in html
    assert html.count("<ol>") >= 5  # numbered steps for each client


@pytest.mark.parametrize("role, url, part", [
    ("ehrenamt", "/board/", "pinnwand"),
    ("ehrenamt", "/board/taubach", "pinnwand"),
    ("fachkraft", "/calendar/", "kalender"),
    ("fachkraft", "/calendar/agenda", "kalender"),
    ("fachkraft", "/proposals/", "antraege"),
    ("ag_mitglied", "/ag/", "ag78"),
    ("ehrenamt", "/budget/", "budget"),
])
def test_each_parts_main_page_links_its_help(client_as, role, url, part):
    html = client_as(role).get(url).get_data(as_text=True)
    assert f'href="/hilfe/{part}"' in html


@pytest.mark.parametrize("role", ["anonymous", "ehrenamt", "leitung"])
def test_help_is_linked_in_header_and_footer_of_every_page(client_as, role):
    url = "/login" if role == "anonymous" else "/"
    html = client_as(role).get(url).get_data(as_text=True)
    assert html.count('href="/hilfe/"') == 2  # header and footer
    assert 'href="/nutzungsbedingungen"' in html


def test_admin_edits_a_help_page_and_the_markdown_is_sanitised(app, client_as):
    admin = client_as("admin")
    form = admin.get("/admin/pages/hilfe-kalender").get_data(as_text=True)
    assert "Thunderbird" in form  # the stored text is what the form starts from
    body = ("### Abo im Rathaus\n\n1. **Adresse** kopieren\n2. einfügen\n\n"
            "<script>alert(1)</script>\n\n<a href=\"/x\" hx-get=\"/admin/\" hx-trigger=\"load\">Link</a>\n\n"
            "<img src=x onerror=alert(2)>")
    r = admin.post("/admin/pages/hilfe-kalender", data={"title": "Kalender-Hilfe der Stadt", "body": body})
    assert r.status_code == 303 and r.headers["Location"].endswith("/hilfe/kalender")
    html = client_as("ehrenamt").get("/hilfe/kalender").get_data(as_text=True)
    assert "<h1>Kalender-Hilfe der Stadt</h1>" in html
    assert "<strong>Adresse</strong>" in html and "<h3>Abo im Rathaus</h3>" in html
    content = html[html.index('class="usercontent"'):]
    assert "<script" not in content and "hx-get" not in content and "hx-trigger" not in content
    assert "onerror" not in content
    with app.app_context():
        page = db.session.get(Page, help_slug("kalender"))
        assert page.updated_by_id == get_user("admin").id and page.body == body
    # the index shows the new title
    assert "Kalender-Hilfe der Stadt" in client_as("fachkraft").get("/hilfe/").get_data(as_text=True)


def test_an_empty_title_is_refused_and_the_typed_text_kept(client_as):
    r = client_as("admin").post("/admin/pages/hilfe-budget", data={"title": "", "body": "Mein neuer Text"})
    assert r.status_code == 422
    assert "Mein neuer Text" in r.get_data(as_text=True)


@pytest.mark.parametrize("role", ["moderation", "koordination", "leitung", "ehrenamt"])
def test_only_the_administration_edits_help(app, client_as, role):
    c = client_as(role)
    assert c.get("/admin/pages/hilfe-pinnwand").status_code == 403
    assert c.post("/admin/pages/hilfe-pinnwand", data={"title": "Weg", "body": "weg"}).status_code == 403
    with app.app_context():
        assert db.session.get(Page, help_slug("pinnwand")).title == HELP_PAGES["pinnwand"]
    assert "Hilfe-Seite bearbeiten" not in c.get("/hilfe/pinnwand").get_data(as_text=True)
    assert "Hilfe-Seite bearbeiten" in client_as("admin").get("/hilfe/pinnwand").get_data(as_text=True)


def test_seed_demo_never_overwrites_an_edited_seite_and_restores_missing_ones(app, client_as):
    from portal.demo import seed_pages
    from portal.pages.defaults import DEFAULT_TEXT

    admin = client_as("admin")
    admin.post("/admin/pages/hilfe-pinnwand", data={"title": "Pinnwand bei uns", "body": "Unser eigener Text."})
    admin.post("/admin/pages/nutzungsbedingungen", data={"title": "Nutzungsbedingungen", "body": "Regeln der Stadt."})
    with app.app_context():
        db.session.execute(delete(Page).where(Page.slug == help_slug("budget")))
        db.session.commit()
        seed_pages()
        seed_pages()
        db.session.commit()
        pages = {p.slug: p for p in db.session.scalars(select(Page))}
        assert (pages[help_slug("pinnwand")].title, pages[help_slug("pinnwand")].body) == \
            ("Pinnwand bei uns", "Unser eigener Text.")
        assert pages["nutzungsbedingungen"].body == "Regeln der Stadt."
        assert pages[help_slug("budget")].body == DEFAULT_TEXT[help_slug("budget")]
        assert len([s for s in pages if s.startswith("hilfe-")]) == len(HELP_PAGES)


def test_without_a_stored_seite_the_default_text_is_shown(app, client):
    with app.app_context():
        db.session.execute(delete(Page).where(Page.slug.in_([help_slug("ag78"), "nutzungsbedingungen"])))
        db.session.commit()
    assert "Änderungswunsch" in client.get("/hilfe/ag78").get_data(as_text=True)
    assert "Keine Sozialdaten" in client.get("/nutzungsbedingungen").get_data(as_text=True)


def test_join_form_links_nutzungsbedingungen_and_datenschutz(app, client):
    from portal.join import services
    from portal.org.models import Ortsteil

    with app.app_context():
        place = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach"))
        link = services.create_link(get_user("admin"), [place], heute() + timedelta(days=3), 5, False)
        db.session.commit()
        token = link.token
    html = client.get(f"/join/{token}").get_data(as_text=True)
    assert 'href="/nutzungsbedingungen">Nutzungsbedingungen</a>' in html
    assert 'href="/datenschutz">Datenschutzerklärung</a>' in html
    page = client.get("/nutzungsbedingungen")
    assert page.status_code == 200 and "<h1>Nutzungsbedingungen</h1>" in page.get_data(as_text=True)
