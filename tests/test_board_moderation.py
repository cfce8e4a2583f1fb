"""Pinnwand moderation: hide with a reason, restore, pin, pre-moderation, reports, the log, and
two moderators acting on the same post."""
import re

import pytest
from sqlalchemy import insert, select

from portal.board import queries, services
from portal.board.models import Comment, ModerationAction, ModerationLogEntry, Post, PostStatus, Report
from portal.errors import Conflict
from portal.extensions import db, utcnow
from tests.board_helpers import HX, post_by_title, post_data
from tests.conftest import get_user
from tests.factories.board import make_comment, make_post, make_report, set_premoderation


def _post(app, *args, **kwargs) -> tuple[int, int]:
    """A new post (see make_post), committed: (id, version)."""
    with app.app_context():
        post = make_post(*args, **kwargs)
        db.session.commit()
        return post.id, post.version


def test_moderation_hides_a_post_and_the_author_sees_why(app, client_as):
    post_id, version = _post(app, "ehrenamt", title="Backbleche von Firma X")
    moderation = client_as("moderation")
    response = moderation.post(f"/board/posts/{post_id}/hide", headers=HX,
                               data={"reason": "Auf dem Foto sind Kinder zu erkennen.", "version": version})
    assert response.status_code == 200
    card = response.get_data(as_text=True)
    assert card.lstrip().startswith(f'<article id="post-{post_id}"')
    assert "Ausgeblendet" in card and "post-hidden" in response.headers["HX-Trigger"]

    author_view = client_as("ehrenamt").get("/board/taubach").get_data(as_text=True)
    assert "Von der Moderation ausgeblendet" in author_view
    assert "Grund: Auf dem Foto sind Kinder zu erkennen." in author_view
    overview = client_as("ehrenamt").get("/board/").get_data(as_text=True)
    assert "Deine Beiträge, die andere gerade nicht sehen" in overview
    assert "von der Moderation ausgeblendet. Grund: Auf dem Foto sind Kinder zu erkennen." in overview
    other = client_as("ehrenamt_legefeld")
    assert "Backbleche von Firma X" not in other.get("/board/taubach").get_data(as_text=True)
    assert other.get(f"/board/posts/{post_id}").status_code == 404
    with app.app_context():
        entry = db.session.scalar(select(ModerationLogEntry).order_by(ModerationLogEntry.id.desc()))
        assert (entry.action, entry.reason, entry.moderator_id) == (
            ModerationAction.HIDDEN, "Auf dem Foto sind Kinder zu erkennen.", get_user("moderation").id)
    log = moderation.get("/board/moderation/log").get_data(as_text=True)
    assert "Beitrag ausgeblendet" in log and "Auf dem Foto sind Kinder zu erkennen." in log


def test_hiding_needs_a_reason(app, client_as):
    post_id, version = _post(app)
    response = client_as("moderation").post(f"/board/posts/{post_id}/hide", data={"reason": "", "version": version})
    assert response.status_code == 422
    assert "Bitte gib einen Grund an." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Post, post_id).status == PostStatus.PUBLISHED


OPERATIONS = {
    "approve": lambda post, user: services.approve_post(post, user, post.version),
    "hide": lambda post, user: services.hide_post(post, user, post.version, reason="Grund"),
    "restore": lambda post, user: services.restore_post(post, user, post.version),
    "pin": lambda post, user: services.pin_post(post, user, post.version, pinned=True),
    "unpin": lambda post, user: services.pin_post(post, user, post.version, pinned=False),
}


