"""Who hears what: listeners of the domain events (portal.signals) that write notifications.

Each listener names the people concerned and lets ``notify`` drop everyone the object's own
permission rule (``can_view``) does not allow, the actor and inactive accounts. Listeners run in the
operation's transaction and never commit.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal import signals
from portal.ag.models import MinutesStatus
from portal.auth.models import Role, User
from portal.extensions import db
from portal.formatting import datum, heute
from portal.notifications.services import (active_users, board_followers, notify, portal_path,
                                           users_with_role)


def _name(actor) -> str:
    return getattr(actor, "display_name", None) or "Das Portal"


def _quoted(title: str) -> str:
    return f"„{title}“"


# --- Projektanträge ----------------------------------------------------------------------------------

def _applicants(proposal) -> list[User]:
    """The applying side of a proposal (Proposal.is_applicant decides)."""
    return [u for u in active_users(User.traeger_id == proposal.traeger_id) if proposal.is_applicant(u)]


def _proposal(proposal, kind, recipients, text, actor, detail=""):
    notify(recipients, kind, subject_key=f"proposal:{proposal.id}", subject_title=str(proposal), text=text,
           url=portal_path("proposals.detail", proposal_id=proposal.id), actor=actor, detail=detail,
           visible=proposal.can_view)


def on_proposal_submitted(proposal, actor=None, resubmitted=False, **_):
    verb = "erneut eingereicht" if resubmitted else "eingereicht"
    traeger = f" ({proposal.traeger.short_name})" if proposal.traeger else ""
    _proposal(proposal, "proposal_submitted", users_with_role(Role.LEITUNG),
              f"{_name(actor)}{traeger} hat {_quoted(str(proposal))} {verb}", actor)


def on_proposal_returned(proposal, actor=None, reason="", **_):
    _proposal(proposal, "proposal_returned", _applicants(proposal),
              f"Leitung hat zu {_quoted(str(proposal))} eine Rückfrage gestellt", actor, detail=reason or "")


def on_proposal_decided(proposal, actor=None, approved=False, reason="", **_):
    verb = "freigegeben" if approved else "abgelehnt"
    _proposal(proposal, "proposal_decided", _applicants(proposal),
              f"Leitung hat {_quoted(str(proposal))} {verb}", actor, detail=reason or "")


def on_proposal_report(proposal, actor=None, step="", reason="", **_):
    if step == "submitted":
        _proposal(proposal, "report_submitted", users_with_role(Role.LEITUNG),
                  f"{_name(actor)} hat den Wirkungsbericht zu {_quoted(str(proposal))} eingereicht", actor)
    elif step == "returned":
        _proposal(proposal, "report_returned", _applicants(proposal),
                  f"Leitung hat den Wirkungsbericht zu {_quoted(str(proposal))} zurückgegeben", actor,
                  detail=reason or "")


def on_proposal_commented(comment, actor=None, **_):
    proposal = comment.proposal
    _proposal(proposal, "proposal_commented", _applicants(proposal),
              f"{_name(actor)} hat die Diskussion zu {_quoted(str(proposal))} kommentiert", actor)


def remind_due_reports(today: date, days_before: int = 14) -> int:
    """Wirkungsbericht fällig: once per approved proposal whose end date is near and that has no
    report yet (run daily by ``flask mail digests``). Returns the number of proposals reminded."""
    from datetime import timedelta

    from portal.notifications.models import Notification
    from portal.proposals.models import Proposal, ProposalState

    reminded = set(db.session.scalars(select(Notification.subject_key).where(Notification.kind == "report_due")))
    due = [p for p in db.session.scalars(select(Proposal).where(
        Proposal.state == ProposalState.FREIGEGEBEN, Proposal.reported_at.is_(None),
        Proposal.ends_on.is_not(None), Proposal.ends_on >= today,
        Proposal.ends_on <= today + timedelta(days=days_before)).order_by(Proposal.id))
        if f"proposal:{p.id}" not in reminded]
    for proposal in due:
        _proposal(proposal, "report_due", _applicants(proposal),
                  f"Der Wirkungsbericht zu {_quoted(str(proposal))} ist bald fällig", None,
                  detail=f"Das Projekt endet am {datum(proposal.ends_on)}.")
    return len(due)


# --- Pinnwand ------------------------------------------------------------------------------------------

def _post(post, kind, recipients, text, actor, detail="", endpoint="board.post_detail"):
    url = portal_path(endpoint) if endpoint == "board.queue" else portal_path(endpoint, post_id=post.id)
    notify(recipients, kind, subject_key=f"post:{post.id}", subject_title=post.title, text=text, url=url,
           actor=actor, detail=detail, visible=post.can_view)


def _board_news(post, actor):
    ortsteil = post.ortsteil
    notify(board_followers(post.ortsteil_id), "board_post", subject_key=f"board:{post.ortsteil_id}",
           subject_title=f"Pinnwand {ortsteil.name}", text=f"Neu auf der Pinnwand {ortsteil.name}: {_quoted(post.title)}",
           url=portal_path("board.post_detail", post_id=post.id), actor=post.author or actor,
           visible=post.can_view)


def on_post_created(post, actor=None, **_):
    from portal.board.models import PostStatus

    if post.status == PostStatus.PUBLISHED:
        _board_news(post, actor)
    elif post.status == PostStatus.PENDING:
        _post(post, "moderation_pending", users_with_role(Role.MODERATION),
              f"Ein Beitrag auf der Pinnwand {post.ortsteil.name} wartet auf Prüfung: {_quoted(post.title)}",
              actor, endpoint="board.queue")


def on_post_approved(post, actor=None, **_):
    if post.author is not None:
        _post(post, "post_moderated", [post.author],
              f"Dein Beitrag {_quoted(post.title)} wurde geprüft und ist jetzt sichtbar", actor)
    _board_news(post, actor)


def on_post_hidden(post, actor=None, reason="", **_):
    if post.author is not None:
        _post(post, "post_moderated", [post.author],
              f"Die Moderation hat deinen Beitrag {_quoted(post.title)} ausgeblendet", actor, detail=reason or "")


def on_post_restored(post, actor=None, **_):
    if post.author is not None:
        _post(post, "post_moderated", [post.author],
              f"Dein Beitrag {_quoted(post.title)} ist wieder sichtbar", actor)


def on_comment_added(comment, actor=None, **_):
    post = comment.post
    if post.author is not None:
        _post(post, "post_commented", [post.author],
              f"{_name(actor)} hat deinen Beitrag {_quoted(post.title)} kommentiert", actor)


def on_report_filed(report, actor=None, **_):
    post = report.post or (report.comment.post if report.comment else None)
    if post is None:
        return
    what = "Ein Kommentar zum Beitrag" if report.comment_id else "Der Beitrag"
    _post(post, "moderation_reported", users_with_role(Role.MODERATION),
          f"{what} {_quoted(post.title)} wurde gemeldet", None, endpoint="board.queue")


# --- AG 78 -------------------------------------------------------------------------------------------

def _members(group) -> list[User]:
    from portal.ag.models import Membership
    from portal.ag.services import active_membership_filter

    today = heute()
    return active_users(User.id.in_(select(Membership.user_id).where(
        Membership.group_id == group.id, active_membership_filter(today))))


def _can_view_group(group):
    from portal.ag.services import functions_of

    return lambda user: group.can_view(user, functions_of(user, group))


def _meeting(meeting, kind, recipients, text, actor, detail="", anchor=None, attachments=None):
    group = meeting.group
    notify(recipients, kind, subject_key=f"meeting:{meeting.id}", subject_title=meeting.full_title, text=text,
           url=portal_path("ag.meeting", slug=group.slug, meeting_id=meeting.id, _anchor=anchor), actor=actor,
           detail=detail, visible=_can_view_group(group), attachments=attachments)


def on_meeting_scheduled(meeting, actor=None, change="", **_):
    if meeting.is_invited and change in ("moved", "cancelled"):
        return  # the invited members hear it from on_meeting_invitation_sent, with the .ics
    when = f"{datum(meeting.date)}, {meeting.start_time:%H:%M} Uhr"
    texts = {
        "created": f"{meeting.full_title} ist angesetzt: {when}",
        "moved": f"{meeting.full_title} wurde verlegt: jetzt {when}",
        "cancelled": f"{meeting.full_title} am {datum(meeting.date)} wurde abgesagt",
    }
    if change in texts:
        _meeting(meeting, "meeting_scheduled", _members(meeting.group), texts[change], actor,
                 detail=f"Ort: {meeting.place}" if meeting.place and change != "cancelled" else "")


def on_meeting_invitation_sent(meeting, actor=None, change="", **_):
    """The Einladung, its update or the cancellation: in the portal and by mail with the .ics. Sent
    to the members (also the one who sent it: the organiser's calendar needs the entry too)."""
    from portal.ag.invitations import ics_attachment, invitation_detail

    when = f"{datum(meeting.date)}, {meeting.start_time:%H:%M} Uhr"
    texts = {
        "invited": f"Einladung zur {meeting.full_title} am {when}",
        "updated": f"Geänderte Einladung: {meeting.full_title} jetzt am {when}",
        "cancelled": f"Abgesagt: {meeting.full_title} am {datum(meeting.date)}",
    }
    if change not in texts:
        return
    _meeting(meeting, "meeting_invitation", _members(meeting.group), texts[change], None,
             detail=invitation_detail(meeting), anchor="rueckmeldung", attachments=[ics_attachment(meeting)])


def on_minutes_published(meeting, actor=None, **_):
    _meeting(meeting, "minutes_published", _members(meeting.group),
             f"Die Niederschrift der {meeting.full_title} ist veröffentlicht", actor)
    for top in meeting.agenda:
        for item in top.action_items:
            if item.done_at is None:
                _task_assigned(item, actor)


def on_minutes_approved(meeting, actor=None, **_):
    _meeting(meeting, "minutes_approved", _members(meeting.group),
             f"Die Niederschrift der {meeting.full_title} ist genehmigt", actor)


def on_action_item_changed(item, actor=None, change="", **_):
    if change not in ("created", "assigned"):
        return
    if item.meeting.minutes_status == MinutesStatus.ENTWURF:
        return  # a task in draft minutes is announced when the minutes are published
    _task_assigned(item, actor)


def _task_assigned(item, actor) -> None:
    meeting = item.meeting
    responsible = (item.responsible or "").casefold()
    # "Verantwortlich" is the name agreed in the meeting: members whose name it contains.
    assigned = [u for u in _members(meeting.group) if u.display_name and u.display_name.casefold() in responsible]
    due = f" (fällig am {datum(item.due_on)})" if item.due_on else ""
    _meeting(meeting, "task_assigned", assigned, f"Aufgabe für dich aus der {meeting.full_title}{due}", actor,
             detail=item.task)


def on_change_request_changed(request, actor=None, change="", **_):
    if change != "answered" or request.author is None:
        return
    meeting = request.meeting
    _meeting(meeting, "change_request_answered", [request.author],
             f"Dein Änderungswunsch zur Niederschrift der {meeting.full_title} wurde beantwortet", actor)


# --- Einladungslinks ------------------------------------------------------------------------------------

def on_member_joined(joined, actor=None, **_):
    """An account that waits for release: Moderation and the Koordination of the link's Sozialraum
    (whoever ``JoinedAccount.can_release`` allows)."""
    if joined.released_at is not None:
        return
    link = joined.link
    recipients = users_with_role(Role.MODERATION) + users_with_role(Role.KOORDINATION)
    notify(recipients, "account_waiting", subject_key=f"join_link:{link.id}",
           subject_title=f"Einladungslink {link.place_names}",
           text=f"{joined.user.display_name} hat sich über den Einladungslink {link.place_names} angemeldet "
                "und wartet auf Freigabe",
           url=portal_path("join.links"), actor=actor, visible=joined.can_release)


def on_account_released(joined, actor=None, **_):
    link = joined.link
    first = link.ortsteile[0] if link.ortsteile else None
    notify([joined.user], "account_released", subject_key=f"join_link:{link.id}",
           subject_title=f"Pinnwand {link.place_names}",
           text=f"Dein Konto ist freigegeben: Willkommen auf der Pinnwand {link.place_names}",
           url=portal_path("board.ortsteil", slug=first.slug) if first else portal_path("board.index"),
           actor=actor)


# --- Kinder- und Jugendbudget -------------------------------------------------------------------------

def _budget(req, kind, recipients, text, actor, detail=""):
    from portal.budget.money import euro

    ortsteil = req.budget.ortsteil
    notify(recipients, kind, subject_key=f"budget_request:{req.id}",
           subject_title=f"{req.purpose} ({ortsteil.name}, {euro(req.amount_cents)})", text=text,
           url=portal_path("budget.detail", request_id=req.id), actor=actor, detail=detail, visible=req.can_view)


def on_budget_request_changed(req, actor=None, action="", reason="", **_):
    """Filed or answered -> the Koordination of the Ortsteil's Sozialraum; approved, returned or
    rejected -> the person who asked."""
    ortsteil = req.budget.ortsteil
    if action in ("eingereicht", "beantwortet"):
        coordination = [u for u in users_with_role(Role.KOORDINATION) if u.sozialraum_id == ortsteil.sozialraum_id]
        text = (f"{_name(actor)} ({ortsteil.name}) hat die Rückfrage zu {_quoted(req.purpose)} beantwortet"
                if action == "beantwortet" else
                f"{_name(actor)} ({ortsteil.name}) hat Geld aus dem Jugendbudget beantragt: {_quoted(req.purpose)}")
        _budget(req, "budget_request_waiting", coordination, text, actor, detail=reason or "")
    elif action in ("freigegeben", "rueckfrage", "abgelehnt") and req.author is not None:
        texts = {"freigegeben": f"Dein Budget-Antrag {_quoted(req.purpose)} ist freigegeben",
                 "rueckfrage": f"{_name(actor)} hat eine Rückfrage zu deinem Budget-Antrag {_quoted(req.purpose)}",
                 "abgelehnt": f"Dein Budget-Antrag {_quoted(req.purpose)} wurde abgelehnt"}
        _budget(req, "budget_request_decided", [req.author], texts[action], actor, detail=reason or "")


LISTENERS = {
    signals.proposal_submitted: on_proposal_submitted,
    signals.proposal_returned: on_proposal_returned,
    signals.proposal_decided: on_proposal_decided,
    signals.proposal_report: on_proposal_report,
    signals.proposal_commented: on_proposal_commented,
    signals.post_created: on_post_created,
    signals.post_approved: on_post_approved,
    signals.post_hidden: on_post_hidden,
    signals.post_restored: on_post_restored,
    signals.comment_added: on_comment_added,
    signals.report_filed: on_report_filed,
    signals.meeting_scheduled: on_meeting_scheduled,
    signals.meeting_invitation_sent: on_meeting_invitation_sent,
    signals.minutes_published: on_minutes_published,
    signals.minutes_approved: on_minutes_approved,
    signals.action_item_changed: on_action_item_changed,
    signals.change_request_changed: on_change_request_changed,
    signals.member_joined: on_member_joined,
    signals.account_released: on_account_released,
    signals.budget_request_changed: on_budget_request_changed,
}


def connect_listeners() -> None:
    """Called once from create_app (portal._connect_features); connecting twice is harmless."""
    for signal, listener in LISTENERS.items():
        signal.connect(listener, weak=False)
