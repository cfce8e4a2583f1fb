"""Form pieces shared by every feature."""
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


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
