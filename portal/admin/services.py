"""Operations of the Administration: accounts, Träger, Sozialräume, Ortsteile, legal pages.

Each checks the acting user, changes state, flushes and sends its domain event; the view commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from portal import duplicates, signals
from portal.auth import services as accounts
from portal.auth.models import LinkPurpose, Role, User
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger, TraegerKind
from portal.pages.models import Page
from portal.text import slugify


NO_SLUG = "Aus diesem Namen lässt sich keine Adresse bilden. Bitte gib ein Kürzel an, z. B. „mitte-sued“."


class FieldProblems(Invalid):
    """Input that breaks a rule of the account, keyed by form field (German messages)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:  # None: the command line
        raise NotAllowed()


@dataclass
class AccountData:
    """What the account form says about a person."""

    display_name: str
    email: str
    roles: list[str]
    traeger: Traeger | None = None
    sozialraum: Sozialraum | None = None
    ortsteile: list[Ortsteil] = field(default_factory=list)


def _problems(user: User | None, data: AccountData, actor: User | None) -> dict[str, str]:
    problems = accounts.scope_problems(data.roles, data.ortsteile, data.traeger, data.sozialraum)
    email = accounts.normalise_email(data.email)
    clash = db.session.scalar(select(User.id).where(User.email == email, User.id != (user.id if user else 0)))
    if clash:
        problems["email"] = "Diese E-Mail-Adresse hat schon ein anderes Konto."
    if user is not None and actor is not None and user.id == actor.id and Role.ADMIN.value not in data.roles:
        problems["roles"] = "Du kannst dir die Rolle Administration nicht selbst nehmen."
    return problems


def _apply(user: User, data: AccountData) -> None:
    user.display_name = data.display_name.strip()
    user.email = accounts.normalise_email(data.email)
    user.set_roles(data.roles)
    user.traeger = data.traeger
    user.sozialraum = data.sozialraum
    user.ortsteile = list(data.ortsteile)


def create_user(data: AccountData, actor: User | None) -> tuple[User, str]:
    """A new account and its invitation link (shown once)."""
    _require_admin(actor)
    problems = _problems(None, data, actor)
    if problems:
        raise FieldProblems(problems)
    user = User()
    _apply(user, data)
    # The same form sent twice: the second finds the address taken (a unique clash at the flush).
    with duplicates.unique_or(FieldProblems({"email": "Diese E-Mail-Adresse hat schon ein anderes Konto."})):
        db.session.add(user)
    link = accounts.create_account_link(user, LinkPurpose.INVITE, actor)
    signals.user_created.send(user, actor=actor)
    return user, link


def update_user(user: User, data: AccountData, actor: User) -> None:
    _require_admin(actor)
    problems = _problems(user, data, actor)
    if problems:
        raise FieldProblems(problems)
    _apply(user, data)
    db.session.flush()
    signals.user_updated.send(user, actor=actor)


def set_active(user: User, active: bool, actor: User) -> None:
    """Deactivating ends every session of the person at once."""
    _require_admin(actor)
    if user.id == actor.id and not active:
        raise Conflict("Du kannst dein eigenes Konto nicht deaktivieren.")
    if active:
        user.active = True
    else:
        accounts.deactivate(user)
    db.session.flush()
    signals.user_updated.send(user, actor=actor)


def new_account_link(user: User, actor: User) -> str:
    """An invitation (no password yet) or password-reset link; older links stop working."""
    _require_admin(actor)
    if not user.active:
        raise Conflict("Für ein deaktiviertes Konto gibt es keinen Link. Bitte erst aktivieren.")
    purpose = LinkPurpose.RESET if user.password_hash else LinkPurpose.INVITE
    return accounts.create_account_link(user, purpose, actor)


def save_organisation(item: Traeger | Sozialraum | Ortsteil, actor: User, *, name: str, short_name: str = "",
                      kind: str | None = None, slug: str = "", office: str = "", sozialraum_id: int | None = None) -> None:
    """Create or rename a Träger, Sozialraum or Ortsteil. A taken name or slug: FieldProblems."""
    _require_admin(actor)
    model = type(item)
    name = name.strip()
    if isinstance(item, Traeger):
        short_name = short_name.strip()
        taken = select(Traeger.id).where((Traeger.name == name) | (Traeger.short_name == short_name))
    else:
        slug = slug or slugify(name)
        if not slug:  # a name of only punctuation or foreign letters gives no address by itself
            raise FieldProblems({"slug": NO_SLUG})
        taken = select(model.id).where((model.name == name) | (model.slug == slug))
    with db.session.no_autoflush:
        if db.session.scalar(taken.where(model.id != (item.id or 0))):
            raise FieldProblems({"name": "Name oder Kürzel ist schon vergeben."})
    item.name = name
    if isinstance(item, Traeger):
        item.short_name = short_name
        item.kind = TraegerKind(kind)
    else:
        item.slug = slug
    if isinstance(item, Sozialraum):
        item.office = office.strip()
    if isinstance(item, Ortsteil):
        item.sozialraum_id = sozialraum_id
    db.session.add(item)
    db.session.flush()
    signals.organisation_changed.send(item, actor=actor)


def save_page(page: Page, actor: User, *, title: str, body: str) -> None:
    _require_admin(actor)
    page.title = title.strip()
    page.body = body or ""
    page.updated_by_id = actor.id
    db.session.add(page)
    db.session.flush()
