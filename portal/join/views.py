"""Einladungslinks: manage (Koordination, Moderation, Administration), QR code and poster, and the
public join form."""
from datetime import timedelta

import segno
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from sqlalchemy import select

from portal import security
from portal.access import public
from portal.auth.models import Role
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db, utcnow
from portal.formatting import BERLIN
from portal.join import services
from portal.join.forms import JoinForm, LinkForm
from portal.join.models import JoinedAccount, JoinLink, may_manage_links
from portal.org.models import Ortsteil
from portal.paging import CURSOR_ARG, parse_cursor

bp = Blueprint("join", __name__)

#: Join attempts per address (IP) and link within the failure window.
JOIN_ATTEMPTS_PER_IP = 20
JOIN_ATTEMPTS_PER_LINK = 200


def _require_manager():
    if not may_manage_links(current_user):
        raise NotAllowed("Einladungslinks verwalten Koordination, Moderation und Administration.")


def _link_or_404(link_id: int) -> JoinLink:
    link = db.session.get(JoinLink, link_id)
    if link is None:
        abort(404)
    if not link.can_manage(current_user):
        raise NotAllowed("Diesen Einladungslink darfst du nicht sehen.")
    return link


def _choosable_ortsteile():
    query = select(Ortsteil).order_by(Ortsteil.name)
    if not current_user.has_role(Role.ADMIN, Role.MODERATION):
        query = query.where(Ortsteil.sozialraum_id == current_user.sozialraum_id)
    return db.session.scalars(query).all()


@bp.get("/join/links")
def links():
    _require_manager()
    page = services.links_page(current_user, parse_cursor(request.args.get(CURSOR_ARG)))
    return render_template("join/links.html", page=page, waiting=services.waiting(current_user))


