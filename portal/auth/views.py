import time
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, jsonify, make_response, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from portal.access import public
from portal.auth import services
from portal import security
from portal.auth import mfa
from portal.auth.forms import ApiTokenForm, ChangePasswordForm, CodeForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.notifications.accounts import request_password_reset
from portal.notifications.mail import smtp_configured

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
        keys = security.login_keys(email)
        attempt = security.begin_attempt(keys)
        if attempt is None:
            return render_template("auth/login.html", form=form, error=None, blocked=True), 429
        user = db.session.scalar(select(User).where(User.email == email)) if len(email) <= 254 else None
        ok = security.verify_password(user.password_hash if user else None, form.password.data)
        if ok and user.active:
            if security.password_needs_rehash(user.password_hash):
                user.password_hash = security.hash_password(form.password.data)
            security.attempt_succeeded(attempt, keys)
            next_url = _safe_next(request.args.get("next"))
            if mfa.enabled(user) and not mfa.remembered(user):
                db.session.commit()
                session.clear()
                session["mfa_pending"] = {"user": user.id, "version": user.session_version, "next": next_url,
                                          "at": int(time.time())}
                response = redirect(url_for("auth.login_code"), code=303)
            else:
                response = _signed_in(user, next_url)
            security.remember_device(response, email)
            return response
        form.password.errors = [LOGIN_FAILED]
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form, blocked=False), status


#: What a person who must enrol a second factor can still reach before doing so.
_BEFORE_ENROLMENT = {"auth.mfa_setup", "auth.logout", "auth.logout_confirm", "auth.login", "auth.login_code",
                     "pages.legal", "ops.healthz", "static"}


@bp.before_app_request
def _second_factor_required():
    """Leitung and Administration work only after enrolling a second factor (MFA_REQUIRED)."""
    if (request.endpoint in _BEFORE_ENROLMENT or not current_user.is_authenticated
            or mfa.enabled(current_user) or not mfa.required_for(current_user)):
        return None
    flash("Für deine Rolle ist die Anmeldung mit zweitem Faktor Pflicht. Bitte richte sie jetzt ein.", "info")
    return redirect(url_for("auth.mfa_setup"), code=303 if request.method != "GET" else 302)


def _signed_in(user: User, next_url: str):
    """Open the session (a fresh cookie: no session fixation) and go on."""
    user.last_login_at = utcnow()
    db.session.commit()
    session.clear()
    session.permanent = True
    login_user(user)
    security.start_session()
    return redirect(next_url, code=303)


#: How long the code step waits after the password step.
CODE_STEP_SECONDS = 300


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code():
    """Second step for accounts with a second factor: a code from the authenticator app."""
    pending = session.get("mfa_pending")
    user = db.session.get(User, pending["user"]) if isinstance(pending, dict) else None
    if (user is None or not user.active or user.session_version != pending.get("version")
            or time.time() - pending.get("at", 0) > CODE_STEP_SECONDS):
        session.pop("mfa_pending", None)
        flash("Bitte melde dich erneut an.", "info")
        return redirect(url_for("auth.login"), code=303)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        keys = [(f"mfa:{user.id}", current_app.config["LOGIN_MAX_FAILURES"])]
        attempt = security.begin_attempt(keys)
        if attempt is None:
            form.code.errors = ["Zu viele falsche Codes. Bitte warte 15 Minuten."]
            return render_template("auth/login_code.html", form=form), 429
        if mfa.check_code(user, form.code.data):
            security.attempt_succeeded(attempt, keys)
            response = _signed_in(user, pending.get("next") or url_for("pages.index"))
            if form.remember.data:
                mfa.remember(response, user)
            return response
        form.code.errors = ["Dieser Code stimmt nicht (oder wurde schon benutzt). Bitte nimm den aktuellen Code."]
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("auth/login_code.html", form=form), status


@bp.route("/account/mfa", methods=["GET", "POST"])
def mfa_setup():
    """Enrol the second factor: scan the QR code, confirm with a first code, note the recovery codes."""
    user = current_user._get_current_object()
    secret = session.get("mfa_secret") or mfa.new_secret()
    session["mfa_secret"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        codes = mfa.enrol(user, secret, form.code.data)
        if codes is not None:
            session.pop("mfa_secret", None)
            db.session.commit()
            response = make_response(render_template("auth/mfa_codes.html", codes=codes))
            if form.remember.data:
                mfa.remember(response, user)
            return response
        form.code.errors = ["Dieser Code stimmt nicht. Prüfe die Uhrzeit des Telefons und nimm den aktuellen Code."]
    uri = mfa.provisioning_uri(user, secret)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/mfa_setup.html", form=form, qr=mfa.qr_svg(uri), secret=secret,
                           required=mfa.required_for(user), enabled=mfa.enabled(user)), status


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
    form = ChangePasswordForm(account=current_user)
    if form.validate_on_submit():
        keys = security.password_check_keys(current_user)
        attempt = security.begin_attempt(keys)
        if attempt is None:
            form.current.errors = ["Zu viele falsche Versuche. Bitte warte 15 Minuten."]
            return render_template("auth/change_password.html", form=form), 429
        if not security.verify_password(current_user.password_hash, form.current.data):
            form.current.errors = ["Das bisherige Passwort stimmt nicht."]
        else:
            security.attempt_succeeded(attempt, keys)
            services.set_password(current_user, form.password.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # the new session version for this browser; others end
            security.start_session()
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
    form = SetPasswordForm(account=link.user)
    if form.validate_on_submit():
        services.use_account_link(link, form.password.data)
        user = link.user
        if not mfa.enabled(user):
            # Whoever holds the link has just proved it: signed in at once, no second typing of the address.
            response = _signed_in(user, url_for("pages.index"))
            flash("Dein Passwort ist gespeichert. Willkommen im Portal!", "success")  # after the fresh session
            return response
        db.session.commit()
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


@bp.route("/account/api-tokens", methods=["GET", "POST"])
def api_tokens():
    """Personal tokens for the OParl interface: created here, shown once, listed and revoked."""
    from portal.errors import Invalid

    form = ApiTokenForm()
    token = None
    if form.validate_on_submit():
        try:
            token, _row = services.create_api_token(current_user._get_current_object(), form.name.data)
        except Invalid as e:
            db.session.rollback()
            form.name.errors = [*form.name.errors, e.message]
        else:
            db.session.commit()
            form = ApiTokenForm(formdata=None)
    status = 422 if form.is_submitted() and token is None else 200
    return render_template("auth/api_tokens.html", form=form, token=token,
                           tokens=services.api_tokens_of(current_user), title="API-Zugänge (OParl)",
                           oparl_url=url_for("oparl.system", _external=True)), status


@bp.post("/account/api-tokens/<int:token_id>/revoke")
def api_token_revoke(token_id: int):
    services.revoke_api_token(current_user._get_current_object(), token_id)
    db.session.commit()
    flash("Der API-Zugang ist widerrufen. Programme, die ihn benutzen, bekommen keinen Zugriff mehr.", "success")
    return redirect(url_for("auth.api_tokens"), code=303)


@bp.get("/account/export.json")
def export():
    """DSGVO Art. 15/20: the personal data the portal holds about the signed-in user."""
    data = services.personal_data(current_user)
    response = jsonify(data)
    response.headers["Content-Disposition"] = "attachment; filename=meine-daten.json"
    return response


