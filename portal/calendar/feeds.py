"""Personal iCalendar feeds: who a token belongs to, and the feed's body.

Calendar apps poll every feed again and again; at production size a feed holds thousands of
events and building it takes seconds. The body is kept per worker under the calendar's cache
generation (raised by every write to events, their changes, AG meetings, places and Träger, see
``portal.caching``), the day (the window moves daily), the filters and the other features' dates as
the token's user sees them.
"""
from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.caching import generation, kept
from portal.calendar import ical
from portal.calendar.models import FeedToken
from portal.calendar.occurrences import local_day_start, today_local
from portal.calendar.queries import Filters, events_touching
from portal.calendar.sources import ExternalEvent, external_events
from portal.extensions import db

#: What a feed contains: from half a year back to two years ahead (whole days).
FEED_PAST = timedelta(days=183)
FEED_FUTURE = timedelta(days=731)
FEED_CACHE_SIZE = 8


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_tokens_of(user) -> list[FeedToken]:
    """The person's feed addresses, oldest first (one query)."""
    return list(db.session.scalars(select(FeedToken).where(FeedToken.user_id == user.id)
                                   .order_by(FeedToken.created_at, FeedToken.id)))


def own_feed(user, feed_id: int) -> FeedToken | None:
    """One of the person's own feed addresses (None for another person's: they stay unknown)."""
    feed = db.session.get(FeedToken, feed_id)
    return feed if feed is not None and feed.can_revoke(user) else None


def feed_user(token: str):
    """The active user a feed token belongs to, or None (unknown, revoked, deactivated)."""
    row = db.session.scalar(select(FeedToken).options(joinedload(FeedToken.user))
                            .where(FeedToken.token_hash == token_digest(token)))
    if row is None or not row.user.active:
        return None
    return row.user


def feed_window() -> tuple[datetime, datetime]:
    """From local midnight half a year ago to local midnight two years ahead: the same all day."""
    today = today_local()
    return local_day_start(today - FEED_PAST), local_day_start(today + FEED_FUTURE)


def _feed_externals(start: datetime, end: datetime, filters: Filters, user) -> list[ExternalEvent]:
    """Other features' dates for a feed; their page links made absolute for calendar apps."""
    if filters.hides_shared:
        return []
    base = current_app.config["BASE_URL"].rstrip("/")
    return [dataclasses.replace(e, url=base + e.url) if e.url and e.url.startswith("/") else e
            for e in external_events(start, end, user) if not filters.category or e.category == filters.category]


def feed_body(filters: Filters, user, name: str, url_for_event) -> tuple[bytes, datetime | None, str]:
    """The iCalendar text of a feed, its last change and its ETag, rebuilt only after a write."""
    start, end = feed_window()
    externals = _feed_externals(start, end, filters, user)

    def build() -> tuple[bytes, datetime | None, str]:
        events = list(db.session.scalars(events_touching(start, end, filters)).unique())
        body = ical.build(name, events, externals, url_for_event, today_local())
        # the ETag is kept with the body: hashing a megabyte on every poll costs more than the rest
        return body, ical.last_modified(events, externals), hashlib.sha256(body).hexdigest()

    key = ("feed", name, current_app.config["BASE_URL"], filters, start, generation("calendar"), tuple(externals))
    return kept("calendar_feed_cache", FEED_CACHE_SIZE, key, build)
