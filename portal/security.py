"""Security defaults: response headers, password hashing, login rate limit, session checks."""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, current_app, request
from flask_login import current_user
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db, login_manager, utcnow

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def init_app(app: Flask) -> None:
    app.after_request(_security_headers)
    login_manager.user_loader(_load_user)


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


# A hash to verify against when the user does not exist, so both cases take the same time.
_DUMMY_HASH: dict[tuple, str] = {}


def verify_password(stored_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if not stored_hash:
        key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
        stored_hash = _DUMMY_HASH.setdefault(key, hasher.hash("dummy-password"))
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


# --- login rate limit -----------------------------------------------------------------------

def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _limits(email: str) -> list[tuple[str, int]]:
    c = current_app.config
    return [
        (f"email:{email.strip().lower()}", c["LOGIN_MAX_FAILURES"]),
        (f"ip:{_client_ip()}", c["LOGIN_MAX_FAILURES_PER_IP"]),
    ]


def login_blocked(email: str) -> bool:
    """True when the address or the client has failed too often within the window."""
    from portal.auth.models import LoginFailure

    since = utcnow() - current_app.config["LOGIN_FAILURE_WINDOW"]
    for key, limit in _limits(email):
        count = db.session.scalar(
            select(func.count()).where(LoginFailure.key == key, LoginFailure.created_at >= since)
        )
        if count >= limit:
            return True
    return False


def record_login_failure(email: str) -> None:
    from portal.auth.models import LoginFailure

    old = utcnow() - current_app.config["LOGIN_FAILURE_WINDOW"]
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < old))
    for key, _ in _limits(email):
        db.session.add(LoginFailure(key=key))
    db.session.commit()


def clear_login_failures(email: str) -> None:
    from portal.auth.models import LoginFailure

    db.session.execute(delete(LoginFailure).where(LoginFailure.key == f"email:{email.strip().lower()}"))


# --- sessions --------------------------------------------------------------------------------

@cache
def _user_statement():
    """Built once per worker (it runs on every request): the user with the roles joined."""
    from portal.auth.models import User

    return select(User).where(User.id == bindparam("user_id")).options(joinedload(User.role_rows))


def _load_user(session_id: str):
    """Load the user of a session cookie; refuse cookies issued before logout/deactivation."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.scalars(_user_statement(), {"user_id": user_id}).unique().one_or_none()
    if user is None or not user.active or user.session_version != version:
        return None
    return user
