"""Calendar events, changes to single occurrences of a series, and personal feed tokens.

Times are stored in UTC; a series repeats in Europe/Berlin wall time (see ``recurrence.py``), so a
weekly 18:00 event stays at 18:00 across the summer-time change.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import Role, User
from portal.extensions import UTCDateTime, db, str_enum, utcnow
from portal.org.models import Ortsteil, Sozialraum, Traeger


class Category(enum.StrEnum):
    TREFFEN = "treffen"
    ANGEBOT = "angebot"
    FEST = "fest"
    FORTBILDUNG = "fortbildung"
    SITZUNG = "sitzung"
    SONSTIGES = "sonstiges"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.value]


CATEGORY_LABELS = {
    "treffen": "Treffen", "angebot": "Angebot", "fest": "Fest", "fortbildung": "Fortbildung",
    "sitzung": "Sitzung", "sonstiges": "Sonstiges",
}


class Scope(enum.StrEnum):
    """Whom an event concerns. AG 78 meetings come from the AG feature through ``sources.py``."""

    STADT = "stadt"
    SOZIALRAUM = "sozialraum"
    ORTSTEIL = "ortsteil"


class Repeat(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    #: Monthly on the day of the month of the first date (1–28).
    MONTHLY_DATE = "monthly_date"
    #: Monthly on the n-th weekday of the first date ("jeden 1. Mittwoch").
    MONTHLY_WEEKDAY = "monthly_weekday"


class Event(db.Model):
    __tablename__ = "calendar_event"
    __table_args__ = (
        # The month grid, agenda and feed ask "which events touch [start, end)?" (span_end first:
        # most events of a long-running calendar lie in the past).
        Index("ix_calendar_event_span", "span_end", "span_start", "updated_at", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: iCalendar UID; never changes, so subscribed clients update instead of duplicating.
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown source as typed.
    description: Mapped[str] = mapped_column(Text, default="")
    #: Sanitised HTML of ``description``, rendered when saving.
    description_html: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    #: Whom to ask, e.g. "Anna Krause, 03643 123456".
    contact: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[Category] = mapped_column(str_enum(Category), default=Category.TREFFEN)

    scope: Mapped[Scope] = mapped_column(str_enum(Scope), default=Scope.STADT)
    #: Set for scope Sozialraum and (denormalised from the Ortsteil) for scope Ortsteil, so the
    #: Sozialraum filter is one comparison.
    sozialraum_id: Mapped[int | None] = mapped_column(ForeignKey("sozialraum.id"), index=True)
    ortsteil_id: Mapped[int | None] = mapped_column(ForeignKey("ortsteil.id"), index=True)
    #: Organising Träger; without one the Ortsteil (its volunteers) organises.
    traeger_id: Mapped[int | None] = mapped_column(ForeignKey("traeger.id"), index=True)

    all_day: Mapped[bool] = mapped_column(default=False)
    #: Start of the (first) occurrence. All-day events start at local midnight.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: End of the (first) occurrence; for all-day events local midnight after the last day.
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    repeat: Mapped[Repeat] = mapped_column(str_enum(Repeat), default=Repeat.NONE)
    #: Every n weeks / months.
    interval: Mapped[int] = mapped_column(default=1)
    #: Weekly: iCalendar weekday codes, e.g. "TU,FR".
    weekdays: Mapped[str] = mapped_column(String(30), default="")
    #: Last day of the series (inclusive, local date) …
    until: Mapped[date | None] = mapped_column()
    #: … or the number of occurrences.
    count: Mapped[int | None] = mapped_column()

    #: Earliest start and latest end of all occurrences (moved ones included); kept up to date by
    #: the operations in services.py so that window queries need no expansion.
    span_start: Mapped[datetime] = mapped_column(UTCDateTime)
    span_end: Mapped[datetime] = mapped_column(UTCDateTime)

    #: The whole event (every occurrence) is called off; it stays visible, struck through.
    cancelled: Mapped[bool] = mapped_column(default=False)
    #: iCalendar SEQUENCE, raised by every operation so clients take the new version; the edit
    #: forms also send it back as the version they started from (a stale one is a 409).
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # SEQUENCE doubles as the version for optimistic locking: an UPDATE or DELETE of a version another
    # writer has replaced in the meantime fails (StaleDataError -> 409 in services._flush).
    __mapper_args__ = {"version_id_col": sequence, "version_id_generator": False}

    sozialraum: Mapped[Sozialraum | None] = relationship()
    ortsteil: Mapped[Ortsteil | None] = relationship()
    traeger: Mapped[Traeger | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    exceptions: Mapped[list[OccurrenceChange]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="OccurrenceChange.original_start"
    )

    # --- presentation ----------------------------------------------------------------------
    @property
    def is_recurring(self) -> bool:
        return self.repeat != Repeat.NONE

    @property
    def scope_label(self) -> str:
        return scope_label(self.scope, self.ortsteil.name if self.ortsteil else None,
                           self.sozialraum.name if self.sozialraum else None)

    @property
    def organiser(self) -> str:
        return organiser(self.traeger.short_name if self.traeger else None,
                         self.ortsteil.name if self.ortsteil else None)

    # --- permissions: the one rule for who may write calendar events ------------------------
    def can_view(self, user) -> bool:
        # One shared calendar: every signed-in user sees every event.
        return bool(user and user.is_authenticated)

    def can_edit(self, user) -> bool:
        """The creator (while the event lies in a scope they may write in) and Moderation/Administration.

        Editing covers everything done to an event: its fields, calling it (or one date) off, moving
        a date, deleting it."""
        if not (user and user.is_authenticated):
            return False
        if user.has_role(Role.MODERATION, Role.ADMIN):
            return True
        return self.created_by_id == user.id and Event.may_create(user, self.scope, self.sozialraum_id,
                                                                   self.ortsteil, self.traeger_id)

    @staticmethod
    def may_create(user, scope: Scope, sozialraum_id: int | None, ortsteil: Ortsteil | None,
                   traeger_id: int | None) -> bool:
        """May ``user`` put an event with this scope and organiser into the calendar?

        Volunteers for their Ortsteile, Fachkraft for their Träger (anywhere), Koordination for its
        Sozialraum (and its Ortsteile), Moderation and Administration everywhere. ``ortsteil`` is the
        Ortsteil of scope "ortsteil" (its Sozialraum counts), ``sozialraum_id`` that of scope
        "sozialraum". The form's choices (``writable_choices``), the "Termin eintragen" button
        (``may_create_any``) and ``can_edit`` derive from this rule.
        """
        if not (user and user.is_authenticated):
            return False
        if user.has_role(Role.MODERATION, Role.ADMIN):
            return True
        if user.has_role(Role.EHRENAMT) and scope == Scope.ORTSTEIL and ortsteil is not None \
                and any(o.id == ortsteil.id for o in user.ortsteile):
            return True
        if user.has_role(Role.FACHKRAFT) and user.traeger_id and traeger_id == user.traeger_id:
            return True
        if user.has_role(Role.KOORDINATION) and user.sozialraum_id:
            if scope == Scope.SOZIALRAUM and sozialraum_id == user.sozialraum_id:
                return True
            if scope == Scope.ORTSTEIL and ortsteil is not None and ortsteil.sozialraum_id == user.sozialraum_id:
                return True
        return False

    @staticmethod
    def writable_choices(user, sozialraeume, ortsteile, traeger) -> tuple[list[tuple[str, str]], list[int | None]]:
        """Where ``user`` may put an event and for which Träger, derived from ``may_create``.

        Returns (scope choices as (value, label), Träger ids with None for "kein Träger"): a place is
        offered when some offered organiser makes it writable, an organiser when some place does.
        """
        organisers: list[int | None] = [None, *(t.id for t in traeger)]
        places = [("stadt", "Ganze Stadt", Scope.STADT, None, None)]
        places += [(f"sozialraum:{s.id}", f"Sozialraum {s.name}", Scope.SOZIALRAUM, s.id, None) for s in sozialraeume]
        places += [(f"ortsteil:{o.id}", f"Ortsteil {o.name}", Scope.ORTSTEIL, o.sozialraum_id, o) for o in ortsteile]
        scopes, allowed = [], set()
        for value, label, scope, sozialraum_id, ortsteil in places:
            ok = [t for t in organisers if Event.may_create(user, scope, sozialraum_id, ortsteil, t)]
            if ok:
                scopes.append((value, label))
                allowed.update(ok)
        return scopes, [t for t in organisers if t in allowed]

    @staticmethod
    def may_create_any(user) -> bool:
        """Has ``user`` any place to write in (the "Termin eintragen" button, the form page)?

        The same as ``writable_choices`` offering something, without reading every place: each
        branch of ``may_create`` holds for some place exactly when its condition here holds
        (tests/test_calendar.py ties both for every demo role)."""
        if not (user and user.is_authenticated):
            return False
        return bool(
            user.has_role(Role.MODERATION, Role.ADMIN)
            or (user.has_role(Role.EHRENAMT) and user.ortsteile)
            or (user.has_role(Role.FACHKRAFT) and user.traeger_id)
            or (user.has_role(Role.KOORDINATION) and user.sozialraum_id)
        )

    def __str__(self) -> str:
        return self.title


def scope_label(scope: Scope, ortsteil_name: str | None, sozialraum_name: str | None) -> str:
    """Whom an event is for, e.g. "Ortsteil Taubach" (also for rows read without the ORM)."""
    if scope == Scope.ORTSTEIL and ortsteil_name:
        return f"Ortsteil {ortsteil_name}"
    if scope == Scope.SOZIALRAUM and sozialraum_name:
        return f"Sozialraum {sozialraum_name}"
    return "Ganze Stadt"


def organiser(traeger_short_name: str | None, ortsteil_name: str | None) -> str:
    """Who organises an event: its Träger, else the volunteers of its Ortsteil."""
    if traeger_short_name:
        return traeger_short_name
    if ortsteil_name:
        return f"Ehrenamtliche {ortsteil_name}"
    return ""


class OccurrenceChange(db.Model):
    """One occurrence of a series cancelled or moved (iCalendar EXDATE / RECURRENCE-ID)."""

    __tablename__ = "calendar_occurrence_change"
    __table_args__ = (UniqueConstraint("event_id", "original_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("calendar_event.id", ondelete="CASCADE"), index=True)
    #: Start the occurrence has by the series rule (its RECURRENCE-ID).
    original_start: Mapped[datetime] = mapped_column(UTCDateTime)
    #: This occurrence does not take place.
    cancelled: Mapped[bool] = mapped_column(default=False)
    #: New start and end when the occurrence was moved.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why, shown with the occurrence, e.g. "Ferien" or "diesmal im Gemeindehaus".
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="exceptions")


#: Feed addresses one person may hold at a time (office, phone, a filtered one …).
MAX_FEEDS_PER_USER = 10


class FeedToken(db.Model):
    """The secret of one of a user's personal iCalendar feeds. A person may hold several (named,
    e.g. "Outlook im Büro", "Handy"); each is revoked on its own."""

    __tablename__ = "calendar_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: What the person calls it, e.g. "Handy".
    name: Mapped[str] = mapped_column(String(80), default="")
    #: The filter the address was made with, as its query string (e.g. "ortsteil=3&category=fest"),
    #: to describe it in the list; the address itself carries it.
    filter_args: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def can_revoke(self, user) -> bool:
        """Only its owner revokes an address (others do not even learn it exists)."""
        return bool(user and user.is_authenticated and user.id == self.user_id)
