from flask import Blueprint, render_template

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("/")
def index():
    # Placeholder until the feature's issue lands.
    return render_template("pages/coming_soon.html", title="Gemeinsamer Kalender")
