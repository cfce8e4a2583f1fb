"""Routes of the Einladungslinks (portal/join)."""
from portal.formatting import heute
from tests.matrix import Route

MANAGERS = {"admin": 200, "moderation": 200, "koordination": 200}


def _link_url(suffix: str = ""):
    def build():
        from datetime import timedelta

        from sqlalchemy import select

        from portal.extensions import db
        from portal.join import services
        from portal.org.models import Ortsteil
        from tests.conftest import get_user

        place = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "schoendorf"))
        link = services.create_link(get_user("admin"), [place], heute() + timedelta(days=7), 5, False)
        db.session.commit()
        return f"/join/links/{link.id}{suffix}"
    return build


def _open_join_url():
    from datetime import timedelta

    from sqlalchemy import select

    from portal.extensions import db
    from portal.join import services
    from portal.join.models import JoinLink
    from portal.org.models import Ortsteil
    from tests.conftest import get_user

    place = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "schoendorf"))
    link = services.create_link(get_user("admin"), [place], heute() + timedelta(days=7), 5, False)
    db.session.commit()
    return f"/join/{link.token}"


ROUTES = [
    Route("join.links", "GET", "/join/links", expect=MANAGERS, other=403),
    Route("join.link_new", "GET", "/join/links/new", expect=MANAGERS, other=403),
    # no Ortsteil chosen: the form comes back with its error
    Route("join.link_new", "POST", "/join/links/new", expect={"admin": 422, "moderation": 422, "koordination": 422},
          other=403, data={"max_uses": "5"}),
    # a link for Schöndorf (Sozialraum Nord): the Koordination Nord manages it too
    Route("join.link_detail", "GET", _link_url(), expect=MANAGERS, other=403),
    Route("join.link_qr", "GET", _link_url("/qr.svg"), expect=MANAGERS, other=403),
    Route("join.link_poster", "GET", _link_url("/poster"), expect=MANAGERS, other=403),
    Route("join.link_revoke", "POST", _link_url("/revoke"),
          expect={"admin": 303, "moderation": 303, "koordination": 303}, other=403),
    Route("join.release", "POST", "/join/accounts/999999/release",
          expect={"admin": 404, "moderation": 404, "koordination": 404}, other=403),
    # the join form is public; signed-in people may open it too
    Route("join.join", "GET", _open_join_url, anon=200, other=200),
    Route("join.join", "POST", "/join/kaputt", anon=404, other=404),
    Route("join.waiting_room", "GET", "/join/waiting"),
]
ROUTES.append(Route("join.dismiss_first_steps", "POST", "/erste-schritte/ausblenden", other=303))
