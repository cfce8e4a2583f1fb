"""The calendar's write operations: one function per change a user can make.

Each operation checks the permission through the model's rule (``Event.can_edit``,
``Event.may_create``; ``NotAllowed`` otherwise), refuses a stale version (``Conflict``), changes
state, raises the event's SEQUENCE and LAST-MODIFIED (RFC 5545: subscribed calendar apps take the
new version), flushes and sends ``portal.signals.event_changed``. Operations never commit: the view
commits once. Per-worker caches of the month, agenda and feeds follow from the flush by themselves
(``portal.caching``: the "calendar" generation).

Reads live in ``queries`` (which events touch a window), ``occurrences`` (expansion, month grid,
agenda) and ``feeds`` (feed tokens and bodies). Other features use ``upcoming_for_ortsteil`` and
``personal_data`` from here.
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.calendar.feeds import token_digest
from portal.calendar.models import MAX_FEEDS_PER_USER, Category, Event, FeedToken, OccurrenceChange, Repeat, Scope
from portal.calendar.occurrences import schedule_key, today_local, upcoming_for_ortsteil  # noqa: F401  (the board's "next dates")
from portal.calendar.recurrence import RecurrenceError, Schedule, check_near
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db, utcnow
from portal.formatting import BERLIN
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.signals import event_changed, feed_changed
from portal.text import render_markdown

NOT_YOURS = ("Diesen Termin dürfen nur die Person, die ihn eingetragen hat, und die Moderation ändern.")
NOT_THERE = "Für diesen Ort oder Träger darfst du keine Termine eintragen."
STALE = ("Inzwischen hat jemand anderes diesen Termin geändert. Deine Eingaben stehen noch im Formular; "
         "bitte lade die Seite neu, sieh dir den aktuellen Stand an und trage sie dann erneut ein.")


@dataclass
class EventData:
    """An event's fields as the form gives them (already parsed and checked for form errors)."""

    title: str
    scope: Scope
    category: Category
    starts_at: datetime
    ends_at: datetime
    all_day: bool = False
    ortsteil: Ortsteil | None = None
    sozialraum: Sozialraum | None = None
    traeger: Traeger | None = None
    place: str = ""
    contact: str = ""
    description: str = ""
    repeat: Repeat = Repeat.NONE
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    until: date | None = None
    count: int | None = None

    @property
    def sozialraum_id(self) -> int | None:
        if self.scope == Scope.ORTSTEIL and self.ortsteil is not None:
            return self.ortsteil.sozialraum_id
        return self.sozialraum.id if self.scope == Scope.SOZIALRAUM and self.sozialraum else None

    def schedule(self) -> Schedule:
        recurring = self.repeat != Repeat.NONE
        return Schedule(start=self.starts_at, end=self.ends_at, all_day=self.all_day, repeat=self.repeat,
                        interval=(self.interval or 1) if recurring else 1, weekdays=list(self.weekdays),
                        until=self.until if recurring else None, count=self.count if recurring else None)


# --- helpers of the operations ---------------------------------------------------------------------

def _check_edit(event: Event, user, version: int | None) -> None:
    if not event.can_edit(user):
        raise NotAllowed(NOT_YOURS)
    if version is not None and version != event.sequence:
        raise Conflict(STALE)


def _check_place(user, data: EventData) -> None:
    ortsteil = data.ortsteil if data.scope == Scope.ORTSTEIL else None
    if not Event.may_create(user, data.scope, data.sozialraum_id, ortsteil, data.traeger.id if data.traeger else None):
        raise NotAllowed(NOT_THERE)


def _touch(event: Event) -> None:
    """SEQUENCE and LAST-MODIFIED rise on every change so subscribed clients take the new version."""
    if event.id is not None:
        event.sequence = (event.sequence or 0) + 1
    event.updated_at = utcnow()


