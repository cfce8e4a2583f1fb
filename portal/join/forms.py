from wtforms import BooleanField, DateField, EmailField, IntegerField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange

from portal.auth.forms import SetPasswordForm
from portal.forms import Form, MultiCheckboxField, visible_name


class LinkForm(Form):
    ortsteile = MultiCheckboxField("Ortsteile", coerce=int,
                                   validators=[DataRequired("Bitte wähle mindestens einen Ortsteil.")])
    valid_until = DateField("Gültig bis einschließlich",
                            validators=[InputRequired("Bitte gib ein Datum ein.")])
    max_uses = IntegerField("Höchstens so viele Personen", default=30, validators=[
        InputRequired("Bitte gib eine Zahl ein."), NumberRange(1, 500, "Bitte eine Zahl von 1 bis 500.")])
    needs_release = BooleanField("Neue Konten erst nach Freigabe")


class JoinForm(SetPasswordForm):
    display_name = StringField("Dein Name (so sehen dich die anderen)", validators=[
        visible_name, DataRequired("Bitte gib deinen Namen ein."), Length(max=120, message="Höchstens 120 Zeichen.")])
    email = EmailField("E-Mail", validators=[
        DataRequired("Bitte gib deine E-Mail-Adresse ein."),
        Length(max=254, message="Höchstens 254 Zeichen."),
        Email("Bitte gib eine gültige E-Mail-Adresse ein.", check_deliverability=False)])
    consent = BooleanField("Ich habe die Nutzungsbedingungen und die Datenschutzerklärung gelesen und bin "
                           "einverstanden.", validators=[DataRequired("Bitte stimme zu, um mitzumachen.")])

    def validate(self, extra_validators=None):
        # The new person's name and address must not be the password either.
        self.account = type("Joining", (), {"email": self.email.data or "",
                                            "display_name": self.display_name.data or ""})()
        return super().validate(extra_validators)
