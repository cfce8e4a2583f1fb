"""iCalendar (RFC 5545) output for feeds and single-event downloads.

- Series go out as one VEVENT with RRULE, DTSTART;TZID=Europe/Berlin and a VTIMEZONE, so clients
  keep 18:00 at 18:00 across the summer-time change.
- A moved date is a second VEVENT with the same UID and RECURRENCE-ID (the original start).
- A single cancelled date is an EXDATE on the series, and the series' DESCRIPTION lists the coming
  cancelled dates with their reasons ("Fällt aus: • Fr 25.12.2026 – Weihnachtsferien"), so Outlook
  users, whose client shows no trace of an EXDATE, still learn why. Outlook (desktop and web) honours EXDATE in
  subscribed calendars reliably, while it ignores STATUS:CANCELLED on a RECURRENCE-ID override and
  keeps showing that date as if it took place; Google drops such overrides too, Thunderbird
  handles both. So EXDATE is the form every client gets right.
- A whole event called off stays in the feed with STATUS:CANCELLED and "Abgesagt:" before the
  title (Outlook shows no strike-through for it).
- DTSTAMP and LAST-MODIFIED are the time of the last change, not "now", so an unchanged feed is
  byte for byte the same and its ETag stays valid; never later than now (no future stamps).
- All-day dates are counted in days (DTEND is at least the next day, also across the summer-time
  change); EXDATE/RECURRENCE-ID are written at the series' wall time (02:30 also on the night 02:30
  does not exist), as clients compute them from DTSTART and RRULE.
- No METHOD: a subscription is not an iTIP message. Descriptions are plain text, not Markdown.
"""
from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent

from portal.calendar.models import CATEGORY_LABELS, Event
from portal.calendar.recurrence import Schedule
from portal.calendar.sources import ExternalEvent
from portal.extensions import utcnow
from portal.formatting import BERLIN
from portal.text import render_markdown

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
    # no METHOD: a subscribed feed is not an iTIP message (METHOD:PUBLISH without ORGANIZER fails
    # libical's iTIP check)
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
        # all-day dates are counted in days: DTEND (exclusive) is at least the day after DTSTART
        first, after = _local(start).date(), _local(end).date()
        vevent.add("dtstart", first)
        vevent.add("dtend", max(after, first + timedelta(days=1)))
    else:
        vevent.add("dtstart", _local(start))
        vevent.add("dtend", _local(end))


def _recurrence_id(value: datetime, all_day: bool, series_start: datetime | None = None) -> date | datetime:
    """The date as the series' DTSTART would produce it: on the night clocks go forward a 02:30
    series runs at 03:30 CEST, but clients match EXDATE/RECURRENCE-ID against 02:30 local."""
    local = _local(value)
    if all_day:
        return local.date()
    if series_start is not None:
        wall = datetime.combine(local.date(), _local(series_start).time().replace(tzinfo=None))
        if wall.replace(tzinfo=BERLIN).astimezone(timezone.utc) == value.astimezone(timezone.utc):
            return wall.replace(tzinfo=BERLIN)
    return local


def plain_text(markdown: str) -> str:
    """Markdown as the plain text calendar apps show in DESCRIPTION (links keep their address)."""
    rendered = str(render_markdown(markdown))
    rendered = re.sub(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>',
                      lambda m: m.group(2) if m.group(2) == m.group(1) else f"{m.group(2)} ({m.group(1)})", rendered)
    rendered = re.sub(r"<li[^>]*>", "• ", rendered)
    rendered = re.sub(r"<br\s*/?>|</(p|li|h\d|blockquote|pre|ul|ol)>", "\n", rendered)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", rendered))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _not_future(stamp: datetime) -> datetime:
    """Never a time after now (demo data or clock skew must not give a future LAST-MODIFIED)."""
    return min(stamp.astimezone(timezone.utc), utcnow())


