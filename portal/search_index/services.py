"""Build, keep and query the search index.

Writing: ``index_*`` turn one source object into its entries (replacing the old ones); the
listeners in ``connect_listeners`` call them from the domain events (portal.signals), inside the
operation's transaction. ``reindex_all`` rebuilds everything (``flask search reindex``, seed-demo).

Reading: ``search`` joins the entries to their sources and applies each feature's visibility rule
in SQL, then matches the words with the database's own engine (FTS5 on SQLite, tsvector 'german'
on PostgreSQL). Hits are listed newest first and paged by portal.paging. On SQLite a rare word is
read from the full-text index, a frequent one along the date index (``Plan``); every plan gives the
same hits (tests/test_search.py runs each search in all of them).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import Select, String, and_, bindparam, delete, false, func, literal_column, or_, select, text, true
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.selectable import TextualSelect

from portal import signals
from portal.extensions import db
from portal.formatting import BERLIN
from portal.paging import Page, PageStatements, page_statements, run_page
from portal.search import index_terms, query_terms
from portal.search_index.models import Kind, SearchEntry

#: Hits per page: ten, as the big search engines show (a phone screen holds about five with snippets).
PAGE_SIZE = 10
#: Hits counted at most; a common word shows "mehr als 100 Treffer" and the hint to narrow the search
#: (nobody pages through more; counting each further visible hit costs about 3 µs at production
#: size: "Laternenumzug" counted to 1,000 took 3.3 ms, a quarter of the page, bench/NOTES.md).
MAX_COUNTED = 100


# --- writing -----------------------------------------------------------------------------------

def _replace(kind: Kind, object_id: int, **fields) -> None:
    """Store the entry of (kind, object_id), replacing the old one (or drop it when fields is empty)."""
    entry = db.session.scalar(select(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.object_id == object_id))
    if not fields:
        if entry is not None:
            db.session.delete(entry)
        return
    if entry is None:
        entry = SearchEntry(kind=kind, object_id=object_id)
        db.session.add(entry)
    for column in ("post_id", "comment_id", "event_id", "proposal_id", "meeting_id", "agenda_item_id",
                   "ortsteil_id", "sozialraum_id", "group_id"):
        setattr(entry, column, fields.get(column))
    entry.title = (fields.get("title") or "")[:300]
    entry.body = fields.get("body") or ""
    entry.happened_at = fields["happened_at"]
    entry.terms = _terms_of(kind, entry.title, entry.body)


#: Kinds whose title is their own: a comment, a TOP's minutes and a decision show the title of their
#: post or TOP for orientation, but are found by their own text only (else each would repeat the
#: post's or TOP's hit).
_OWN_TITLE = frozenset({Kind.POST, Kind.EVENT, Kind.PROPOSAL, Kind.AGENDA})


def _terms_of(kind: Kind, title: str, body: str) -> str:
    return index_terms(title, body) if kind in _OWN_TITLE else index_terms(body)


def _day(value) -> datetime:
    return datetime.combine(value, time(0, 0), tzinfo=BERLIN)


def post_fields(post) -> dict:
    return dict(post_id=post.id, ortsteil_id=post.ortsteil_id,
                sozialraum_id=post.ortsteil.sozialraum_id if post.ortsteil else None,
                title=post.title, body=post.body, happened_at=post.created_at)


def index_post(post, *, with_comments: bool = False) -> None:
    _replace(Kind.POST, post.id, **post_fields(post))
    if with_comments:
        for comment in post.comments:
            index_comment(comment)


def index_comment(comment) -> None:
    post = comment.post
    _replace(Kind.COMMENT, comment.id, post_id=post.id, comment_id=comment.id, ortsteil_id=post.ortsteil_id,
             sozialraum_id=post.ortsteil.sozialraum_id if post.ortsteil else None,
             title=post.title, body=comment.body, happened_at=comment.created_at)


def event_fields(event) -> dict:
    sozialraum_id = event.sozialraum_id or (event.ortsteil.sozialraum_id if event.ortsteil else None)
    body = "\n".join(part for part in (event.description, event.place) if part)
    return dict(event_id=event.id, ortsteil_id=event.ortsteil_id, sozialraum_id=sozialraum_id,
                title=event.title, body=body, happened_at=event.starts_at)


def index_event(event) -> None:
    _replace(Kind.EVENT, event.id, **event_fields(event))


def proposal_fields(proposal) -> dict:
    body = "\n".join(f"{label}: {value}" for label, value in (
        ("Zielgruppe", proposal.target_group), ("Inhalt", proposal.content),
        ("Erhoffte Wirkung", proposal.expected_effect)) if value)
    return dict(proposal_id=proposal.id, sozialraum_id=proposal.sozialraum_id, title=proposal.display_title,
                body=body, happened_at=proposal.submitted_at or proposal.created_at)


def index_proposal(proposal) -> None:
    _replace(Kind.PROPOSAL, proposal.id, **proposal_fields(proposal))


def meeting_entries(meeting, items) -> list[dict]:
    """The entries of one meeting: per TOP its title and description, its minutes, its decisions."""
    place = dict(meeting_id=meeting.id, group_id=meeting.group_id, happened_at=_day(meeting.date))
    out = []
    for item in items:
        at = dict(place, agenda_item_id=item.id)
        title = f"{item.label}: {item.title}"
        out.append(dict(at, kind=Kind.AGENDA, object_id=item.id, title=title, body=item.description or ""))
        if item.minutes.strip():
            out.append(dict(at, kind=Kind.MINUTES, object_id=item.id, title=title, body=item.minutes))
        for decision in item.decisions:
            out.append(dict(at, kind=Kind.DECISION, object_id=decision.id, title=title, body=decision.text))
    return out


def index_meeting(meeting) -> None:
    from portal.ag.models import AgendaItem

    db.session.execute(delete(SearchEntry).where(SearchEntry.meeting_id == meeting.id)
                       .execution_options(synchronize_session="fetch"))
    items = db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                               .options(selectinload(AgendaItem.decisions)).order_by(AgendaItem.position))
    for fields in meeting_entries(meeting, items):
        _add(fields)


def _add(fields: dict) -> None:
    fields = dict(fields)
    fields["title"] = (fields.get("title") or "")[:300]
    fields["body"] = fields.get("body") or ""
    db.session.add(SearchEntry(**fields, terms=_terms_of(fields["kind"], fields["title"], fields["body"])))


def drop(**where) -> None:
    """Remove the entries of a deleted source (e.g. ``post_id=3``: the post and its comments)."""
    (column, value), = where.items()
    db.session.execute(delete(SearchEntry).where(getattr(SearchEntry, column) == value)
                       .execution_options(synchronize_session="fetch"))


def reindex_all() -> int:
    """Rebuild the whole index from the sources; returns the number of entries. The caller commits."""
    from portal.ag.models import AgendaItem, Meeting
    from portal.board.models import Comment, Post
    from portal.calendar.models import Event
    from portal.proposals.models import Proposal

    db.session.execute(delete(SearchEntry))
    count = 0
    for post in db.session.scalars(select(Post).options(joinedload(Post.ortsteil)).execution_options(yield_per=500)):
        _add(dict(kind=Kind.POST, object_id=post.id, **post_fields(post)))
        count += 1
    comments = select(Comment).options(joinedload(Comment.post).joinedload(Post.ortsteil))
    for comment in db.session.scalars(comments.execution_options(yield_per=500)):
        post = comment.post
        _add(dict(kind=Kind.COMMENT, object_id=comment.id, post_id=post.id, comment_id=comment.id,
                  ortsteil_id=post.ortsteil_id, sozialraum_id=post.ortsteil.sozialraum_id if post.ortsteil else None,
                  title=post.title, body=comment.body, happened_at=comment.created_at))
        count += 1
    for event in db.session.scalars(select(Event).options(joinedload(Event.ortsteil))):
        _add(dict(kind=Kind.EVENT, object_id=event.id, **event_fields(event)))
        count += 1
    for proposal in db.session.scalars(select(Proposal)):
        _add(dict(kind=Kind.PROPOSAL, object_id=proposal.id, **proposal_fields(proposal)))
        count += 1
    items = db.session.scalars(select(AgendaItem).join(AgendaItem.meeting)
                               .options(selectinload(AgendaItem.decisions), joinedload(AgendaItem.meeting))
                               .order_by(Meeting.id, AgendaItem.position)).all()
    for item in items:
        for fields in meeting_entries(item.meeting, [item]):
            _add(fields)
            count += 1
    db.session.flush()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))
    return count


# --- listeners -----------------------------------------------------------------------------------

def _on_post(post, **kw) -> None:
    index_post(post)


def _on_post_deleted(post, **kw) -> None:
    drop(post_id=post.id)


def _on_comment_added(comment, **kw) -> None:
    """A new comment, or one its author corrected: (re)index its text."""
    index_comment(comment)


def _on_comment_moderated(comment, action: str = "", **kw) -> None:
    if action == "deleted":
        drop(comment_id=comment.id)
    else:  # hidden or restored: who sees it is decided at query time; the entry stays current
        index_comment(comment)


def _on_event(event, change: str = "", **kw) -> None:
    if change == "deleted":
        drop(event_id=event.id)
    else:
        index_event(event)


def _on_proposal(proposal, **kw) -> None:
    index_proposal(proposal)


def _on_meeting(meeting, change: str = "", **kw) -> None:
    if change == "deleted":
        drop(meeting_id=meeting.id)
    else:
        index_meeting(meeting)


def connect_listeners() -> None:
    """Called once from create_app (portal._connect_features)."""
    for signal in (signals.post_created, signals.post_updated, signals.post_approved, signals.post_hidden,
                   signals.post_restored):
        signal.connect(_on_post)
    signals.post_deleted.connect(_on_post_deleted)
    signals.comment_added.connect(_on_comment_added)
    signals.comment_edited.connect(_on_comment_added)
    signals.comment_moderated.connect(_on_comment_moderated)
    signals.event_changed.connect(_on_event)
    for signal in (signals.proposal_created, signals.proposal_updated, signals.proposal_submitted,
                   signals.proposal_returned, signals.proposal_decided, signals.proposal_withdrawn,
                   signals.proposal_report):
        signal.connect(_on_proposal)
    for signal in (signals.meeting_scheduled, signals.meeting_updated, signals.minutes_published,
                   signals.minutes_approved, signals.minutes_withdrawn):
        signal.connect(_on_meeting)


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    q: str = ""
    #: A Kind value or "" for all.
    kind: str = ""
    #: "o<id>" (Ortsteil), "s<id>" (Sozialraum), "ag<id>" (AG) or "".
    place: str = ""


def _place_condition(place: str):
    for prefix, column in (("ag", SearchEntry.group_id), ("o", SearchEntry.ortsteil_id),
                           ("s", SearchEntry.sozialraum_id)):
        if place.startswith(prefix) and place[len(prefix):].isascii() and place[len(prefix):].isdigit() \
                and len(place) < 12:
            return column == int(place[len(prefix):])
    return None


def visible_entries(user) -> Select:
    """SQL: the entries ``user`` may see, by each source's own rule (joined at query time).

    The statement holds the person's ids and today's date, never data (``_statements`` keeps it)."""
    from portal.ag.models import AgendaItem, Meeting, MinutesStatus
    from portal.ag.services import agenda_item_visible, visible_group_ids
    from portal.board.models import Comment, Post
    from portal.proposals.models import Proposal

    if not (user and user.is_authenticated):
        return select(SearchEntry).where(false())
    groups = visible_group_ids(user)
    group_ok = true() if groups is None else SearchEntry.group_id.in_(groups)
    published = Meeting.minutes_status != MinutesStatus.ENTWURF
    rule = or_(
        and_(SearchEntry.kind == Kind.POST, Post.visible_to(user)),
        and_(SearchEntry.kind == Kind.COMMENT, Post.visible_to(user), Comment.visible_to(user)),
        # One shared calendar: every signed-in user sees every event (Event.can_view).
        SearchEntry.kind == Kind.EVENT,
        and_(SearchEntry.kind == Kind.PROPOSAL, Proposal.visible_to(user)),
        # nicht öffentliche TOPs (and their minutes and decisions) only for the AG's members
        and_(SearchEntry.kind == Kind.AGENDA, group_ok, agenda_item_visible(user)),
        and_(SearchEntry.kind.in_([Kind.MINUTES, Kind.DECISION]), group_ok, published, agenda_item_visible(user)),
    )
    return (select(SearchEntry)
            .outerjoin(Post, SearchEntry.post_id == Post.id)
            .outerjoin(Comment, SearchEntry.comment_id == Comment.id)
            .outerjoin(Proposal, SearchEntry.proposal_id == Proposal.id)
            .outerjoin(Meeting, SearchEntry.meeting_id == Meeting.id)
            .outerjoin(AgendaItem, SearchEntry.agenda_item_id == AgendaItem.id)
            .where(rule))


#: SQLite: a word with at least this many entries is read by date (``Match``); from VERY_FREQUENT on,
#: with one full-text lookup per entry instead of collecting its entries first. Measured at production
#: size (bench/NOTES.md): below FREQUENT sorting the matches is cheaper, above VERY_FREQUENT collecting.
FREQUENT = 5000
VERY_FREQUENT = 25_000
#: SQLite: the ids of the entries that match ``:search_query``.
_MATCHING_ROWIDS = "SELECT rowid FROM search_fts WHERE search_fts MATCH :search_query"
#: Prefix lengths with their own FTS5 index (migration 0022).
PREFIX_INDEXED = (3, 4, 5, 6)
#: A longer prefix is searched as the indexed words it begins, if they are at most this many.
EXPANDED_WORDS = 12


#: The bound parameter that carries the query text of the engine (FTS5 or tsquery syntax).
_QUERY = bindparam("search_query", type_=String)


class Plan(enum.Enum):
    """How a search finds the entries that contain every word of the query (see ``match``): the
    same hits on SQLite and PostgreSQL, in three plans on SQLite. Its statements hold the query
    text only as the parameter ``search_query``, so they can be built once and run for every query."""
    #: PostgreSQL: the tsvector condition (its planner weighs GIN against the date index itself).
    TSVECTOR = "tsvector"
    #: SQLite, a rare word: the ids of the matching entries, from FTS5.
    COLLECTED = "collected"
    #: SQLite, a frequent word: the date index read backwards (which stops after one page instead
    #: of sorting thousands of matches), each entry checked against the matches collected once.
    BY_DATE_LIST = "by-date-list"
    #: SQLite, a very frequent word: the same, with one full-text lookup per entry (collecting the
    #: matches would cost more).
    BY_DATE_LOOKUP = "by-date-lookup"

    def listed(self, stmt: Select) -> Select:
        """``stmt`` narrowed to the matches, driven by the full-text index (counting, rare words)."""
        if self is Plan.TSVECTOR:
            tsquery = func.to_tsquery(literal_column("'german'::regconfig"), _QUERY)
            return stmt.where(func.to_tsvector(literal_column("'german'::regconfig"), SearchEntry.terms)
                              .op("@@")(tsquery))
        # A join, not ``id IN (…)``: SQLite would first collect every match of the IN list.
        fts = _matching_rowids().subquery("fts")
        return stmt.join(fts, fts.c.rowid == SearchEntry.id)

    def paged(self, stmt: Select) -> Select:
        """``stmt`` narrowed to the matches, for one page newest first."""
        if self is Plan.BY_DATE_LIST:
            # "+" keeps SQLite from looking the entries up by these ids (which would mean sorting
            # all of them again).
            return stmt.where(text(f"+search_entry.id IN ({_MATCHING_ROWIDS})").bindparams(_QUERY))
        if self is Plan.BY_DATE_LOOKUP:
            return stmt.where(text("EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH :search_query "
                                   "AND search_fts.rowid = search_entry.id)").bindparams(_QUERY))
        return self.listed(stmt)


@dataclass(frozen=True)
class Match:
    """The plan of one query and its text in the engine's syntax: ``"ferienfreizeit" AND "sommer"*``
    (FTS5), ``ferienfreizeit & sommer:*`` (tsquery)."""
    plan: Plan
    query: str

    @property
    def params(self) -> dict:
        return {"search_query": self.query}


def _matching_rowids() -> TextualSelect:
    return text(_MATCHING_ROWIDS).bindparams(_QUERY).columns(rowid=SearchEntry.id.type)


#: SQLite: how long a word's number of matches is kept (it only chooses the plan, never the hits).
FREQUENCY_MAX_AGE = 600
#: Words (and prefixes) whose statistics a worker keeps.
KEPT_TERMS = 1024


def _words_beginning(prefix: str) -> list[str] | None:
    """SQLite: the indexed words that begin with ``prefix`` (FTS5's vocabulary table of migration
    0022), or None when there are more than EXPANDED_WORDS.

    Kept until the index changes (generation ``search_terms``): the expansion decides the hits."""
    from portal.caching import generation, kept

    def read() -> list[str] | None:
        words = db.session.scalars(text("SELECT term FROM search_vocab WHERE term >= :prefix AND term < :end LIMIT :n")
                                   .bindparams(prefix=prefix, end=prefix + "\U0010ffff", n=EXPANDED_WORDS + 1)).all()
        return None if len(words) > EXPANDED_WORDS else words

    return kept("search_words", KEPT_TERMS, ("words", prefix, EXPANDED_WORDS, generation("search_terms")), read)


def _matches_up_to(fts_query: str) -> int:
    """SQLite: how many entries match ``fts_query``, counted up to VERY_FREQUENT – the statistic
    that chooses the plan (SQLite's planner cannot tell a frequent word from a rare one).

    Kept for FREQUENCY_MAX_AGE seconds like a planner's statistics: every plan gives the same hits,
    so an older count can only cost time, and counting a frequent word ("Kinder") was a fifth of
    the search (bench/NOTES.md)."""
    from portal.caching import kept

    first = _matching_rowids().subquery()
    count = select(func.count()).select_from(select(first.c.rowid).limit(VERY_FREQUENT).subquery())
    return kept("search_frequency", KEPT_TERMS, ("matches", fts_query, VERY_FREQUENT),
                lambda: db.session.scalar(count, {"search_query": fts_query}), max_age=FREQUENCY_MAX_AGE)


def match(q: str) -> Match | None:
    """How to find the entries whose words contain every word of ``q``, or None when ``q`` has no
    searchable word."""
    terms, prefix = query_terms(q)
    if not terms:
        return None
    # The terms are letters and digits only (portal.search._WORD): no operator of either engine.
    if db.engine.dialect.name == "postgresql":
        return Match(Plan.TSVECTOR, " & ".join([*terms[:-1], terms[-1] + (":*" if prefix else "")]))
    last = f'"{terms[-1]}"' + ("*" if prefix else "")
    # A prefix without its own index: a probe would merge every word it begins. The few indexed
    # words it begins ("laternenumz" -> laternenumzug) are looked up instead; if there are many,
    # the full-text index collects the matches once.
    unindexed_prefix = prefix and len(terms[-1]) > max(PREFIX_INDEXED)
    words = _words_beginning(terms[-1]) if unindexed_prefix else None
    if words:
        last = "(" + " OR ".join(f'"{w}"' for w in words) + ")"
    fts_query = " AND ".join([*(f'"{t}"' for t in terms[:-1]), last])
    if unindexed_prefix and not words:
        return Match(Plan.COLLECTED, fts_query)
    matches = _matches_up_to(fts_query)
    if matches < FREQUENT:
        return Match(Plan.COLLECTED, fts_query)
    return Match(Plan.BY_DATE_LIST if matches < VERY_FREQUENT else Plan.BY_DATE_LOOKUP, fts_query)


#: The order of the hits: newest first.
HIT_ORDER = ((SearchEntry.happened_at, "desc"), (SearchEntry.id, "desc"))
#: Statements kept per worker: one set per person, plan and filter (see ``_statements``).
KEPT_STATEMENTS = 512


def search(user, query: Query, cursor: int | None = None, limit: int = PAGE_SIZE) -> Page | None:
    """One page of hits for ``user`` (None when the query has no searchable word), with the total
    (counted up to MAX_COUNTED + 1)."""
    found = match(query.q)
    if found is None:
        return None
    if not (user and user.is_authenticated):
        return Page(items=[], next_cursor=None, total=0)
    kind = query.kind if query.kind in {k.value for k in Kind} else ""
    return run_page(_statements(user, found.plan, kind, query.place, limit), cursor, params=found.params)


def _statements(user, plan: Plan, kind: str, place: str, limit: int) -> PageStatements:
    """The page and count statements of ``user``'s search in ``plan`` with these filters.

    Kept per person (as her visibility statement), plan and filter: they hold ids, today's date and
    the query only as a parameter. Building them and letting SQLAlchemy key the large visibility
    condition afresh was a fifth of a search (bench/NOTES.md)."""
    from portal.caching import kept, person_key

    def build() -> PageStatements:
        stmt = visible_entries(user)
        if kind:
            stmt = stmt.where(SearchEntry.kind == Kind(kind))
        place_condition = _place_condition(place)
        if place_condition is not None:
            stmt = stmt.where(place_condition)
        paged = plan.paged(stmt).options(joinedload(SearchEntry.ortsteil), joinedload(SearchEntry.sozialraum),
                                          joinedload(SearchEntry.group))
        return page_statements(paged, HIT_ORDER, limit, id_column=SearchEntry.id, count=True,
                               count_up_to=MAX_COUNTED, count_stmt=plan.listed(stmt))

    key = ("search", person_key(user), plan, kind, place, limit, MAX_COUNTED)
    return kept("search_statements", KEPT_STATEMENTS, key, build)


def hits_label(total: int) -> str:
    """"1 Treffer", "37 Treffer", "mehr als 100 Treffer" (the count stops at MAX_COUNTED)."""
    if total > MAX_COUNTED:
        return f"mehr als {MAX_COUNTED:,} Treffer".replace(",", ".")
    return f"{total} Treffer"


def place_choices(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """The place filter's options, grouped: Sozialräume, Ortsteile, the AGs ``user`` may see.

    Kept per person until a place, an AG or a membership changes (generation ``search_places``):
    three queries and some 75 options on every search page, for lists that change a few times a
    year (bench/NOTES.md)."""
    from portal.caching import generation, kept, person_key

    key = ("search_places", person_key(user), generation("search_places"))
    return kept("search_places", 256, key, lambda: _build_place_choices(user))


def _build_place_choices(user) -> list[tuple[str, list[tuple[str, str]]]]:
    from portal.ag.services import groups_for
    from portal.org.models import Ortsteil, Sozialraum

    sozialraeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
    ortsteile = db.session.scalars(select(Ortsteil).order_by(Ortsteil.name)).all()
    return [
        ("Sozialräume", [(f"s{s.id}", f"Sozialraum {s.name}") for s in sozialraeume]),
        ("Ortsteile", [(f"o{o.id}", o.name) for o in ortsteile]),
        ("AGs", [(f"ag{g.id}", g.short_name or g.name) for g in groups_for(user)]),
    ]
