"""The bell, the list of notifications, the settings under Mein Konto, the unsubscribe link of the
mails and the Administration's Postausgang."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.access import public
from portal.extensions import csrf, db
from portal.htmx import redirect_after_post, render, wants_fragment
from portal.navigation import person_facts
from portal.notifications import services
from portal.notifications.forms import settings_form
from portal.notifications.mail import read_unsubscribe_token, smtp_configured
from portal.notifications.models import KINDS, Channel, Notification, OutboxMail
from portal.org.models import Ortsteil
from portal.paging import CURSOR_ARG, keyset_page, parse_cursor

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


class _Bell:
    """The unread count for the header, looked up when the full page's header first asks for it
    (fragments never render the header and pay nothing). Counted with the other layout facts
    (portal.navigation: ``register_fact("bell", services.unread_count)``) and kept until a
    notification is written or read."""

    @property
    def count(self) -> int:
        return person_facts().get("bell", 0)


_BELL = _Bell()


@bp.app_context_processor
def notification_bell():
    return {"notification_bell": _BELL}


def _list_response(status: int = 200, trigger=None):
    page = services.notifications_page(current_user, parse_cursor(request.args.get(CURSOR_ARG)),
                                       current_app.config["PAGE_SIZE"])
    return render("notifications/index.html", "notifications/_list.html", status=status, trigger=trigger,
                  page=page, title="Benachrichtigungen")


@bp.get("/")
def index():
    return _list_response()


@bp.get("/bell")
def bell():
    """The bell alone, refreshed after "alle als gelesen markieren"."""
    bell_id = "bell-nav" if request.args.get("id") == "bell-nav" else "bell"
    response = current_app.make_response(render_template("notifications/_bell.html", bell_id=bell_id))
    response.vary.add("HX-Request")
    return response


@bp.post("/<int:notification_id>/open")
def open_entry(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or not notification.can_view(current_user):
        abort(404)
    target = services.open_notification(notification, current_user)
    db.session.commit()
    return redirect_after_post(target)


@bp.post("/read-all")
def read_all():
    count = services.mark_all_read(current_user)
    db.session.commit()
    message = "Alle Benachrichtigungen sind als gelesen markiert." if count else "Es gab nichts Ungelesenes."
    if wants_fragment():
        return _list_response(trigger={"notifications-read": count, "announce": message})
    flash(message, "success")
    return redirect(url_for("notifications.index"), code=303)


# --- settings ----------------------------------------------------------------------------------------

def _settings_form(formdata=None):
    ortsteile = list(db.session.scalars(select(Ortsteil).order_by(Ortsteil.name)))
    channels = services.channels_of([current_user.id])[current_user.id]
    followed = {o.id for o in ortsteile if services.follows_board(current_user, o)}
    return settings_form(current_user, ortsteile, channels, followed, formdata=formdata), ortsteile


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form, ortsteile = _settings_form(request.form if request.method == "POST" else None)
    if request.method == "POST":
        if not form.validate():
            return render_template("notifications/settings.html", form=form, smtp=smtp_configured(),
                                   title="Benachrichtigungen einstellen"), 422
        services.save_settings(current_user, {k.key: Channel(f.data) for k, f in form.kinds})
        chosen = set(form.boards.data or [])
        for ortsteil in ortsteile:
            if (ortsteil.id in chosen) != services.follows_board(current_user, ortsteil):
                services.set_board_follow(current_user, ortsteil, ortsteil.id in chosen)
        db.session.commit()
        flash("Deine Einstellungen sind gespeichert.", "success")
        return redirect(url_for("notifications.settings"), code=303)
    return render_template("notifications/settings.html", form=form, smtp=smtp_configured(),
                           title="Benachrichtigungen einstellen")


@bp.post("/boards/<slug>/follow")
def follow_board(slug: str):
    """Folgen / nicht mehr folgen for one board (``following`` = "1" or "0")."""
    ortsteil = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug)) or abort(404)
    following = request.form.get("following") == "1"
    services.set_board_follow(current_user, ortsteil, following)
    db.session.commit()
    message = (f"Du folgst jetzt der Pinnwand {ortsteil.name}." if following
               else f"Du folgst der Pinnwand {ortsteil.name} nicht mehr.")
    if not wants_fragment():
        flash(message, "success")
    return redirect_after_post(url_for("notifications.settings"), trigger={"board-followed": following,
                                                                           "announce": message})


# --- unsubscribe (RFC 8058) ------------------------------------------------------------------------------

def _unsubscribe_target(token: str):
    found = read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user_id, what = found
    if not (what in KINDS or what in (f"digest:{Channel.TAEGLICH}", f"digest:{Channel.WOECHENTLICH}")):
        abort(404)
    return user_id, what


def _what_label(what: str) -> str:
    if what.startswith("digest:"):
        return ("die tägliche Zusammenfassung" if what.endswith(Channel.TAEGLICH) else
                "die wöchentliche Zusammenfassung")
    return f"E-Mails zu „{KINDS[what].label}“"


@bp.get("/unsubscribe/<token>")
@public
def unsubscribe(token: str):
    _user_id, what = _unsubscribe_target(token)
    return render_template("notifications/unsubscribe.html", token=token, what=_what_label(what), done=False,
                           title="E-Mails abbestellen")


@bp.post("/unsubscribe/<token>")
@public
@csrf.exempt
def unsubscribe_post(token: str):
    """One click, also straight from the mail program (``List-Unsubscribe-Post``): no session, no CSRF
    token; the signed token is the permission."""
    user_id, what = _unsubscribe_target(token)
    services.unsubscribe(user_id, what)
    db.session.commit()
    return render_template("notifications/unsubscribe.html", token=token, what=_what_label(what), done=True,
                           title="E-Mails abbestellt")


# --- Postausgang (Administration) -----------------------------------------------------------------------

def _require_outbox_reader():
    if not OutboxMail.can_view(current_user):
        abort(403)


@bp.get("/outbox")
def outbox():
    _require_outbox_reader()
    page = keyset_page(select(OutboxMail), [(OutboxMail.id, "desc")], parse_cursor(request.args.get(CURSOR_ARG)),
                       current_app.config["PAGE_SIZE"], id_column=OutboxMail.id, count=True)
    return render("notifications/outbox.html", "notifications/_outbox_list.html", page=page,
                  smtp=smtp_configured(), title="Postausgang")


@bp.get("/outbox/<int:mail_id>")
def outbox_mail(mail_id: int):
    _require_outbox_reader()
    mail = db.session.get(OutboxMail, mail_id) or abort(404)
    return render_template("notifications/outbox_mail.html", mail=mail, smtp=smtp_configured(),
                           title=mail.subject)
