"""AG 78 write path: every change is one operation that sends its domain event, views commit once,
files of deleted rows go only after a successful commit, the list filter agrees with the model's
rule, the German search folds like Python, and the AG page pages by ``nach``. Data from
tests/factories/ag.py, never from the demo AG's titles."""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from portal import signals
from portal.ag import meetings, minutes, services
from portal.ag.models import (AgendaItem, Attendance, Function, Meeting, MeetingAttachment, Membership, MinutesStatus,
                              Presence, WorkingGroup)
from portal.errors import Conflict, NotAllowed
from portal.extensions import db
from tests.conftest import ROLES, get_user
from tests.factories.ag import (PDF, add_member, make_action, make_ag, make_attachment, make_decision, make_group,
                                make_item, make_meeting, upload_path)

AG_SIGNALS = ["meeting_scheduled", "meeting_updated", "minutes_published", "minutes_approved", "minutes_withdrawn",
              "action_item_changed", "change_request_changed", "membership_changed"]


@contextmanager
def recorded():
    """[(signal name, sender, details)] of the AG's domain events sent inside the block."""
    seen = []
    receivers = []
    for name in AG_SIGNALS:
        def receiver(sender, _name=name, **details):
            seen.append((_name, sender, details))
        receivers.append(receiver)
        getattr(signals, name).connect(receiver)
    try:
        yield seen
    finally:
        for name, receiver in zip(AG_SIGNALS, receivers):
            getattr(signals, name).disconnect(receiver)


def summary(seen) -> list[tuple]:
    """(signal, sender class, detail values except actor) – what a listener can rely on."""
    return [(name, type(sender).__name__, tuple(sorted((k, v) for k, v in details.items() if k != "actor")))
            for name, sender, details in seen]


@contextmanager
def failing_commit():
    """Every commit inside the block fails (as a lost connection would)."""
    def boom(session):
        raise RuntimeError("commit failed (test)")
    event.listen(Session, "before_commit", boom)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", boom)


@pytest.fixture
def ag(app):
    """An AG with the demo Protokoll and member, a meeting with a draft, one TOP, an Anlage of the
    TOP and one of the meeting, attendance of both members (quorum reached)."""
    with app.app_context():
        group = make_ag()
        m = make_meeting(group)
        item = make_item(m, "Bericht der Träger", minutes="Alle berichten.")
        make_item(m, "Verschiedenes")
        for ms in group.memberships:
            db.session.add(Attendance(meeting=m, membership_id=ms.id, presence=Presence.ANWESEND))
        item_file = make_attachment(m, item, "Bericht.pdf")
        meeting_file = make_attachment(m, None, "Einladung.pdf")
        db.session.commit()
        ids = {"slug": group.slug, "group": group.id, "meeting": m.id, "item": item.id,
               "base": f"/ag/{group.slug}/meetings/{m.id}/", "item_file": item_file.id,
               "meeting_file": meeting_file.id}
    return ids


def _action_id(ag):
    with_item = db.session.get(AgendaItem, ag["item"])
    return make_action(with_item).id


