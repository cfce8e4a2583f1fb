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
        # The month grid, agenda and feed ask "which events touch [start, end)?", and whether any
        # of them changed (count, sum of ids, newest updated_at, sum of sequence: from the index alone).
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
    #: services.save_event so that window queries need no expansion.
    span_start: Mapped[datetime] = mapped_column(UTCDateTime)
    span_end: Mapped[datetime] = mapped_column(UTCDateTime)

    #: The whole event (every occurrence) is called off; it stays visible, struck through.
    cancelled: Mapped[bool] = mapped_column(default=False)
    #: iCalendar SEQUENCE, raised on every change so clients take the new version.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)

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

    # --- permissions -------------------------------------------------------------------------
    def can_view(self, user) -> bool:
        # One shared calendar: every signed-in user sees every event.
        return bool(user and user.is_authenticated)

    def can_edit(self, user) -> bool:
        """The creator (while the event lies in their scope) and Moderation/Administration."""
        if not (user and user.is_authenticated):
            return False
        if user.has_role(Role.MODERATION, Role.ADMIN):
            return True
        return self.created_by_id == user.id and may_write(user, self.scope, self.sozialraum_id,
                                                            self.ortsteil, self.traeger_id)

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


def may_write(user, scope: Scope, sozialraum_id: int | None, ortsteil: Ortsteil | None,
              traeger_id: int | None) -> bool:
    """May ``user`` put an event with this scope and organiser into the calendar?

    Volunteers for their Ortsteile, Fachkraft for their Träger, Koordination for its Sozialraum
    (and its Ortsteile), Moderation and Administration everywhere.
    """
    if user.has_role(Role.MODERATION, Role.ADMIN):
        return True
    if user.has_role(Role.EHRENAMT) and scope == Scope.ORTSTEIL and ortsteil is not None \
            and ortsteil.id in {o.id for o in user.ortsteile}:
        return True
    if user.has_role(Role.FACHKRAFT) and user.traeger_id and traeger_id == user.traeger_id:
        return True
    if user.has_role(Role.KOORDINATION) and user.sozialraum_id:
        if scope == Scope.SOZIALRAUM and sozialraum_id == user.sozialraum_id:
            return True
        if scope == Scope.ORTSTEIL and ortsteil is not None and ortsteil.sozialraum_id == user.sozialraum_id:
            return True
    return False


def may_create_events(user) -> bool:
    """Has ``user`` any scope to write in (shows the "Termin eintragen" button)?"""
    return bool(
        user.has_role(Role.MODERATION, Role.ADMIN)
        or (user.has_role(Role.EHRENAMT) and user.ortsteile)
        or (user.has_role(Role.FACHKRAFT) and user.traeger_id)
        or (user.has_role(Role.KOORDINATION) and user.sozialraum_id)
    )


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


class FeedToken(db.Model):
    """The secret of a user's personal iCalendar feed; one per user, a new one revokes the old."""

    __tablename__ = "calendar_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
