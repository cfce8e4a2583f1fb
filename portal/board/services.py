"""Pinnwand logic shared by views and demo data: list queries (keyset), posting with
attachments, reactions, reports and moderation transitions (each logged)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Iterable

from sqlalchemy import Date, Integer, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased, defer, joinedload, lazyload, load_only, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from portal.board import images
from portal.board.models import (ATTACHMENT_MAX_BYTES, Attachment, BoardSettings, Category, Comment,
                                 ModerationAction, ModerationLogEntry, Post, PostStatus, Reaction, Report,
                                 is_moderator, today)
from portal.auth.models import Role, User
from portal.extensions import db, utcnow
from portal.org.models import Ortsteil
from portal.text import render_markdown
from portal.uploads import IMAGES, UploadError, delete_upload, save_upload

ATTACHMENT_TYPES = {"jpg", "jpeg", "png", "webp", "pdf"}
UPLOAD_SUBDIR = "board"
PAGE_SIZE = 20


# --- settings ------------------------------------------------------------------------------------

def settings_for(ortsteil: Ortsteil) -> BoardSettings:
    return db.session.get(BoardSettings, ortsteil.id) or BoardSettings(ortsteil_id=ortsteil.id, premoderation=False)


def premoderated_ortsteil_ids() -> set[int]:
    return set(db.session.scalars(select(BoardSettings.ortsteil_id).where(BoardSettings.premoderation.is_(True))))


def set_premoderation(ortsteil: Ortsteil, on: bool, moderator) -> bool:
    """Switch "Beiträge vor Veröffentlichung prüfen"; returns False when nothing changed."""
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
    return True


# --- lists ---------------------------------------------------------------------------------------

@dataclass
class PostFilter:
    """What a board list shows; also builds the query string of its links."""

    ortsteil: Ortsteil | None = None
    category: Category | None = None
    q: str = ""
    archive: bool = False

    def args(self, **extra) -> dict:
        args = {}
        if self.category:
            args["kategorie"] = self.category.value
        if self.q:
            args["q"] = self.q
        if self.archive:
            args["archiv"] = "1"
        args.update({k: v for k, v in extra.items() if v is not None})
        return args

    @property
    def active(self) -> bool:
        return bool(self.category or self.q)


@dataclass
class PostPage:
    posts: list[Post]
    #: Cursor for "Mehr laden" ("<pinned>-<id>" of the last post), None on the last page.
    next_cursor: str | None
    thanked: set[int] = field(default_factory=set)
    #: Highest post id in the list's scope when it was loaded (for "neue Beiträge").
    newest_id: int = 0


def encode_cursor(post: Post) -> str:
    return f"{int(post.pinned)}-{post.id}"


def decode_cursor(raw: str | None) -> tuple[int, int] | None:
    try:
        pinned, post_id = (int(x) for x in (raw or "").split("-", 1))
    except ValueError:
        return None
    return (1 if pinned else 0, post_id)


def _like_pattern(text: str) -> str:
    """``%text%`` for LIKE … ESCAPE '/', the wildcards in ``text`` taken literally."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _scope(f: PostFilter, user) -> tuple[tuple, dict]:
    """The shape of a list's conditions (the key of its cached statements) and their parameters."""
    moderator = is_moderator(user)
    params = {"today": today()}
    if not moderator:
        params["user_id"] = user.id
    if f.ortsteil is not None:
        params["ortsteil_id"] = f.ortsteil.id
    if f.category is not None:
        params["category"] = f.category
    if f.q:
        params["q"] = _like_pattern(f.q.casefold())
    shape = (moderator, f.ortsteil is not None, f.category is not None, bool(f.q), f.archive)
    return shape, params


def _scope_conditions(moderator: bool, ortsteil: bool, category: bool, search: bool, archive: bool) -> list:
    """What a list shows, with the values as bound parameters (see ``_scope``).

    Published posts; authors also see their own waiting or hidden posts; Moderation sees all.
    """
    conditions = []
    if not moderator:
        conditions.append(or_(Post.status == PostStatus.PUBLISHED, Post.author_id == bindparam("user_id")))
    if ortsteil:
        conditions.append(Post.ortsteil_id == bindparam("ortsteil_id"))
    if category:
        conditions.append(Post.category == bindparam("category"))
    if search:
        conditions.append(Post.search_text.like(bindparam("q"), escape="/"))
    if archive:
        conditions.append(Post.visible_until < bindparam("today"))
    else:
        conditions.append(or_(Post.visible_until.is_(None), Post.visible_until >= bindparam("today")))
    return conditions