# (name, role, method+url builder, data builder, events expected)
def _cases():
    def meeting_edit(ag, **changes):
        data = {"number": 1, "date": "2026-03-10", "start_time": "09:00", "end_time": "12:00",
                "place": "Rathaus, Raum 1", "status": "durchgefuehrt", **changes}
        return f"{ag['base']}edit", data

    return [
        ("meeting created", lambda ag: (f"/ag/{ag['slug']}/meetings/new", {
            "number": 7, "date": "2027-05-11", "start_time": "09:00", "end_time": "12:00", "place": "Rathaus",
            "status": "geplant"}), [("meeting_scheduled", "Meeting", (("change", "created"),))]),
        ("meeting moved", lambda ag: meeting_edit(ag, date="2026-03-17"),
         [("meeting_scheduled", "Meeting", (("change", "moved"),))]),
        ("meeting cancelled", lambda ag: meeting_edit(ag, status="abgesagt"),
         [("meeting_scheduled", "Meeting", (("change", "cancelled"),))]),
        # a new place moves the meeting too (members with an invitation get a changed one)
        ("meeting place", lambda ag: meeting_edit(ag, place="Bürgerhaus"),
         [("meeting_scheduled", "Meeting", (("change", "moved"),))]),
        ("meeting number", lambda ag: meeting_edit(ag, number=2),
         [("meeting_scheduled", "Meeting", (("change", "updated"),))]),
        ("meeting unchanged", lambda ag: meeting_edit(ag), []),
        ("agenda added", lambda ag: (f"{ag['base']}agenda", {"agenda-title": "Haushalt"}),
         [("meeting_updated", "Meeting", (("what", "agenda"),))]),
        ("minutes text", lambda ag: (f"{ag['base']}agenda/{ag['item']}", {
            "title": "Bericht der Träger", "minutes": "Neu geschrieben.", "version": "1"}),
         [("meeting_updated", "Meeting", (("what", "minutes"),))]),
        ("agenda moved", lambda ag: (f"{ag['base']}agenda/{ag['item']}/move", {"direction": "down"}),
         [("meeting_updated", "Meeting", (("what", "agenda"),))]),
        ("agenda deleted", lambda ag: (f"{ag['base']}agenda/{ag['item']}/delete", {}),
         [("meeting_updated", "Meeting", (("what", "agenda"),))]),
        ("attendance", lambda ag: (f"{ag['base']}attendance", {
            f"m-{ms_id}": "anwesend" for ms_id in db.session.scalars(
                select(Membership.id).where(Membership.group_id == ag["group"]))}),
         [("meeting_updated", "Meeting", (("what", "attendance"),))]),
        ("decision", lambda ag: (f"{ag['base']}agenda/{ag['item']}/decisions", {
            f"decision{ag['item']}-text": "Angenommen.", f"decision{ag['item']}-yes": 2,
            f"decision{ag['item']}-no": 0, f"decision{ag['item']}-abstain": 0}),
         [("meeting_updated", "Meeting", (("what", "decision"),))]),
        ("decision deleted", lambda ag: (
            f"{ag['base']}decisions/{make_decision(db.session.get(AgendaItem, ag['item'])).id}/delete", {}),
         [("meeting_updated", "Meeting", (("what", "decision"),))]),
        ("task assigned", lambda ag: (f"{ag['base']}agenda/{ag['item']}/actions", {
            f"action{ag['item']}-task": "Flyer drucken", f"action{ag['item']}-responsible": "AWO"}),
         [("action_item_changed", "ActionItem", (("change", "assigned"),))]),
        ("task done", lambda ag: (f"/ag/{ag['slug']}/actions/{_action_id(ag)}/done", {"done": "1"}),
         [("action_item_changed", "ActionItem", (("change", "done"),))]),
        ("task reopened", lambda ag: (f"/ag/{ag['slug']}/actions/{_action_id(ag)}/done", {"done": "0"}),
         [("action_item_changed", "ActionItem", (("change", "reopened"),))]),
        ("task deleted", lambda ag: (f"/ag/{ag['slug']}/actions/{_action_id(ag)}/delete", {}),
         [("action_item_changed", "ActionItem", (("change", "deleted"),))]),
        ("published", lambda ag: (f"{ag['base']}minutes/publish", {}),
         [("minutes_published", "Meeting", ())]),
        ("attachment deleted", lambda ag: (f"/ag/{ag['slug']}/attachments/{ag['meeting_file']}/delete", {}),
         [("meeting_updated", "Meeting", (("what", "attachment"),))]),
    ]


