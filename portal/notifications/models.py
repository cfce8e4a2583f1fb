"""Notifications, per-person settings (kind x channel, boards followed), the mail outbox and the
bookkeeping of digests."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import Role, User
from portal.extensions import UTCDateTime, db, str_enum, utcnow


class Channel(enum.StrEnum):
    """How a person hears of a kind of notification besides the bell."""

    SOFORT = "sofort"
    TAEGLICH = "taeglich"
    WOECHENTLICH = "woechentlich"
    PORTAL = "portal"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.SOFORT: "E-Mail sofort",
    Channel.TAEGLICH: "Tägliche Zusammenfassung",
    Channel.WOECHENTLICH: "Wöchentliche Zusammenfassung",
    Channel.PORTAL: "Nur im Portal",
}
#: The channels that collect notifications into a digest.
DIGEST_CHANNELS = (Channel.TAEGLICH, Channel.WOECHENTLICH)


@dataclass(frozen=True)
class Kind:
    key: str
    #: Shown on the settings page ("Rückfrage zu meinem Antrag").
    label: str
    default: Channel
    #: Roles for which the kind is listed on the settings page (None: everyone).
    roles: tuple[Role, ...] | None = None


_ALL_KINDS = [
    Kind("proposal_returned", "Rückfrage zu einem Antrag", Channel.SOFORT, (Role.FACHKRAFT, Role.KOORDINATION)),
    Kind("proposal_decided", "Freigabe oder Ablehnung eines Antrags", Channel.SOFORT,
         (Role.FACHKRAFT, Role.KOORDINATION)),
    Kind("proposal_commented", "Kommentar in der Diskussion eines Antrags", Channel.SOFORT,
         (Role.FACHKRAFT, Role.KOORDINATION)),
    Kind("report_due", "Wirkungsbericht fällig", Channel.SOFORT, (Role.FACHKRAFT, Role.KOORDINATION)),
    Kind("report_returned", "Wirkungsbericht zurückgegeben", Channel.SOFORT, (Role.FACHKRAFT, Role.KOORDINATION)),
    Kind("proposal_submitted", "Antrag eingereicht", Channel.SOFORT, (Role.LEITUNG,)),
    Kind("report_submitted", "Wirkungsbericht eingereicht", Channel.SOFORT, (Role.LEITUNG,)),
    Kind("post_commented", "Kommentar zu meinem Beitrag", Channel.SOFORT),
    Kind("post_moderated", "Mein Beitrag wurde ausgeblendet oder freigegeben", Channel.SOFORT),
    Kind("board_post", "Neue Beiträge auf Pinnwänden, denen ich folge", Channel.TAEGLICH),
    Kind("moderation_pending", "Beitrag wartet auf Prüfung", Channel.SOFORT, (Role.MODERATION, Role.ADMIN)),
    Kind("moderation_reported", "Beitrag oder Kommentar gemeldet", Channel.SOFORT, (Role.MODERATION, Role.ADMIN)),
    Kind("meeting_scheduled", "AG-Sitzung angesetzt oder verlegt", Channel.SOFORT),
    Kind("meeting_invitation", "Einladung zu einer AG-Sitzung (mit Kalendereintrag), Änderung oder Absage",
         Channel.SOFORT),
    Kind("minutes_published", "Niederschrift veröffentlicht", Channel.SOFORT),
    Kind("minutes_approved", "Niederschrift genehmigt", Channel.TAEGLICH),
    Kind("task_assigned", "Aufgabe aus einer AG-Sitzung", Channel.SOFORT),
    Kind("change_request_answered", "Antwort auf meinen Änderungswunsch", Channel.SOFORT),
    Kind("account_waiting", "Neues Konto über einen Einladungslink wartet auf Freigabe", Channel.SOFORT,
         (Role.MODERATION, Role.KOORDINATION)),
    Kind("account_released", "Mein Konto wurde freigegeben", Channel.SOFORT, (Role.EHRENAMT,)),
    Kind("budget_request_waiting", "Budget-Antrag eingereicht oder Rückfrage beantwortet", Channel.SOFORT,
         (Role.KOORDINATION,)),
    Kind("budget_request_decided", "Entscheidung oder Rückfrage zu meinem Budget-Antrag", Channel.SOFORT,
         (Role.EHRENAMT,)),
]
KINDS: dict[str, Kind] = {k.key: k for k in _ALL_KINDS}


def kinds_for(user) -> list[Kind]:
    """The kinds listed on ``user``'s settings page."""
    return [k for k in _ALL_KINDS if k.roles is None or user.has_role(*k.roles)]


