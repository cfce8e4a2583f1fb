"""AG 78 Einladung and Rückmeldung (issue 15 items 1 and 2): the Ladungsfrist warning and reason,
the invitation in the portal and by mail with an iTIP .ics (ORGANIZER, ATTENDEE with PARTSTAT, a
stable UID, SEQUENCE raised by an update, METHOD:CANCEL), Zusage / Absage / Vertretung and who may
reply, the deputy's own term, the expected quorum and the attendance prefilled from the replies."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.ag import invitations, services
from portal.ag.models import (Function, Meeting, MeetingReply, MeetingStatus, Membership, Presence, ReplyAnswer,
                              WorkingGroup)
from portal.auth.models import User
from portal.errors import NotAllowed
from portal.extensions import db
from portal.formatting import heute
from portal.notifications.mail import send_outbox
from portal.notifications.models import Notification, OutboxMail
from tests.conftest import get_user
from tests.factories.ag import add_member, make_attachment, make_group, make_item, make_meeting, make_person
from tests.test_notifications_mail import smtp  # noqa: F401  (the aiosmtpd fixture)


class Case:
    """AG "Einlad": the Protokoll and the member (demo logins), four more voting members, one of
    them (Bernd) with a deputy, a guest without a vote; one planned meeting ``days`` ahead."""

    def __init__(self, app, days: int = 30):
        with app.app_context():
            yesterday = heute() - timedelta(days=1)
            for role in ("protokoll", "ag_mitglied"):  # members of this AG only
                for ms in db.session.scalars(select(Membership).where(Membership.user_id == get_user(role).id)):
                    ms.valid_to = yesterday
            group = make_group(short_name="AG Einlad", slug="einlad")
            self.protokoll = add_member(group, "protokoll", Function.PROTOKOLL).id
            self.member = add_member(group, "ag_mitglied").id
            people = [add_member(group, make_person(n)) for n in ("Anna Adler", "Bernd Berg", "Carla Conrad",
                                                                  "Dieter Dorn")]
            self.deputy_user = make_person("Vera Vertreterin").id
            people[0].function = Function.SPRECHER
            self.sprecher_user = people[0].user_id
            add_member(group, make_person("Gisela Gast"), Function.GAST, voting=False)
            # The demo login "ag_mitglied" has a deputy for this AG from today on.
            ms = db.session.get(Membership, self.member)
            ms.deputy_id, ms.deputy_from = self.deputy_user, heute()
            self.people = [p.id for p in people]
            m = make_meeting(group, 1, heute() + timedelta(days=days), status=MeetingStatus.GEPLANT,
                             place="Familienamt, Raum 2.14")
            make_item(m, "Begrüßung")
            make_item(m, "Jugendhilfeplanung")
            make_attachment(m, name="Vorlage Jugendhilfeplanung.pdf")
            db.session.commit()
            self.group_id, self.meeting_id, self.slug = group.id, m.id, group.slug

    def url(self, suffix: str = "") -> str:
        return f"/ag/{self.slug}/meetings/{self.meeting_id}/{suffix}"

    def meeting(self) -> Meeting:
        return db.session.get(Meeting, self.meeting_id)


@pytest.fixture
def case(app) -> Case:
    return Case(app)


def text(response) -> str:
    return response.get_data(as_text=True)


def ics_of(mail: OutboxMail) -> Calendar:
    [file] = mail.attachments
    assert file["content_type"] == "text/calendar"
    return Calendar.from_ical(file["content"])


def vevent(cal: Calendar):
    [event] = cal.walk("VEVENT")
    return event


def attendees(event) -> dict[str, str]:
    """mailto address -> PARTSTAT."""
    values = event.get("attendee")
    values = values if isinstance(values, list) else [values]
    return {str(a).removeprefix("mailto:"): str(a.params["PARTSTAT"]) for a in values}


def invitation_mails(subject_start: str = "Einladung") -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.kind == "meeting_invitation",
                                                            OutboxMail.subject.startswith(subject_start))
                                   .order_by(OutboxMail.id)))


# --- the invitation and its .ics ----------------------------------------------------------------------

def test_invitation_goes_to_every_member_with_an_ics_that_calendars_show_as_a_meeting_request(app, client_as, case):
    client = client_as("protokoll")
    page = text(client.get(case.url()))
    assert "Zu dieser Sitzung ist noch nicht eingeladen" in page and "Einladung versenden" in page
    response = client.post(case.url("invite"), data={})
    assert response.status_code == 303
    with app.app_context():
        m = case.meeting()
        assert m.status == MeetingStatus.EINGELADEN and m.invited_at is not None
        mails = invitation_mails()
        members = services.members_on(case.group_id, m.date)
        assert sorted(mail.to_address for mail in mails) == sorted(ms.user.email for ms in members)
        assert all(mail.attachments[0]["params"] == {"method": "REQUEST"} for mail in mails)
        cal = ics_of(mails[0])
        assert cal["METHOD"] == "REQUEST"
        event = vevent(cal)
        assert str(event["UID"]) == f"ag-einladung-{m.id}@traegerportal"
        assert str(event["ORGANIZER"]) == f"mailto:{get_user('protokoll').email}"
        assert event["ORGANIZER"].params["CN"] == get_user("protokoll").display_name
        assert set(attendees(event).values()) == {"NEEDS-ACTION"} and len(attendees(event)) == len(members)
        assert event["DTSTART"].dt.hour == 9 and str(event["DTSTART"].params["TZID"]) == "Europe/Berlin"
        assert str(event["LOCATION"]) == "Familienamt, Raum 2.14"
        assert "TOP 2: Jugendhilfeplanung" in str(event["DESCRIPTION"])
        assert "Vorlage Jugendhilfeplanung.pdf" in mails[0].body_text
        # in the portal: the bell of the member leads to the reply on the meeting page
        note = db.session.scalar(select(Notification).where(Notification.user_id == get_user("ag_mitglied").id,
                                                            Notification.kind == "meeting_invitation"))
        assert note.url == case.url() + "#rueckmeldung"
    # sending twice is refused
    assert client.post(case.url("invite"), data={}).status_code == 409


def test_the_postausgang_shows_the_invitation_with_its_ics(app, client_as, case):
    client_as("protokoll").post(case.url("invite"), data={})
    with app.app_context():
        mail_id = invitation_mails()[0].id
    page = text(client_as("admin").get(f"/notifications/outbox/{mail_id}"))
    assert "einladung.ics" in page and "METHOD:REQUEST" in page and "method=REQUEST" in page


def test_replies_appear_as_partstat_in_the_ics(app, client_as, case):
    client_as("protokoll").post(case.url("invite"), data={})
    assert client_as("ag_mitglied").post(case.url("reply"), data={"answer": "zusage"}).status_code == 303
    ics = client_as("protokoll").get(case.url("invitation.ics"))
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    event = vevent(Calendar.from_ical(ics.data))
    parts = attendees(event)
    with app.app_context():
        assert parts[get_user("ag_mitglied").email] == "ACCEPTED"
        assert parts[get_user("protokoll").email] == "NEEDS-ACTION"
    client_as("ag_mitglied").post(case.url("reply"), data={"answer": "vertretung"})
    event = vevent(Calendar.from_ical(client_as("protokoll").get(case.url("invitation.ics")).data))
    with app.app_context():
        deputy = db.session.get(User, case.deputy_user)
        parts = attendees(event)
        assert parts[get_user("ag_mitglied").email] == "DELEGATED"
        assert parts[deputy.email] == "ACCEPTED"


def test_moving_the_meeting_sends_an_update_with_the_same_uid_and_a_higher_sequence(app, client_as, case):
    client = client_as("protokoll")
    client.post(case.url("invite"), data={})
    with app.app_context():
        m = case.meeting()
        first = vevent(ics_of(invitation_mails()[0]))
        new_day = m.date + timedelta(days=7)
        data = {"number": 1, "date": new_day.isoformat(), "start_time": "10:00", "end_time": "13:00",
                "place": "Rathaus, Saal", "status": m.status.value}
    assert client.post(case.url("edit"), data=data).status_code == 303
    with app.app_context():
        [update, *_] = invitation_mails("Geänderte Einladung")
        second = vevent(ics_of(update))
        assert ics_of(update)["METHOD"] == "REQUEST"
        assert second["UID"] == first["UID"]
        assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
        assert second["DTSTART"].dt.date() == new_day and second["DTSTART"].dt.hour == 10
        assert str(second["LOCATION"]) == "Rathaus, Saal"
        # the plain "verlegt" notification is not sent on top of the update
        assert not db.session.scalar(select(Notification.id).where(Notification.kind == "meeting_scheduled",
                                                                   Notification.text.contains("verlegt")))
    # place only: an update as well
    data["place"] = "Rathaus, Raum 3"
    client.post(case.url("edit"), data=data)
    with app.app_context():
        third = vevent(ics_of(invitation_mails("Geänderte Einladung")[-1]))
        assert int(third["SEQUENCE"]) > int(second["SEQUENCE"]) and str(third["LOCATION"]) == "Rathaus, Raum 3"


def test_cancelling_an_invited_meeting_sends_method_cancel(app, client_as, case):
    client = client_as("protokoll")
    client.post(case.url("invite"), data={})
    with app.app_context():
        m = case.meeting()
        first = vevent(ics_of(invitation_mails()[0]))
        data = {"number": 1, "date": m.date.isoformat(), "start_time": "09:00", "end_time": "12:00",
                "place": m.place, "status": "abgesagt"}
    assert client.post(case.url("edit"), data=data).status_code == 303
    with app.app_context():
        mails = invitation_mails("Abgesagt")
        assert mails and mails[0].attachments[0]["params"] == {"method": "CANCEL"}
        cal = ics_of(mails[0])
        event = vevent(cal)
        assert cal["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert event["UID"] == first["UID"] and int(event["SEQUENCE"]) > int(first["SEQUENCE"])
    # no more replies to a cancelled meeting
    assert client_as("ag_mitglied").post(case.url("reply"), data={"answer": "zusage"}).status_code == 409


def test_the_invitation_arrives_by_mail_with_the_ics_attached(app, client_as, case, smtp):  # noqa: F811
    client_as("protokoll").post(case.url("invite"), data={})
    smtp.start()
    with app.app_context():
        result = send_outbox()
        assert result.sent >= 7
        address = get_user("ag_mitglied").email
    [message] = smtp.to(address)
    assert message["Subject"].startswith("Einladung zur AG Einlad – 1. Sitzung")
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST" and parts[0].get_filename() == "einladung.ics"
    cal = Calendar.from_ical(parts[0].get_content())
    event = vevent(cal)
    assert cal["METHOD"] == "REQUEST" and "ORGANIZER" in event and address in attendees(event)
    assert "Bitte sag im Portal zu oder ab" in message.get_body(("plain",)).get_content()
    assert "Tagesordnung:<br>" in message.get_body(("html",)).get_content()  # the lines stay lines


# --- Ladungsfrist ---------------------------------------------------------------------------------

def test_within_the_ladungsfrist_no_reason_is_asked(app, client_as, case):
    page = text(client_as("protokoll").get(case.url("invite")))
    assert "Die Ladungsfrist ist eingehalten." in page and "Begründung für die kurze Ladungsfrist" not in page


def test_outside_the_ladungsfrist_the_portal_warns_and_sending_needs_a_reason(app, client_as):
    case = Case(app, days=5)
    client = client_as("protokoll")
    assert "Die Ladungsfrist der Geschäftsordnung (14 Tage) ist nicht eingehalten" in text(client.get(case.url()))
    page = text(client.get(case.url("invite")))
    assert "nur noch 5 Tage" in page and "Trotzdem einladen" in page
    response = client.post(case.url("invite"), data={"reason": "  "})
    assert response.status_code == 422
    assert "bitte begründe, warum du trotzdem einlädst" in text(response)
    with app.app_context():
        assert case.meeting().invited_at is None and not invitation_mails()
    reason = "Der Jugendhilfeausschuss hat die Vorlage erst gestern beschlossen."
    assert client.post(case.url("invite"), data={"reason": reason}).status_code == 303
    page = text(client_as("ag_mitglied").get(case.url()))
    assert "Einladung außerhalb der Ladungsfrist." in page and reason in page
    with app.app_context():
        mail = invitation_mails()[0]
        assert reason in mail.body_text
        assert reason in str(vevent(ics_of(mail))["DESCRIPTION"]).replace("\n", "")
        assert case.meeting().short_notice_reason == reason


def test_the_ladungsfrist_comes_from_the_ags_settings(app, client_as, case):
    with app.app_context():
        assert db.session.get(WorkingGroup, case.group_id).notice_days == 14
        m = case.meeting()
        m.date = heute() + timedelta(days=8)
        db.session.commit()
    assert "nicht eingehalten" in text(client_as("protokoll").get(case.url("invite")))
    settings = f"/ag/{case.slug}/settings"
    assert client_as("ag_mitglied").get(settings).status_code == 403
    assert client_as("protokoll").post(settings, data={"notice_days": 7}).status_code == 403
    assert client_as("admin").post(settings, data={"notice_days": 200}).status_code == 422
    assert client_as("admin").post(settings, data={"notice_days": 7}).status_code == 303
    with app.app_context():
        assert db.session.get(WorkingGroup, case.group_id).notice_days == 7
    assert "Die Ladungsfrist ist eingehalten." in text(client_as("protokoll").get(case.url("invite")))


def test_a_sprecher_may_change_the_settings(app, case):
    with app.app_context():
        group = db.session.get(WorkingGroup, case.group_id)
        sprecher = db.session.get(User, case.sprecher_user)
        invitations.save_settings(group, sprecher, notice_days=10)
        assert group.notice_days == 10
        with pytest.raises(NotAllowed):
            invitations.save_settings(group, get_user("ag_mitglied"), notice_days=3)
        db.session.rollback()


def test_only_the_protokoll_and_sprecher_send_invitations(app, client_as, case):
    assert client_as("ag_mitglied").get(case.url("invite")).status_code == 403
    assert client_as("ag_mitglied").post(case.url("invite"), data={}).status_code == 403
    assert client_as("leitung").post(case.url("invite"), data={}).status_code == 403
    assert client_as("fachkraft").post(case.url("invite"), data={}).status_code == 404


def test_a_meeting_in_the_past_cannot_be_invited_to(app, client_as, case):
    with app.app_context():
        case.meeting().date = heute() - timedelta(days=1)
        db.session.commit()
    assert client_as("protokoll").post(case.url("invite"), data={}).status_code == 409


# --- replies ----------------------------------------------------------------------------------------

def test_who_may_reply(app, client_as, case):
    assert client_as("ag_mitglied").post(case.url("reply"), data={"answer": "zusage"}).status_code == 409  # not invited
    client_as("protokoll").post(case.url("invite"), data={})
    assert client_as("fachkraft").post(case.url("reply"), data={"answer": "zusage"}).status_code == 404
    assert client_as("anonymous").post(case.url("reply"), data={"answer": "zusage"}).status_code in (302, 303, 401, 404)
    assert client_as("leitung").post(case.url("reply"), data={"answer": "zusage"}).status_code == 403
    assert client_as("admin").post(case.url("reply"), data={"answer": "zusage"}).status_code == 403
    assert client_as("ag_mitglied").post(case.url("reply"), data={"answer": "vielleicht"}).status_code == 422
    assert client_as("ag_mitglied").post(case.url("reply"), data={"answer": "absage"}).status_code == 303
    assert client_as("ag_mitglied").post(case.url("reply"), data={"answer": "zusage"}).status_code == 303
    with app.app_context():
        rows = db.session.scalars(select(MeetingReply).where(MeetingReply.meeting_id == case.meeting_id)).all()
        assert [(r.membership_id, r.answer) for r in rows] == [(case.member, ReplyAnswer.ZUSAGE)]
    page = text(client_as("ag_mitglied").get(case.url()))
    assert "Bisher: <strong>Zusage</strong>" in page


def test_no_reply_once_the_meeting_has_started(app, client_as, case):
    client_as("protokoll").post(case.url("invite"), data={})
    with app.app_context():
        case.meeting().date = heute() - timedelta(days=1)
        db.session.commit()
    assert client_as("ag_mitglied").post(case.url("reply"), data={"answer": "zusage"}).status_code == 409


def test_the_mail_link_leads_to_the_reply_after_login(app, client, case, client_as):
    client_as("protokoll").post(case.url("invite"), data={})
    response = client.get(case.url())
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    with app.app_context():
        email = get_user("ag_mitglied").email
    response = client.post(response.headers["Location"], data={"email": email, "password": "demo-passwort"})
    assert response.headers["Location"].endswith(case.url())
    assert "Kommst du zur 1. Sitzung?" in text(client.get(case.url()))


# --- Stellvertretung -----------------------------------------------------------------------------

def test_the_deputy_term_decides_whether_vertretung_is_offered(app, client_as, case):
    client_as("protokoll").post(case.url("invite"), data={})
    with app.app_context():
        m = case.meeting()
        ms = db.session.get(Membership, case.member)
        assert ms.deputy_on(m.date).id == case.deputy_user
        ms.deputy_to = m.date - timedelta(days=1)  # the term ends before the meeting
        db.session.commit()
        assert ms.deputy_on(m.date) is None
    page = text(client_as("ag_mitglied").get(case.url()))
    assert "meine Stellvertretung" not in page
    response = client_as("ag_mitglied").post(case.url("reply"), data={"answer": "vertretung"})
    assert response.status_code == 422 and "keine Stellvertretung eingetragen" in text(response)
    with app.app_context():
        ms = db.session.get(Membership, case.member)
        ms.deputy_to, ms.deputy_from = None, case.meeting().date + timedelta(days=1)  # starts after the meeting
        db.session.commit()
        assert ms.deputy_on(case.meeting().date) is None
        ms.deputy_from = case.meeting().date
        db.session.commit()
    assert "meine Stellvertretung Vera Vertreterin kommt" in text(client_as("ag_mitglied").get(case.url()))
    assert client_as("ag_mitglied").post(case.url("reply"), data={"answer": "vertretung"}).status_code == 303
    with app.app_context():
        reply = db.session.get(MeetingReply, (case.meeting_id, case.member))
        assert reply.answer == ReplyAnswer.VERTRETUNG and reply.deputy_id == case.deputy_user


@pytest.mark.parametrize("voting, deputy_from, deputy_to, on, valid", [
    (True, None, None, date(2026, 5, 1), True),
    (True, date(2026, 5, 1), date(2026, 5, 31), date(2026, 5, 31), True),
    (True, date(2026, 5, 1), date(2026, 5, 31), date(2026, 6, 1), False),
    (True, date(2026, 5, 2), None, date(2026, 5, 1), False),
    (False, None, None, date(2026, 5, 1), False),  # only a voting member's deputy counts
])
def test_deputy_on(voting, deputy_from, deputy_to, on, valid):
    deputy = User(email="vera@ag.example", display_name="Vera Vertreterin")
    ms = Membership(voting=voting, valid_from=date(2020, 1, 1), valid_to=None, deputy_id=1, deputy=deputy,
                    deputy_from=deputy_from, deputy_to=deputy_to)
    assert ms.deputy_on(on) is (deputy if valid else None)


def test_the_deputy_is_managed_with_the_membership(app, client_as, case):
    url = f"/ag/{case.slug}/members/{case.people[1]}"
    page = text(client_as("admin").get(url))
    assert "Stellvertretung ab" in page and "Stellvertretung bis" in page
    with app.app_context():
        ms = db.session.get(Membership, case.people[1])
        data = {"user": ms.user_id, "traeger": 0, "function": "mitglied", "voting": "y",
                "valid_from": "2020-01-01", "deputy": ms.user_id}
    response = client_as("admin").post(url, data=data)
    assert response.status_code == 422 and "eine andere Person" in text(response)
    data.update(deputy=case.deputy_user, deputy_from="2026-06-01", deputy_to="2026-05-01")
    response = client_as("admin").post(url, data=data)
    assert response.status_code == 422 and "vor dem Beginn der Stellvertretung" in text(response)
    data.update(deputy_to="2027-05-31")
    assert client_as("admin").post(url, data=data).status_code == 303
    with app.app_context():
        ms = db.session.get(Membership, case.people[1])
        assert (ms.deputy_id, ms.deputy_from, ms.deputy_to) == (case.deputy_user, date(2026, 6, 1), date(2027, 5, 31))
    assert client_as("protokoll").post(url, data=data).status_code == 403


# --- expected attendance and quorum, prefilled attendance ------------------------------------------

def test_the_meeting_page_shows_the_expected_attendance_and_quorum(app, client_as, case):
    client_as("protokoll").post(case.url("invite"), data={})
    client_as("ag_mitglied").post(case.url("reply"), data={"answer": "vertretung"})
    client_as("protokoll").post(case.url("reply"), data={"answer": "zusage"})
    with app.app_context():
        anna, bernd = (db.session.get(Membership, i) for i in case.people[:2])
        invitations.reply(case.meeting(), anna.user, ReplyAnswer.ZUSAGE)
        invitations.reply(case.meeting(), bernd.user, ReplyAnswer.ABSAGE)
        db.session.commit()
    page = text(client_as("ag_mitglied").get(case.url()))
    # 6 voting members, 4 needed: Protokoll, Anna (Zusage) and the member's deputy = 3
    assert "Voraussichtlich nicht beschlussfähig:</strong>" in page
    assert "3 von 6 stimmberechtigten Mitgliedern kommen selbst oder mit Stellvertretung (nötig: 4)" in page
    assert "Zusagen (2)" in page and "Absagen (1)" in page and "Vertretungen (1)" in page and "Offen (3)" in page
    assert "Vera Vertreterin für" in page
    with app.app_context():
        carla = db.session.get(Membership, case.people[2])
        invitations.reply(case.meeting(), carla.user, ReplyAnswer.ZUSAGE)
        db.session.commit()
    page = text(client_as("ag_mitglied").get(case.url()))
    assert "Voraussichtlich beschlussfähig:</strong>" in page and "4 von 6" in page


def test_attendance_is_prefilled_from_the_replies_and_the_deputy_counts(app, client_as, case):
    client_as("protokoll").post(case.url("invite"), data={})
    client_as("ag_mitglied").post(case.url("reply"), data={"answer": "vertretung"})
    with app.app_context():
        bernd = db.session.get(Membership, case.people[1])
        invitations.reply(case.meeting(), bernd.user, ReplyAnswer.ABSAGE)
        db.session.commit()
    page = text(client_as("protokoll").get(case.url("attendance")))
    assert "Vorausgewählt nach den Rückmeldungen" in page
    assert f'name="m-{case.member}" value="vertreten" checked' in page
    assert "vertreten durch Vera Vertreterin" in page
    assert f'name="m-{case.people[1]}" value="entschuldigt" checked' in page
    assert f'name="m-{case.people[2]}" value="anwesend" checked' in page  # no reply: present
    assert f'name="m-{case.people[2]}" value="vertreten"' not in page  # no deputy: not offered
    with app.app_context():
        members = services.members_on(case.group_id, case.meeting().date)
        data = {f"m-{ms.id}": "anwesend" for ms in members}
    data[f"m-{case.member}"] = "vertreten"
    data[f"m-{case.people[1]}"] = "entschuldigt"
    data[f"m-{case.people[2]}"] = "vertreten"  # Carla has no deputy
    response = client_as("protokoll").post(case.url("attendance"), data=data)
    assert response.status_code == 422 and "keine Stellvertretung eingetragen" in text(response)
    data[f"m-{case.people[2]}"] = "anwesend"
    assert client_as("protokoll").post(case.url("attendance"), data=data).status_code == 303
    with app.app_context():
        m = case.meeting()
        q = services.quorum(m)
        assert q.voting_present == 5 and q.reached  # the deputy counts for the absent member
        assert {a.membership_id: a.presence for a in m.attendance}[case.member] == Presence.VERTRETEN
    page = text(client_as("protokoll").get(case.url()))
    assert "Vertreten (Stellvertretung anwesend) (1)" in page and "vertreten durch Vera Vertreterin" in page


def test_the_meeting_page_with_replies_runs_a_fixed_number_of_queries(app, client_as, count_queries, case):
    client = client_as("ag_mitglied")
    client_as("protokoll").post(case.url("invite"), data={})
    client.post(case.url("reply"), data={"answer": "zusage"})
    client.get(case.url())
    with count_queries() as small:
        client.get(case.url())
    with app.app_context():
        group = db.session.get(WorkingGroup, case.group_id)
        for i in range(20):
            ms = add_member(group, make_person(f"Person {i}"))
            ms.deputy_id = case.deputy_user
            invitations.reply(case.meeting(), ms.user, ReplyAnswer.VERTRETUNG if i % 2 else ReplyAnswer.ZUSAGE)
        db.session.commit()
    client.get(case.url())  # renews the layout facts the new memberships changed (portal.navigation)
    with count_queries() as large:
        assert "Zusagen (11)" in text(client.get(case.url()))
    assert large.count == small.count, large.statements


def test_replies_and_deputyships_are_in_the_own_data_export(app, client_as, case):
    client_as("protokoll").post(case.url("invite"), data={})
    client_as("ag_mitglied").post(case.url("reply"), data={"answer": "absage"})
    export = client_as("ag_mitglied").get("/account/export.json").get_json()["ag_78"]
    assert {"sitzung": case.meeting_id, "antwort": "Absage"}.items() <= export["rueckmeldungen"][-1].items()
    with app.app_context():
        assert invitations.own_memberships(case.meeting(), get_user("ag_mitglied"))[0].deputy_id == case.deputy_user
        deputy = db.session.get(User, case.deputy_user)
        assert [d["mitgliedschaft"] for d in services.personal_data(deputy)["stellvertretung_fuer"]] == [case.member]


def test_the_start_page_lists_an_unanswered_invitation_until_the_member_replies(app, client_as, case):
    member = client_as("ag_mitglied")
    assert "Einladungen zu beantworten" not in text(member.get("/"))  # not invited yet
    client_as("protokoll").post(case.url("invite"), data={})
    page = text(member.get("/"))
    assert "Einladungen zu beantworten" in page
    assert f'href="{case.url()}"' in page or f'href="{case.url().rstrip("/")}"' in page
    assert "Einladungen zu beantworten" not in text(client_as("ehrenamt").get("/"))  # not a member
    member.post(case.url("reply"), data={"answer": "absage"})
    assert "Einladungen zu beantworten" not in text(member.get("/"))
