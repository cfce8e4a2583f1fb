"""The settings page: one choice of channel per kind, and the boards followed."""
from __future__ import annotations

from wtforms import SelectField

from portal.forms import Form, MultiCheckboxField, choices
from portal.notifications.models import CHANNEL_LABELS, Channel, kinds_for


def settings_form(user, ortsteile, channels: dict[str, Channel], followed: set[int], formdata=None):
    """A form with a field ``kind_<key>`` per kind listed for ``user`` and the board checkboxes."""

    class SettingsForm(Form):
        boards = MultiCheckboxField("Pinnwände, denen ich folge", coerce=int,
                                    choices=choices((o.id, o.name) for o in ortsteile))

    kinds = kinds_for(user)
    for kind in kinds:
        setattr(SettingsForm, f"kind_{kind.key}",
                SelectField(kind.label, choices=choices((c.value, CHANNEL_LABELS[c]) for c in Channel)))
    data = {f"kind_{k.key}": (channels.get(k.key) or k.default).value for k in kinds}
    data["boards"] = sorted(followed)
    form = SettingsForm(formdata=formdata, data=data)
    form.kinds = [(k, form[f"kind_{k.key}"]) for k in kinds]
    return form
