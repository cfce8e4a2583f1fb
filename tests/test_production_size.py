"""Production size: seed-bench keeps working, the benchmarked pages run a bounded number of queries
whatever the volume, and the fixes the benchmark led to keep doing their job (no timings here)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from bench.pages import PAGES
from portal.board.models import Post
from portal.calendar import occurrences as calendar_occurrences, services as calendar_services
from portal.calendar.models import Event
from portal.extensions import db, utcnow
from portal.proposals.models import ProposalEvent, ProposalRevision

TINY = ["--ortsteile", "30", "--users", "120", "--posts", "60", "--events", "80", "--proposals", "40",
        "--ags", "2", "--meetings", "14"]  # more meetings per AG than the demo AG: the same AG is measured
MORE = ["--users", "120", "--posts", "400", "--events", "300", "--proposals", "200", "--ags", "2", "--meetings", "14"]


def seed_bench(app, args):
    result = app.test_cli_runner().invoke(args=["seed-bench", *args])
    assert result.exit_code == 0, result.output
    return result.output


def page_queries(app, client_for, count_queries) -> dict[str, int]:
    """Queries of every benchmarked page, on a warm client, as the role that uses it."""
    with app.app_context():
        paths = {p.name: p.path() if callable(p.path) else p.path for p in PAGES}
    counts = {}
    for page in PAGES:
        client = client_for(page.role)
        assert client.get(paths[page.name], headers=page.headers).status_code == 200, page.name
        with count_queries() as q:
            response = client.get(paths[page.name], headers=page.headers)
        assert response.status_code == 200, page.name
        counts[page.name] = q.count
    return counts


def test_seed_bench_fills_every_feature_consistently(app):
    output = seed_bench(app, TINY)
    assert "Benchmark-Daten angelegt" in output
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id)).where(Post.title.like("%"))) >= 60
        # Cached HTML and search text as the board's services store them.
        assert db.session.scalar(select(func.count(Post.id)).where((Post.body_html == "") | (Post.search_text == ""))) == 0
        # Every event's span covers its first occurrence; series reach further.
        events = db.session.scalars(select(Event)).all()
        assert all(e.span_start <= e.starts_at and e.span_end >= e.ends_at for e in events)
        assert any(e.is_recurring and e.span_end > e.ends_at + timedelta(days=6) for e in events)
        # One snapshot per submission.
        submits = db.session.scalar(select(func.count(ProposalEvent.id)).where(ProposalEvent.action == "submit"))
        assert submits == db.session.scalar(select(func.count(ProposalRevision.id)))
        # The bell: one entry per two posts, ids growing with time, at most ten unread per person.
        from portal.notifications.models import Notification

        assert db.session.scalar(select(func.count(Notification.id))) == 30
        times = db.session.scalars(select(Notification.created_at).order_by(Notification.id)).all()
        assert times == sorted(times)
        unread = db.session.execute(select(Notification.user_id, func.count()).where(Notification.read_at.is_(None))
                                    .group_by(Notification.user_id)).all()
        assert unread and max(n for _, n in unread) <= 10


def test_benchmarked_pages_answer_with_the_same_number_of_queries_at_more_data(app, client_as, count_queries):
    clients = {}

    def client_for(role):
        if role not in clients:
            clients[role] = client_as(role or "anonymous")
        return clients[role]

    seed_bench(app, TINY)
    small = page_queries(app, client_for, count_queries)
    seed_bench(app, MORE)
    large = page_queries(app, client_for, count_queries)
    assert large == small


# --- the fixes ------------------------------------------------------------------------------------

# The board's SQL checks (overview through its index, no max() on the first page) are in
# bench/plans_board.py; tests/test_board*.py keep the behaviour and the query counts.


def test_calendar_feed_is_kept_until_an_event_changes(app, count_queries):
    """A second poll is answered from the kept body (fewer queries: the events are not read);
    any write to an event shows in the next poll. (How often ical.build runs: bench/plans_calendar.py.)"""
    with app.app_context():
        from portal.auth.models import User
        user = db.session.scalar(select(User).where(User.email == "fachkraft@awo.example"))
        _, token = calendar_services.create_feed_token(user)
        db.session.commit()
    feed = app.test_client()
    with count_queries() as cold:
        first = feed.get(f"/calendar/feed/{token}.ics")
    with count_queries() as warm:
        second = feed.get(f"/calendar/feed/{token}.ics")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert warm.count < cold.count

    with app.app_context():
        ev = db.session.scalar(select(Event).where(Event.span_end > utcnow()).order_by(Event.id).limit(1))
        ev.title = "Familiencafé mit neuem Titel"  # any write: the "calendar" cache generation rises
        db.session.commit()
    with count_queries() as after_write:
        third = feed.get(f"/calendar/feed/{token}.ics")
    assert after_write.count == cold.count
    assert "Familiencafé mit neuem Titel" in third.get_data(as_text=True).replace("\r\n ", "")


def _single(i: int, start, hours: int = 1) -> dict:
    return dict(uid=f"busy-{i}@test", title=f"Termin {i}", starts_at=start, ends_at=start + timedelta(hours=hours),
                span_start=start, span_end=start + timedelta(hours=hours))


def _weekly(i: int, start, weeks: int = 30) -> dict:
    """A weekly series as save_event stores it (span over all its dates)."""
    last = start + timedelta(weeks=weeks - 1)
    return dict(uid=f"series-{i}@test", title=f"Serie {i}", starts_at=start, ends_at=start + timedelta(hours=1),
                repeat="weekly", interval=1, count=weeks, span_start=start, span_end=last + timedelta(hours=2))


@pytest.mark.parametrize("scenario", ["busy days", "one very busy day, then a quiet week", "series fill the page"])
def test_agenda_page_from_the_short_window_is_the_page_of_the_quarter(app, count_queries, scenario):
    """The agenda reads only as far as its page reaches; the page must be the one the quarter gives."""
    with app.app_context():
        tomorrow = calendar_occurrences.local_day_start(calendar_occurrences.today_local() + timedelta(days=1))
        if scenario == "busy days":  # 60 dates in the next three days
            rows = [_single(i, tomorrow + timedelta(hours=i)) for i in range(60)]
        elif scenario == "one very busy day, then a quiet week":  # the next page starts ten days later
            rows = [_single(i, tomorrow + timedelta(minutes=10 * i)) for i in range(45)]
            rows += [_single(99, tomorrow + timedelta(days=10, hours=9))]
        else:  # 50 weekly series from today on, a few single dates further out
            rows = [_weekly(i, tomorrow + timedelta(hours=i % 12, days=i % 7)) for i in range(50)]
            rows += [_single(i, tomorrow + timedelta(days=20 + i)) for i in range(45)]
        db.session.execute(insert(Event), [r for r in rows if "repeat" not in r])
        db.session.execute(insert(Event), [r for r in rows if "repeat" in r] or [_single(1000, tomorrow + timedelta(days=400))])
        db.session.commit()
    with app.test_request_context("/"):
        from portal.auth.models import User
        user = db.session.scalar(select(User).where(User.email == "fachkraft@awo.example"))
        start_day = calendar_occurrences.today_local()
        filters = calendar_occurrences.Filters()
        window_start, window_end = calendar_occurrences.agenda_window(start_day, filters)
        with count_queries() as q:
            days, next_day = calendar_occurrences.agenda_page(start_day, user, filters)
        with count_queries() as quiet:  # a page far out, where the quarter is read in one pass
            calendar_occurrences.agenda_page(start_day + timedelta(days=1500), user, filters)
        quarter = calendar_occurrences.occurrences(window_start, window_start + timedelta(
            days=calendar_occurrences.AGENDA_DAYS), user, filters)
        expected_days, expected_next = calendar_occurrences._agenda_days(quarter, start_day)
    assert window_end < window_start + timedelta(days=calendar_occurrences.AGENDA_DAYS), "less than the quarter"
    assert expected_next is not None
    assert next_day == expected_next
    assert [(d, [o.key for o in occ]) for d, occ in days] == [(d, [o.key for o in occ]) for d, occ in expected_days]
    assert sum(len(occ) for _, occ in days) >= calendar_occurrences.AGENDA_PAGE_SIZE
    # one pass over the events, not a second look at the quarter (the SQL itself: bench/plans_calendar.py)
    assert q.count == quiet.count
