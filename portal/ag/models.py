"""AG 78: working groups (§ 78 SGB VIII), their members, meetings, agenda, minutes and tasks.

Shaped after the OParl objects that council systems use (Organization, Membership, Meeting,
AgendaItem, File), so an AG's records can later move into the city's council system.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, Time,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import Role, User
from portal.extensions import UTCDateTime, db, str_enum, utcnow
from portal.formatting import BERLIN
from portal.org.models import Traeger



class Function(enum.StrEnum):
    """What a member does in the AG."""

    SPRECHER = "sprecher"
    STELLV_SPRECHER = "stellv_sprecher"
    PROTOKOLL = "protokoll"
    MITGLIED = "mitglied"
    GAST = "gast"

    @property
    def label(self) -> str:
        return FUNCTION_LABELS[self]


FUNCTION_LABELS = {
    Function.SPRECHER: "Sprecher:in",
    Function.STELLV_SPRECHER: "stellvertretende Sprecher:in",
    Function.PROTOKOLL: "Protokoll",
    Function.MITGLIED: "Mitglied",
    Function.GAST: "Gast",
}
#: Functions that prepare meetings and write, publish and approve the minutes.
EDITOR_FUNCTIONS = frozenset({Function.SPRECHER, Function.STELLV_SPRECHER, Function.PROTOKOLL})


class MeetingStatus(enum.StrEnum):
    GEPLANT = "geplant"
    EINGELADEN = "eingeladen"
    DURCHGEFUEHRT = "durchgefuehrt"
    ABGESAGT = "abgesagt"

    @property
    def label(self) -> str:
        return {"geplant": "geplant", "eingeladen": "eingeladen", "durchgefuehrt": "durchgeführt",
                "abgesagt": "abgesagt"}[self.value]


class MinutesStatus(enum.StrEnum):
    """Lifecycle of a Niederschrift; the allowed steps are in portal.ag.minutes.TRANSITIONS."""

    ENTWURF = "entwurf"
    VEROEFFENTLICHT = "veroeffentlicht"
    GENEHMIGT = "genehmigt"

    @property
    def label(self) -> str:
        return {"entwurf": "Entwurf", "veroeffentlicht": "Veröffentlicht", "genehmigt": "Genehmigt"}[self.value]


class ChangeRequestStatus(enum.StrEnum):
    """State of a Änderungswunsch; übernommen and abgelehnt carry the Protokoll's answer."""

    OFFEN = "offen"
    UEBERNOMMEN = "uebernommen"
    ABGELEHNT = "abgelehnt"

    @property
    def label(self) -> str:
        return {"offen": "offen", "uebernommen": "übernommen", "abgelehnt": "abgelehnt"}[self.value]


class Presence(enum.StrEnum):
    ANWESEND = "anwesend"
    ENTSCHULDIGT = "entschuldigt"
    FEHLT = "fehlt"
    #: The member was away and their Stellvertretung was there (and voted) in their place.
    VERTRETEN = "vertreten"

    @property
    def label(self) -> str:
        return {"anwesend": "anwesend", "entschuldigt": "entschuldigt", "fehlt": "fehlt",
                "vertreten": "vertreten (Stellvertretung anwesend)"}[self.value]

    @property
    def counts_for_quorum(self) -> bool:
        """Present in person or through the deputy: counts for the Beschlussfähigkeit."""
        return self in (Presence.ANWESEND, Presence.VERTRETEN)


class ReplyAnswer(enum.StrEnum):
    """A member's answer to the invitation (Zusage / Absage / Vertretung)."""

    ZUSAGE = "zusage"
    ABSAGE = "absage"
    #: Absage, and the named Stellvertretung comes instead.
    VERTRETUNG = "vertretung"

    @property
    def label(self) -> str:
        return {"zusage": "Zusage", "absage": "Absage", "vertretung": "Absage, die Stellvertretung kommt"}[self.value]

    @property
    def presence(self) -> Presence:
        """What the attendance form is prefilled with on the day."""
        return {"zusage": Presence.ANWESEND, "absage": Presence.ENTSCHULDIGT,
                "vertretung": Presence.VERTRETEN}[self.value]


#: Ladungsfrist when the Geschäftsordnung names none: invitations reach members 14 days ahead.
DEFAULT_NOTICE_DAYS = 14
#: Functions that may change the AG's Geschäftsordnung settings (besides Administration).
SETTINGS_FUNCTIONS = frozenset({Function.SPRECHER, Function.STELLV_SPRECHER})


