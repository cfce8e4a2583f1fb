"""Pinnwand der Ortsteile: boards, posts, conversation and files (moderation: moderation_views.py,
on the same blueprint).

Every signed-in user reads every board; who may post, edit and moderate is decided by the
models' ``can_*`` rules. Views parse the form, call one operation of ``services``, commit once and
respond: 303 after a plain form, the updated region plus an ``HX-Trigger`` event for htmx.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from htmx_flask import request as hx_request
from markupsafe import Markup
from sqlalchemy import select

from portal import duplicates
from portal.board import queries, services
from portal.board.forms import CommentForm, PostForm, ReasonForm, SettingsForm
from portal.board.models import (MAX_ATTACHMENTS, Attachment, Category, Comment, Post, PostStatus, can_post_in,
                                  is_moderator)
from portal.budget import services as budget_services
from portal.caching import generation, kept
from portal.calendar.services import upcoming_for_ortsteil
from portal.errors import Conflict
from portal.extensions import db
from portal.formatting import heute, jetzt
from portal.forms import choices
from portal.htmx import redirect_after_post, render, wants_fragment
from portal.org.models import Ortsteil
from portal.paging import CURSOR_ARG, parse_cursor
from portal.search import clean_query
from portal.uploads import UploadError, send_upload

bp = Blueprint("board", __name__, url_prefix="/board")


# --- helpers (also used by moderation_views) --------------------------------------------------------

def ortsteil_or_404(slug: str) -> Ortsteil:
    ortsteil = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))
    if ortsteil is None:
        abort(404)
    return ortsteil


def post_or_404(post_id: int, with_comments: bool = False) -> Post:
    """The post if the user may see it; 404 for waiting or hidden posts of others."""
    post = queries.get_post(post_id, with_comments=with_comments)
    if post is None or not post.can_view(current_user):
        abort(404)
    return post


def comment_or_404(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or not comment.post.can_view(current_user):
        abort(404)
    return comment


def safe_next(default: str) -> str:
    """Where to go back after a plain form post: only our own board pages."""
    target = request.form.get("next") or request.args.get("next") or ""
    return target if target.startswith("/board") and not target.startswith("//") else default


def thanked(post: Post) -> bool:
    return post.id in queries.thanked_by(current_user, [post])


def comments_response(post_id: int, message: str, event: str, status: int = 200, **ctx):
    """After a change to the comments: 303 to the post, or the comments region for htmx."""
    if not wants_fragment() and status == 200:
        flash(message, "success")
        return redirect(url_for("board.post_detail", post_id=post_id, _anchor="comments"), code=303)
    post = post_or_404(post_id, with_comments=True)
    return render("board/post_detail.html", "board/_comments.html", status=status, post=post, detail=True,
                  thanked=thanked(post), comment_form=CommentForm(formdata=None),
                  trigger={event: post_id, "announce": message} if status == 200 else None, **ctx)


def _filter(ortsteil: Ortsteil | None) -> queries.PostFilter:
    raw = request.args.get("kategorie", "")
    category = Category(raw) if raw in {c.value for c in Category} else None
    return queries.PostFilter(ortsteil=ortsteil, category=category, q=clean_query(request.args.get("q"))[:100],
                              archive=request.args.get("archiv") == "1")


# --- boards ----------------------------------------------------------------------------------------

@bp.get("/")
def index():
    mine = {o.id for o in current_user.ortsteile}
    cards = sorted(_overview_cards(is_moderator(current_user)),
                   key=lambda card: card.ortsteil_id not in mine)  # the person's own Ortsteile first
    return render_template("board/index.html", cards=cards, mine=mine,
                           unpublished=queries.my_unpublished(current_user),
                           queue_size=queries.queue_size() if is_moderator(current_user) else 0)


@dataclass(frozen=True)
class BoardCard:
    ortsteil_id: int
    name: str
    slug: str
    sozialraum: str
    premoderated: bool
    #: Its first posts (templates/board/_overview_posts.html): the same for everyone who sees them.
    posts: Markup


def _overview_cards(moderation: bool) -> list[BoardCard]:
    """The overview's cards, by name: every Ortsteil with the first posts of its board, rendered once
    and kept per worker until a post, a board's settings or a place changes (generation
    ``board_overview``). Two variants: the published posts, which everyone sees (a person's own
    waiting or hidden posts are listed above the cards, ``my_unpublished``), and all posts for the
    Moderation. What belongs to the viewer (her Ortsteile first and marked) is rendered around them."""
    def build() -> list[BoardCard]:
        premoderated = queries.premoderated_ortsteil_ids()
        return [BoardCard(o.id, o.name, o.slug, o.sozialraum.name, o.id in premoderated,
                          Markup(render_template("board/_overview_posts.html", posts=posts)))
                for o, posts in queries.overview(current_user if moderation else None)]

    key = ("board_overview", moderation, heute(), request.script_root, generation("board_overview"))
    return kept("board_overview", 8, key, build)


def _board(ortsteil: Ortsteil | None):
    f = _filter(ortsteil)
    page = queries.list_posts(f, current_user, cursor=parse_cursor(request.args.get(CURSOR_ARG)))
    endpoint_args = {"slug": ortsteil.slug} if ortsteil else {}
    endpoint = "board.ortsteil" if ortsteil else "board.stream"

    def board_url(**args) -> str:
        return url_for(endpoint, **endpoint_args, **args)

    ctx = dict(ortsteil=ortsteil, f=f, page=page, board_url=board_url, categories=list(Category),
               list_url=board_url(**f.args()))
    more = hx_request.htmx.target == "post-list"
    partial = "board/_post_items.html" if more else "board/_posts.html"
    if more:
        # "Mehr laden": the next posts; the first takes the focus, a screen reader hears how many came.
        n = len(page.posts)
        ctx["trigger"] = {"announce": f"{n} weitere Beiträge geladen." if n != 1 else "1 weiterer Beitrag geladen."}
    if wants_fragment():
        # Only the list: what the rest of the page shows (settings, calendar, forms) is not asked for.
        if not more and ortsteil is not None:
            ctx["can_post"] = can_post_in(current_user, ortsteil)  # the empty list invites to write
        return render("board/board.html", partial, **ctx)
    ctx.pop("trigger", None)
    if ortsteil is not None:
        settings = queries.settings_for(ortsteil)
        ctx.update(can_post=can_post_in(current_user, ortsteil), settings=settings,
                   premoderated=settings.premoderation and not is_moderator(current_user),
                   own_boards=queries.own_boards(current_user), upcoming=upcoming_for_ortsteil(ortsteil.id),
                   form=_new_post_form(), settings_form=SettingsForm(formdata=None, premoderation=settings.premoderation))
        # "Budget 2026: noch 840 € frei" for the Ortsteil's volunteers (one query).
        ctx["budget_banner"] = budget_services.banner_for(current_user, ortsteil, jetzt().year)
    if is_moderator(current_user):
        ctx["queue_size"] = queries.queue_size()
    return render("board/board.html", partial, **ctx)


@bp.get("/alle")
def stream():
    return _board(None)


@bp.get("/<slug>")
def ortsteil(slug: str):
    return _board(ortsteil_or_404(slug))


@bp.get("/new-posts")
def new_posts():
    """The light poll of an open board: 204 while nothing new arrived, else a small notice."""
    slug = request.args.get("ortsteil")
    board = ortsteil_or_404(slug) if slug else None
    f = _filter(board)
    after = parse_cursor(request.args.get("after")) or 0
    count = queries.count_new_posts(f, current_user, after)
    if not count:
        return "", 204
    list_url = url_for("board.ortsteil", slug=board.slug, **f.args()) if board else url_for("board.stream", **f.args())
    return render_template("board/_new_posts.html", count=count, list_url=list_url)


# --- writing posts ---------------------------------------------------------------------------------

def _new_post_form(submitted: bool = False) -> PostForm:
    """An empty form with a fresh request key, or (``submitted``) the one filled from the request."""
    form = PostForm() if submitted else PostForm(formdata=None)
    form.remove_attachments.choices = []
    if not submitted:
        form.request_key.data = secrets.token_hex(16)
    return form


def _chosen_files(form: PostForm) -> list:
    return [f for f in (form.files.data or []) if getattr(f, "filename", "")]


def _store_files(form: PostForm, files: list, already: int) -> tuple[list, int]:
    """Store the chosen files; on a problem remove what was stored and return the error status."""
    if already + len(files) > MAX_ATTACHMENTS:
        form.files.errors = [*form.files.errors, f"Höchstens {MAX_ATTACHMENTS} Anhänge pro Beitrag."]
        return [], 422
    stored = []
    try:
        for i, file in enumerate(files):
            stored.append(services.store_attachment(file, already + i))
    except UploadError as e:
        for a in stored:
            services.forget_files(a)
        form.files.errors = [*form.files.errors, str(e)]
        return [], e.status
    return stored, 200


def _files_lost_hint(form: PostForm, files: list) -> None:
    if files and not form.files.errors:
        form.files.errors = ["Die gewählten Dateien wurden noch nicht gespeichert – bitte wähle sie noch einmal aus."]


@bp.route("/<slug>/new", methods=["GET", "POST"])
def post_new(slug: str):
    ortsteil = ortsteil_or_404(slug)
    if not can_post_in(current_user, ortsteil):
        abort(403, description=services.NOT_YOURS)
    form = _new_post_form(submitted=request.method == "POST")
    status = 200
    if request.method == "POST":
        # The same form sent again (double click, resent after a timeout): answer with its post.
        existing = services.post_for_request(current_user, form.request_key.data)
        if existing is not None:
            return _posted(existing, ortsteil, twin=True)
    if form.validate_on_submit():
        attachments, status = _store_files(form, _chosen_files(form), 0)
        if status == 200:
            post = services.create_post(current_user, ortsteil, title=form.title.data, body=form.body.data,
                                        category=Category(form.category.data),
                                        visible_until=form.visible_until.data, attachments=attachments,
                                        request_key=form.request_key.data)
            db.session.commit()
            return _posted(post, ortsteil, twin=duplicates.is_twin(post))
    elif form.is_submitted():
        status = 422
        _files_lost_hint(form, _chosen_files(form))
    return render("board/post_form.html", "board/_post_form.html", status=status, form=form, ortsteil=ortsteil,
                  premoderated=_premoderated(ortsteil))


def _premoderated(ortsteil: Ortsteil) -> bool:
    """Does a new post of the current user wait for the Moderation? (The same rule as create_post.)"""
    return queries.settings_for(ortsteil).premoderation and not is_moderator(current_user)


def _posted(post: Post, ortsteil: Ortsteil, twin: bool = False):
    """After "Beitrag veröffentlichen": htmx gets a fresh empty form and ``post-created`` (board.js
    closes the composer, the list reloads and the new post takes the focus); a plain form goes to
    the board at the new post. ``twin``: the form had been sent before; this is the post it created."""
    if twin:
        message = "Dieser Beitrag war schon gespeichert (das Formular wurde zweimal abgeschickt)."
    elif post.status == PostStatus.PENDING:
        message = "Danke! Dein Beitrag wartet auf die Freigabe durch die Moderation."
    else:
        message = "Dein Beitrag ist auf der Pinnwand."
    if wants_fragment():
        return render("board/post_form.html", "board/_post_form.html", form=_new_post_form(), ortsteil=ortsteil,
                      premoderated=_premoderated(ortsteil), created=message,
                      trigger={"post-created": post.id, "announce": message})
    flash(message, "success")
    return redirect(url_for("board.ortsteil", slug=ortsteil.slug, _anchor=f"post-{post.id}"), code=303)


@bp.get("/posts/<int:post_id>")
def post_detail(post_id: int):
    post = post_or_404(post_id, with_comments=True)
    return render_template("board/post_detail.html", post=post, detail=True, thanked=thanked(post),
                           comment_form=CommentForm(formdata=None))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def post_edit(post_id: int):
    post = post_or_404(post_id)
    if not post.can_edit(current_user):
        abort(403, description="Nur wer den Beitrag geschrieben hat, kann ihn bearbeiten.")
    form = PostForm(obj=post if request.method == "GET" else None)
    form.remove_attachments.choices = choices((a.id, a.original_name) for a in post.attachments)
    if request.method == "GET":
        form.category.data = post.category.value
    status = 200
    if form.validate_on_submit():
        remove = set(form.remove_attachments.data or [])
        keep = len([a for a in post.attachments if a.id not in remove])
        files = _chosen_files(form)
        attachments, status = _store_files(form, files, keep)
        if status == 200:
            try:
                back_to_queue = services.update_post(
                    post, current_user, title=form.title.data, body=form.body.data,
                    category=Category(form.category.data), visible_until=form.visible_until.data,
                    remove_ids=remove, new_attachments=attachments, version=form.version.data)
                db.session.commit()
            except Conflict as e:
                # Someone changed the post since the form was loaded: keep what was typed, show why.
                db.session.rollback()  # also removes the files stored for this attempt
                post = post_or_404(post_id)
                form.remove_attachments.choices = choices((a.id, a.original_name) for a in post.attachments)
                # Saving again (after a look at the current post) applies the edit to the current version.
                form.version.data, form.version.raw_data = post.version, [str(post.version)]
                _files_lost_hint(form, files)
                return render_template("board/post_edit.html", form=form, post=post, conflict=e.message), 409
            flash("Änderungen gespeichert. Der Beitrag wartet wieder auf die Freigabe durch die Moderation."
                  if back_to_queue else "Änderungen gespeichert.", "success")
            return redirect(url_for("board.post_detail", post_id=post.id), code=303)
    elif form.is_submitted():
        status = 422
        _files_lost_hint(form, _chosen_files(form))
    return render_template("board/post_edit.html", form=form, post=post), status


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def post_delete(post_id: int):
    post = post_or_404(post_id)
    if not post.can_delete(current_user):
        abort(403, description="Nur wer den Beitrag geschrieben hat oder die Moderation kann ihn löschen.")
    as_moderator = not post.is_author(current_user)
    form = ReasonForm()
    if request.method == "POST" and (not as_moderator or form.validate_on_submit()):
        board = post.ortsteil.slug
        services.delete_post(post, current_user, reason=form.reason.data or "")
        db.session.commit()
        flash("Der Beitrag ist gelöscht.", "success")
        return redirect_after_post(url_for("board.ortsteil", slug=board))
    status = 422 if request.method == "POST" else 200
    return render_template("board/post_delete.html", post=post, form=form, as_moderator=as_moderator), status


# --- conversation ----------------------------------------------------------------------------------

@bp.post("/posts/<int:post_id>/comments")
def comment_new(post_id: int):
    post = post_or_404(post_id, with_comments=True)
    form = CommentForm()
    if form.validate_on_submit():
        comment = services.add_comment(post, current_user, form.body.data)
        db.session.commit()
        if not wants_fragment():
            return redirect(url_for("board.post_detail", post_id=post.id, _anchor=f"comment-{comment.id}"), code=303)
        return comments_response(post.id, "Dein Kommentar ist veröffentlicht.", "comment-created")
    if not post.can_interact(current_user):
        raise Conflict(services.NOT_PUBLISHED)
    return render("board/post_detail.html", "board/_comments.html", status=422, post=post, detail=True,
                  thanked=thanked(post), comment_form=form)


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def comment_edit(comment_id: int):
    """The author corrects a comment within ``COMMENT_EDIT_MINUTES`` after writing it."""
    comment = comment_or_404(comment_id)
    if not comment.is_author(current_user):
        abort(403, description="Nur wer den Kommentar geschrieben hat, kann ihn bearbeiten.")
    form = CommentForm(obj=comment if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            services.edit_comment(comment, current_user, form.body.data)
        except Conflict as e:
            db.session.rollback()
            return render_template("board/comment_edit.html", form=form, comment=comment, closed=e.message), 409
        db.session.commit()
        flash("Dein Kommentar ist geändert.", "success")
        return redirect(url_for("board.post_detail", post_id=comment.post_id, _anchor=f"comment-{comment.id}"), code=303)
    if form.is_submitted():
        status = 422
    closed = None if comment.can_edit(current_user) else (
        f"Einen Kommentar kann man nur in den ersten {current_app.config['COMMENT_EDIT_MINUTES']} Minuten bearbeiten.")
    return render_template("board/comment_edit.html", form=form, comment=comment, closed=closed), status


@bp.post("/comments/<int:comment_id>/delete")
def comment_delete(comment_id: int):
    comment = comment_or_404(comment_id)
    post_id = comment.post_id
    services.delete_comment(comment, current_user, reason=request.form.get("reason", ""))
    db.session.commit()
    return comments_response(post_id, "Der Kommentar ist gelöscht.", "comment-deleted")


@bp.post("/posts/<int:post_id>/thanks")
def thanks(post_id: int):
    post = post_or_404(post_id)
    want = request.form.get("danke")
    given = services.toggle_thanks(post, current_user, {"ja": True, "nein": False}.get(want))
    db.session.commit()
    message = "Danke gesagt." if given else "Danke zurückgenommen."
    if not wants_fragment():
        return redirect(safe_next(url_for("board.post_detail", post_id=post.id)), code=303)
    return render("board/post_detail.html", "board/_thanks.html", post=post, thanked=given,
                  count=queries.thanks_count(post.id), trigger={"announce": message})


def _report(post: Post | None, comment: Comment | None):
    target = post or comment.post
    if not (comment.can_report(current_user) if comment else post.can_report(current_user)):
        abort(403, description="Das kannst du nicht melden.")
    form = ReasonForm()
    if form.validate_on_submit():
        services.report(current_user, form.reason.data, post=post, comment=comment)
        db.session.commit()
        flash("Danke für deine Meldung. Die Moderation sieht sich das an.", "success")
        return redirect_after_post(url_for("board.post_detail", post_id=target.id))
    status = 422 if form.is_submitted() else 200
    return render_template("board/report.html", form=form, post=target, comment=comment), status


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
def post_report(post_id: int):
    return _report(post_or_404(post_id), None)


@bp.route("/comments/<int:comment_id>/report", methods=["GET", "POST"])
def comment_report(comment_id: int):
    comment = comment_or_404(comment_id)
    if not comment.can_view_text(current_user):
        abort(404)
    return _report(None, comment)


# --- files -----------------------------------------------------------------------------------------

def _attachment(attachment_id: int) -> Attachment:
    attachment = db.get_or_404(Attachment, attachment_id)
    if not attachment.post.can_view(current_user):
        abort(404)
    return attachment


@bp.get("/files/<int:attachment_id>")
def attachment(attachment_id: int):
    a = _attachment(attachment_id)
    return send_upload(a.storage_name, a.original_name, a.content_type, inline=a.is_image)


@bp.get("/files/<int:attachment_id>/thumb")
def thumbnail(attachment_id: int):
    a = _attachment(attachment_id)
    if not a.thumb_name:
        abort(404)
    return send_upload(a.thumb_name, a.original_name.rsplit(".", 1)[0] + ".webp", "image/webp", inline=True)


# The moderation routes live on the same blueprint.
from portal.board import moderation_views  # noqa: E402,F401