@cache
def _list_statement(shape: tuple, keyset: int | None, limit: int):
    """One page of a list, built once per shape: pinned first, then newest (keyset on pinned, id).

    ``keyset`` is None on the first page, else whether the last post shown was pinned. The page also
    says which posts the user thanked (``thanked``), so that needs no query of its own.
    """
    thanked = exists().where(Reaction.post_id == Post.id, Reaction.user_id == bindparam("viewer_id")).label("thanked")
    stmt = (
        select(Post, thanked).where(*_scope_conditions(*shape))
        # Cards show the sanitised HTML, not the Markdown source or the search text, and the author's
        # name only: not their roles (a selectin load of User) or login data. Attachments: _attach().
        .options(defer(Post.body), defer(Post.search_text), joinedload(Post.ortsteil),
                 joinedload(Post.author).load_only(User.display_name).lazyload(User.role_rows),
                 lazyload(Post.attachments))
        .order_by(Post.pinned.desc(), Post.id.desc())
        .limit(limit)
    )
    if keyset == 1:  # still among the pinned posts: the rest of them, then every unpinned one
        stmt = stmt.where(or_(Post.pinned.is_(False), and_(Post.pinned.is_(True), Post.id < bindparam("last_id"))))
    elif keyset == 0:
        stmt = stmt.where(Post.pinned.is_(False), Post.id < bindparam("last_id"))
    return stmt


_ATTACHMENTS = (select(Attachment).where(Attachment.post_id.in_(bindparam("post_ids", expanding=True)))
                .order_by(Attachment.post_id, Attachment.position))


def _attach(posts: list[Post]) -> None:
    """Load the attachments of many posts in one plain query (a selectin load costs twice as much)."""
    if not posts:
        return
    by_post: dict[int, list[Attachment]] = {p.id: [] for p in posts}
    for attachment in db.session.scalars(_ATTACHMENTS, {"post_ids": list(by_post)}):
        by_post[attachment.post_id].append(attachment)
    for post in posts:
        set_committed_value(post, "attachments", by_post[post.id])