@pytest.mark.parametrize("status, pinned, action, result", [
    ("pending", False, "approve", ("published", False)),
    ("published", False, "pin", ("published", True)),
    ("published", True, "unpin", ("published", False)),
    ("published", True, "hide", ("hidden", False)),
    ("pending", False, "hide", ("hidden", False)),
    ("hidden", False, "restore", ("published", False)),
    # actions that do not fit the state change nothing
    ("published", False, "approve", None),
    ("published", False, "restore", None),
    ("hidden", False, "pin", None),
    ("pending", False, "pin", None),
    ("published", True, "pin", None),
    ("published", False, "unpin", None),
    ("hidden", False, "hide", None),
])
def test_moderation_state_transitions(app, status, pinned, action, result):
    with app.app_context():
        post = make_post("ehrenamt", status=PostStatus(status), pinned=pinned)
        db.session.commit()
        post_id = post.id
        moderator = get_user("moderation")
        if result is None:
            with pytest.raises(Conflict):
                OPERATIONS[action](post, moderator)
            db.session.rollback()
            post = db.session.get(Post, post_id)
            assert (post.status.value, post.pinned) == (status, pinned)
        else:
            OPERATIONS[action](post, moderator)
            db.session.commit()
            assert (post.status.value, post.pinned) == result


@pytest.mark.parametrize("action", sorted(OPERATIONS))
def test_only_the_moderation_moderates(app, action):
    from portal.errors import NotAllowed

    with app.app_context():
        post = make_post("ehrenamt", status=PostStatus.PENDING if action == "approve" else PostStatus.PUBLISHED)
        for role in ("ehrenamt", "fachkraft", "leitung", "koordination"):
            with pytest.raises(NotAllowed):
                OPERATIONS[action](post, get_user(role))


def test_second_moderator_gets_409_with_the_current_state(app, client_as):
    post_id, version = _post(app, "ehrenamt", pinned=True)
    first, second = client_as("moderation"), client_as("admin")
    assert first.post(f"/board/posts/{post_id}/hide", headers=HX,
                      data={"reason": "Werbung", "version": version}).status_code == 200
    # The admin still has the old card (old version) open and clicks "Lösen".
    response = second.post(f"/board/posts/{post_id}/unpin", headers=HX, data={"version": version})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<article id="post-{post_id}"')  # board.js swaps it in
    assert "Inzwischen hat jemand anderes diesen Beitrag geändert" in html
    assert "Ausgeblendet" in html and "Grund: Werbung" in html
    plain = second.post(f"/board/posts/{post_id}/hide", data={"reason": "Doppelt", "version": version})
    assert plain.status_code == 409
    form = plain.get_data(as_text=True)
    assert "Doppelt</textarea>" in form  # what the moderator typed is kept
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.hidden_reason == "Werbung"
        assert f'name="version" value="{post.version}"' in form  # sending again decides on the current state
        assert db.session.scalar(select(ModerationLogEntry.id).where(ModerationLogEntry.reason == "Doppelt")) is None


def test_lost_update_between_load_and_save_is_caught_by_the_version_column(app):
    """Two requests loaded the same version; the later write must not overwrite the first."""
    from sqlalchemy.orm import Session

    with app.app_context():
        post_id = make_post("ehrenamt", pinned=True).id
        db.session.commit()
        with Session(db.engine) as other:
            stale = other.get(Post, post_id)
            post = db.session.get(Post, post_id)
            services.pin_post(post, get_user("moderation"), post.version, pinned=False)
            db.session.commit()
            stale.status, stale.hidden_reason = PostStatus.HIDDEN, "zu spät"
            with pytest.raises(Exception) as caught:
                other.commit()
            assert "StaleDataError" in type(caught.value).__name__
        db.session.expire_all()
        assert db.session.get(Post, post_id).status == PostStatus.PUBLISHED


