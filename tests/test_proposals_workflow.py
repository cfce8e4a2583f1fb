"""The state machine of Projektanträge: every state x every action x every role, the timeline and
snapshots it writes, and optimistic locking when two Leitung sessions decide at once."""
import pytest
from sqlalchemy import create_engine, func, select, text

from portal.extensions import db
from portal.errors import OperationError
from portal.proposals import services, workflow
from portal.proposals.models import Proposal, ProposalEvent, ProposalState
from portal.proposals.workflow import Action
from tests.conftest import get_user
from tests.factories.proposals import make_proposal

S = ProposalState

#: The workflow of issue 5, written down independently of workflow.TRANSITIONS.
EXPECTED = {
    (S.ENTWURF, Action.SUBMIT): S.EINGEREICHT,
    (S.RUECKFRAGE, Action.SUBMIT): S.EINGEREICHT,
    (S.ENTWURF, Action.WITHDRAW): S.ZURUECKGEZOGEN,
    (S.EINGEREICHT, Action.WITHDRAW): S.ZURUECKGEZOGEN,
    (S.RUECKFRAGE, Action.WITHDRAW): S.ZURUECKGEZOGEN,
    (S.EINGEREICHT, Action.QUERY): S.RUECKFRAGE,
    (S.EINGEREICHT, Action.APPROVE): S.FREIGEGEBEN,
    (S.EINGEREICHT, Action.REJECT): S.ABGELEHNT,
    (S.FREIGEGEBEN, Action.REPORT): S.BERICHTET,
    (S.BERICHTET, Action.ACKNOWLEDGE): S.ABGESCHLOSSEN,
    (S.BERICHTET, Action.RETURN_REPORT): S.FREIGEGEBEN,
}
APPLICANT_ACTIONS = {Action.SUBMIT, Action.WITHDRAW, Action.REPORT}

#: role -> how it relates to an AWO proposal in Sozialraum Nord.
ROLES = {
    "leitung": "leitung",            # decides, sees all
    "fachkraft": "applicant",        # AWO: the applying Träger
    "koordination": "watcher",       # Nord: sees it once submitted, does not apply for AWO
    "fachkraft_caritas": "stranger",  # another Träger
    "ehrenamt": "stranger",
    "admin": "stranger",
}


def expected_outcome(state, action, role):
    side = ROLES[role]
    sees = side in ("leitung", "applicant") or (side == "watcher" and state != S.ENTWURF)
    if not sees:
        return 404
    if side != ("applicant" if action in APPLICANT_ACTIONS else "leitung"):
        return 403
    if (state, action) not in EXPECTED:
        return 409
    return EXPECTED[(state, action)]


