"""Routes of Projektanträge x roles. Demo proposals (portal/proposals/demo.py) give the objects:
an AWO draft in Mitte/Süd, an AWO proposal in Rückfrage in Nord, an approved AWO project in Nord,
and a Caritas proposal waiting for the Leitung in Mitte/Süd."""
from sqlalchemy import select

from portal.extensions import db
from portal.proposals.models import Proposal
from tests.matrix import Route

DRAFT = "Elternfrühstück Legefeld"          # AWO, Mitte/Süd, Entwurf
QUERIED = "Familiencafé Schöndorf"          # AWO, Nord, Rückfrage
APPROVED = "Markt der Möglichkeiten"        # AWO, Nord, Freigegeben
WAITING = "Hobby-Horse-Gruppe Taubach"      # Caritas, Mitte/Süd, Eingereicht

#: Roles that may draft proposals (Fachkraft of a Träger, Koordination of a Sozialraum).
DRAFTERS = ("fachkraft", "fachkraft_caritas", "koordination", "ag_mitglied", "protokoll")
LEITUNG_AND_KOORDINATION = {"leitung": 200, "koordination": 200}


def url(title, suffix=""):
    return lambda: f"/proposals/{db.session.scalar(select(Proposal.id).where(Proposal.title == title))}{suffix}"


def version(title, **extra):
    def data():
        return {"version": db.session.scalar(select(Proposal.version).where(Proposal.title == title)), **extra}
    return data


ROUTES = [
    Route("proposals.approved", "GET", "/proposals/approved"),
    Route("proposals.inbox", "GET", "/proposals/inbox", expect={"leitung": 200}, other=403),
    Route("proposals.new", "GET", "/proposals/new", expect={r: 200 for r in DRAFTERS}, other=403),
    Route("proposals.new", "POST", "/proposals/new", data={"intent": "add_row"},
          expect={r: 200 for r in DRAFTERS}, other=403),
    # another Träger's draft: 404; the Leitung sees everything
    Route("proposals.detail", "GET", url(DRAFT), expect={"fachkraft": 200, "leitung": 200}, other=404),
    # submitted proposals of Nord: the Koordination Nord watches them too
    Route("proposals.detail", "GET", url(QUERIED), expect={"fachkraft": 200, "leitung": 200, "koordination": 200},
          other=404),
    Route("proposals.edit", "GET", url(DRAFT, "/edit"), expect={"fachkraft": 200, "leitung": 403}, other=404),
    Route("proposals.edit", "POST", url(DRAFT, "/edit"), data={"intent": "add_row"},
          expect={"fachkraft": 200, "leitung": 403}, other=404),
    # only the Leitung decides; the applicant may see it but not approve
    Route("proposals.transition", "POST", url(WAITING, "/transition"), data=version(WAITING, action="approve"),
          expect={"leitung": 303, "fachkraft_caritas": 403}, other=404),
    Route("proposals.report", "GET", url(APPROVED, "/report"),
          expect={"fachkraft": 200, "leitung": 403, "koordination": 403}, other=404),
    Route("proposals.report", "POST", url(APPROVED, "/report"), data=version(APPROVED),
          expect={"fachkraft": 422, "leitung": 403, "koordination": 403}, other=404),
    Route("proposals.comment", "POST", url(QUERIED, "/comments"), data={"body": "Kurze Frage zu den Räumen."},
          expect={"fachkraft": 303, "leitung": 303, "koordination": 303}, other=404),
    Route("proposals.upload", "POST", url(APPROVED, "/documents"), data={"kind": "leistungsangebot"},
          expect={"fachkraft": 422, "leitung": 403, "koordination": 403}, other=404),
    Route("proposals.document", "GET", url(APPROVED, "/documents/999999"), other=404),
    Route("proposals.delete_document", "POST", url(APPROVED, "/documents/999999/delete"), other=404),
    Route("proposals.target", "GET", "/proposals/target", expect=LEITUNG_AND_KOORDINATION, other=403),
    Route("proposals.target_csv", "GET", "/proposals/target.csv", expect=LEITUNG_AND_KOORDINATION, other=403),
    Route("proposals.hze_hours", "GET", "/proposals/target/hours", expect=LEITUNG_AND_KOORDINATION, other=403),
    Route("proposals.hze_hours", "POST", "/proposals/target/hours", data={},
          expect={"leitung": 422, "koordination": 422}, other=403),
]
