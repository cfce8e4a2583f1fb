"""E-mail: the outbox (written in the transaction of the change), the SMTP sender and the digests.

Nothing here runs inside a web worker's request except ``queue_instant`` (called by ``notify``):
``send_outbox`` and ``build_digests`` are run by ``flask --app portal mail send|digests`` from cron
or a systemd timer. Several senders may run at once: a mail is claimed (PostgreSQL: ``FOR UPDATE
SKIP LOCKED``; SQLite: a conditional UPDATE) before it is sent, so no mail goes out twice.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.formatting import BERLIN
from portal.notifications.models import (DIGEST_CHANNELS, KINDS, Channel, DigestRun, MailStatus, Notification,
                                         OutboxMail)
from portal.notifications.services import absolute, channel_for, channels_of, portal_path

log = logging.getLogger(__name__)

#: After this many failed attempts a mail is given up ("fehlgeschlagen", visible in the Postausgang).
MAX_ATTEMPTS = 12
#: A mail claimed longer ago than this belongs to a sender that died: it is offered again.
STALE_CLAIM = timedelta(minutes=15)


def smtp_configured() -> bool:
    return bool(current_app.config.get("MAIL_HOST"))


# --- unsubscribe links (RFC 8058) --------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="notifications-unsubscribe")


def unsubscribe_token(user_id: int, what: str) -> str:
    return _serializer().dumps([user_id, what])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        user_id, what = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return int(user_id), str(what)


def _unsubscribe_headers(user_id: int, what: str) -> tuple[dict, str]:
    url = absolute(portal_path("notifications.unsubscribe", token=unsubscribe_token(user_id, what)))
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}, url


# --- writing mails -------------------------------------------------------------------------------------

def _render(name: str, **ctx) -> str:
    # Straight from the environment: mails have no request, and no context processor belongs in them.
    return current_app.jinja_env.get_template(name).render(portal_name=current_app.config["PORTAL_NAME"],
                                                           settings_url=absolute(portal_path("notifications.settings")),
                                                           **ctx)


def _outbox(user: User, kind: str, subject: str, template: str, what: str, attachments: list | None = None,
            **ctx) -> OutboxMail:
    subject = " ".join(subject.split())  # a header is one line, whatever a title contained
    headers, unsubscribe_url = _unsubscribe_headers(user.id, what)
    ctx.update(user=user, unsubscribe_url=unsubscribe_url, subject=subject)
    mail = OutboxMail(user_id=user.id, to_address=user.email, subject=subject[:300],
                      body_text=_render(f"notifications/mail/{template}.txt", **ctx),
                      body_html=_render(f"notifications/mail/{template}.html", **ctx),
                      headers=headers, kind=kind, message_id=make_msgid(domain="portal.invalid"),
                      attachments=attachments or None,
                      status=MailStatus.PENDING, attempts=0, next_attempt_at=utcnow(), created_at=utcnow())
    db.session.add(mail)
    return mail


def queue_instant(user: User, notification: Notification, attachments: list | None = None) -> OutboxMail:
    """The mail of one notification, "E-Mail sofort". Joins the caller's transaction.

    ``attachments``: text files sent with it, as stored in ``OutboxMail.attachments``."""
    kind = KINDS[notification.kind]
    return _outbox(user, notification.kind, notification.text, "instant", notification.kind,
                   attachments=attachments, notification=notification, link=absolute(notification.url),
                   kind_info=kind)


# --- digests -------------------------------------------------------------------------------------------

def period_end(channel: Channel, now: datetime) -> datetime:
    """Where the digest made at ``now`` ends: the last local midnight (daily) or the last Monday
    00:00 (weekly), Europe/Berlin. Today's items wait for tomorrow's digest."""
    local = now.astimezone(BERLIN)
    day = local.date()
    if channel == Channel.WOECHENTLICH:
        day -= timedelta(days=day.weekday())
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(timezone.utc)


def period_length(channel: Channel) -> int:
    return 7 if channel == Channel.WOECHENTLICH else 1


def first_start(channel: Channel, end: datetime) -> datetime:
    """A person's first digest covers one period (local days, so a DST change is a day)."""
    day = end.astimezone(BERLIN).date() - timedelta(days=period_length(channel))
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(timezone.utc)


