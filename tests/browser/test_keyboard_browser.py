"""Issue 18, items 9, 10, 15 and 17 in a real browser: where the keyboard focus goes after htmx
swaps ("Mehr laden", a 422 form, posting) and that the moderation counts follow a decision.
Each test failed on main before the fix."""
import re

from playwright.sync_api import expect

from portal.board.models import Post, PostStatus
from portal.extensions import db
from tests.browser.conftest import check_page
from tests.factories.board import make_post


def test_load_more_moves_focus_to_the_first_new_post_and_announces_it(page_as):
    anna = page_as("ehrenamt")
    anna.goto("/board/alle")
    before = anna.locator("#post-list > li").count()
    anna.get_by_role("link", name="Mehr laden").focus()
    anna.keyboard.press("Enter")
    expect(anna.locator("#post-list > li")).not_to_have_count(before)
    loaded = anna.locator("#post-list > li").count() - before
    first_new = anna.locator("#post-list > li").nth(before).locator("article")
    expect(first_new).to_be_focused()
    expect(anna.locator("#announcer")).to_have_text(
        f"{loaded} weitere Beiträge geladen." if loaded > 1 else "1 weiterer Beitrag geladen.")
    check_page(anna)


def test_a_422_outerhtml_swap_focuses_the_error_summary(page_as):
    # the Projektantrag (the form replaces itself: hx-target="this" hx-swap="outerHTML")
    fachkraft = page_as("fachkraft")
    fachkraft.goto("/proposals/new")
    fachkraft.get_by_label("Stundenumfang (Fachleistungsstunden pro Woche)").fill("viel")
    fachkraft.get_by_role("button", name="Entwurf speichern", exact=True).last.click()
    expect(fachkraft.locator("#form-errors")).to_be_focused()
    check_page(fachkraft)
    # the board's post form (#post-form replaced with outerHTML) does the same
    anna = page_as("ehrenamt")
    anna.goto("/board/taubach")
    anna.get_by_text("Neuer Beitrag", exact=True).click()
    anna.get_by_label("Überschrift").fill("Gestern sichtbar")
    anna.get_by_role("textbox", name="Text", exact=True).fill("Ein Text.")
    anna.get_by_label("Sichtbar bis (freiwillig)").fill("2020-01-01")
    anna.get_by_role("button", name="Beitrag veröffentlichen").click()
    expect(anna.locator("#post-form #form-errors")).to_be_focused()
    expect(anna.get_by_label("Überschrift")).to_have_value("Gestern sichtbar")


def test_posting_closes_the_composer_and_focuses_the_new_post_on_top(page_as, live_server):
    anna = page_as("ehrenamt", phone=True)
    anna.goto("/board/taubach")
    anna.get_by_text("Neuer Beitrag", exact=True).click()
    anna.get_by_label("Überschrift").fill("Kürbisse für das Herbstfest")
    anna.get_by_label("Art des Beitrags").select_option(label="Gesuch")
    anna.get_by_role("textbox", name="Text", exact=True).fill("Wer hat noch **Kürbisse** im Garten?")
    anna.get_by_role("button", name="Beitrag veröffentlichen").dblclick()
    new_post = anna.locator("article", has=anna.get_by_role("heading", name="Kürbisse für das Herbstfest"))
    expect(new_post).to_be_focused()
    expect(anna.locator("details.composer")).not_to_have_attribute("open", re.compile(".*"))
    # on top of the list, under the pinned posts only
    first_unpinned = anna.locator("#post-list > li:not(:has(.post--pinned))").first
    expect(first_unpinned).to_contain_text("Kürbisse für das Herbstfest")
    expect(anna.locator("#announcer")).to_have_text("Dein Beitrag ist auf der Pinnwand.")
    check_page(anna)
    with live_server.app.app_context():
        assert db.session.query(Post).filter_by(title="Kürbisse für das Herbstfest").count() == 1


def test_queue_heading_and_navigation_badge_follow_a_decision(page_as, live_server):
    with live_server.app.app_context():
        for n in range(2):
            make_post("ehrenamt", "taubach", title=f"Wartet {n}", status=PostStatus.PENDING)
        db.session.commit()
    moderation = page_as("moderation")
    moderation.goto("/board/moderation")
    heading = moderation.locator("#pending-heading")
    waiting = int(re.search(r"\((\d+)\)", heading.inner_text()).group(1))
    badge = moderation.locator(".mainnav a[href='/board/'] .badge")
    total = int(badge.inner_text().split()[0])
    card = moderation.locator("article", has=moderation.get_by_role("heading", name="Wartet 0"))
    card.get_by_role("button", name="Freigeben").click()
    expect(heading).to_have_text(f"Beiträge, die auf Freigabe warten ({waiting - 1})")
    expect(badge).to_contain_text(str(total - 1))
    card = moderation.locator("article", has=moderation.get_by_role("heading", name="Wartet 1"))
    card.get_by_label("Grund fürs Ausblenden").fill("Doppelt eingestellt.")
    card.get_by_role("button", name="Ausblenden").click()
    expect(heading).to_have_text(f"Beiträge, die auf Freigabe warten ({waiting - 2})")
    expect(badge).to_contain_text(str(total - 2))
    check_page(moderation)