def test_the_table_in_code_is_the_documented_workflow():
    assert {k: t.to for k, t in workflow.TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("state", list(ProposalState))
def test_transition_table(module_app, state, action, role):
    # Each case makes and checks its own proposal, so the cases share the module's database.
    with module_app.app_context():
        p = make_proposal(state)
        user = get_user(role)
        events_before = len(p.events)
        expected = expected_outcome(state, action, role)
        if isinstance(expected, int):
            with pytest.raises(OperationError) as refused:
                services.act(p, action, user, version=p.version, comment="Begründung")
            assert refused.value.status == expected
            assert p.state == state and len(p.events) == events_before
        else:
            event = services.act(p, action, user, version=p.version, comment="Begründung")
            db.session.commit()
            stored = db.session.get(Proposal, p.id, populate_existing=True)
            assert stored.state == expected
            assert (event.from_state, event.to_state, event.actor_id, event.comment) == (
                state, expected, user.id, "Begründung")


@pytest.mark.parametrize("state, action", [(S.EINGEREICHT, Action.QUERY), (S.EINGEREICHT, Action.REJECT),
                                           (S.BERICHTET, Action.RETURN_REPORT)])
def test_rueckfrage_rejection_and_returned_report_need_a_reason(app, state, action):
    with app.app_context():
        p = make_proposal(state)
        with pytest.raises(OperationError) as refused:
            services.act(p, action, get_user("leitung"), version=p.version, comment="  ")
        assert refused.value.status == 422 and "comment" in refused.value.field_errors
        assert p.state == state and not p.events


def test_submission_stores_a_snapshot_and_resubmission_shows_what_changed(app):
    with app.app_context():
        p = make_proposal(S.ENTWURF)
        fachkraft, leitung = get_user("fachkraft"), get_user("leitung")
        services.act(p, Action.SUBMIT, fachkraft, version=p.version)
        services.act(p, Action.QUERY, leitung, version=p.version, comment="Bitte Zielwert nennen.")
        p.hours_per_week = 4.5
        p.indicators[0].target = "10"
        services.act(p, Action.SUBMIT, fachkraft, version=p.version)
        db.session.commit()
        assert [r.number for r in p.revisions] == [1, 2]
        assert p.revisions[0].data["hours_per_week"] == "3,0"
        previous, latest, changed = workflow.latest_changes(p)
        assert {c.label: (c.before, c.after) for c in changed} == {
            "Stundenumfang pro Woche": ("3,0", "4,5"),
            "Wirkungsindikatoren": (["Kinder pro Treffen – Erhebung: Strichliste – Ausgangswert 0, Zielwert 8"],
                                    ["Kinder pro Treffen – Erhebung: Strichliste – Ausgangswert 0, Zielwert 10"]),
        }
        assert [(e.from_state, e.to_state) for e in p.events] == [
            (S.ENTWURF, S.EINGEREICHT), (S.EINGEREICHT, S.RUECKFRAGE), (S.RUECKFRAGE, S.EINGEREICHT)]


def test_submitting_an_incomplete_draft_is_refused_with_field_messages(app):
    with app.app_context():
        p = make_proposal(S.ENTWURF, title="", hours_per_week=None, indicators=[])
        with pytest.raises(OperationError) as refused:
            services.act(p, Action.SUBMIT, get_user("fachkraft"), version=p.version)
        assert refused.value.status == 422
        assert {"title", "hours_per_week", "indicators"} <= set(refused.value.field_errors)


# --- optimistic locking ----------------------------------------------------------------------------

def _decisions(app, pid):
    with app.app_context():
        return db.session.scalar(select(func.count(ProposalEvent.id)).where(
            ProposalEvent.proposal_id == pid, ProposalEvent.action.in_(["approve", "reject", "query"])))


def test_two_leitung_sessions_deciding_store_exactly_one_decision(app, client_as):
    with app.app_context():
        p = make_proposal(S.EINGEREICHT)
        db.session.commit()
        pid, version = p.id, p.version
    first, second = client_as("leitung"), client_as("leitung")
    # both loaded the page with the same version
    assert b'name="version" value="%d"' % version in first.get(f"/proposals/{pid}").data
    assert b'name="version" value="%d"' % version in second.get(f"/proposals/{pid}").data
    ok = first.post(f"/proposals/{pid}/transition", data={"action": "approve", "version": version})
    assert ok.status_code == 303
    late = second.post(f"/proposals/{pid}/transition",
                       data={"action": "reject", "version": version, "comment": "Passt nicht."})
    assert late.status_code == 409
    assert "Aktueller Stand: „Freigegeben“" in late.get_data(as_text=True)
    assert _decisions(app, pid) == 1
    with app.app_context():
        assert db.session.get(Proposal, pid).state == S.FREIGEGEBEN


def test_a_concurrent_write_between_read_and_update_loses_no_decision(app):
    """The version check in the UPDATE itself (version_id_col): the row changed after we read it."""
    with app.app_context():
        p = make_proposal(S.EINGEREICHT)
        db.session.commit()
        pid = p.id
        p = db.session.get(Proposal, pid)
        loaded_version = p.version
        # another worker approves in the meantime (its own connection, committed)
        other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with other.begin() as conn:
            conn.execute(text("UPDATE proposal SET state = 'freigegeben', version = version + 1 WHERE id = :id"),
                         {"id": pid})
            conn.execute(text("INSERT INTO proposal_event (proposal_id, action, from_state, to_state, created_at, "
                              "comment) VALUES (:id, 'approve', 'eingereicht', 'freigegeben', CURRENT_TIMESTAMP, '')"),
                         {"id": pid})
        other.dispose()
        with pytest.raises(OperationError) as refused:
            services.act(p, Action.REJECT, get_user("leitung"), version=loaded_version, comment="Nein.")
        assert refused.value.status == 409
        assert "Freigegeben" in refused.value.message
        db.session.rollback()
    assert _decisions(app, pid) == 1
    with app.app_context():
        assert db.session.get(Proposal, pid).state == S.FREIGEGEBEN


def test_editing_with_an_outdated_form_is_refused(app, client_as):
    with app.app_context():
        p = make_proposal(S.ENTWURF)
        db.session.commit()
        pid, version = p.id, p.version
    c = client_as("fachkraft")
    form = {"intent": "save", "version": version, "title": "Erste Fassung", "sozialraum": 0,
            "indicators-0-indicator": "", "indicators-0-method": ""}
    assert c.post(f"/proposals/{pid}/edit", data=form).status_code == 303
    form["title"] = "Zweite Fassung aus einem alten Tab"
    assert c.post(f"/proposals/{pid}/edit", data=form).status_code == 409
    with app.app_context():
        assert db.session.get(Proposal, pid).title == "Erste Fassung"