def list_posts(f: PostFilter, user, cursor: str | None = None, limit: int = PAGE_SIZE) -> PostPage:
    """One page of a board: pinned first, then newest; a fixed number of queries."""
    shape, params = _scope(f, user)
    params["viewer_id"] = user.id
    key = decode_cursor(cursor)
    if key is not None:
        params["last_id"] = key[1]
    rows = db.session.execute(_list_statement(shape, None if key is None else key[0], limit + 1), params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    posts = [post for post, _ in rows]
    _attach(posts)
    newest_id = 0
    if key is None:
        # Pinned posts come first, so once an unpinned one is on the first page (or the page is all
        # there is) the newest post is on it; asking the database for max(id) would check every post.
        if more and all(p.pinned for p in posts):
            newest_id = newest_post_id(f, user)
        else:
            newest_id = max((p.id for p in posts), default=0)
    return PostPage(posts=posts, next_cursor=encode_cursor(posts[-1]) if more else None,
                    thanked={post.id for post, thanked in rows if thanked}, newest_id=newest_id)


@cache
def _newest_statement(shape: tuple):
    return select(func.max(Post.id)).where(*_scope_conditions(*shape))


def newest_post_id(f: PostFilter, user) -> int:
    shape, params = _scope(f, user)
    return db.session.scalar(_newest_statement(shape), params) or 0


@cache
def _count_new_statement(shape: tuple):
    return select(func.count(Post.id)).where(
        *_scope_conditions(*shape), Post.id > bindparam("after_id"),
        or_(Post.author_id.is_(None), Post.author_id != bindparam("viewer_id")))


def count_new_posts(f: PostFilter, user, after_id: int) -> int:
    """Posts others published since the list was loaded (the poller asks every 30 s)."""
    shape, params = _scope(f, user)
    return db.session.scalar(_count_new_statement(shape), {**params, "after_id": after_id, "viewer_id": user.id}) or 0


_THANKED = select(Reaction.post_id).where(Reaction.user_id == bindparam("user_id"),
                                          Reaction.post_id.in_(bindparam("post_ids", expanding=True)))


def thanked_by(user, posts: Iterable[Post]) -> set[int]:
    ids = [p.id for p in posts]
    if not ids:
        return set()
    return set(db.session.scalars(_THANKED, {"user_id": user.id, "post_ids": ids}))


#: The cards of the overview show title, category, date and state only: no text, author or counts.
OVERVIEW_COLUMNS = (Post.id, Post.ortsteil_id, Post.title, Post.category, Post.created_at, Post.pinned, Post.status,
                    Post.version)


@cache
def _overview_statement(moderator: bool, per_board: int):
    """The newest ``per_board`` posts of every board, as one statement built once per process.

    Every Ortsteil looks up its k-th newest visible post in its own index range (ortsteil_id, pinned,
    id) – a correlated scalar subquery per rank – and the post is then read by its primary key.
    Both SQLite and PostgreSQL run that as a few index steps per board, whatever the number of posts.
    (A correlated ``IN (… LIMIT n)`` would do in SQLite, but PostgreSQL evaluates it for every pair of
    Ortsteil and post: seconds at 100,000 posts.) The user and the day are bound parameters, so the
    compiled SQL comes from SQLAlchemy's cache.
    """
    def kth_newest(k: int):
        newest = aliased(Post, name=f"newest_{k}")
        conditions = [newest.ortsteil_id == Ortsteil.id,
                      or_(newest.visible_until.is_(None), newest.visible_until >= bindparam("today", type_=Date))]
        if not moderator:
            conditions.append(or_(newest.status == PostStatus.PUBLISHED,
                                  newest.author_id == bindparam("user_id", type_=Integer)))
        return (select(newest.id).where(*conditions).order_by(newest.pinned.desc(), newest.id.desc())
                .limit(1).offset(k).correlate(Ortsteil).scalar_subquery())

    return (
        select(Post).select_from(Ortsteil)
        .join(Post, Post.id.in_([kth_newest(k) for k in range(per_board)]))
        .options(load_only(*OVERVIEW_COLUMNS))
        .order_by(Post.pinned.desc(), Post.id.desc())
    )


def overview(user, per_board: int = 3) -> list[tuple[Ortsteil, list[Post]]]:
    """Every Ortsteil with its newest posts, in two queries that do not grow with the posts."""
    ortsteile = list(db.session.scalars(select(Ortsteil).options(joinedload(Ortsteil.sozialraum))
                                        .order_by(Ortsteil.name)))
    if not ortsteile:
        return []
    moderator = is_moderator(user)
    params = {"today": today()} if moderator else {"today": today(), "user_id": user.id}
    by_board: dict[int, list[Post]] = {o.id: [] for o in ortsteile}
    for post in db.session.scalars(_overview_statement(moderator, per_board), params):
        by_board[post.ortsteil_id].append(post)
    mine = {o.id for o in getattr(user, "ortsteile", [])}
    ortsteile.sort(key=lambda o: (o.id not in mine, o.name))
    return [(o, by_board[o.id]) for o in ortsteile]


def own_boards(user) -> list[Ortsteil]:
    """The boards a volunteer or Koordination writes in (Moderation writes everywhere)."""
    boards = {o.id: o for o in getattr(user, "ortsteile", [])} if user.has_role(Role.EHRENAMT) else {}
    if user.has_role(Role.KOORDINATION) and getattr(user, "sozialraum", None) is not None:
        boards.update({o.id: o for o in user.sozialraum.ortsteile})
    return sorted(boards.values(), key=lambda o: o.name)


@cache
def _unpublished_statement(limit: int):
    # The overview lists title, board, state and the Moderation's reason only.
    return (select(Post).where(Post.author_id == bindparam("user_id"), Post.status != PostStatus.PUBLISHED)
            .options(load_only(Post.id, Post.ortsteil_id, Post.title, Post.status, Post.hidden_reason, Post.version),
                     joinedload(Post.ortsteil))
            .order_by(Post.id.desc()).limit(limit))


def my_unpublished(user, limit: int = 10) -> list[Post]:
    """The user's own posts that others cannot see (waiting or hidden), so the author notices."""
    return list(db.session.scalars(_unpublished_statement(limit), {"user_id": user.id}))


# A post with its board and author, and its comments with their authors; the roles of authors (a
# selectin load of User each) are not shown. Attachments and comments load by plain queries.
_POST = (select(Post).where(Post.id == bindparam("post_id"))
         .options(joinedload(Post.ortsteil), joinedload(Post.author).lazyload(User.role_rows),
                  lazyload(Post.attachments), lazyload(Post.comments)))
_COMMENTS = (select(Comment).where(Comment.post_id == bindparam("post_id"))
             .options(joinedload(Comment.author).lazyload(User.role_rows)).order_by(Comment.id))


def get_post(post_id: int, with_comments: bool = False) -> Post | None:
    post = db.session.scalar(_POST, {"post_id": post_id})
    if post is not None:
        _attach([post])
        if with_comments:
            set_committed_value(post, "comments", list(db.session.scalars(_COMMENTS, {"post_id": post_id})))
    return post


# --- writing posts ---------------------------------------------------------------------------------

def render_body(post: Post) -> None:
    """Cache the sanitised HTML and the search text of a post."""
    post.body_html = str(render_markdown(post.body))
    post.search_text = f"{post.title}\n{post.body}".casefold()


def store_attachment(file, position: int) -> Attachment:
    """Check and store one upload; images are re-encoded without metadata and get a thumbnail."""
    stored = save_upload(file, UPLOAD_SUBDIR, ATTACHMENT_TYPES, ATTACHMENT_MAX_BYTES)
    attachment = Attachment(storage_name=stored.storage_name, original_name=stored.original_name,
                            content_type=stored.content_type, size=stored.size, position=position)
    if stored.storage_name.rsplit(".", 1)[-1] in IMAGES:
        try:
            result = images.process(stored.storage_name)
        except images.ImageProblem as e:
            delete_upload(stored.storage_name)
            raise UploadError(f"„{stored.original_name}“: {e}") from None
        attachment.thumb_name = result.thumb_name
        attachment.size = result.size
        attachment.width, attachment.height = result.width, result.height
    return attachment


def create_post(user, ortsteil: Ortsteil, *, title: str, body: str, category: Category,
                visible_until: date | None, attachments: list[Attachment]) -> Post:
    held = settings_for(ortsteil).premoderation and not is_moderator(user)
    post = Post(ortsteil=ortsteil, author_id=user.id, title=title.strip(), body=body.strip(), category=category,
                visible_until=visible_until, status=PostStatus.PENDING if held else PostStatus.PUBLISHED)
    post.author = user
    render_body(post)
    for a in attachments:
        post.attachments.append(a)
    db.session.add(post)
    return post


def update_post(post: Post, user, *, title: str, body: str, category: Category, visible_until: date | None,
                remove_ids: Iterable[int], new_attachments: list[Attachment]) -> bool:
    """Apply the author's edit; returns True when the post went back to the queue for approval."""
    post.title, post.body, post.category, post.visible_until = title.strip(), body.strip(), category, visible_until
    render_body(post)
    remove = set(remove_ids)
    for a in [a for a in post.attachments if a.id in remove]:
        discard_files(a)
        post.attachments.remove(a)
    start = max((a.position for a in post.attachments), default=-1) + 1
    for i, a in enumerate(new_attachments):
        a.position = start + i
        post.attachments.append(a)
    post.edited_at = utcnow()
    # In a pre-moderated Ortsteil a changed post is checked again (else editing would bypass it).
    if (post.status == PostStatus.PUBLISHED and settings_for(post.ortsteil).premoderation
            and not is_moderator(user)):
        post.status = PostStatus.PENDING
        return True
    return False


def discard_files(attachment: Attachment) -> None:
    delete_upload(attachment.storage_name)
    if attachment.thumb_name:
        delete_upload(attachment.thumb_name)


def delete_post(post: Post, user, reason: str = "") -> None:
    if not post.is_author(user):
        log(user, ModerationAction.DELETED, post=post, reason=reason)
    for a in post.attachments:
        discard_files(a)
    db.session.delete(post)


# --- conversation ----------------------------------------------------------------------------------

def add_comment(post: Post, user, body: str) -> Comment:
    comment = Comment(post=post, author_id=user.id, body=body.strip())
    comment.author = user
    db.session.add(comment)
    return comment


def toggle_thanks(post: Post, user) -> bool:
    """Say "Danke" or take it back; returns whether the user now thanks the post."""
    existing = db.session.get(Reaction, (post.id, user.id))
    if existing:
        db.session.delete(existing)
        return False
    db.session.add(Reaction(post_id=post.id, user_id=user.id))
    return True


def thanks_count(post_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Reaction.post_id == post_id)) or 0


