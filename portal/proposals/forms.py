"""Forms of Projektanträge. Drafts save incomplete; submitting checks everything
(workflow.submission_problems), and the messages land at the fields."""
from __future__ import annotations

from datetime import date, datetime

from flask_wtf.file import FileField
from wtforms import (BooleanField, Field, FieldList, FormField, HiddenField, IntegerField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import TextInput

from portal.forms import Form, MultiCheckboxField, RowForm, choices, no_control_chars, visible_name
from portal.proposals.models import DocumentKind
from portal.proposals.services import TEXT_FIELDS, DraftValues

NO_SOCIAL_DATA = "Bitte keine Namen oder Daten von Kindern, Familien oder Klient:innen."
MAX_INDICATORS = 20


class GermanDateField(Field):
    """A date typed as 31.12.2026 or sent by a date picker as 2026-12-31; German error message."""

    widget = TextInput(input_type="date")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                self.data = datetime.strptime(text, fmt).date()
                return
            except ValueError:
                continue
        raise ValueError("Bitte gib ein gültiges Datum an, z. B. 31.12.2026.")


class DecimalCommaField(Field):
    """A number typed the German way (2,5) or with a point; empty is None."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:g}".replace(".", ",")

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip().replace(" ", "")
        self.data = None
        if not text:
            return
        if text.count(",") == 1 and "." in text:  # 1.507,6
            text = text.replace(".", "")
        try:
            self.data = float(text.replace(",", "."))
        except ValueError:
            raise ValueError("Bitte gib eine Zahl an, z. B. 3 oder 2,5.") from None


class ChoiceField(SelectField):
    """A select whose refusal of an unknown value speaks German."""

    def pre_validate(self, form):
        if self.data not in {self.coerce(c.value) for c in self.iter_choices()}:
            raise ValidationError("Bitte wähle einen Eintrag aus der Liste.")


class CheckboxChoices(MultiCheckboxField):
    """MultiCheckboxField with a German message for unknown values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the field macro renders a fieldset with legend for this type name (WTForms sets the class name)
        self.type = "MultiCheckboxField"

    def pre_validate(self, form):
        known = {self.coerce(c.value) for c in self.iter_choices()}
        if any(value not in known for value in self.data or []):
            raise ValidationError("Bitte wähle nur Einträge aus der Liste.")


class IndicatorForm(RowForm):
    """One row of Wirkungsindikatoren (a plain Form: the CSRF token lives on the outer form)."""

    indicator = StringField("Indikator", validators=[Length(max=300), no_control_chars],
                            description="z. B. „Anzahl der Familien pro Treffen“")
    method = StringField("Erhebungsmethode", validators=[Length(max=300), no_control_chars],
                         description="z. B. „anonyme Strichliste“")
    baseline = StringField("Ausgangswert", validators=[Length(max=120), no_control_chars])
    target = StringField("Zielwert", validators=[Length(max=120), no_control_chars])

    @property
    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.indicator, self.method, self.baseline, self.target))


class ProposalForm(Form):
    """The Formblatt "Sozialraumprojekt / Gruppenangebot"."""

    version = HiddenField()
    title = StringField("Titel", validators=[visible_name, Length(max=200), no_control_chars])
    sozialraum = ChoiceField("Sozialraum / Stadtteilbüro", coerce=int)
    ortsteile = CheckboxChoices("Ortsteile (optional)", coerce=int,
                                   description="Nur wenn das Projekt in bestimmten Ortsteilen stattfindet.")
    target_group = TextAreaField("Zielgruppe", validators=[Length(max=2000), no_control_chars],
                                 description="z. B. „Kinder 6–12 Jahre“ oder „EU-zugewanderte Familien“. "
                                             + NO_SOCIAL_DATA)
    content = TextAreaField("Thema/Inhalt", validators=[Length(max=10000), no_control_chars],
                            description="Was passiert im Projekt? " + NO_SOCIAL_DATA)
    hours_per_week = DecimalCommaField("Stundenumfang (Fachleistungsstunden pro Woche)",
                                       description="z. B. 3 oder 2,5 – mehr als 0, höchstens 40.",
                                       render_kw={"inputmode": "decimal", "autocomplete": "off"})
    starts_on = GermanDateField("Beginn")
    ends_on = GermanDateField("Ende", description="Ein Gruppenangebot läuft höchstens 12 Monate.")
    extension_reason = TextAreaField("Begründung für längere Laufzeit",
                                     validators=[Length(max=5000), no_control_chars],
                                     description="Nur nötig, wenn das Projekt länger als 12 Monate läuft.")
    expected_effect = TextAreaField("Erhoffte Wirkung auf den Sozialraum",
                                    validators=[Length(max=10000), no_control_chars])
    indicators = FieldList(FormField(IndicatorForm), label="Wirkungsindikatoren", min_entries=1,
                           max_entries=MAX_INDICATORS)
    costs = TextAreaField("Kosten/Entgelt (optional)", validators=[Length(max=5000), no_control_chars],
                          description="z. B. Honorare, Sachkosten, Fachleistungsstundensatz.")
    contact_person = StringField("Ansprechperson", validators=[Length(max=200), no_control_chars],
                                 description="Name und Telefon oder E-Mail einer Fachkraft.")

    def add_errors(self, problems: dict[str, str]) -> None:
        for name, message in problems.items():
            field = getattr(self, name, None)
            if field is None:
                continue
            if isinstance(field, FieldList):
                field.errors = [message]  # shown above the rows
            else:
                field.errors = [*field.errors, message]

    def draft_values(self):
        """The typed values for ``services.create_draft`` / ``save_draft``."""
        return DraftValues(**{name: getattr(self, name).data or "" for name in TEXT_FIELDS},
                           hours_per_week=self.hours_per_week.data, starts_on=self.starts_on.data,
                           ends_on=self.ends_on.data, sozialraum_id=self.sozialraum.data or None,
                           ortsteil_ids=list(self.ortsteile.data or []), indicators=self.indicator_rows())

    def indicator_rows(self) -> list[dict]:
        """Non-blank rows as dicts, in order."""
        return [{k: (entry.form[k].data or "").strip() for k in ("indicator", "method", "baseline", "target")}
                for entry in self.indicators if not entry.form.is_blank]

    def add_row(self) -> bool:
        if len(self.indicators.entries) >= MAX_INDICATORS:
            self.indicators.errors = [f"Höchstens {MAX_INDICATORS} Wirkungsindikatoren."]
            return False
        self.indicators.append_entry()
        return True

    def remove_row(self, index: int) -> None:
        """Drop row ``index`` keeping what was typed in the others."""
        rows = [{k: entry.form[k].data for k in ("indicator", "method", "baseline", "target")}
                for i, entry in enumerate(self.indicators) if i != index]
        self.indicators.entries = []
        self.indicators.last_index = -1
        for row in rows or [{}]:
            self.indicators.append_entry(row)


