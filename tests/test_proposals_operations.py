"""Projektanträge: every change goes through one operation that sends its domain event
(portal.signals) with the documented payload; files go only after a successful commit; an outdated
form is refused with what the user typed kept."""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal import signals
from portal.errors import NotAllowed
from portal.extensions import db
from portal.org.models import Sozialraum
from portal.proposals import services
from portal.proposals.models import Proposal, ProposalComment, ProposalDocument, ProposalState
from tests.conftest import ROLE_LOGINS, get_user
from tests.factories.proposals import document_path, make_document, make_proposal

S = ProposalState
PROPOSAL_SIGNALS = ("proposal_created", "proposal_updated", "proposal_submitted", "proposal_returned",
                    "proposal_decided", "proposal_withdrawn", "proposal_report", "proposal_commented",
                    "hze_hours_set")


@dataclass
class Sent:
    """What a listener saw (the objects are detached once the request is over)."""
    name: str
    kind: str
    id: int
    fields: dict
    actor: str | None
    details: dict


SENDER_FIELDS = ("state", "title", "proposal_id", "body", "sozialraum_id", "month", "hours")


@contextmanager
def received():
    """Every proposal event sent inside the block, as [Sent]."""
    got = []
    receivers = {}
    for name in PROPOSAL_SIGNALS:
        def receiver(sender, _name=name, actor=None, **details):
            fields = {f: getattr(sender, f) for f in SENDER_FIELDS if hasattr(type(sender), f)}
            got.append(Sent(_name, type(sender).__name__, sender.id, fields, actor.email if actor else None, details))
        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    try:
        yield got
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)


def made(app, state=S.ENTWURF, **values) -> tuple[int, int]:
    with app.app_context():
        p = make_proposal(state, **values)
        db.session.commit()
        return p.id, p.version


def version_of(app, pid) -> int:
    with app.app_context():
        return db.session.get(Proposal, pid).version


def form(app, **overrides):
    with app.app_context():
        nord = db.session.scalar(select(Sozialraum.id).where(Sozialraum.slug == "nord"))
    data = {"intent": "save", "title": "Spielplatzpaten", "sozialraum": nord, "target_group": "Kinder 6–12 Jahre",
            "content": "Kinder und Eltern pflegen gemeinsam den Spielplatz.", "hours_per_week": "2,5",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "expected_effect": "Mehr Begegnung.",
            "contact_person": "Thomas Becker, AWO", "indicators-0-indicator": "Familien pro Aktion",
            "indicators-0-method": "Strichliste"}
    data.update(overrides)
    return data


# --- domain events ------------------------------------------------------------------------------------

def test_the_formblatt_sends_created_updated_and_submitted(app, client_as):
    c = client_as("fachkraft")
    with received() as got:
        assert c.post("/proposals/new", data=form(app)).status_code == 303
    [sent] = got
    assert (sent.name, sent.kind, sent.fields["title"], sent.fields["state"]) == (
        "proposal_created", "Proposal", "Spielplatzpaten", S.ENTWURF)
    assert (sent.actor, sent.details) == ("fachkraft@awo.example", {})
    pid = sent.id

    with received() as got:
        assert c.post(f"/proposals/{pid}/edit", data=form(app, intent="submit", version=version_of(app, pid),
                                                          title="Spielplatzpaten Nord")).status_code == 303
    assert [(g.name, g.id, g.actor, g.details) for g in got] == [
        ("proposal_updated", pid, "fachkraft@awo.example", {}),
        ("proposal_submitted", pid, "fachkraft@awo.example", {"resubmitted": False}),
    ]


@pytest.mark.parametrize("state, action, comment, expected", [
    (S.EINGEREICHT, "query", "Bitte den Zielwert nennen.",
     ("proposal_returned", "leitung", {"reason": "Bitte den Zielwert nennen."})),
    (S.EINGEREICHT, "approve", "", ("proposal_decided", "leitung", {"approved": True, "reason": ""})),
    (S.EINGEREICHT, "reject", "Kein Angebot im Sozialraum.",
     ("proposal_decided", "leitung", {"approved": False, "reason": "Kein Angebot im Sozialraum."})),
    (S.RUECKFRAGE, "submit", "", ("proposal_submitted", "fachkraft", {"resubmitted": True})),
    (S.EINGEREICHT, "withdraw", "Die Räume fallen weg.", ("proposal_withdrawn", "fachkraft", {})),
    (S.BERICHTET, "acknowledge", "", ("proposal_report", "leitung", {"step": "acknowledged", "reason": ""})),
    (S.BERICHTET, "return_report", "Ist-Werte fehlen.",
     ("proposal_report", "leitung", {"step": "returned", "reason": "Ist-Werte fehlen."})),
])
def test_each_step_of_the_workflow_sends_its_event(app, client_as, state, action, comment, expected):
    pid, version = made(app, state)
    name, role, details = expected
    with received() as got:
        r = client_as(role).post(f"/proposals/{pid}/transition",
                                 data={"action": action, "version": version, "comment": comment})
    assert r.status_code == 303
    [sent] = got
    assert (sent.name, sent.kind, sent.id, sent.actor, sent.details) == (name, "Proposal", pid, ROLE_LOGINS[role],
                                                                         details)


