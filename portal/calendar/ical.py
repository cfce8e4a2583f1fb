"""iCalendar (RFC 5545) output for feeds and single-event downloads.

- Series go out as one VEVENT with RRULE, DTSTART;TZID=Europe/Berlin and a VTIMEZONE, so clients
  keep 18:00 at 18:00 across the summer-time change.
- A moved date is a second VEVENT with the same UID and RECURRENCE-ID (the original start).
- A single cancelled date is an EXDATE on the series. Outlook (desktop and web) honours EXDATE in
  subscribed calendars reliably, while it ignores STATUS:CANCELLED on a RECURRENCE-ID override and
  keeps showing that date as if it took place; Google drops such overrides too, Thunderbird
  handles both. So EXDATE is the form every client gets right.
- A whole event called off stays in the feed with STATUS:CANCELLED and "Abgesagt:" before the
  title (Outlook shows no strike-through for it).
- DTSTAMP and LAST-MODIFIED are the time of the last change, not "now", so an unchanged feed is
  byte for byte the same and its ETag stays valid.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent

from portal.calendar.models import CATEGORY_LABELS, Event
from portal.calendar.recurrence import Schedule
from portal.calendar.sources import ExternalEvent
from portal.formatting import BERLIN

PRODID = "-//Traegerportal//Gemeinsamer Kalender//DE"


def berlin_vtimezone() -> Timezone:
    """Compact VTIMEZONE with the EU rule (last Sunday of March/October), as Outlook writes it."""
    tz = Timezone()
    tz.add("tzid", "Europe/Berlin")
    tz.add("x-lic-location", "Europe/Berlin")
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0))
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0))
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    tz.add_component(summer)
    tz.add_component(winter)
    return tz


def new_calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Berlin")
    # Ask clients to look again every hour (Outlook reads X-PUBLISHED-TTL, others REFRESH-INTERVAL).
    cal.add("x-published-ttl", "PT1H")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add_component(berlin_vtimezone())
    return cal


def _local(value: datetime) -> datetime:
    return value.astimezone(BERLIN)


def _when(vevent: VEvent, start: datetime, end: datetime, all_day: bool) -> None:
    if all_day:
        vevent.add("dtstart", _local(start).date())
        vevent.add("dtend", _local(end).date())
    else:
        vevent.add("dtstart", _local(start))
        vevent.add("dtend", _local(end))


def _recurrence_id(value: datetime, all_day: bool) -> date | datetime:
    return _local(value).date() if all_day else _local(value)


def _common(vevent: VEvent, uid: str, title: str, cancelled: bool, stamp: datetime, sequence: int,
            place: str, description: str, categories: list[str], url: str | None) -> None:
    vevent.add("uid", uid)
    vevent.add("summary", f"Abgesagt: {title}" if cancelled else title)
    vevent.add("dtstamp", stamp.astimezone(timezone.utc))
    vevent.add("last-modified", stamp.astimezone(timezone.utc))
    vevent.add("sequence", sequence)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if place:
        vevent.add("location", place)
    if description:
        vevent.add("description", description)
    if categories:
        vevent.add("categories", categories)
    if url:
        vevent.add("url", url)


def _description(event: Event) -> str:
    lines = [event.description.strip()] if event.description.strip() else []
    for label, value in (("Für", event.scope_label), ("Veranstaltet von", event.organiser),
                         ("Kontakt", event.contact)):
        if value:
            lines.append(f"{label}: {value}")
    return "\n\n".join(lines)


def event_components(event: Event, url: str | None) -> list[VEvent]:
    """The series (or single event) and one override per moved date."""
    schedule = Schedule.of(event)
    master = VEvent()
    _common(master, event.uid, event.title, event.cancelled, event.updated_at, event.sequence, event.place,
            _description(event), [event.category.label], url)
    if event.created_at:
        master.add("created", event.created_at.astimezone(timezone.utc))
    _when(master, event.starts_at, event.ends_at, event.all_day)
    rule = schedule.ical_rrule()
    components = [master]
    if rule is None:
        return components
    master.add("rrule", rule)
    dropped = [c for c in event.exceptions if c.cancelled]
    if dropped:
        master.add("exdate", [_recurrence_id(c.original_start, event.all_day) for c in dropped])
    for change in event.exceptions:
        if change.cancelled or not change.starts_at:
            continue
        override = VEvent()
        description = _description(event)
        if change.note:
            description = f"{change.note}\n\n{description}"
        _common(override, event.uid, event.title, event.cancelled, max(event.updated_at, change.updated_at),
                event.sequence, event.place, description, [event.category.label], url)
        override.add("recurrence-id", _recurrence_id(change.original_start, event.all_day))
        _when(override, change.starts_at, change.ends_at, event.all_day)
        components.append(override)
    return components


def external_component(e: ExternalEvent) -> VEvent:
    vevent = VEvent()
    stamp = e.last_modified or datetime(2000, 1, 1, tzinfo=timezone.utc)
    description = "\n\n".join(x for x in (e.description, f"Veranstaltet von: {e.organiser}" if e.organiser else "") if x)
    _common(vevent, e.uid, e.title, e.cancelled, stamp, e.sequence, e.place, description,
            [CATEGORY_LABELS.get(e.category, e.category)], e.url)
    _when(vevent, e.start, e.end, e.all_day)
    return vevent


def build(name: str, events: list[Event], externals: list[ExternalEvent], url_for_event) -> bytes:
    cal = new_calendar(name)
    for event in events:
        for component in event_components(event, url_for_event(event)):
            cal.add_component(component)
    for e in externals:
        cal.add_component(external_component(e))
    return cal.to_ical()


def last_modified(events: list[Event], externals: list[ExternalEvent]) -> datetime | None:
    stamps = [e.updated_at for e in events] + [c.updated_at for e in events for c in e.exceptions]
    stamps += [e.last_modified for e in externals if e.last_modified]
    return max(stamps) if stamps else None
