"""Calendar logic shared by the views, the feed and other features (the Ortsteil board).

Every list of dates — month grid, agenda, feed, the board's "next dates" — comes from
``occurrences()``: one query for the events touching a window (with their changes, places and
organisers loaded alongside), expanded in memory, merged with the dates other features provide
through ``sources.external_events``.
"""
from __future__ import annotations

import calendar as pycal
import dataclasses
import hashlib
import secrets
import uuid
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property, lru_cache

from flask import current_app
from sqlalchemy import and_, bindparam, delete, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from portal.caching import kept
from portal.calendar.models import (CATEGORY_LABELS, Category, Event, FeedToken, OccurrenceChange, Repeat, Scope,
                                    organiser, scope_label)
from portal.calendar.recurrence import MAX_OCCURRENCES, Schedule
from portal.calendar.sources import ExternalEvent, external_events
from portal.extensions import db, utcnow
from portal.formatting import BERLIN
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.text import render_markdown

#: Longest window one request may expand (a month grid is 6 weeks, the agenda 3 months).
MAX_WINDOW = timedelta(days=800)
#: What a feed contains: from half a year back to two years ahead.
FEED_PAST = timedelta(days=183)
FEED_FUTURE = timedelta(days=731)
AGENDA_DAYS = 92
AGENDA_PAGE_SIZE = 40


# --- occurrences ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Occurrence:
    """One date as a person sees it, from the calendar's own events or from another feature."""

    uid: str
    title: str
    start: datetime
    end: datetime
    all_day: bool
    place: str
    category: str
    organiser: str
    scope_label: str
    #: The whole event or this one date is called off (shown struck through).
    cancelled: bool = False
    #: Only this date of a series is called off: feeds leave it out (EXDATE).
    dropped: bool = False
    #: Where a moved date originally was.
    moved_from: datetime | None = None
    note: str = ""
    #: The calendar's own event, or None for dates from other features.
    event_id: int | None = None
    #: Start by the series rule (the RECURRENCE-ID), for own recurring events.
    original_start: datetime | None = None
    recurring: bool = False
    #: Details page of a date from another feature.
    url: str | None = None

    @property
    def external(self) -> bool:
        return self.event_id is None

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category.capitalize())

    # Computed once per date (a frozen dataclass without slots keeps cached_property working).
    @cached_property
    def local_start(self) -> datetime:
        return self.start.astimezone(BERLIN)

    @cached_property
    def local_end(self) -> datetime:
        return self.end.astimezone(BERLIN)

    @cached_property
    def days(self) -> list[date]:
        """Local days this date covers (all-day ends are exclusive midnights)."""
        first = self.local_start.date()
        last = (self.local_end - timedelta(microseconds=1)).date() if self.end > self.start else first
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    @property
    def last_day(self) -> date:
        return self.days[-1]

    @property
    def key(self) -> str:
        """Identifies the date in pages and tests: "<uid>|<start UTC ISO>"."""
        return f"{self.uid}|{self.start.astimezone(timezone.utc).isoformat()}"


def _from_event(event: Event, start: datetime, end: datetime, change: OccurrenceChange | None = None,
                original_start: datetime | None = None) -> Occurrence:
    dropped = bool(change and change.cancelled)
    moved = bool(change and change.starts_at and not dropped)
    return Occurrence(
        uid=event.uid, title=event.title, start=start, end=end, all_day=event.all_day, place=event.place,
        category=event.category.value, organiser=event.organiser, scope_label=event.scope_label,
        cancelled=event.cancelled or dropped, dropped=dropped,
        moved_from=original_start if moved else None, note=change.note if change else "",
        event_id=event.id, original_start=original_start if event.is_recurring else None,
        recurring=event.is_recurring,
    )


def _from_external(e: ExternalEvent) -> Occurrence:
    return Occurrence(uid=e.uid, title=e.title, start=e.start, end=e.end, all_day=e.all_day, place=e.place,
                      category=e.category, organiser=e.organiser, scope_label=e.organiser,
                      cancelled=e.cancelled, url=e.url)