def test_the_wirkungsbericht_sends_step_submitted(app, client_as):
    pid, version = made(app, S.FREIGEGEBEN)
    with received() as got:
        r = client_as("fachkraft").post(f"/proposals/{pid}/report", data={
            "version": version, "results-0-actual": "7", "report_text": "Es kamen sieben Kinder."})
    assert r.status_code == 303
    assert [(g.name, g.id, g.actor, g.details) for g in got] == [
        ("proposal_report", pid, "fachkraft@awo.example", {"step": "submitted", "reason": ""})]
    assert got[0].fields["state"] == S.BERICHTET


def test_a_comment_sends_the_comment_itself(app, client_as):
    pid, _ = made(app, S.RUECKFRAGE)
    with received() as got:
        assert client_as("koordination").post(f"/proposals/{pid}/comments",
                                              data={"body": "Wir haben Räume."}).status_code == 303
    [sent] = got
    assert (sent.name, sent.kind, sent.actor) == ("proposal_commented", "ProposalComment",
                                                  "koordination.nord@portal.example")
    assert (sent.fields["proposal_id"], sent.fields["body"]) == (pid, "Wir haben Räume.")
    with app.app_context():
        assert db.session.get(ProposalComment, sent.id).body == "Wir haben Räume."


def test_hze_hours_send_the_row(app, client_as):
    with app.app_context():
        nord = db.session.scalar(select(Sozialraum.id).where(Sozialraum.slug == "nord"))
    with received() as got:
        r = client_as("leitung").post("/proposals/target/hours", data={"sozialraum": nord, "month": "2031-03",
                                                                       "hours": "812,5"})
    assert r.status_code == 303
    [sent] = got
    assert (sent.name, sent.kind, sent.actor) == ("hze_hours_set", "HzeHours", "leitung@portal.example")
    assert sent.fields == {"sozialraum_id": nord, "month": date(2031, 3, 1), "hours": 812.5}


def test_listeners_run_before_the_commit_and_a_refused_step_sends_nothing(app, client_as):
    """A listener sees the change flushed but not committed; a refused operation sends no event."""
    pid, version = made(app, S.EINGEREICHT)
    states = []

    def listener(sender, **kwargs):
        states.append((sender.state, db.session().in_transaction()))

    signals.proposal_decided.connect(listener)
    try:
        assert client_as("fachkraft").post(f"/proposals/{pid}/transition",
                                           data={"action": "approve", "version": version}).status_code == 403
        assert states == []
        assert client_as("leitung").post(f"/proposals/{pid}/transition",
                                         data={"action": "approve", "version": version}).status_code == 303
    finally:
        signals.proposal_decided.disconnect(listener)
    assert states == [(S.FREIGEGEBEN, True)]


def test_operations_do_not_commit(app):
    """The caller (the view) commits once: after an operation a rollback leaves nothing behind."""
    with app.app_context():
        p = make_proposal(S.EINGEREICHT)
        db.session.commit()
        pid, leitung = p.id, get_user("leitung")
        services.decide(p, leitung, approved=True, version=p.version)
        services.add_comment(p, leitung, "Gut so.")
        db.session.rollback()
        stored = db.session.get(Proposal, pid, populate_existing=True)
        assert stored.state == S.EINGEREICHT and stored.comments == [] and stored.events == []


def test_an_operation_checks_the_permission_itself(app):
    with app.app_context():
        p = make_proposal(S.FREIGEGEBEN)
        caritas = get_user("fachkraft_caritas")
        with pytest.raises(NotAllowed):
            services.add_comment(p, caritas, "Hallo")
        with pytest.raises(NotAllowed):
            services.delete_document(make_document(p), caritas)
        with pytest.raises(NotAllowed):
            services.set_hze_hours(p.sozialraum_id, date(2026, 1, 1), 1.0, get_user("fachkraft"))


# --- files go only after a successful commit -----------------------------------------------------------------

