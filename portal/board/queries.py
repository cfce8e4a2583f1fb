"""Pinnwand reads: the board lists, the overview, a post with its comments, the moderation queue
and log. Lists page with ``portal.paging`` (``?nach=<id>``) and search with ``portal.search``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased, defer, joinedload, lazyload, load_only, selectinload

from portal.auth.models import Role, User
from portal.board.models import (BoardSettings, Category, Comment, ModerationLogEntry, Post, PostStatus, Reaction,
                                 Report)
from portal.extensions import db
from portal.formatting import heute
from portal.org.models import Ortsteil
from portal.paging import Page, keyset_page
from portal.search import contains

#: Posts per load: ten full cards with photos fill a phone screen several times over; "Mehr laden"
#: brings the next ten (half the images and HTML of twenty on a mobile connection).
PAGE_SIZE = 10
QUEUE_PAGE_SIZE = 50
LOG_PAGE_SIZE = 50


# --- settings ------------------------------------------------------------------------------------

def settings_for(ortsteil: Ortsteil) -> BoardSettings:
    return db.session.get(BoardSettings, ortsteil.id) or BoardSettings(ortsteil_id=ortsteil.id, premoderation=False)


def premoderated_ortsteil_ids() -> set[int]:
    return set(db.session.scalars(select(BoardSettings.ortsteil_id).where(BoardSettings.premoderation.is_(True))))


# --- board lists ---------------------------------------------------------------------------------

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
    #: Id of the last post shown when more follow (the next page's ``nach``), else None.
    next_cursor: int | None
    thanked: set[int] = field(default_factory=set)
    #: Highest post id in the list's scope when it was loaded (for "neue Beiträge").
    newest_id: int = 0
    #: This page continues a list ("Zu den neuesten Beiträgen").
    continued: bool = False


def _conditions(f: PostFilter, user) -> list:
    """What a list shows: the posts the user may see (``Post.visible_to``), filtered."""
    conditions = [Post.visible_to(user)]
    if f.ortsteil is not None:
        conditions.append(Post.ortsteil_id == f.ortsteil.id)
    if f.category is not None:
        conditions.append(Post.category == f.category)
    if f.q:
        conditions.append(contains(Post.search_text, f.q, already_folded=True))
    if f.archive:
        conditions.append(Post.visible_until < heute())
    else:
        conditions.append(or_(Post.visible_until.is_(None), Post.visible_until >= heute()))
    return conditions


#: Pinned first, then newest.
LIST_ORDER = ((Post.pinned, "desc"), (Post.id, "desc"))


def list_posts(f: PostFilter, user, cursor: int | None = None, limit: int = PAGE_SIZE) -> PostPage:
    """One page of a board: pinned first, then newest; a fixed number of queries.

    The page also says which posts the user thanked (``thanked``), so that needs no query of its own.
    """
    thanked = exists().where(Reaction.post_id == Post.id, Reaction.user_id == user.id).label("thanked")
    stmt = (
        select(Post, thanked).where(*_conditions(f, user))
        # Cards show the sanitised HTML, not the Markdown source or the search text, and the author's
        # name only (not their roles).
        .options(defer(Post.body), defer(Post.search_text), joinedload(Post.ortsteil),
                 joinedload(Post.author).load_only(User.display_name).lazyload(User.role_rows),
                 selectinload(Post.attachments))
    )
    page = keyset_page(stmt, LIST_ORDER, cursor, limit, id_column=Post.id, rows=True)
    posts = [post for post, _ in page.items]
    newest_id = 0
    if not page.continued:
        # Pinned posts come first, so once an unpinned one is on the first page (or the page is all
        # there is) the newest post is on it; else ask the database.
        if page.next_cursor is not None and all(p.pinned for p in posts):
            newest_id = newest_post_id(f, user)
        else:
            newest_id = max((p.id for p in posts), default=0)
    return PostPage(posts=posts, next_cursor=page.next_cursor, thanked={p.id for p, t in page.items if t},
                    newest_id=newest_id, continued=page.continued)


def newest_post_id(f: PostFilter, user) -> int:
    return db.session.scalar(select(func.max(Post.id)).where(*_conditions(f, user))) or 0


def count_new_posts(f: PostFilter, user, after_id: int) -> int:
    """Posts others published since the list was loaded (the poller asks every 30 s)."""
    return db.session.scalar(select(func.count(Post.id)).where(
        *_conditions(f, user), Post.id > after_id,
        or_(Post.author_id.is_(None), Post.author_id != user.id))) or 0


def thanked_by(user, posts: Iterable[Post]) -> set[int]:
    ids = [p.id for p in posts]
    if not ids:
        return set()
    return set(db.session.scalars(select(Reaction.post_id).where(Reaction.user_id == user.id,
                                                                 Reaction.post_id.in_(ids))))


def thanks_count(post_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Reaction.post_id == post_id)) or 0


# --- overview ------------------------------------------------------------------------------------

#: The cards of the overview show title, category, date and state only: no text, author or counts.
OVERVIEW_COLUMNS = (Post.id, Post.ortsteil_id, Post.title, Post.category, Post.created_at, Post.pinned, Post.status,
                    Post.version)


def _kth_newest(k: int, viewer):
    """Id of the k-th post of an Ortsteil's own list (correlated to the outer Ortsteil).

    Every Ortsteil looks up its k-th newest visible post in its own index range (ortsteil_id, pinned,
    id), and the post is then read by its primary key: a few index steps per board on SQLite and
    PostgreSQL, whatever the number of posts. (A correlated ``IN (… LIMIT n)`` would make PostgreSQL
    rank every pair of Ortsteil and post: seconds at 100,000 posts.)
    """
    newest = aliased(Post, name=f"newest_{k}")
    conditions = [newest.ortsteil_id == Ortsteil.id, Post.visible_to(viewer, newest),
                  or_(newest.visible_until.is_(None), newest.visible_until >= heute())]
    return (select(newest.id).where(*conditions).order_by(newest.pinned.desc(), newest.id.desc())
            .limit(1).offset(k).correlate(Ortsteil).scalar_subquery())


def overview(viewer=None, per_board: int = 3) -> list[tuple[Ortsteil, list[Post]]]:
    """Every Ortsteil (by name) with the first posts of its list that ``viewer`` may see
    (``Post.visible_to``; None: the published posts, which everyone sees), in two queries that do
    not grow with the posts."""
    ortsteile = list(db.session.scalars(select(Ortsteil).options(joinedload(Ortsteil.sozialraum))
                                        .order_by(Ortsteil.name)))
    if not ortsteile:
        return []
    stmt = (select(Post).select_from(Ortsteil)
            .join(Post, Post.id.in_([_kth_newest(k, viewer) for k in range(per_board)]))
            .options(load_only(*OVERVIEW_COLUMNS))
            .order_by(Post.pinned.desc(), Post.id.desc()))
    by_board: dict[int, list[Post]] = {o.id: [] for o in ortsteile}
    for post in db.session.scalars(stmt):
        by_board[post.ortsteil_id].append(post)
    return [(o, by_board[o.id]) for o in ortsteile]


def own_boards(user) -> list[Ortsteil]:
    """The boards a volunteer or Koordination writes in (Moderation writes everywhere)."""
    boards = {o.id: o for o in getattr(user, "ortsteile", [])} if user.has_role(Role.EHRENAMT) else {}
    if user.has_role(Role.KOORDINATION) and getattr(user, "sozialraum", None) is not None:
        boards.update({o.id: o for o in user.sozialraum.ortsteile})
    return sorted(boards.values(), key=lambda o: o.name)


def my_unpublished(user, limit: int = 10) -> list[Post]:
    """The user's own posts that others cannot see (waiting or hidden), so the author notices."""
    return list(db.session.scalars(
        select(Post).where(Post.author_id == user.id, Post.status != PostStatus.PUBLISHED)
        .options(load_only(Post.id, Post.ortsteil_id, Post.title, Post.status, Post.hidden_reason, Post.version),
                 joinedload(Post.ortsteil))
        .order_by(Post.id.desc()).limit(limit)))


