"""End to end over HTTP: the proposals' operations send their events, the notifications hear them in
the same transaction. A decision that loses (409, stale version) leaves no notification and no mail."""
from __future__ import annotations

import inspect
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import Notification, OutboxMail
from portal.proposals.models import ProposalState
from tests.conftest import get_user
from tests.factories.notify import make_proposal


def _proposals_send_signals() -> bool:
    from portal.proposals import services

    return "proposal_returned" in inspect.getsource(services)


pytestmark = pytest.mark.skipif(not _proposals_send_signals(),
                                reason="needs the proposals operations that send portal.signals (branch i11-proposals)")


@pytest.fixture
def submitted(app):
    with app.app_context():
        fachkraft = get_user("fachkraft")
        p = make_proposal(fachkraft.traeger, get_user("koordination").sozialraum, state=ProposalState.EINGEREICHT,
                          title="Lernpaten im Quartier", target_group="Kinder", content="Lernen mit Paten.",
                          hours_per_week=2.0, starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31),
                          expected_effect="Bessere Noten.", contact_person="Thomas Becker")
        db.session.commit()
        return p.id, p.version


def _entries(app, role):
    with app.app_context():
        user = get_user(role)
        return [(n.kind, n.text) for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.subject_key.like("proposal:%")))]


def _mails(app, role):
    with app.app_context():
        return db.session.scalars(select(OutboxMail.subject).where(OutboxMail.user_id == get_user(role).id)).all()


def test_rueckfrage_over_http_reaches_the_traeger_bell_and_outbox(app, client_as, submitted):
    proposal_id, version = submitted
    response = client_as("leitung").post(f"/proposals/{proposal_id}/transition", data={
        "action": "query", "version": version, "comment": "Wie viele Paten gibt es?"})
    assert response.status_code == 303
    assert _entries(app, "fachkraft") == [("proposal_returned",
                                           "Leitung hat zu „Lernpaten im Quartier“ eine Rückfrage gestellt")]
    assert _mails(app, "fachkraft") == ["Leitung hat zu „Lernpaten im Quartier“ eine Rückfrage gestellt"]
    assert _entries(app, "fachkraft_caritas") == [] and _entries(app, "leitung") == []
    page = client_as("fachkraft").get("/").get_data(as_text=True)
    assert '1<span class="visually-hidden"> ungelesen</span>' in page


def test_a_stale_decision_leaves_no_notification_and_no_mail(app, client_as, submitted):
    proposal_id, version = submitted
    response = client_as("leitung").post(f"/proposals/{proposal_id}/transition", data={
        "action": "query", "version": version + 5, "comment": "Zu spät"})
    assert response.status_code == 409
    assert _entries(app, "fachkraft") == []
    assert _mails(app, "fachkraft") == []