@contextmanager
def failing_commit():
    """The next commit fails (as a lost connection or a refused write would)."""
    def refuse(session):
        raise RuntimeError("commit refused for the test")

    event.listen(Session, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", refuse)


def document_state(app, doc_id, path):
    with app.app_context():
        return db.session.get(ProposalDocument, doc_id) is not None, path.exists()


def test_deleting_a_document_removes_row_and_file_after_the_commit(app, client_as):
    with app.app_context():
        doc = make_document(make_proposal(S.FREIGEGEBEN))
        db.session.commit()
        pid, doc_id, path = doc.proposal_id, doc.id, document_path(doc)
    assert document_state(app, doc_id, path) == (True, True)
    button = "„leistungsangebot.pdf“ löschen</button>"
    assert button in client_as("fachkraft").get(f"/proposals/{pid}").get_data(as_text=True)
    assert button not in client_as("leitung").get(f"/proposals/{pid}").get_data(as_text=True)
    assert client_as("leitung").post(f"/proposals/{pid}/documents/{doc_id}/delete").status_code == 403
    r = client_as("fachkraft").post(f"/proposals/{pid}/documents/{doc_id}/delete")
    assert r.status_code == 303
    assert document_state(app, doc_id, path) == (False, False)


def test_a_failed_commit_keeps_the_row_and_its_file(app, client_as):
    with app.app_context():
        doc = make_document(make_proposal(S.FREIGEGEBEN))
        db.session.commit()
        pid, doc_id, path = doc.proposal_id, doc.id, document_path(doc)
    c = client_as("fachkraft")
    with failing_commit():
        assert c.post(f"/proposals/{pid}/documents/{doc_id}/delete").status_code == 500
    assert document_state(app, doc_id, path) == (True, True)
    assert c.get(f"/proposals/{pid}/documents/{doc_id}").data.startswith(b"%PDF-")


def test_a_failed_commit_of_an_upload_leaves_neither_row_nor_file(app, client_as):
    pid, _ = made(app, S.FREIGEGEBEN)
    c = client_as("fachkraft")
    with failing_commit():
        r = c.post(f"/proposals/{pid}/documents", content_type="multipart/form-data",
                   data={"kind": "leistungsangebot", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF"), "angebot.pdf")})
    assert r.status_code == 500
    with app.app_context():
        assert db.session.scalars(select(ProposalDocument).where(ProposalDocument.proposal_id == pid)).all() == []
    folder = Path(app.config["UPLOAD_DIR"]) / "proposals"
    assert list(folder.glob("*")) == []  # (an empty or missing folder)


# --- outdated forms: 409, and what was typed is still there ---------------------------------------------------

def test_saving_an_outdated_draft_gives_409_with_the_input_kept(app, client_as):
    pid, version = made(app, S.ENTWURF)
    c = client_as("fachkraft")
    assert c.post(f"/proposals/{pid}/edit", data=form(app, version=version, title="Erste Fassung")).status_code == 303
    late = c.post(f"/proposals/{pid}/edit", data=form(app, version=version, title="Aus dem alten Tab"))
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert 'value="Aus dem alten Tab"' in page and "jemand anderes gespeichert" in page
    with app.app_context():
        assert db.session.get(Proposal, pid).title == "Erste Fassung"
    # the form now carries the current version: saving again is a conscious decision
    current = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert int(current) == version_of(app, pid)
    assert c.post(f"/proposals/{pid}/edit", data=form(app, version=current, title="Aus dem alten Tab")).status_code == 303
    with app.app_context():
        assert db.session.get(Proposal, pid).title == "Aus dem alten Tab"


def test_with_htmx_an_outdated_draft_comes_back_as_a_form_htmx_swaps(app, client_as):
    pid, version = made(app, S.ENTWURF)
    c = client_as("fachkraft")
    assert c.post(f"/proposals/{pid}/edit", data=form(app, version=version)).status_code == 303
    late = c.post(f"/proposals/{pid}/edit", data=form(app, version=version, title="Aus dem alten Tab"),
                  headers={"HX-Request": "true"})
    page = late.get_data(as_text=True)
    assert late.status_code == 422 and page.lstrip().startswith("<form") and 'value="Aus dem alten Tab"' in page


def test_a_late_decision_gives_409_and_shows_the_text_that_was_not_stored(app, client_as):
    pid, version = made(app, S.EINGEREICHT)
    first, second = client_as("leitung"), client_as("leitung")
    assert first.post(f"/proposals/{pid}/transition", data={"action": "approve", "version": version}).status_code == 303
    late = second.post(f"/proposals/{pid}/transition",
                       data={"action": "reject", "version": version, "comment": "Passt nicht in den Sozialraum."})
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "Aktueller Stand: „Freigegeben“" in page and "Passt nicht in den Sozialraum." in page
    with app.app_context():
        assert db.session.get(Proposal, pid).state == S.FREIGEGEBEN
