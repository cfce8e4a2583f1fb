"""AG 78 routes around a meeting's invitation: the AG's settings (Ladungsfrist), sending the
Einladung, Zusage / Absage / Vertretung, and the invitation as .ics."""
from __future__ import annotations

from flask import Response, abort, flash, render_template, request, url_for
from flask_login import current_user

from portal.ag import invitations
from portal.ag.forms import InvitationForm, ReplyForm, SettingsForm
from portal.ag.models import ReplyAnswer, WorkingGroup
from portal.ag.view_support import (actor, editor_ctx, load_ctx, load_meeting, meeting_page_ctx, meeting_url,
                                    refuse_frozen)
from portal.ag.views import bp
from portal.errors import Conflict, Invalid
from portal.extensions import db, utcnow
from portal.htmx import redirect_after_post


@bp.route("/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str):
    ctx = load_ctx(slug)
    if not WorkingGroup.can_configure(current_user, ctx.functions):
        abort(403, description="Die Einstellungen der AG ändern die Sprecher:innen und die Administration.")
    form = SettingsForm(obj=ctx.group if request.method == "GET" else None)
    if form.validate_on_submit():
        invitations.save_settings(ctx.group, actor(), notice_days=form.notice_days.data)
        db.session.commit()
        flash(f"Einstellungen gespeichert: Ladungsfrist {ctx.group.notice_days} Tage.", "success")
        return redirect_after_post(url_for("ag.group", slug=ctx.group.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/settings.html", ctx=ctx, group=ctx.group, form=form,
                           title=f"Einstellungen – {ctx.group.short_name}"), status


@bp.route("/<slug>/meetings/<int:meeting_id>/invite", methods=["GET", "POST"])
def invite(slug: str, meeting_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    refuse_frozen(ctx, m)
    blocker = invitations.invitation_blocker(m, utcnow())
    notice = invitations.notice_for(m)
    form = InvitationForm()
    status = 200
    if request.method == "POST":
        if blocker:
            status = 409
        elif form.validate_on_submit():
            try:
                invitations.send_invitation(m, actor(), reason=form.reason.data or "")
            except Invalid as e:
                db.session.rollback()
                form.reason.errors = [*form.reason.errors, e.message]
            except Conflict as e:
                db.session.rollback()
                blocker, status = e.message, 409
            else:
                db.session.commit()
                late = "" if notice.met else " (außerhalb der Ladungsfrist, mit Begründung)"
                flash(f"Die Einladung zur {m.title} ist an die Mitglieder verschickt{late}.", "success")
                return redirect_after_post(meeting_url(m, "rueckmeldung"))
        if status == 200:
            status = 422
    return render_template("ag/invite.html", ctx=ctx, group=ctx.group, meeting=m, form=form, notice=notice,
                           blocker=blocker, title=f"Einladung – {m.full_title}"), status


@bp.post("/<slug>/meetings/<int:meeting_id>/reply")
def reply(slug: str, meeting_id: int):
    ctx = load_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    if not invitations.own_memberships(m, current_user):
        abort(403, description="Zu- und absagen können die Mitglieder der AG.")
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            invitations.reply(m, actor(), ReplyAnswer(form.answer.data))
        except Invalid as e:
            db.session.rollback()
            form.answer.errors = [*form.answer.errors, e.message]
        except Conflict as e:
            db.session.rollback()
            abort(409, description=e.message)
        else:
            db.session.commit()
            flash(f"Deine Rückmeldung ist gespeichert: {ReplyAnswer(form.answer.data).label}.", "success")
            return redirect_after_post(meeting_url(m, "rueckmeldung"))
    return render_template("ag/meeting.html", **meeting_page_ctx(ctx, m, reply_form=form)), 422


@bp.get("/<slug>/meetings/<int:meeting_id>/invitation.ics")
def invitation_ics(slug: str, meeting_id: int):
    """The invitation with the current replies, to add it to one's calendar by hand."""
    ctx = load_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    if not m.is_invited:
        abort(404)
    response = Response(invitations.invitation_ics(m), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{ctx.group.slug}-sitzung-{m.number}.ics"'
    return response
