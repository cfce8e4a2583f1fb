"""AG 78: working groups, their meetings and minutes.

Content of an AG is for its members, the Leitung and Administration; everyone else gets 404 (they
may not even learn what is discussed). Meeting dates go to the shared calendar for everybody.

One blueprint, its routes in four modules: this one (overview, search, the AG page, the AG and its
memberships, the OParl export), ``meeting_views`` (meetings, attendance, agenda, decisions, tasks),
``minutes_views`` (the minutes lifecycle, Berichtigungen, change requests, read receipts) and
``attachment_views`` (Anlagen). Views parse the form, call one operation (``portal.ag.meetings`` /
``portal.ag.minutes``), commit once and respond.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.ag import meetings, minutes, services
from portal.ag.forms import GroupForm, MembershipForm
from portal.ag.models import Function, Membership, WorkingGroup
from portal.ag.view_support import actor, load_ctx, manager_ctx
from portal.auth.models import User
from portal.errors import Invalid
from portal.extensions import db
from portal.formatting import BERLIN, heute
from portal.forms import choices
from portal.htmx import redirect_after_post, render
from portal.org.models import Traeger
from portal.paging import CURSOR_ARG, parse_cursor
from portal.search import clean_query, snippet

bp = Blueprint("ag", __name__, url_prefix="/ag")


# --- overview ------------------------------------------------------------------------------------

@bp.get("/")
def index():
    groups = services.groups_for(current_user)
    now = datetime.now(BERLIN)
    upcoming = services.meetings_in(now, now + timedelta(days=365))
    member_of = services.member_group_ids(current_user)
    unread_by_group = services.unread_by_group(current_user) if member_of else {}
    visible = {g.id for g in groups}
    return render_template("ag/index.html", groups=groups, upcoming=upcoming[:8], visible=visible,
                           unread_by_group=unread_by_group, member_of=member_of,
                           can_manage=WorkingGroup.can_manage(current_user), title="AG 78")


@bp.get("/search")
def search():
    q = clean_query(request.args.get("q"))
    results = minutes.search_minutes(current_user, q) if len(q) >= 2 else []
    return render("ag/search.html", "ag/_search_results.html", q=q, results=results,
                  snippet=snippet, limit=minutes.SEARCH_LIMIT, title="Protokolle durchsuchen")


@bp.route("/new", methods=["GET", "POST"])
def group_new():
    if not WorkingGroup.can_manage(current_user):
        abort(403, description="AGs legt die Administration an.")
    return _group_form(WorkingGroup())


@bp.get("/<slug>/")
def group(slug: str):
    ctx = load_ctx(slug)
    group = ctx.group
    members = services.members_on(group.id, heute())
    page = services.meetings_page(group, parse_cursor(request.args.get(CURSOR_ARG)))
    unread = services.unread_meeting_ids(current_user, [m.id for m in page.items]) if ctx.member else set()
    return render_template("ag/group.html", ctx=ctx, group=group, members=members, page=page, unread=unread,
                           open_actions=services.open_actions(group.id, editor=ctx.editor, closed=ctx.sees_closed),
                           today=heute(), title=group.name,
                           group_html=services.group_html(group))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def group_edit(slug: str):
    return _group_form(manager_ctx(slug).group)


def _group_form(group: WorkingGroup):
    form = GroupForm(obj=group if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            meetings.save_group(group, actor(), name=form.name.data, short_name=form.short_name.data,
                                slug=form.slug.data, description=form.description.data, rules=form.rules.data,
                                rules_adopted_on=form.rules_adopted_on.data,
                                agenda_public_default=form.agenda_public_default.data)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.name.errors = [*form.name.errors, "Name oder Kürzel ist schon vergeben."]
        except Invalid as e:
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, e.message]
        else:
            flash(f"„{group.name}“ gespeichert.", "success")
            return redirect_after_post(url_for("ag.group", slug=group.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/group_form.html", form=form, group=group if group.id else None,
                           title=group.name if group.id else "AG anlegen"), status


# --- memberships (Administration) -----------------------------------------------------------------

def _membership_form(ctx, membership: Membership):
    form = MembershipForm(obj=membership if request.method == "GET" else None)
    people = [(u.id, f"{u.display_name} ({u.email})")
              for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)
                                          .options(services.NAME_ONLY))]
    form.user.choices = choices([(0, "– bitte wählen –")] + people)
    form.deputy.choices = choices([(0, "– keine Stellvertretung –")] + people)
    form.traeger.choices = choices([(0, "– kein Träger –")] + [
        (t.id, t.name) for t in db.session.scalars(select(Traeger).order_by(Traeger.name))])
    if request.method == "GET":
        form.user.data = membership.user_id or 0
        form.traeger.data = membership.traeger_id or 0
        form.function.data = (membership.function or Function.MITGLIED).value
        form.valid_from.data = membership.valid_from or heute()
        form.deputy.data = membership.deputy_id or 0
    if form.validate_on_submit():
        meetings.save_membership(ctx.group, membership, actor(), user_id=form.user.data,
                                 traeger_id=form.traeger.data, function=Function(form.function.data),
                                 voting=form.voting.data, valid_from=form.valid_from.data,
                                 valid_to=form.valid_to.data, deputy_id=form.deputy.data or None,
                                 deputy_from=form.deputy_from.data, deputy_to=form.deputy_to.data)
        db.session.commit()
        flash("Mitgliedschaft gespeichert.", "success")
        return redirect_after_post(url_for("ag.group", slug=ctx.group.slug, _anchor="mitglieder"))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/membership_form.html", form=form, ctx=ctx, group=ctx.group,
                           membership=membership if membership.id else None,
                           title="Mitgliedschaft bearbeiten" if membership.id else "Mitglied aufnehmen"), status


@bp.route("/<slug>/members/new", methods=["GET", "POST"])
def member_new(slug: str):
    return _membership_form(manager_ctx(slug), Membership())


@bp.route("/<slug>/members/<int:membership_id>", methods=["GET", "POST"])
def member_edit(slug: str, membership_id: int):
    ctx = manager_ctx(slug)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.group_id != ctx.group.id:
        abort(404)
    return _membership_form(ctx, membership)


# --- open data ------------------------------------------------------------------------------------

@bp.get("/<slug>/oparl.json")
def export(slug: str):
    """The one-document export of old: OParl clients start at the System of the OParl interface."""
    return redirect(url_for("oparl.system"), code=301)


# The other routes of this blueprint (imported last: they register on ``bp``).
from portal.ag import attachment_views, invitation_views, meeting_views, minutes_views  # noqa: E402,F401