class WorkingGroup(db.Model):
    """An Arbeitsgemeinschaft nach § 78 SGB VIII (OParl: Organization)."""

    __tablename__ = "ag_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL part, e.g. "hze".
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: Full name, e.g. "AG 78 Hilfen zur Erziehung (ambulante und stationäre Träger)".
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: Short name used in the calendar and in titles, e.g. "AG 78 HzE".
    short_name: Mapped[str] = mapped_column(String(60))
    #: What the AG is about (Markdown).
    description: Mapped[str] = mapped_column(Text, default="")
    #: Geschäftsordnung as adopted (Markdown).
    rules: Mapped[str] = mapped_column(Text, default="")
    #: Day the Geschäftsordnung was adopted.
    rules_adopted_on: Mapped[date | None] = mapped_column(Date)
    #: Whether a new TOP is öffentlich (Ö) unless marked otherwise; False: nicht öffentlich (N).
    agenda_public_default: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Ladungsfrist of the Geschäftsordnung: days between the invitation and the meeting.
    notice_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_NOTICE_DAYS)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last change of the AG itself (OParl ``modified``).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="group", cascade="all, delete-orphan")
    meetings: Mapped[list[Meeting]] = relationship(back_populates="group", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name

    # --- permissions -------------------------------------------------------------------
    # ``functions_of`` is the set of functions the user holds in this AG today; views load
    # it once per request (services.functions_of) and pass it in, templates call the same.
    @staticmethod
    def sees_all(user) -> bool:
        """Leitung and Administration see every AG without being a member."""
        return user.is_authenticated and user.has_role(Role.ADMIN, Role.LEITUNG)

    def can_view(self, user, functions: frozenset[Function]) -> bool:
        return bool(functions) or self.sees_all(user)

    @staticmethod
    def can_edit(functions: frozenset[Function]) -> bool:
        """Prepare meetings and write the minutes: Protokoll and Sprecher:innen only."""
        return bool(functions & EDITOR_FUNCTIONS)

    @staticmethod
    def can_manage(user) -> bool:
        """Change the AG itself and its memberships: Administration."""
        return user.is_authenticated and user.is_admin

    @staticmethod
    def sees_closed(functions: frozenset[Function]) -> bool:
        """Nicht öffentliche TOPs (their minutes, decisions and Anlagen) are for the AG's members
        only – not for the Leitung or Administration who see the AG without being members."""
        return bool(functions)
    @classmethod
    def can_configure(cls, user, functions: frozenset[Function]) -> bool:
        """Change the settings from the Geschäftsordnung (Ladungsfrist): Administration and Sprecher:innen."""
        return cls.can_manage(user) or bool(functions & SETTINGS_FUNCTIONS)


class Membership(db.Model):
    """A person in an AG, for a Träger, with or without a vote (OParl: Membership)."""

    __tablename__ = "ag_membership"
    __table_args__ = (Index("ix_ag_membership_group_user", "group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("ag_group.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The Träger the person represents in the AG (OParl: onBehalfOf).
    traeger_id: Mapped[int | None] = mapped_column(ForeignKey("traeger.id", ondelete="SET NULL"))
    #: Stimmberechtigt: counts for the quorum and may vote.
    voting: Mapped[bool] = mapped_column(Boolean, default=False)
    function: Mapped[Function] = mapped_column(str_enum(Function), default=Function.MITGLIED)
    valid_from: Mapped[date] = mapped_column(Date)
    #: Last day of the membership; empty while it lasts.
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Stellvertretung: the person who comes and votes when this (voting) member cannot.
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: The deputy's own term: first and last day (empty: open-ended).
    deputy_from: Mapped[date | None] = mapped_column(Date)
    deputy_to: Mapped[date | None] = mapped_column(Date)

    group: Mapped[WorkingGroup] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    traeger: Mapped[Traeger | None] = relationship()
    deputy: Mapped[User | None] = relationship(foreign_keys=[deputy_id])

    def active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)

    def deputy_on(self, day: date) -> User | None:
        """The Stellvertretung valid on ``day`` (only voting members have one that counts), or None."""
        if not self.voting or self.deputy_id is None or not self.active_on(day):
            return None
        if (self.deputy_from and self.deputy_from > day) or (self.deputy_to and self.deputy_to < day):
            return None
        return self.deputy


class Meeting(db.Model):
    """A Sitzung of an AG with its Niederschrift (OParl: Meeting)."""

    __tablename__ = "ag_meeting"
    __table_args__ = (
        UniqueConstraint("group_id", "number", name="uq_ag_meeting_group_number"),
        Index("ix_ag_meeting_group_date", "group_id", "date"),
        CheckConstraint("end_time > start_time", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("ag_group.id", ondelete="CASCADE"))
    #: Running number within the AG: 3 -> "3. Sitzung".
    number: Mapped[int] = mapped_column(Integer)
    #: Day and local (Europe/Berlin) start and end time.
    date: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[MeetingStatus] = mapped_column(str_enum(MeetingStatus), default=MeetingStatus.GEPLANT)
    #: Guests who are not members, one per line (name and function, no private data).
    guests: Mapped[str] = mapped_column(Text, default="")
    #: iCalendar SEQUENCE: raised whenever date, time, place or status change (portal.ag.meetings).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    minutes_status: Mapped[MinutesStatus] = mapped_column(str_enum(MinutesStatus), default=MinutesStatus.ENTWURF)
    #: When readers last got something new to read (publication, Berichtigung); a read receipt older
    #: than this makes the minutes "new" again. Approval changes no text, so it does not count.
    minutes_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Where the approval happened, e.g. "in der 2. Sitzung am 12.05.2026".
    approval_note: Mapped[str] = mapped_column(String(300), default="")
    #: Einladung: when it was sent and by whom (None: not yet invited).
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Ladungsfrist not met: why the invitation went out anyway (shown in the invitation).
    short_notice_reason: Mapped[str] = mapped_column(Text, default="")

    group: Mapped[WorkingGroup] = relationship(back_populates="meetings")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position")
    attendance: Mapped[list[Attendance]] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    events: Mapped[list[MinutesEvent]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MinutesEvent.id")
    corrections: Mapped[list[Correction]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Correction.id")
    change_requests: Mapped[list[ChangeRequest]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="ChangeRequest.id")
    attachments: Mapped[list[MeetingAttachment]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingAttachment.id")
    replies: Mapped[list[MeetingReply]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingReply.membership_id")

    @property
    def title(self) -> str:
        return f"{self.number}. Sitzung"

    @property
    def full_title(self) -> str:
        return f"{self.group.short_name} – {self.number}. Sitzung"

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date, self.start_time, tzinfo=BERLIN)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.end_time, tzinfo=BERLIN)

    @property
    def is_frozen(self) -> bool:
        return self.minutes_status == MinutesStatus.GENEHMIGT

    def publish_blocker(self, now: datetime) -> str | None:
        """Why the minutes may not be published yet, or None: only after the meeting has started
        and with attendance recorded (a Niederschrift of a meeting that has not happened is void)."""
        if self.starts_at > now:
            return "Die Sitzung hat noch nicht begonnen; die Niederschrift kann erst danach veröffentlicht werden."
        if not self.attendance:
            return "Bitte zuerst die Anwesenheit erfassen; ohne sie kann die Niederschrift nicht veröffentlicht werden."
        return None

    @property
    def is_invited(self) -> bool:
        return self.invited_at is not None

    def notice_days_left(self, today: date) -> int:
        """Whole days from ``today`` to the meeting day (the Ladungsfrist is counted in days)."""
        return (self.date - today).days

    def can_reply(self, now: datetime) -> bool:
        """Replies are taken once invited, until the meeting starts, unless it was called off."""
        return self.is_invited and self.status != MeetingStatus.ABGESAGT and self.starts_at > now

    def minutes_visible(self, editor: bool) -> bool:
        """Readers see the minutes once published; editors see the draft as well."""
        return editor or self.minutes_status != MinutesStatus.ENTWURF


class AgendaItem(db.Model):
    """A TOP with its part of the minutes (OParl: AgendaItem)."""

    __tablename__ = "ag_agenda_item"
    __table_args__ = (Index("ix_ag_agenda_item_meeting_position", "meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"))
    #: Order on the agenda, 1-based; "TOP {position}".
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    #: What the TOP is about (shown in the invitation).
    description: Mapped[str] = mapped_column(Text, default="")
    #: The minutes of this TOP (Markdown) and their sanitised HTML.
    minutes: Mapped[str] = mapped_column(Text, default="")
    minutes_html: Mapped[str] = mapped_column(Text, default="")
    #: Öffentlich (Ö) or nicht öffentlich (N): N TOPs with their minutes, decisions and Anlagen are
    #: for the AG's members only (WorkingGroup.sees_closed) and never leave the portal anonymously.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Optimistic lock: two people editing the same TOP -> the later one gets 409.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="agenda_item", cascade="all, delete-orphan", order_by="Decision.id")
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="agenda_item", order_by="ActionItem.id")

    @property
    def label(self) -> str:
        return f"TOP {self.position}"

    @property
    def public_label(self) -> str:
        return "öffentlich" if self.public else "nicht öffentlich"


class Decision(db.Model):
    """A Beschluss taken under a TOP."""

    __tablename__ = "ag_decision"
    __table_args__ = (CheckConstraint("yes >= 0 AND no >= 0 AND abstain >= 0", name="votes_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("ag_agenda_item.id", ondelete="CASCADE"), index=True)
    #: Beschlusstext, e.g. "Die Geschäftsordnung wird mit den besprochenen Änderungen beschlossen."
    text: Mapped[str] = mapped_column(Text)
    yes: Mapped[int] = mapped_column(Integer, default=0)
    no: Mapped[int] = mapped_column(Integer, default=0)
    abstain: Mapped[int] = mapped_column(Integer, default=0)
    #: True: angenommen (more yes than no votes); False: abgelehnt.
    accepted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="decisions")

    @property
    def result_label(self) -> str:
        return "angenommen" if self.accepted else "abgelehnt"


class ActionItem(db.Model):
    """An Aufgabe agreed in a meeting; open ones follow the AG into later meetings until done."""

    __tablename__ = "ag_action_item"
    __table_args__ = (Index("ix_ag_action_item_group_open", "group_id", "done_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("ag_group.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("ag_agenda_item.id", ondelete="SET NULL"),
                                                       index=True)
    task: Mapped[str] = mapped_column(Text)
    #: Who takes care of it (name or Träger, as agreed in the meeting).
    responsible: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship(back_populates="action_items")

    @property
    def done(self) -> bool:
        return self.done_at is not None


class Attendance(db.Model):
    """Whether a member was there; one row per member and meeting."""

    __tablename__ = "ag_attendance"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("ag_membership.id", ondelete="CASCADE"),
                                               primary_key=True, index=True)
    presence: Mapped[Presence] = mapped_column(str_enum(Presence))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    membership: Mapped[Membership] = relationship()


class MeetingReply(db.Model):
    """A member's Zusage, Absage or Vertretung for an invited meeting; one per membership."""

    __tablename__ = "ag_meeting_reply"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("ag_membership.id", ondelete="CASCADE"),
                                               primary_key=True, index=True)
    answer: Mapped[ReplyAnswer] = mapped_column(str_enum(ReplyAnswer))
    #: The deputy who comes (answer "vertretung"), as named in the membership on the meeting day.
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    replied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="replies")
    membership: Mapped[Membership] = relationship()
    deputy: Mapped[User | None] = relationship()


class MinutesEvent(db.Model):
    """Every state change of a Niederschrift: who, when, why."""

    __tablename__ = "ag_minutes_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[MinutesStatus] = mapped_column(str_enum(MinutesStatus))
    to_status: Mapped[MinutesStatus] = mapped_column(str_enum(MinutesStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Correction(db.Model):
    """A Berichtigung: a dated addendum to approved minutes (they are never edited silently)."""

    __tablename__ = "ag_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), index=True)
    #: The TOP the correction is about, if any.
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("ag_agenda_item.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    text_html: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="corrections")
    agenda_item: Mapped[AgendaItem | None] = relationship()
    author: Mapped[User | None] = relationship()


class ChangeRequest(db.Model):
    """A member's request to change published minutes before they are approved."""

    __tablename__ = "ag_change_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), index=True)
    #: The TOP it refers to (required for new requests; None on requests from before issue 15 or
    #: when the TOP was deleted).
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("ag_agenda_item.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ChangeRequestStatus] = mapped_column(str_enum(ChangeRequestStatus),
                                                        default=ChangeRequestStatus.OFFEN)
    #: The Protokoll's answer (required when abgelehnt).
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="change_requests")
    agenda_item: Mapped[AgendaItem | None] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == ChangeRequestStatus.OFFEN


class ReadReceipt(db.Model):
    """A member confirmed reading the minutes (Kenntnisnahme)."""

    __tablename__ = "ag_read_receipt"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetingAttachment(db.Model):
    """An Anlage to a meeting or one of its TOPs (OParl: File)."""

    __tablename__ = "ag_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("ag_agenda_item.id", ondelete="CASCADE"),
                                                       index=True)
    #: Random name under UPLOAD_DIR (portal.uploads).
    storage_name: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="attachments")
    agenda_item: Mapped[AgendaItem | None] = relationship()