def test_pre_moderated_post_is_invisible_to_others_until_approved(app, client_as):
    with app.app_context():
        set_premoderation("legefeld")
        db.session.commit()
    author = client_as("ehrenamt_legefeld")
    response = author.post("/board/legefeld/new", data=post_data(title="Steckenpferde-Nähnachmittag"))
    assert response.status_code == 303
    assert "wartet auf die Freigabe" in author.get("/board/legefeld").get_data(as_text=True)
    own = author.get("/board/legefeld").get_data(as_text=True)
    assert "Steckenpferde-Nähnachmittag" in own and "Wartet auf Freigabe" in own

    reader = client_as("ehrenamt")
    assert "Steckenpferde-Nähnachmittag" not in reader.get("/board/legefeld").get_data(as_text=True)
    assert "Steckenpferde-Nähnachmittag" not in reader.get("/board/alle").get_data(as_text=True)
    assert "Steckenpferde-Nähnachmittag" not in reader.get("/board/").get_data(as_text=True)
    with app.app_context():
        post = post_by_title("Steckenpferde-Nähnachmittag")
        post_id, version = post.id, post.version
    assert reader.get(f"/board/posts/{post_id}").status_code == 404

    moderation = client_as("moderation")
    assert "Steckenpferde-Nähnachmittag" in moderation.get("/board/moderation").get_data(as_text=True)
    assert moderation.post(f"/board/posts/{post_id}/approve", data={"version": version}).status_code == 303
    assert "Steckenpferde-Nähnachmittag" in reader.get("/board/legefeld").get_data(as_text=True)
    assert reader.get(f"/board/posts/{post_id}").status_code == 200


def test_moderation_posts_directly_in_a_pre_moderated_ortsteil(app, client_as):
    with app.app_context():
        set_premoderation("legefeld")
        db.session.commit()
    client_as("moderation").post("/board/legefeld/new", data=post_data(title="Hinweis der Stadt"))
    with app.app_context():
        assert post_by_title("Hinweis der Stadt").status == PostStatus.PUBLISHED


def test_edit_in_a_pre_moderated_ortsteil_goes_back_to_the_queue(app, client_as):
    with app.app_context():
        set_premoderation("legefeld")
        db.session.commit()
    post_id, version = _post(app, "ehrenamt_legefeld", "legefeld")
    response = client_as("ehrenamt_legefeld").post(f"/board/posts/{post_id}/edit", data=post_data(
        body="Jetzt mit Link zu fremder Werbung", version=version))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Post, post_id).status == PostStatus.PENDING


def test_switching_pre_moderation_is_logged(app, client_as):
    moderation = client_as("moderation")
    assert moderation.post("/board/taubach/settings", data={"premoderation": "y"}).status_code == 303
    client_as("ehrenamt").post("/board/taubach/new", data=post_data())
    with app.app_context():
        assert post_by_title("Laternen basteln am Freitag").status == PostStatus.PENDING
        actions = list(db.session.scalars(select(ModerationLogEntry.action).order_by(ModerationLogEntry.id.desc())))
        assert actions[0] == ModerationAction.PREMODERATION_ON
    moderation.post("/board/taubach/settings", data={})
    with app.app_context():
        assert not queries.settings_for(post_by_title("Laternen basteln am Freitag").ortsteil).premoderation
    assert client_as("ehrenamt").post("/board/taubach/settings", data={"premoderation": "y"}).status_code == 403


def test_pin_puts_a_post_first(app, client_as):
    first_id, version = _post(app, "ehrenamt", title="Wer hat Erfahrung mit Kinderschminken?")
    _post(app, "ehrenamt", title="Übrige Tannenzweige")
    client = client_as("fachkraft")
    html = client.get("/board/taubach").get_data(as_text=True)
    assert html.index("Übrige Tannenzweige") < html.index("Wer hat Erfahrung mit Kinderschminken?")
    client_as("moderation").post(f"/board/posts/{first_id}/pin", data={"version": version})
    html = client.get("/board/taubach").get_data(as_text=True)
    assert html.index("Wer hat Erfahrung mit Kinderschminken?") < html.index("Übrige Tannenzweige")


