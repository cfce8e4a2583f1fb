"""Forms of the Kinder- und Jugendbudget (amounts typed the German way: 1.234,50)."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import Field, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from portal.budget.money import euro, parse_euro
from portal.forms import Form, no_control_chars
from portal.proposals.forms import GermanDateField

NO_SOCIAL_DATA = "Bitte keine Namen von Kindern oder Familien."


class EuroField(Field):
    """An amount in euros, e.g. 250 or 238,40; ``data`` is cents (int) or None."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return euro(self.data, symbol=False) if self.data is not None else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        self.data = parse_euro(text)
        if self.data is None:
            raise ValueError("Bitte einen Betrag in Euro angeben, z. B. 250 oder 238,40.")


class RequestForm(Form):
    purpose = StringField("Wofür?", validators=[DataRequired(), Length(max=200), no_control_chars],
                          description="z. B. Neuer Herd für die Backgruppe")
    description = TextAreaField("Beschreibung", validators=[Optional(), Length(max=4000), no_control_chars],
                                description=NO_SOCIAL_DATA)
    age_group = StringField("Für welche Altersgruppe?", validators=[Optional(), Length(max=80), no_control_chars],
                            description="z. B. 6–12 Jahre")
    participants = IntegerField("Etwa wie viele Kinder und Jugendliche?",
                                validators=[Optional(), NumberRange(min=1, max=10000)])
    amount = EuroField("Betrag in Euro", validators=[DataRequired()], description="z. B. 250 oder 238,40")
    needed_on = GermanDateField("Wann wird das Geld gebraucht?", validators=[Optional()])


class DecisionForm(Form):
    version = HiddenField()
    reason = TextAreaField("Begründung oder Rückfrage", validators=[Optional(), Length(max=2000), no_control_chars],
                           description="Nötig bei Rückfrage und Ablehnung.")


class AnswerForm(Form):
    version = HiddenField()
    text = TextAreaField("Antwort", validators=[DataRequired(), Length(max=2000), no_control_chars])
    amount = EuroField("Neuer Betrag in Euro (optional)", validators=[Optional()])


class BookingForm(Form):
    version = HiddenField()
    amount = EuroField("Ausgegebener Betrag in Euro", validators=[DataRequired()],
                       description="Der Betrag laut Beleg, z. B. 238,40")
    receipt = FileField("Beleg (PDF, JPEG oder PNG)", validators=[DataRequired(message="Bitte den Beleg hochladen.")])
    note = StringField("Notiz", validators=[Optional(), Length(max=300), no_control_chars])


class CounterBookingForm(Form):
    version = HiddenField()
    reason = StringField("Grund der Stornierung", validators=[DataRequired(), Length(max=300), no_control_chars])


class AmountForm(Form):
    amount = EuroField("Budget in Euro", validators=[DataRequired()])