def _common(vevent: VEvent, uid: str, title: str, cancelled: bool, stamp: datetime, sequence: int,
            place: str, description: str, categories: list[str], url: str | None) -> None:
    vevent.add("uid", uid)
    vevent.add("summary", f"Abgesagt: {title}" if cancelled else title)
    vevent.add("dtstamp", _not_future(stamp))
    vevent.add("last-modified", _not_future(stamp))
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


#: How many coming cancelled dates a series' description lists (with their reasons).
CANCELLED_LISTED = 10
_SHORT_DAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]


def _cancellations(event: Event, today: date | None) -> str:
    """ "Fällt aus:" with the coming cancelled dates and their reasons, e.g. "• Fr 25.12.2026 – Ferien".

    The EXDATE takes the date out of every client's view, but Outlook shows no trace of why; this
    line in the series' DESCRIPTION (shown with every date of the series) keeps the reason."""
    coming = [c for c in event.exceptions if c.cancelled
              and (today is None or _local(c.original_start).date() >= today)]
    if not coming:
        return ""
    lines = []
    for change in coming[:CANCELLED_LISTED]:
        day = _local(change.original_start)
        lines.append(f"• {_SHORT_DAYS[day.weekday()]} {day:%d.%m.%Y}" + (f" – {change.note}" if change.note else ""))
    if len(coming) > CANCELLED_LISTED:
        lines.append(f"… und {len(coming) - CANCELLED_LISTED} weitere")
    return "Fällt aus:\n" + "\n".join(lines)


def _description(event: Event, today: date | None = None) -> str:
    lines = [plain_text(event.description)] if event.description.strip() else []
    if event.is_recurring:
        cancelled = _cancellations(event, today)
        if cancelled:
            lines.append(cancelled)
    for label, value in (("Für", event.scope_label), ("Veranstaltet von", event.organiser),
                         ("Kontakt", event.contact)):
        if value:
            lines.append(f"{label}: {value}")
    return "\n\n".join(lines)


def event_components(event: Event, url: str | None, today: date | None = None) -> list[VEvent]:
    """The series (or single event) and one override per moved date.

    ``today`` (Berlin): cancelled dates from then on are listed in the description."""
    schedule = Schedule.of(event)
    master = VEvent()
    _common(master, event.uid, event.title, event.cancelled, event.updated_at, event.sequence, event.place,
            _description(event, today), [event.category.label], url)
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
        master.add("exdate", [_recurrence_id(c.original_start, event.all_day, event.starts_at) for c in dropped])
    for change in event.exceptions:
        if change.cancelled or not change.starts_at:
            continue
        override = VEvent()
        description = _description(event, today)
        if change.note:
            description = f"{change.note}\n\n{description}"
        _common(override, event.uid, event.title, event.cancelled, max(event.updated_at, change.updated_at),
                event.sequence, event.place, description, [event.category.label], url)
        override.add("recurrence-id", _recurrence_id(change.original_start, event.all_day, event.starts_at))
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


def build(name: str, events: list[Event], externals: list[ExternalEvent], url_for_event,
          today: date | None = None) -> bytes:
    # Each date is serialised as soon as it is built, not added to one tree of thousands of components
    # first: the same bytes, but a worker's memory peaks at one component, not at the whole feed
    # (2,000 events at production size lifted every worker by 24 MiB for good, bench/NOTES.md).
    end = b"END:VCALENDAR\r\n"
    head = new_calendar(name).to_ical()
    parts = [head.removesuffix(end)]
    for event in events:
        parts += [component.to_ical() for component in event_components(event, url_for_event(event), today)]
    parts += [external_component(e).to_ical() for e in externals]
    parts.append(end)
    return b"".join(parts)


def last_modified(events: list[Event], externals: list[ExternalEvent]) -> datetime | None:
    stamps = [e.updated_at for e in events] + [c.updated_at for e in events for c in e.exceptions]
    stamps += [e.last_modified for e in externals if e.last_modified]
    return _not_future(max(stamps)) if stamps else None
