"""The join story at 390 px: a Koordination creates an invitation link with release, a new person
joins, waits, is released, posts; the revoked link shows its German page. Closed links too."""
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import check_page
from portal.formatting import heute

PASSWORD = "Montags backen wir Brot in Schöndorf"


def test_join_story_on_the_phone(page_as, live_server):
    coord = page_as("koordination", phone=True)
    coord.goto("/join/links/new")
    check_page(coord)
    coord.get_by_label("Schöndorf").check()
    coord.get_by_label("Gültig bis einschließlich").fill((heute() + timedelta(days=3)).isoformat())
    coord.get_by_label("Höchstens so viele Personen").fill("20")
    coord.get_by_label("Neue Konten erst nach Freigabe").check()
    coord.get_by_role("button", name="Link anlegen").click()
    expect(coord.get_by_role("heading", level=1)).to_have_text("Einladungslink Schöndorf")
    check_page(coord)
    link = coord.get_by_label("Link zum Weitergeben").input_value()
    detail_url = coord.url
    coord.goto(detail_url + "/poster")
    expect(coord.get_by_role("heading", level=1)).to_contain_text("Pinnwand Schöndorf")
    check_page(coord)

    new = page_as("anonymous", phone=True)
    new.goto(link.replace("http://localhost", live_server.base_url))
    check_page(new)
    new.get_by_label("Dein Name").fill("Rita Neu")
    new.get_by_label("E-Mail").fill("rita.neu@example.org")
    new.get_by_label("Neues Passwort").fill(PASSWORD)
    new.get_by_label("Passwort wiederholen").fill(PASSWORD)
    new.get_by_label("Ich habe die Nutzungsbedingungen").check()
    new.get_by_role("button", name="Konto anlegen und mitmachen").click()
    expect(new.get_by_role("heading", level=1)).to_have_text("Willkommen, Rita Neu!")
    expect(new.get_by_text("wartet noch auf die Freigabe")).to_be_visible()
    check_page(new)

    coord.goto("/join/links")
    check_page(coord)
    coord.get_by_role("button", name="Rita Neu freigeben").click()
    expect(coord.get_by_text("Rita Neu ist freigegeben.")).to_be_visible()

    new.goto("/board/schoendorf")
    new.get_by_text("Neuer Beitrag", exact=True).click()
    new.get_by_label("Überschrift").fill("Wer hilft beim Laternenumzug?")
    new.get_by_label("Art des Beitrags").select_option(label="Information")
    new.get_by_role("textbox", name="Text", exact=True).fill("Wir suchen noch zwei Leute, die Laternen tragen.")
    new.get_by_role("button", name="Beitrag veröffentlichen").click()
    expect(new.get_by_text("Wer hilft beim Laternenumzug?").first).to_be_visible()

    coord.goto(detail_url)
    coord.get_by_role("button", name="Link sofort widerrufen").click()
    other = page_as("anonymous", phone=True)
    other.goto(link.replace("http://localhost", live_server.base_url))
    expect(other.get_by_role("heading", level=1)).to_have_text("Dieser Einladungslink gilt nicht mehr")
    expect(other.get_by_text("zurückgezogen")).to_be_visible()
    check_page(other)


def test_used_up_and_expired_links(page_as, live_server):
    mod = page_as("moderation", phone=True)
    links = {}
    for name, days in (("aufgebraucht", 3), ("abgelaufen", 0)):
        mod.goto("/join/links/new")
        mod.get_by_label("Taubach").check()
        mod.get_by_label("Gültig bis einschließlich").fill((heute() + timedelta(days=days)).isoformat())
        mod.get_by_label("Höchstens so viele Personen").fill("1")
        mod.get_by_role("button", name="Link anlegen").click()
        links[name] = mod.get_by_label("Link zum Weitergeben").input_value().replace("http://localhost",
                                                                                       live_server.base_url)
    first = page_as("anonymous", phone=True)
    first.goto(links["aufgebraucht"])
    first.get_by_label("Dein Name").fill("Erste Person")
    first.get_by_label("E-Mail").fill("erste@example.org")
    first.get_by_label("Neues Passwort").fill(PASSWORD)
    first.get_by_label("Passwort wiederholen").fill(PASSWORD)
    first.get_by_label("Ich habe die Nutzungsbedingungen").check()
    first.get_by_role("button", name="Konto anlegen und mitmachen").click()
    expect(first.get_by_text("Willkommen auf der Pinnwand Taubach")).to_be_visible()

    second = page_as("anonymous", phone=True)
    second.goto(links["aufgebraucht"])
    expect(second.get_by_text("schon so viele Personen")).to_be_visible()
    check_page(second)

    # the other link's day has passed
    from portal.extensions import db, utcnow
    from portal.join.services import find_link

    with live_server.app.app_context():
        find_link(links["abgelaufen"].rsplit("/", 1)[1]).valid_until = utcnow() - timedelta(minutes=1)
        db.session.commit()
    second.goto(links["abgelaufen"])
    expect(second.get_by_text("Dieser Einladungslink ist abgelaufen.")).to_be_visible()
