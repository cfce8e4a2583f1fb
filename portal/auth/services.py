"""Account logic shared by the auth and admin views and the CLI."""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app, has_request_context, url_for
from sqlalchemy import select, update

from portal.auth.models import AccountLink, LinkPurpose, Role, User
from portal.errors import Conflict
from portal.extensions import db, utcnow
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.security import hash_password


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_account_link(user: User, purpose: LinkPurpose, created_by: User | None = None) -> str:
    """Create a one-time link (valid ACCOUNT_LINK_LIFETIME) and return its absolute URL.

    Older open links of the same user are revoked: only the newest one works.
    """
    now = utcnow()
    db.session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(AccountLink(
        user=user, purpose=purpose, token_hash=_digest(token), created_at=now,
        expires_at=now + current_app.config["ACCOUNT_LINK_LIFETIME"],
        created_by_id=created_by.id if created_by else None,
    ))
    db.session.flush()
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        path = url_for("auth.set_password", token=token)
    else:  # the CLI
        with current_app.test_request_context():
            path = url_for("auth.set_password", token=token)
    return base + path


def find_account_link(token: str) -> AccountLink | None:
    """The open, unexpired link for ``token``, or None."""
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == _digest(token)))
    if link is None or link.used_at is not None or link.expires_at < utcnow() or not link.user.active:
        return None
    return link


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.end_sessions()


def use_account_link(link: AccountLink, password: str) -> None:
    """Consume the link and set the password. The link is taken by one conditional UPDATE: of two
    requests racing with the same link exactly one gets it, the other a Conflict."""
    taken = db.session.execute(
        update(AccountLink).where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Conflict("Dieser Link wurde gerade schon benutzt. Bitte melde dich an oder fordere einen neuen Link an.")
    set_password(link.user, password)
    db.session.flush()


def deactivate(user: User) -> None:
    user.active = False
    user.end_sessions()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def resolve_scope(ortsteile=(), traeger=None, sozialraum=None):
    """Look up Ortsteile, Träger and Sozialraum by name, short name or slug.

    Raises LookupError with a German message naming what was not found.
    """
    found_ortsteile = []
    for name in ortsteile:
        o = db.session.scalar(select(Ortsteil).where((Ortsteil.name == name) | (Ortsteil.slug == name)))
        if o is None:
            raise LookupError(f"Ortsteil „{name}“ gibt es nicht.")
        found_ortsteile.append(o)
    found_traeger = None
    if traeger:
        found_traeger = db.session.scalar(
            select(Traeger).where((Traeger.short_name == traeger) | (Traeger.name == traeger))
        )
        if found_traeger is None:
            raise LookupError(f"Träger „{traeger}“ gibt es nicht.")
    found_sozialraum = None
    if sozialraum:
        found_sozialraum = db.session.scalar(
            select(Sozialraum).where((Sozialraum.name == sozialraum) | (Sozialraum.slug == sozialraum))
        )
        if found_sozialraum is None:
            raise LookupError(f"Sozialraum „{sozialraum}“ gibt es nicht.")
    return found_ortsteile, found_traeger, found_sozialraum


def scope_problems(roles, ortsteile, traeger, sozialraum) -> dict[str, str]:
    """German messages for roles whose scope is missing, keyed by form field."""
    problems = {}
    roles = {Role(r) for r in roles}
    if Role.EHRENAMT in roles and not ortsteile:
        problems["ortsteile"] = "Ehrenamtliche brauchen mindestens einen Ortsteil."
    if Role.FACHKRAFT in roles and traeger is None:
        problems["traeger"] = "Eine Fachkraft braucht ihren Träger."
    if Role.KOORDINATION in roles and sozialraum is None:
        problems["sozialraum"] = "Koordination braucht ihren Sozialraum."
    return problems


# --- DSGVO: what the portal holds about a person ----------------------------------------------------
#: section name -> function(user) -> JSON-able data; each feature adds what it stores about a person.
_PERSONAL_DATA: dict = {}


def register_personal_data(section: str, collect) -> None:
    _PERSONAL_DATA[section] = collect


def personal_data(user: User) -> dict:
    """Everything the portal stores about ``user`` (Art. 15/20 DSGVO), account first."""
    data = {
        "email": user.email,
        "anzeigename": user.display_name,
        "rollen": user.role_labels,
        "traeger": user.traeger.name if user.traeger else None,
        "sozialraum": user.sozialraum.name if user.sozialraum else None,
        "ortsteile": [o.name for o in user.ortsteile],
        "angelegt_am": user.created_at.isoformat(),
        "letzte_anmeldung": user.last_login_at.isoformat() if user.last_login_at else None,
        # The personal OParl tokens by name and use; the token itself is never stored, its hash stays out.
        "api_zugaenge": [{"name": t.name, "angelegt_am": t.created_at.isoformat(),
                          "zuletzt_benutzt": t.last_used_at.isoformat() if t.last_used_at else None}
                         for t in api_tokens_of(user)],
    }
    for section, collect in _PERSONAL_DATA.items():
        data[section] = collect(user)
    return data


# --- personal API tokens (OParl) -----------------------------------------------------------------

#: How many API tokens one person may hold at once.
API_TOKENS_MAX = 10
#: last_used_at is written at most this often (seconds): a client polling every minute writes no row each time.
API_TOKEN_TOUCH_SECONDS = 3600


def api_tokens_of(user: User) -> list:
    from portal.auth.models import ApiToken

    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def create_api_token(user: User, name: str) -> tuple[str, object]:
    """A new personal token for the OParl interface; the token is returned once, only its hash is kept."""
    from portal import signals
    from portal.auth.models import ApiToken
    from portal.errors import Invalid, NotAllowed

    if not ApiToken.can_create(user):
        raise NotAllowed("API-Zugänge können nur angemeldete Personen anlegen.")
    if len(api_tokens_of(user)) >= API_TOKENS_MAX:
        raise Invalid(f"Du hast schon {API_TOKENS_MAX} API-Zugänge. Bitte widerrufe zuerst einen, den du nicht mehr brauchst.")
    token = "tp_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip(), token_hash=_digest(token), created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    signals.api_token_changed.send(row, actor=user, change="created")
    return token, row


def revoke_api_token(user: User, token_id: int) -> None:
    """Delete one of the user's own tokens; a client using it gets 401 from then on."""
    from portal import signals
    from portal.auth.models import ApiToken
    from portal.errors import NotAllowed

    row = db.session.get(ApiToken, token_id)
    if row is None or not row.can_revoke(user):
        raise NotAllowed("Diesen API-Zugang gibt es nicht (mehr).")
    db.session.delete(row)
    db.session.flush()
    signals.api_token_changed.send(row, actor=user, change="revoked")


def api_token_user(token: str) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, revoked, deactivated). Notes
    the use (at most once an hour); the caller commits."""
    from portal.auth.models import ApiToken

    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > API_TOKEN_TOUCH_SECONDS:
        row.last_used_at = now
    return row.user