class TransitionForm(Form):
    """A step in the workflow from the proposal page."""

    version = IntegerField(validators=[InputRequired()])
    action = HiddenField()
    comment = TextAreaField("Begründung oder Kommentar", validators=[Length(max=5000), no_control_chars],
                            description="Pflicht bei Rückfrage und Ablehnung; die antragstellende Seite sieht ihn.")
    conditions = TextAreaField("Auflagen (nur bei Freigabe, optional)",
                               validators=[Length(max=5000), no_control_chars])
    documents_requested = BooleanField("Leistungsangebot und Entgeltkalkulation anfordern")


class IndicatorResultForm(RowForm):
    actual = StringField("Ist-Wert", validators=[Length(max=120), no_control_chars])


class ReportForm(Form):
    """Wirkungsbericht: the actual value per indicator and a short text."""

    version = IntegerField(validators=[InputRequired()])
    results = FieldList(FormField(IndicatorResultForm), max_entries=MAX_INDICATORS)
    report_text = TextAreaField("Wirkungsbericht", validators=[
        DataRequired("Bitte beschreibe kurz, was das Projekt bewirkt hat."), Length(max=10000), no_control_chars],
        description="Was hat sich im Sozialraum verändert? Was hat funktioniert, was nicht? " + NO_SOCIAL_DATA)


class CommentForm(Form):
    body = TextAreaField("Nachricht", validators=[DataRequired("Bitte schreib eine Nachricht."),
                                                  Length(max=5000), no_control_chars],
                         description="Markdown ist möglich. " + NO_SOCIAL_DATA)


class DocumentForm(Form):
    kind = ChoiceField("Art der Unterlage", choices=choices((k.value, k.label) for k in DocumentKind))
    file = FileField("Datei", description="PDF, ODT, DOCX oder XLSX, höchstens 10 MB.")


class HzeImportForm(Form):
    """A CSV from Excel with many months at once; ``rows`` carries the checked rows from the preview."""
    file = FileField("Tabelle (CSV)", description="Spalten: Sozialraum; Monat; Stunden – z. B. „Nord/Schöndorf;2026-07;1507,6“. "
                                                 "Aus Excel: Speichern unter › CSV (Trennzeichen-getrennt).")
    rows = HiddenField()


class HzeHoursForm(Form):
    sozialraum = ChoiceField("Sozialraum", coerce=int)
    month = StringField("Monat", validators=[DataRequired("Bitte wähle einen Monat.")],
                        description="z. B. 2026-07 für Juli 2026.", render_kw={"type": "month"})
    hours = DecimalCommaField("Stunden ambulanter Hilfen zur Erziehung",
                              description="z. B. 1507,6", render_kw={"inputmode": "decimal"})

    def validate_month(self, field):
        try:
            self.month_date = datetime.strptime((field.data or "").strip(), "%Y-%m").date()
        except ValueError:
            raise ValidationError("Bitte gib den Monat als JJJJ-MM an, z. B. 2026-07.") from None
        if not date(2000, 1, 1) <= self.month_date <= date(2100, 12, 1):
            raise ValidationError("Bitte gib einen Monat zwischen 2000 und 2100 an.")

    def validate_hours(self, field):
        if field.data is None:
            raise ValidationError("Bitte gib die Stunden an.")
        if not 0 <= field.data <= 100000:
            raise ValidationError("Die Stunden müssen zwischen 0 und 100.000 liegen.")
