"""Domain events: what happened in the portal, for the parts that react to it.

Every user-visible change is one operation in its feature's ``services.py``; after it changed
state, recorded history and flushed, the operation sends one of these signals. Listeners
(notifications, search index, start page, caches) connect in ``create_app``; no feature calls into
another feature's views.

Convention (as in Indico): ``signal.send(obj, actor=user, **details)``. The sender is the object
the event is about, ``actor`` the user who acted (None for the system, e.g. a CLI run). Listeners
run inside the operation's transaction, before the view commits: what they write (an outbox row, a
search entry) is committed together with the change or not at all. A listener must not commit.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# --- Pinnwand ------------------------------------------------------------------------------------
#: A post was created. sender: Post (status published or pending), actor: author.
post_created = _signals.signal("post-created")
#: A post's text, category or files changed. sender: Post, actor: author or moderator.
post_updated = _signals.signal("post-updated")
#: Moderation approved a waiting post. sender: Post, actor: moderator.
post_approved = _signals.signal("post-approved")
#: Moderation hid a post. sender: Post, actor: moderator, reason: str.
post_hidden = _signals.signal("post-hidden")
#: A hidden post is visible again. sender: Post, actor: moderator.
post_restored = _signals.signal("post-restored")
#: Pinned or unpinned. sender: Post, actor: moderator, pinned: bool.
post_pinned = _signals.signal("post-pinned")
#: A post was deleted (the row is gone after the commit). sender: Post, actor: user.
post_deleted = _signals.signal("post-deleted")
#: A comment was written. sender: Comment (comment.post is the post), actor: author.
comment_added = _signals.signal("comment-added")
#: A comment's author changed its text within the edit window. sender: Comment, actor: author.
comment_edited = _signals.signal("comment-edited")
#: A comment was hidden, restored or deleted. sender: Comment, actor: user, action: "hidden" | "restored" | "deleted".
comment_moderated = _signals.signal("comment-moderated")
#: A post or comment was reported. sender: Report, actor: reporter.
report_filed = _signals.signal("report-filed")
#: "Danke" given or taken back. sender: Post, actor: user, given: bool.
thanks_toggled = _signals.signal("thanks-toggled")

# --- Kalender ------------------------------------------------------------------------------------
#: An event was created, edited, cancelled, restored or deleted, or one date of a series changed.
#: sender: Event, actor: user, change: "created" | "updated" | "cancelled" | "restored" | "deleted"
#: | "occurrence-cancelled" | "occurrence-moved" | "occurrence-restored".
event_changed = _signals.signal("event-changed")
#: A personal feed address was created or revoked. sender: FeedToken, actor: its owner,
#: change: "created" | "revoked".
feed_changed = _signals.signal("feed-changed")

# --- Projektanträge --------------------------------------------------------------------------------
#: A proposal was created (draft). sender: Proposal, actor: author.
proposal_created = _signals.signal("proposal-created")
#: A draft's fields were saved. sender: Proposal, actor: author.
proposal_updated = _signals.signal("proposal-updated")
#: Submitted or resubmitted to the Leitung. sender: Proposal, actor, resubmitted: bool.
proposal_submitted = _signals.signal("proposal-submitted")
#: The Leitung sent a Rückfrage. sender: Proposal, actor: Leitung, reason: str.
proposal_returned = _signals.signal("proposal-returned")
#: Approved or rejected. sender: Proposal, actor: Leitung, approved: bool, reason: str.
proposal_decided = _signals.signal("proposal-decided")
#: Withdrawn by the applicant. sender: Proposal, actor.
proposal_withdrawn = _signals.signal("proposal-withdrawn")
#: A draft that was never submitted was deleted by its author (the row is gone after the commit).
#: sender: Proposal, actor: user.
proposal_draft_deleted = _signals.signal("proposal-draft-deleted")
#: Wirkungsbericht submitted, acknowledged or returned. sender: Proposal, actor,
#: step: "submitted" | "acknowledged" | "returned", reason: str.
proposal_report = _signals.signal("proposal-report")
#: A comment in a proposal's discussion. sender: ProposalComment, actor: author.
proposal_commented = _signals.signal("proposal-commented")
#: HzE hours of a Sozialraum and month were entered. sender: HzeHours, actor.
hze_hours_set = _signals.signal("hze-hours-set")

# --- AG 78 -----------------------------------------------------------------------------------------
#: A meeting was created, or its date, place or status changed. sender: Meeting, actor,
#: change: "created" | "moved" | "updated" | "cancelled" | "deleted".
meeting_scheduled = _signals.signal("meeting-scheduled")
#: Agenda, minutes text, attendance, decisions or attachments of a meeting changed.
#: sender: Meeting, actor, what: str (e.g. "agenda", "minutes", "attendance", "attachment").
meeting_updated = _signals.signal("meeting-updated")
#: Minutes were published. sender: Meeting, actor.
minutes_published = _signals.signal("minutes-published")
#: Minutes were approved (frozen). sender: Meeting, actor.
minutes_approved = _signals.signal("minutes-approved")
#: Minutes went back to draft. sender: Meeting, actor, reason: str.
minutes_withdrawn = _signals.signal("minutes-withdrawn")
#: A task from a meeting was assigned, done or reopened. sender: ActionItem, actor, change: str.
action_item_changed = _signals.signal("action-item-changed")
#: A member asked for a change to published minutes, or it was answered.
#: sender: ChangeRequest, actor, change: "requested" | "answered".
change_request_changed = _signals.signal("change-request-changed")
#: The Einladung to a meeting went out, or (after it) the meeting was moved or called off: members get
#: the .ics (METHOD:REQUEST, or CANCEL). sender: Meeting, actor, change: "invited" | "updated" | "cancelled".
meeting_invitation_sent = _signals.signal("meeting-invitation-sent")
#: A member replied to an invitation (Zusage, Absage, Vertretung). sender: MeetingReply, actor, meeting: Meeting.
meeting_replied = _signals.signal("meeting-replied")
#: Memberships of an AG changed. sender: WorkingGroup, actor.
membership_changed = _signals.signal("membership-changed")

# --- Konten und Verwaltung ---------------------------------------------------------------------------
#: An account was created (invited). sender: User, actor: admin (None from the CLI).
user_created = _signals.signal("user-created")
#: Roles, scopes, name or active flag changed. sender: User, actor.
user_updated = _signals.signal("user-updated")
#: Ortsteil, Sozialraum or Träger created or renamed. sender: the object, actor.
organisation_changed = _signals.signal("organisation-changed")

# --- Kinder- und Jugendbudget ---------------------------------------------------------------------
#: A request was filed, answered, approved, returned or rejected. sender: BudgetRequest, actor,
#: action: "eingereicht" | "beantwortet" | "freigegeben" | "rueckfrage" | "abgelehnt", reason: str.
budget_request_changed = _signals.signal("budget-request-changed")
#: Money was booked or counter-booked. sender: Booking, actor.
budget_booked = _signals.signal("budget-booked")
#: A yearly amount was set or copied. sender: Budget, actor.
budget_set = _signals.signal("budget-set")

# --- OParl-Schnittstelle -------------------------------------------------------------------------
#: A personal API token was created or revoked. sender: ApiToken, actor, change: "created" | "revoked".
api_token_changed = _signals.signal("api-token-changed")

# --- Einladungslinks (Ehrenamtliche kommen selbst hinein) ------------------------------------------
#: An invitation link was created. sender: JoinLink, actor: Koordination, Moderation or Administration.
join_link_created = _signals.signal("join-link-created")
#: An invitation link was revoked. sender: JoinLink, actor.
join_link_revoked = _signals.signal("join-link-revoked")
#: Somebody created an account through a link. sender: JoinedAccount (``.user``, ``.link``; its
#: ``released_at`` is None while the account waits for release), actor: the new user.
member_joined = _signals.signal("member-joined")
#: A waiting account was released (gets the link's Ortsteile). sender: JoinedAccount, actor.
account_released = _signals.signal("account-released")