def test_hidden_comment_shows_a_placeholder_and_the_author_sees_why(app, client_as):
    with app.app_context():
        post = make_post("ehrenamt")
        comment = make_comment(post, "ehrenamt_legefeld", body="Dürfen wir mit der Gruppe kommen?")
        db.session.commit()
        comment_id, post_id = comment.id, post.id
    response = client_as("moderation").post(f"/board/comments/{comment_id}/hide", headers=HX,
                                            data={"reason": "Bitte keine Verabredungen mit Namen von Kindern."})
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith('<section id="comments"')
    other = client_as("fachkraft").get(f"/board/posts/{post_id}").get_data(as_text=True)
    assert "Dieser Kommentar wurde von der Moderation ausgeblendet." in other
    assert "Dürfen wir mit der Gruppe" not in other
    author = client_as("ehrenamt_legefeld").get(f"/board/posts/{post_id}").get_data(as_text=True)
    assert "Grund: Bitte keine Verabredungen mit Namen von Kindern." in author
    client_as("moderation").post(f"/board/comments/{comment_id}/restore")
    assert "Dürfen wir mit der Gruppe" in client_as("fachkraft").get(f"/board/posts/{post_id}").get_data(as_text=True)


def test_report_dismissed_leaves_the_queue_and_is_logged(app, client_as):
    with app.app_context():
        report_id = make_report(post=make_post("ehrenamt"), reason="Bitte prüfen: Testmeldung 4711").id
        db.session.commit()
    moderation = client_as("moderation")
    assert "Bitte prüfen: Testmeldung 4711" in moderation.get("/board/moderation/meldungen").get_data(as_text=True)
    dismissed = moderation.post(f"/board/reports/{report_id}/dismiss",
                                data={"next": "/board/moderation/meldungen?nach=1"})
    assert dismissed.status_code == 303 and dismissed.location.endswith("/board/moderation/meldungen?nach=1")
    assert "Bitte prüfen: Testmeldung 4711" not in moderation.get("/board/moderation/meldungen").get_data(as_text=True)
    again = moderation.post(f"/board/reports/{report_id}/dismiss", data={"next": "https://example.org/"},
                            follow_redirects=True)
    assert "Diese Meldung hat schon jemand erledigt." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ModerationLogEntry.action).order_by(ModerationLogEntry.id.desc())) == \
            ModerationAction.REPORT_DISMISSED


def test_hiding_a_reported_post_resolves_its_reports(app, client_as):
    with app.app_context():
        post = make_post("ehrenamt")
        make_report(post=post)
        db.session.commit()
        post_id, version = post.id, post.version
    client_as("moderation").post(f"/board/posts/{post_id}/hide", data={"reason": "Doppelt gepostet", "version": version})
    with app.app_context():
        assert db.session.scalar(select(Report.id).where(Report.post_id == post_id, Report.resolved_at.is_(None))) is None


def test_hiding_from_the_reports_leads_back_to_them(app, client_as):
    with app.app_context():
        post = make_post("ehrenamt")
        make_report(post=post)
        db.session.commit()
        post_id, version = post.id, post.version
    moderation = client_as("moderation")
    reports = moderation.get("/board/moderation/meldungen").get_data(as_text=True)
    assert f'href="/board/posts/{post_id}/hide?next=/board/moderation/meldungen"' in reports
    form = moderation.get(f"/board/posts/{post_id}/hide?next=/board/moderation/meldungen").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/board/moderation/meldungen">' in form
    done = moderation.post(f"/board/posts/{post_id}/hide",
                           data={"reason": "Doppelt gepostet", "version": version, "next": "/board/moderation/meldungen"})
    assert done.status_code == 303 and done.location.endswith("/board/moderation/meldungen")


def test_moderator_deletes_with_a_reason_that_stays_in_the_log(app, client_as):
    post_id, _ = _post(app, "ehrenamt", title="Beitrag, der gelöscht wird")
    moderation = client_as("moderation")
    assert moderation.post(f"/board/posts/{post_id}/delete", data={"reason": ""}).status_code == 422
    assert moderation.post(f"/board/posts/{post_id}/delete", data={"reason": "Auf Wunsch der Autorin"}).status_code == 303
    with app.app_context():
        entry = db.session.scalar(select(ModerationLogEntry).where(ModerationLogEntry.action == ModerationAction.DELETED))
        assert entry.subject == "Beitrag, der gelöscht wird" and entry.post_id is None
        assert entry.reason == "Auf Wunsch der Autorin"


