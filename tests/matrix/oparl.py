"""Routes of the OParl interface: public and stateless, the same answer for every role (the session
cookie is ignored; what a token shows is tested in tests/test_oparl.py)."""
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.ag.models import AgendaItem, Meeting, MeetingAttachment, MinutesStatus, Membership, WorkingGroup
from portal.extensions import db
from tests.matrix import Route

PDF = b"%PDF-1.4\n% oparl\n"


def _published_meeting() -> int:
    return db.session.scalar(select(Meeting.id).where(Meeting.minutes_status == MinutesStatus.GENEHMIGT)
                             .order_by(Meeting.id))


def _public_item() -> int:
    return db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == _published_meeting(),
                                                         AgendaItem.public.is_(True)).order_by(AgendaItem.position))


def _file(suffix: str = ""):
    """An Anlage of an öffentlicher TOP of approved minutes (the demo has no files)."""
    def build():
        folder = Path(current_app.config["UPLOAD_DIR"]) / "ag"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "oparl-matrix.pdf").write_bytes(PDF)
        a = MeetingAttachment(meeting_id=_published_meeting(), agenda_item_id=_public_item(),
                              storage_name="ag/oparl-matrix.pdf", original_name="Bericht.pdf",
                              content_type="application/pdf", size=len(PDF))
        db.session.add(a)
        db.session.commit()
        return f"/oparl/v1/file/{a.id}{suffix}"
    return build


def public(endpoint, url, status=200):
    return Route(endpoint, "GET", url, anon=status, other=status)


def _group() -> int:
    return db.session.scalar(select(WorkingGroup.id).where(WorkingGroup.slug == "hze"))


ROUTES = [
    public("oparl.system", "/oparl/v1/"),
    public("oparl.bodies", "/oparl/v1/bodies"),
    public("oparl.body", "/oparl/v1/body/1"),
    *[public(f"oparl.{name}", f"/oparl/v1/body/1/{path}") for name, path in [
        ("organizations", "organization"), ("persons", "person"), ("memberships", "membership"),
        ("meetings", "meeting"), ("agenda_items", "agendaItem"), ("files", "file"), ("locations", "location"),
        ("papers", "paper")]],
    public("oparl.organization", lambda: f"/oparl/v1/organization/ag-{_group()}"),
    public("oparl.organization_meetings", lambda: f"/oparl/v1/organization/ag-{_group()}/meeting"),
    public("oparl.person", lambda: f"/oparl/v1/person/{db.session.scalar(select(Membership.user_id))}"),
    public("oparl.membership", lambda: f"/oparl/v1/membership/{db.session.scalar(select(Membership.id))}"),
    public("oparl.meeting", lambda: f"/oparl/v1/meeting/{_published_meeting()}"),
    public("oparl.agenda_item", lambda: f"/oparl/v1/agendaItem/{_public_item()}"),
    public("oparl.file", _file()),
    public("oparl.file_download", _file("/download")),
    public("oparl.location", lambda: f"/oparl/v1/location/{_published_meeting()}"),
]
