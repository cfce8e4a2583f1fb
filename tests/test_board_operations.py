"""Pinnwand operations: each change sends its domain event, no operation commits, files go only
with a successful commit, and the list filter agrees with ``Post.can_view``."""
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from portal import signals
from portal.board import services
from portal.board.models import Attachment, Category, Comment, Post, PostStatus, Report
from portal.extensions import db
from portal.uploads import upload_root
from tests.board_helpers import image_bytes, post_data, upload
from tests.conftest import ROLE_LOGINS, get_user
from tests.factories.board import make_comment, make_post, ortsteil


@contextmanager
def received(signal):
    """Collect (sender, kwargs) of every send of ``signal``."""
    calls = []

    def listener(sender, **kwargs):
        calls.append((sender, kwargs))

    signal.connect(listener)
    try:
        yield calls
    finally:
        signal.disconnect(listener)


def _create(post, comment):
    return services.create_post(get_user("ehrenamt"), ortsteil("taubach"), title="Neu", body="Text",
                                category=Category.IDEE, visible_until=None, attachments=[])


OPERATIONS = [
    # (signal, operation(post, comment) -> sender, actor role, expected details, post status)
    (signals.post_created, _create, "ehrenamt", {}, "published"),
    (signals.post_updated, lambda p, c: services.update_post(
        p, get_user("ehrenamt"), title="Neu", body="Text", category=Category.IDEE, visible_until=None,
        remove_ids=[], new_attachments=[], version=p.version) and None or p, "ehrenamt", {}, "published"),
    (signals.post_approved, lambda p, c: services.approve_post(p, get_user("moderation"), p.version) or p,
     "moderation", {}, "pending"),
    (signals.post_hidden, lambda p, c: services.hide_post(p, get_user("moderation"), p.version, " Werbung ") or p,
     "moderation", {"reason": "Werbung"}, "published"),
    (signals.post_restored, lambda p, c: services.restore_post(p, get_user("moderation"), p.version) or p,
     "moderation", {}, "hidden"),
    (signals.post_pinned, lambda p, c: services.pin_post(p, get_user("moderation"), p.version, True) or p,
     "moderation", {"pinned": True}, "published"),
    (signals.post_deleted, lambda p, c: services.delete_post(p, get_user("ehrenamt")) or p,
     "ehrenamt", {}, "published"),
    (signals.comment_added, lambda p, c: services.add_comment(p, get_user("fachkraft"), "Hallo"),
     "fachkraft", {}, "published"),
    (signals.comment_moderated, lambda p, c: services.hide_comment(c, get_user("moderation"), "Grund") or c,
     "moderation", {"action": "hidden"}, "published"),
    (signals.comment_moderated, lambda p, c: services.delete_comment(c, get_user("ehrenamt_legefeld")) or c,
     "ehrenamt_legefeld", {"action": "deleted"}, "published"),
    (signals.report_filed, lambda p, c: services.report(get_user("fachkraft"), "Bitte prüfen", post=p),
     "fachkraft", {}, "published"),
    (signals.thanks_toggled, lambda p, c: services.toggle_thanks(p, get_user("fachkraft")) and p,
     "fachkraft", {"given": True}, "published"),
]


@pytest.mark.parametrize("signal, operation, actor, details, status", OPERATIONS,
                         ids=[f"{o[0].name}-{i}" for i, o in enumerate(OPERATIONS)])
def test_each_operation_sends_its_event_and_leaves_the_commit_to_the_view(app, signal, operation, actor, details,
                                                                          status):
    with app.app_context():
        post = make_post("ehrenamt", status=PostStatus(status))
        comment = make_comment(post, "ehrenamt_legefeld")
        db.session.commit()
        with received(signal) as calls:
            sender = operation(post, comment)
        assert len(calls) == 1
        sent, kwargs = calls[0]
        assert sent is sender
        assert kwargs == {"actor": get_user(actor), **details}
        # the operation flushed but did not commit: a rollback undoes it
        db.session.rollback()
        assert db.session.get(Post, post.id).status == PostStatus(status)
        assert db.session.get(Comment, comment.id).hidden is False
        assert db.session.scalar(select(Report.id).where(Report.post_id == post.id)) is None


def test_taking_danke_back_says_so(app):
    with app.app_context():
        post = make_post("ehrenamt")
        services.toggle_thanks(post, get_user("fachkraft"))
        with received(signals.thanks_toggled) as calls:
            assert services.toggle_thanks(post, get_user("fachkraft")) is False
        assert calls[0][1]["given"] is False


def test_a_waiting_post_is_created_with_its_status(app):
    with app.app_context():
        from tests.factories.board import set_premoderation

        set_premoderation("taubach")
        with received(signals.post_created) as calls:
            _create(None, None)
        assert calls[0][0].status == PostStatus.PENDING


# --- files and failed commits --------------------------------------------------------------------------

def _post_with_file(app):
    with app.app_context():
        post = make_post("ehrenamt", files=1)
        db.session.commit()
        attachment = post.attachments[0]
        return post.id, post.version, attachment.id, [upload_root() / attachment.storage_name,
                                                      upload_root() / attachment.thumb_name]


