"""Forms of the Pinnwand."""
from datetime import timedelta

from wtforms import (BooleanField, DateField, HiddenField, IntegerField, MultipleFileField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from portal.board.models import BODY_MAX, CATEGORY_LABELS, COMMENT_MAX, MAX_ATTACHMENTS, REASON_MAX, TITLE_MAX
from portal.formatting import heute
from portal.forms import Form, MultiCheckboxField, choices, no_control_chars, visible_name

NO_FAMILY_DATA = "Keine Namen oder Daten von Kindern und Familien – die Pinnwand ist nicht für Einzelfälle."


def not_in_past(form, field):
    if field.data and field.data < heute():
        raise ValidationError("Das Datum liegt in der Vergangenheit. Bitte wähle heute oder einen späteren Tag.")


#: "Sichtbar bis" lies at most this many days ahead (a board is for what is current).
VISIBLE_MAX_DAYS = 366


def within_a_year(form, field):
    if field.data and field.data > heute() + timedelta(days=VISIBLE_MAX_DAYS):
        last = heute() + timedelta(days=VISIBLE_MAX_DAYS)
        raise ValidationError(f"Ein Beitrag bleibt höchstens ein Jahr sichtbar. Bitte wähle ein Datum bis "
                              f"zum {last:%d.%m.%Y} oder lass das Feld leer.")


class PostForm(Form):
    title = StringField("Überschrift", validators=[
        visible_name,
        DataRequired("Bitte gib eine Überschrift ein."),
        Length(max=TITLE_MAX, message=f"Die Überschrift darf höchstens {TITLE_MAX} Zeichen lang sein."),
        no_control_chars,
    ], render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"})
    category = SelectField("Art des Beitrags", choices=choices((c.value, label) for c, label in CATEGORY_LABELS.items()),
                           validators=[DataRequired("Bitte wähle, was für ein Beitrag das ist.")])
    body = TextAreaField("Text", validators=[
        DataRequired("Bitte schreib einen Text."),
        Length(max=BODY_MAX, message=f"Der Text darf höchstens {BODY_MAX} Zeichen lang sein."),
        no_control_chars,
    ], description=NO_FAMILY_DATA + " Formatierung: **fett**, *kursiv*, Listen mit „- “.",
        render_kw={"rows": 6})
    files = MultipleFileField(
        "Bilder oder PDF anhängen",
        description=f"Bis zu {MAX_ATTACHMENTS} Dateien, je höchstens 5 MB: Fotos (JPEG, PNG, WebP) oder PDF. "
                    "Auf Fotos bitte keine erkennbaren Kinder ohne Einverständnis der Eltern.",
        render_kw={"accept": "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf",
                   "data-max-bytes": 5 * 1024 * 1024},
    )
    visible_until = DateField("Sichtbar bis (freiwillig)", validators=[Optional(), not_in_past, within_a_year],
                              description="Danach verschwindet der Beitrag von der Pinnwand und steht im Archiv.")
    remove_attachments = MultiCheckboxField("Anhänge entfernen", coerce=int)
    #: The version the edit form was loaded with (a post changed since then answers 409).
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    #: Random key of this "Neuer Beitrag" form: sent twice, it still makes one post.
    request_key = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{16,64}$", message="Das Formular ist ungültig. Bitte lade die Seite neu.")])


class CommentForm(Form):
    body = TextAreaField("Dein Kommentar", validators=[
        DataRequired("Bitte schreib einen Kommentar."),
        Length(max=COMMENT_MAX, message=f"Ein Kommentar darf höchstens {COMMENT_MAX} Zeichen lang sein."),
        no_control_chars,
    ], description="Bitte keine persönlichen Daten von Kindern oder Familien. Formatierung: **fett**, *kursiv*, "
                   "Listen mit „- “.", render_kw={"rows": 3})


class ReasonForm(Form):
    """Hide, report or delete: a reason the author (or the Moderation) will read."""

    reason = TextAreaField("Grund", validators=[
        DataRequired("Bitte gib einen Grund an."),
        Length(max=REASON_MAX, message=f"Der Grund darf höchstens {REASON_MAX} Zeichen lang sein."),
        no_control_chars,
    ], render_kw={"rows": 2})
    version = HiddenField()


class ModerationForm(Form):
    """One-click moderation actions carry the version the moderator saw."""

    version = IntegerField(validators=[Optional()])


class SettingsForm(Form):
    premoderation = BooleanField("Beiträge vor Veröffentlichung prüfen",
                                 description="Neue und geänderte Beiträge erscheinen erst, wenn die Moderation sie freigibt.")
