from flask import Blueprint, render_template

bp = Blueprint("proposals", __name__, url_prefix="/proposals")


@bp.get("/")
def index():
    # Placeholder until the feature's issue lands.
    return render_template("pages/coming_soon.html", title="Projektanträge")
