"""Events that other features put into the shared calendar (e.g. AG 78 meetings).

A feature registers a provider with ``register_source(fn)``; ``fn(start, end, user)`` returns the
``ExternalEvent``s between ``start`` and ``end`` (aware datetimes) that ``user`` may see in the
calendar (``user`` is None for a feed filtered to public dates). Providers must run a fixed number
of queries however many events there are. The calendar's month view, agenda and iCalendar feed
show them beside its own events.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable


@dataclass(frozen=True)
class ExternalEvent:
    #: Stable iCalendar UID, e.g. "ag-meeting-12@traegerportal".
    uid: str
    title: str
    start: datetime
    end: datetime
    place: str = ""
    #: One of the calendar's categories; AG meetings are "sitzung".
    category: str = "sitzung"
    #: Where the details live (may be refused to non-members: dates are public, content is not).
    url: str | None = None
    cancelled: bool = False
    all_day: bool = False
    #: iCalendar SEQUENCE: raised on every change of the source record.
    sequence: int = 0
    last_modified: datetime | None = None
    #: Who organises it, shown like a scope, e.g. "AG 78 Hilfen zur Erziehung".
    organiser: str = ""
    description: str = ""


Provider = Callable[[datetime, datetime, object], Iterable[ExternalEvent]]
_SOURCES: list[Provider] = []


def register_source(provider: Provider) -> Provider:
    if provider not in _SOURCES:
        _SOURCES.append(provider)
    return provider


def external_events(start: datetime, end: datetime, user) -> list[ExternalEvent]:
    events: list[ExternalEvent] = []
    for provider in _SOURCES:
        events.extend(provider(start, end, user))
    return sorted(events, key=lambda e: e.start)