# --- one post --------------------------------------------------------------------------------------

def get_post(post_id: int, with_comments: bool = False) -> Post | None:
    """A post with its board, author and attachments (and comments with their authors); the
    authors' roles are not shown."""
    options = [joinedload(Post.ortsteil), joinedload(Post.author).lazyload(User.role_rows),
               selectinload(Post.attachments)]
    if with_comments:
        options.append(selectinload(Post.comments).joinedload(Comment.author).lazyload(User.role_rows))
    else:
        options.append(lazyload(Post.comments))
    return db.session.scalar(select(Post).where(Post.id == post_id).options(*options))


# --- moderation ------------------------------------------------------------------------------------

def pending_posts(cursor: int | None = None, limit: int = QUEUE_PAGE_SIZE) -> Page:
    """Posts waiting for approval, oldest first, with their total."""
    stmt = (select(Post).where(Post.status == PostStatus.PENDING)
            .options(joinedload(Post.ortsteil), joinedload(Post.author), selectinload(Post.attachments)))
    return keyset_page(stmt, ((Post.id, "asc"),), cursor, limit, id_column=Post.id, count=True)


def open_reports(cursor: int | None = None, limit: int = QUEUE_PAGE_SIZE) -> Page:
    """Open reports, oldest first, with their total."""
    stmt = (select(Report).where(Report.resolved_at.is_(None))
            .options(joinedload(Report.post).joinedload(Post.ortsteil),
                     joinedload(Report.comment).joinedload(Comment.author), joinedload(Report.reporter)))
    return keyset_page(stmt, ((Report.id, "asc"),), cursor, limit, id_column=Report.id, count=True)


def pending_count() -> int:
    return db.session.scalar(select(func.count(Post.id)).where(Post.status == PostStatus.PENDING)) or 0


def open_report_count() -> int:
    return db.session.scalar(select(func.count(Report.id)).where(Report.resolved_at.is_(None))) or 0


def queue_size() -> int:
    return pending_count() + open_report_count()


def moderation_log(cursor: int | None = None, limit: int = LOG_PAGE_SIZE) -> Page:
    """The moderation log, newest first."""
    stmt = select(ModerationLogEntry).options(joinedload(ModerationLogEntry.moderator),
                                              joinedload(ModerationLogEntry.ortsteil))
    return keyset_page(stmt, ((ModerationLogEntry.id, "desc"),), cursor, limit, id_column=ModerationLogEntry.id)