def _refresh_span(event: Event) -> None:
    """Recompute the time span all occurrences lie in (series end and moved dates included)."""
    schedule = Schedule.of(event)
    starts = schedule.starts()
    span_start, span_end = starts[0], schedule.occurrence_end(starts[-1])
    for change in event.exceptions:
        if change.starts_at and not change.cancelled:
            span_start, span_end = min(span_start, change.starts_at), max(span_end, change.ends_at)
    event.span_start, event.span_end = span_start, span_end


def _flush() -> None:
    """Flush; another writer's change of the same event in the meantime is a Conflict."""
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(STALE) from None


def _copy(data: EventData, event: Event) -> None:
    schedule = data.schedule()
    event.title = data.title.strip()
    event.description = data.description or ""
    event.description_html = str(render_markdown(event.description))
    event.place, event.contact = (data.place or "").strip(), (data.contact or "").strip()
    event.category = data.category
    event.scope = data.scope
    event.ortsteil = data.ortsteil if data.scope == Scope.ORTSTEIL else None
    # an Ortsteil's events carry its Sozialraum too, so the Sozialraum filter is one comparison
    event.sozialraum = (data.ortsteil.sozialraum if data.scope == Scope.ORTSTEIL
                        else data.sozialraum if data.scope == Scope.SOZIALRAUM else None)
    event.traeger = data.traeger
    event.all_day, event.starts_at, event.ends_at = bool(data.all_day), data.starts_at, data.ends_at
    event.repeat, event.interval = data.repeat, schedule.interval
    event.weekdays = ",".join(schedule.weekdays) if data.repeat == Repeat.WEEKLY else ""
    event.until, event.count = schedule.until, schedule.count


def _check_occurrence(event: Event, original_start: datetime) -> None:
    if not is_occurrence(event, original_start):
        raise Conflict("Diesen Termin gibt es in der Serie nicht (mehr).")


def is_occurrence(event: Event, original_start: datetime) -> bool:
    return event.is_recurring and original_start in Schedule.of(event).starts()


def change_for(event: Event, original_start: datetime) -> OccurrenceChange | None:
    """The single-date change of ``original_start`` (also for the move form's current values)."""
    return next((c for c in event.exceptions if c.original_start == original_start), None)


# --- operations ------------------------------------------------------------------------------------

def create_event(user, data: EventData, uid: str | None = None) -> Event:
    """Put a new event into the calendar. RecurrenceError (with the form field) if its rule cannot work."""
    _check_place(user, data)
    data.schedule().validate(today_local())
    event = Event(uid=uid or f"{uuid.uuid4()}@traegerportal", created_by=user, cancelled=False, sequence=0)
    _copy(data, event)
    _touch(event)
    _refresh_span(event)
    db.session.add(event)
    _flush()
    event_changed.send(event, actor=user, change="created")
    return event


def update_event(event: Event, user, data: EventData, version: int | None = None) -> Event:
    """Save an edited event. A changed schedule drops its single-date changes (they no longer fit)."""
    _check_edit(event, user, version)
    _check_place(user, data)
    data.schedule().validate(today_local())
    old_schedule = schedule_key(event)
    _copy(data, event)
    if old_schedule != schedule_key(event):
        event.exceptions.clear()
    _touch(event)
    _refresh_span(event)
    _flush()
    event_changed.send(event, actor=user, change="updated")
    return event


def set_cancelled(event: Event, user, cancelled: bool, version: int | None = None) -> None:
    """Call the whole event off (it stays visible, struck through) or let it take place again."""
    _check_edit(event, user, version)
    if event.cancelled == cancelled:
        return  # already so (a second click, another tab): nothing changes, nothing to tell
    event.cancelled = cancelled
    _touch(event)
    _flush()
    event_changed.send(event, actor=user, change="cancelled" if cancelled else "restored")


def delete_event(event: Event, user, version: int | None = None) -> None:
    """Remove the event with all its dates (the row is gone after the commit)."""
    _check_edit(event, user, version)
    db.session.delete(event)
    _flush()
    event_changed.send(event, actor=user, change="deleted")


