"""Form pieces shared by every feature."""
import wtforms
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


class Form(FlaskForm):
    """Base of every form: WTForms' own messages in German ("Dieses Feld wird benötigt.").

    Flask-WTF's translation hook needs Flask-Babel; with WTF_I18N_ENABLED off, WTForms uses the
    German catalogue it ships.
    """

    class Meta:
        locales = ("de_DE", "de")


class RowForm(wtforms.Form):
    """A repeated group of fields inside a Form (FieldList of FormField): no CSRF token of its own."""

    class Meta:
        locales = ("de_DE", "de")


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (friendlier than a multi-select, above all on a phone)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def no_control_chars(form, field):
    if field.data and any(ord(c) < 32 and c not in "\r\n\t" for c in field.data):
        raise ValidationError("Der Text enthält unzulässige Steuerzeichen.")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs -> WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]
