"""Account mails: the invitation link and "Passwort vergessen?", mailed when a mail server is set up.

Without MAIL_HOST the portal keeps the copy-the-link flow of the Administration and the forgot page
says so. The links are the auth feature's one-time, time-limited AccountLinks.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from portal.auth.models import LinkPurpose, User
from portal.extensions import db, utcnow
from portal.notifications.mail import _render, smtp_configured
from portal.notifications.models import MailStatus, OutboxMail

#: "Passwort vergessen?" requests per address and per client within LOGIN_FAILURE_WINDOW.
RESETS_PER_ADDRESS = 3
RESETS_PER_CLIENT = 10

def queue_account_mail(user: User, link: str, purpose: LinkPurpose) -> OutboxMail:
    """The mail with an invitation or reset link (no unsubscribe: the person asked for it)."""
    from email.utils import make_msgid

    invite = purpose == LinkPurpose.INVITE
    subject = (f"Einladung zum {current_app.config['PORTAL_NAME']}" if invite
               else f"Neues Passwort für den {current_app.config['PORTAL_NAME']}")
    lifetime = current_app.config["ACCOUNT_LINK_LIFETIME"].days
    ctx = dict(user=user, link=link, invite=invite, subject=subject, lifetime=lifetime)
    mail = OutboxMail(user_id=user.id, to_address=user.email, subject=subject,
                      body_text=_render("notifications/mail/account.txt", **ctx),
                      body_html=_render("notifications/mail/account.html", **ctx),
                      headers={}, kind="account", message_id=make_msgid(domain="portal.invalid"),
                      status=MailStatus.PENDING, attempts=0, next_attempt_at=utcnow(), created_at=utcnow())
    db.session.add(mail)
    db.session.flush()
    return mail

def _keys(email: str, client: str) -> list[tuple[str, int]]:
    return [(f"reset:{email}", RESETS_PER_ADDRESS), (f"reset-ip:{client}", RESETS_PER_CLIENT)]

def request_password_reset(email: str, client: str) -> bool:
    """"Passwort vergessen?": mail a reset link if the address belongs to an active account.

    The answer is the same for known and unknown addresses; False only when the address or the
    client asked too often (the caller answers 429), counted like login attempts
    (``security.begin_attempt``: every request counted before anything else, also in parallel).
    The link is single-use and expires (ACCOUNT_LINK_LIFETIME). Needs a mail server (``smtp_configured``).
    """
    from portal.auth.services import create_account_link
    from portal.security import begin_attempt

    email = email.strip().lower()
    if begin_attempt(_keys(email, client)) is None:
        return False
    user = db.session.scalar(select(User).where(User.email == email, User.active.is_(True)))
    if user is not None and smtp_configured():
        purpose = LinkPurpose.RESET if user.password_hash else LinkPurpose.INVITE
        queue_account_mail(user, create_account_link(user, purpose), purpose)
    return True

def mail_invitation(user: User, link: str, purpose: LinkPurpose) -> bool:
    """The Administration created a link: mail it when a mail server is set up."""
    if not smtp_configured():
        return False
    queue_account_mail(user, link, purpose)
    return True
