"""Occurrences: the dates a person sees, and the month grid and agenda built from them.

Every list of dates — month grid, agenda, the board's "next dates" — comes from ``occurrences()``:
the events touching a window (``queries.event_rows``, two queries), expanded in memory, merged with
the dates other features provide through ``sources.external_events``.
"""
from __future__ import annotations

import calendar as pycal
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property, lru_cache

from portal.calendar.models import CATEGORY_LABELS, Event, OccurrenceChange
from portal.calendar.queries import Filters, event_rows, shared_dates, single_starts
from portal.calendar.recurrence import MAX_OCCURRENCES, Schedule
from portal.calendar.sources import ExternalEvent
from portal.extensions import utcnow
from portal.formatting import BERLIN, heute

#: Longest window one request may expand (a month grid is 6 weeks, the agenda 3 months).
MAX_WINDOW = timedelta(days=800)
AGENDA_DAYS = 92
AGENDA_PAGE_SIZE = 40


def today_local() -> date:
    """Today in Berlin by the calendar's clock (``utcnow`` here, which the calendar's tests set)."""
    return heute(utcnow())


def local_day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(timezone.utc)


def schedule_key(event) -> tuple:
    """What decides the dates of a series; when it changes, single-date changes no longer fit."""
    return (event.starts_at, event.ends_at, event.all_day, event.repeat, event.interval, event.weekdays,
            event.until, event.count)


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

    @property
    def first_day(self) -> date:
        return self.local_start.date()

    @cached_property
    def last_day(self) -> date:
        """Last local day this date covers (all-day ends are exclusive midnights)."""
        first = self.first_day
        return (self.local_end - timedelta(microseconds=1)).date() if self.end > self.start else first

    @property
    def multi_day(self) -> bool:
        return self.last_day != self.first_day

    def days_between(self, first: date, last: date) -> list[date]:
        """The local days this date covers within [first, last]: a view expands its own window,
        never the whole span (an event running until 9999 covers a month grid in 42 steps)."""
        lo, hi = max(first, self.first_day), min(last, self.last_day)
        return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)] if lo <= hi else []

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
def _series_dates(key: tuple) -> tuple[tuple[datetime, ...], tuple[datetime, ...]]:
    """(starts, ends) of every occurrence of a series by its rule, for ``schedule_key``.

    Walking a rule from its first date to the window costs more than the window; the whole series
    (at most MAX_OCCURRENCES + 1 dates) is expanded once per schedule and process, and a window
    is then two bisections. Both tuples are ascending: occurrences of a series are days apart and
    have the same wall-clock length.

    Kept (unlike the statement factories that were here): it is pure computation on its key, the
    rule's own fields, so it can never be stale, and its result is immutable."""
    starts_at, ends_at, all_day, repeat, interval, weekdays, until, count = key
    schedule = Schedule(start=starts_at, end=ends_at, all_day=all_day, repeat=repeat, interval=interval or 1,
                        weekdays=[d for d in (weekdays or "").split(",") if d], until=until, count=count)
    starts = tuple(schedule.starts())
    return starts, tuple(schedule.occurrence_end(s) for s in starts)


def _series_between(event, window_start: datetime, window_end: datetime):
    """(start, end) of the occurrences by the rule that overlap the window."""
    starts, ends = _series_dates(schedule_key(event))
    if len(starts) > MAX_OCCURRENCES:  # not a valid series (validate() refuses it): walk the rule as before
        schedule = Schedule.of(event)
        return [(s, schedule.occurrence_end(s)) for s in schedule.starts_between(window_start, window_end)]
    first, stop = bisect_right(ends, window_start), bisect_left(starts, window_end)
    return zip(starts[first:stop], ends[first:stop])



# --- windows -------------------------------------------------------------------------------------

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
    """The next dates of one Ortsteil (for its board), cancelled single dates left out.

    The same for everyone who opens the board: kept per worker until the calendar changes
    (generation ``calendar``), for at most a minute because "next" moves with the clock. It reads
    and expands half a year of the Ortsteil's events, 12 % of the board page (bench/NOTES.md)."""
    from portal.caching import generation, kept

    def build() -> list[Occurrence]:
        now = utcnow()
        found = occurrences(now, now + timedelta(days=AGENDA_DAYS * 2), None,
                            Filters(ortsteil_id=ortsteil_id, only_here=True), include_external=False)
        return [o for o in found if not o.dropped][:limit]

    return kept("upcoming_dates", 64, ("upcoming", ortsteil_id, limit, generation("calendar")), build, max_age=60)


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
        for d in occ.days_between(days[0], days[-1]):
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
    starts = single_starts(window_start, quarter_end, filters)
    if len(starts) > AGENDA_PAGE_SIZE:
        full_day = starts[AGENDA_PAGE_SIZE - 1].astimezone(BERLIN).date()
        for start in starts[AGENDA_PAGE_SIZE:]:
            day = start.astimezone(BERLIN).date()
            if day > full_day:
                return window_start, min(local_day_start(day + timedelta(days=1)), quarter_end)
    return window_start, quarter_end


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


