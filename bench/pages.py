"""The main pages the benchmark measures, each as the role that uses it.

Paths that depend on the data (a post, a meeting, a feed token) are found in the seeded database
by ``resolve`` – the same choices at every size, so small and production runs compare.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

EHRENAMT = "ehrenamt.taubach@portal.example"
FACHKRAFT = "fachkraft@awo.example"
KOORDINATION = "koordination.nord@portal.example"
LEITUNG = "leitung@portal.example"
AG_MITGLIED = "ag.mitglied@portal.example"
HTMX = {"HX-Request": "true", "HX-Target": "post-list"}


@dataclass
class Page:
    name: str
    label: str
    #: Demo login that uses the page (None: anonymous, e.g. the calendar feed with its token).
    role: str | None
    #: Path, or a function (inside an app context on the bench db) that builds it.
    path: str | Callable[[], str]
    headers: dict = field(default_factory=dict)
    #: A floor to read the pages against (no content of its own), not a page with targets.
    reference: bool = False

    @property
    def fragment(self) -> bool:
        return "HX-Request" in self.headers

    @property
    def size_target_kb(self) -> int | None:
        """Compressed size target: first page load ≤ 60 KB, htmx fragment ≤ 5 KB; none for a feed
        (a calendar app downloads it, and its size is the number of dates)."""
        if self.path_is_feed:
            return None
        return 5 if self.fragment else 60

    @property
    def path_is_feed(self) -> bool:
        return self.name == "calendar_feed"


# --- data-dependent paths ----------------------------------------------------------------------

def _busy_post() -> str:
    """A published post on the Taubach board with the most comments among the newest 200."""
    from sqlalchemy import func, select

    from portal.board.models import Comment, Post, PostStatus
    from portal.extensions import db
    from portal.org.models import Ortsteil

    taubach = db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == "taubach"))
    recent = (select(Post.id).where(Post.ortsteil_id == taubach, Post.status == PostStatus.PUBLISHED)
              .order_by(Post.id.desc()).limit(200).subquery())
    post_id = db.session.scalar(
        select(Comment.post_id).where(Comment.post_id.in_(select(recent.c.id)))
        .group_by(Comment.post_id).order_by(func.count().desc(), Comment.post_id.desc()).limit(1))
    return f"/board/posts/{post_id}"


def _more_posts() -> str:
    """"Mehr laden" on the Taubach board: a continued page, as htmx asks for it."""
    from flask import current_app, url_for
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.board import queries
    from portal.extensions import db
    from portal.org.models import Ortsteil

    user = db.session.scalar(select(User).where(User.email == EHRENAMT))
    ortsteil = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach"))
    # Continue after the third post: a "Mehr laden" request (keyset, ``nach``) even where the board
    # has less than two pages (the small seeds of the tests); keyset pages cost the same at any depth.
    page = queries.list_posts(queries.PostFilter(ortsteil=ortsteil), user, limit=3)
    with current_app.test_request_context("/"):
        return url_for("board.ortsteil", slug="taubach", nach=page.next_cursor)


def _feed() -> str:
    """The Fachkraft's personal calendar feed (a new token, as the subscribe page makes it)."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.calendar import services
    from portal.calendar.models import FeedToken
    from portal.extensions import db

    user = db.session.scalar(select(User).where(User.email == FACHKRAFT))
    for earlier in db.session.scalars(select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.name == "bench")):
        services.revoke_feed_token(earlier, user)  # one per run: a person may hold only ten
    _, token = services.create_feed_token(user, name="bench")
    db.session.commit()
    return f"/calendar/feed/{token}.ics"


def _ag_group():
    """The member's AG with the most meetings."""
    from sqlalchemy import func, select

    from portal.ag.models import Meeting, Membership, WorkingGroup
    from portal.auth.models import User
    from portal.extensions import db

    return db.session.execute(
        select(WorkingGroup).join(Membership).join(User, Membership.user_id == User.id).where(User.email == AG_MITGLIED)
        .outerjoin(Meeting, Meeting.group_id == WorkingGroup.id).group_by(WorkingGroup.id)
        .order_by(func.count(Meeting.id).desc(), WorkingGroup.id).limit(1)).scalar_one()


