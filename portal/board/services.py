"""Pinnwand operations: every change a user makes is one function here.

Each operation checks the permission through the model's ``can_*`` rule (``NotAllowed``), changes
state, records the moderation log where the Moderation acted, flushes and sends its domain event
from ``portal.signals``. Operations never commit: the view commits once. A stale version raises
``Conflict``. Files of removed attachments are deleted only after the commit
(``uploads.remove_after_commit``); new files are removed again if the transaction rolls back.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm.exc import StaleDataError

from portal import duplicates, signals
from portal.board import images
from portal.board.models import (ATTACHMENT_MAX_BYTES, Attachment, BoardSettings, Category, Comment,
                                 ModerationAction, ModerationLogEntry, Post, PostStatus, Reaction, Report,
                                 can_change_settings, can_post_in, is_moderator)
from portal.board.queries import queue_size, settings_for
from portal.errors import Conflict, NotAllowed
from portal.extensions import db, utcnow
from portal.org.models import Ortsteil
from portal.search import fold
from portal.text import render_markdown
from portal.uploads import IMAGES, UploadError, delete_upload, discard_on_rollback, remove_after_commit, save_upload

ATTACHMENT_TYPES = {"jpg", "jpeg", "png", "webp", "pdf"}
UPLOAD_SUBDIR = "board"

STALE = "Inzwischen hat jemand anderes diesen Beitrag geändert. Du siehst jetzt den aktuellen Stand."
NOT_YOURS = "Du kannst nur in deinen eigenen Ortsteilen Beiträge schreiben."
NOT_PUBLISHED = "Dieser Beitrag ist nicht veröffentlicht; Kommentare und Danke sind erst danach möglich."
MODERATION_ONLY = "Das darf nur die Moderation."


def _flush() -> None:
    """Flush; the version column turns a lost race into ``Conflict``."""
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(STALE) from None


def _check_version(post: Post, version: int | None) -> None:
    if version is not None and version != post.version:
        raise Conflict(STALE)


# --- settings ------------------------------------------------------------------------------------

def set_premoderation(ortsteil: Ortsteil, on: bool, moderator) -> bool:
    """Switch "Beiträge vor Veröffentlichung prüfen"; returns False when nothing changed.

    Sends no domain event (none is declared for board settings); the moderation log records it.
    """
    if not can_change_settings(moderator):
        raise NotAllowed(MODERATION_ONLY)
    settings = db.session.get(BoardSettings, ortsteil.id)
    if settings is None:
        settings = BoardSettings(ortsteil_id=ortsteil.id, premoderation=False)
        db.session.add(settings)
    if bool(settings.premoderation) == on:
        return False
    settings.premoderation = on
    settings.updated_by_id = moderator.id
    settings.updated_at = utcnow()
    log(moderator, ModerationAction.PREMODERATION_ON if on else ModerationAction.PREMODERATION_OFF,
        ortsteil_id=ortsteil.id, subject=ortsteil.name)
    db.session.flush()
    return True


# --- posts ---------------------------------------------------------------------------------------

def render_body(post: Post) -> None:
    """Keep the sanitised HTML and the folded search text of a post (``portal.search.fold``)."""
    post.body_html = str(render_markdown(post.body))
    post.search_text = fold(f"{post.title}\n{post.body}")


def store_attachment(file, position: int) -> Attachment:
    """Check and store one upload; images are re-encoded without metadata and get a thumbnail.

    The files are removed again if the transaction rolls back (``discard_on_rollback``).
    """
    stored = save_upload(file, UPLOAD_SUBDIR, ATTACHMENT_TYPES, ATTACHMENT_MAX_BYTES)
    attachment = Attachment(storage_name=stored.storage_name, original_name=stored.original_name,
                            content_type=stored.content_type, size=stored.size, position=position)
    if stored.storage_name.rsplit(".", 1)[-1] in IMAGES:
        try:
            result = images.process(stored.storage_name)
        except images.ImageProblem as e:
            delete_upload(stored.storage_name)
            raise UploadError(f"„{stored.original_name}“: {e}") from None
        discard_on_rollback(result.thumb_name)
        attachment.thumb_name = result.thumb_name
        attachment.size = result.size
        attachment.width, attachment.height = result.width, result.height
    return attachment


def forget_files(attachment: Attachment) -> None:
    """Delete the files of an attachment that no row refers to (refused before any commit)."""
    delete_upload(attachment.storage_name)
    if attachment.thumb_name:
        delete_upload(attachment.thumb_name)


def _remove_files_after_commit(attachment: Attachment) -> None:
    remove_after_commit(attachment.storage_name)
    if attachment.thumb_name:
        remove_after_commit(attachment.thumb_name)


def post_for_request(user, request_key: str | None) -> Post | None:
    """The post this user already created with the form ``request_key`` (a form sent twice)."""
    if not request_key:
        return None
    return db.session.scalar(select(Post).where(Post.author_id == user.id, Post.request_key == request_key))


def create_post(user, ortsteil: Ortsteil, *, title: str, body: str, category: Category,
                visible_until: date | None, attachments: list[Attachment], request_key: str | None = None) -> Post:
    """A new post; in a pre-moderated Ortsteil it waits for approval. Sends ``post_created``.

    ``request_key`` is the random key of the form: the same form sent again (double click) cannot
    create a second post (unique per author; the view answers with the first one).
    """
    if not can_post_in(user, ortsteil):
        raise NotAllowed(NOT_YOURS)
    duplicates.one_at_a_time(user)
    if request_key:
        twin = post_for_request(user, request_key)
    else:  # a form without its key (sent by a script): the same text shortly after counts as the same
        twin = db.session.scalar(select(Post).where(
            Post.author_id == user.id, Post.ortsteil_id == ortsteil.id, Post.title == title.strip(),
            Post.body == body.strip(), Post.created_at >= duplicates.since()).order_by(Post.id.desc()).limit(1))
    if twin is not None:  # the same form sent twice: answer with the post the first one created
        for a in attachments:
            forget_files(a)
        duplicates.answered_with_twin(twin)
        return twin
    held = settings_for(ortsteil).premoderation and not is_moderator(user)
    post = Post(ortsteil=ortsteil, author_id=user.id, title=title.strip(), body=body.strip(), category=category,
                visible_until=visible_until, status=PostStatus.PENDING if held else PostStatus.PUBLISHED,
                request_key=request_key or None)
    post.author = user
    render_body(post)
    for a in attachments:
        post.attachments.append(a)
    db.session.add(post)
    db.session.flush()
    signals.post_created.send(post, actor=user)
    return post


def update_post(post: Post, user, *, title: str, body: str, category: Category, visible_until: date | None,
                remove_ids: Iterable[int], new_attachments: list[Attachment], version: int | None = None) -> bool:
    """Apply the author's edit; returns True when the post went back to the queue for approval.

    ``version`` is the one the form was loaded with: a post changed since then raises ``Conflict``.
    Sends ``post_updated``.
    """
    if not post.can_edit(user):
        raise NotAllowed("Nur wer den Beitrag geschrieben hat, kann ihn bearbeiten.")
    _check_version(post, version)
    post.title, post.body, post.category, post.visible_until = title.strip(), body.strip(), category, visible_until
    render_body(post)
    remove = set(remove_ids)
    for a in [a for a in post.attachments if a.id in remove]:
        _remove_files_after_commit(a)
        post.attachments.remove(a)
    start = max((a.position for a in post.attachments), default=-1) + 1
    for i, a in enumerate(new_attachments):
        a.position = start + i
        post.attachments.append(a)
    post.edited_at = utcnow()
    # In a pre-moderated Ortsteil a changed post is checked again (else editing would bypass it).
    back_to_queue = (post.status == PostStatus.PUBLISHED and settings_for(post.ortsteil).premoderation
                     and not is_moderator(user))
    if back_to_queue:
        post.status = PostStatus.PENDING
    _flush()
    signals.post_updated.send(post, actor=user)
    return back_to_queue


def delete_post(post: Post, user, reason: str = "") -> None:
    """Delete a post with its comments and files (the files after the commit). Sends ``post_deleted``.

    The Moderation deleting someone else's post is logged with its reason.
    """
    if not post.can_delete(user):
        raise NotAllowed("Nur wer den Beitrag geschrieben hat oder die Moderation kann ihn löschen.")
    if not post.is_author(user):
        log(user, ModerationAction.DELETED, post=post, reason=reason)
    for a in post.attachments:
        _remove_files_after_commit(a)
    db.session.delete(post)
    _flush()
    signals.post_deleted.send(post, actor=user)


# --- conversation ----------------------------------------------------------------------------------

def _require_interaction(post: Post, user) -> None:
    if not post.can_view(user):
        raise NotAllowed()
    if not post.can_interact(user):
        raise Conflict(NOT_PUBLISHED)


def add_comment(post: Post, user, body: str) -> Comment:
    """Sends ``comment_added``."""
    _require_interaction(post, user)
    comment = Comment(post=post, author_id=user.id, body=body.strip())
    comment.author = user
    db.session.add(comment)
    db.session.flush()
    signals.comment_added.send(comment, actor=user)
    return comment


def edit_comment(comment: Comment, user, body: str, now=None) -> None:
    """The author corrects a comment within the edit window; marked "bearbeitet". Sends ``comment_edited``."""
    if not comment.is_author(user):
        raise NotAllowed("Nur wer den Kommentar geschrieben hat, kann ihn bearbeiten.")
    if not comment.can_edit(user, now):
        raise Conflict("Einen Kommentar kann man nur in den ersten "
                       f"{current_app.config['COMMENT_EDIT_MINUTES']} Minuten bearbeiten.")
    comment.body = body.strip()
    comment.edited_at = now or utcnow()
    db.session.flush()
    signals.comment_edited.send(comment, actor=user)


def toggle_thanks(post: Post, user, give: bool | None = None) -> bool:
    """Say "Danke" (``give`` True) or take it back (False); None toggles. Returns whether the user
    now thanks the post. The button says which it means, so a double click or two parallel requests
    give one "Danke", not a 500 or a "Danke" taken back at once. Sends ``thanks_toggled`` on a change."""
    _require_interaction(post, user)
    key = (post.id, user.id)
    existing = db.session.get(Reaction, key)
    if give is None:
        give = existing is None
    if give and existing is None:
        _, changed = duplicates.add_once(Reaction(post_id=post.id, user_id=user.id),
                                         lambda: db.session.get(Reaction, key, populate_existing=True))
    elif not give and existing is not None:
        db.session.expunge(existing)
        changed = db.session.execute(delete(Reaction).where(
            Reaction.post_id == post.id, Reaction.user_id == user.id)).rowcount == 1
    else:
        changed = False
    db.session.flush()
    if changed:
        signals.thanks_toggled.send(post, actor=user, given=give)
    return give


def report(user, reason: str, post: Post | None = None, comment: Comment | None = None) -> Report:
    """File a report; a second open report by the same person only updates the reason. Sends ``report_filed``."""
    if not (comment.can_report(user) if comment else post.can_report(user)):
        raise NotAllowed("Diesen Beitrag kannst du nicht melden.")
    stmt = select(Report).where(Report.reporter_id == user.id, Report.resolved_at.is_(None))
    stmt = stmt.where(Report.comment_id == comment.id) if comment else stmt.where(
        Report.post_id == post.id, Report.comment_id.is_(None))
    item = db.session.scalar(stmt)
    if item:
        item.reason = reason.strip()
    else:
        item = Report(post_id=(comment.post_id if comment else post.id), comment_id=comment.id if comment else None,
                      reporter_id=user.id, reason=reason.strip())
        db.session.add(item)
    db.session.flush()
    signals.report_filed.send(item, actor=user)
    return item


def delete_comment(comment: Comment, user, reason: str = "") -> None:
    """The author or the Moderation (logged) deletes a comment. Sends ``comment_moderated`` (deleted)."""
    if not comment.can_delete(user):
        raise NotAllowed("Nur wer den Kommentar geschrieben hat oder die Moderation kann ihn löschen.")
    if not comment.is_author(user):
        log(user, ModerationAction.COMMENT_DELETED, comment=comment, reason=reason)
    db.session.delete(comment)
    db.session.flush()
    signals.comment_moderated.send(comment, actor=user, action="deleted")


# --- moderation ------------------------------------------------------------------------------------

def log(moderator, action: ModerationAction, *, post: Post | None = None, comment: Comment | None = None,
        ortsteil_id: int | None = None, subject: str = "", reason: str = "") -> ModerationLogEntry:
    """Record a decision of the Moderation (who, what, when, why)."""
    if post is None and comment is not None:
        post = comment.post
    entry = ModerationLogEntry(
        moderator_id=moderator.id, action=action, reason=reason.strip(),
        post_id=post.id if post else None, comment_id=comment.id if comment else None,
        ortsteil_id=ortsteil_id or (post.ortsteil_id if post else None),
        subject=(subject or (f"Kommentar: {comment.body}" if comment else post.title if post else ""))[:200],
    )
    db.session.add(entry)
    return entry


def _moderate(post: Post, moderator, version: int | None, allowed: set[PostStatus], logged: ModerationAction,
              reason: str = "", change=None) -> None:
    """The common steps of a moderation decision on a post: rule, version, state, log, flush."""
    if not post.can_moderate(moderator):
        raise NotAllowed(MODERATION_ONLY)
    _check_version(post, version)
    if post.status not in allowed:
        raise Conflict(STALE)
    change()
    post.moderated_at, post.moderated_by_id = utcnow(), moderator.id
    # The version column guards the UPDATE: of two moderators acting at once only the first counts.
    _flush()
    if logged in (ModerationAction.APPROVED, ModerationAction.HIDDEN, ModerationAction.RESTORED):
        resolve_reports(moderator, post=post)
    log(moderator, logged, post=post, reason=reason)
    db.session.flush()


def approve_post(post: Post, moderator, version: int | None) -> None:
    """A waiting post is published. Sends ``post_approved``."""
    def change():
        post.status = PostStatus.PUBLISHED
    _moderate(post, moderator, version, {PostStatus.PENDING}, ModerationAction.APPROVED, change=change)
    signals.post_approved.send(post, actor=moderator)


def hide_post(post: Post, moderator, version: int | None, reason: str) -> None:
    """Hide a published or waiting post with a reason the author reads. Sends ``post_hidden``."""
    def change():
        post.status, post.hidden_reason, post.pinned = PostStatus.HIDDEN, reason.strip(), False
    _moderate(post, moderator, version, {PostStatus.PUBLISHED, PostStatus.PENDING}, ModerationAction.HIDDEN,
              reason=reason, change=change)
    signals.post_hidden.send(post, actor=moderator, reason=reason.strip())


def restore_post(post: Post, moderator, version: int | None) -> None:
    """A hidden post is visible again. Sends ``post_restored``."""
    def change():
        post.status, post.hidden_reason = PostStatus.PUBLISHED, None
    _moderate(post, moderator, version, {PostStatus.HIDDEN}, ModerationAction.RESTORED, change=change)
    signals.post_restored.send(post, actor=moderator)


def pin_post(post: Post, moderator, version: int | None, pinned: bool) -> None:
    """Pin a published post to the top of its board, or unpin it. Sends ``post_pinned``."""
    if post.can_moderate(moderator) and post.pinned == pinned:
        raise Conflict(STALE)

    def change():
        post.pinned = pinned
    _moderate(post, moderator, version, {PostStatus.PUBLISHED},
              ModerationAction.PINNED if pinned else ModerationAction.UNPINNED, change=change)
    signals.post_pinned.send(post, actor=moderator, pinned=pinned)


def hide_comment(comment: Comment, moderator, reason: str) -> None:
    """Sends ``comment_moderated`` (hidden); ``Conflict`` if it already is."""
    if not comment.can_moderate(moderator):
        raise NotAllowed(MODERATION_ONLY)
    if comment.hidden:
        raise Conflict("Der Kommentar war schon ausgeblendet.")
    comment.hidden, comment.hidden_reason = True, reason.strip()
    resolve_reports(moderator, comment=comment)
    log(moderator, ModerationAction.COMMENT_HIDDEN, comment=comment, reason=reason)
    db.session.flush()
    signals.comment_moderated.send(comment, actor=moderator, action="hidden")


def restore_comment(comment: Comment, moderator) -> None:
    """Sends ``comment_moderated`` (restored); ``Conflict`` if it is visible already."""
    if not comment.can_moderate(moderator):
        raise NotAllowed(MODERATION_ONLY)
    if not comment.hidden:
        raise Conflict("Der Kommentar war schon sichtbar.")
    comment.hidden, comment.hidden_reason = False, None
    log(moderator, ModerationAction.COMMENT_RESTORED, comment=comment)
    db.session.flush()
    signals.comment_moderated.send(comment, actor=moderator, action="restored")


def resolve_reports(moderator, post: Post | None = None, comment: Comment | None = None) -> None:
    stmt = update(Report).where(Report.resolved_at.is_(None)).values(resolved_at=utcnow(),
                                                                     resolved_by_id=moderator.id)
    stmt = stmt.where(Report.comment_id == comment.id) if comment else stmt.where(
        Report.post_id == post.id, Report.comment_id.is_(None))
    db.session.execute(stmt.execution_options(synchronize_session=False))


def dismiss_report(item: Report, moderator, note: str = "") -> None:
    """"Kein Verstoß": the report leaves the queue, logged. (No domain event is declared for it.)"""
    if not item.can_resolve(moderator):
        raise NotAllowed(MODERATION_ONLY)
    if item.resolved_at is not None:
        raise Conflict("Diese Meldung hat schon jemand erledigt.")
    item.resolved_at, item.resolved_by_id = utcnow(), moderator.id
    log(moderator, ModerationAction.REPORT_DISMISSED, post=item.post, comment=item.comment,
        reason=note or f"Meldung: {item.reason}")
    db.session.flush()


# --- for other parts of the portal (connected in create_app) -----------------------------------------

def moderation_badge(user) -> int:
    """Nav badge: waiting posts and open reports, for Moderation and Administration only."""
    return queue_size() if is_moderator(user) else 0


def personal_data(user) -> dict:
    """Everything on the pinboard the user wrote or did, for the DSGVO export: posts, comments,
    "Danke", reports and (for Moderation) moderation steps."""
    posts = db.session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id)).all()
    comments = db.session.scalars(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id)).all()
    thanks = db.session.execute(select(Post.title, Reaction.created_at).join(Reaction, Reaction.post_id == Post.id)
                                .where(Reaction.user_id == user.id).order_by(Reaction.created_at)).all()
    reports = db.session.scalars(select(Report).where(Report.reporter_id == user.id).order_by(Report.id)).all()
    steps = db.session.scalars(select(ModerationLogEntry).where(ModerationLogEntry.moderator_id == user.id)
                               .order_by(ModerationLogEntry.id)).all()
    return {
        "beitraege": [{"titel": p.title, "text": p.body, "erstellt": p.created_at.isoformat()} for p in posts],
        "kommentare": [{"text": c.body, "erstellt": c.created_at.isoformat()} for c in comments],
        "danke": [{"beitrag": title, "am": at.isoformat()} for title, at in thanks],
        "meldungen": [{"grund": r.reason, "erstellt": r.created_at.isoformat()} for r in reports],
        "moderation": [{"schritt": e.action.value, "betreff": e.subject, "grund": e.reason,
                        "am": e.created_at.isoformat()} for e in steps],
    }