@bp.route("/join/links/new", methods=["GET", "POST"])
def link_new():
    _require_manager()
    places = _choosable_ortsteile()
    form = LinkForm()
    form.ortsteile.choices = [(o.id, o.name) for o in places]
    if request.method == "GET":
        form.valid_until.data = (utcnow() + timedelta(days=14)).date()
    if form.validate_on_submit():
        chosen = [o for o in places if o.id in set(form.ortsteile.data)]
        try:
            link = services.create_link(current_user, chosen, form.valid_until.data, form.max_uses.data,
                                        form.needs_release.data)
        except Invalid as problem:
            form.valid_until.errors = [str(problem)]
        else:
            db.session.commit()
            flash("Der Einladungslink ist angelegt.", "success")
            return redirect(url_for("join.link_detail", link_id=link.id), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("join/link_new.html", form=form), status


@bp.get("/join/links/<int:link_id>")
def link_detail(link_id: int):
    link = _link_or_404(link_id)
    url = services.link_url(link)
    return render_template("join/link_detail.html", link=link, url=url,
                           qr=segno.make(url, error="m").svg_data_uri(scale=6, dark="#1d1d1b"))


@bp.post("/join/links/<int:link_id>/revoke")
def link_revoke(link_id: int):
    link = _link_or_404(link_id)
    services.revoke_link(current_user, link)
    db.session.commit()
    flash("Der Einladungslink ist widerrufen. Wer ihn jetzt öffnet, sieht einen Hinweis.", "success")
    return redirect(url_for("join.link_detail", link_id=link.id), code=303)


@bp.get("/join/links/<int:link_id>/qr.<any(svg, png):kind>")
def link_qr(link_id: int, kind: str):
    link = _link_or_404(link_id)
    import io

    buffer = io.BytesIO()
    segno.make(services.link_url(link), error="m").save(buffer, kind=kind, scale=10, border=4)
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "image/svg+xml" if kind == "svg" else "image/png"
    response.headers["Content-Disposition"] = f"inline; filename=einladung-{link.id}.{kind}"
    return response


@bp.get("/join/links/<int:link_id>/poster")
def link_poster(link_id: int):
    link = _link_or_404(link_id)
    url = services.link_url(link)
    return render_template("join/poster.html", link=link, url=url,
                           qr=segno.make(url, error="m").svg_data_uri(scale=10, dark="#000000"))


@bp.post("/join/accounts/<int:joined_id>/release")
def release(joined_id: int):
    _require_manager()
    joined = db.session.get(JoinedAccount, joined_id)
    if joined is None:
        abort(404)
    services.release(current_user, joined)
    db.session.commit()
    flash(f"{joined.user.display_name} ist freigegeben.", "success")
    return redirect(url_for("join.links"), code=303)


_STATE_TEXT = {
    "widerrufen": "Dieser Einladungslink wurde zurückgezogen.",
    "abgelaufen": "Dieser Einladungslink ist abgelaufen.",
    "aufgebraucht": "Über diesen Einladungslink haben schon so viele Personen mitgemacht, wie vorgesehen waren.",
}


def _closed(state: str, status: int = 410):
    return render_template("join/closed.html", message=_STATE_TEXT.get(state, _STATE_TEXT["abgelaufen"])), status


@bp.route("/join/<token>", methods=["GET", "POST"])
@public
def join(token: str):
    link = services.find_link(token)
    if link is None:
        return render_template("join/closed.html", message="Diesen Einladungslink gibt es nicht. Bitte prüfe, ob "
                               "er vollständig abgeschrieben ist."), 404
    state = link.state()
    if state != "offen":
        return _closed(state)
    form = JoinForm()
    status = 200
    if form.validate_on_submit():
        ip = request.remote_addr or "unknown"
        keys = [(f"join:ip:{ip}", JOIN_ATTEMPTS_PER_IP), (f"join:link:{link.id}", JOIN_ATTEMPTS_PER_LINK)]
        if security.begin_attempt(keys) is None:
            return render_template("join/join.html", form=form, link=link, blocked=True), 429
        try:
            user = services.join(link, form.display_name.data, form.email.data, form.password.data)
        except Conflict as problem:
            db.session.rollback()
            if str(problem) == "vergeben":
                # Said no more precisely than needed; the attempt counted against the rate limit.
                form.email.errors = ["Mit dieser Adresse geht es hier nicht weiter. Hast du schon ein Konto? "
                                     "Dann melde dich an; die Koordination ordnet dich dem Ortsteil zu."]
                status = 422
            else:
                return _closed(str(problem))
        else:
            user.last_login_at = utcnow()
            db.session.commit()
            session.clear()
            session.permanent = True
            login_user(user)
            security.start_session()
            session["welcome"] = True
            if link.needs_release:
                flash(f"Willkommen, {user.display_name}! Dein Konto ist angelegt und wartet noch auf die "
                      "Freigabe durch die Koordination. Danach siehst du die Pinnwand.", "success")
                return redirect(url_for("join.waiting_room"), code=303)
            first = link.ortsteile[0]
            flash(f"Willkommen auf der Pinnwand {first.name}, {user.display_name}! Hier teilst du Angebote, "
                  "Termine und Gesuche mit den anderen im Ort.", "success")
            return redirect(url_for("board.ortsteil", slug=first.slug), code=303)
    elif form.is_submitted():
        status = 422
    return render_template("join/join.html", form=form, link=link, blocked=False), status


@bp.get("/join/waiting")
def waiting_room():
    """Where a freshly joined account waits for its release."""
    return render_template("join/waiting.html", pending=services.pending(current_user))


@bp.app_template_global()
def may_invite_volunteers() -> bool:
    """For the link to the Einladungslinks (Mein Konto)."""
    return may_manage_links(current_user)


@bp.app_template_global()
def show_first_steps() -> bool:
    """For the start page's include of join/_first_steps.html."""
    return services.show_first_steps(current_user)


@bp.post("/erste-schritte/ausblenden")
def dismiss_first_steps():
    services.dismiss_first_steps(current_user)
    db.session.commit()
    return redirect(url_for("pages.index"), code=303)
