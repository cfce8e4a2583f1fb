"""Issue 18.12 / 19.5 outside the calendar (proposal Laufzeit, "Sichtbar bis") and 19.19's names made
only of invisible characters: one validator in portal/forms.py for every field that makes a slug or a
heading. Each test failed on main before the fix."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.admin.forms import OrtsteilForm, PageForm, SozialraumForm, TraegerForm, UserForm
from portal.ag.forms import AgendaItemForm, GroupForm
from portal.board.forms import PostForm
from portal.calendar.forms import EventForm
from portal.extensions import db
from portal.formatting import heute
from portal.forms import visible_text
from portal.join.forms import JoinForm
from portal.org.models import Ortsteil
from portal.proposals.forms import ProposalForm
from tests.board_helpers import post_data
from tests.test_proposals import complete_form

INVISIBLE = ["\u200b", "\u00a0\u00a0", "\u00ad", " \u200b\u2060 ", "\ufeff", "\u3164", "\u2800", "\u200d\u200c"]


def errors(response) -> str:
    return " ".join(re.findall(r'class="field__error"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S))


# --- names made only of invisible characters ------------------------------------------------------------------

@pytest.mark.parametrize("form_class, field", [
    (OrtsteilForm, "name"), (SozialraumForm, "name"), (TraegerForm, "name"), (TraegerForm, "short_name"),
    (UserForm, "display_name"), (JoinForm, "display_name"), (GroupForm, "name"), (GroupForm, "short_name"),
    (AgendaItemForm, "title"), (PostForm, "title"), (EventForm, "title"), (ProposalForm, "title"),
    (PageForm, "title"),
])
@pytest.mark.parametrize("value", INVISIBLE)
def test_a_name_of_only_invisible_characters_is_refused_in_every_name_field(app, form_class, field, value):
    with app.test_request_context(method="POST", data={field: value}):
        form = form_class(formdata=MultiDict({field: value}), meta={"csrf": False})
        form[field].validate(form)
        messages = " ".join(form[field].errors)
    assert "sichtbare" in messages, (form_class.__name__, field, repr(value), form[field].errors)


@pytest.mark.parametrize("value", ["Taubach", "Ober\u00adweimar", "Jana\u00a0Roth", "AG 78 HzE", "Ö"])
def test_visible_names_pass(value):
    assert visible_text(value)


def test_admin_cannot_create_an_ortsteil_named_zero_width_space(app, client_as):
    with app.app_context():
        west = db.session.scalar(select(Ortsteil.sozialraum_id).limit(1))
    response = client_as("admin").post("/admin/ortsteile/new", data={"name": "\u200b", "sozialraum": str(west)})
    assert response.status_code == 422
    assert "sichtbare" in errors(response)
    # a name that gives no address (only punctuation) asks for an address of its own
    response = client_as("admin").post("/admin/ortsteile/new", data={"name": "!!!", "sozialraum": str(west)})
    assert response.status_code == 422
    assert "Kürzel" in errors(response)
    with app.app_context():
        assert db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "")) is None


# --- proposal Laufzeit --------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"starts_on": "0001-01-01", "ends_on": "9999-12-31", "extension_reason": "Für immer."}, "höchstens 10 Jahre"),
    ({"starts_on": "2026-01-01", "ends_on": "9999-12-31", "extension_reason": "Für immer."}, "höchstens 10 Jahre"),
    ({"starts_on": "2026-01-01", "ends_on": "2032-12-31", "extension_reason": "Lange."}, "höchstens 5 Jahre"),
])
def test_absurd_proposal_dates_are_refused_even_in_a_draft(app, client_as, overrides, message):
    data = complete_form(app, intent="save", **overrides)
    response = client_as("fachkraft").post("/proposals/new", data=data)
    assert response.status_code == 422
    assert message in errors(response)


# --- Sichtbar bis ---------------------------------------------------------------------------------------------

def test_visible_until_at_most_a_year_ahead(app, client_as):
    with app.app_context():
        too_far = (heute() + timedelta(days=400)).isoformat()
        fine = (heute() + timedelta(days=300)).isoformat()
    volunteer = client_as("ehrenamt")
    refused = volunteer.post("/board/taubach/new", data=post_data(visible_until=too_far))
    assert refused.status_code == 422
    assert "höchstens ein Jahr" in errors(refused)
    assert volunteer.post("/board/taubach/new", data=post_data(visible_until=fine)).status_code == 303