def expand(event, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """The dates of ``event`` (an Event or EventRow) overlapping [window_start, window_end), changes applied."""
    if not event.is_recurring:
        return [_from_event(event, event.starts_at, event.ends_at)]
    changes = {c.original_start: c for c in event.exceptions}
    result = []
    for start, end in _series_between(event, window_start, window_end):
        change = changes.get(start)
        if change and change.starts_at and not change.cancelled:
            continue  # shown at its new time below
        result.append(_from_event(event, start, end, change, start))
    for change in changes.values():
        if change.starts_at and not change.cancelled and change.starts_at < window_end \
                and change.ends_at > window_start:
            result.append(_from_event(event, change.starts_at, change.ends_at, change, change.original_start))
    return result


@lru_cache(maxsize=512)
def _series_dates(key: tuple) -> tuple[list[datetime], list[datetime]]:
    """(starts, ends) of every occurrence of a series by its rule, for ``schedule_key``.

    Walking a rule from its first date to the window costs more than the window; the whole series
    (at most MAX_OCCURRENCES + 1 dates) is expanded once per schedule and process, and a window
    is then two bisections. Both lists are ascending: occurrences of a series are days apart and
    have the same wall-clock length."""
    starts_at, ends_at, all_day, repeat, interval, weekdays, until, count = key
    schedule = Schedule(start=starts_at, end=ends_at, all_day=all_day, repeat=repeat, interval=interval or 1,
                        weekdays=[d for d in (weekdays or "").split(",") if d], until=until, count=count)
    starts = schedule.starts()
    return starts, [schedule.occurrence_end(s) for s in starts]


def _series_between(event, window_start: datetime, window_end: datetime):
    """(start, end) of the occurrences by the rule that overlap the window."""
    starts, ends = _series_dates(schedule_key(event))
    if len(starts) > MAX_OCCURRENCES:  # not a valid series (validate() refuses it): walk the rule as before
        schedule = Schedule.of(event)
        return [(s, schedule.occurrence_end(s)) for s in schedule.starts_between(window_start, window_end)]
    first, stop = bisect_right(ends, window_start), bisect_left(starts, window_end)
    return zip(starts[first:stop], ends[first:stop])


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


def _touching(window_start: datetime, window_end: datetime, filters: Filters) -> list:
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
    """Query for the events with an occurrence in the window; relations load in fixed queries."""
    return (
        select(Event)
        .where(*_touching(window_start, window_end, filters))
        .options(joinedload(Event.ortsteil), joinedload(Event.sozialraum), joinedload(Event.traeger),
                 selectinload(Event.exceptions))
        .order_by(Event.starts_at, Event.id)
    )


# --- reading events for lists: plain columns, statements built once per filter shape ------------------

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


_ORTSTEIL_NAME = Ortsteil.name.label("ortsteil_name")
_SOZIALRAUM_NAME = Sozialraum.name.label("sozialraum_name")
_TRAEGER_NAME = Traeger.short_name.label("traeger_name")


def _shape(filters: Filters) -> tuple:
    """Which WHERE conditions a filter needs; the values go in as bound parameters."""
    return (bool(filters.ortsteil_id), bool(filters.sozialraum_id) and not filters.ortsteil_id,
            filters.only_here, bool(filters.category))


def _params(window_start: datetime, window_end: datetime, filters: Filters) -> dict:
    return {"window_start": window_start, "window_end": window_end, "ortsteil_id": filters.ortsteil_id,
            "sozialraum_id": filters.sozialraum_id, "category": filters.category}


@lru_cache(maxsize=None)
def _conditions(shape: tuple) -> tuple:
    """Like ``_touching``, with bound parameters: the same statement object for every request, so
    SQLAlchemy compiles it once."""
    by_ortsteil, by_sozialraum, only_here, by_category = shape
    conditions = [Event.span_start < bindparam("window_end"), Event.span_end > bindparam("window_start")]
    if by_ortsteil:
        place = Event.ortsteil_id == bindparam("ortsteil_id")
        if not only_here:
            its_sozialraum = (select(Ortsteil.sozialraum_id).where(Ortsteil.id == bindparam("ortsteil_id"))
                              .scalar_subquery())
            place = or_(place, Event.scope == Scope.STADT,
                        and_(Event.scope == Scope.SOZIALRAUM, Event.sozialraum_id == its_sozialraum))
        conditions.append(place)
    elif by_sozialraum:
        place = Event.sozialraum_id == bindparam("sozialraum_id")
        if not only_here:
            place = or_(place, Event.scope == Scope.STADT)
        conditions.append(place)
    if by_category:
        conditions.append(Event.category == bindparam("category"))
    return tuple(conditions)


@lru_cache(maxsize=None)
def _statements(shape: tuple):
    """(events, their single-date changes, fingerprint) for one filter shape."""
    conditions = _conditions(shape)
    events = (
        select(Event.id, Event.uid, Event.title, Event.place, Event.category, Event.all_day, Event.starts_at,
               Event.ends_at, Event.repeat, Event.interval, Event.weekdays, Event.until, Event.count,
               Event.cancelled,  # the fields of EventRow up to here, in its order
               Event.scope, _ORTSTEIL_NAME, _SOZIALRAUM_NAME, _TRAEGER_NAME)
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
    stamp = (select(func.count(Event.id), func.sum(Event.id), func.max(Event.updated_at), func.sum(Event.sequence))
             .where(*conditions))
    return events, changes, stamp


def event_rows(window_start: datetime, window_end: datetime, filters: Filters = Filters()) -> list[EventRow]:
    """The events with an occurrence in the window that pass the filters: two queries."""
    events, changes, _ = _statements(_shape(filters))
    params = _params(window_start, window_end, filters)
    by_event: dict[int, list] = {}
    for change in db.session.execute(changes, params):
        by_event.setdefault(change.event_id, []).append(change)
    return [
        EventRow(*columns, scope_label(scope, ortsteil_name, sozialraum_name), organiser(traeger_name, ortsteil_name),
                 tuple(by_event.get(columns[0], ())))
        for *columns, scope, ortsteil_name, sozialraum_name, traeger_name in db.session.execute(events, params)
    ]


def window_stamp(window_start: datetime, window_end: datetime, filters: Filters) -> tuple:
    """Changes whenever an event in the window is added, edited, (un)cancelled, a date of it moved,
    or deleted: count, sum of ids, newest change and sum of SEQUENCEs (every change raises one, even
    if the clock does not move on) of the events touching the window; one query, from the index."""
    _, _, stamp = _statements(_shape(filters))
    return tuple(db.session.execute(stamp, _params(window_start, window_end, filters)).one())


def org_names_stamp() -> tuple:
    """Names shown with events that change without touching them (Ortsteil, Sozialraum, Träger)."""
    return tuple(sorted(map(tuple, db.session.execute(_ORG_NAMES))))


_ORG_NAMES = union_all(select(literal("o"), Ortsteil.id, Ortsteil.name),
                       select(literal("s"), Sozialraum.id, Sozialraum.name),
                       select(literal("t"), Traeger.id, Traeger.short_name))


def shared_dates(window_start: datetime, window_end: datetime, user, filters: Filters) -> list[ExternalEvent]:
    """Other features' dates (AG meetings) in the window that pass the filters; they concern the
    whole city, so only "only here" leaves them out."""
    if filters.hides_shared:
        return []
    return [e for e in external_events(window_start, window_end, user)
            if e.start < window_end and e.end > window_start and (not filters.category or e.category == filters.category)]


def occurrences(window_start: datetime, window_end: datetime, user, filters: Filters = Filters(),
                include_external: bool = True, externals: list[ExternalEvent] | None = None) -> list[Occurrence]:
    """Every date in [window_start, window_end) that ``user`` sees, sorted by start.

    ``externals``: other features' dates already fetched for this window (see ``shared_dates``)."""
    if window_end - window_start > MAX_WINDOW:
        window_end = window_start + MAX_WINDOW
    result: list[Occurrence] = []
    for event in event_rows(window_start, window_end, filters):
        result.extend(expand(event, window_start, window_end))
    if include_external:
        if externals is None:
            externals = shared_dates(window_start, window_end, user, filters)
        result.extend(_from_external(e) for e in externals
                      if e.start < window_end and e.end > window_start)
    return sorted(result, key=lambda o: (o.start, o.title, o.uid))


def upcoming_for_ortsteil(ortsteil_id: int, limit: int = 3) -> list[Occurrence]:
    """The next dates of one Ortsteil (for its board), cancelled single dates left out."""
    now = utcnow()
    found = occurrences(now, now + timedelta(days=AGENDA_DAYS * 2), None,
                        Filters(ortsteil_id=ortsteil_id, only_here=True), include_external=False)
    return [o for o in found if not o.dropped][:limit]


# --- month grid and agenda --------------------------------------------------------------------------

#: Dates shown in one day cell of the month (and per day in its phone list); the rest sit behind
#: "+ n weitere", a link to that day in the list view.
MONTH_CELL_LIMIT = 3


@dataclass
class Day:
    date: date
    in_month: bool
    is_today: bool
    occurrences: list[Occurrence]

    @property
    def shown(self) -> list[Occurrence]:
        return self.occurrences[:MONTH_CELL_LIMIT]

    @property
    def more(self) -> int:
        """How many dates of the day the month leaves to the list view."""
        return max(len(self.occurrences) - MONTH_CELL_LIMIT, 0)


def month_window(year: int, month: int) -> tuple[datetime, datetime, list[date]]:
    """Window of the grid: whole weeks (Monday to Sunday) around the month."""
    first = date(year, month, 1)
    last = date(year, month, pycal.monthrange(year, month)[1])
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    days = [grid_start + timedelta(days=i) for i in range((grid_end - grid_start).days + 1)]
    return local_day_start(grid_start), local_day_start(grid_end + timedelta(days=1)), days


def month_weeks(year: int, month: int, found: list[Occurrence], today: date) -> list[list[Day]]:
    _, _, days = month_window(year, month)
    by_day: dict[date, list[Occurrence]] = {d: [] for d in days}
    for occ in found:
        for d in occ.days:
            if d in by_day:
                by_day[d].append(occ)
    cells = [Day(d, d.month == month, d == today, by_day[d]) for d in days]
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


def agenda_window(start_day: date, filters: Filters) -> tuple[datetime, datetime]:
    """The window a page of the agenda from ``start_day`` needs: whole days, within the quarter.

    Expanding a quarter of a busy city calendar costs more than the page. Single (not recurring)
    dates start where their row says, so one query for the next single starts (bounded) tells how
    far the page reaches: with AGENDA_PAGE_SIZE single dates on the days up to D, the page is cut
    at or before D, and the day it continues with is at the latest the next day with a single
    date after D. Series only add dates, so they only make the page end earlier. The window ends
    at local midnight after that day, so the page is the one the whole quarter would give, in the
    same number of queries at any size; sparse calendars get the quarter.
    """
    window_start = local_day_start(start_day)
    quarter_end = window_start + timedelta(days=AGENDA_DAYS)
    starts = list(db.session.scalars(_agenda_probe(_shape(filters)),
                                     _params(window_start, quarter_end, filters)))
    if len(starts) > AGENDA_PAGE_SIZE:
        full_day = starts[AGENDA_PAGE_SIZE - 1].astimezone(BERLIN).date()
        for start in starts[AGENDA_PAGE_SIZE:]:
            day = start.astimezone(BERLIN).date()
            if day > full_day:
                return window_start, min(local_day_start(day + timedelta(days=1)), quarter_end)
    return window_start, quarter_end


#: How many single starts the agenda's probe reads; a day busier than this gets the quarter.
AGENDA_PROBE_LIMIT = 200


@lru_cache(maxsize=None)
def _agenda_probe(shape: tuple):
    return (select(Event.starts_at).where(Event.repeat == Repeat.NONE, Event.starts_at >= bindparam("window_start"),
                                          *_conditions(shape))
            .order_by(Event.starts_at).limit(AGENDA_PROBE_LIMIT))


def agenda_page(start_day: date, user, filters: Filters,
                externals: list[ExternalEvent] | None = None) -> tuple[list[tuple[date, list[Occurrence]]], date]:
    """Dates from ``start_day`` on, grouped by day; whole days only. Returns (days, next start day).

    ``externals``: other features' dates of the quarter from ``start_day``, if already fetched."""
    window_start, window_end = agenda_window(start_day, filters)
    quarter_end = window_start + timedelta(days=AGENDA_DAYS)
    if externals is None:
        externals = shared_dates(window_start, quarter_end, user, filters)
    days, next_day = _agenda_days(occurrences(window_start, window_end, user, filters, externals=externals), start_day)
    if next_day is None and window_end < quarter_end:
        # Cannot happen by agenda_window's reasoning; if it ever did, the quarter is still right.
        days, next_day = _agenda_days(occurrences(window_start, quarter_end, user, filters, externals=externals),
                                      start_day)
    return days, next_day or start_day + timedelta(days=AGENDA_DAYS)


def _agenda_days(found: list[Occurrence], start_day: date) -> tuple[list[tuple[date, list[Occurrence]]], date | None]:
    """Whole days up to a page; the day the next page starts with, or None if all fitted."""
    grouped: dict[date, list[Occurrence]] = {}
    for occ in found:
        day = max(occ.local_start.date(), start_day)  # an event that began earlier is listed on start_day
        grouped.setdefault(day, []).append(occ)
    days, shown = [], 0
    for day in sorted(grouped):
        if shown >= AGENDA_PAGE_SIZE:
            return days, day
        days.append((day, grouped[day]))
        shown += len(grouped[day])
    return days, None


# --- rendered views by fingerprint ------------------------------------------------------------------

#: Rendered month grids and agenda pages per process, by a fingerprint of everything they show.
VIEW_CACHE_SIZE = 48


def cached_view(key_parts: tuple, build) -> str:
    """The HTML ``build()`` makes, kept under a fingerprint of all it depends on.

    ``key_parts`` must hold everything the HTML shows: the events' fingerprint (``window_stamp``),
    the names shown with them (``org_names_stamp``), other features' dates as this user sees them
    (with their links, so users who may open different AG meetings never share an entry), the
    filters, the day it is, the address prefix. Nothing in the cached HTML depends on the user
    beyond that."""
    return kept("calendar_view_cache", VIEW_CACHE_SIZE, key_parts, build)


def local_day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(timezone.utc)


def today_local() -> date:
    return utcnow().astimezone(BERLIN).date()


def get_event(event_id: int) -> Event | None:
    """One event with everything its page shows."""
    return db.session.scalar(
        select(Event).where(Event.id == event_id)
        .options(joinedload(Event.ortsteil), joinedload(Event.sozialraum), joinedload(Event.traeger),
                 joinedload(Event.created_by), selectinload(Event.exceptions))
    )


# --- writing -------------------------------------------------------------------------------------------

def new_uid() -> str:
    return f"{uuid.uuid4()}@traegerportal"


def schedule_key(event: Event) -> tuple:
    """What decides the dates of a series; when it changes, single-date changes no longer fit."""
    return (event.starts_at, event.ends_at, event.all_day, event.repeat, event.interval, event.weekdays,
            event.until, event.count)


def refresh_span(event: Event) -> None:
    """Recompute the time span all occurrences lie in (series end and moved dates included)."""
    schedule = Schedule.of(event)
    starts = schedule.starts()
    span_start, span_end = starts[0], schedule.occurrence_end(starts[-1])
    for change in event.exceptions:
        if change.starts_at and not change.cancelled:
            span_start, span_end = min(span_start, change.starts_at), max(span_end, change.ends_at)
    event.span_start, event.span_end = span_start, span_end


def touch(event: Event) -> None:
    """Every change raises SEQUENCE and LAST-MODIFIED so subscribed clients take the new version."""
    if event.id is not None:
        event.sequence = (event.sequence or 0) + 1
    event.updated_at = utcnow()


def save_event(event: Event, user, old_schedule: tuple | None = None) -> None:
    """Store a new or edited event. A changed schedule drops its single-date changes."""
    if not event.uid:
        event.uid = new_uid()
    # Column defaults apply only at INSERT; the span below needs them now.
    event.repeat = event.repeat or Repeat.NONE
    event.interval, event.weekdays = event.interval or 1, event.weekdays or ""
    event.all_day, event.cancelled = bool(event.all_day), bool(event.cancelled)
    if event.created_by_id is None and event.id is None:
        event.created_by = user
    if event.scope == Scope.ORTSTEIL:
        ortsteil = db.session.get(Ortsteil, event.ortsteil_id) if event.ortsteil_id else event.ortsteil
        event.sozialraum_id = ortsteil.sozialraum_id
    if event.scope == Scope.STADT:
        event.sozialraum_id = event.ortsteil_id = None
    if event.scope == Scope.SOZIALRAUM:
        event.ortsteil_id = None
    event.description_html = str(render_markdown(event.description))
    if old_schedule is not None and old_schedule != schedule_key(event):
        event.exceptions.clear()
    touch(event)
    refresh_span(event)
    db.session.add(event)
    db.session.commit()


def set_cancelled(event: Event, cancelled: bool) -> None:
    event.cancelled = cancelled
    touch(event)
    db.session.commit()


def change_for(event: Event, original_start: datetime) -> OccurrenceChange | None:
    return next((c for c in event.exceptions if c.original_start == original_start), None)


def is_occurrence(event: Event, original_start: datetime) -> bool:
    return event.is_recurring and original_start in Schedule.of(event).starts()


def cancel_occurrence(event: Event, original_start: datetime, note: str = "") -> None:
    change = change_for(event, original_start) or OccurrenceChange(original_start=original_start)
    change.cancelled, change.starts_at, change.ends_at = True, None, None
    change.note, change.updated_at = note, utcnow()
    if change not in event.exceptions:
        event.exceptions.append(change)
    touch(event)
    refresh_span(event)
    db.session.commit()


def move_occurrence(event: Event, original_start: datetime, start: datetime, end: datetime, note: str = "") -> None:
    change = change_for(event, original_start) or OccurrenceChange(original_start=original_start)
    change.cancelled, change.starts_at, change.ends_at = False, start, end
    change.note, change.updated_at = note, utcnow()
    if change not in event.exceptions:
        event.exceptions.append(change)
    touch(event)
    refresh_span(event)
    db.session.commit()


def restore_occurrence(event: Event, original_start: datetime) -> None:
    change = change_for(event, original_start)
    if change is not None:
        event.exceptions.remove(change)
    touch(event)
    refresh_span(event)
    db.session.commit()


def delete_event(event: Event) -> None:
    db.session.delete(event)
    db.session.commit()


# --- feed tokens --------------------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed_token(user) -> str:
    """A new secret feed token for ``user``; the previous one stops working at once."""
    db.session.execute(delete(FeedToken).where(FeedToken.user_id == user.id))
    token = secrets.token_urlsafe(32)
    db.session.add(FeedToken(user_id=user.id, token_hash=_digest(token)))
    db.session.commit()
    return token


def feed_token_of(user) -> FeedToken | None:
    return db.session.scalar(select(FeedToken).where(FeedToken.user_id == user.id))


def feed_user(token: str):
    """The active user a feed token belongs to, or None (unknown, revoked, deactivated)."""
    row = db.session.scalar(select(FeedToken).options(joinedload(FeedToken.user))
                            .where(FeedToken.token_hash == _digest(token)))
    if row is None or not row.user.active:
        return None
    return row.user


def feed_window() -> tuple[datetime, datetime]:
    now = utcnow()
    return now - FEED_PAST, now + FEED_FUTURE


def _feed_externals(start: datetime, end: datetime, filters: Filters, user) -> list[ExternalEvent]:
    """Other features' dates for a feed; their page links made absolute for calendar apps."""
    if filters.hides_shared:
        return []
    base = current_app.config["BASE_URL"].rstrip("/")
    return [dataclasses.replace(e, url=base + e.url) if e.url and e.url.startswith("/") else e
            for e in external_events(start, end, user) if not filters.category or e.category == filters.category]


FEED_CACHE_SIZE = 8
#: Names of Ortsteile and Träger appear in a feed without touching its events: rebuild now and then.
FEED_CACHE_SECONDS = 300


def feed_body(filters: Filters, user, name: str, url_for_event) -> tuple[bytes, datetime | None, str]:
    """The iCalendar text of a feed, its last change and its ETag, rebuilt only when its events changed.

    Calendar apps poll every feed again and again; at production size a feed holds thousands of
    events and building it takes seconds. One aggregate query over the window (count, sum of ids,
    newest change) plus the other features' dates tell whether the last build still holds.
    """
    from portal.calendar import ical

    start, end = feed_window()
    externals = _feed_externals(start, end, filters, user)

    def build() -> tuple[bytes, datetime | None, str]:
        events = list(db.session.scalars(events_touching(start, end, filters)).unique())
        body = ical.build(name, events, externals, url_for_event)
        # the ETag is kept with the body: hashing a megabyte on every poll costs more than the rest
        return body, ical.last_modified(events, externals), hashlib.sha256(body).hexdigest()

    key = (name, current_app.config["BASE_URL"], filters, window_stamp(start, end, filters), externals)
    return kept("calendar_feed_cache", FEED_CACHE_SIZE, key, build, max_age=FEED_CACHE_SECONDS)


def parse_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def personal_data(user) -> list[dict]:
    """Events the user entered, for the DSGVO export."""
    events = db.session.scalars(select(Event).where(Event.created_by_id == user.id).order_by(Event.id))
    return [{"titel": e.title, "beginn": e.starts_at.isoformat(), "kontakt": e.contact} for e in events]
