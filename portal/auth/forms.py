from flask import current_app
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from portal.forms import Form


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


class SetPasswordForm(Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.description = (
            f"Mindestens {current_app.config['PASSWORD_MIN_LENGTH']} Zeichen. Ein Satz aus mehreren "
            "Wörtern ist leicht zu merken und sicher."
        )

    password = PasswordField("Neues Passwort", validators=[DataRequired("Bitte gib ein Passwort ein."), _long_enough])
    confirm = PasswordField("Passwort wiederholen", validators=[
        DataRequired("Bitte wiederhole das Passwort."),
        EqualTo("password", "Die beiden Passwörter stimmen nicht überein."),
    ])


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField("Bisheriges Passwort", validators=[DataRequired("Bitte gib dein bisheriges Passwort ein.")])
