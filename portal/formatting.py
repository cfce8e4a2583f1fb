"""German display formats; times are stored in UTC and shown in Europe/Berlin."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import Flask

from portal.forms import MultiCheckboxField
from portal.text import render_markdown

BERLIN = ZoneInfo("Europe/Berlin")
MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
          "Oktober", "November", "Dezember"]
WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]


def skipped_by_clock_change(day: date, at: time) -> bool:
    """Does ``at`` not exist on ``day`` in Berlin (02:00–02:59 on the last Sunday of March)?

    Such a wall time would silently become an hour later; forms refuse it with ``skipped_message``."""
    wall = datetime.combine(day, at)
    back = wall.replace(tzinfo=BERLIN).astimezone(timezone.utc).astimezone(BERLIN).replace(tzinfo=None)
    return back != wall


def skipped_message(day: date) -> str:
    return f"Diese Uhrzeit gibt es am {day:%d.%m.%Y} wegen der Zeitumstellung nicht."


def local(value: datetime) -> datetime:
    return value.astimezone(BERLIN) if value.tzinfo else value


def datum(value: date | datetime | None) -> str:
    """21.11.2026"""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value)
    return value.strftime("%d.%m.%Y")


def uhrzeit(value: datetime | None) -> str:
    """09:00 Uhr"""
    if value is None:
        return ""
    return local(value).strftime("%H:%M Uhr") if isinstance(value, datetime) else value.strftime("%H:%M Uhr")


def datum_zeit(value: datetime | None) -> str:
    """21.11.2026, 09:00 Uhr"""
    if value is None:
        return ""
    return f"{datum(value)}, {uhrzeit(value)}"


def datum_lang(value: date | datetime | None) -> str:
    """Samstag, 21. November 2026"""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value)
    return f"{WEEKDAYS[value.weekday()]}, {value.day}. {MONTHS[value.month - 1]} {value.year}"


def iso(value: datetime | date | None) -> str:
    return value.isoformat() if value else ""


def zahl(value: float | int | None, digits: int = 1) -> str:
    """German number: 1.507,6"""
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def jetzt() -> datetime:
    """Now in Berlin (e.g. the print date of a form)."""
    return datetime.now(BERLIN)


def heute(now: datetime | None = None) -> date:
    """Today in Berlin – the portal's one "today": a post "sichtbar bis 24.12." is visible until the
    end of that local day, memberships, due dates and the 15 % year turn at local midnight, whatever
    the server's clock zone. ``now``: a moment to take the day of (the calendar passes its own clock)."""
    return (now or datetime.now(BERLIN)).astimezone(BERLIN).date()


def init_app(app: Flask) -> None:
    app.add_template_global(jetzt)
    for f in (datum, uhrzeit, datum_zeit, datum_lang, iso, zahl):
        app.add_template_filter(f)
    app.add_template_filter(render_markdown, "markdown")
    # {% if field is checkbox_group %}: subclasses count too, unlike comparing field.type
    app.add_template_test(lambda field: isinstance(field, MultiCheckboxField), "checkbox_group")