@pytest.mark.parametrize("name,build,expected", _cases(), ids=[c[0] for c in _cases()])
def test_each_change_sends_its_domain_event_once(app, client_as, ag, name, build, expected):
    client = client_as("protokoll")
    with app.app_context():
        url, data = build(ag)
        db.session.commit()
    with recorded() as seen:
        response = client.post(url, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert summary(seen) == expected
    assert all(details["actor"].email == "protokoll.ag78@portal.example" for _, _, details in seen)


def test_minutes_lifecycle_sends_published_withdrawn_with_reason_and_approved(app, client_as, ag):
    client, member = client_as("protokoll"), client_as("ag_mitglied")
    with recorded() as seen:
        assert client.post(f"{ag['base']}minutes/publish").status_code == 303
        assert client.post(f"{ag['base']}minutes/withdraw",
                           data={"transition-withdraw-reason": "Tippfehler"}).status_code == 303
        assert client.post(f"{ag['base']}minutes/publish").status_code == 303
        assert member.post(f"{ag['base']}change-requests",
                           data={"change-text": "Bitte ergänzen.", "change-agenda_item": str(ag["item"])}).status_code == 303
        assert client.post(f"{ag['base']}minutes/approve",
                           data={"transition-approve-reason": "einstimmig"}).status_code == 303
        assert client.post(f"{ag['base']}corrections", data={"text": "Berichtigt."}).status_code == 303
    assert summary(seen) == [
        ("minutes_published", "Meeting", ()),
        ("minutes_withdrawn", "Meeting", (("reason", "Tippfehler"),)),
        ("minutes_published", "Meeting", ()),
        ("change_request_changed", "ChangeRequest", (("change", "requested"),)),
        ("minutes_approved", "Meeting", ()),
        ("meeting_updated", "Meeting", (("what", "correction"),)),
    ]


def test_administration_changes_send_membership_changed(app, client_as, ag):
    with app.app_context():
        user_id = get_user("fachkraft").id
    admin = client_as("admin")
    with recorded() as seen:
        assert admin.post(f"/ag/{ag['slug']}/members/new", data={
            "user": user_id, "traeger": 0, "function": "mitglied", "valid_from": "2026-01-01"}).status_code == 303
        assert admin.post(f"/ag/{ag['slug']}/edit", data={
            "name": "AG Umbenannt", "short_name": "AG U", "slug": ag["slug"]}).status_code == 303
    assert summary(seen) == [("membership_changed", "WorkingGroup", ())] * 2


def test_a_refused_step_sends_nothing_and_changes_nothing(app, client_as, ag):
    member, protokoll = client_as("ag_mitglied"), client_as("protokoll")
    with recorded() as seen:
        assert member.post(f"{ag['base']}minutes/publish").status_code == 403
        assert protokoll.post(f"{ag['base']}minutes/approve",
                                           data={"transition-approve-reason": "x"}).status_code == 409
    assert seen == []
    with app.app_context():
        assert db.session.get(Meeting, ag["meeting"]).minutes_status == MinutesStatus.ENTWURF


def test_operations_check_the_rule_themselves_and_never_commit(app, ag):
    with app.app_context():
        m = db.session.get(Meeting, ag["meeting"])
        with pytest.raises(NotAllowed):
            meetings.add_agenda_item(m, get_user("ag_mitglied"), title="Von außen", description="")
        with pytest.raises(NotAllowed):
            minutes.change_status(m, "publish", get_user("leitung"))
        meetings.add_agenda_item(m, get_user("protokoll"), title="Nicht gespeichert", description="")
        minutes.change_status(m, "publish", get_user("protokoll"))
        with pytest.raises(Conflict):  # published: the record is settled until withdrawn
            meetings.add_agenda_item(m, get_user("protokoll"), title="Zu spät", description="")
        db.session.rollback()  # the view's commit never came
        m = db.session.get(Meeting, ag["meeting"])
        assert m.minutes_status == MinutesStatus.ENTWURF
        assert [i.title for i in m.agenda] == ["Bericht der Träger", "Verschiedenes"]


def test_a_failing_listener_undoes_the_change(app, client_as, ag):
    def broken(sender, **details):
        raise RuntimeError("listener failed (test)")
    signals.meeting_updated.connect(broken)
    try:
        response = client_as("protokoll").post(f"{ag['base']}agenda", data={"agenda-title": "Haushalt"})
    finally:
        signals.meeting_updated.disconnect(broken)
    assert response.status_code == 500
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)
                                 .where(AgendaItem.meeting_id == ag["meeting"])) == 2


# --- files: removed only after a successful commit ---------------------------------------------------

def test_deleting_an_anlage_removes_its_file_after_the_commit(app, client_as, ag):
    with app.app_context():
        path = upload_path(db.session.get(MeetingAttachment, ag["meeting_file"]))
    assert path.exists()
    assert client_as("protokoll").post(f"/ag/{ag['slug']}/attachments/{ag['meeting_file']}/delete").status_code == 303
    assert not path.exists()
    with app.app_context():
        assert db.session.get(MeetingAttachment, ag["meeting_file"]) is None


