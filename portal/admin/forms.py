from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from portal.auth.models import ROLE_LABELS
from portal.forms import Form, MultiCheckboxField, choices, visible_name
from portal.org.models import RESERVED_ORTSTEIL_SLUGS, TraegerKind
from portal.text import slugify

REQUIRED = "Bitte ausfüllen."
SLUG = Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Nur Kleinbuchstaben, Ziffern und Bindestriche, z. B. „mitte-sued“.")


class UserForm(Form):
    display_name = StringField("Name", validators=[visible_name, DataRequired(REQUIRED), Length(max=120)])
    email = EmailField("E-Mail", validators=[
        DataRequired(REQUIRED), Length(max=254),
        Email("Bitte gib eine gültige E-Mail-Adresse ein.", check_deliverability=False),
    ])
    roles = MultiCheckboxField("Rollen", choices=choices((r.value, label) for r, label in ROLE_LABELS.items()),
                               validators=[DataRequired("Bitte wähle mindestens eine Rolle.")])
    traeger = SelectField("Träger (für Fachkräfte)", coerce=int, validators=[Optional()])
    sozialraum = SelectField("Sozialraum (für Koordination)", coerce=int, validators=[Optional()])
    ortsteile = MultiCheckboxField("Ortsteile (für Ehrenamtliche)", coerce=int)


class TraegerForm(Form):
    name = StringField("Name", validators=[visible_name, DataRequired(REQUIRED), Length(max=200)])
    short_name = StringField("Kurzname", validators=[visible_name, DataRequired(REQUIRED), Length(max=40)])
    kind = SelectField("Art", choices=choices((k.value, k.label) for k in TraegerKind))


class SozialraumForm(Form):
    name = StringField("Name", validators=[visible_name, DataRequired(REQUIRED), Length(max=80)])
    slug = StringField("Kürzel in Adressen", validators=[Optional(), Length(max=80), SLUG],
                       description="Leer lassen: wird aus dem Namen gebildet.")
    office = StringField("Stadtteilbüro", validators=[Optional(), Length(max=120)])


class OrtsteilForm(Form):
    name = StringField("Name", validators=[visible_name, DataRequired(REQUIRED), Length(max=80)])

    slug = StringField("Kürzel in Adressen", validators=[Optional(), Length(max=80), SLUG],
                       description="Leer lassen: wird aus dem Namen gebildet.")
    sozialraum = SelectField("Sozialraum", coerce=int, validators=[DataRequired("Bitte wähle einen Sozialraum.")])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        slug = self.slug.data or slugify(self.name.data or "")
        if slug in RESERVED_ORTSTEIL_SLUGS:
            self.slug.errors = [*self.slug.errors,
                                f"„{slug}“ ist für die Pinnwand reserviert; bitte ein anderes Kürzel wählen."]
            return False
        return valid


class PageForm(Form):
    title = StringField("Überschrift", validators=[visible_name, DataRequired(REQUIRED), Length(max=120)])
    body = TextAreaField("Text (Markdown)", validators=[Length(max=50000)])
