"""Pinnwand moderation: approve, hide with a reason, restore, pin; comments; reports; the
pre-moderation setting; the queue (one page per list) and the log. Registered on ``board.bp``.

A decision taken on a stale version answers 409 with the current state (and, where there was a
form, what the moderator typed).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.board import queries, services
from portal.board.forms import CommentForm, ModerationForm, ReasonForm, SettingsForm
from portal.board.models import Post, Report, is_moderator
from portal.board.views import (bp, comment_or_404, comments_response, ortsteil_or_404, post_or_404, safe_next,
                                thanked)
from portal.errors import Conflict
from portal.extensions import db
from portal.htmx import redirect_after_post, render, wants_fragment
from portal.paging import CURSOR_ARG, parse_cursor


def _require_moderator() -> None:
    if not is_moderator(current_user):
        abort(403, description=services.MODERATION_ONLY)


def _card(post: Post, status: int = 200, notice: str | None = None, trigger=None, **ctx):
    return render("board/post_detail.html", "board/_post.html", status=status, trigger=trigger, post=post,
                  thanked=thanked(post), notice=notice, detail=request.form.get("detail") == "1",
                  comment_form=CommentForm(formdata=None), **ctx)


def _version(raw) -> int | None:
    raw = str(raw or "")
    return int(raw) if raw.isdigit() else None


MODERATION = {
    "approve": (lambda post, version: services.approve_post(post, current_user, version),
                "Der Beitrag ist freigegeben.", "post-approved"),
    "restore": (lambda post, version: services.restore_post(post, current_user, version),
                "Der Beitrag ist wieder sichtbar.", "post-restored"),
    "pin": (lambda post, version: services.pin_post(post, current_user, version, pinned=True),
            "Der Beitrag ist oben angeheftet.", "post-pinned"),
    "unpin": (lambda post, version: services.pin_post(post, current_user, version, pinned=False),
              "Der Beitrag ist nicht mehr angeheftet.", "post-unpinned"),
}


def _counts() -> dict:
    """What the decision changed elsewhere on the page (sent out of band with the card)."""
    on_queue = (request.form.get("next") or "").startswith(url_for("board.queue"))
    return {"on_queue": on_queue, "pending": queries.pending_count() if on_queue else None}


def _done(post: Post, message: str, event: str):
    if wants_fragment():
        return _card(post, trigger={event: post.id, "announce": message}, counts=_counts())
    flash(message, "success")
    return redirect(safe_next(url_for("board.post_detail", post_id=post.id)), code=303)


def _stale(post_id: int, conflict: Conflict, **ctx):
    """409 with the post as it is now: the card for htmx (board.js swaps it), else the post page."""
    db.session.rollback()
    post = post_or_404(post_id, with_comments=not wants_fragment())
    return _card(post, status=409, notice=conflict.message, trigger={"announce": conflict.message}, **ctx)


@bp.post("/posts/<int:post_id>/<any(approve, restore, pin, unpin):action>")
def post_moderate(post_id: int, action: str):
    _require_moderator()
    post = post_or_404(post_id)
    form = ModerationForm()
    operation, message, event = MODERATION[action]
    try:
        operation(post, form.version.data)
        db.session.commit()
    except Conflict as e:
        return _stale(post_id, e)
    return _done(post, message, event)


@bp.route("/posts/<int:post_id>/hide", methods=["GET", "POST"])
def post_hide(post_id: int):
    _require_moderator()
    post = post_or_404(post_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.hide_post(post, current_user, _version(form.version.data), reason=form.reason.data)
            db.session.commit()
        except Conflict as e:
            if wants_fragment():
                return _stale(post_id, e, hide_form=form)
            db.session.rollback()
            post = post_or_404(post_id)
            form.version.data = post.version  # the reason typed stays; sending again decides on the current state
            return render_template("board/hide.html", form=form, post=post, comment=None, conflict=e.message), 409
        return _done(post, "Der Beitrag ist ausgeblendet.", "post-hidden")
    status = 422 if form.is_submitted() else 200
    if wants_fragment() and status == 422:
        return _card(post, status=422, hide_form=form)
    return render_template("board/hide.html", form=form, post=post, comment=None), status


@bp.route("/comments/<int:comment_id>/hide", methods=["GET", "POST"])
def comment_hide(comment_id: int):
    _require_moderator()
    comment = comment_or_404(comment_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.hide_comment(comment, current_user, form.reason.data)
            db.session.commit()
            message = "Der Kommentar ist ausgeblendet."
        except Conflict as e:  # hidden already: nothing lost, say so
            db.session.rollback()
            message = e.message
        if not wants_fragment() and request.form.get("next"):  # came from the queue: back there
            flash(message, "success")
            return redirect(safe_next(url_for("board.post_detail", post_id=comment.post_id)), code=303)
        return comments_response(comment.post_id, message, "comment-hidden")
    status = 422 if form.is_submitted() else 200
    if wants_fragment() and status == 422:
        return comments_response(comment.post_id, "", "", status=422, hide_comment_id=comment.id, hide_form=form)
    return render_template("board/hide.html", form=form, post=comment.post, comment=comment), status


@bp.post("/comments/<int:comment_id>/restore")
def comment_restore(comment_id: int):
    _require_moderator()
    comment = comment_or_404(comment_id)
    post_id = comment.post_id
    try:
        services.restore_comment(comment, current_user)
        db.session.commit()
        message = "Der Kommentar ist wieder sichtbar."
    except Conflict as e:  # visible already: nothing lost, say so
        db.session.rollback()
        message = e.message
    return comments_response(post_id, message, "comment-restored")


@bp.post("/<slug>/settings")
def settings(slug: str):
    _require_moderator()
    ortsteil = ortsteil_or_404(slug)
    form = SettingsForm()
    if form.validate_on_submit():
        changed = services.set_premoderation(ortsteil, bool(form.premoderation.data), current_user)
        db.session.commit()
        if changed:
            flash(f"Pinnwand {ortsteil.name}: Beiträge werden " +
                  ("jetzt vor der Veröffentlichung geprüft." if form.premoderation.data else
                   "wieder sofort veröffentlicht."), "success")
    return redirect(url_for("board.ortsteil", slug=ortsteil.slug), code=303)


# --- queue and log -----------------------------------------------------------------------------------
# The queue has two lists that grow independently; each has its own page (and its own ``nach``):
# waiting posts at /moderation, open reports at /moderation/meldungen. The sub-navigation shows
# both counts.

@bp.get("/moderation")
def queue():
    _require_moderator()
    pending = queries.pending_posts(parse_cursor(request.args.get(CURSOR_ARG)))
    return render_template("board/queue.html", pending=pending, pending_total=pending.total,
                           reports_total=queries.open_report_count(),
                           thanked=queries.thanked_by(current_user, pending.items))


@bp.get("/moderation/meldungen")
def reports():
    _require_moderator()
    page = queries.open_reports(parse_cursor(request.args.get(CURSOR_ARG)))
    return render_template("board/reports.html", reports=page, reports_total=page.total,
                           pending_total=queries.pending_count())


@bp.post("/reports/<int:report_id>/dismiss")
def report_dismiss(report_id: int):
    _require_moderator()
    item = db.get_or_404(Report, report_id)
    try:
        services.dismiss_report(item, current_user, request.form.get("note", "").strip()[:500])
        db.session.commit()
        flash("Die Meldung ist erledigt.", "success")
    except Conflict as e:  # someone else was quicker: nothing lost, say so
        db.session.rollback()
        flash(e.message, "info")
    # Back to the same page of the reports (a moderator working through page 2 stays there).
    return redirect_after_post(safe_next(url_for("board.reports")))


@bp.get("/moderation/log")
def log():
    _require_moderator()
    page = queries.moderation_log(parse_cursor(request.args.get(CURSOR_ARG)))
    return render_template("board/log.html", page=page)