def test_stale_edit_answers_409_keeps_the_input_the_row_and_the_file(app, client_as):
    post_id, version, attachment_id, files = _post_with_file(app)
    moderation = client_as("moderation")
    assert moderation.post(f"/board/posts/{post_id}/pin", data={"version": version}).status_code == 303
    with app.app_context():
        folder = upload_root() / "board"
    before = set(folder.glob("*"))
    # The author's form still carries the old version; they remove the photo and add a new one.
    response = client_as("ehrenamt").post(
        f"/board/posts/{post_id}/edit", content_type="multipart/form-data",
        data=post_data(title="Mein neuer Titel", version=version, remove_attachments=[str(attachment_id)],
                       files=[upload(image_bytes("PNG"), "neu.png")]))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Inzwischen hat jemand anderes diesen Beitrag geändert" in html
    assert 'value="Mein neuer Titel"' in html
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert [a.id for a in post.attachments] == [attachment_id]
        assert post.title != "Mein neuer Titel"
        assert f'name="version" type="hidden" value="{post.version}"' in html
    assert all(path.exists() for path in files)
    assert set(folder.glob("*")) == before  # the new photo of the failed attempt is gone again


def test_stale_delete_of_an_attachment_through_moderation_keeps_the_file(app, client_as):
    """A moderation on a stale version (409) changes nothing and deletes no file."""
    post_id, version, attachment_id, files = _post_with_file(app)
    moderation = client_as("moderation")
    assert moderation.post(f"/board/posts/{post_id}/pin", data={"version": version}).status_code == 303
    response = moderation.post(f"/board/posts/{post_id}/hide", data={"reason": "zu spät", "version": version})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Post, post_id).status == PostStatus.PUBLISHED
        assert db.session.get(Attachment, attachment_id) is not None
    assert all(path.exists() for path in files)


def test_a_failed_commit_of_a_delete_keeps_the_row_and_its_files(app, client_as):
    post_id, _, attachment_id, files = _post_with_file(app)

    def broken_listener(sender, **kwargs):
        raise RuntimeError("the search index is down")

    signals.post_deleted.connect(broken_listener)
    try:
        response = client_as("ehrenamt").post(f"/board/posts/{post_id}/delete")
    finally:
        signals.post_deleted.disconnect(broken_listener)
    assert response.status_code == 500
    with app.app_context():
        assert db.session.get(Post, post_id) is not None
        assert db.session.get(Attachment, attachment_id) is not None
    assert all(path.exists() for path in files)
    # and once it works, the files go with the row
    assert client_as("ehrenamt").post(f"/board/posts/{post_id}/delete").status_code == 303
    assert not any(path.exists() for path in files)


def test_a_failed_commit_of_a_new_post_leaves_no_files(app, client_as):
    with app.app_context():
        folder = upload_root() / "board"
    before = set(folder.glob("*"))

    def broken_listener(sender, **kwargs):
        raise RuntimeError("the outbox is full")

    signals.post_created.connect(broken_listener)
    try:
        response = client_as("ehrenamt").post("/board/taubach/new", content_type="multipart/form-data",
                                              data=post_data(files=[upload(image_bytes(), "foto.jpg")]))
    finally:
        signals.post_created.disconnect(broken_listener)
    assert response.status_code == 500
    assert set(folder.glob("*")) == before


# --- one permission rule ---------------------------------------------------------------------------------

def test_list_filter_and_can_view_agree_for_every_role(app):
    """``Post.visible_to(user)`` (SQL, the lists) and ``post.can_view(user)`` (one post) are one rule."""
    from flask_login import AnonymousUserMixin

    with app.app_context():
        for status in PostStatus:
            for author in ("ehrenamt", "ehrenamt_legefeld", "moderation"):
                make_post(author, status=status)
        db.session.commit()
        posts = db.session.scalars(select(Post).order_by(Post.id)).all()
        assert {p.status for p in posts} == set(PostStatus)
        users = [get_user(role) for role in ROLE_LOGINS] + [AnonymousUserMixin()]
        for user in users:
            listed = set(db.session.scalars(select(Post.id).where(Post.visible_to(user))))
            allowed = {p.id for p in posts if p.can_view(user)}
            assert listed == allowed, getattr(user, "email", "anonymous")


@pytest.mark.parametrize("role", ["fachkraft", "leitung", "ehrenamt_legefeld"])
def test_only_the_author_edits_and_nobody_else_deletes(app, role):
    from portal.errors import NotAllowed

    with app.app_context():
        post = make_post("ehrenamt")
        with pytest.raises(NotAllowed):
            services.update_post(post, get_user(role), title="x", body="y", category=Category.IDEE,
                                 visible_until=None, remove_ids=[], new_attachments=[])
        with pytest.raises(NotAllowed):
            services.delete_post(post, get_user(role))


def test_edit_form_without_version_still_saves(app, client_as):
    """An old form without a version field (e.g. an open tab from before the update) still saves."""
    with app.app_context():
        post_id = make_post("ehrenamt").id
        db.session.commit()
    response = client_as("ehrenamt").post(f"/board/posts/{post_id}/edit", data=post_data(title="Ohne Version"))
    assert response.status_code == 303
