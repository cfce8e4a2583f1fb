"""Factories for the notification tests: people, places, proposals, posts and AG meetings built
directly (no demo titles), flushed, inside an app context."""
from __future__ import annotations

import itertools
from datetime import date, time

from portal.ag.models import Function, Meeting, Membership, WorkingGroup
from portal.auth.models import Role, User
from portal.board.models import Category, Comment, Post, PostStatus
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.proposals.models import Proposal, ProposalComment, ProposalState

_n = itertools.count(1)


def _next() -> int:
    return next(_n)


def make_sozialraum(name: str | None = None) -> Sozialraum:
    i = _next()
    s = Sozialraum(name=name or f"Testraum {i}", slug=f"testraum-{i}")
    db.session.add(s)
    db.session.flush()
    return s


def make_ortsteil(sozialraum: Sozialraum | None = None, name: str | None = None) -> Ortsteil:
    i = _next()
    o = Ortsteil(name=name or f"Testort {i}", slug=f"testort-{i}", sozialraum=sozialraum or make_sozialraum())
    db.session.add(o)
    db.session.flush()
    return o


def make_traeger(short_name: str | None = None) -> Traeger:
    i = _next()
    t = Traeger(name=f"Testträger {i} e. V.", short_name=short_name or f"TT{i}")
    db.session.add(t)
    db.session.flush()
    return t


def make_user(*roles: Role, name: str | None = None, email: str | None = None, traeger=None, sozialraum=None,
              ortsteile=(), active: bool = True) -> User:
    i = _next()
    u = User(email=email or f"person{i}@test.example", display_name=name or f"Person {i}", active=active,
             traeger=traeger, sozialraum=sozialraum, ortsteile=list(ortsteile))
    u.set_roles(roles)
    db.session.add(u)
    db.session.flush()
    return u


def make_proposal(traeger: Traeger, sozialraum: Sozialraum, state: ProposalState = ProposalState.EINGEREICHT,
                  title: str | None = None, **values) -> Proposal:
    p = Proposal(title=title or f"Testprojekt {_next()}", traeger=traeger, traeger_id=traeger.id,
                 sozialraum=sozialraum, sozialraum_id=sozialraum.id, state=state, **values)
    db.session.add(p)
    db.session.flush()
    return p


def make_proposal_comment(proposal: Proposal, author: User, body: str = "Eine Frage zum Zeitplan.") -> ProposalComment:
    c = ProposalComment(proposal=proposal, author=author, body=body, body_html=f"<p>{body}</p>")
    db.session.add(c)
    db.session.flush()
    return c


def make_post(ortsteil: Ortsteil, author: User | None, status: PostStatus = PostStatus.PUBLISHED,
              title: str | None = None) -> Post:
    p = Post(ortsteil=ortsteil, author=author, category=Category.INFORMATION, title=title or f"Beitrag {_next()}",
             body="Text", body_html="<p>Text</p>", search_text="text", status=status)
    db.session.add(p)
    db.session.flush()
    return p


def make_comment(post: Post, author: User, body: str = "Gute Idee!") -> Comment:
    c = Comment(post=post, author=author, body=body)
    db.session.add(c)
    db.session.flush()
    return c


def make_group(*members: User, function: Function = Function.MITGLIED) -> WorkingGroup:
    i = _next()
    g = WorkingGroup(slug=f"test-ag-{i}", name=f"Test-AG {i}", short_name=f"AG {i}")
    db.session.add(g)
    db.session.flush()
    for user in members:
        add_member(g, user, function)
    return g


def add_member(group: WorkingGroup, user: User, function: Function = Function.MITGLIED,
               valid_to: date | None = None) -> Membership:
    m = Membership(group=group, user=user, function=function, valid_from=date(2020, 1, 1), valid_to=valid_to)
    db.session.add(m)
    db.session.flush()
    return m


def make_meeting(group: WorkingGroup, day: date = date(2027, 3, 4)) -> Meeting:
    m = Meeting(group=group, number=_next(), date=day, start_time=time(9), end_time=time(11), place="Rathaus, Raum 1")
    db.session.add(m)
    db.session.flush()
    return m