class Notification(db.Model):
    """One entry under the bell: a sentence with a link, for one person."""

    __tablename__ = "notification"
    __table_args__ = (
        # The bell: unread entries of a user (read_at IS NULL), counted on every full page.
        Index("ix_notification_user_unread", "user_id", "read_at"),
        # The list, newest first (keyset on id).
        Index("ix_notification_user_id", "user_id", "id"),
        # Digests: a user's entries of a period.
        Index("ix_notification_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: Key of ``KINDS``, e.g. "proposal_returned".
    kind: Mapped[str] = mapped_column(String(40))
    #: What the entry is about, for grouping in digests: "proposal:12", "board:3", "meeting:7".
    subject_key: Mapped[str] = mapped_column(String(60))
    #: Title of that object, the heading of its group in a digest.
    subject_title: Mapped[str] = mapped_column(String(300), default="")
    #: The sentence shown, e.g. "Leitung hat zu „Elterncafé“ eine Rückfrage gestellt".
    text: Mapped[str] = mapped_column(String(500))
    #: Further detail the recipient may read (a reason, a due date); plain text.
    detail: Mapped[str] = mapped_column(Text, default="")
    #: Path inside the portal the entry leads to.
    url: Mapped[str] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def can_view(self, user) -> bool:
        return bool(user and user.is_authenticated and user.id == self.user_id)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind_label(self) -> str:
        kind = KINDS.get(self.kind)
        return kind.label if kind else self.kind


class NotificationSetting(db.Model):
    """A person's choice for one kind; no row means the kind's default."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))


class BoardFollow(db.Model):
    """Following (or not following) one Ortsteil's board; no row means: follow the own Ortsteile."""

    __tablename__ = "board_follow"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    ortsteil_id: Mapped[int] = mapped_column(ForeignKey("ortsteil.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    following: Mapped[bool] = mapped_column(Boolean, default=True)


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMail(db.Model):
    """A mail waiting to be sent (or sent): written in the transaction of the change that caused it."""

    __tablename__ = "outbox_mail"
    __table_args__ = (
        # The sender's queue: pending mails that are due, oldest first.
        Index("ix_outbox_mail_queue", "status", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    #: Extra headers (List-Unsubscribe, List-Unsubscribe-Post).
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Files sent with the mail: [{"filename", "content_type", "params", "content"}], text content only
    #: (e.g. the .ics of an AG invitation, content type text/calendar with params {"method": "REQUEST"}).
    attachments: Mapped[list | None] = mapped_column(JSON)
    #: Kind of notification, "digest:taeglich"/"digest:woechentlich", or "account".
    kind: Mapped[str] = mapped_column(String(40))
    #: Message-ID, fixed when the mail is written so that a retry is the same message.
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Which sender run holds the mail while it is being sent.
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @staticmethod
    def can_view(user) -> bool:
        """The Postausgang is the Administration's."""
        return bool(user and user.is_authenticated and user.is_admin)


class DigestRun(db.Model):
    """Up to when a person's daily or weekly digest has been made: the next covers what follows."""

    __tablename__ = "digest_run"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), primary_key=True)
    covered_until: Mapped[datetime] = mapped_column(UTCDateTime)
