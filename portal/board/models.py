"""Pinnwand: posts per Ortsteil, their attachments, comments, "Danke" reactions, reports,
per-Ortsteil board settings and the moderation log.

Permission rules live here (``can_*``); views call them for 403/404 and templates for hiding
buttons.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from flask import current_app

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, func, or_, select, true
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from portal.auth.models import Role, User
from portal.extensions import UTCDateTime, db, str_enum, utcnow
from portal.formatting import heute
from portal.org.models import Ortsteil

TITLE_MAX = 120
BODY_MAX = 5000
COMMENT_MAX = 2000
REASON_MAX = 500
MAX_ATTACHMENTS = 3
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024



class Category(enum.StrEnum):
    IDEE = "idee"
    INFORMATION = "information"
    GESUCH = "gesuch"
    ANGEBOT = "angebot"
    RUECKBLICK = "rueckblick"
    FRAGE = "frage"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.IDEE: "Idee",
    Category.INFORMATION: "Information",
    Category.GESUCH: "Gesuch",
    Category.ANGEBOT: "Angebot",
    Category.RUECKBLICK: "Rückblick",
    Category.FRAGE: "Frage",
}


class PostStatus(enum.StrEnum):
    #: Visible to every signed-in user.
    PUBLISHED = "published"
    #: Waiting in the moderation queue (pre-moderated Ortsteil); only author and Moderation see it.
    PENDING = "pending"
    #: Hidden by the Moderation with a reason; only author and Moderation see it.
    HIDDEN = "hidden"


def is_moderator(user) -> bool:
    """City staff who maintain the pinboard."""
    return bool(user and user.is_authenticated and user.has_role(Role.MODERATION, Role.ADMIN))


def can_post_in(user, ortsteil: Ortsteil) -> bool:
    """Volunteers post in their own Ortsteile, Koordination in its Sozialraum, Moderation everywhere."""
    if not (user and user.is_authenticated):
        return False
    if is_moderator(user):
        return True
    if user.has_role(Role.KOORDINATION) and user.sozialraum_id and user.sozialraum_id == ortsteil.sozialraum_id:
        return True
    return user.has_role(Role.EHRENAMT) and any(o.id == ortsteil.id for o in user.ortsteile)


def can_change_settings(user) -> bool:
    """Only the Moderation switches "Beiträge vor Veröffentlichung prüfen"."""
    return is_moderator(user)


class BoardSettings(db.Model):
    """Settings of one Ortsteil's board; a missing row means the defaults."""

    __tablename__ = "board_settings"

    ortsteil_id: Mapped[int] = mapped_column(ForeignKey("ortsteil.id", ondelete="CASCADE"), primary_key=True)
    #: "Beiträge vor Veröffentlichung prüfen": new posts wait in the queue until approved.
    premoderation: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Post(db.Model):
    __tablename__ = "board_post"
    __table_args__ = (
        # The board and stream lists: newest first, pinned first (keyset on pinned, id).
        Index("ix_board_post_ortsteil_list", "ortsteil_id", "pinned", "id"),
        Index("ix_board_post_stream_list", "pinned", "id"),
        Index("ix_board_post_status", "status", "id"),
        # A form sent twice (double click, resent after a timeout) creates one post.
        Index("ux_board_post_request_key", "author_id", "request_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Ortsteil whose board the post is on.
    ortsteil_id: Mapped[int] = mapped_column(ForeignKey("ortsteil.id"))
    #: Author; kept NULL when an account is deleted so the post can stay ("gelöschtes Konto").
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    category: Mapped[Category] = mapped_column(str_enum(Category))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    #: Markdown source as typed by the author.
    body: Mapped[str] = mapped_column(Text)
    #: Sanitised HTML of ``body``, rendered once when saving (lists show many posts).
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: Case-folded title and text for the search within a board (SQLite's lower() is ASCII only).
    search_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PostStatus] = mapped_column(str_enum(PostStatus), default=PostStatus.PUBLISHED)
    #: Pinned posts come first on the boards.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "sichtbar bis": after this day the post leaves the board and is only in the archive.
    visible_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the author changed title, text or attachments ("bearbeitet").
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the Moderation hid the post (shown to the author).
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    #: Last moderation decision on the post (hide/approve/pin).
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Random key of the "Neuer Beitrag" form that created the post: the same form sent again
    #: answers with this post instead of a second one.
    request_key: Mapped[str | None] = mapped_column(String(64))
    #: Optimistic lock: raised on every change; two moderators acting at once see the current state.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: SQLAlchemy adds "WHERE version = ?" to every UPDATE and raises StaleDataError if it lost.
    __mapper_args__ = {"version_id_col": version}

    ortsteil: Mapped[Ortsteil] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="Attachment.position"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="Comment.id", passive_deletes=True
    )

    # --- permissions --------------------------------------------------------------------
    def is_author(self, user) -> bool:
        return bool(user and user.is_authenticated and self.author_id == user.id)

    def can_view(self, user) -> bool:
        """Published posts for everyone; waiting or hidden ones for their author and the Moderation.

        ``Post.visible_to(user)`` is the same rule as SQL for the lists (a test ties both)."""
        return self.status == PostStatus.PUBLISHED or self.is_author(user) or is_moderator(user)

    @classmethod
    def visible_to(cls, user, entity=None):
        """SQL condition: the posts ``can_view(user)`` allows (of ``entity``, an alias of Post if given)."""
        post = entity if entity is not None else cls
        if is_moderator(user):
            return true()
        if not (user and user.is_authenticated):
            return post.status == PostStatus.PUBLISHED
        return or_(post.status == PostStatus.PUBLISHED, post.author_id == user.id)

    def can_edit(self, user) -> bool:
        """Authors edit their own posts; the Moderation hides, it does not rewrite."""
        return self.is_author(user)

    def can_delete(self, user) -> bool:
        return self.is_author(user) or is_moderator(user)

    def can_moderate(self, user) -> bool:
        return is_moderator(user)

    def can_interact(self, user) -> bool:
        """Comment, thank and report only on published posts."""
        return self.status == PostStatus.PUBLISHED and bool(user and user.is_authenticated)

    def can_report(self, user) -> bool:
        """Anyone who may comment may ask the Moderation to look at a post (not at their own)."""
        return self.can_interact(user) and not self.is_author(user)

    # --- display ------------------------------------------------------------------------
    @property
    def archived(self) -> bool:
        return self.visible_until is not None and self.visible_until < heute()

    @property
    def images(self) -> list[Attachment]:
        return [a for a in self.attachments if a.is_image]

    @property
    def documents(self) -> list[Attachment]:
        return [a for a in self.attachments if not a.is_image]

    @property
    def author_name(self) -> str:
        return self.author.display_name if self.author else "gelöschtes Konto"


class Attachment(db.Model):
    """An image (shown as thumbnail) or PDF of a post, stored under instance/uploads/board."""

    __tablename__ = "board_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("board_post.id", ondelete="CASCADE"), index=True)
    #: Random storage name under UPLOAD_DIR, never derived from user input.
    storage_name: Mapped[str] = mapped_column(String(200))
    #: Small WebP preview of an image (metadata stripped); NULL for PDFs.
    thumb_name: Mapped[str | None] = mapped_column(String(200))
    #: The file name as the user had it, for display and download.
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    #: Order within the post (0-2).
    position: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)

    post: Mapped[Post] = relationship(back_populates="attachments")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def thumb_size(self) -> tuple[int, int] | None:
        """Width and height of the thumbnail (longest side 480 px), so the page does not jump."""
        if not (self.width and self.height):
            return None
        scale = min(1.0, 480 / max(self.width, self.height))
        return round(self.width * scale), round(self.height * scale)