def test_waiting_post_cannot_be_commented_or_thanked(app, client_as):
    post_id, _ = _post(app, "ehrenamt_legefeld", "legefeld", status=PostStatus.PENDING)
    author = client_as("ehrenamt_legefeld")
    assert author.get(f"/board/posts/{post_id}").status_code == 200
    assert author.post(f"/board/posts/{post_id}/comments", data={"body": "Hallo"}).status_code == 409
    assert author.post(f"/board/posts/{post_id}/comments", data={"body": ""}).status_code == 409
    assert author.post(f"/board/posts/{post_id}/thanks").status_code == 409
    with app.app_context():
        assert db.session.scalar(select(Comment.id).where(Comment.post_id == post_id)) is None


def _follow(client, url: str, pattern: str) -> tuple[set, str]:
    """Follow the "Weitere …" links of a list; all matches of ``pattern`` and the last page's HTML."""
    seen = set()
    for _ in range(10):
        html = client.get(url).get_data(as_text=True)
        seen |= set(re.findall(pattern, html))
        more = re.search(r'href="([^"]+)" rel="next"', html)
        if not more:
            return seen, html
        assert "nach=" in more.group(1)
        url = more.group(1).replace("&amp;", "&")
    raise AssertionError("the list did not end")


def test_queue_pages_through_every_waiting_post_and_report(app, client_as):
    """More than a page of each: each list says how many there are and leads to the rest."""
    with app.app_context():
        author, reporter = get_user("ehrenamt").id, get_user("fachkraft").id
        board = make_post("ehrenamt").ortsteil_id
        start = db.session.scalar(select(db.func.max(Post.id)))
        db.session.execute(insert(Post), [
            {"ortsteil_id": board, "author_id": author, "category": "idee", "title": f"Wartet {i:02d}", "body": "T",
             "body_html": "<p>T</p>", "search_text": "t", "status": "pending", "pinned": False,
             "created_at": utcnow(), "version": 1} for i in range(60)])
        db.session.execute(insert(Report), [
            {"post_id": start + 1 + i, "reporter_id": reporter, "reason": f"Meldung {i:02d}", "created_at": utcnow()}
            for i in range(55)])
        db.session.commit()
        pending_total, reports_total = queries.pending_count(), queries.open_report_count()
    moderation = client_as("moderation")
    first = moderation.get("/board/moderation").get_data(as_text=True)
    assert f'Beiträge, die auf Freigabe warten (<span id="pending-count">{pending_total}</span>)' in first
    assert f"Meldungen ({reports_total})" in first
    assert len(re.findall(r'class="post post--pending', first)) == queries.QUEUE_PAGE_SIZE
    reports = moderation.get("/board/moderation/meldungen").get_data(as_text=True)
    assert f"Offene Meldungen ({reports_total})" in reports
    assert len(re.findall(r'class="card report"', reports)) == queries.QUEUE_PAGE_SIZE

    seen_pending, last = _follow(moderation, "/board/moderation", r"Wartet \d\d")
    assert len(seen_pending) == 60 and "Zu den ältesten wartenden Beiträgen" in last
    seen_reports, last = _follow(moderation, "/board/moderation/meldungen", r"Meldung \d\d")
    assert len(seen_reports) == 55 and "Zu den ältesten Meldungen" in last


