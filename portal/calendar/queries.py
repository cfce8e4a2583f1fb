"""Which events touch a window: the calendar's reads.

The month grid, agenda, feed and the board's "next dates" all start from "the events with an
occurrence in [start, end) that pass the filters". ``span_start``/``span_end`` (kept by the
operations in services.py) make that one indexed comparison, however long a series runs.
Plain SQLAlchemy statements: SQLAlchemy caches their compiled SQL itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.calendar.models import Category, Event, OccurrenceChange, Repeat, Scope, organiser, scope_label
from portal.calendar.sources import ExternalEvent, external_events
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger

#: How many single starts the agenda's probe reads; a day busier than this gets the quarter.
AGENDA_PROBE_LIMIT = 200


@dataclass(frozen=True)
class Filters:
    """What a person narrows the calendar to.

    A place filter keeps the dates that concern everybody there: an Ortsteil also shows its
    Sozialraum's dates, and both show the dates for the whole city and the AG meetings (a
    volunteer filtering on her Ortsteil still wants the Fachtag). ``only_here`` leaves those out.
    """

    sozialraum_id: int | None = None
    ortsteil_id: int | None = None
    category: str | None = None
    #: With a place filter: only the place's own dates, without city-wide dates and AG meetings.
    only_here: bool = False

    @property
    def by_place(self) -> bool:
        return bool(self.sozialraum_id or self.ortsteil_id)

    @property
    def hides_shared(self) -> bool:
        """City-wide dates and other features' dates (AG meetings) are left out."""
        return self.by_place and self.only_here

    def as_args(self) -> dict:
        return {k: v for k, v in (("sozialraum", self.sozialraum_id), ("ortsteil", self.ortsteil_id),
                                  ("category", self.category), ("only_here", 1 if self.hides_shared else None))
                if v}


def touching(window_start: datetime, window_end: datetime, filters: Filters) -> list:
    """WHERE conditions: events with an occurrence in the window that pass the filters.

    A place filter keeps the dates for the whole city (and, for an Ortsteil, its Sozialraum's)
    unless "only here" is asked for."""
    conditions = [Event.span_start < window_end, Event.span_end > window_start]
    if filters.ortsteil_id:
        place = Event.ortsteil_id == filters.ortsteil_id
        if not filters.only_here:
            its_sozialraum = select(Ortsteil.sozialraum_id).where(Ortsteil.id == filters.ortsteil_id).scalar_subquery()
            place = or_(place, Event.scope == Scope.STADT,
                        and_(Event.scope == Scope.SOZIALRAUM, Event.sozialraum_id == its_sozialraum))
        conditions.append(place)
    elif filters.sozialraum_id:
        place = Event.sozialraum_id == filters.sozialraum_id
        if not filters.only_here:
            place = or_(place, Event.scope == Scope.STADT)
        conditions.append(place)
    if filters.category:
        conditions.append(Event.category == filters.category)
    return conditions


def events_touching(window_start: datetime, window_end: datetime, filters: Filters = Filters()):
    """Statement for the Event objects with an occurrence in the window (the feed needs whole
    events); relations load in a fixed number of queries."""
    return (
        select(Event)
        .where(*touching(window_start, window_end, filters))
        .options(joinedload(Event.ortsteil), joinedload(Event.sozialraum), joinedload(Event.traeger),
                 selectinload(Event.exceptions))
        .order_by(Event.starts_at, Event.id)
    )


@dataclass(frozen=True, slots=True)
class EventRow:
    """What a list of dates needs of an event, read as plain columns (no ORM identity map, no
    relationship loading): the month grid, agenda and board read hundreds of these per request."""

    id: int
    uid: str
    title: str
    place: str
    category: Category
    all_day: bool
    starts_at: datetime
    ends_at: datetime
    repeat: Repeat
    interval: int
    weekdays: str
    until: date | None
    count: int | None
    cancelled: bool
    scope_label: str
    organiser: str
    #: The event's single-date changes (rows with original_start, cancelled, starts_at, ends_at, note).
    exceptions: tuple = ()

    @property
    def is_recurring(self) -> bool:
        return self.repeat != Repeat.NONE


