"""Routes of the Pinnwand x every role.

Each URL is built from objects the factories create for that test (tests/factories/board.py), not
from demo posts: a published, pinned post with a photo by "ehrenamt" (volunteer in Taubach), a
comment on it by "ehrenamt_legefeld", an open report, and a waiting post by "ehrenamt_legefeld" in
Legefeld. Koordination works in Sozialraum Nord (not Taubach).
"""
from portal.board.models import PostStatus
from portal.extensions import db
from tests.factories.board import make_comment, make_post, make_report
from tests.matrix import Route

MODS = {"admin", "moderation"}


def _scene() -> dict:
    post = make_post("ehrenamt", "taubach", pinned=True, files=1)
    comment = make_comment(post, "ehrenamt_legefeld")
    report = make_report(post=post, reporter="fachkraft")
    waiting = make_post("ehrenamt_legefeld", "legefeld", status=PostStatus.PENDING)
    db.session.commit()
    return {"post": post.id, "comment": comment.id, "report": report.id, "waiting": waiting.id,
            "attachment": post.attachments[0].id}


def post_url(suffix="", which="post"):
    return lambda: f"/board/posts/{_scene()[which]}{suffix}"


def comment_url(suffix=""):
    return lambda: f"/board/comments/{_scene()['comment']}{suffix}"


def attachment_url(suffix=""):
    return lambda: f"/board/files/{_scene()['attachment']}{suffix}"


def report_url():
    return lambda: f"/board/reports/{_scene()['report']}/dismiss"


def mods_only(ok, other=403):
    return {role: ok for role in MODS}, other


def route(endpoint, method, url, ok_for: dict | None = None, other=200, **kw):
    return Route(endpoint, method, url, expect=ok_for or {}, other=other, **kw)


POSTERS_IN_TAUBACH = {"admin", "moderation", "ehrenamt"}

ROUTES = [
    # reading: every signed-in user
    route("board.index", "GET", "/board/"),
    route("board.stream", "GET", "/board/alle"),
    route("board.ortsteil", "GET", "/board/taubach"),
    route("board.ortsteil", "GET", "/board/nicht-da", other=404),
    route("board.new_posts", "GET", "/board/new-posts?ortsteil=taubach&after=0"),
    route("board.post_detail", "GET", post_url()),
    # a waiting post: only its author and the Moderation know it exists
    route("board.post_detail", "GET", post_url(which="waiting"),
          {"admin": 200, "moderation": 200, "ehrenamt_legefeld": 200}, other=404),
    route("board.attachment", "GET", attachment_url()),
    route("board.thumbnail", "GET", attachment_url("/thumb")),
    # writing: volunteers of Taubach, Moderation, Administration (Koordination Nord is elsewhere)
    route("board.post_new", "GET", "/board/taubach/new", {r: 200 for r in POSTERS_IN_TAUBACH}, other=403),
    route("board.post_new", "POST", "/board/taubach/new", {r: 422 for r in POSTERS_IN_TAUBACH}, other=403),
    route("board.post_new", "GET", "/board/schoendorf/new", {"admin": 200, "moderation": 200, "koordination": 200},
          other=403),
    # the author edits; deleting also for the Moderation (which must give a reason)
    route("board.post_edit", "GET", post_url("/edit"), {"ehrenamt": 200}, other=403),
    route("board.post_edit", "POST", post_url("/edit"), {"ehrenamt": 422}, other=403),
    route("board.post_delete", "GET", post_url("/delete"), {r: 200 for r in POSTERS_IN_TAUBACH}, other=403),
    route("board.post_delete", "POST", post_url("/delete"), {"ehrenamt": 303, "admin": 422, "moderation": 422},
          other=403),
    # conversation: everybody signed in; nobody reports their own post or comment
    route("board.comment_new", "POST", post_url("/comments"), other=422),
    route("board.thanks", "POST", post_url("/thanks"), other=303),
    route("board.post_report", "GET", post_url("/report"), {"ehrenamt": 403}),
    route("board.post_report", "POST", post_url("/report"), {"ehrenamt": 403}, other=422),
    route("board.comment_report", "GET", comment_url("/report"), {"ehrenamt_legefeld": 403}),
    route("board.comment_report", "POST", comment_url("/report"), {"ehrenamt_legefeld": 403}, other=422),
    # the author corrects a comment within the edit window
    route("board.comment_edit", "GET", comment_url("/edit"), {"ehrenamt_legefeld": 200}, other=403),
    route("board.comment_edit", "POST", comment_url("/edit"), {"ehrenamt_legefeld": 422}, other=403),
    route("board.comment_delete", "POST", comment_url("/delete"),
          {"ehrenamt_legefeld": 303, "admin": 303, "moderation": 303}, other=403),
    # moderation
    route("board.post_moderate", "POST", post_url("/unpin"), *mods_only(303)),
    route("board.post_hide", "GET", post_url("/hide"), *mods_only(200)),
    route("board.post_hide", "POST", post_url("/hide"), *mods_only(422)),
    route("board.comment_hide", "GET", comment_url("/hide"), *mods_only(200)),
    route("board.comment_hide", "POST", comment_url("/hide"), *mods_only(422)),
    route("board.comment_restore", "POST", comment_url("/restore"), *mods_only(303)),
    route("board.settings", "POST", "/board/taubach/settings", *mods_only(303)),
    route("board.queue", "GET", "/board/moderation", *mods_only(200)),
    route("board.reports", "GET", "/board/moderation/meldungen", *mods_only(200)),
    route("board.log", "GET", "/board/moderation/log", *mods_only(200)),
    route("board.report_dismiss", "POST", report_url(), *mods_only(303)),
]
