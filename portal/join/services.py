"""Operations of the invitation links: create, revoke, join, release. Each checks permission,
changes state and flushes; the view commits once."""
from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from flask import current_app, url_for
from sqlalchemy import func, select, update

from portal import duplicates, signals
from portal.auth.models import Role, User
from portal.auth.services import normalise_email
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db, utcnow
from portal.formatting import BERLIN
from sqlalchemy.orm import selectinload

from portal.join.models import JoinedAccount, JoinLink, manageable_links_filter, may_invite_to
from portal.paging import Page, keyset_page
from portal.security import hash_password

MAX_USES_LIMIT = 500


def _to_utc(value: datetime) -> datetime:
    from datetime import timezone

    return value.astimezone(timezone.utc)


def create_link(actor: User, ortsteile, valid_until: date, max_uses: int, needs_release: bool) -> JoinLink:
    if not ortsteile:
        raise Invalid("Bitte wähle mindestens einen Ortsteil.")
    if not may_invite_to(actor, ortsteile):
        raise NotAllowed("Du darfst nur für Ortsteile deines Sozialraums einladen.")
    if not 1 <= max_uses <= MAX_USES_LIMIT:
        raise Invalid(f"Bitte eine Zahl von 1 bis {MAX_USES_LIMIT}.")
    until = _to_utc(datetime.combine(valid_until + timedelta(days=1), time(0), tzinfo=BERLIN))
    if until <= utcnow():
        raise Invalid("Das Datum liegt in der Vergangenheit.")
    link = JoinLink(token=secrets.token_urlsafe(18), created_by_id=actor.id, valid_until=until,
                    max_uses=max_uses, needs_release=needs_release, ortsteile=list(ortsteile))
    db.session.add(link)
    db.session.flush()
    signals.join_link_created.send(link, actor=actor)
    return link


def revoke_link(actor: User, link: JoinLink) -> None:
    if not link.can_manage(actor):
        raise NotAllowed("Diesen Link darfst du nicht widerrufen.")
    if link.revoked_at is not None:
        return
    link.revoked_at = utcnow()
    db.session.flush()
    signals.join_link_revoked.send(link, actor=actor)


def link_url(link: JoinLink) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for("join.join", token=link.token)


def find_link(token: str) -> JoinLink | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(JoinLink).where(JoinLink.token == token))


def join(link: JoinLink, name: str, email: str, password: str) -> User:
    """Create the volunteer's account through ``link``. The place on the link is taken by one
    conditional count check inside the transaction; an address already known gives Conflict."""
    state = link.state()
    if state != "offen":
        raise Conflict(state)
    email = normalise_email(email)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict("vergeben")
    # Lock the link row (PostgreSQL) so that two people cannot take its last place together.
    db.session.execute(update(JoinLink).where(JoinLink.id == link.id).values(max_uses=JoinLink.max_uses))
    used = db.session.scalar(select(func.count()).select_from(JoinedAccount).where(JoinedAccount.link_id == link.id))
    if used >= link.max_uses:
        raise Conflict("aufgebraucht")
    user = User(email=email, display_name=name.strip(), password_hash=hash_password(password))
    user.set_roles([Role.EHRENAMT])
    now = utcnow()
    if not link.needs_release:
        user.ortsteile = list(link.ortsteile)
    with duplicates.unique_or(Conflict("vergeben")):  # the same form sent twice, the first one won
        db.session.add(user)
    joined = JoinedAccount(link_id=link.id, user_id=user.id, joined_at=now,
                           released_at=None if link.needs_release else now)
    db.session.add(joined)
    db.session.flush()
    db.session.expire(link, ["joins"])
    signals.member_joined.send(joined, actor=user)
    return user


#: Invitation links per page of the list.
LINKS_PER_PAGE = 20


def links_page(actor: User, cursor: int | None, limit: int = LINKS_PER_PAGE) -> Page:
    """The links ``actor`` manages, newest first, one keyset page (with their Ortsteile and joins)."""
    stmt = (select(JoinLink).where(manageable_links_filter(actor))
            .options(selectinload(JoinLink.ortsteile), selectinload(JoinLink.joins)))
    return keyset_page(stmt, [(JoinLink.created_at, "desc"), (JoinLink.id, "desc")], cursor, limit,
                       id_column=JoinLink.id)


def waiting(actor: User) -> list[JoinedAccount]:
    """Accounts waiting for release that ``actor`` may release."""
    rows = db.session.scalars(
        select(JoinedAccount).join(JoinedAccount.link)
        .where(JoinedAccount.released_at.is_(None), manageable_links_filter(actor))
        .options(selectinload(JoinedAccount.user), selectinload(JoinedAccount.link).selectinload(JoinLink.ortsteile))
        .order_by(JoinedAccount.joined_at, JoinedAccount.id)).all()
    return [r for r in rows if r.can_release(actor)]


def release(actor: User, joined: JoinedAccount) -> None:
    if not joined.can_release(actor):
        raise NotAllowed("Dieses Konto darfst du nicht freigeben.")
    if joined.released_at is not None:
        return
    joined.released_at = utcnow()
    joined.released_by_id = actor.id
    joined.user.ortsteile = list(joined.link.ortsteile)
    db.session.flush()
    signals.account_released.send(joined, actor=actor)


def pending(user: User) -> JoinedAccount | None:
    """The user's own join row while it waits for release."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(JoinedAccount).where(JoinedAccount.user_id == user.id,
                                                         JoinedAccount.released_at.is_(None)))


#: New accounts see the "Erste Schritte" box on the start page this long (unless they close it).
FIRST_STEPS_FOR = timedelta(days=30)


def show_first_steps(user: User) -> bool:
    from portal.join.models import FirstStepsDismissed

    if not user.is_authenticated or user.created_at is None or user.created_at < utcnow() - FIRST_STEPS_FOR:
        return False
    return db.session.get(FirstStepsDismissed, user.id) is None


def dismiss_first_steps(user: User) -> None:
    from portal.join.models import FirstStepsDismissed

    if db.session.get(FirstStepsDismissed, user.id) is None:
        db.session.add(FirstStepsDismissed(user_id=user.id))
    db.session.flush()
