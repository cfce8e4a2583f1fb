"""E-mail: a real SMTP server (aiosmtpd) in the test process receives what the sender delivers.

The right people get the right mail, nobody gets what they may not see, an outage loses nothing,
concurrent senders send each mail once, digests group and count over a day boundary and a DST
change, and the one-click unsubscribe works without a session.
"""
from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from portal import signals
from portal.auth.models import Role
from portal.board.models import PostStatus
from portal.extensions import db
from portal.formatting import BERLIN
from portal.notifications.mail import (build_digests, group_notifications, period_end, read_unsubscribe_token,
                                       send_outbox, unsubscribe_token)
from portal.notifications.models import Channel, DigestRun, MailStatus, Notification, NotificationSetting, OutboxMail
from tests.factories.notify import (make_ortsteil, make_post, make_proposal, make_sozialraum, make_traeger,
                                    make_user)


class Inbox:
    """aiosmtpd handler: keeps what it receives; can refuse for a while."""

    def __init__(self):
        self.messages = []
        self.refuse = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 Bitte später noch einmal"
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"

    def to(self, address):
        return [m for rcpts, m in self.messages if address in rcpts]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    inbox.controller = controller
    inbox.start = controller.start
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_SECURITY="none", MAIL_SENDER="portal@stadt.example",
                      MAIL_TIMEOUT=5)
    yield inbox
    try:
        controller.stop()
    except AssertionError:  # never started
        pass


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def _proposal_case():
    raum = make_sozialraum()
    traeger = make_traeger()
    fachkraft = make_user(Role.FACHKRAFT, traeger=traeger, email="fachkraft@traeger.example")
    stranger = make_user(Role.FACHKRAFT, traeger=make_traeger(), email="fremd@traeger.example")
    leitung = make_user(Role.LEITUNG, email="leitung@stadt.example")
    proposal = make_proposal(traeger, raum, title="Elterncafé am Markt")
    return fachkraft, stranger, leitung, proposal


def test_rueckfrage_mail_reaches_the_applicant_german_text_and_html_with_unsubscribe(app, smtp, ctx):
    smtp.start()
    fachkraft, stranger, leitung, proposal = _proposal_case()
    signals.proposal_returned.send(proposal, actor=leitung, reason="Bitte den Zeitplan ergänzen.")
    db.session.commit()

    result = send_outbox()
    assert result.sent >= 1
    [msg] = smtp.to("fachkraft@traeger.example")
    assert smtp.to("fremd@traeger.example") == [] and smtp.to("leitung@stadt.example") == []
    assert msg["Subject"] == "Leitung hat zu „Elterncafé am Markt“ eine Rückfrage gestellt"
    assert msg["From"] == "portal@stadt.example"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert f"http://localhost/proposals/{proposal.id}" in text and f'href="http://localhost/proposals/{proposal.id}"' in html
    assert "Bitte den Zeitplan ergänzen." in text and "Bitte den Zeitplan ergänzen." in html
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = msg["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://localhost/notifications/unsubscribe/")
    assert read_unsubscribe_token(url.rsplit("/", 1)[1]) == (fachkraft.id, "proposal_returned")
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == "fachkraft@traeger.example"))
    assert mail.status == MailStatus.SENT and mail.sent_at is not None


def test_nobody_is_mailed_a_post_they_may_not_see(app, smtp, ctx):
    smtp.start()
    ortsteil = make_ortsteil()
    author = make_user(Role.EHRENAMT, ortsteile=[ortsteil], email="autorin@test.example")
    neighbour = make_user(Role.EHRENAMT, ortsteile=[ortsteil], email="nachbar@test.example")
    db.session.add(NotificationSetting(user_id=neighbour.id, kind="board_post", channel=Channel.SOFORT))
    moderation = make_user(Role.MODERATION, email="moderation@test.example")
    post = make_post(ortsteil, author, status=PostStatus.PENDING, title="Noch nicht geprüft")
    signals.post_created.send(post, actor=author)
    db.session.commit()
    send_outbox()
    assert smtp.to("nachbar@test.example") == []
    [msg] = smtp.to("moderation@test.example")
    assert "Noch nicht geprüft" in msg["Subject"]
    assert moderation.id and smtp.to("autorin@test.example") == []


