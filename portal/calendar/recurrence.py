"""Recurrence rules: from the form's choices to dateutil's rrule and iCalendar's RRULE.

Series are expanded in Europe/Berlin *wall time*: the rule runs on naive local datetimes and each
occurrence is localised afterwards, so "every Tuesday 18:00" stays 18:00 after the clocks change
(the same thing an iCalendar client does with DTSTART;TZID=Europe/Berlin). Expansion is bounded:
a series has at most MAX_OCCURRENCES dates and ends within MAX_SERIES_YEARS.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice, takewhile

from dateutil import rrule as du

from portal.calendar.models import Repeat
from portal.formatting import BERLIN, WEEKDAYS

MAX_OCCURRENCES = 500
MAX_SERIES_YEARS = 5
#: Longest a timed event or an occurrence of a series may last …
MAX_OCCURRENCE_DAYS = 14
#: … and a single all-day event (a holiday programme, an exhibition).
MAX_ALL_DAY_DAYS = 31
#: Dates lie at most this many years before or after today (nobody plans for 9999; a typo is caught).
MAX_YEARS_AWAY = 10

WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_DU_WEEKDAYS = [du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU]
ORDINALS = {1: "1.", 2: "2.", 3: "3.", 4: "4.", -1: "letzten"}


class RecurrenceError(ValueError):
    """A rule that cannot work; ``field`` names the form field the German message belongs to."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class Schedule:
    """When an event takes place: its first occurrence and how it repeats."""

    start: datetime  # aware
    end: datetime  # aware
    all_day: bool = False
    repeat: Repeat = Repeat.NONE
    interval: int = 1
    weekdays: list[str] = field(default_factory=list)
    until: date | None = None
    count: int | None = None

    @classmethod
    def of(cls, event) -> Schedule:
        return cls(start=event.starts_at, end=event.ends_at, all_day=event.all_day, repeat=event.repeat,
                   interval=event.interval or 1, weekdays=[d for d in (event.weekdays or "").split(",") if d],
                   until=event.until, count=event.count)

    # --- local wall time ---------------------------------------------------------------------
    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(BERLIN).replace(tzinfo=None)

    @property
    def local_duration(self) -> timedelta:
        """Duration in wall-clock time (18:00–20:00 is two hours, also on the night of the change)."""
        return self.end.astimezone(BERLIN).replace(tzinfo=None) - self.local_start

    @property
    def nth_weekday(self) -> int:
        """Which weekday of its month the first date is: 1–4, or -1 for the fifth (= last)."""
        n = (self.local_start.day - 1) // 7 + 1
        return -1 if n == 5 else n

    def occurrence_end(self, start: datetime) -> datetime:
        return to_aware(start.astimezone(BERLIN).replace(tzinfo=None) + self.local_duration)

    # --- the rule ----------------------------------------------------------------------------
    def rule(self) -> du.rrule | None:
        if self.repeat == Repeat.NONE:
            return None
        kwargs = dict(dtstart=self.local_start, interval=self.interval, wkst=du.MO)
        if self.count:
            kwargs["count"] = self.count
        elif self.until:
            kwargs["until"] = datetime.combine(self.until, time(23, 59, 59))
        if self.repeat == Repeat.WEEKLY:
            days = self.weekdays or [WEEKDAY_CODES[self.local_start.weekday()]]
            kwargs["byweekday"] = [_DU_WEEKDAYS[WEEKDAY_CODES.index(d)] for d in days]
            return du.rrule(du.WEEKLY, **kwargs)
        if self.repeat == Repeat.MONTHLY_DATE:
            return du.rrule(du.MONTHLY, bymonthday=self.local_start.day, **kwargs)
        weekday = _DU_WEEKDAYS[self.local_start.weekday()]
        return du.rrule(du.MONTHLY, byweekday=weekday(self.nth_weekday), **kwargs)

    def starts(self, limit: int = MAX_OCCURRENCES + 1) -> list[datetime]:
        """Start of every occurrence by the rule (aware, UTC), at most ``limit``."""
        rule = self.rule()
        if rule is None:
            return [self.start.astimezone(timezone.utc)]
        return [to_aware(s) for s in islice(rule, limit)]

    def starts_between(self, window_start: datetime, window_end: datetime) -> list[datetime]:
        """Original starts of occurrences that overlap [window_start, window_end)."""
        rule = self.rule()
        if rule is None:
            candidates = [self.start]
        else:
            lo = window_start.astimezone(BERLIN).replace(tzinfo=None) - self.local_duration - timedelta(days=1)
            hi = window_end.astimezone(BERLIN).replace(tzinfo=None)
            candidates = [to_aware(s) for s in takewhile(lambda s: s <= hi,
                                                         islice(rule.xafter(lo, inc=True), MAX_OCCURRENCES))]
        return [s for s in candidates if s < window_end and self.occurrence_end(s) > window_start]

    def validate(self, today: date | None = None) -> list[datetime]:
        """All starts of the series; RecurrenceError with a German message if it cannot work.

        ``today`` (Berlin) bounds the dates to MAX_YEARS_AWAY around it."""
        if self.end <= self.start:
            raise RecurrenceError("end_date", "Das Ende muss nach dem Beginn liegen.")
        if today is not None:
            check_near(self.local_start.date(), today, "start_date")
            check_near(self.end.astimezone(BERLIN).date(), today, "end_date")
            if self.until:
                check_near(self.until, today, "until")
        if self.repeat == Repeat.NONE:
            if self.all_day and self.local_duration > timedelta(days=MAX_ALL_DAY_DAYS):
                raise RecurrenceError("end_date", f"Ein ganztägiger Termin darf höchstens {MAX_ALL_DAY_DAYS} Tage "
                                                  "dauern. Für eine längere Zeit bitte eine Wiederholung wählen.")
            if not self.all_day and self.local_duration > timedelta(days=MAX_OCCURRENCE_DAYS):
                raise RecurrenceError("end_date", f"Ein Termin mit Uhrzeit darf höchstens {MAX_OCCURRENCE_DAYS} Tage "
                                                  "dauern. Für eine längere Zeit bitte „Ganztägig“ oder eine "
                                                  "Wiederholung wählen.")
            return self.starts()
        if self.local_duration > timedelta(days=MAX_OCCURRENCE_DAYS):
            raise RecurrenceError("end_date", f"Ein wiederkehrender Termin darf höchstens "
                                              f"{MAX_OCCURRENCE_DAYS} Tage dauern.")
        if not 1 <= self.interval <= 52:
            raise RecurrenceError("interval", "Bitte eine Zahl von 1 bis 52 angeben.")
        if self.count and self.until:
            raise RecurrenceError("count", "Bitte entweder ein Enddatum oder eine Anzahl angeben, nicht beides.")
        if not self.count and not self.until:
            raise RecurrenceError("until", "Bis wann wiederholt sich der Termin? Bitte ein Enddatum "
                                           "oder eine Anzahl angeben.")
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            raise RecurrenceError("count", f"Höchstens {MAX_OCCURRENCES} Termine pro Serie.")
        first_day = self.local_start.date()
        if self.until:
            if self.until < first_day:
                raise RecurrenceError("until", "Das Enddatum der Wiederholung liegt vor dem ersten Termin.")
            if self.until > first_day + timedelta(days=round(365.25 * MAX_SERIES_YEARS)):
                raise RecurrenceError("until", f"Eine Serie darf höchstens {MAX_SERIES_YEARS} Jahre laufen.")
        if self.repeat == Repeat.WEEKLY and self.weekdays:
            if WEEKDAY_CODES[first_day.weekday()] not in self.weekdays:
                raise RecurrenceError("weekdays", f"Der erste Termin ist ein {WEEKDAYS[first_day.weekday()]}: "
                                                  "bitte diesen Wochentag mit auswählen oder das Datum ändern.")
        if self.repeat == Repeat.MONTHLY_DATE and first_day.day > 28:
            raise RecurrenceError("repeat", f"Den {first_day.day}. gibt es nicht in jedem Monat. Bitte "
                                            "„monatlich am gleichen Wochentag“ wählen oder ein Datum bis zum 28.")
        starts = self.starts()
        if len(starts) > MAX_OCCURRENCES:
            raise RecurrenceError("until", f"Diese Serie hätte mehr als {MAX_OCCURRENCES} Termine. "
                                           "Bitte ein früheres Enddatum wählen.")
        if len(starts) < 2:
            raise RecurrenceError("until", "Mit diesen Angaben gibt es nur einen Termin. Bitte ein späteres "
                                           "Enddatum wählen oder „keine Wiederholung“.")
        return starts

    # --- words and iCalendar -------------------------------------------------------------------
    def describe(self) -> str:
        """German summary, e.g. "jeden Montag und Mittwoch bis 31.12.2026", "monatlich am 2. Dienstag"."""
        if self.repeat == Repeat.NONE:
            return ""
        n = self.interval
        if self.repeat == Repeat.WEEKLY:
            codes = self.weekdays or [WEEKDAY_CODES[self.local_start.weekday()]]
            days = sorted({WEEKDAY_CODES.index(d) for d in codes})
            if days == list(range(7)) and n == 1:
                text = "jeden Tag"
            elif days == list(range(5)) and n == 1:
                text = "werktags (Montag bis Freitag)"
            else:
                names = _and([WEEKDAYS[d] for d in days])
                text = f"jeden {names}" if n == 1 else f"alle {n} Wochen am {names}"
        else:
            if self.repeat == Repeat.MONTHLY_DATE:
                day = f"{self.local_start.day}."
            else:
                day = f"{ORDINALS[self.nth_weekday]} {WEEKDAYS[self.local_start.weekday()]}"
            text = f"monatlich am {day}" if n == 1 else f"alle {n} Monate am {day}"
        if self.count:
            text += f", insgesamt {self.count} Termine"
        elif self.until:
            text += f" bis {self.until:%d.%m.%Y}"
        return text

    def ical_rrule(self) -> dict | None:
        """The RRULE as icalendar wants it. UNTIL is UTC for timed events (RFC 5545 3.3.10)."""
        if self.repeat == Repeat.NONE:
            return None
        rule: dict = {"freq": "weekly" if self.repeat == Repeat.WEEKLY else "monthly"}
        if self.interval > 1:
            rule["interval"] = self.interval
        if self.repeat == Repeat.WEEKLY:
            rule["byday"] = self.weekdays or [WEEKDAY_CODES[self.local_start.weekday()]]
        elif self.repeat == Repeat.MONTHLY_DATE:
            rule["bymonthday"] = self.local_start.day
        else:
            rule["byday"] = f"{self.nth_weekday}{WEEKDAY_CODES[self.local_start.weekday()]}"
        if self.count:
            rule["count"] = self.count
        elif self.until:
            if self.all_day:
                rule["until"] = self.until
            else:
                rule["until"] = to_aware(datetime.combine(self.until, time(23, 59, 59))).astimezone(timezone.utc)
        rule["wkst"] = "MO"
        return rule


