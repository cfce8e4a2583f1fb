from flask import Blueprint, render_template

bp = Blueprint("board", __name__, url_prefix="/board")


@bp.get("/")
def index():
    # Placeholder until the feature's issue lands.
    return render_template("pages/coming_soon.html", title="Pinnwand der Ortsteile")