def test_moderation_log_pages_with_nach(app, client_as):
    with app.app_context():
        moderator = get_user("moderation").id
        db.session.execute(insert(ModerationLogEntry), [
            {"moderator_id": moderator, "action": "report_dismissed", "subject": f"Eintrag {i:03d}", "reason": "",
             "created_at": utcnow()} for i in range(120)])
        db.session.commit()
    seen, last = _follow(client_as("moderation"), "/board/moderation/log", r"Eintrag \d\d\d")
    assert len(seen) == 120 and "Zu den neuesten Einträgen" in last


# --- the kept overview cards (board.views._overview_cards) ----------------------------------------------

def _cards(client) -> str:
    html = client.get("/board/").get_data(as_text=True)
    return html[html.index('<ul class="cards board-cards">'):html.index("</main>")]


def _new_published_post():
    make_post(title="Frisch an der Pinnwand")
    return "Frisch an der Pinnwand"


def _hidden_by_moderation():
    post = db.session.scalar(select(Post).where(Post.title == "Oben auf der Taubacher Pinnwand"))
    post.status = PostStatus.HIDDEN
    make_post(title="Bleibt sichtbar")
    return "Bleibt sichtbar"


def _premoderation_on():
    set_premoderation("taubach")
    return "mit Prüfung"


def _renamed_ortsteil():
    from tests.board_helpers import ortsteil

    ortsteil("taubach").name = "Taubach an der Ilm"
    return "Taubach an der Ilm"


@pytest.mark.parametrize("write", [_new_published_post, _hidden_by_moderation, _premoderation_on, _renamed_ortsteil],
                         ids=["post", "hidden", "premoderation", "place"])
def test_kept_overview_shows_every_write_at_once_in_both_workers(app, write):
    from tests.conftest import two_workers

    with app.app_context():
        make_post(title="Oben auf der Taubacher Pinnwand")
        db.session.commit()
    with two_workers(app, "ehrenamt_legefeld") as (first, second):
        before = _cards(first)
        assert "Oben auf der Taubacher Pinnwand" in before and _cards(second) == before
        with app.app_context():
            shows = write()
            db.session.commit()
        for client in (first, second):
            after = _cards(client)
            assert shows in after and after != before
            if write is _hidden_by_moderation:
                assert "Oben auf der Taubacher Pinnwand" not in after


@pytest.mark.parametrize("order", [("ehrenamt", "ehrenamt_legefeld", "moderation"),
                                   ("moderation", "ehrenamt_legefeld", "ehrenamt")])
def test_kept_overview_never_shows_a_waiting_post_to_others_or_another_persons_marks(app, order):
    """The waiting post stays out of the shared cards (its author finds it in her own list above them);
    the Moderation's cards show it; "Dein Ortsteil" marks only the viewer's own Ortsteile."""
    from tests.conftest import signed_in

    with app.app_context():
        make_post(title="Wartet noch auf die Moderation", status=PostStatus.PENDING)
        db.session.commit()
    pages = {role: signed_in(app, role).get("/board/").get_data(as_text=True) for role in order}
    cards = {role: page[page.index('<ul class="cards board-cards">'):] for role, page in pages.items()}
    assert "Wartet noch auf die Moderation" in cards["moderation"]
    assert "Wartet noch auf die Moderation" not in cards["ehrenamt_legefeld"]
    assert "Wartet noch auf die Moderation" not in cards["ehrenamt"]
    mine = pages["ehrenamt"][pages["ehrenamt"].index("Deine Beiträge, die andere gerade nicht sehen"):]
    assert "Wartet noch auf die Moderation" in mine[:mine.index("</section>")]
    assert "Wartet noch auf die Moderation" not in pages["ehrenamt_legefeld"]
    first_card = {role: c[:c.index("</li>")] for role, c in cards.items()}
    assert ">Taubach</a>" in first_card["ehrenamt"] and "Dein Ortsteil" in first_card["ehrenamt"]
    assert ">Legefeld</a>" in first_card["ehrenamt_legefeld"] and "Dein Ortsteil" in first_card["ehrenamt_legefeld"]
    assert "Dein Ortsteil" not in cards["moderation"]
