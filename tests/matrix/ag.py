"""Routes of AG 78. Content is for members (ag_mitglied, protokoll), the Leitung and Administration;
everyone else gets 404. Meeting work is for the Protokoll and Sprecher:innen (403 for other viewers),
the AG itself and its memberships for Administration."""
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.ag.models import (ActionItem, AgendaItem, ChangeRequest, ChangeRequestStatus, Decision, Meeting,
                               MeetingAttachment, Membership)
from portal.extensions import db
from tests.matrix import Route

VIEWERS = ("admin", "leitung", "ag_mitglied", "protokoll")
BASE = "/ag/hze"
PDF = b"%PDF-1.4\n% demo\n"


def meeting_id(number: int) -> int:
    return db.session.scalar(select(Meeting.id).where(Meeting.number == number))


def meeting_url(number: int, suffix: str = ""):
    return lambda: f"{BASE}/meetings/{meeting_id(number)}/{suffix}"


def item_url(number: int, suffix: str = ""):
    def build():
        m = meeting_id(number)
        item = db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == m).order_by(AgendaItem.position))
        return f"{BASE}/meetings/{m}/agenda/{item}{suffix}"
    return build


def decision_url(number: int):
    def build():
        m = meeting_id(number)
        d = db.session.scalar(select(Decision.id).join(AgendaItem).where(AgendaItem.meeting_id == m))
        return f"{BASE}/meetings/{m}/decisions/{d}/delete"
    return build


def action_url(number: int, suffix: str):
    def build():
        a = db.session.scalar(select(ActionItem.id).where(ActionItem.meeting_id == meeting_id(number)))
        return f"{BASE}/actions/{a}/{suffix}"
    return build


def membership_url():
    return lambda: f"{BASE}/members/{db.session.scalar(select(Membership.id))}"


def attachment_url(suffix: str = ""):
    """Stores a small PDF as an Anlage of the 5th meeting (the demo has no files) and links to it."""
    def build():
        folder = Path(current_app.config["UPLOAD_DIR"]) / "ag"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "matrix.pdf").write_bytes(PDF)
        a = MeetingAttachment(meeting_id=meeting_id(5), storage_name="ag/matrix.pdf", original_name="Einladung.pdf",
                              content_type="application/pdf", size=len(PDF))
        db.session.add(a)
        db.session.commit()
        return f"{BASE}/attachments/{a.id}{suffix}"
    return build


def change_request_url(suffix: str = "/answer"):
    """An open change request on the published minutes of the 4th meeting."""
    def build():
        c = ChangeRequest(meeting_id=meeting_id(4), text="Bitte TOP 1 ergänzen.", status=ChangeRequestStatus.OFFEN,
                          answer="")
        db.session.add(c)
        db.session.commit()
        return f"{BASE}/meetings/{meeting_id(4)}/change-requests/{c.id}{suffix}"
    return build


def viewers(endpoint, method, url, ok=200, **kw):
    return Route(endpoint, method, url, expect={r: ok for r in VIEWERS}, other=404, **kw)


def editors(endpoint, method, url, ok=200, **kw):
    expect = {r: 403 for r in VIEWERS}
    expect["protokoll"] = ok
    return Route(endpoint, method, url, expect=expect, other=404, **kw)


def members(endpoint, method, url, ok=200, **kw):
    return Route(endpoint, method, url, expect={"admin": 403, "leitung": 403, "ag_mitglied": ok, "protokoll": ok},
                 other=404, **kw)


def managers(endpoint, method, url, ok=200, **kw):
    expect = {r: 403 for r in VIEWERS}
    expect["admin"] = ok
    return Route(endpoint, method, url, expect=expect, other=404, **kw)


ROUTES = [
    Route("ag.search", "GET", "/ag/search?q=workshop"),
    Route("ag.group_new", "GET", "/ag/new", expect={"admin": 200}, other=403),
    Route("ag.group_new", "POST", "/ag/new", expect={"admin": 422}, other=403),
    viewers("ag.group", "GET", f"{BASE}/"),
    managers("ag.group_edit", "GET", f"{BASE}/edit"),
    managers("ag.group_edit", "POST", f"{BASE}/edit", ok=422),
    managers("ag.member_new", "GET", f"{BASE}/members/new"),
    managers("ag.member_new", "POST", f"{BASE}/members/new", ok=422),
    managers("ag.member_edit", "GET", membership_url()),
    managers("ag.member_edit", "POST", membership_url(), ok=422),
    # the old one-document export leads to the OParl interface (tests/matrix/oparl.py)
    Route("ag.export", "GET", f"{BASE}/oparl.json", other=301),
    editors("ag.meeting_new", "GET", f"{BASE}/meetings/new"),
    editors("ag.meeting_new", "POST", f"{BASE}/meetings/new", ok=422),
    viewers("ag.meeting", "GET", meeting_url(5)),
    editors("ag.meeting_edit", "GET", meeting_url(5, "edit")),
    editors("ag.meeting_edit", "POST", meeting_url(5, "edit"), ok=422),
    viewers("ag.meeting_print", "GET", meeting_url(4, "print")),
    editors("ag.attendance", "GET", meeting_url(5, "attendance")),
    editors("ag.attendance", "POST", meeting_url(5, "attendance"), ok=422),
    editors("ag.agenda_add", "POST", meeting_url(5, "agenda"), ok=422),
    editors("ag.agenda_edit", "GET", item_url(5)),
    editors("ag.agenda_edit", "POST", item_url(5), ok=422),
    editors("ag.agenda_move", "POST", item_url(5, "/move"), ok=303, data={"direction": "down"}),
    editors("ag.agenda_delete", "POST", item_url(5, "/delete"), ok=303),
    editors("ag.decision_add", "POST", item_url(5, "/decisions"), ok=422),
    # approved minutes: refused with 409 even for the Protokoll
    editors("ag.decision_delete", "POST", decision_url(1), ok=409),
    editors("ag.action_add", "POST", item_url(5, "/actions"), ok=422),
    editors("ag.action_done", "POST", action_url(1, "done"), ok=303),
    editors("ag.action_delete", "POST", action_url(1, "delete"), ok=409),
    # the 5th demo meeting lies in the future: publishing its minutes is refused (issue 15)
    editors("ag.minutes_transition", "POST", meeting_url(5, "minutes/publish"), ok=409),
    editors("ag.correction_add", "GET", meeting_url(1, "corrections")),
    editors("ag.correction_add", "POST", meeting_url(1, "corrections"), ok=422),
    members("ag.change_request_add", "POST", meeting_url(4, "change-requests"), ok=422),
    editors("ag.change_request_answer", "POST", change_request_url(), ok=422),
    members("ag.mark_read", "POST", meeting_url(4, "read"), ok=303),
    editors("ag.readers", "GET", meeting_url(4, "readers")),
    editors("ag.attachment_add", "POST", meeting_url(5, "attachments"), ok=422),
    viewers("ag.attachment", "GET", attachment_url()),
    editors("ag.attachment_delete", "POST", attachment_url("/delete"), ok=303),
    # Einladung (issue 15): the 5th demo meeting is invited already, so sending again is refused
    managers("ag.settings", "GET", f"{BASE}/settings"),
    managers("ag.settings", "POST", f"{BASE}/settings", ok=422),
    editors("ag.invite", "GET", meeting_url(5, "invite")),
    editors("ag.invite", "POST", meeting_url(5, "invite"), ok=409),
    members("ag.reply", "POST", meeting_url(5, "reply"), ok=303, data={"answer": "zusage"}),
    viewers("ag.invitation_ics", "GET", meeting_url(5, "invitation.ics")),
]