def check_near(day: date, today: date, field_name: str) -> None:
    """RecurrenceError at ``field_name`` unless ``day`` lies within MAX_YEARS_AWAY of ``today``."""
    try:
        lo, hi = today.replace(year=today.year - MAX_YEARS_AWAY), today.replace(year=today.year + MAX_YEARS_AWAY)
    except ValueError:  # 29 February
        lo, hi = date(today.year - MAX_YEARS_AWAY, 2, 28), date(today.year + MAX_YEARS_AWAY, 2, 28)
    if not lo <= day <= hi:
        raise RecurrenceError(field_name, f"Bitte ein Datum wählen, das höchstens {MAX_YEARS_AWAY} Jahre vor oder "
                                          f"nach heute liegt (zwischen {lo:%d.%m.%Y} und {hi:%d.%m.%Y}).")


def _and(words: list[str]) -> str:
    """["Montag", "Mittwoch", "Freitag"] -> "Montag, Mittwoch und Freitag"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} und {words[-1]}"


def to_aware(local_naive: datetime) -> datetime:
    """Naive Europe/Berlin wall time -> aware UTC."""
    return local_naive.replace(tzinfo=BERLIN).astimezone(timezone.utc)


def local_midnight(day: date) -> datetime:
    return to_aware(datetime.combine(day, time()))
