"""What the AG views share: the AG of the request with the user's functions, loading a meeting or
TOP (404), the refusal of changes to settled minutes (409 with the typed text), and the context
of the meeting page with its forms."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, make_response, render_template, request, url_for
from flask_login import current_user

from portal.ag import invitations, services
from portal.ag.forms import (ActionItemForm, AgendaItemForm, AttachmentForm, ChangeRequestAnswerForm, ChangeRequestForm,
                             DecisionForm, ReplyForm, TransitionForm)
from portal.ag.meetings import DRAFT_ONLY, require_open
from portal.ag.minutes import transitions_from
from portal.ag.models import AgendaItem, Function, Meeting, MinutesStatus, Presence, WorkingGroup
from portal.errors import Conflict
from portal.extensions import utcnow
from portal.formatting import heute
from portal.forms import choices


@dataclass
class Ctx:
    """The AG of the request and what the signed-in user may do in it (the model's rules)."""

    group: WorkingGroup
    functions: frozenset[Function]

    @property
    def member(self) -> bool:
        return bool(self.functions)

    @property
    def editor(self) -> bool:
        return WorkingGroup.can_edit(self.functions)

    @property
    def manager(self) -> bool:
        return WorkingGroup.can_manage(current_user)

    @property
    def sees_closed(self) -> bool:
        """Nicht öffentliche TOPs: members only (WorkingGroup.sees_closed)."""
        return WorkingGroup.sees_closed(self.functions)


def actor():
    """The signed-in user as the object itself (not Flask-Login's proxy): operations hand it to
    the listeners of their events, which may keep it beyond the request."""
    return current_user._get_current_object()


def load_ctx(slug: str) -> Ctx:
    group, functions = services.group_with_functions(slug, current_user)
    if group is None or not group.can_view(current_user, functions):
        abort(404)  # non-members may not learn what the AG discusses
    return Ctx(group, functions)


def editor_ctx(slug: str) -> Ctx:
    ctx = load_ctx(slug)
    if not ctx.editor:
        abort(403, description="Das dürfen nur das Protokoll und die Sprecher:innen der AG.")
    return ctx


def manager_ctx(slug: str) -> Ctx:
    ctx = load_ctx(slug)
    if not ctx.manager:
        abort(403, description="AGs und Mitgliedschaften verwaltet die Administration.")
    return ctx


def load_meeting(ctx: Ctx, meeting_id: int) -> Meeting:
    meeting = services.load_meeting(ctx.group, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.agenda if i.id == item_id), None)
    if item is None:
        abort(404)
    return item


def meeting_url(meeting: Meeting, anchor: str | None = None) -> str:
    return url_for("ag.meeting", slug=meeting.group.slug, meeting_id=meeting.id, _anchor=anchor)


#: Form fields (by name ending) that hold text someone wrote, as opposed to ids, numbers and dates.
_FREE_TEXT_FIELDS = ("title", "description", "minutes", "text", "task", "responsible", "guests")


def refuse_frozen(ctx: Ctx, meeting: Meeting, allowed=DRAFT_ONLY) -> None:
    """409 with the way forward (Berichtigung or withdrawal) unless the minutes are in ``allowed``
    (the rule is ``meetings.require_open``, which the operations apply too). What was typed is shown
    for copying, not lost."""
    try:
        require_open(meeting, allowed)
    except Conflict as refusal:
        typed = "\n\n".join(value.strip() for key, value in request.form.items()
                             if key.endswith(_FREE_TEXT_FIELDS) and value.strip())
        response = make_response(render_template(
            "ag/frozen.html", group=ctx.group, meeting=meeting, ctx=ctx, typed=typed, message=refusal.message,
            title=f"Die Niederschrift ist {meeting.minutes_status.label.lower()}"), 409)
        abort(response)


def item_choices(meeting: Meeting, empty: str):
    return choices([(0, empty)] + [(i.id, f"{i.label}: {i.title}") for i in meeting.agenda])


def visible_items(ctx: Ctx, meeting: Meeting) -> list[AgendaItem]:
    """The TOPs the user may see: all for members, the öffentliche for everyone else who sees the AG."""
    return [i for i in meeting.agenda if i.public or ctx.sees_closed]


