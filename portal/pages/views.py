from flask import Blueprint, abort, render_template
from sqlalchemy import select

from portal.access import public
from portal.extensions import db
from portal.pages.models import LEGAL_PAGES, Page

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return render_template("pages/index.html")


@bp.get("/<any(impressum, datenschutz, barrierefreiheit):slug>")
@public
def legal(slug: str):
    page = db.session.scalar(select(Page).where(Page.slug == slug))
    if page is None and slug not in LEGAL_PAGES:
        abort(404)
    return render_template("pages/legal.html", page=page, title=LEGAL_PAGES[slug])
