"""Forms of the calendar: an event, moving one date of a series, the feed filter."""
from __future__ import annotations

from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.calendar.models import CATEGORY_LABELS, Repeat
from portal.forms import Form, MultiCheckboxField, choices, no_control_chars
from portal.formatting import WEEKDAYS

REQUIRED = "Bitte ausfüllen."
REPEAT_LABELS = {
    Repeat.NONE: "keine Wiederholung",
    Repeat.WEEKLY: "wöchentlich (an den gewählten Wochentagen)",
    Repeat.MONTHLY_DATE: "monatlich am gleichen Datum (z. B. jeden 15.)",
    Repeat.MONTHLY_WEEKDAY: "monatlich am gleichen Wochentag (z. B. jeden 1. Mittwoch)",
}
WEEKDAY_CHOICES = list(zip(["MO", "TU", "WE", "TH", "FR", "SA", "SU"], WEEKDAYS))


class EventForm(Form):
    title = StringField("Titel", validators=[DataRequired(REQUIRED), Length(max=200), no_control_chars],
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
    description = TextAreaField("Beschreibung", validators=[Length(max=20000)],
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


class MoveForm(Form):
    start_date = DateField("Neues Datum", validators=[InputRequired("Bitte ein Datum angeben.")])
    start_time = TimeField("Beginn", validators=[Optional()])
    end_time = TimeField("Ende", validators=[Optional()])
    note = StringField("Hinweis", validators=[Length(max=200), no_control_chars],
                       description="z. B. „diesmal im Gemeindehaus“")


class CancelOccurrenceForm(Form):
    note = StringField("Grund (optional)", validators=[Length(max=200), no_control_chars],
                       description="z. B. „Ferien“")


class FeedFilterForm(Form):
    sozialraum = SelectField("Nur Sozialraum", coerce=int, validate_choice=False)
    ortsteil = SelectField("Nur Ortsteil", coerce=int, validate_choice=False)
    category = SelectField("Nur Art", validate_choice=False)
    only_here = BooleanField("Nur Termine genau dieses Orts",
                             description="Sonst enthält das Abo bei einem Sozialraum oder Ortsteil auch die Termine "
                                         "für die ganze Stadt (beim Ortsteil auch die seines Sozialraums) und die "
                                         "AG-Sitzungen.")
