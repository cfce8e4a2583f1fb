"""Forms of the AG 78 feature. Free text never holds social data of families (hint texts say so)."""
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.ag.models import FUNCTION_LABELS, MeetingStatus, ReplyAnswer
from portal.calendar.recurrence import RecurrenceError, check_near
from portal.formatting import heute, skipped_by_clock_change, skipped_message
from portal.forms import Form, choices, no_control_chars, visible_name

REQUIRED = "Bitte ausfüllen."
NO_SOCIAL_DATA = "Keine Namen oder Daten von Kindern, Jugendlichen oder Familien."
MARKDOWN_HINT = "Markdown: **fett**, *kursiv*, Listen mit „- “ am Zeilenanfang. " + NO_SOCIAL_DATA


class GroupForm(Form):
    name = StringField("Name", validators=[visible_name, DataRequired(REQUIRED), Length(max=200)],
                       description="z. B. „AG 78 Hilfen zur Erziehung (ambulante und stationäre Träger)“")
    short_name = StringField("Kurzname", validators=[visible_name, DataRequired(REQUIRED), Length(max=60)],
                             description="Erscheint im Kalender, z. B. „AG 78 HzE“.")
    slug = StringField("Kürzel in Adressen", validators=[
        Optional(), Length(max=80),
        Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Nur Kleinbuchstaben, Ziffern und Bindestriche.")],
        description="Leer lassen: wird aus dem Kurznamen gebildet.")
    description = TextAreaField("Beschreibung", validators=[Length(max=20000), no_control_chars],
                                description=MARKDOWN_HINT)
    rules = TextAreaField("Geschäftsordnung", validators=[Length(max=100000), no_control_chars],
                          description=MARKDOWN_HINT)
    rules_adopted_on = DateField("Geschäftsordnung beschlossen am", validators=[Optional()])
    agenda_public_default = BooleanField(
        "Neue TOPs sind öffentlich (Ö)",
        description="Ohne Haken sind neue Tagesordnungspunkte nicht öffentlich (N): nur Mitglieder der AG sehen "
                    "sie. Jeder TOP lässt sich einzeln umstellen.")


class MembershipForm(Form):
    user = SelectField("Person", coerce=int, validators=[DataRequired("Bitte wähle eine Person.")])
    traeger = SelectField("vertritt den Träger", coerce=int, validators=[Optional()])
    function = SelectField("Funktion", choices=choices((f.value, label) for f, label in FUNCTION_LABELS.items()))
    voting = BooleanField("stimmberechtigt")
    valid_from = DateField("Mitglied seit", validators=[InputRequired("Bitte gib ein Datum an.")])
    valid_to = DateField("Mitglied bis", validators=[Optional()],
                         description="Leer lassen, solange die Mitgliedschaft besteht.")
    deputy = SelectField("vertreten durch", coerce=int, validators=[Optional()],
                         description="Kommt und stimmt ab, wenn das stimmberechtigte Mitglied verhindert ist.")
    deputy_from = DateField("Stellvertretung ab", validators=[Optional()],
                            description="Leer lassen: ab Beginn der Mitgliedschaft.")
    deputy_to = DateField("Stellvertretung bis", validators=[Optional()],
                          description="Leer lassen, solange die Stellvertretung gilt.")

    def validate_valid_to(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError("Das Ende liegt vor dem Beginn der Mitgliedschaft.")

    def validate_deputy(self, field):
        if field.data and field.data == self.user.data:
            raise ValidationError("Die Stellvertretung muss eine andere Person sein.")
        if field.data and not self.voting.data:
            raise ValidationError("Eine Stellvertretung haben nur stimmberechtigte Mitglieder.")

    def validate_deputy_to(self, field):
        if field.data and self.deputy_from.data and field.data < self.deputy_from.data:
            raise ValidationError("Das Ende liegt vor dem Beginn der Stellvertretung.")


class SettingsForm(Form):
    notice_days = IntegerField("Ladungsfrist in Tagen", validators=[
        InputRequired("Bitte gib die Ladungsfrist an."),
        NumberRange(min=0, max=90, message="Bitte eine Zahl von 0 bis 90.")],
        description="So viele Tage vor der Sitzung muss die Einladung mit Tagesordnung bei den Mitgliedern sein "
                    "(laut Geschäftsordnung, oft 14).")


class InvitationForm(Form):
    reason = TextAreaField("Begründung für die kurze Ladungsfrist", validators=[Length(max=2000), no_control_chars],
                           description="Nur nötig, wenn die Ladungsfrist nicht eingehalten ist. Steht in der Einladung.")


class ReplyForm(Form):
    answer = RadioField("Deine Rückmeldung", choices=choices((a.value, a.label) for a in ReplyAnswer),
                        validators=[InputRequired("Bitte wähle Zusage, Absage oder Vertretung.")])


class MeetingForm(Form):
    number = IntegerField("Nummer der Sitzung", validators=[
        InputRequired("Bitte gib die Nummer an."), NumberRange(min=1, max=9999, message="Bitte eine Zahl ab 1.")])
    date = DateField("Datum", validators=[InputRequired("Bitte gib ein Datum an.")])
    start_time = TimeField("Beginn", validators=[InputRequired("Bitte gib die Uhrzeit an.")])
    end_time = TimeField("Ende", validators=[InputRequired("Bitte gib die Uhrzeit an.")])
    place = StringField("Ort", validators=[Length(max=200)], description="z. B. „Familienamt, Raum 2.14“")
    status = SelectField("Status", choices=choices((s.value, s.label) for s in MeetingStatus))

    def validate_date(self, field):
        # A meeting is a date in the shared calendar: the calendar's rule (a typo like 2200 is caught).
        if field.data:
            try:
                check_near(field.data, heute(), field.name)
            except RecurrenceError as e:
                raise ValidationError(e.message) from None

    def validate_start_time(self, field):
        if field.data and self.date.data and skipped_by_clock_change(self.date.data, field.data):
            raise ValidationError(skipped_message(self.date.data))

    def validate_end_time(self, field):
        if field.data and self.date.data and skipped_by_clock_change(self.date.data, field.data):
            raise ValidationError(skipped_message(self.date.data))
        if field.data and self.start_time.data and field.data <= self.start_time.data:
            raise ValidationError("Das Ende muss nach dem Beginn liegen.")


PUBLIC_CHOICES = [("oe", "öffentlich (Ö)"), ("n", "nicht öffentlich (N)")]


class AgendaItemForm(Form):
    title = StringField("Titel des TOP", validators=[visible_name, DataRequired("Bitte gib dem TOP einen Titel."),
                                                     Length(max=200), no_control_chars])
    description = TextAreaField("Beschreibung", validators=[Length(max=5000), no_control_chars],
                                description="Was wird besprochen? Erscheint in der Einladung.")
    public = SelectField("Öffentlichkeit", choices=choices(PUBLIC_CHOICES), validators=[Optional()],
                         description="Nicht öffentliche TOPs mit Protokolltext, Beschlüssen und Anlagen sehen nur "
                                     "die Mitglieder der AG; öffentliche erscheinen nach der Veröffentlichung "
                                     "der Niederschrift auch in der OParl-Schnittstelle.")

    @property
    def is_public(self) -> bool | None:
        """Ö (True), N (False), or None when the field was not sent (keep / the AG's default)."""
        return {"oe": True, "n": False}.get(self.public.data)


class MinutesForm(AgendaItemForm):
    minutes = TextAreaField("Protokoll zu diesem TOP", validators=[Length(max=50000), no_control_chars],
                            description="Ergebnisse und Erkenntnisse, gern als Liste. " + MARKDOWN_HINT)
    #: Optimistic lock: the version the editor started from.
    version = HiddenField()


class DecisionForm(Form):
    text = TextAreaField("Beschlusstext", validators=[DataRequired("Bitte gib den Beschlusstext ein."),
                                                     Length(max=5000), no_control_chars])
    yes = IntegerField("Ja", default=0, validators=[InputRequired("Bitte eine Zahl."),
                                                    NumberRange(min=0, message="Nicht negativ.")])
    no = IntegerField("Nein", default=0, validators=[InputRequired("Bitte eine Zahl."),
                                                     NumberRange(min=0, message="Nicht negativ.")])
    abstain = IntegerField("Enthaltung", default=0, validators=[InputRequired("Bitte eine Zahl."),
                                                                NumberRange(min=0, message="Nicht negativ.")])


class ActionItemForm(Form):
    task = TextAreaField("Aufgabe", validators=[DataRequired("Bitte beschreibe die Aufgabe."),
                                                Length(max=2000), no_control_chars])
    responsible = StringField("verantwortlich", validators=[DataRequired("Bitte gib an, wer sich kümmert."),
                                                            Length(max=200)])
    due_on = DateField("Frist", validators=[Optional()])


class TransitionForm(Form):
    reason = TextAreaField("Begründung", validators=[Length(max=2000), no_control_chars])


class CorrectionForm(Form):
    agenda_item = SelectField("Betrifft", coerce=int, validators=[Optional()])
    text = TextAreaField("Berichtigung", validators=[DataRequired("Bitte beschreibe die Berichtigung."),
                                                     Length(max=10000), no_control_chars],
                         description="Wird mit Datum und deinem Namen an die genehmigte Niederschrift angefügt. "
                                     + NO_SOCIAL_DATA)


class ChangeRequestForm(Form):
    agenda_item = SelectField("Zu welchem TOP?", coerce=int,
                              validators=[InputRequired("Bitte wähle den TOP, auf den sich der Änderungswunsch bezieht.")])
    text = TextAreaField("Änderungswunsch", validators=[DataRequired("Bitte beschreibe deinen Änderungswunsch."),
                                                        Length(max=5000), no_control_chars],
                         description="Das Protokoll sieht ihn vor der Genehmigung. " + NO_SOCIAL_DATA)


class ChangeRequestAnswerForm(Form):
    status = SelectField("Entscheidung", choices=choices([("uebernommen", "übernommen"), ("abgelehnt", "abgelehnt")]),
                         validators=[InputRequired("Bitte wähle „übernommen“ oder „abgelehnt“.")])
    answer = TextAreaField("Antwort", validators=[Length(max=5000), no_control_chars],
                           description="Bei einer Ablehnung bitte begründen.")


class AttendanceForm(Form):
    """CSRF and guests; the per-member choices are radio groups named ``m-<membership id>``."""

    guests = TextAreaField("Gäste", validators=[Length(max=5000), no_control_chars],
                           description="Eine Person je Zeile, mit Funktion, z. B. „Vorsitz JHA“.")


class AttachmentForm(Form):
    file = FileField("Datei", description="PDF, ODT, DOCX oder XLSX, höchstens 10 MB.")
    agenda_item = SelectField("gehört zu", coerce=int, validators=[Optional()])
