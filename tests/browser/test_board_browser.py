"""Pinnwand in a real browser: a volunteer posts a photo from the phone, another Ortsteil's volunteer
comments, the Moderation hides and the author sees why, pre-moderation holds a post back; axe and
CSP are checked on every board page and state."""
import io
import re

from PIL import Image
from playwright.sync_api import expect

from portal.board.models import Category
from portal.extensions import db
from tests.browser.conftest import check_page
from tests.factories.board import make_post, make_report, set_premoderation

TITLE = "Neue Backbleche für die Adventsbäckerei"


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 90, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def write_post(page, title: str, text: str, with_photo: bool = False, button: str = "Beitrag veröffentlichen") -> None:
    page.get_by_text("Neuer Beitrag", exact=True).click()
    page.get_by_label("Überschrift").fill(title)
    page.get_by_label("Art des Beitrags").select_option(label="Information")
    page.get_by_role("textbox", name="Text", exact=True).fill(text)
    if with_photo:
        page.get_by_label("Bilder oder PDF anhängen").set_input_files(
            files=[{"name": "backbleche.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    page.get_by_role("button", name=button).click()


def set_visibility(page, state: str) -> None:
    """Pretend the tab was hidden or shown again (headless tabs are always visible)."""
    page.evaluate("""state => {
        Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
        Object.defineProperty(document, 'hidden', {value: state === 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""", state)


def test_post_comment_hide_at_phone_width(page_as):
    # A volunteer of Taubach posts with a photo and sees it at once (htmx, no reload).
    anna = page_as("ehrenamt", phone=True)
    anna.goto("/board/taubach")
    check_page(anna)
    anna.get_by_text("Neuer Beitrag", exact=True).click()
    anna.get_by_label("Überschrift").fill(TITLE)
    anna.get_by_label("Art des Beitrags").select_option(label="Information")
    anna.get_by_role("textbox", name="Text", exact=True).fill("Dank einer Spende haben wir **vier neue Backbleche** für den neuen Herd.")
    anna.get_by_label("Sichtbar bis (freiwillig)").fill("2020-01-01")
    anna.get_by_role("button", name="Beitrag veröffentlichen").click()
    expect(anna.get_by_text("Das Datum liegt in der Vergangenheit.")).to_be_visible()
    expect(anna.get_by_label("Überschrift")).to_have_value(TITLE)  # nothing typed is lost
    check_page(anna)
    anna.get_by_label("Sichtbar bis (freiwillig)").fill("")
    anna.get_by_label("Bilder oder PDF anhängen").set_input_files(
        files=[{"name": "backbleche.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    anna.get_by_role("button", name="Beitrag veröffentlichen").click()
    expect(anna.get_by_role("status").filter(has_text="Dein Beitrag ist auf der Pinnwand.")).to_be_visible()
    card = anna.locator("#post-list article").filter(has=anna.get_by_role("heading", name=TITLE))
    expect(card).to_be_visible()
    expect(card.get_by_role("img")).to_be_visible()
    card.get_by_role("img").scroll_into_view_if_needed()
    loaded_width = card.get_by_role("img").evaluate(
        "img => img.complete && img.naturalWidth ? img.naturalWidth"
        " : new Promise(done => img.addEventListener('load', () => done(img.naturalWidth)))")
    assert loaded_width == 480  # the thumbnail, not the 1200 px original
    check_page(anna)

    # A volunteer of Legefeld reads and comments it, but cannot post in Taubach.
    peter = page_as("ehrenamt_legefeld", phone=True)
    peter.goto("/board/taubach")
    expect(peter.get_by_text("Neuer Beitrag", exact=True)).to_have_count(0)
    peter.get_by_role("link", name=TITLE, exact=True).click()
    expect(peter.get_by_role("heading", level=1)).to_have_text(TITLE)
    check_page(peter)
    peter.get_by_label("Dein Kommentar").fill("Super! Leiht ihr uns die Bleche für unser Hobby-Horse-Fest?")
    peter.get_by_role("button", name="Kommentieren").click()
    expect(peter.locator("#comments").get_by_text("Leiht ihr uns die Bleche")).to_be_visible()
    expect(peter.get_by_label("Dein Kommentar")).to_have_value("")
    peter.get_by_role("button", name=re.compile("^Danke")).click()
    expect(peter.get_by_role("button", name=re.compile("^Danke"))).to_have_attribute("aria-pressed", "true")
    check_page(peter)
    response = peter.goto("/board/taubach/new")
    assert response.status == 403
    expect(peter.get_by_text("Du kannst nur in deinen eigenen Ortsteilen Beiträge schreiben.")).to_be_visible()
    check_page(peter)

    # The Moderation hides it with a reason, in place.
    moderation = page_as("moderation")
    moderation.goto("/board/taubach")
    card = moderation.locator("article").filter(has=moderation.get_by_role("heading", name=TITLE))
    card.locator("summary", has_text="Moderation").click()
    check_page(moderation)
    card.get_by_label("Grund fürs Ausblenden").fill("Bitte ohne Markennamen – Werbung ist hier nicht erlaubt.")
    card.get_by_role("button", name="Ausblenden").click()
    expect(card.get_by_text("Von der Moderation ausgeblendet")).to_be_visible()
    check_page(moderation)

    # The author sees that and why; others no longer see the post.
    anna.goto("/board/taubach")
    mine = anna.locator("article").filter(has=anna.get_by_role("heading", name=TITLE))
    expect(mine.get_by_text("Grund: Bitte ohne Markennamen – Werbung ist hier nicht erlaubt.")).to_be_visible()
    check_page(anna)
    anna.goto("/board/")
    expect(anna.get_by_role("region", name="Deine Beiträge, die andere gerade nicht sehen")).to_contain_text(TITLE)
    check_page(anna)
    peter.goto("/board/taubach")
    expect(peter.get_by_role("heading", name=TITLE)).to_have_count(0)

    moderation.goto("/board/moderation/log")
    expect(moderation.get_by_role("cell", name="Beitrag ausgeblendet").first).to_be_visible()
    check_page(moderation)


def test_pre_moderated_post_waits_until_approved(page_as, live_server):
    with live_server.app.app_context():
        set_premoderation("legefeld")
        db.session.commit()
    peter = page_as("ehrenamt_legefeld", phone=True)
    peter.goto("/board/legefeld")
    # a pre-checked board says where the post goes (issue 18, item 13)
    write_post(peter, "Steckenpferde-Nähnachmittag am Samstag", "Wir nähen neue Steckenpferde. Stoffreste willkommen!",
               button="Zur Prüfung senden")
    expect(peter.get_by_role("status").filter(has_text="wartet auf die Freigabe")).to_be_visible()
    expect(peter.locator("#post-list").get_by_text("Wartet auf Freigabe").first).to_be_visible()
    check_page(peter)

    anna = page_as("ehrenamt", phone=True)
    anna.goto("/board/legefeld")
    expect(anna.get_by_role("heading", name="Steckenpferde-Nähnachmittag am Samstag")).to_have_count(0)

    moderation = page_as("moderation", phone=True)
    moderation.goto("/board/moderation")
    check_page(moderation)
    waiting = moderation.locator("article").filter(
        has=moderation.get_by_role("heading", name="Steckenpferde-Nähnachmittag am Samstag"))
    # waiting posts show their moderation tools opened
    waiting.get_by_role("button", name="Freigeben").click()
    expect(waiting.get_by_text("Wartet auf Freigabe")).to_have_count(0)
    check_page(moderation)

    # Anna's open board learns about it by the light poll. It asks nothing while her tab is hidden
    # and checks at once when she comes back (instead of waiting for the next 30 s tick).
    anna.evaluate("""() => {
        window.pollAsked = 0; window.pollSentWhileHidden = 0;
        document.addEventListener('htmx:beforeRequest', e => { if (e.detail.elt.id === 'new-posts') window.pollAsked++; }, true);
        document.addEventListener('htmx:beforeSend', e => {
            if (e.detail.elt.id === 'new-posts' && document.hidden) window.pollSentWhileHidden++; });
    }""")
    set_visibility(anna, "hidden")
    assert anna.evaluate("window.pollAsked") >= 1  # the trigger fired ...
    assert anna.evaluate("window.pollSentWhileHidden") == 0  # ... but nothing went to the server
    expect(anna.locator("#new-posts")).to_be_empty()
    set_visibility(anna, "visible")
    notice = anna.get_by_role("button", name=re.compile("neue?r? Beitr.* – anzeigen"))
    expect(notice).to_be_visible()
    check_page(anna)
    notice.click()
    expect(anna.get_by_role("heading", name="Steckenpferde-Nähnachmittag am Samstag")).to_be_visible()


def test_every_board_page_is_accessible(page_as, live_server):
    with live_server.app.app_context():
        for i in range(21):  # more than one page of "Alle Beiträge"
            make_post("ehrenamt_legefeld", "legefeld", title=f"Füllbeitrag {i}")
        make_post("ehrenamt", "taubach", title="Bastelmaterial gesucht (Test)", category=Category.GESUCH)
        make_post("ehrenamt", "taubach", title="Familiencafé (Test)", category=Category.ANGEBOT)
        make_report(post=make_post("ehrenamt", "taubach", title="Herd zum Testen", files=1))
        db.session.commit()
    moderation = page_as("moderation", phone=True)
    for path in ["/board/", "/board/alle", "/board/alle?archiv=1", "/board/gaberndorf?archiv=1",
                 "/board/gelmeroda?kategorie=gesuch", "/board/taubach?q=keinTreffer", "/board/legefeld",
                 "/board/taubach/new", "/board/moderation", "/board/moderation/meldungen", "/board/moderation/log"]:
        assert moderation.goto(path).status == 200, path
        check_page(moderation)
    moderation.goto("/board/taubach")
    moderation.get_by_role("link", name="Herd zum Testen", exact=True).click()
    check_page(moderation)
    for link in ["Löschen", "Melden"]:
        moderation.get_by_role("link", name=re.compile(f"^{link}")).first.click()
        check_page(moderation)
        moderation.go_back()
    moderation.goto("/board/moderation/meldungen")
    moderation.get_by_role("link", name=re.compile("^Ausblenden …")).first.click()
    moderation.get_by_label(re.compile("^Grund")).fill("   ")  # only blanks: the server asks for a reason
    moderation.get_by_role("button", name="Ausblenden").click()
    expect(moderation.get_by_text("Bitte gib einen Grund an.")).to_be_visible()
    check_page(moderation)

    anna = page_as("ehrenamt")
    anna.goto("/board/taubach")
    anna.get_by_role("link", name=re.compile("^Bearbeiten")).first.click()
    check_page(anna)
    anna.get_by_label("Sichtbar bis (freiwillig)").fill("2020-01-01")
    anna.get_by_role("button", name="Änderungen speichern").click()
    expect(anna.get_by_text("Das Datum liegt in der Vergangenheit.")).to_be_visible()
    check_page(anna)
    anna.goto("/board/taubach")
    anna.get_by_role("link", name="Archiv: abgelaufene Beiträge").click()
    check_page(anna)

    # The combined stream has more than one page of posts: "Mehr laden" appends in place.
    anna.goto("/board/alle")
    before = anna.locator("#post-list > li").count()
    anna.get_by_role("link", name="Mehr laden").click()
    expect(anna.locator("#post-list > li")).not_to_have_count(before)
    assert anna.locator("#post-list > li").count() > before
    assert anna.url.endswith("/board/alle")
    check_page(anna)
    # Filter by category updates the list and the address.
    anna.get_by_label("Art", exact=True).select_option(label="Gesuch")
    expect(anna).to_have_url(re.compile(r"kategorie=gesuch"))
    expect(anna.locator("#post-list").get_by_role("heading", name="Bastelmaterial gesucht (Test)")).to_be_visible()
    expect(anna.locator("#post-list").get_by_role("heading", name="Familiencafé (Test)")).to_have_count(0)
    check_page(anna)


def test_stale_moderation_shows_the_current_card_in_place(page_as, live_server):
    """Another moderator acted first: the 409 answer replaces the card with its current state."""
    from portal.board.models import Post

    with live_server.app.app_context():
        post_id = make_post("ehrenamt", "taubach", title="Angeheftet zum Lösen", pinned=True).id
        db.session.commit()
    moderation = page_as("moderation")
    moderation.goto("/board/taubach")
    card = moderation.locator(f"#post-{post_id}")
    card.locator("summary", has_text="Moderation").click()
    with live_server.app.app_context():  # meanwhile someone else changes the post
        post = db.session.get(Post, post_id)
        post.hidden_reason = "von anderswo"
        db.session.commit()
    card.get_by_role("button", name="Lösen", exact=True).click()
    expect(card.get_by_text("Inzwischen hat jemand anderes diesen Beitrag geändert")).to_be_visible()
    expect(card.get_by_role("button", name="Lösen", exact=True)).to_be_visible()  # still pinned: nothing was overwritten
    check_page(moderation)
