"""Administration. Only the role Administration enters; everyone else gets 403."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.admin import services
from portal.admin.forms import OrtsteilForm, PageForm, SozialraumForm, TraegerForm, UserForm
from portal.auth import mfa
from portal.auth.models import LinkPurpose, Role, User, UserRole
from portal.extensions import db
from portal.forms import choices
from portal.htmx import render
from portal.notifications.accounts import mail_invitation
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.pages.defaults import DEFAULT_TEXT
from portal.pages.models import EDITABLE_PAGES, HELP_PAGES, HELP_PREFIX, LEGAL_PAGES, Page
from portal.paging import CURSOR_ARG, keyset_page, parse_cursor
from portal.search import clean_query, contains

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return None  # the global login check answers first
    if not current_user.is_admin:
        abort(403)


@bp.get("/")
def index():
    counts = {
        "users": db.session.scalar(select(func.count(User.id))),
        "traeger": db.session.scalar(select(func.count(Traeger.id))),
        "sozialraeume": db.session.scalar(select(func.count(Sozialraum.id))),
        "ortsteile": db.session.scalar(select(func.count(Ortsteil.id))),
    }
    return render_template("admin/index.html", counts=counts, legal_pages=LEGAL_PAGES,
                           help_pages={HELP_PREFIX + part: title for part, title in HELP_PAGES.items()})


# --- users ---------------------------------------------------------------------------------

@bp.get("/users")
def users():
    q = clean_query(request.args.get("q"))
    role = request.args.get("role", "")
    stmt = select(User).options(selectinload(User.ortsteile), selectinload(User.traeger),
                                selectinload(User.sozialraum))
    if q:
        stmt = stmt.where(or_(contains(User.display_name, q), contains(User.email, q)))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role(role))))
    page = keyset_page(stmt, [(User.display_name, "asc"), (User.id, "asc")],
                       parse_cursor(request.args.get(CURSOR_ARG)), 25, id_column=User.id, count=True)
    return render("admin/users.html", "admin/_user_list.html", page=page, q=q, role=role, roles=list(Role),
                  trigger={"announce": f"{page.total} Konten gefunden"})


def _fill_choices(form: UserForm) -> None:
    form.traeger.choices = choices([(0, "– kein Träger –")] + [
        (t.id, t.name) for t in db.session.scalars(select(Traeger).order_by(Traeger.name))])
    form.sozialraum.choices = choices([(0, "– kein Sozialraum –")] + [
        (s.id, s.name) for s in db.session.scalars(select(Sozialraum).order_by(Sozialraum.name))])
    form.ortsteile.choices = choices(
        (o.id, o.name) for o in db.session.scalars(select(Ortsteil).order_by(Ortsteil.name)))


def _account_data(form: UserForm) -> services.AccountData:
    return services.AccountData(
        display_name=form.display_name.data, email=form.email.data, roles=form.roles.data,
        traeger=db.session.get(Traeger, form.traeger.data) if form.traeger.data else None,
        sozialraum=db.session.get(Sozialraum, form.sozialraum.data) if form.sozialraum.data else None,
        ortsteile=list(db.session.scalars(select(Ortsteil).where(Ortsteil.id.in_(form.ortsteile.data or [])))),
    )


def _show_problems(form, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            user, link = services.create_user(_account_data(form), current_user)
        except services.FieldProblems as e:
            db.session.rollback()
            _show_problems(form, e.problems)
        else:
            mailed = mail_invitation(user, link, LinkPurpose.INVITE)  # only with a mail server (MAIL_HOST)
            db.session.commit()
            return render_template("admin/link_created.html", user=user, link=link, purpose="invite", mailed=mailed)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


def _get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = _get_user(user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    _fill_choices(form)
    if request.method == "GET":
        form.roles.data = [r.value for r in user.roles]
        form.traeger.data = user.traeger_id or 0
        form.sozialraum.data = user.sozialraum_id or 0
        form.ortsteile.data = [o.id for o in user.ortsteile]
    if form.validate_on_submit():
        try:
            services.update_user(user, _account_data(form), current_user)
        except services.FieldProblems as e:
            db.session.rollback()
            _show_problems(form, e.problems)
        else:
            db.session.commit()
            flash(f"Änderungen an {user.display_name} gespeichert.", "success")
            return redirect(url_for("admin.users"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int):
    user = _get_user(user_id)
    services.set_active(user, False, current_user)
    db.session.commit()
    flash(f"{user.display_name} ist deaktiviert und überall abgemeldet.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id), code=303)


@bp.post("/users/<int:user_id>/activate")
def user_activate(user_id: int):
    user = _get_user(user_id)
    services.set_active(user, True, current_user)
    db.session.commit()
    flash(f"{user.display_name} ist wieder aktiv.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id), code=303)


@bp.post("/users/<int:user_id>/link")
def user_link(user_id: int):
    """A new invitation (no password yet) or password-reset link."""
    user = _get_user(user_id)
    purpose = LinkPurpose.RESET if user.password_hash else LinkPurpose.INVITE
    link = services.new_account_link(user, current_user)
    mailed = mail_invitation(user, link, purpose)  # only with a mail server (MAIL_HOST)
    db.session.commit()
    return render_template("admin/link_created.html", user=user, link=link, purpose=purpose.value, mailed=mailed)


@bp.post("/users/<int:user_id>/mfa-reset")
def user_mfa_reset(user_id: int):
    """Switch a person's second factor off (lost phone); they enrol again at the next login."""
    user = _get_user(user_id)
    mfa.reset(user, current_user)
    db.session.commit()
    flash(f"Die Zwei-Faktor-Anmeldung von {user.display_name} ist zurückgesetzt; {user.display_name} ist überall "
          "abgemeldet und richtet sie bei der nächsten Anmeldung neu ein.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id), code=303)


# --- Träger, Sozialräume, Ortsteile: the same list + form, driven by a small table ----------

ORG_KINDS = {
    "traeger": dict(model=Traeger, form=TraegerForm, title="Träger", singular="Träger",
                    order=Traeger.name),
    "sozialraeume": dict(model=Sozialraum, form=SozialraumForm, title="Sozialräume",
                         singular="Sozialraum", order=Sozialraum.name),
    "ortsteile": dict(model=Ortsteil, form=OrtsteilForm, title="Ortsteile", singular="Ortsteil",
                      order=Ortsteil.name),
}


def _org_kind(kind: str) -> dict:
    if kind not in ORG_KINDS:
        abort(404)
    return ORG_KINDS[kind]


@bp.get("/<any(traeger, sozialraeume, ortsteile):kind>")
def org_list(kind: str):
    spec = _org_kind(kind)
    stmt = select(spec["model"]).order_by(spec["order"])
    if spec["model"] is Ortsteil:
        stmt = stmt.options(selectinload(Ortsteil.sozialraum))
    return render_template("admin/org_list.html", kind=kind, spec=spec,
                           items=db.session.scalars(stmt).all())


def _org_form(kind: str, obj=None):
    spec = _org_kind(kind)
    form = spec["form"](obj=obj if request.method == "GET" else None)
    if isinstance(form, OrtsteilForm):
        form.sozialraum.choices = choices(
            (s.id, s.name) for s in db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)))
        if request.method == "GET" and obj is not None:
            form.sozialraum.data = obj.sozialraum_id
    if isinstance(form, TraegerForm) and request.method == "GET" and obj is not None:
        form.kind.data = obj.kind.value
    if form.validate_on_submit():
        item = obj or spec["model"]()
        try:
            services.save_organisation(
                item, current_user, name=form.name.data,
                short_name=getattr(form, "short_name", None) and form.short_name.data or "",
                kind=form.kind.data if isinstance(form, TraegerForm) else None,
                slug=getattr(form, "slug", None) and form.slug.data or "",
                office=getattr(form, "office", None) and form.office.data or "",
                sozialraum_id=form.sozialraum.data if isinstance(form, OrtsteilForm) else None)
            db.session.commit()
        except (services.FieldProblems, IntegrityError) as e:
            db.session.rollback()
            problems = getattr(e, "problems", {"name": "Name oder Kürzel ist schon vergeben."})
            _show_problems(form, problems)
        else:
            flash(f"{spec['singular']} „{item.name}“ gespeichert.", "success")
            return redirect(url_for("admin.org_list", kind=kind), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/org_form.html", kind=kind, spec=spec, form=form, item=obj), status


@bp.route("/<any(traeger, sozialraeume, ortsteile):kind>/new", methods=["GET", "POST"])
def org_new(kind: str):
    return _org_form(kind)


@bp.route("/<any(traeger, sozialraeume, ortsteile):kind>/<int:item_id>", methods=["GET", "POST"])
def org_edit(kind: str, item_id: int):
    return _org_form(kind, db.get_or_404(_org_kind(kind)["model"], item_id))


# --- Seiten: legal pages, Nutzungsbedingungen, Hilfe -------------------------------------------

def _page_url(slug: str) -> str:
    if slug.startswith(HELP_PREFIX):
        return url_for("pages.help_page", part=slug.removeprefix(HELP_PREFIX))
    return url_for("pages.legal", slug=slug)


@bp.route(f"/pages/<any({', '.join(repr(s) for s in EDITABLE_PAGES)}):slug>", methods=["GET", "POST"])
def page_edit(slug: str):
    page = db.session.get(Page, slug) or Page(slug=slug, title=EDITABLE_PAGES[slug], body=DEFAULT_TEXT.get(slug, ""))
    form = PageForm(obj=page if request.method == "GET" else None)
    if form.validate_on_submit():
        services.save_page(page, current_user, title=form.title.data, body=form.body.data)
        db.session.commit()
        flash(f"„{page.title}“ gespeichert.", "success")
        return redirect(_page_url(slug), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/page_form.html", form=form, page=page, back=_page_url(slug)), status