def test_a_failed_commit_keeps_the_anlage_and_its_file(app, client_as, ag):
    client = client_as("protokoll")
    with app.app_context():
        path = upload_path(db.session.get(MeetingAttachment, ag["meeting_file"]))
    with failing_commit():
        response = client.post(f"/ag/{ag['slug']}/attachments/{ag['meeting_file']}/delete")
    assert response.status_code == 500
    assert path.exists()
    with app.app_context():
        assert db.session.get(MeetingAttachment, ag["meeting_file"]) is not None


def test_a_failed_commit_keeps_the_top_its_anlage_and_the_file(app, client_as, ag):
    client = client_as("protokoll")
    with app.app_context():
        path = upload_path(db.session.get(MeetingAttachment, ag["item_file"]))
    with failing_commit():
        assert client.post(f"{ag['base']}agenda/{ag['item']}/delete").status_code == 500
    assert path.exists()
    with app.app_context():
        assert db.session.get(AgendaItem, ag["item"]) is not None
        assert db.session.get(MeetingAttachment, ag["item_file"]) is not None
    # and once the commit works, row and file go together
    assert client.post(f"{ag['base']}agenda/{ag['item']}/delete").status_code == 303
    assert not path.exists()
    with app.app_context():
        assert db.session.get(MeetingAttachment, ag["item_file"]) is None
        assert [i.position for i in db.session.get(Meeting, ag["meeting"]).agenda] == [1]


def test_a_refused_deletion_409_keeps_rows_and_files(app, client_as, ag):
    client = client_as("protokoll")
    assert client.post(f"{ag['base']}minutes/publish").status_code == 303
    with app.app_context():
        paths = [upload_path(db.session.get(MeetingAttachment, ag[k])) for k in ("item_file", "meeting_file")]
    assert client.post(f"/ag/{ag['slug']}/attachments/{ag['meeting_file']}/delete").status_code == 409
    assert client.post(f"{ag['base']}agenda/{ag['item']}/delete").status_code == 409
    assert all(p.exists() for p in paths)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MeetingAttachment)
                                 .where(MeetingAttachment.meeting_id == ag["meeting"])) == 2


def test_an_upload_whose_commit_fails_leaves_no_file(app, client_as, ag):
    folder = Path(app.config["UPLOAD_DIR"]) / "ag" / str(ag["group"])
    before = set(folder.iterdir())
    client = client_as("protokoll")
    with failing_commit():
        response = client.post(f"{ag['base']}attachments", content_type="multipart/form-data",
                                               data={"attachment-file": (io.BytesIO(PDF), "neu.pdf"),
                                                     "attachment-agenda_item": "0"})
    assert response.status_code == 500
    assert set(folder.iterdir()) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MeetingAttachment)
                                 .where(MeetingAttachment.meeting_id == ag["meeting"])) == 2