def _ag_page() -> str:
    return f"/ag/{_ag_group().slug}/"


def _meeting() -> str:
    """The newest meeting with approved minutes of that AG."""
    from sqlalchemy import select

    from portal.ag.models import Meeting, MinutesStatus
    from portal.extensions import db

    group = _ag_group()
    meeting_id = db.session.scalar(select(Meeting.id).where(
        Meeting.group_id == group.id, Meeting.minutes_status == MinutesStatus.GENEHMIGT)
        .order_by(Meeting.date.desc()).limit(1))
    return f"/ag/{group.slug}/meetings/{meeting_id}/"


PAGES: list[Page] = [
    # What every request costs before a page adds anything: the database check, and a signed-in
    # page whose content is one short cached text (session, user check, CSRF token, layout, badges).
    Page("floor_healthz", "Referenz: /healthz (ohne Anmeldung)", None, "/healthz", reference=True),
    Page("floor_signed_in", "Referenz: Impressum (angemeldet)", EHRENAMT, "/impressum", reference=True),
    Page("board_overview", "Pinnwand: Übersicht", EHRENAMT, "/board/"),
    Page("board_ortsteil", "Pinnwand eines Ortsteils", EHRENAMT, "/board/taubach"),
    Page("board_more", "Pinnwand: Mehr laden (htmx-Fragment)", EHRENAMT, _more_posts, HTMX),
    Page("post", "Beitrag mit Kommentaren", EHRENAMT, _busy_post),
    Page("calendar_month", "Kalender: Monat", EHRENAMT, "/calendar/"),
    Page("calendar_agenda", "Kalender: Liste", FACHKRAFT, "/calendar/agenda"),
    Page("calendar_feed", "Kalender-Abo (ICS)", None, _feed),
    Page("proposals", "Anträge: Liste", FACHKRAFT, "/proposals/"),
    Page("proposals_inbox", "Anträge: Eingang Leitung", LEITUNG, "/proposals/inbox"),
    Page("proposals_approved", "Freigegebene Projekte", KOORDINATION, "/proposals/approved"),
    Page("proposals_target", "15-%-Zielvorgabe", KOORDINATION, "/proposals/target"),
    Page("budget", "Jugendbudget: Übersicht", LEITUNG, "/budget/"),
    Page("budget_volunteer", "Jugendbudget: Ehrenamt", EHRENAMT, "/budget/"),
    Page("ag_group", "AG-Seite", AG_MITGLIED, _ag_page),
    Page("ag_meeting", "Sitzung mit Niederschrift", AG_MITGLIED, _meeting),
    Page("ag_search", "Protokollsuche", AG_MITGLIED, "/ag/search?q=Fachkr%C3%A4fte"),
    Page("start", "Startseite „Für dich“ (Leitung)", LEITUNG, "/"),
    Page("start_volunteer", "Startseite „Für dich“ (Ehrenamt)", EHRENAMT, "/"),
    Page("search", "Suche im ganzen Portal", EHRENAMT, "/suche?q=Laternenumzug"),
    Page("search_live", "Suche: Live-Treffer (htmx-Fragment)", AG_MITGLIED, "/suche?q=Kinder",
         {"HX-Request": "true"}),
    Page("bell", "Glocke: Benachrichtigungen", EHRENAMT, "/notifications/"),
    Page("bell_fragment", "Glocke allein (htmx-Fragment)", EHRENAMT, "/notifications/bell", {"HX-Request": "true"}),
]


def resolve(db_path: Path, pages: list[Page]) -> dict[str, str]:
    os.environ["PORTAL_DATABASE_URL"] = f"sqlite:///{db_path}"
    from portal import create_app

    app = create_app()
    with app.app_context():
        return {p.name: p.path() if callable(p.path) else p.path for p in pages}
