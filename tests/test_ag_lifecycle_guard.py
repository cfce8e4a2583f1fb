"""AG 78, issue 15 (guard the lifecycle): minutes can be published only after the meeting has
started and with attendance recorded; change requests are tied to a TOP and answered."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.ag import minutes
from portal.ag.models import ChangeRequest, ChangeRequestStatus, MinutesStatus
from portal.errors import Conflict
from portal.extensions import db
from portal.formatting import heute
from tests.conftest import get_user
from tests.factories.ag import AG, build_ag, first_item, meeting, record_attendance, text


@pytest.fixture
def ag(app) -> AG:
    return build_ag(app)


def _move_to_future(app, ag: AG, number: int) -> None:
    with app.app_context():
        m = meeting(ag, number)
        m.date = heute() + timedelta(days=30)
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


# --- change requests: tied to a TOP, offen / übernommen / abgelehnt with an answer ---------------

def _request(client, ag: AG, app, item: int | None, text_: str = "Bitte den Betrag in TOP 1 korrigieren."):
    data = {"change-text": text_}
    if item is not None:
        data["change-agenda_item"] = str(item)
    return client.post(ag.url(2, "change-requests"), data=data)


def test_a_change_request_needs_a_top_and_keeps_the_input(app, client_as, ag):
    member = client_as("ag_mitglied")
    response = _request(member, ag, app, 0, "Mein Wunschtext")
    assert response.status_code == 422
    page = text(response)
    assert "Bitte wähle den TOP" in page and "Mein Wunschtext" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(ChangeRequest.id))) == 0


def test_change_request_is_answered_uebernommen_or_abgelehnt_with_reason(app, client_as, ag):
    member, protokoll = client_as("ag_mitglied"), client_as("protokoll")
    item = first_item(app, ag, 2)
    assert _request(member, ag, app, item).status_code == 303
    assert _request(member, ag, app, item, "Zweiter Wunsch").status_code == 303
    with app.app_context():
        first, second = db.session.scalars(select(ChangeRequest).order_by(ChangeRequest.id)).all()
        assert first.agenda_item_id == item and first.status == ChangeRequestStatus.OFFEN
        first_id, second_id = first.id, second.id
    base = ag.url(2, "change-requests")
    # the member may not answer
    assert member.post(f"{base}/{first_id}/answer",
                       data={f"answer-{first_id}-status": "uebernommen"}).status_code == 403
    # a refusal needs a reason: 422, input kept
    response = protokoll.post(f"{base}/{second_id}/answer",
                              data={f"answer-{second_id}-status": "abgelehnt", f"answer-{second_id}-answer": ""})
    assert response.status_code == 422 and "Bitte begründe die Ablehnung" in text(response)
    assert protokoll.post(f"{base}/{first_id}/answer",
                          data={f"answer-{first_id}-status": "uebernommen"}).status_code == 303
    assert protokoll.post(f"{base}/{second_id}/answer",
                          data={f"answer-{second_id}-status": "abgelehnt",
                                f"answer-{second_id}-answer": "Steht so im Beschluss."}).status_code == 303
    # settled requests are not answered twice
    assert protokoll.post(f"{base}/{first_id}/answer",
                          data={f"answer-{first_id}-status": "abgelehnt",
                                f"answer-{first_id}-answer": "doch nicht"}).status_code == 409
    with app.app_context():
        first, second = db.session.get(ChangeRequest, first_id), db.session.get(ChangeRequest, second_id)
        assert first.status == ChangeRequestStatus.UEBERNOMMEN and first.answered_by_id == get_user("protokoll").id
        assert second.status == ChangeRequestStatus.ABGELEHNT and second.answer == "Steht so im Beschluss."
    page = text(member.get(ag.url(2)))
    assert "übernommen" in page and "abgelehnt" in page and "Steht so im Beschluss." in page
