"""Routes of the Pinnwand x every role.

Demo facts used: "ehrenamt" (Anna Krause) volunteers in Taubach and wrote the pinned post about the
new stove; "ehrenamt_legefeld" (Peter Vogel) commented on it; Koordination works in Sozialraum Nord
(not Taubach); Legefeld is pre-moderated and has a waiting post by Birgit Lange.
"""
from sqlalchemy import select

from portal.board.models import Attachment, Comment, Post, Report
from portal.extensions import db
from tests.matrix import Route

STOVE = "Neuer Herd im Gemeindehaus – Plätzchenbacken im Advent"
WAITING = "Hobby-Horse-Treffen aller Ortsteile im Frühjahr?"

MODS = {"admin", "moderation"}
ALL_SIGNED_IN = 200


def post_id(title=STOVE):
    return db.session.scalar(select(Post.id).where(Post.title == title))


def post_url(suffix="", title=STOVE):
    return lambda: f"/board/posts/{post_id(title)}{suffix}"


def comment_url(suffix=""):
    def build():
        cid = db.session.scalar(select(Comment.id).where(Comment.post_id == post_id(),
                                                         Comment.body.like("Wie schön!%")))
        return f"/board/comments/{cid}{suffix}"
    return build


def attachment_url(suffix=""):
    return lambda: f"/board/files/{db.session.scalar(select(Attachment.id).where(Attachment.post_id == post_id()))}{suffix}"


def report_url():
    return lambda: f"/board/reports/{db.session.scalar(select(Report.id))}/dismiss"


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
    route("board.post_detail", "GET", post_url(title=WAITING), {"admin": 200, "moderation": 200}, other=404),
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
    # conversation: everybody signed in
    route("board.comment_new", "POST", post_url("/comments"), other=422),
    route("board.thanks", "POST", post_url("/thanks"), other=303),
    route("board.post_report", "GET", post_url("/report")),
    route("board.post_report", "POST", post_url("/report"), other=422),
    route("board.comment_report", "GET", comment_url("/report")),
    route("board.comment_report", "POST", comment_url("/report"), other=422),
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
    route("board.log", "GET", "/board/moderation/log", *mods_only(200)),
    route("board.report_dismiss", "POST", report_url(), *mods_only(303)),
]