@dataclass
class DigestGroup:
    subject_title: str
    newest: Notification
    further: int = 0
    items: list = field(default_factory=list)


def group_notifications(items: list[Notification]) -> list[DigestGroup]:
    """One entry per object (proposal, board, meeting), newest first, with the count of further items."""
    groups: dict[str, DigestGroup] = {}
    for n in sorted(items, key=lambda n: (n.created_at, n.id), reverse=True):
        group = groups.get(n.subject_key)
        if group is None:
            groups[n.subject_key] = DigestGroup(subject_title=n.subject_title or n.text, newest=n, items=[n])
        else:
            group.further += 1
            group.items.append(n)
    return list(groups.values())


def _claim_period(user_id: int, channel: Channel, start: datetime, end: datetime, existing: bool) -> bool:
    """Move the person's digest mark from ``start`` to ``end``; False if another run did it first."""
    if existing:
        result = db.session.execute(update(DigestRun).where(
            DigestRun.user_id == user_id, DigestRun.channel == channel, DigestRun.covered_until == start)
            .values(covered_until=end))
        return result.rowcount == 1
    try:
        with db.session.begin_nested():
            db.session.add(DigestRun(user_id=user_id, channel=channel, covered_until=end))
        return True
    except IntegrityError:
        return False


def build_digests(now: datetime | None = None) -> int:
    """Write the due daily and weekly digests into the outbox; returns the number of mails.

    Each covers exactly the time since the person's previous digest (up to the last local midnight
    or Monday); a person with nothing new gets no mail, and the mark still moves on. The caller commits.
    """
    now = now or utcnow()
    users = list(db.session.scalars(select(User).where(User.active.is_(True), User.email != "").order_by(User.id)))
    chosen = channels_of(u.id for u in users)
    written = 0
    for channel in DIGEST_CHANNELS:
        end = period_end(channel, now)
        kinds_of = {u.id: {k for k in KINDS if channel_for(chosen[u.id], k) == channel} for u in users}
        wanting = [u for u in users if kinds_of[u.id]]
        if not wanting:
            continue
        runs = dict(db.session.execute(select(DigestRun.user_id, DigestRun.covered_until)
                                       .where(DigestRun.channel == channel)).all())
        starts = {u.id: runs.get(u.id) or first_start(channel, end) for u in wanting}
        due = [u for u in wanting if starts[u.id] < end]
        if not due:
            continue
        items: dict[int, list[Notification]] = defaultdict(list)
        earliest = min(starts[u.id] for u in due)
        for n in db.session.scalars(select(Notification).where(
                Notification.user_id.in_([u.id for u in due]),
                Notification.created_at >= earliest, Notification.created_at < end)):
            if n.kind in kinds_of[n.user_id] and n.created_at >= starts[n.user_id]:
                items[n.user_id].append(n)
        for user in due:
            if not _claim_period(user.id, channel, starts[user.id], end, user.id in runs):
                continue
            if items[user.id]:
                _queue_digest(user, channel, items[user.id], starts[user.id], end)
                written += 1
    db.session.flush()
    return written


def _queue_digest(user: User, channel: Channel, items: list[Notification], start: datetime, end: datetime):
    groups = group_notifications(items)
    label = "Tägliche" if channel == Channel.TAEGLICH else "Wöchentliche"
    subject = f"{label} Zusammenfassung: {len(items)} Neuigkeit{'en' if len(items) != 1 else ''}"
    for group in groups:
        group.link = absolute(group.newest.url)
    _outbox(user, f"digest:{channel.value}", subject, "digest", f"digest:{channel.value}", groups=groups,
            count=len(items), start=start, last_day=end - timedelta(seconds=1), channel=channel)


# --- sending -------------------------------------------------------------------------------------------