def test_outage_loses_no_mail_they_go_out_after_it_returns(app, smtp, ctx):
    fachkraft, _, leitung, proposal = _proposal_case()
    signals.proposal_returned.send(proposal, actor=leitung, reason="")
    db.session.commit()
    now = datetime.now(timezone.utc)

    down = send_outbox(now=now)  # nothing listens on the port yet
    assert down.sent == 0 and down.retried == 1
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.user_id == fachkraft.id))
    db.session.refresh(mail)
    assert mail.status == MailStatus.PENDING and mail.attempts == 1 and mail.last_error
    assert mail.next_attempt_at > now

    smtp.start()
    assert send_outbox(now=now).sent == 0  # not due yet: backoff
    assert send_outbox(now=now + timedelta(minutes=2)).sent == 1
    assert len(smtp.to("fachkraft@traeger.example")) == 1
    assert send_outbox(now=now + timedelta(hours=1)).sent == 0  # and only once


def test_a_refusing_server_means_retry_later(app, smtp, ctx):
    smtp.start()
    smtp.refuse = True
    fachkraft, _, leitung, proposal = _proposal_case()
    signals.proposal_returned.send(proposal, actor=leitung, reason="")
    db.session.commit()
    now = datetime.now(timezone.utc)
    assert send_outbox(now=now).retried == 1
    smtp.refuse = False
    assert send_outbox(now=now + timedelta(minutes=5)).sent == 1
    assert len(smtp.to("fachkraft@traeger.example")) == 1


def test_two_senders_at_once_send_each_mail_once(app, smtp):
    smtp.start()
    with app.app_context():
        people = [make_user(Role.EHRENAMT, email=f"leser{i}@test.example") for i in range(30)]
        for user in people:
            db.session.add(OutboxMail(user_id=user.id, to_address=user.email, subject="Test", body_text="Hallo",
                                      body_html="<p>Hallo</p>", headers={}, kind="post_commented",
                                      message_id=f"<m{user.id}@test>"))
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(OutboxMail)
                                  .where(OutboxMail.status == MailStatus.PENDING))
    start = threading.Barrier(2)
    results = []

    def sender():
        with app.app_context():
            start.wait()
            results.append(send_outbox(batch=4))
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [m["Message-ID"] for _, m in smtp.messages]
    assert len(ids) == len(set(ids)) == total
    assert sum(r.sent for r in results) == total
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.status != MailStatus.SENT)) == 0


def test_without_mail_server_mails_stay_readable_in_the_postausgang(app, client_as):
    with app.app_context():
        fachkraft, _, leitung, proposal = _proposal_case()
        signals.proposal_returned.send(proposal, actor=leitung, reason="")
        db.session.commit()
        assert send_outbox().sent == 0  # no MAIL_HOST: nothing is sent, nothing is lost
        mail_id = db.session.scalar(select(OutboxMail.id).where(OutboxMail.user_id == fachkraft.id))
    page = client_as("admin").get("/notifications/outbox").get_data(as_text=True)
    assert "nicht versendet (kein Mailserver)" in page and "fachkraft@traeger.example" in page
    one = client_as("admin").get(f"/notifications/outbox/{mail_id}").get_data(as_text=True)
    assert "Rückfrage gestellt" in one and "List-Unsubscribe" in one
    assert client_as("leitung").get(f"/notifications/outbox/{mail_id}").status_code == 403


def test_cli_send_and_digests(app, smtp):
    smtp.start()
    with app.app_context():
        _proposal_case_and_signal()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["mail", "send"])
    assert out.exit_code == 0 and "1 gesendet" in out.output
    out = runner.invoke(args=["mail", "digests"])
    assert out.exit_code == 0 and "Zusammenfassungen" in out.output
    app.config["MAIL_HOST"] = ""
    assert "Kein Mailserver" in runner.invoke(args=["mail", "send"]).output


