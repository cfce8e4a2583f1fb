from flask import Blueprint, abort, g, render_template
from flask_login import current_user
from sqlalchemy import select

from portal.access import public
from portal.extensions import db
from portal.navigation import person_facts
from portal.pages import dashboard
from portal.pages.defaults import DEFAULT_TEXT
from portal.pages.models import HELP_PAGES, LEGAL_PAGES, Page, help_slug

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def nav_sections():
    """``nav_sections()``: the parts the signed-in person can use (main navigation, phone bottom bar).
    A layout fact (portal.navigation): kept until a write changes it, looked up only when a
    template asks (htmx fragments do not)."""

    def sections() -> dict:
        if "nav_sections" not in g:
            g.nav_sections = person_facts().get("sections", {})
        return g.nav_sections

    return {"nav_sections": sections}


@bp.get("/")
def index():
    blocks = dashboard.blocks_for(current_user)
    g.nav_sections = blocks["sections"]
    return render_template("pages/index.html", **blocks)


def stored_or_default(slug: str, title: str) -> Page:
    """The stored Seite, or (not yet saved) one with the default title and text."""
    page = db.session.get(Page, slug)
    return page if page is not None else Page(slug=slug, title=title, body=DEFAULT_TEXT.get(slug, ""))


@bp.get(f"/<any({', '.join(LEGAL_PAGES)}):slug>")
@public
def legal(slug: str):
    page = stored_or_default(slug, LEGAL_PAGES[slug])
    return render_template("pages/legal.html", page=page, title=page.title, edit_slug=slug)


#: The part each Hilfe page belongs to (the navigation's section), for "Für dich" on the index.
HELP_SECTIONS = {"pinnwand": "board", "kalender": "calendar", "antraege": "proposals", "ag78": "ag",
                 "budget": "budget"}


@bp.get("/hilfe/")
@public
def help_index():
    """Hilfe: one page per part. Public like the legal pages (also for people about to join)."""
    stored = {p.slug: p for p in db.session.scalars(
        select(Page).where(Page.slug.in_([help_slug(part) for part in HELP_PAGES])))}
    usable = dashboard.sections_for(current_user) if current_user.is_authenticated else {}
    if current_user.is_authenticated:
        from portal.budget.models import uses_budget

        usable = {**usable, "budget": uses_budget(current_user)}
    entries = [(part, stored[help_slug(part)].title if help_slug(part) in stored else title,
                bool(usable.get(HELP_SECTIONS[part])))
               for part, title in HELP_PAGES.items()]
    return render_template("pages/help_index.html", entries=entries)


@bp.get(f"/hilfe/<any({', '.join(HELP_PAGES)}):part>")
@public
def help_page(part: str):
    page = stored_or_default(help_slug(part), HELP_PAGES[part])
    return render_template("pages/help.html", page=page, part=part)