@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _claim(batch: int, token: str, now: datetime) -> list[OutboxMail]:
    """Take up to ``batch`` due mails for this sender run, committed, so no other run sends them."""
    db.session.execute(update(OutboxMail).where(
        OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_at < now - STALE_CLAIM)
        .values(status=MailStatus.PENDING, claimed_by=None))
    due = (select(OutboxMail.id).where(OutboxMail.status == MailStatus.PENDING, OutboxMail.next_attempt_at <= now)
           .order_by(OutboxMail.id).limit(batch))
    if db.engine.dialect.name == "postgresql":
        # Rows another sender has locked are skipped, not waited for.
        ids = list(db.session.scalars(due.with_for_update(skip_locked=True)))
        target = OutboxMail.id.in_(ids)
    else:
        # SQLite has one writer at a time: the conditional UPDATE is the claim.
        ids = None
        target = OutboxMail.id.in_(due.scalar_subquery())
    if ids == []:
        db.session.commit()
        return []
    db.session.execute(update(OutboxMail).where(target, OutboxMail.status == MailStatus.PENDING)
                       .values(status=MailStatus.SENDING, claimed_by=token, claimed_at=now)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.claimed_by == token,
                                                            OutboxMail.status == MailStatus.SENDING)
                                   .order_by(OutboxMail.id)))


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    host, port = cfg["MAIL_HOST"], int(cfg.get("MAIL_PORT") or 0)
    security = (cfg.get("MAIL_SECURITY") or "none").lower()
    timeout = cfg.get("MAIL_TIMEOUT", 30)
    # Certificates are always verified; an internal CA is named in MAIL_CA_FILE.
    context = ssl.create_default_context(cafile=cfg.get("MAIL_CA_FILE") or None)
    if security == "tls":
        smtp = smtplib.SMTP_SSL(host, port or 465, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port or 25, timeout=timeout)
        if security == "starttls":
            smtp.starttls(context=context)
    if cfg.get("MAIL_USER"):
        smtp.login(cfg["MAIL_USER"], cfg.get("MAIL_PASSWORD") or "")
    return smtp


def build_message(mail: OutboxMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config.get("MAIL_SENDER") or "portal@localhost"
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg["Message-ID"] = mail.message_id
    msg["Date"] = format_datetime(mail.created_at)
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (mail.headers or {}).items():
        msg[name] = value
    msg.set_content(mail.body_text)
    msg.add_alternative(mail.body_html, subtype="html")
    for file in mail.attachments or []:
        maintype, _, subtype = file["content_type"].partition("/")
        # A calendar invitation travels as text/calendar; method=... so that Outlook and Thunderbird
        # offer Zusagen/Absagen instead of showing a plain file.
        msg.add_attachment(file["content"].encode("utf-8"), maintype=maintype, subtype=subtype,
                           filename=file["filename"], params={**file.get("params", {}), "charset": "utf-8"})
    return msg


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes, at most six hours."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 6 * 3600))


def _retry_later(mail: OutboxMail, error: Exception, now: datetime, result: SendResult) -> None:
    mail.attempts += 1
    mail.last_error = f"{type(error).__name__}: {error}"[:500]
    mail.claimed_by = None
    if mail.attempts >= MAX_ATTEMPTS:
        mail.status = MailStatus.FAILED
        result.failed += 1
    else:
        mail.status = MailStatus.PENDING
        mail.next_attempt_at = now + backoff(mail.attempts)
        result.retried += 1


def send_outbox(batch: int = 50, now: datetime | None = None) -> SendResult:
    """Send the due mails of the outbox over SMTP; a refusing or unreachable server means a retry
    later (with backoff), never a lost mail. Commits after every mail."""
    result = SendResult()
    if not smtp_configured():
        return result
    while True:
        moment = now or utcnow()
        token = uuid.uuid4().hex
        mails = _claim(batch, token, moment)
        if not mails:
            return result
        try:
            smtp = _connect()
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail server unreachable: %s", error)
            for mail in mails:
                _retry_later(mail, error, moment, result)
            db.session.commit()
            return result
        try:
            for mail in mails:
                try:
                    smtp.send_message(build_message(mail))
                except (OSError, smtplib.SMTPException) as error:
                    _retry_later(mail, error, moment, result)
                    # SMTPException is an OSError; a lost connection (not a refused mail) ends the run.
                    if isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(error, smtplib.SMTPException):
                        db.session.commit()
                        for rest in mails[mails.index(mail) + 1:]:
                            _retry_later(rest, error, moment, result)
                        db.session.commit()
                        return result
                else:
                    mail.status, mail.sent_at, mail.attempts = MailStatus.SENT, utcnow(), mail.attempts + 1
                    mail.last_error = ""
                    result.sent += 1
                db.session.commit()
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
