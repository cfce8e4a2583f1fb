from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from portal.access import public
from portal.auth import services
from portal.auth.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.notifications.accounts import request_password_reset
from portal.notifications.mail import smtp_configured
from portal.security import (clear_login_failures, hash_password, login_blocked, password_needs_rehash,
                             record_login_failure, verify_password)

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "E-Mail-Adresse oder Passwort ist falsch."


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("pages.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = services.normalise_email(form.email.data)
        if login_blocked(email):
            return render_template("auth/login.html", form=form, error=None, blocked=True), 429
        user = db.session.scalar(select(User).where(User.email == email))
        ok = verify_password(user.password_hash if user else None, form.password.data)
        if ok and user.active:
            if password_needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            user.last_login_at = utcnow()
            clear_login_failures(email)
            db.session.commit()
            session.clear()  # no session fixation: a fresh cookie at login
            session.permanent = True
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), code=303)
        record_login_failure(email)
        form.password.errors = [LOGIN_FAILED]
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form, blocked=False), status


@bp.get("/logout")
def logout_confirm():
    return render_template("auth/logout.html")


@bp.post("/logout")
@public
def logout():
    if current_user.is_authenticated:
        # Server-side end: the cookie just sent becomes worthless even if someone copied it.
        current_user.end_sessions()
        db.session.commit()
        logout_user()
    session.clear()
    flash("Du bist abgemeldet.", "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors = ["Das bisherige Passwort stimmt nicht."]
        else:
            services.set_password(current_user, form.password.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # the new session version for this browser; others end
            flash("Dein Passwort ist geändert. Andere Geräte sind abgemeldet.", "success")
            return redirect(url_for("auth.account"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    link = services.find_account_link(token)
    if link is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        services.use_account_link(link, form.password.data)
        logout_user()
        session.clear()
        flash("Dein Passwort ist gespeichert. Du kannst dich jetzt anmelden.", "success")
        return redirect(url_for("auth.login"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form, link=link), status


@bp.route("/account/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """With a mail server: a reset link by mail, the same answer for every address, rate limited.
    Without one: the way through the Administration."""
    if not smtp_configured():
        return render_template("auth/forgot.html", form=None, sent=False)
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        allowed = request_password_reset(form.email.data, request.remote_addr or "unknown")
        db.session.commit()
        if not allowed:
            return render_template("auth/forgot.html", form=form, sent=False, blocked=True), 429
        return render_template("auth/forgot.html", form=None, sent=True)
    return render_template("auth/forgot.html", form=form, sent=False), 422 if form.is_submitted() else 200


@bp.get("/account")
def account():
    return render_template("auth/account.html", user=current_user)


@bp.get("/account/export.json")
def export():
    """DSGVO Art. 15/20: the personal data the portal holds about the signed-in user."""
    data = services.personal_data(current_user)
    response = jsonify(data)
    response.headers["Content-Disposition"] = "attachment; filename=meine-daten.json"
    return response


