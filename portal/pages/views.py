from flask import Blueprint, abort, g, render_template
from flask_login import current_user
from sqlalchemy import select

from portal.access import public
from portal.extensions import db
from portal.navigation import person_facts
from portal.pages import dashboard
from portal.pages.models import LEGAL_PAGES, Page

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
    blocks = dashboard.build(current_user)
    g.nav_sections = blocks["sections"]
    return render_template("pages/index.html", **blocks)


@bp.get("/<any(impressum, datenschutz, barrierefreiheit):slug>")
@public
def legal(slug: str):
    page = db.session.scalar(select(Page).where(Page.slug == slug))
    if page is None and slug not in LEGAL_PAGES:
        abort(404)
    return render_template("pages/legal.html", page=page, title=LEGAL_PAGES[slug])
