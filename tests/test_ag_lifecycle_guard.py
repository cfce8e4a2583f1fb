"""AG 78, issue 15 (guard the lifecycle): minutes can be published only after the meeting has
started and with attendance recorded."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.ag import minutes
from portal.ag.models import MinutesStatus
from portal.errors import Conflict
from portal.extensions import db
from tests.conftest import get_user
from tests.factories.ag import AG, build_ag, meeting, record_attendance, text


@pytest.fixture
def ag(app) -> AG:
    return build_ag(app)


def _move_to_future(app, ag: AG, number: int) -> None:
    with app.app_context():
        m = meeting(ag, number)
        m.date = date.today() + timedelta(days=30)
        db.session.commit()


def test_minutes_of_a_future_meeting_cannot_be_published(app, client_as, ag):
    _move_to_future(app, ag, 3)
    client = client_as("protokoll")
    page = text(client.get(ag.url(3)))
    assert "Sitzung hat noch nicht begonnen" in page
    assert "/minutes/publish" not in page  # no button, only the reason
    assert client.post(ag.url(3, "minutes/publish")).status_code == 409
    with app.app_context():
        assert meeting(ag, 3).minutes_status == MinutesStatus.ENTWURF


def test_minutes_without_attendance_cannot_be_published(app, client_as, ag):
    client = client_as("protokoll")
    assert "Bitte zuerst die Anwesenheit erfassen" in text(client.get(ag.url(3)))
    assert client.post(ag.url(3, "minutes/publish")).status_code == 409
    with app.app_context():
        assert meeting(ag, 3).minutes_status == MinutesStatus.ENTWURF
        with pytest.raises(Conflict):
            minutes.change_status(meeting(ag, 3), "publish", get_user("protokoll"))


def test_minutes_of_a_held_meeting_with_attendance_are_published(app, client_as, ag):
    client = client_as("protokoll")
    assert record_attendance(app, ag, client, 3).status_code == 303
    assert "/minutes/publish" in text(client.get(ag.url(3)))
    assert client.post(ag.url(3, "minutes/publish")).status_code == 303
    with app.app_context():
        assert meeting(ag, 3).minutes_status == MinutesStatus.VEROEFFENTLICHT