def event_rows(window_start: datetime, window_end: datetime, filters: Filters = Filters()) -> list[EventRow]:
    """The events with an occurrence in the window that pass the filters: two queries."""
    conditions = touching(window_start, window_end, filters)
    events = (
        select(Event.id, Event.uid, Event.title, Event.place, Event.category, Event.all_day, Event.starts_at,
               Event.ends_at, Event.repeat, Event.interval, Event.weekdays, Event.until, Event.count,
               Event.cancelled, Event.scope, Ortsteil.name, Sozialraum.name, Traeger.short_name)
        .outerjoin(Ortsteil, Event.ortsteil_id == Ortsteil.id)
        .outerjoin(Sozialraum, Event.sozialraum_id == Sozialraum.id)
        .outerjoin(Traeger, Event.traeger_id == Traeger.id)
        .where(*conditions)
    )
    changes = (
        select(OccurrenceChange.event_id, OccurrenceChange.original_start, OccurrenceChange.cancelled,
               OccurrenceChange.starts_at, OccurrenceChange.ends_at, OccurrenceChange.note)
        .where(OccurrenceChange.event_id.in_(select(Event.id).where(Event.repeat != Repeat.NONE, *conditions)))
        .order_by(OccurrenceChange.event_id, OccurrenceChange.original_start)
    )
    by_event: dict[int, list] = {}
    for change in db.session.execute(changes):
        by_event.setdefault(change.event_id, []).append(change)
    rows = []
    for (id_, uid, title, place, category, all_day, starts_at, ends_at, repeat, interval, weekdays, until, count,
         cancelled, scope, ortsteil_name, sozialraum_name, traeger_name) in db.session.execute(events):
        rows.append(EventRow(id_, uid, title, place, category, all_day, starts_at, ends_at, repeat, interval,
                             weekdays, until, count, cancelled, scope_label(scope, ortsteil_name, sozialraum_name),
                             organiser(traeger_name, ortsteil_name), tuple(by_event.get(id_, ()))))
    return rows


def single_starts(window_start: datetime, window_end: datetime, filters: Filters) -> list[datetime]:
    """Starts of the next single (not recurring) dates from ``window_start`` on, at most
    AGENDA_PROBE_LIMIT (for the agenda's page length, see occurrences.agenda_window)."""
    return list(db.session.scalars(
        select(Event.starts_at)
        .where(Event.repeat == Repeat.NONE, Event.starts_at >= window_start,
               *touching(window_start, window_end, filters))
        .order_by(Event.starts_at).limit(AGENDA_PROBE_LIMIT)))


def shared_dates(window_start: datetime, window_end: datetime, user, filters: Filters) -> list[ExternalEvent]:
    """Other features' dates (AG meetings) in the window that pass the filters; they concern the
    whole city, so only "only here" leaves them out."""
    if filters.hides_shared:
        return []
    return [e for e in external_events(window_start, window_end, user)
            if e.start < window_end and e.end > window_start and (not filters.category or e.category == filters.category)]


def get_event(event_id: int) -> Event | None:
    """One event with everything its page shows."""
    return db.session.scalar(
        select(Event).where(Event.id == event_id)
        .options(joinedload(Event.ortsteil), joinedload(Event.sozialraum), joinedload(Event.traeger),
                 joinedload(Event.created_by), selectinload(Event.exceptions))
    )


def places() -> tuple[list[Sozialraum], list[Ortsteil]]:
    """Sozialräume and Ortsteile by name (filters, scope choices): two queries."""
    return (db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all(),
            db.session.scalars(select(Ortsteil).order_by(Ortsteil.name)).all())


def all_traeger() -> list[Traeger]:
    return db.session.scalars(select(Traeger).order_by(Traeger.short_name)).all()


def parse_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None  # larger than any database id (and SQLite INTEGER)
