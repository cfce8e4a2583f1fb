"""Factories for Pinnwand tests: posts, attachments (with real files), comments, reports and
thanks, built directly in the database (no HTTP). Call inside an app context; each flushes and
returns its object; the caller commits.

Authors are demo *logins* (ROLE_LOGINS roles), never demo posts: a test builds the posts it needs.
"""
from __future__ import annotations

import io
import itertools
import secrets
from datetime import date

from PIL import Image
from sqlalchemy import select

from portal.board.models import (Attachment, BoardSettings, Category, Comment, Post, PostStatus, Reaction, Report)
from portal.board.services import UPLOAD_SUBDIR, render_body
from portal.extensions import db
from portal.org.models import Ortsteil
from portal.uploads import upload_root
from tests.conftest import get_user

_numbers = itertools.count(1)


def ortsteil(slug: str) -> Ortsteil:
    return db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))


def _user(who):
    return get_user(who) if isinstance(who, str) else who


def make_post(author="ehrenamt", slug: str = "taubach", *, title: str | None = None,
              body: str = "Ein Beitrag zum Testen.", category: Category = Category.INFORMATION,
              status: PostStatus = PostStatus.PUBLISHED, pinned: bool = False, visible_until: date | None = None,
              files: int = 0, **values) -> Post:
    """A post on ``slug``'s board by ``author`` (a demo role or a User); ``files`` photos attached."""
    post = Post(ortsteil=ortsteil(slug), author=_user(author), title=title or f"Testbeitrag {next(_numbers)}",
                body=body, category=category, status=status, pinned=pinned, visible_until=visible_until, **values)
    render_body(post)
    db.session.add(post)
    for position in range(files):
        post.attachments.append(make_attachment(position=position))
    db.session.flush()
    return post


def make_attachment(position: int = 0, image: bool = True) -> Attachment:
    """An attachment with its files really stored under UPLOAD_DIR (a photo with thumbnail, or a PDF)."""
    folder = upload_root() / UPLOAD_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{UPLOAD_SUBDIR}/{secrets.token_hex(16)}"
    if image:
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "JPEG")
        (upload_root() / f"{stem}.jpg").write_bytes(buffer.getvalue())
        Image.new("RGB", (64, 48), (200, 120, 40)).save(upload_root() / f"{stem}.thumb.webp", "WEBP")
        return Attachment(storage_name=f"{stem}.jpg", thumb_name=f"{stem}.thumb.webp", original_name="foto.jpg",
                          content_type="image/jpeg", size=len(buffer.getvalue()), position=position,
                          width=64, height=48)
    (upload_root() / f"{stem}.pdf").write_bytes(b"%PDF-1.4\n%\n")
    return Attachment(storage_name=f"{stem}.pdf", original_name="einladung.pdf", content_type="application/pdf",
                      size=11, position=position)


def make_comment(post: Post, author="ehrenamt_legefeld", body: str | None = None, hidden: bool = False) -> Comment:
    comment = Comment(post=post, author=_user(author), body=body or f"Testkommentar {next(_numbers)}",
                      hidden=hidden, hidden_reason="Testgrund" if hidden else None)
    db.session.add(comment)
    db.session.flush()
    return comment


def make_report(post: Post | None = None, comment: Comment | None = None, reporter="fachkraft",
                reason: str | None = None) -> Report:
    item = Report(post_id=comment.post_id if comment else post.id, comment_id=comment.id if comment else None,
                  reporter_id=_user(reporter).id, reason=reason or f"Testmeldung {next(_numbers)}")
    db.session.add(item)
    db.session.flush()
    return item


def thank(post: Post, *who) -> None:
    for user in who:
        db.session.add(Reaction(post_id=post.id, user_id=_user(user).id))
    db.session.flush()


def set_premoderation(slug: str, on: bool = True) -> None:
    board = ortsteil(slug)
    settings = db.session.get(BoardSettings, board.id) or BoardSettings(ortsteil_id=board.id)
    settings.premoderation = on
    db.session.add(settings)
    db.session.flush()
