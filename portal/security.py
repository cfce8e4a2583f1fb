"""Security defaults: response headers, password hashing, login rate limit, session checks."""
from __future__ import annotations

import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db, login_manager, utcnow

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


#: Paths that never read or write the session cookie: the OParl interface is stateless (its
#: clients send a personal token instead, see portal.oparl).
STATELESS_PREFIXES = ("/oparl/",)


class PortalSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, with two exceptions. On stateless paths the request starts
    with an empty session whatever cookie it carries (so nobody is signed in by it) and no cookie is
    set. Static files never touch it: no ``Set-Cookie`` and no ``Vary: Cookie`` on CSS, JS and icons,
    so every cache may keep them for everyone."""

    def open_session(self, app, request):
        if request.path.startswith(STATELESS_PREFIXES):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if request.endpoint == "static" or request.path.startswith(STATELESS_PREFIXES):
            return None
        return super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = PortalSessionInterface()
    app.after_request(_security_headers)
    app.before_request(_refuse_nul_bytes)
    app.before_request(_session_limits)
    login_manager.user_loader(_load_user)


def _refuse_nul_bytes():
    """No text in the portal has a NUL byte, and PostgreSQL refuses to store or compare one: a
    request that carries one in its path, query or form fields is answered 400 before any view."""
    values = [request.path, *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH"):
        values += request.form.values()
    if any("\x00" in value for value in values):
        from flask import abort

        abort(400, description="Die Anfrage enthält ein unzulässiges Steuerzeichen (NUL).")
    return None


#: Sent with every response unless the view set its own value.
DEFAULT_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def _security_headers(response):
    h = response.headers
    present = {name.lower() for name in h.keys()}  # one pass; setdefault would scan per header
    for name, value in DEFAULT_HEADERS:
        if name.lower() not in present:
            h.add(name, value)
    if current_app.config["SESSION_COOKIE_SECURE"] and "strict-transport-security" not in present:
        h.add("Strict-Transport-Security", "max-age=31536000")
    # Signed-in pages must not linger in caches. A view that chose its own policy keeps it
    # (uploads: "private", so a phone does not fetch the same photo again on every visit).
    if ("cache-control" not in present and request.endpoint != "static" and current_user
            and current_user.is_authenticated):
        h["Cache-Control"] = "no-store"
    if request.endpoint == "static":  # the same file for every request: no Vary but Accept-Encoding
        return response
    if "vary" in present:
        response.vary.add("HX-Request")
    else:
        h.add("Vary", "HX-Request")
    return response


# --- passwords ---------------------------------------------------------------------------

def _hasher() -> PasswordHasher:
    c = current_app.config
    return PasswordHasher(
        time_cost=c["ARGON2_TIME_COST"],
        memory_cost=c["ARGON2_MEMORY_COST"],
        parallelism=c["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# A hash to verify against when the user does not exist, so both cases cost one verification.
_DUMMY_HASH: dict[tuple, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASH:  # computed once per worker, not on every call
        _DUMMY_HASH[key] = hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASH[key]


def verify_password(stored_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if not stored_hash:
        stored_hash = _dummy_hash(hasher)
        try:
            hasher.verify(stored_hash, password)
        except VerificationError:
            pass
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


# --- login throttling -------------------------------------------------------------------------
# OWASP's "device cookie" scheme: a browser that signed in to an account before carries a signed
# cookie naming it; wrong passwords from that browser count against that browser only. Everyone
# else is counted per (address, client) pair, per client and per address. An attacker can thus lock
# out only untrusted clients, never the person on their own device, and an office behind one NAT
# address gets a much larger allowance than one account.

DEVICE_COOKIE = "portal_device"


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _device_serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def trusted_device(email: str) -> str | None:
    """The nonce of this browser's device cookie when it was issued for ``email``."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_serializer().loads(raw, max_age=int(current_app.config["DEVICE_COOKIE_LIFETIME"].total_seconds()))
    except Exception:  # tampered, expired or from another key: an untrusted client
        return None
    return data.get("n") if isinstance(data, dict) and data.get("e") == email else None


