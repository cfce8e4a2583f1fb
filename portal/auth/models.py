"""Users, their roles and scopes, one-time account links and failed logins."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import UTCDateTime, db, str_enum, utcnow
from portal.org.models import Ortsteil, Sozialraum, Traeger


class Role(enum.StrEnum):
    """Roles a user can hold; a user may hold several."""

    ADMIN = "admin"
    MODERATION = "moderation"
    LEITUNG = "leitung"
    KOORDINATION = "koordination"
    FACHKRAFT = "fachkraft"
    EHRENAMT = "ehrenamt"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administration",
    Role.MODERATION: "Moderation",
    Role.LEITUNG: "Leitung Soziale Dienste",
    Role.KOORDINATION: "Koordination",
    Role.FACHKRAFT: "Fachkraft Träger",
    Role.EHRENAMT: "Ehrenamtliche:r",
}



user_ortsteil = Table(
    "user_ortsteil",
    db.metadata,
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("ortsteil_id", Integer, ForeignKey("ortsteil.id", ondelete="CASCADE"), primary_key=True),
)


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; stored lower-case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Name shown to others, e.g. "Anna Krause".
    display_name: Mapped[str] = mapped_column(String(120))
    #: argon2id hash; empty until the invitation link was used.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Deactivated users cannot sign in; their sessions end at once.
    active: Mapped[bool] = mapped_column(default=True)
    #: Raised on logout, deactivation and password change: older session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    #: Träger a Fachkraft works for.
    traeger_id: Mapped[int | None] = mapped_column(ForeignKey("traeger.id"), index=True)
    #: Sozialraum a Koordination works in.
    sozialraum_id: Mapped[int | None] = mapped_column(ForeignKey("sozialraum.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Base32 TOTP secret of the second factor (portal.auth.mfa); None when not enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: When the second factor was confirmed; None = off.
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Last accepted TOTP time step: a code is accepted once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=UserRole.role
    )
    traeger: Mapped[Traeger | None] = relationship()
    sozialraum: Mapped[Sozialraum | None] = relationship()
    #: Ortsteile an Ehrenamtliche:r works in.
    ortsteile: Mapped[list[Ortsteil]] = relationship(secondary=user_ortsteil, order_by=Ortsteil.name)

    # --- roles -------------------------------------------------------------------------
    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def set_roles(self, roles) -> None:
        wanted = {Role(r) for r in roles}
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            UserRole(role=r) for r in sorted(wanted - self.roles)
        ]

    def has_role(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def role_labels(self) -> list[str]:
        return [r.label for r in sorted(self.roles, key=list(Role).index)]

    # --- Flask-Login ---------------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        # The session version travels in the cookie; the loader refuses outdated ones.
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Invalidate every session cookie issued to this user so far."""
        self.session_version = (self.session_version or 1) + 1

    def __str__(self) -> str:
        return self.display_name


class LinkPurpose(enum.StrEnum):
    INVITE = "invite"
    RESET = "reset"


class AccountLink(db.Model):
    """A one-time link with which a user sets a password (invitation or reset)."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[LinkPurpose] = mapped_column(str_enum(LinkPurpose))
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Administrator who created the link.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class LoginFailure(db.Model):
    """A failed login, counted for the rate limit; kept in the database so workers share it."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "email:<address>" or "ip:<address>".
    key: Mapped[str] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ApiToken(db.Model):
    """A personal API token for the OParl interface (``Authorization: Bearer …``): a member's own
    client sees what the member sees in the portal. Shown once; only its SHA-256 is stored.
    Revoking deletes the row."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: What the token is for, e.g. "Ratsinfo-App am Laptop".
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last request with this token (to the hour), so an unused token can be spotted and revoked.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def can_create(user) -> bool:
        """Every signed-in person may make tokens: the interface shows them what they see anyway."""
        return bool(user and user.is_authenticated)

    def can_revoke(self, user) -> bool:
        return bool(user and user.is_authenticated and user.id == self.user_id)
