"""Build, keep and query the search index.

Writing: ``index_*`` turn one source object into its entries (replacing the old ones); the
listeners in ``connect_listeners`` call them from the domain events (portal.signals), inside the
operation's transaction. ``reindex_all`` rebuilds everything (``flask search reindex``, seed-demo).

Reading: ``search`` joins the entries to their sources and applies each feature's visibility rule
in SQL, then matches the words with the database's own engine (FTS5 on SQLite, tsvector 'german'
on PostgreSQL). Hits are listed newest first – an entry's id sorts that way (``entry_id``), so on
SQLite FTS5 reads a word's entries in list order and stops after one page – and paged by
portal.paging; the same queries give the same hits on both databases (tests/test_search.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import (BigInteger, Column, MetaData, Select, String, Table, and_, bindparam, delete, false, func,
                        literal_column, or_, select, text, true)
from sqlalchemy.orm import joinedload, selectinload

from portal import signals
from portal.extensions import db
from portal.formatting import BERLIN
from portal.paging import Page, PageStatements, run_page
from portal.search import index_terms, query_terms
from portal.search_index.models import Kind, SearchEntry, entry_id

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
    entry.id = entry_id(kind, object_id, entry.happened_at)  # a new date moves the entry in the list


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
    db.session.add(SearchEntry(**fields, id=entry_id(fields["kind"], fields["object_id"], fields["happened_at"]),
                               terms=_terms_of(fields["kind"], fields["title"], fields["body"])))


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


#: Prefix lengths with their own FTS5 index (migration 0022).
PREFIX_INDEXED = (3, 4, 5, 6)
#: A longer prefix is searched as the indexed words it begins, if they are at most this many.
EXPANDED_WORDS = 12
#: Prefixes whose words a worker keeps.
KEPT_PREFIXES = 1024

#: SQLite: FTS5's table as far as a search needs it. Its rowid is the entry's id (migration 0023), so
#: ``ORDER BY search_fts.rowid DESC`` reads a word's entries newest first and stops after one page;
#: the key "id" lets the keyset pager look a cursor's sort key up as the entry's id.
_FTS = Table("search_fts", MetaData(), Column("rowid", BigInteger, key="id"))
#: The query in the engine's syntax (``"ferienfreizeit" AND "sommer"*`` for FTS5,
#: ``ferienfreizeit & sommer:*`` for to_tsquery), bound when a search runs.
_QUERY = bindparam("search_query", type_=String)


def _words_beginning(prefix: str) -> list[str] | None:
    """SQLite: the indexed words that begin with ``prefix`` (FTS5's vocabulary table of migration
    0022), or None when there are more than EXPANDED_WORDS.

    Kept until the index changes (generation ``search_terms``): the expansion decides the hits."""
    from portal.caching import generation, kept

    def read() -> list[str] | None:
        words = db.session.scalars(text("SELECT term FROM search_vocab WHERE term >= :prefix AND term < :end LIMIT :n")
                                   .bindparams(prefix=prefix, end=prefix + "\U0010ffff", n=EXPANDED_WORDS + 1)).all()
        return None if len(words) > EXPANDED_WORDS else words

    return kept("search_words", KEPT_PREFIXES, ("words", prefix, EXPANDED_WORDS, generation("search_terms")), read)


def engine_query(q: str) -> str | None:
    """``q`` in the syntax of the database's full-text engine, or None when it has no searchable word:
    every word must occur, the last also as a prefix."""
    terms, prefix = query_terms(q)
    if not terms:
        return None
    # The terms are letters and digits only (portal.search._WORD): no operator of either engine.
    if db.engine.dialect.name == "postgresql":
        return " & ".join([*terms[:-1], terms[-1] + (":*" if prefix else "")])
    last = f'"{terms[-1]}"' + ("*" if prefix else "")
    # A prefix without its own index: a probe would merge every word it begins. The few indexed
    # words it begins ("laternenumz" -> laternenumzug) are looked up instead.
    if prefix and len(terms[-1]) > max(PREFIX_INDEXED):
        words = _words_beginning(terms[-1])
        if words:
            last = "(" + " OR ".join(f'"{w}"' for w in words) + ")"
    return " AND ".join([*(f'"{t}"' for t in terms[:-1]), last])


def _matching(stmt: Select) -> Select:
    """``stmt`` narrowed to the entries that match ``:search_query``."""
    if db.engine.dialect.name == "postgresql":
        tsquery = func.to_tsquery(literal_column("'german'::regconfig"), _QUERY)
        return stmt.where(func.to_tsvector(literal_column("'german'::regconfig"), SearchEntry.terms).op("@@")(tsquery))
    return stmt.join(_FTS, _FTS.c.id == SearchEntry.id).where(text("search_fts MATCH :search_query").bindparams(_QUERY))


def _hit_order() -> list:
    """Newest first: by descending id (``entry_id``); on SQLite as FTS5's rowid, the order it reads in."""
    return [(SearchEntry.id if db.engine.dialect.name == "postgresql" else _FTS.c.id, "desc")]


#: Statements kept per worker: one set per person and filter (see ``_statements``).
KEPT_STATEMENTS = 512


def search(user, query: Query, cursor: int | None = None, limit: int = PAGE_SIZE) -> Page | None:
    """One page of hits for ``user`` (None when the query has no searchable word), with the total
    (counted up to MAX_COUNTED + 1)."""
    words = engine_query(query.q)
    if words is None:
        return None
    if not (user and user.is_authenticated):
        return Page(items=[], next_cursor=None, total=0)
    kind = query.kind if query.kind in {k.value for k in Kind} else ""
    return run_page(_statements(user, kind, query.place, limit), cursor, params={"search_query": words})


def _statements(user, kind: str, place: str, limit: int) -> PageStatements:
    """The page and count statements of ``user``'s search with these filters.

    Kept per person and filter: they hold ids, today's date and the query only as a parameter.
    Building them and letting SQLAlchemy key the large visibility condition afresh was a fifth of a
    search (bench/NOTES.md)."""
    from portal.caching import kept, person_key

    def build() -> PageStatements:
        stmt = visible_entries(user)
        if kind:
            stmt = stmt.where(SearchEntry.kind == Kind(kind))
        place_condition = _place_condition(place)
        if place_condition is not None:
            stmt = stmt.where(place_condition)
        matching = _matching(stmt)
        paged = matching.options(joinedload(SearchEntry.ortsteil), joinedload(SearchEntry.sozialraum),
                                 joinedload(SearchEntry.group))
        return PageStatements(paged, _hit_order(), limit, id_column=SearchEntry.id, count=True,
                              count_up_to=MAX_COUNTED, count_stmt=matching)

    key = ("search", person_key(user), kind, place, limit, MAX_COUNTED)
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
