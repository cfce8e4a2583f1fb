"""Invitation links for one or more Ortsteile and the people who joined through them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, exists, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import Role, User
from portal.extensions import UTCDateTime, db, utcnow
from portal.org.models import Ortsteil

join_link_ortsteil = Table(
    "join_link_ortsteil",
    db.metadata,
    Column("link_id", Integer, ForeignKey("join_link.id", ondelete="CASCADE"), primary_key=True),
    Column("ortsteil_id", Integer, ForeignKey("ortsteil.id", ondelete="CASCADE"), primary_key=True),
)


def may_invite_to(user, ortsteile) -> bool:
    """Moderation and Administration invite to every Ortsteil, Koordination to those of its Sozialraum."""
    if not (user and user.is_authenticated):
        return False
    if user.has_role(Role.ADMIN, Role.MODERATION):
        return True
    return bool(user.has_role(Role.KOORDINATION) and user.sozialraum_id
                and all(o.sozialraum_id == user.sozialraum_id for o in ortsteile))


def manageable_links_filter(user):
    """``JoinLink.can_manage`` (``may_invite_to``) as an SQL condition, for the paged list: every
    link for Moderation and Administration; for the Koordination the links none of whose Ortsteile
    lies outside its Sozialraum."""
    if not (user and user.is_authenticated):
        return false()
    if user.has_role(Role.ADMIN, Role.MODERATION):
        return true()
    if not (user.has_role(Role.KOORDINATION) and user.sozialraum_id):
        return false()
    outside = (exists().where(join_link_ortsteil.c.link_id == JoinLink.id,
                              join_link_ortsteil.c.ortsteil_id == Ortsteil.id,
                              Ortsteil.sozialraum_id != user.sozialraum_id))
    return ~outside


def may_manage_links(user) -> bool:
    """Who sees the Einladungslinks at all."""
    return bool(user and user.is_authenticated and (user.has_role(Role.ADMIN, Role.MODERATION)
                                                    or (user.has_role(Role.KOORDINATION) and user.sozialraum_id)))


class JoinLink(db.Model):
    """A link (and QR poster) with which volunteers create their own account for some Ortsteile."""

    __tablename__ = "join_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The URL part. Kept (not hashed): the poster and QR code show it again and again; it only
    #: opens the join form, never an existing account.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: Joining works until this moment (UTC; the end of the chosen day in Berlin).
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    #: At most this many people join through the link.
    max_uses: Mapped[int] = mapped_column(default=30)
    #: "Neue Konten erst nach Freigabe": new accounts wait for Moderation/Koordination.
    needs_release: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ortsteile: Mapped[list[Ortsteil]] = relationship(secondary=join_link_ortsteil, order_by=Ortsteil.name)
    created_by: Mapped[User | None] = relationship()
    joins: Mapped[list[JoinedAccount]] = relationship(back_populates="link", order_by="JoinedAccount.joined_at")

    def can_manage(self, user) -> bool:
        return may_invite_to(user, self.ortsteile)

    @property
    def used(self) -> int:
        return len(self.joins)

    def state(self, now: datetime | None = None) -> str:
        """"offen", "widerrufen", "abgelaufen" or "aufgebraucht"."""
        now = now or utcnow()
        if self.revoked_at is not None:
            return "widerrufen"
        if self.valid_until < now:
            return "abgelaufen"
        if self.used >= self.max_uses:
            return "aufgebraucht"
        return "offen"

    @property
    def place_names(self) -> str:
        return ", ".join(o.name for o in self.ortsteile)


class JoinedAccount(db.Model):
    """Who joined through which link; waits for release when the link asks for it."""

    __tablename__ = "joined_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("join_link.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None while the account waits for release (then it has no Ortsteil yet).
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    link: Mapped[JoinLink] = relationship(back_populates="joins")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def can_release(self, user) -> bool:
        return self.link.can_manage(user)


class FirstStepsDismissed(db.Model):
    """The "Erste Schritte" box on the start page was closed by this person (shown once)."""

    __tablename__ = "first_steps_dismissed"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