class Comment(db.Model):
    __tablename__ = "board_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("board_post.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: Markdown source as typed (rendered and sanitised when shown, like posts).
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the author changed the text within the edit window ("bearbeitet").
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Hidden by the Moderation: others see a placeholder, the author sees why.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()

    def is_author(self, user) -> bool:
        return bool(user and user.is_authenticated and self.author_id == user.id)

    def can_view_text(self, user) -> bool:
        """Hidden comments show their text to the author and the Moderation only. SQL: ``visible_to``."""
        return not self.hidden or self.is_author(user) or is_moderator(user)

    @classmethod
    def visible_to(cls, user):
        """SQL condition matching ``can_view_text`` (the portal-wide search uses it)."""
        if is_moderator(user):
            return true()
        if not (user and user.is_authenticated):
            return cls.hidden.is_(False)
        return or_(cls.hidden.is_(False), cls.author_id == user.id)

    def can_delete(self, user) -> bool:
        return self.is_author(user) or is_moderator(user)

    def can_edit(self, user, now: datetime | None = None) -> bool:
        """Only the author, only while the edit window (``COMMENT_EDIT_MINUTES``) is open, not once hidden."""
        return (self.is_author(user) and not self.hidden
                and (now or utcnow()) <= self.edit_until)

    @property
    def edit_until(self) -> datetime:
        return self.created_at + timedelta(minutes=current_app.config["COMMENT_EDIT_MINUTES"])

    def can_moderate(self, user) -> bool:
        return is_moderator(user)

    def can_report(self, user) -> bool:
        return (not self.hidden and not self.is_author(user) and bool(user and user.is_authenticated)
                and self.post.can_view(user))

    @property
    def author_name(self) -> str:
        return self.author.display_name if self.author else "gelöschtes Konto"


