from flask import current_app
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from portal.forms import Form, no_control_chars


class LoginForm(Form):
    email = EmailField("E-Mail", validators=[DataRequired("Bitte gib deine E-Mail-Adresse ein.")])
    password = PasswordField("Passwort", validators=[DataRequired("Bitte gib dein Passwort ein.")])


class ForgotPasswordForm(Form):
    email = EmailField("E-Mail", validators=[DataRequired("Bitte gib deine E-Mail-Adresse ein.")])


def _long_enough(form, field):
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(f"Das Passwort muss mindestens {minimum} Zeichen lang sein.")
    if len(field.data) > 200:
        raise ValidationError("Das Passwort darf höchstens 200 Zeichen lang sein.")


def _hard_to_guess(form, field):
    """Refuse common, keyboard, repeated and context passwords (zxcvbn's estimate, ASVS 6.2.4/6.2.11)."""
    if field.errors or not field.data:  # too short or too long: that message is enough
        return
    from zxcvbn import zxcvbn

    context = ["traegerportal", "portal", "passwort", "jugendamt", "familienamt"]
    if form.account is not None:
        email = form.account.email or ""
        context += [email, email.split("@")[0], *email.split("@")[0].replace("-", ".").split("."),
                    *(form.account.display_name or "").split()]
    if zxcvbn(field.data[:100], user_inputs=[c for c in context if c])["score"] < current_app.config["PASSWORD_MIN_SCORE"]:
        raise ValidationError("Dieses Passwort ist zu leicht zu erraten – es ist ein häufiges Passwort, eine "
                              "Tasten- oder Zahlenfolge, eine Wiederholung oder enthält deinen Namen oder deine "
                              "E-Mail-Adresse. Nimm besser einen Satz aus mehreren Wörtern, z. B. "
                              "„Montags backen wir Brot in Taubach“.")


class SetPasswordForm(Form):
    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        #: The person whose password this is: their name and address must not be the password.
        self.account = account
        self.password.description = (
            f"Mindestens {current_app.config['PASSWORD_MIN_LENGTH']} Zeichen, nicht leicht zu erraten. Ein Satz "
            "aus mehreren Wörtern ist leicht zu merken und sicher."
        )

    password = PasswordField("Neues Passwort", validators=[DataRequired("Bitte gib ein Passwort ein."), _long_enough,
                                                           _hard_to_guess])
    confirm = PasswordField("Passwort wiederholen", validators=[
        DataRequired("Bitte wiederhole das Passwort."),
        EqualTo("password", "Die beiden Passwörter stimmen nicht überein."),
    ])


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField("Bisheriges Passwort", validators=[DataRequired("Bitte gib dein bisheriges Passwort ein.")])


class CodeForm(Form):
    code = StringField("Code aus der Authenticator-App (oder ein Wiederherstellungscode)",
                       validators=[DataRequired("Bitte gib den Code ein.")])
    remember = BooleanField("Dieses Gerät 30 Tage lang merken (nur auf eigenen Geräten)")


class ApiTokenForm(Form):
    name = StringField("Wofür ist der Zugang?", validators=[DataRequired("Bitte gib dem Zugang einen Namen."),
                                                          Length(max=100), no_control_chars],
                       description="z. B. „Ratsinfo-App auf dem Laptop“ – damit du ihn später wiedererkennst.")