def remember_device(response, email: str) -> None:
    """After a successful login: this browser is trusted for ``email`` from now on."""
    value = _device_serializer().dumps({"e": email, "n": secrets.token_hex(8)})
    response.set_cookie(DEVICE_COOKIE, value, max_age=int(current_app.config["DEVICE_COOKIE_LIFETIME"].total_seconds()),
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")


def _throttle_keys(email: str) -> list[tuple[str, int]]:
    c = current_app.config
    email = email.strip().lower()[:254]
    device = trusted_device(email)
    if device:
        return [(f"device:{device}", c["LOGIN_MAX_FAILURES"])]
    ip = _client_ip()
    return [
        (f"pair:{email}|{ip}", c["LOGIN_MAX_FAILURES"]),
        (f"ip:{ip}", c["LOGIN_MAX_FAILURES_PER_IP"]),
        (f"email:{email}", c["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
    ]


def begin_attempt(keys: list[tuple[str, int]]) -> list[int] | None:
    """Count this attempt *before* the password is checked, so that parallel attempts are all
    counted; None when one of ``keys`` is over its limit (then the password is not checked)."""
    from portal.auth.models import LoginFailure

    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < now - current_app.config["LOGIN_FAILURE_WINDOW"]))
    rows = [LoginFailure(key=key[:300], created_at=now) for key, _ in keys]
    db.session.add_all(rows)
    db.session.commit()  # visible to the other workers at once: that is the point of counting first
    since = now - current_app.config["LOGIN_FAILURE_WINDOW"]
    for key, limit in keys:
        # Every attempt committed so far, this one included: the k-th attempt to commit sees at least
        # k rows, so at most ``limit`` attempts get through however many run in parallel.
        counted = db.session.scalar(select(func.count()).where(
            LoginFailure.key == key[:300], LoginFailure.created_at >= since))
        if counted > limit:
            return None
    return [row.id for row in rows]


def attempt_succeeded(attempt: list[int], keys: list[tuple[str, int]]) -> None:
    """A right password: this attempt and the failures of its own client and device are forgotten."""
    from portal.auth.models import LoginFailure

    own = [key for key, _ in keys if key.startswith(("pair:", "device:", "pw:"))]
    db.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt) | LoginFailure.key.in_(own)))


def login_keys(email: str) -> list[tuple[str, int]]:
    return _throttle_keys(email)


def password_check_keys(user) -> list[tuple[str, int]]:
    """Guesses of the current password on the password page, per account."""
    return [(f"pw:{user.id}", current_app.config["LOGIN_MAX_FAILURES"])]


# --- sessions --------------------------------------------------------------------------------

def start_session() -> None:
    """At login: the absolute lifetime of this session starts now."""
    now = int(time.time())
    session["login_at"] = session["seen_at"] = now


def _session_limits():
    """End a session that is older than SESSION_ABSOLUTE_LIFETIME or was idle longer than
    SESSION_IDLE_TIMEOUT, whatever the cookie's own expiry says (every response re-issues it)."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    now = int(time.time())
    c = current_app.config
    login_at = session.get("login_at")
    seen_at = session.get("seen_at", login_at)
    if (not isinstance(login_at, int) or not isinstance(seen_at, int)
            or now - login_at > c["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
            or now - seen_at > c["SESSION_IDLE_TIMEOUT"].total_seconds()):
        logout_user()
        session.clear()
        return None
    if now - seen_at >= 60:  # the cookie is re-issued anyway; a minute's precision is enough
        session["seen_at"] = now
    return None


def _load_user(session_id: str):
    """Load the user of a session cookie; refuse cookies issued before logout/deactivation."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    from portal.auth.models import User

    if not 0 < user_id < 2**63:
        return None
    user = db.session.scalars(select(User).where(User.id == user_id)
                              .options(joinedload(User.role_rows))).unique().one_or_none()
    if user is None or not user.active or user.session_version != version:
        return None
    return user
