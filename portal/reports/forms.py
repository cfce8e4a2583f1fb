from datetime import date

from wtforms import DateField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from portal.forms import Form, MultiCheckboxField, choices
from portal.reports.data import SECTIONS, Period

KINDS = [("jahr", "Kalenderjahr"), ("h1", "1. Halbjahr"), ("h2", "2. Halbjahr"), ("frei", "Freier Zeitraum")]


class ReportForm(Form):
    """The builder: read-only, sent by GET (bookmarkable, no CSRF token needed)."""

    class Meta:
        csrf = False
        locales = ("de_DE", "de")

    art = SelectField("Zeitraum", choices=choices(KINDS), default="jahr")
    jahr = IntegerField("Jahr", validators=[Optional(), NumberRange(2000, 2100, "Bitte ein Jahr zwischen 2000 und 2100 angeben.")])
    von = DateField("Von (freier Zeitraum)", validators=[Optional()])
    bis = DateField("Bis (freier Zeitraum)", validators=[Optional()])
    raeume = MultiCheckboxField("Sozialräume", coerce=int,
                                validators=[InputRequired("Bitte mindestens einen Sozialraum wählen.")])
    teile = MultiCheckboxField("Abschnitte", choices=choices(SECTIONS.items()),
                               validators=[InputRequired("Bitte mindestens einen Abschnitt wählen.")])

    def validate_jahr(self, field):
        if self.art.data != "frei" and field.data is None:
            raise ValidationError("Bitte ein Jahr angeben.")

    def validate_bis(self, field):
        if self.art.data == "frei":
            if self.von.data is None or field.data is None:
                raise ValidationError("Bitte Beginn und Ende des Zeitraums angeben.")
            if field.data < self.von.data:
                raise ValidationError("Das Ende darf nicht vor dem Beginn liegen.")
            if (field.data - self.von.data).days > 3 * 366:
                raise ValidationError("Der Zeitraum darf höchstens drei Jahre umfassen.")

    def period(self) -> Period:
        y = self.jahr.data
        if self.art.data == "h1":
            return Period(date(y, 1, 1), date(y, 6, 30), f"1. Halbjahr {y}")
        if self.art.data == "h2":
            return Period(date(y, 7, 1), date(y, 12, 31), f"2. Halbjahr {y}")
        if self.art.data == "frei":
            from portal.formatting import datum
            return Period(self.von.data, self.bis.data, f"{datum(self.von.data)} bis {datum(self.bis.data)}")
        return Period(date(y, 1, 1), date(y, 12, 31), f"Jahr {y}")