def test_a_stale_version_is_a_409_that_keeps_the_typed_text(app, client_as, ag):
    client = client_as("protokoll")
    url = f"{ag['base']}agenda/{ag['item']}"
    assert client.post(url, data={"title": "Bericht", "minutes": "Erste Fassung.", "version": "1"}).status_code == 303
    response = client.post(url, data={"title": "Bericht", "minutes": "Meine Fassung mit Änderungen.",
                                      "version": "1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Meine Fassung mit Änderungen.</textarea>" in page and "<p>Erste Fassung.</p>" in page
    assert 'value="2"' in page  # saving again from here is deliberate
    with app.app_context():
        assert db.session.get(AgendaItem, ag["item"]).minutes == "Erste Fassung."


# --- one permission rule: the list filter agrees with WorkingGroup.can_view ---------------------------

def test_visible_groups_filter_agrees_with_can_view_for_every_role(app):
    with app.app_context():
        member_only = make_group()
        add_member(member_only, "ag_mitglied")
        ended = make_group()
        add_member(ended, "protokoll", Function.PROTOKOLL, valid_to=date(2021, 1, 1))
        future = make_group()
        add_member(future, "fachkraft", valid_from=date(2099, 1, 1))
        make_group()  # nobody's
        db.session.commit()
        groups = db.session.scalars(select(WorkingGroup)).all()
        assert len(groups) >= 5
        for role in ROLES:
            user = get_user(role) if role != "anonymous" else None
            if user is None:
                from flask_login import AnonymousUserMixin
                user = AnonymousUserMixin()
            ids = services.visible_group_ids(user)
            by_sql = {g.id for g in groups} if ids is None else set(db.session.scalars(ids))
            by_rule = {g.id for g in groups if g.can_view(user, services.functions_of(user, g))}
            assert by_sql == by_rule, role
            assert {g.id for g in services.groups_for(user)} == by_rule, role


# --- search: German folding on both databases -----------------------------------------------------------

@pytest.fixture
def searchable(app):
    with app.app_context():
        group = make_ag()
        m = make_meeting(group, minutes_status=MinutesStatus.VEROEFFENTLICHT)
        make_item(m, "Übergangsregelung für Fachleistungsstunden",
                  minutes="Die Übergangsregelung gilt bis Jahresende.")
        item = make_item(m, "Verkehr", minutes="Die Spielstraße an der Schule bleibt.")
        make_decision(item, "ÄRGER über die Baustelle wird weitergegeben.")
        draft = make_meeting(group, minutes_status=MinutesStatus.ENTWURF)
        make_item(draft, "Geheimer Entwurf zur Übergangsregelung")
        other = make_group()
        other_meeting = make_meeting(other, minutes_status=MinutesStatus.GENEHMIGT)
        make_item(other_meeting, "Übergangsregelung der anderen AG")
        db.session.commit()


@pytest.mark.parametrize("q,title,mark", [
    ("ÜBERGANGSREGELUNG", "Übergangsregelung für Fachleistungsstunden", "Übergangsregelung"),
    ("übergangsregelung", "Übergangsregelung für Fachleistungsstunden", "Übergangsregelung"),
    ("strasse", "Verkehr", "straße"),
    ("SPIELSTRASSE", "Verkehr", "Spielstraße"),
    ("ärger", "Verkehr", None),  # found in the decision; the snippet shows the minutes
])
def test_search_folds_umlauts_and_sharp_s(client_as, searchable, q, title, mark):
    page = client_as("ag_mitglied").get("/ag/search", query_string={"q": q},
                                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(rf"TOP \d: {re.escape(title)}</a>", page), page
    if mark:
        assert f"<mark>{mark}</mark>" in page
    assert "Geheimer Entwurf" not in page and "der anderen AG" not in page


def test_search_takes_percent_and_underscore_literally(client_as, searchable):
    page = client_as("ag_mitglied").get("/ag/search", query_string={"q": "%_"}).get_data(as_text=True)
    assert "0 Treffer" in page


# --- the AG page pages by ``nach`` ----------------------------------------------------------------------

def test_meetings_of_an_ag_are_paged_by_nach(app, client_as):
    with app.app_context():
        group = make_ag()
        for n in range(1, 26):
            make_meeting(group, number=n, day=date(2025, 1, 1).replace(month=1 + n % 12, day=1 + n))
        db.session.commit()
        newest_first = [m.id for m in db.session.scalars(select(Meeting).where(Meeting.group_id == group.id)
                                                         .order_by(Meeting.date.desc(), Meeting.number.desc()))]
        slug = group.slug
    client = client_as("ag_mitglied")
    first = client.get(f"/ag/{slug}/").get_data(as_text=True)
    linked = [int(i) for i in re.findall(rf'href="/ag/{slug}/meetings/(\d+)/">\d+\. Sitzung', first)]
    assert linked == newest_first[:20]
    cursor = re.search(rf'href="/ag/{slug}/\?nach=(\d+)#sitzungen" rel="next"', first).group(1)
    assert int(cursor) == newest_first[19]
    second = client.get(f"/ag/{slug}/?nach={cursor}").get_data(as_text=True)
    assert [int(i) for i in re.findall(rf'href="/ag/{slug}/meetings/(\d+)/">\d+\. Sitzung', second)] == newest_first[20:]
    assert 'rel="next"' not in second and "Zu den neuesten Sitzungen" in second
    # a cursor that is no meeting of this AG starts at the top
    again = client.get(f"/ag/{slug}/?nach=999999999").get_data(as_text=True)
    assert [int(i) for i in re.findall(rf'href="/ag/{slug}/meetings/(\d+)/">\d+\. Sitzung', again)] == newest_first[:20]