class Reaction(db.Model):
    """A one-click "Danke" of one user for one post."""

    __tablename__ = "board_reaction"

    post_id: Mapped[int] = mapped_column(ForeignKey("board_post.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(db.Model):
    """"Melden": someone asks the Moderation to look at a post or comment."""

    __tablename__ = "board_report"
    __table_args__ = (Index("ix_board_report_open", "resolved_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("board_post.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("board_comment.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the Moderation acted on it or found nothing wrong.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    post: Mapped[Post | None] = relationship()
    comment: Mapped[Comment | None] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])

    def can_resolve(self, user) -> bool:
        return is_moderator(user)


class ModerationAction(enum.StrEnum):
    APPROVED = "approved"
    PINNED = "pinned"
    UNPINNED = "unpinned"
    HIDDEN = "hidden"
    RESTORED = "restored"
    DELETED = "deleted"
    COMMENT_HIDDEN = "comment_hidden"
    COMMENT_RESTORED = "comment_restored"
    COMMENT_DELETED = "comment_deleted"
    REPORT_DISMISSED = "report_dismissed"
    PREMODERATION_ON = "premoderation_on"
    PREMODERATION_OFF = "premoderation_off"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    ModerationAction.APPROVED: "Beitrag freigegeben",
    ModerationAction.PINNED: "Beitrag angeheftet",
    ModerationAction.UNPINNED: "Beitrag gelöst",
    ModerationAction.HIDDEN: "Beitrag ausgeblendet",
    ModerationAction.RESTORED: "Beitrag wiederhergestellt",
    ModerationAction.DELETED: "Beitrag gelöscht",
    ModerationAction.COMMENT_HIDDEN: "Kommentar ausgeblendet",
    ModerationAction.COMMENT_RESTORED: "Kommentar wiederhergestellt",
    ModerationAction.COMMENT_DELETED: "Kommentar gelöscht",
    ModerationAction.REPORT_DISMISSED: "Meldung ohne Maßnahme erledigt",
    ModerationAction.PREMODERATION_ON: "Prüfung vor Veröffentlichung eingeschaltet",
    ModerationAction.PREMODERATION_OFF: "Prüfung vor Veröffentlichung ausgeschaltet",
}


class ModerationLogEntry(db.Model):
    """Who did what, when and why; survives the deletion of the post (``subject`` keeps its title)."""

    __tablename__ = "board_moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[ModerationAction] = mapped_column(str_enum(ModerationAction, length=30))
    ortsteil_id: Mapped[int | None] = mapped_column(ForeignKey("ortsteil.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("board_post.id", ondelete="SET NULL"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("board_comment.id", ondelete="SET NULL"))
    #: Title of the post (or start of the comment) at the time, kept after deletion.
    subject: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")

    moderator: Mapped[User | None] = relationship()
    ortsteil: Mapped[Ortsteil | None] = relationship()


# Counts shown on every card, loaded with the post row itself (no query per post).
Post.comment_count = column_property(
    select(func.count(Comment.id)).where(Comment.post_id == Post.id, Comment.hidden.is_(False))
    .correlate_except(Comment).scalar_subquery()
)
Post.thanks_count = column_property(
    select(func.count(Reaction.user_id)).where(Reaction.post_id == Post.id)
    .correlate_except(Reaction).scalar_subquery()
)
