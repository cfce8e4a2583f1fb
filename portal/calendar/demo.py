"""Demo dates for a year around November 2026: Ortsteile, Sozialraum, workshops, AG 78.

Idempotent: each event is looked up by its UID before it is created. The AG 78 dates (12. Mai,
1. September, 13. Oktober, 9–12 Uhr) come from the AG feature's meetings (portal/ag/demo.py).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from portal.auth.models import User
from portal.calendar import services
from portal.calendar.models import Category, Event, Repeat, Scope
from portal.calendar.recurrence import local_midnight, to_aware
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger


def _at(text: str) -> datetime:
    """'2026-12-18 16:00' in Berlin time -> aware UTC."""
    return to_aware(datetime.strptime(text, "%Y-%m-%d %H:%M"))


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _ortsteil(slug: str) -> Ortsteil:
    return db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))


def _traeger(short: str) -> Traeger:
    return db.session.scalar(select(Traeger).where(Traeger.short_name == short))


def _event(uid: str, creator: str, cancelled: bool = False, weekdays: str = "", **values) -> Event | None:
    """Create the event unless its UID exists (through the same operation as the form); returns it
    only when it was created now."""
    uid = f"demo-{uid}@traegerportal"
    if db.session.scalar(select(Event.id).where(Event.uid == uid)) is not None:
        return None
    user = _user(creator)
    event = services.create_event(user, services.EventData(weekdays=tuple(filter(None, weekdays.split(","))),
                                                           **values), uid=uid)
    if cancelled:
        services.set_cancelled(event, user, True)
    return event


def seed(password: str | None = None, reset_passwords: bool = False) -> None:
    taubach, legefeld = _ortsteil("taubach"), _ortsteil("legefeld")
    gelmeroda, schoendorf = _ortsteil("gelmeroda"), _ortsteil("schoendorf")
    nord = db.session.scalar(select(Sozialraum).where(Sozialraum.slug == "nord"))
    amt, caritas = _traeger("Familienamt"), _traeger("Caritas")

    cafe = _event(
        "familiencafe-taubach", "ehrenamt.taubach@portal.example",
        title="Familiencafé", category=Category.TREFFEN, scope=Scope.ORTSTEIL, ortsteil=taubach,
        place="Gemeindehaus Taubach, Kirchgasse 2", contact="Anna Krause",
        description="Jeden Freitag Kaffee, Kuchen und Spiele für Familien mit kleinen Kindern. "
                    "Einfach vorbeikommen!",
        starts_at=_at("2026-09-04 15:00"), ends_at=_at("2026-09-04 17:00"),
        repeat=Repeat.WEEKLY, weekdays="FR", until=date(2027, 7, 16),
    )
    if cafe is not None:
        volunteer = _user("ehrenamt.taubach@portal.example")
        services.cancel_occurrence(cafe, volunteer, _at("2026-12-25 15:00"), "Weihnachtsferien")
        services.cancel_occurrence(cafe, volunteer, _at("2027-01-01 15:00"), "Neujahr – das Gemeindehaus ist zu")
        services.move_occurrence(cafe, volunteer, _at("2026-12-04 15:00"), _at("2026-12-05 10:00"),
                                 _at("2026-12-05 12:00"), "diesmal am Samstag auf dem Adventsmarkt")

    _event(
        "jugendtreff-legefeld", "ehrenamt.legefeld@portal.example",
        title="Jugendtreff", category=Category.ANGEBOT, scope=Scope.ORTSTEIL, ortsteil=legefeld,
        place="Jugendraum im Dorfgemeinschaftshaus Legefeld", contact="Peter Vogel",
        description="Kicker, Musik und Gespräche für Jugendliche ab 12.",
        starts_at=_at("2026-09-01 18:00"), ends_at=_at("2026-09-01 20:00"),
        repeat=Repeat.WEEKLY, weekdays="TU", count=40,
    )
    _event(
        "basteln-advent-legefeld", "ehrenamt.legefeld@portal.example",
        title="Basteln im Advent", category=Category.ANGEBOT, scope=Scope.ORTSTEIL, ortsteil=legefeld,
        place="Dorfgemeinschaftshaus Legefeld", cancelled=True,
        description="Fällt leider aus: zu wenige Helferinnen. Neuer Termin folgt.",
        starts_at=_at("2026-11-28 14:00"), ends_at=_at("2026-11-28 16:00"),
    )
    _event(
        "weihnachtsfeier-taubach", "ehrenamt.taubach@portal.example",
        title="Weihnachtsfeier für Kinder und Familien", category=Category.FEST, scope=Scope.ORTSTEIL,
        ortsteil=taubach, place="Gemeindehaus Taubach", contact="Anna Krause",
        description="Mit Krippenspiel, Plätzchen und dem Ortsteilbürgermeister.",
        starts_at=_at("2026-12-18 16:00"), ends_at=_at("2026-12-18 19:00"),
    )
    _event(
        "bollerwagen-gelmeroda", "moderation@portal.example",
        title="Café im Bollerwagen", category=Category.ANGEBOT, scope=Scope.ORTSTEIL, ortsteil=gelmeroda,
        place="Spielplatz an der Kirche, Gelmeroda",
        description="Im Sommer jeden Samstag: ein Bollerwagen mit Kaffee, Saft und Spielen auf dem Spielplatz.",
        starts_at=_at("2027-06-05 14:00"), ends_at=_at("2027-06-05 17:00"),
        repeat=Repeat.WEEKLY, weekdays="SA", until=date(2027, 8, 28),
    )
    _event(
        "sprechstunde-nord", "koordination.nord@portal.example",
        title="Offene Sprechstunde des Sozialraumteams", category=Category.TREFFEN, scope=Scope.SOZIALRAUM,
        sozialraum=nord, traeger=amt, place="Stadtteilbüro Nord", contact="Miriam Schulz",
        description="Für Ehrenamtliche und Träger: Ideen, Fragen, Kontakte im Sozialraum.",
        starts_at=_at("2026-10-07 10:00"), ends_at=_at("2026-10-07 12:00"),
        repeat=Repeat.MONTHLY_WEEKDAY, count=12,
    )
    _event(
        "kindertag-schoendorf", "koordination.nord@portal.example",
        title="Kinderfest zum Kindertag", category=Category.FEST, scope=Scope.ORTSTEIL, ortsteil=schoendorf,
        place="Festwiese Schöndorf", all_day=True,
        starts_at=local_midnight(date(2027, 6, 1)), ends_at=local_midnight(date(2027, 6, 2)),
    )
    _event(
        "fachtag-2027", "moderation@portal.example",
        title="Fachtag Sozialraumorientierung", category=Category.FORTBILDUNG, scope=Scope.STADT, traeger=amt,
        place="Rathaus, Festsaal", contact="Familienamt, Leitung Soziale Dienste",
        description="Ein Jahr Fachkonzept: Erfahrungen aus den Sozialräumen, Workshops am Nachmittag.",
        starts_at=_at("2027-02-11 09:00"), ends_at=_at("2027-02-11 16:00"),
    )
    _event(
        "workshop-kinderschutz", "fachkraft@caritas.example",
        title="Workshop: Kinderschutz im Ehrenamt", category=Category.FORTBILDUNG, scope=Scope.STADT,
        traeger=caritas, place="Caritas-Zentrum, Seminarraum", contact="Lena Wolf",
        description="Für Ehrenamtliche aus allen Ortsteilen. Anmeldung bis 1. März.",
        starts_at=_at("2027-03-20 09:00"), ends_at=_at("2027-03-20 16:00"),
    )
    db.session.commit()