def cancel_occurrence(event: Event, user, original_start: datetime, note: str = "",
                      version: int | None = None) -> OccurrenceChange:
    """One date of a series does not take place (iCalendar EXDATE)."""
    _check_edit(event, user, version)
    _check_occurrence(event, original_start)
    change = change_for(event, original_start) or OccurrenceChange(original_start=original_start)
    change.cancelled, change.starts_at, change.ends_at = True, None, None
    change.note, change.updated_at = note, utcnow()
    if change not in event.exceptions:
        event.exceptions.append(change)
    _touch(event)
    _refresh_span(event)
    _flush()
    event_changed.send(event, actor=user, change="occurrence-cancelled")
    return change


def move_occurrence(event: Event, user, original_start: datetime, start: datetime, end: datetime,
                    note: str = "", version: int | None = None) -> OccurrenceChange:
    """One date of a series takes place at another time (iCalendar RECURRENCE-ID override).

    RecurrenceError (at "start_date") for a date more than MAX_YEARS_AWAY from today."""
    _check_edit(event, user, version)
    _check_occurrence(event, original_start)
    check_near(start.astimezone(BERLIN).date(), today_local(), "start_date")
    change = change_for(event, original_start) or OccurrenceChange(original_start=original_start)
    change.cancelled, change.starts_at, change.ends_at = False, start, end
    change.note, change.updated_at = note, utcnow()
    if change not in event.exceptions:
        event.exceptions.append(change)
    _touch(event)
    _refresh_span(event)
    _flush()
    event_changed.send(event, actor=user, change="occurrence-moved")
    return change


def restore_occurrence(event: Event, user, original_start: datetime, version: int | None = None) -> None:
    """A cancelled or moved date is again as the series says."""
    _check_edit(event, user, version)
    _check_occurrence(event, original_start)
    change = change_for(event, original_start)
    if change is None:
        return  # nothing to undo
    event.exceptions.remove(change)
    _touch(event)
    _refresh_span(event)
    _flush()
    event_changed.send(event, actor=user, change="occurrence-restored")


TOO_MANY_FEEDS = (f"Höchstens {MAX_FEEDS_PER_USER} Abo-Adressen je Person. Bitte zuerst eine nicht mehr "
                  "genutzte widerrufen.")


def create_feed_token(user, name: str = "", filter_args: str = "") -> tuple[FeedToken, str]:
    """A new named feed address for ``user``; the others keep working. Invalid beyond
    MAX_FEEDS_PER_USER.

    Returns the row and the token: the token is shown once, only its hash is stored."""
    if not (user and user.is_authenticated):
        raise NotAllowed()
    held = db.session.scalar(select(func.count(FeedToken.id)).where(FeedToken.user_id == user.id))
    if held >= MAX_FEEDS_PER_USER:
        raise Invalid(TOO_MANY_FEEDS)
    token = secrets.token_urlsafe(32)
    name = name.strip() or f"Abo vom {utcnow().astimezone(BERLIN):%d.%m.%Y}"
    feed = FeedToken(user_id=user.id, token_hash=token_digest(token), name=name[:80], filter_args=filter_args[:200])
    db.session.add(feed)
    db.session.flush()
    feed_changed.send(feed, actor=user, change="created")
    return feed, token


def revoke_feed_token(feed: FeedToken, user) -> None:
    """The address stops working with the commit (calendar apps get 404 from then on)."""
    if not feed.can_revoke(user):
        raise NotAllowed()
    db.session.delete(feed)
    db.session.flush()
    feed_changed.send(feed, actor=user, change="revoked")


def personal_data(user) -> list[dict]:
    """Events the user entered, for the DSGVO export."""
    events = db.session.scalars(select(Event).where(Event.created_by_id == user.id).order_by(Event.id))
    return [{"titel": e.title, "beginn": e.starts_at.isoformat(), "kontakt": e.contact} for e in events]
