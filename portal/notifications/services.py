"""Operations of the notifications (mark read, settings, follow boards) and the one function that
writes a notification, ``notify``; the listeners call it, inside the operation that caused it."""
from __future__ import annotations

from typing import Iterable

from flask import current_app, has_request_context, url_for
from sqlalchemy import and_, exists, func, not_, or_, select, update
from sqlalchemy.orm import selectinload

from portal.auth.models import Role, User, user_ortsteil
from portal.errors import Invalid, NotAllowed
from portal.extensions import db, utcnow
from portal.notifications.models import (KINDS, BoardFollow, Channel, Notification, NotificationSetting,
                                         kinds_for)
from portal.org.models import Ortsteil
from portal.paging import Page, keyset_page


def portal_path(endpoint: str, **values) -> str:
    """A path inside the portal, also outside a request (CLI runs, digests)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def absolute(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


# --- who hears what: the people -------------------------------------------------------------------

def active_users(*conditions) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), *conditions).options(selectinload(User.role_rows))
        .order_by(User.id)))


def users_with_role(role: Role) -> list[User]:
    from portal.auth.models import UserRole

    return active_users(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))


def board_followers(ortsteil_id: int) -> list[User]:
    """Who follows a board: an explicit "folgen", or the own Ortsteil unless unfollowed."""
    follows = lambda following: exists().where(  # noqa: E731
        BoardFollow.user_id == User.id, BoardFollow.ortsteil_id == ortsteil_id, BoardFollow.following.is_(following))
    own = exists().where(user_ortsteil.c.user_id == User.id, user_ortsteil.c.ortsteil_id == ortsteil_id)
    return active_users(or_(follows(True), and_(own, not_(follows(False)))))


def follows_board(user, ortsteil: Ortsteil) -> bool:
    """``board_followers`` for one person and one board (the settings page's checkbox)."""
    row = db.session.get(BoardFollow, (user.id, ortsteil.id))
    if row is not None:
        return row.following
    return any(o.id == ortsteil.id for o in user.ortsteile)


# --- channels ---------------------------------------------------------------------------------------

def channels_of(user_ids: Iterable[int]) -> dict[int, dict[str, Channel]]:
    """The stored choices of these people (one query); missing kinds use the default."""
    ids = list(user_ids)
    chosen: dict[int, dict[str, Channel]] = {i: {} for i in ids}
    if ids:
        for row in db.session.scalars(select(NotificationSetting).where(NotificationSetting.user_id.in_(ids))):
            chosen[row.user_id][row.kind] = row.channel
    return chosen


def channel_for(chosen: dict[str, Channel], kind: str) -> Channel:
    return chosen.get(kind) or KINDS[kind].default


# --- writing notifications ---------------------------------------------------------------------------

def notify(recipients: Iterable[User], kind: str, *, subject_key: str, subject_title: str, text: str,
           url: str, actor=None, detail: str = "", visible=None, attachments=None) -> list[Notification]:
    """One notification per recipient (never the actor, never an inactive account, only who
    ``visible(user)`` allows), and a mail in the outbox for those who want it at once.

    ``attachments``: text files for the mails (``OutboxMail.attachments``), e.g. an invitation's .ics.

    Runs inside the caller's transaction: flushes, never commits.
    """
    from portal.notifications import mail

    assert kind in KINDS, kind
    actor_id = getattr(actor, "id", None)
    people = {u.id: u for u in recipients
              if u.active and u.id != actor_id and (visible is None or visible(u))}
    if not people:
        return []
    chosen = channels_of(people)
    written = []
    for user in people.values():
        n = Notification(user_id=user.id, kind=kind, subject_key=subject_key, subject_title=subject_title[:300],
                         text=text[:500], detail=detail, url=url, actor_id=actor_id)
        db.session.add(n)
        written.append(n)
        if channel_for(chosen[user.id], kind) == Channel.SOFORT and user.email:
            mail.queue_instant(user, n, attachments)
    db.session.flush()
    return written


# --- reading ------------------------------------------------------------------------------------------

def unread_count(user) -> int:
    """The bell: one query on ix_notification_user_unread."""
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def notifications_page(user, cursor: int | None, limit: int) -> Page:
    stmt = select(Notification).where(Notification.user_id == user.id)
    return keyset_page(stmt, [(Notification.id, "desc")], cursor, limit, id_column=Notification.id)


# --- operations ---------------------------------------------------------------------------------------

def open_notification(notification: Notification, user) -> str:
    """Mark the entry read (it was opened) and return where it leads."""
    if not notification.can_view(user):
        raise NotAllowed("Diese Benachrichtigung ist nicht für dich.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification.url


def mark_all_read(user) -> int:
    if not user.is_authenticated:
        raise NotAllowed()
    result = db.session.execute(update(Notification)
                                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                                .values(read_at=utcnow()))
    db.session.flush()
    return result.rowcount or 0


def save_settings(user, choices: dict[str, Channel]) -> None:
    """Store the kinds x channels table of the settings page (only the kinds listed for ``user``)."""
    if not user.is_authenticated:
        raise NotAllowed()
    allowed = {k.key for k in kinds_for(user)}
    if set(choices) - allowed:
        raise Invalid("Unbekannte Art von Benachrichtigung.")
    stored = {s.kind: s for s in db.session.scalars(
        select(NotificationSetting).where(NotificationSetting.user_id == user.id))}
    for kind, channel in choices.items():
        channel = Channel(channel)
        if kind in stored:
            stored[kind].channel = channel
        else:
            db.session.add(NotificationSetting(user_id=user.id, kind=kind, channel=channel))
    db.session.flush()


def set_channel(user_id: int, kind: str, channel: Channel) -> None:
    """One kind's channel, e.g. from the unsubscribe link of a mail (no session there)."""
    row = db.session.get(NotificationSetting, (user_id, kind))
    if row is None:
        db.session.add(NotificationSetting(user_id=user_id, kind=kind, channel=channel))
    else:
        row.channel = channel
    db.session.flush()


def unsubscribe(user_id: int, what: str) -> list[str]:
    """The one-click unsubscribe of a mail: ``what`` is a kind ("proposal_returned") or a digest
    ("digest:taeglich"); those kinds go to "nur im Portal". Returns the kinds changed."""
    user = db.session.get(User, user_id)
    if user is None:
        raise Invalid("Dieser Abmeldelink gilt nicht mehr.")
    if what.startswith("digest:"):
        channel = Channel(what.removeprefix("digest:"))
        chosen = channels_of([user.id])[user.id]
        kinds = [k.key for k in KINDS.values() if channel_for(chosen, k.key) == channel]
    elif what in KINDS:
        kinds = [what]
    else:
        raise Invalid("Dieser Abmeldelink gilt nicht mehr.")
    for kind in kinds:
        set_channel(user.id, kind, Channel.PORTAL)
    return kinds


def set_board_follow(user, ortsteil: Ortsteil, following: bool) -> None:
    """Follow or unfollow one board ("Neue Beiträge auf Pinnwänden, denen ich folge")."""
    if not user.is_authenticated:
        raise NotAllowed()
    row = db.session.get(BoardFollow, (user.id, ortsteil.id))
    if row is None:
        db.session.add(BoardFollow(user_id=user.id, ortsteil_id=ortsteil.id, following=following))
    else:
        row.following = following
    db.session.flush()


def personal_data(user) -> dict:
    """DSGVO export: the person's notifications, settings and boards followed."""
    return {
        "benachrichtigungen": [
            {"zeit": n.created_at.isoformat(), "art": n.kind, "text": n.text, "gelesen": n.is_read}
            for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                        .order_by(Notification.id))
        ],
        "einstellungen": {kind: channel.value for kind, channel in channels_of([user.id])[user.id].items()},
        "pinnwaende": [
            {"ortsteil_id": f.ortsteil_id, "folgen": f.following}
            for f in db.session.scalars(select(BoardFollow).where(BoardFollow.user_id == user.id))
        ],
    }