def attachment_visible(ctx: Ctx, attachment) -> bool:
    """An Anlage of a nicht öffentlicher TOP is for members only, like the TOP."""
    item = attachment.agenda_item
    return item is None or item.public or ctx.sees_closed


def fresh_form(kind: str, meeting: Meeting, item: AgendaItem | None):
    prefix = f"{kind}{item.id}" if item else kind
    if kind == "decision":
        return DecisionForm(prefix=prefix, formdata=None)
    if kind == "action":
        return ActionItemForm(prefix=prefix, formdata=None)
    if kind == "agenda":
        form = AgendaItemForm(prefix=prefix, formdata=None)
        form.public.data = "oe" if meeting.group.agenda_public_default else "n"
        return form
    if kind == "change":
        form = ChangeRequestForm(prefix=prefix, formdata=None)
        form.agenda_item.choices = item_choices(meeting, "– bitte wählen –")
        return form
    if kind.startswith("answer-"):
        return ChangeRequestAnswerForm(prefix=kind, formdata=None)
    if kind == "attachment":
        form = AttachmentForm(prefix=prefix, formdata=None)
        form.agenda_item.choices = item_choices(meeting, "– die ganze Sitzung –")
        return form
    if kind.startswith("transition-"):
        return TransitionForm(prefix=kind, formdata=None)
    raise KeyError(kind)


def meeting_page_ctx(ctx: Ctx, meeting: Meeting, **extra) -> dict:
    members = services.members_on(ctx.group.id, meeting.date)
    presence = {a.membership_id: a.presence for a in meeting.attendance}
    published = meeting.minutes_status != MinutesStatus.ENTWURF
    unread = ctx.member and meeting.id in services.unread_meeting_ids(current_user, [meeting.id])
    forms = extra.pop("forms", {})
    now = utcnow()
    own = [ms for ms in members if ctx.member and ms.user_id == current_user.id]
    own_replies = {r.membership_id: r for r in meeting.replies if r.membership_id in {ms.id for ms in own}}
    reply_form = extra.pop("reply_form", None)
    if reply_form is None and own and meeting.can_reply(now):
        reply_form = ReplyForm(formdata=None)
        first = next(iter(own_replies.values()), None)
        reply_form.answer.data = first.answer.value if first else None
    items = visible_items(ctx, meeting)
    return dict(
        items=items, public_items=[i for i in items if i.public], closed_items=[i for i in items if not i.public],
        hidden_closed=len(meeting.agenda) - len(items),
        attachments=[a for a in meeting.attachments if attachment_visible(ctx, a)],
        expected=invitations.expected(meeting, members, meeting.replies) if meeting.is_invited else None,
        own_memberships=own, own_reply=next(iter(own_replies.values()), None), reply_form=reply_form,
        own_deputy=next((d for d in (ms.deputy_on(meeting.date) for ms in own) if d), None),
        can_reply=bool(own) and meeting.can_reply(now),
        invitation_blocker=invitations.invitation_blocker(meeting, now) if ctx.editor else None,
        notice=invitations.notice_for(meeting) if ctx.editor and not meeting.is_invited else None,
        ctx=ctx, group=ctx.group, meeting=meeting, members=members, presence=presence,
        quorum=services.quorum(meeting, members), unread=unread, read=ctx.member and published and not unread,
        show_minutes=meeting.minutes_visible(ctx.editor),
        carried=services.open_actions(ctx.group.id, before=meeting, editor=ctx.editor, closed=ctx.sees_closed),
        transitions=transitions_from(meeting.minutes_status) if ctx.editor else [],
        publish_blocker=meeting.publish_blocker(now) if ctx.editor else None,
        form_for=lambda kind, item=None: forms.get((kind, item.id if item else None)) or fresh_form(kind, meeting, item),
        today=heute(), title=meeting.full_title, Presence=Presence, MinutesStatus=MinutesStatus, **extra)


def meeting_page_with_errors(ctx: Ctx, meeting: Meeting, key, form, status: int = 422):
    """Re-render the meeting page with the failed form filled in, for requests without htmx."""
    return render_template("ag/meeting.html", **meeting_page_ctx(ctx, meeting, forms={key: form})), status
