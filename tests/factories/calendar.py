"""Calendar test data, made through the same operations as the pages (services.create_event ...).

Call inside an app context; each helper flushes, the caller (or ``commit=True``) commits. Places and
people come from the demo *logins* (tests.conftest.ROLE_LOGINS) or from ``make_ortsteil``; no test
relies on the titles of the calendar's demo events.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.calendar import services
from portal.calendar.models import Category, Event, Repeat, Scope
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger
from tests.conftest import get_user

BERLIN = ZoneInfo("Europe/Berlin")
_numbers = itertools.count(1)


def berlin(text: str) -> datetime:
    """'2026-12-04 15:00' (Berlin wall time) -> aware datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


def make_ortsteil(name: str | None = None, sozialraum: Sozialraum | None = None) -> Ortsteil:
    """A new Ortsteil (in the first Sozialraum unless given): a place no demo event uses."""
    n = next(_numbers)
    sozialraum = sozialraum or db.session.scalar(select(Sozialraum).order_by(Sozialraum.id).limit(1))
    ortsteil = Ortsteil(name=name or f"Testdorf {n}", slug=f"testdorf-{n}", sozialraum=sozialraum)
    db.session.add(ortsteil)
    db.session.flush()
    return ortsteil


def make_event(by: str = "moderation", *, title: str | None = None, start: str | datetime = "2026-12-02 18:00",
               hours: float = 2, scope: Scope | str | None = None, ortsteil: Ortsteil | None = None,
               sozialraum: Sozialraum | None = None, traeger: Traeger | None = None,
               category: Category | str = Category.TREFFEN, repeat: Repeat | str = Repeat.NONE,
               weekdays: str = "", until: date | None = None, count: int | None = None, all_day: bool = False,
               place: str = "", contact: str = "", description: str = "", cancelled: bool = False,
               uid: str | None = None, commit: bool = True) -> Event:
    """An event entered by the demo role ``by`` (default Moderation, who may write anywhere).

    ``scope`` defaults to "ortsteil" when an Ortsteil is given, "sozialraum" with a Sozialraum,
    else the whole city."""
    user = get_user(by)
    starts_at = berlin(start) if isinstance(start, str) else start
    if scope is None:
        scope = Scope.ORTSTEIL if ortsteil else Scope.SOZIALRAUM if sozialraum else Scope.STADT
    n = next(_numbers)
    data = services.EventData(
        title=title or f"Testtermin {n}", scope=Scope(scope), category=Category(category), starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours), all_day=all_day, ortsteil=ortsteil, sozialraum=sozialraum,
        traeger=traeger, place=place, contact=contact, description=description, repeat=Repeat(repeat),
        weekdays=tuple(d for d in weekdays.split(",") if d), until=until, count=count)
    event = services.create_event(user, data, uid=uid or f"test-{n}@test")
    if cancelled:
        services.set_cancelled(event, user, True)
    if commit:
        db.session.commit()
    return event


def weekly_cafe(by: str = "ehrenamt", *, ortsteil: Ortsteil | None = None, commit: bool = True, **kw) -> Event:
    """A weekly Friday 15:00–17:00 series from 4 September 2026 to 16 July 2027 in the Ortsteil of
    ``by`` (a volunteer's first Ortsteil), entered by ``by``."""
    if ortsteil is None:
        ortsteil = get_user(by).ortsteile[0]
    values = dict(title="Wochencafé", start="2026-09-04 15:00", repeat=Repeat.WEEKLY, weekdays="FR",
                  until=date(2027, 7, 16), place="Gemeindehaus")
    values.update(kw)
    return make_event(by, ortsteil=ortsteil, commit=commit, **values)


def cancel_date(event: Event, at: str, note: str = "", by: str = "moderation") -> None:
    services.cancel_occurrence(event, get_user(by), berlin(at), note)
    db.session.commit()


def move_date(event: Event, at: str, to: str, hours: float = 2, note: str = "", by: str = "moderation") -> None:
    start = berlin(to)
    services.move_occurrence(event, get_user(by), berlin(at), start, start + timedelta(hours=hours), note)
    db.session.commit()