def report(user, reason: str, post: Post | None = None, comment: Comment | None = None) -> Report:
    """File a report; a second open report by the same person only updates the reason."""
    stmt = select(Report).where(Report.reporter_id == user.id, Report.resolved_at.is_(None))
    stmt = stmt.where(Report.comment_id == comment.id) if comment else stmt.where(
        Report.post_id == post.id, Report.comment_id.is_(None))
    existing = db.session.scalar(stmt)
    if existing:
        existing.reason = reason.strip()
        return existing
    item = Report(post_id=(comment.post_id if comment else post.id), comment_id=comment.id if comment else None,
                  reporter_id=user.id, reason=reason.strip())
    db.session.add(item)
    return item


# --- moderation ------------------------------------------------------------------------------------

def log(moderator, action: ModerationAction, *, post: Post | None = None, comment: Comment | None = None,
        ortsteil_id: int | None = None, subject: str = "", reason: str = "") -> ModerationLogEntry:
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


class StaleState(Exception):
    """Someone else changed the post first (or the action no longer fits its state)."""


#: action -> (allowed from, resulting change)
POST_TRANSITIONS = {
    "approve": ({PostStatus.PENDING}, ModerationAction.APPROVED),
    "hide": ({PostStatus.PUBLISHED, PostStatus.PENDING}, ModerationAction.HIDDEN),
    "restore": ({PostStatus.HIDDEN}, ModerationAction.RESTORED),
    "pin": ({PostStatus.PUBLISHED}, ModerationAction.PINNED),
    "unpin": ({PostStatus.PUBLISHED}, ModerationAction.UNPINNED),
}


