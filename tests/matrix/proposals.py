"""Routes of Projektanträge x roles. The objects are made by factories (tests/factories/proposals.py):
an AWO draft in Mitte/Süd, an AWO proposal in Rückfrage in Nord, an approved AWO project in Nord,
and a Caritas proposal waiting for the Leitung in Mitte/Süd."""
from flask import g

from portal.extensions import db
from portal.proposals.models import ProposalState as S
from tests.factories.proposals import make_document, make_proposal
from tests.matrix import Route

KINDS = {
    "draft": dict(state=S.ENTWURF, traeger="AWO", raum="mitte-sued"),
    "queried": dict(state=S.RUECKFRAGE, traeger="AWO", raum="nord"),
    "approved": dict(state=S.FREIGEGEBEN, traeger="AWO", raum="nord"),
    "waiting": dict(state=S.EINGEREICHT, traeger="Caritas", raum="mitte-sued"),
}

#: Roles that may draft proposals (Fachkraft of a Träger, Koordination of a Sozialraum).
DRAFTERS = ("fachkraft", "fachkraft_caritas", "koordination", "ag_mitglied", "protokoll")
LEITUNG_AND_KOORDINATION = {"leitung": 200, "koordination": 200}


def proposal(kind: str):
    """The proposal of ``kind`` for this test (made once per app context, committed)."""
    made = g.setdefault("matrix_proposals", {})
    if kind not in made:
        made[kind] = make_proposal(**KINDS[kind])
        db.session.commit()
    return made[kind]


def url(kind, suffix=""):
    return lambda: f"/proposals/{proposal(kind).id}{suffix}"


def document_url(suffix=""):
    """A document handed in for the approved project."""
    def build():
        doc = make_document(proposal("approved"))
        db.session.commit()
        return f"/proposals/{doc.proposal_id}/documents/{doc.id}{suffix}"
    return build


def version(kind, **extra):
    return lambda: {"version": proposal(kind).version, **extra}


ROUTES = [
    Route("proposals.approved", "GET", "/proposals/approved"),
    Route("proposals.inbox", "GET", "/proposals/inbox", expect={"leitung": 200}, other=403),
    Route("proposals.new", "GET", "/proposals/new", expect={r: 200 for r in DRAFTERS}, other=403),
    Route("proposals.new", "POST", "/proposals/new", data={"intent": "add_row"},
          expect={r: 200 for r in DRAFTERS}, other=403),
    # another Träger's draft: 404; the Leitung sees everything
    Route("proposals.detail", "GET", url("draft"), expect={"fachkraft": 200, "leitung": 200}, other=404),
    # submitted proposals of Nord: the Koordination Nord watches them too
    Route("proposals.detail", "GET", url("queried"), expect={"fachkraft": 200, "leitung": 200, "koordination": 200},
          other=404),
    # a never submitted draft: its author deletes it; a submitted proposal cannot be deleted (409)
    Route("proposals.delete_draft", "POST", url("draft", "/delete"), expect={"fachkraft": 303, "leitung": 403},
          other=404),
    Route("proposals.delete_draft", "POST", url("queried", "/delete"),
          expect={"fachkraft": 409, "leitung": 403, "koordination": 403}, other=404),
    Route("proposals.print_view", "GET", url("draft", "/print"), expect={"fachkraft": 200, "leitung": 200}, other=404),
    Route("proposals.print_view", "GET", url("queried", "/print"),
          expect={"fachkraft": 200, "leitung": 200, "koordination": 200}, other=404),
    Route("proposals.edit", "GET", url("draft", "/edit"), expect={"fachkraft": 200, "leitung": 403}, other=404),
    Route("proposals.edit", "POST", url("draft", "/edit"), data={"intent": "add_row"},
          expect={"fachkraft": 200, "leitung": 403}, other=404),
    # only the Leitung decides; the applicant may see it but not approve
    Route("proposals.transition", "POST", url("waiting", "/transition"), data=version("waiting", action="approve"),
          expect={"leitung": 303, "fachkraft_caritas": 403}, other=404),
    Route("proposals.report", "GET", url("approved", "/report"),
          expect={"fachkraft": 200, "leitung": 403, "koordination": 403}, other=404),
    Route("proposals.report", "POST", url("approved", "/report"), data=version("approved"),
          expect={"fachkraft": 422, "leitung": 403, "koordination": 403}, other=404),
    Route("proposals.comment", "POST", url("queried", "/comments"), data={"body": "Kurze Frage zu den Räumen."},
          expect={"fachkraft": 303, "leitung": 303, "koordination": 303}, other=404),
    Route("proposals.upload", "POST", url("approved", "/documents"), data={"kind": "leistungsangebot"},
          expect={"fachkraft": 422, "leitung": 403, "koordination": 403}, other=404),
    Route("proposals.document", "GET", url("approved", "/documents/999999"), other=404),
    Route("proposals.document", "GET", document_url(), expect={"fachkraft": 200, "leitung": 200, "koordination": 200},
          other=404),
    Route("proposals.delete_document", "POST", document_url("/delete"),
          expect={"fachkraft": 303, "leitung": 403, "koordination": 403}, other=404),
    Route("proposals.target", "GET", "/proposals/target", expect=LEITUNG_AND_KOORDINATION, other=403),
    Route("proposals.target_csv", "GET", "/proposals/target.csv", expect=LEITUNG_AND_KOORDINATION, other=403),
    Route("proposals.hze_hours", "GET", "/proposals/target/hours", expect=LEITUNG_AND_KOORDINATION, other=403),
    Route("proposals.hze_hours", "POST", "/proposals/target/hours", data={},
          expect={"leitung": 422, "koordination": 422}, other=403),
    Route("proposals.hze_import", "POST", "/proposals/target/hours/import", data={},
          expect={"leitung": 422, "koordination": 422}, other=403),
]