def _proposal_case_and_signal():
    fachkraft, _, leitung, proposal = _proposal_case()
    signals.proposal_returned.send(proposal, actor=leitung, reason="")
    db.session.commit()


# --- digests ----------------------------------------------------------------------------------------

def _at(y, m, d, hh=12, mm=0) -> datetime:
    """A local (Berlin) time as an aware datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def _note(user, when: datetime, key: str, text: str, kind: str = "board_post") -> Notification:
    n = Notification(user_id=user.id, kind=kind, subject_key=key, subject_title=f"Pinnwand {key}", text=text,
                     url="/board/", created_at=when.astimezone(timezone.utc))
    db.session.add(n)
    db.session.flush()
    return n


def _digests_to(user) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.user_id == user.id,
                                                            OutboxMail.kind.like("digest:%")).order_by(OutboxMail.id)))


def test_daily_digest_groups_by_object_newest_first_and_counts_the_rest(ctx):
    user = make_user(Role.EHRENAMT, email="digest@test.example")
    _note(user, _at(2027, 3, 9, 8), "board:1", "Älteste auf 1")
    _note(user, _at(2027, 3, 9, 9), "board:2", "Einzige auf 2")
    _note(user, _at(2027, 3, 9, 10), "board:1", "Mittlere auf 1")
    _note(user, _at(2027, 3, 9, 23, 59), "board:1", "Neueste auf 1")
    _note(user, _at(2027, 3, 10, 0, 30), "board:1", "Von heute")  # the digest's own day: tomorrow's digest
    _note(user, _at(2027, 3, 9, 11), "post:7", "Kommentar", kind="post_commented")  # sofort, no digest

    assert build_digests(now=_at(2027, 3, 10, 6)) >= 1
    [mail] = _digests_to(user)
    assert mail.kind == "digest:taeglich"
    assert mail.subject == "Tägliche Zusammenfassung: 4 Neuigkeiten"
    text = mail.body_text
    assert "09.03.2027 bis 09.03.2027" in text
    assert text.index("Neueste auf 1") < text.index("Einzige auf 2")  # groups: newest first
    assert "und 2 weitere" in text and "Mittlere auf 1" not in text and "Von heute" not in text
    assert "Kommentar" not in text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # the same day again: nothing new, no second mail
    build_digests(now=_at(2027, 3, 10, 18))
    assert len(_digests_to(user)) == 1
    # the next day: exactly what came since, i.e. the item of the 10th
    build_digests(now=_at(2027, 3, 11, 6))
    second = _digests_to(user)[1]
    assert second.subject == "Tägliche Zusammenfassung: 1 Neuigkeit" and "Von heute" in second.body_text


def test_no_digest_when_nothing_is_new_but_the_period_moves_on(ctx):
    user = make_user(Role.EHRENAMT)
    build_digests(now=_at(2027, 3, 10, 6))
    assert _digests_to(user) == []
    run = db.session.get(DigestRun, (user.id, Channel.TAEGLICH))
    assert run.covered_until == _at(2027, 3, 10, 0).astimezone(timezone.utc)


def test_daily_digest_over_the_dst_change(ctx):
    """25 October 2026: clocks go back (03:00 CEST -> 02:00 CET), the day has 25 hours."""
    user = make_user(Role.EHRENAMT)
    build_digests(now=_at(2026, 10, 25, 6))  # covers the 24th
    late_24 = _note(user, datetime(2026, 10, 24, 21, 30, tzinfo=timezone.utc), "board:1", "Am 24. spät")  # 23:30 CEST
    early_25 = _note(user, datetime(2026, 10, 24, 22, 30, tzinfo=timezone.utc), "board:1", "Am 25. früh")  # 00:30 CEST
    in_extra_hour = _note(user, datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc), "board:2", "Doppelte Stunde")  # 02:30 CET
    late_25 = _note(user, datetime(2026, 10, 25, 22, 30, tzinfo=timezone.utc), "board:3", "Am 25. spät")  # 23:30 CET
    next_day = _note(user, datetime(2026, 10, 25, 23, 30, tzinfo=timezone.utc), "board:4", "Am 26.")  # 00:30 CET 26th
    assert late_24 and early_25 and in_extra_hour and late_25 and next_day

    build_digests(now=_at(2026, 10, 26, 6))
    [mail] = _digests_to(user)  # the 24th's late item was already past when it was created: not re-sent
    text = mail.body_text
    assert mail.subject == "Tägliche Zusammenfassung: 3 Neuigkeiten"
    for seen in ("Am 25. früh", "Doppelte Stunde", "Am 25. spät"):
        assert seen in text
    assert "Am 24. spät" not in text and "Am 26." not in text
    assert period_end(Channel.TAEGLICH, _at(2026, 10, 26, 6)) - period_end(Channel.TAEGLICH, _at(2026, 10, 25, 6)) \
        == timedelta(hours=25)


def test_weekly_digest_keeps_coming_every_week(ctx):
    user = make_user(Role.EHRENAMT)
    db.session.add(NotificationSetting(user_id=user.id, kind="board_post", channel=Channel.WOECHENTLICH))
    db.session.flush()
    mondays = [_at(2027, 3, 8, 7), _at(2027, 3, 15, 7), _at(2027, 3, 22, 7), _at(2027, 3, 29, 7)]  # DST on 28 March
    for monday in mondays[:-1]:
        _note(user, monday + timedelta(days=2), f"board:{monday.day}", f"Woche ab {monday.day}.")
    for monday in mondays:
        build_digests(now=monday)
    mails = _digests_to(user)
    assert [m.kind for m in mails] == ["digest:woechentlich"] * 3
    assert ["Woche ab 8." in mails[0].body_text, "Woche ab 15." in mails[1].body_text,
            "Woche ab 22." in mails[2].body_text] == [True, True, True]
    assert "Wöchentliche Zusammenfassung: 1 Neuigkeit" == mails[2].subject


def test_grouping_counts_further_items_per_object(ctx):
    user = make_user(Role.EHRENAMT)
    items = [_note(user, _at(2027, 1, 5, h), key, f"{key} {h}") for h, key in
             [(8, "a"), (9, "b"), (10, "a"), (11, "c"), (12, "a"), (13, "b")]]
    groups = group_notifications(items)
    assert [(g.newest.text, g.further) for g in groups] == [("b 13", 1), ("a 12", 2), ("c 11", 0)]


# --- unsubscribe ------------------------------------------------------------------------------------------

def test_one_click_unsubscribe_needs_no_session_and_no_csrf_token(app):
    with app.app_context():
        user = make_user(Role.FACHKRAFT)
        db.session.commit()
        token = unsubscribe_token(user.id, "proposal_returned")
        uid = user.id
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200 and "Rückfrage zu einem Antrag" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(NotificationSetting, (uid, "proposal_returned")) is None  # GET changes nothing
    response = client.post(f"/notifications/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(NotificationSetting, (uid, "proposal_returned")).channel == Channel.PORTAL
    # a forged token (someone else's id) is not accepted
    assert client.post(f"/notifications/unsubscribe/{token[:-2]}xx").status_code == 404


def test_unsubscribing_a_digest_turns_its_kinds_to_portal_only(app):
    with app.app_context():
        user = make_user(Role.EHRENAMT)
        db.session.commit()
        token, uid = unsubscribe_token(user.id, "digest:taeglich"), user.id
    assert app.test_client().post(f"/notifications/unsubscribe/{token}").status_code == 200
    with app.app_context():
        assert db.session.get(NotificationSetting, (uid, "board_post")).channel == Channel.PORTAL
        assert db.session.get(NotificationSetting, (uid, "post_commented")) is None  # sofort stays


# --- account mails: "Passwort vergessen?" and invitations ---------------------------------------------------

def test_forgot_password_mails_a_single_use_link_same_answer_for_unknown(app, smtp):
    smtp.start()
    with app.app_context():
        make_user(Role.EHRENAMT, email="vergesslich@test.example").password_hash = "x"
        db.session.commit()
    client = app.test_client()
    page = client.get("/account/forgot").get_data(as_text=True)
    assert "E-Mail" in page and "verschickt keine E-Mails" not in page
    known = client.post("/account/forgot", data={"email": "Vergesslich@test.example"})
    unknown = client.post("/account/forgot", data={"email": "niemand@test.example"})
    assert known.status_code == unknown.status_code == 200
    answer = lambda r: r.get_data(as_text=True).split("<h1>")[1]  # noqa: E731
    assert answer(known) == answer(unknown)
    with app.app_context():
        assert send_outbox().sent == 1
    [msg] = smtp.to("vergesslich@test.example")
    assert msg["Subject"].startswith("Neues Passwort") and "List-Unsubscribe" not in msg
    link = next(line for line in msg.get_body(("plain",)).get_content().splitlines() if "/account/set-password/" in line)
    path = link.strip().removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    assert client.post(path, data={"password": "ein langes neues Passwort", "confirm": "ein langes neues Passwort"}
                       ).status_code == 303
    assert client.get(path).status_code == 404  # single use


def test_forgot_password_is_rate_limited_per_address(app, smtp):
    smtp.start()
    client = app.test_client()
    statuses = [client.post("/account/forgot", data={"email": "jemand@test.example"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_without_mail_server_forgot_page_keeps_the_administration_way(client):
    assert "verschickt keine E-Mails" in client.get("/account/forgot").get_data(as_text=True)


def test_admin_invitation_is_mailed_when_a_server_is_set_up(app, smtp, client_as):
    smtp.start()
    with app.app_context():
        uid = make_user(Role.EHRENAMT, email="neu@test.example").id
        db.session.commit()
    page = client_as("admin").post(f"/admin/users/{uid}/link").get_data(as_text=True)
    assert "per E-Mail an neu@test.example unterwegs" in page
    with app.app_context():
        send_outbox()
    [msg] = smtp.to("neu@test.example")
    assert msg["Subject"] == "Einladung zum Trägerportal"
    assert "/account/set-password/" in msg.get_body(("plain",)).get_content()


# --- STARTTLS / TLS with login ----------------------------------------------------------------------------

@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 (the test's own CA)."""
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class _Logins:
    def __init__(self):
        self.seen = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        self.seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"portal" and auth_data.password == b"geheim")


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_encrypted_delivery_with_login(app, ctx, certificate, security):
    import ssl

    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, logins, port = Inbox(), _Logins(), _free_port()
    options = dict(authenticator=logins, auth_require_tls=True)
    if security == "starttls":
        controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_tls,
                                require_starttls=True, **options)
    else:
        # implicit TLS: the whole connection is encrypted (aiosmtpd only knows STARTTLS for auth_require_tls)
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=server_tls,
                                **{**options, "auth_require_tls": False})
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_SECURITY=security, MAIL_USER="portal",
                      MAIL_PASSWORD="geheim", MAIL_CA_FILE=str(cert), MAIL_TIMEOUT=5)
    controller.start()
    try:
        _proposal_case_and_signal()
        result = send_outbox()
        assert result.sent == 1, db.session.scalars(select(OutboxMail.last_error)).all()
        assert len(inbox.to("fachkraft@traeger.example")) == 1
        assert logins.seen == [(b"portal", b"geheim")]
        # without trusting the CA the certificate is refused: the mail waits, nothing is sent in clear
        app.config["MAIL_CA_FILE"] = ""
        db.session.add(OutboxMail(to_address="x@test.example", subject="Test", body_text="Hallo", body_html="<p>Hallo</p>",
                                  headers={}, kind="post_commented", message_id="<tls-test@test>"))
        db.session.commit()
        result = send_outbox()
        assert result.sent == 0 and result.retried == 1
    finally:
        controller.stop()