def moderate_post(post: Post, moderator, action: str, version: int | None, reason: str = "") -> None:
    """Apply a moderation action; raises StaleState when the post changed since the moderator saw it."""
    allowed, logged = POST_TRANSITIONS[action]
    if (version is not None and version != post.version) or post.status not in allowed:
        raise StaleState()
    if action == "pin" and post.pinned or action == "unpin" and not post.pinned:
        raise StaleState()
    if action == "approve":
        post.status = PostStatus.PUBLISHED
    elif action == "hide":
        post.status, post.hidden_reason, post.pinned = PostStatus.HIDDEN, reason.strip(), False
    elif action == "restore":
        post.status, post.hidden_reason = PostStatus.PUBLISHED, None
    elif action in ("pin", "unpin"):
        post.pinned = action == "pin"
    post.moderated_at, post.moderated_by_id = utcnow(), moderator.id
    try:
        # The version column guards the UPDATE: of two moderators acting at once only the first counts.
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise StaleState() from None
    if action in ("hide", "approve", "restore"):
        resolve_reports(moderator, post=post)
    log(moderator, logged, post=post, reason=reason)


def hide_comment(comment: Comment, moderator, reason: str) -> None:
    if comment.hidden:
        raise StaleState()
    comment.hidden, comment.hidden_reason = True, reason.strip()
    resolve_reports(moderator, comment=comment)
    log(moderator, ModerationAction.COMMENT_HIDDEN, comment=comment, reason=reason)


def restore_comment(comment: Comment, moderator) -> None:
    if not comment.hidden:
        raise StaleState()
    comment.hidden, comment.hidden_reason = False, None
    log(moderator, ModerationAction.COMMENT_RESTORED, comment=comment)


