"""AG 78 routes of Anlagen: upload, download (members, Leitung, Administration), delete."""
from __future__ import annotations

from flask import abort, flash

from portal.ag import meetings
from portal.ag.forms import AttachmentForm
from portal.ag.models import MeetingAttachment
from portal.ag.view_support import (actor, attachment_visible, Ctx, editor_ctx, item_choices, load_ctx, load_meeting, meeting_page_with_errors,
                                    meeting_url, refuse_frozen)
from portal.ag.views import bp
from portal.extensions import db
from portal.htmx import redirect_after_post
from portal.uploads import UploadError, send_upload


@bp.post("/<slug>/meetings/<int:meeting_id>/attachments")
def attachment_add(slug: str, meeting_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    refuse_frozen(ctx, m, allowed=meetings.UNTIL_APPROVED)
    form = AttachmentForm(prefix="attachment")
    form.agenda_item.choices = item_choices(m, "– die ganze Sitzung –")
    if not form.validate_on_submit():
        return meeting_page_with_errors(ctx, m, ("attachment", None), form)
    file = form.file.data
    if not file or not file.filename:
        form.file.errors = ["Bitte wähle eine Datei aus."]
        return meeting_page_with_errors(ctx, m, ("attachment", None), form)
    try:
        attachment = meetings.add_attachment(m, actor(), file, form.agenda_item.data or None)
    except UploadError as e:
        form.file.errors = [str(e)]
        return meeting_page_with_errors(ctx, m, ("attachment", None), form, status=e.status)
    db.session.commit()
    flash(f"Anlage „{attachment.original_name}“ hochgeladen.", "success")
    return redirect_after_post(meeting_url(m, "anlagen"))


def _attachment(ctx: Ctx, attachment_id: int) -> MeetingAttachment:
    attachment = db.session.get(MeetingAttachment, attachment_id)
    if (attachment is None or attachment.meeting.group_id != ctx.group.id
            or not attachment_visible(ctx, attachment)):
        abort(404)
    return attachment


@bp.get("/<slug>/attachments/<int:attachment_id>")
def attachment(slug: str, attachment_id: int):
    ctx = load_ctx(slug)
    a = _attachment(ctx, attachment_id)
    return send_upload(a.storage_name, a.original_name, a.content_type, inline=a.content_type == "application/pdf")


@bp.post("/<slug>/attachments/<int:attachment_id>/delete")
def attachment_delete(slug: str, attachment_id: int):
    ctx = editor_ctx(slug)
    a = _attachment(ctx, attachment_id)
    m = a.meeting
    refuse_frozen(ctx, m)
    name = a.original_name
    meetings.delete_attachment(a, actor())
    db.session.commit()
    flash(f"Anlage „{name}“ gelöscht.", "success")
    return redirect_after_post(meeting_url(m, "anlagen"))
