"""Forms of the calendar: an event, moving one date of a series, the feed filter.

The event form offers only the places and Träger the user may write for (``Event.writable_choices``,
derived from the one rule ``Event.may_create``) and turns its input into ``services.EventData``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from wtforms import (BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField,
                     TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.calendar.models import CATEGORY_LABELS, Category, Event, Repeat, Scope
from portal.calendar.queries import parse_id
from portal.calendar.recurrence import local_midnight, to_aware
from portal.calendar.services import EventData
from portal.formatting import BERLIN, WEEKDAYS, skipped_by_clock_change, skipped_message
from portal.forms import Form, MultiCheckboxField, choices, no_control_chars, visible_name

REQUIRED = "Bitte ausfüllen."
DESCRIPTION_MAX = 10000
REPEAT_LABELS = {
    Repeat.NONE: "keine Wiederholung",
    Repeat.WEEKLY: "wöchentlich (an den gewählten Wochentagen)",
    Repeat.MONTHLY_DATE: "monatlich am gleichen Datum (z. B. jeden 15.)",
    Repeat.MONTHLY_WEEKDAY: "monatlich am gleichen Wochentag (z. B. jeden 1. Mittwoch)",
}
WEEKDAY_CHOICES = list(zip(["MO", "TU", "WE", "TH", "FR", "SA", "SU"], WEEKDAYS))
NO_TRAEGER = "– kein Träger: die Ehrenamtlichen des Ortsteils –"


def field_error(field, message: str) -> bool:
    """Put a German message at ``field``; False, so that ``return field_error(...)`` says "not valid"."""
    field.errors = [*field.errors, message]
    return False


def scope_value(event: Event) -> str:
    if event.scope == Scope.ORTSTEIL:
        return f"ortsteil:{event.ortsteil_id}"
    if event.scope == Scope.SOZIALRAUM:
        return f"sozialraum:{event.sozialraum_id}"
    return "stadt"


class VersionField(HiddenField):
    """The version (SEQUENCE) of the event the form was opened with; a stale one is a 409."""

    def process_formdata(self, valuelist):
        self.data = int(valuelist[0]) if valuelist and valuelist[0].isascii() and valuelist[0].isdigit() else None


class EventForm(Form):
    title = StringField("Titel", validators=[visible_name, DataRequired(REQUIRED), Length(max=200), no_control_chars],
                        description="z. B. „Familiencafé“ oder „Fachtag Sozialraumorientierung“")
    scope = SelectField("Für wen?", validate_choice=False,
                        description="Ortsteil, Sozialraum oder die ganze Stadt.")
    category = SelectField("Art", choices=choices(CATEGORY_LABELS.items()))
    start_date = DateField("Datum", validators=[InputRequired("Bitte ein Datum angeben.")])
    start_time = TimeField("Beginn", validators=[Optional()])
    end_date = DateField("Ende (Datum)", validators=[Optional()],
                         description="Leer lassen, wenn der Termin am selben Tag endet.")
    end_time = TimeField("Ende (Uhrzeit)", validators=[Optional()])
    all_day = BooleanField("Ganztägig (ohne Uhrzeit)")
    place = StringField("Ort", validators=[Length(max=200), no_control_chars],
                        description="z. B. „Gemeindehaus Taubach, Hauptstraße 3“")
    traeger = SelectField("Veranstaltet von (Träger)", coerce=int, validate_choice=False,
                          description="Leer lassen, wenn die Ehrenamtlichen des Ortsteils einladen.")
    contact = StringField("Kontakt", validators=[Length(max=200), no_control_chars],
                          description="Wer Fragen beantwortet, z. B. Name und Telefonnummer.")
    description = TextAreaField("Beschreibung", validators=[
        Length(max=DESCRIPTION_MAX, message=f"Die Beschreibung darf höchstens {DESCRIPTION_MAX} Zeichen lang sein."),
        no_control_chars],
                                description="Markdown möglich. Bitte keine Namen oder Daten von Kindern "
                                            "und Familien eintragen.")

    repeat = SelectField("Wiederholung", choices=choices((r.value, label) for r, label in REPEAT_LABELS.items()),
                         default=Repeat.NONE.value)
    interval = IntegerField("Alle … Wochen bzw. Monate", default=1,
                            validators=[Optional(), NumberRange(1, 52, "Bitte eine Zahl von 1 bis 52 angeben.")],
                            description="1 = jede Woche bzw. jeden Monat, 2 = jede zweite …")
    weekdays = MultiCheckboxField("Wochentage (bei wöchentlich)", choices=choices(WEEKDAY_CHOICES))
    until = DateField("Wiederholen bis einschließlich", validators=[Optional()])
    count = IntegerField("oder: Anzahl der Termine", validators=[Optional()],
                         description="Entweder ein Enddatum oder eine Anzahl (höchstens 500).")
    version = VersionField()

    def offer(self, user, event: Event | None, sozialraeume, ortsteile, traeger) -> None:
        """Choices: only where ``user`` may write (an edited event's own place stays selectable)."""
        scopes, organisers = Event.writable_choices(user, sozialraeume, ortsteile, traeger)
        if event is not None and scope_value(event) not in {v for v, _ in scopes}:
            scopes.append((scope_value(event), event.scope_label))
        names = {t.id: t.name for t in traeger}
        self.scope.choices = choices(scopes)
        self.traeger.choices = choices([(t or 0, names[t] if t else NO_TRAEGER) for t in organisers])

    def fill_new(self, user) -> None:
        """Defaults of a new event: the only place on offer, a Fachkraft's own Träger."""
        if len(self.scope.choices) == 1:
            self.scope.data = self.scope.choices[0].value
        offered = {c.value for c in self.traeger.choices}
        if user.traeger_id in offered:
            self.traeger.data = user.traeger_id
        elif len(offered) == 1:
            self.traeger.data = next(iter(offered))

    def fill_from(self, event: Event) -> None:
        start, end = event.starts_at.astimezone(BERLIN), event.ends_at.astimezone(BERLIN)
        self.title.data, self.place.data, self.contact.data = event.title, event.place, event.contact
        self.description.data, self.category.data = event.description, event.category.value
        self.scope.data, self.traeger.data = scope_value(event), event.traeger_id or 0
        self.all_day.data, self.start_date.data = event.all_day, start.date()
        if event.all_day:
            last_day = (end - timedelta(days=1)).date()
            self.end_date.data = last_day if last_day != start.date() else None
        else:
            self.start_time.data, self.end_time.data = start.time(), end.time()
            self.end_date.data = end.date() if end.date() != start.date() else None
        self.repeat.data, self.interval.data = event.repeat.value, event.interval
        self.weekdays.data = [d for d in event.weekdays.split(",") if d]
        self.until.data, self.count.data = event.until, event.count
        self.version.data = event.sequence

    def to_data(self, lookup) -> EventData | None:
        """The input as EventData, or None with a German message at the field that does not fit.

        ``lookup(model, id)`` finds an Ortsteil, Sozialraum or Träger (None if there is none)."""
        from portal.org.models import Ortsteil, Sozialraum, Traeger

        kind, _, raw_id = (self.scope.data or "").partition(":")
        ortsteil = sozialraum = None
        if kind == "ortsteil":
            ortsteil = lookup(Ortsteil, parse_id(raw_id) or 0)
            if ortsteil is None:
                return field_error(self.scope, "Diesen Ortsteil gibt es nicht. Bitte einen aus der Liste wählen.") or None
        elif kind == "sozialraum":
            sozialraum = lookup(Sozialraum, parse_id(raw_id) or 0)
            if sozialraum is None:
                return field_error(self.scope, "Diesen Sozialraum gibt es nicht. Bitte einen aus der Liste wählen.") or None
        elif kind != "stadt":
            return field_error(self.scope, "Bitte auswählen, für wen der Termin ist.") or None
        traeger = None
        if self.traeger.data:
            traeger = lookup(Traeger, self.traeger.data)
            if traeger is None:
                return field_error(self.traeger, "Diesen Träger gibt es nicht. Bitte einen aus der Liste wählen.") or None

        start_day = self.start_date.data
        end_day = self.end_date.data or start_day
        if self.all_day.data:
            if end_day < start_day:
                return field_error(self.end_date, "Das Ende liegt vor dem Beginn.") or None
            start, end = local_midnight(start_day), local_midnight(end_day + timedelta(days=1))
        else:
            if self.start_time.data is None:
                return field_error(self.start_time, "Bitte eine Uhrzeit angeben oder „Ganztägig“ wählen.") or None
            if self.end_time.data is None:
                return field_error(self.end_time, "Bitte angeben, wann der Termin endet.") or None
            for field, day in ((self.start_time, start_day), (self.end_time, end_day)):
                if skipped_by_clock_change(day, field.data):
                    return field_error(field, skipped_message(day)) or None
            start = to_aware(datetime.combine(start_day, self.start_time.data))
            end = to_aware(datetime.combine(end_day, self.end_time.data))
            if end <= start:
                return field_error(self.end_time if end_day == start_day else self.end_date,
                                   "Das Ende liegt vor dem Beginn (oder ist gleich). Bitte prüfen.") or None
        return EventData(
            title=self.title.data or "", scope=Scope(kind), category=Category(self.category.data),
            starts_at=start, ends_at=end, all_day=bool(self.all_day.data), ortsteil=ortsteil, sozialraum=sozialraum,
            traeger=traeger, place=self.place.data or "", contact=self.contact.data or "",
            description=self.description.data or "", repeat=Repeat(self.repeat.data),
            interval=self.interval.data or 1, weekdays=tuple(self.weekdays.data or ()),
            until=self.until.data, count=self.count.data)


class MoveForm(Form):
    version = VersionField()
    start_date = DateField("Neues Datum", validators=[InputRequired("Bitte ein Datum angeben.")])
    start_time = TimeField("Beginn", validators=[Optional()])
    end_time = TimeField("Ende", validators=[Optional()])
    note = StringField("Hinweis", validators=[Length(max=200), no_control_chars],
                       description="z. B. „diesmal im Gemeindehaus“")


class CancelOccurrenceForm(Form):
    version = VersionField()
    note = StringField("Grund (optional)", validators=[Length(max=200), no_control_chars],
                       description="z. B. „Ferien“")


class FeedFilterForm(Form):
    name = StringField("Name des Abos (freiwillig)", validators=[visible_name, Length(max=80), no_control_chars],
                       description="Damit du es in der Liste wiedererkennst, z. B. „Outlook im Büro“ oder „Handy“.")
    sozialraum = SelectField("Nur Sozialraum", coerce=int, validate_choice=False)
    ortsteil = SelectField("Nur Ortsteil", coerce=int, validate_choice=False)
    category = SelectField("Nur Art", validate_choice=False)
    only_here = BooleanField("Nur Termine genau dieses Orts",
                             description="Sonst enthält das Abo bei einem Sozialraum oder Ortsteil auch die Termine "
                                         "für die ganze Stadt (beim Ortsteil auch die seines Sozialraums) und die "
                                         "AG-Sitzungen.")
