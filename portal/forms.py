"""Form pieces shared by every feature."""
import unicodedata

import wtforms
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations
from wtforms.validators import StopValidation, ValidationError

#: WTForms messages its German catalogue lacks (an English message must never reach a page).
MISSING_GERMAN = {
    "'%(value)s' is not a valid choice for this field.": "Bitte eine der angebotenen Möglichkeiten wählen.",
    "'%(value)s' are not valid choices for this field.": "Bitte nur angebotene Möglichkeiten wählen.",
    "Choices cannot be None.": "Bitte eine der angebotenen Möglichkeiten wählen.",
    "Date must be at least %(min)s.": "Das Datum darf nicht vor dem %(min)s liegen.",
    "Date must be at most %(max)s.": "Das Datum darf nicht nach dem %(max)s liegen.",
    "Date must be between %(min)s and %(max)s.": "Das Datum muss zwischen %(min)s und %(max)s liegen.",
    "Field must be exactly %(max)d character long.": "Das Feld muss genau %(max)d Zeichen lang sein.",
    "Field must be exactly %(max)d characters long.": "Das Feld muss genau %(max)d Zeichen lang sein.",
    "Not a valid time value.": "Keine gültige Uhrzeit (bitte als SS:MM, z. B. 18:30).",
    "Not a valid week value.": "Keine gültige Kalenderwoche.",
    "This field cannot be edited.": "Dieses Feld kann nicht geändert werden.",
    "This field is disabled and cannot have a value.": "Dieses Feld ist gesperrt und kann keinen Wert haben.",
}


class GermanTranslations:
    """WTForms' German catalogue, completed by ``MISSING_GERMAN``."""

    def __init__(self):
        self._base = get_translations(["de_DE", "de"])

    def gettext(self, string: str) -> str:
        result = self._base.gettext(string)
        return MISSING_GERMAN.get(string, result) if result == string else result

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        result = self._base.ngettext(singular, plural, n)
        if result in (singular, plural):
            return MISSING_GERMAN.get(result, result)
        return result


_GERMAN = GermanTranslations()


class _GermanMeta:
    locales = ("de_DE", "de")

    def get_translations(self, form):
        return _GERMAN


class Form(FlaskForm):
    """Base of every form: WTForms' own messages in German ("Dieses Feld wird benötigt.").

    Flask-WTF's translation hook needs Flask-Babel; with WTF_I18N_ENABLED off, WTForms uses the
    German catalogue it ships.
    """

    class Meta(_GermanMeta):
        pass


class RowForm(wtforms.Form):
    """A repeated group of fields inside a Form (FieldList of FormField): no CSRF token of its own."""

    class Meta(_GermanMeta):
        pass


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (friendlier than a multi-select, above all on a phone)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def no_control_chars(form, field):
    if field.data and any(ord(c) < 32 and c not in "\r\n\t" for c in field.data):
        raise ValidationError("Der Text enthält unzulässige Steuerzeichen.")


#: Characters that show nothing although Unicode does not call them spaces or format characters
#: (Hangul fillers, the blank Braille pattern, the Khmer inherent vowels, combining grapheme joiner).
_BLANK_LOOKING = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u17b4", "\u17b5", "\u034f"}
#: Whitespace (Z*), control (Cc), format (Cf: zero-width space/joiners, soft hyphen, BOM, word joiner,
#: direction marks), unassigned/private (Cn, Co) and combining marks (M*) alone show nothing.
_INVISIBLE_CATEGORIES = ("Z", "Cc", "Cf", "Cn", "Co", "Cs", "M")
INVISIBLE_NAME = ("Bitte gib sichtbare Buchstaben oder Ziffern ein – nur Leerzeichen oder unsichtbare "
                  "Zeichen reichen nicht.")


def visible_text(value: str | None) -> bool:
    """Does ``value`` contain at least one character a reader can see?"""
    return any(not ch.isspace() and ch not in _BLANK_LOOKING
               and not unicodedata.category(ch).startswith(_INVISIBLE_CATEGORIES) for ch in value or "")


def visible_name(form, field):
    """The one check for every name or title that becomes a heading or an address (Ortsteil,
    Sozialraum, AG, Träger, display name, post/event/proposal titles): an empty field is left to
    DataRequired/Optional, a field of only invisible characters (zero-width space, NBSP, soft
    hyphen …) is refused; plain spaces count as empty. Put it first: it stops the chain, so the person reads this one message."""
    if field.data and field.data.strip(" \t\r\n") and not visible_text(field.data):
        raise StopValidation(INVISIBLE_NAME)


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs -> WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]
