"""Demo data from DOMAIN.md: the organisation, one login per role, the legal pages.

Idempotent: every record is looked up by its natural key before it is created. Feature packages
add their demo content in ``portal/<feature>/demo.py`` (a ``seed(password)`` function).
"""
from __future__ import annotations

import importlib
import importlib.util

from sqlalchemy import select

from portal.auth.models import Role, User
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger, TraegerKind
from portal.pages.defaults import DEFAULT_TEXT
from portal.pages.models import EDITABLE_PAGES, Page
from portal.security import hash_password

DEFAULT_PASSWORD = "demo-passwort"

SOZIALRAEUME = [
    ("West", "west", "Stadtteilbüro West"),
    ("Nord/Schöndorf", "nord", "Stadtteilbüro Nord"),
    ("Mitte/Süd", "mitte-sued", "Stadtteilbüro Mitte/Süd"),
]

ORTSTEILE = [
    ("Gaberndorf", "gaberndorf", "west"),
    ("Tröbsdorf", "troebsdorf", "west"),
    ("Schöndorf", "schoendorf", "nord"),
    ("Süßenborn", "suessenborn", "nord"),
    ("Gelmeroda", "gelmeroda", "mitte-sued"),
    ("Taubach", "taubach", "mitte-sued"),
    ("Legefeld", "legefeld", "mitte-sued"),
    ("Niedergrunstedt", "niedergrunstedt", "mitte-sued"),
    ("Ehringsdorf", "ehringsdorf", "mitte-sued"),
]

TRAEGER = [
    ("Stadt – Familienamt", "Familienamt", TraegerKind.OEFFENTLICH),
    ("Arbeiterwohlfahrt Kreisverband e. V.", "AWO", TraegerKind.FREI),
    ("Caritasverband für das Dekanat e. V.", "Caritas", TraegerKind.FREI),
    ("Diakoniewerk Soziale Dienste gGmbH", "Diakonie", TraegerKind.FREI),
    ("Deutsches Rotes Kreuz Kreisverband e. V.", "DRK", TraegerKind.FREI),
    ("Lebenshilfe e. V.", "Lebenshilfe", TraegerKind.FREI),
    ("Hilfe, Teilhabe, Gemeinschaft gGmbH", "HTG", TraegerKind.FREI),
]

#: email, display name, roles, scope (ortsteile / traeger / sozialraum)
USERS = [
    ("admin@portal.example", "Sabine Adler", [Role.ADMIN], {}),
    ("moderation@portal.example", "Jonas Meier", [Role.MODERATION], {}),
    ("leitung@portal.example", "Dr. Karin Lehmann", [Role.LEITUNG], {"traeger": "Familienamt"}),
    ("koordination.nord@portal.example", "Miriam Schulz", [Role.KOORDINATION],
     {"sozialraum": "nord", "traeger": "Familienamt"}),
    ("fachkraft@awo.example", "Thomas Becker", [Role.FACHKRAFT], {"traeger": "AWO"}),
    ("fachkraft@caritas.example", "Lena Wolf", [Role.FACHKRAFT], {"traeger": "Caritas"}),
    ("ehrenamt.taubach@portal.example", "Anna Krause", [Role.EHRENAMT], {"ortsteile": ["taubach"]}),
    ("ehrenamt.legefeld@portal.example", "Peter Vogel", [Role.EHRENAMT], {"ortsteile": ["legefeld"]}),
    # AG 78 logins; their memberships come with the AG 78 feature.
    ("ag.mitglied@portal.example", "Martin Hoffmann", [Role.FACHKRAFT], {"traeger": "Diakonie"}),
    ("protokoll.ag78@portal.example", "Claudia Richter", [Role.FACHKRAFT], {"traeger": "Familienamt"}),
]

LEGAL_TEXT = {
    "impressum": "**Platzhalter** – bitte unter *Verwaltung → Seiten* ersetzen.\n\n"
                 "Stadtverwaltung, Familienamt  \nMusterstraße 1  \n99423 Musterstadt\n\n"
                 "Vertreten durch die Oberbürgermeisterin. Verantwortlich für den Inhalt: Leitung Soziale Dienste.",
    "datenschutz": "**Platzhalter** – bitte unter *Verwaltung → Seiten* ersetzen.\n\n"
                   "Das Portal dient der fallunspezifischen Zusammenarbeit. Es enthält **keine Sozialdaten** "
                   "von Familien oder Kindern. Gespeichert werden nur Name, E-Mail-Adresse, Rollen und "
                   "Beiträge der Nutzerinnen und Nutzer. Auskunft über die eigenen Daten gibt es unter "
                   "*Mein Konto → Meine Daten herunterladen*; Löschung auf Anfrage bei der Administration.",
    "barrierefreiheit": "**Platzhalter** – bitte unter *Verwaltung → Seiten* ersetzen.\n\n"
                        "Dieses Portal soll die Anforderungen der BITV 2.0 (WCAG 2.1, Stufe AA) erfüllen. "
                        "Barrieren melden Sie bitte der Administration.",
}



def _get_or_create(model, lookup: dict, **values):
    obj = db.session.scalar(select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
    return obj


def seed_organisation() -> None:
    raeume = {}
    for name, slug, office in SOZIALRAEUME:
        raeume[slug] = _get_or_create(Sozialraum, {"slug": slug}, name=name, office=office)
    db.session.flush()
    for name, slug, raum in ORTSTEILE:
        _get_or_create(Ortsteil, {"slug": slug}, name=name, sozialraum=raeume[raum])
    for name, short, kind in TRAEGER:
        _get_or_create(Traeger, {"short_name": short}, name=name, kind=kind)
    seed_pages()
    db.session.flush()


def seed_pages() -> None:
    """Legal pages, Nutzungsbedingungen and Hilfe with their default text: only the missing ones
    are created, a stored Seite (edited by the Administration or not) is never overwritten."""
    texts = {**DEFAULT_TEXT, **LEGAL_TEXT}
    for slug, title in EDITABLE_PAGES.items():
        _get_or_create(Page, {"slug": slug}, title=title, body=texts[slug])


def ensure_user(email: str, name: str, roles, scope: dict, password: str, reset_password: bool) -> User:
    """Create the user if missing; with ``reset_password`` also set the given password."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, display_name=name)
        db.session.add(user)
        reset_password = True
    if reset_password:
        user.password_hash = hash_password(password)
    user.set_roles(set(user.roles) | set(roles))
    if "traeger" in scope:
        user.traeger = db.session.scalar(select(Traeger).where(Traeger.short_name == scope["traeger"]))
    if "sozialraum" in scope:
        user.sozialraum = db.session.scalar(select(Sozialraum).where(Sozialraum.slug == scope["sozialraum"]))
    for slug in scope.get("ortsteile", []):
        ortsteil = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))
        if ortsteil not in user.ortsteile:
            user.ortsteile.append(ortsteil)
    return user


def seed_demo(password: str = DEFAULT_PASSWORD, reset_passwords: bool = False) -> None:
    seed_organisation()
    for email, name, roles, scope in USERS:
        ensure_user(email, name, roles, scope, password, reset_passwords)
    db.session.commit()
    from portal import FEATURES

    for feature in FEATURES:
        module_name = f"portal.{feature}.demo"
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).seed(password=password, reset_passwords=reset_passwords)
            db.session.commit()
    # The demo data is written directly, not through the operations: build the search index once.
    from portal.search_index.services import reindex_all

    reindex_all()
    db.session.commit()
