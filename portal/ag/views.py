from flask import Blueprint, render_template

bp = Blueprint("ag", __name__, url_prefix="/ag")


@bp.get("/")
def index():
    # Placeholder until the feature's issue lands.
    return render_template("pages/coming_soon.html", title="AG 78")