def delete_comment(comment: Comment, user, reason: str = "") -> None:
    if not comment.is_author(user):
        log(user, ModerationAction.COMMENT_DELETED, comment=comment, reason=reason)
    db.session.delete(comment)


def resolve_reports(moderator, post: Post | None = None, comment: Comment | None = None) -> None:
    stmt = update(Report).where(Report.resolved_at.is_(None)).values(resolved_at=utcnow(),
                                                                     resolved_by_id=moderator.id)
    stmt = stmt.where(Report.comment_id == comment.id) if comment else stmt.where(
        Report.post_id == post.id, Report.comment_id.is_(None))
    db.session.execute(stmt.execution_options(synchronize_session=False))


def dismiss_report(item: Report, moderator, note: str = "") -> None:
    if item.resolved_at is not None:
        raise StaleState()
    item.resolved_at, item.resolved_by_id = utcnow(), moderator.id
    log(moderator, ModerationAction.REPORT_DISMISSED, post=item.post, comment=item.comment,
        reason=note or f"Meldung: {item.reason}")


QUEUE_PAGE_SIZE = 50


@dataclass
class QueuePage:
    """One page of waiting posts or open reports, oldest first; ``next_after`` is the id to go on from."""

    items: list
    total: int
    next_after: int | None


def _queue_page(stmt, model, after: int | None, limit: int) -> tuple[list, int | None]:
    if after:
        stmt = stmt.where(model.id > after)
    items = list(db.session.scalars(stmt.order_by(model.id).limit(limit + 1)).unique())
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].id if more else None)


def pending_posts(after: int | None = None, limit: int = QUEUE_PAGE_SIZE) -> QueuePage:
    """Posts waiting for approval, oldest first (keyset pages)."""
    stmt = (select(Post).where(Post.status == PostStatus.PENDING)
            .options(joinedload(Post.ortsteil), joinedload(Post.author), selectinload(Post.attachments)))
    items, next_after = _queue_page(stmt, Post, after, limit)
    total = db.session.scalar(select(func.count(Post.id)).where(Post.status == PostStatus.PENDING)) or 0
    return QueuePage(items, total, next_after)


def open_reports(after: int | None = None, limit: int = QUEUE_PAGE_SIZE) -> QueuePage:
    """Open reports, oldest first (keyset pages)."""
    stmt = (select(Report).where(Report.resolved_at.is_(None))
            .options(joinedload(Report.post).joinedload(Post.ortsteil),
                     joinedload(Report.comment).joinedload(Comment.author), joinedload(Report.reporter)))
    items, next_after = _queue_page(stmt, Report, after, limit)
    total = db.session.scalar(select(func.count(Report.id)).where(Report.resolved_at.is_(None))) or 0
    return QueuePage(items, total, next_after)


def moderation_badge(user) -> int:
    """Nav badge: waiting posts and open reports, for Moderation and Administration only."""
    return queue_size() if is_moderator(user) else 0


def queue_size() -> int:
    pending = db.session.scalar(select(func.count(Post.id)).where(Post.status == PostStatus.PENDING)) or 0
    reports = db.session.scalar(select(func.count(Report.id)).where(Report.resolved_at.is_(None))) or 0
    return pending + reports


def moderation_log(before_id: int | None, limit: int = 50) -> tuple[list[ModerationLogEntry], int | None]:
    stmt = (select(ModerationLogEntry).options(joinedload(ModerationLogEntry.moderator),
                                               joinedload(ModerationLogEntry.ortsteil))
            .order_by(ModerationLogEntry.id.desc()).limit(limit + 1))
    if before_id:
        stmt = stmt.where(ModerationLogEntry.id < before_id)
    entries = list(db.session.scalars(stmt).unique())
    more = len(entries) > limit
    entries = entries[:limit]
    return entries, (entries[-1].id if more else None)


def personal_data(user) -> dict:
    """The user's posts and comments, for the DSGVO export."""
    posts = db.session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id)).all()
    comments = db.session.scalars(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id)).all()
    return {
        "beitraege": [{"titel": p.title, "text": p.body, "erstellt": p.created_at.isoformat()} for p in posts],
        "kommentare": [{"text": c.body, "erstellt": c.created_at.isoformat()} for c in comments],
    }
