"""Second factor for the Leitung and the Administration: TOTP (RFC 6238, any authenticator app),
recovery codes shown once, and "remember this browser" for a bounded time.

The secret is created at enrolment and confirmed by a first code; a code is accepted once (the
last used time step is stored), so a code seen over someone's shoulder cannot be replayed.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app, request
from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from portal import signals
from portal.auth.models import Role, User
from portal.errors import NotAllowed
from portal.extensions import UTCDateTime, db, utcnow

REMEMBER_COOKIE = "portal_mfa"
RECOVERY_CODES = 10


class RecoveryCode(db.Model):
    """A one-time code that replaces the authenticator once (lost phone)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the code; the code itself is shown once.
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def required_for(user: User) -> bool:
    """The roles that must use a second factor (MFA_ROLES), when MFA_REQUIRED is on."""
    roles = {Role(r) for r in current_app.config["MFA_ROLES"]}
    return bool(current_app.config["MFA_REQUIRED"]) and any(r in roles for r in user.roles)


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def _digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["PORTAL_NAME"])


def qr_svg(uri: str) -> str:
    """The enrolment QR code as an SVG data URI (made here: no request to another host)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#1d1d1b")


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to (now ± 30 s), if it was not used before."""
    code = "".join(c for c in code if c.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(utcnow().timestamp()) // totp.interval
    for step in (now_step, now_step - 1, now_step + 1):
        if (last_step is None or step > last_step) and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enrol(user: User, secret: str, code: str) -> list[str] | None:
    """Switch the second factor on with a confirmed first code; returns the recovery codes (shown once)."""
    step = _matching_step(secret, code, None)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_last_step = step
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    db.session.flush()
    signals.user_updated.send(user, actor=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(c)) for c in codes)
    return codes


def check_code(user: User, code: str) -> bool:
    """A current authenticator code (once) or an unused recovery code."""
    if not enabled(user):
        return False
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return True
    recovery = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(code), RecoveryCode.used_at.is_(None)))
    if recovery is not None:
        recovery.used_at = utcnow()
        return True
    return False


def reset(user: User, actor: User) -> None:
    """The Administration switches a person's second factor off (lost phone, no recovery code)."""
    if not actor.is_admin:
        raise NotAllowed()
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.end_sessions()
    db.session.flush()
    signals.user_updated.send(user, actor=actor)


# --- "dieses Gerät merken" --------------------------------------------------------------------------

def _serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.secret_key, salt="mfa-remembered")


def _binding(user: User) -> str:
    # A reset or a new enrolment changes the secret and with it every remembered browser.
    return hashlib.sha256(f"{user.id}:{user.totp_secret}".encode()).hexdigest()[:24]


def remembered(user: User) -> bool:
    raw = request.cookies.get(REMEMBER_COOKIE)
    if not raw:
        return False
    try:
        bindings = _serializer().loads(raw, max_age=int(current_app.config["MFA_REMEMBER"].total_seconds()))
    except Exception:  # expired or tampered: ask for a code
        return False
    return isinstance(bindings, list) and _binding(user) in bindings


def remember(response, user: User) -> None:
    response.set_cookie(REMEMBER_COOKIE, _serializer().dumps([_binding(user)]),
                        max_age=int(current_app.config["MFA_REMEMBER"].total_seconds()), httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
