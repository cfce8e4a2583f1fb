"""Demo data: the AG 78 Hilfen zur Erziehung with 17 voting members and five meetings (DOMAIN.md, part 4).

Idempotent: the AG is found by its slug, people by e-mail, memberships by person, meetings by
number; a meeting that exists is left as it is.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal.ag.models import (ActionItem, AgendaItem, Attendance, Decision, Function, Meeting, MeetingReply,
                              MeetingStatus, Membership, MinutesEvent, MinutesStatus, Presence, ReadReceipt,
                              ReplyAnswer, WorkingGroup)
from portal.auth.models import Role, User
from portal.extensions import db, utcnow
from portal.formatting import BERLIN
from portal.org.models import Traeger, TraegerKind
from portal.security import hash_password
from portal.text import render_markdown

SLUG = "hze"
START = date(2026, 1, 27)

#: Further freie Träger of the HzE field (the foundation seeds the big ones).
MORE_TRAEGER = [
    ("Internationaler Bund e. V.", "IB"),
    ("SOS-Kinderdorf e. V.", "SOS-Kinderdorf"),
    ("Volkssolidarität Regionalverband e. V.", "Volkssolidarität"),
    ("Deutscher Kinderschutzbund Ortsverband e. V.", "Kinderschutzbund"),
    ("Sozialwerk Heilige Familie gGmbH", "Sozialwerk"),
    ("Jugendwerkstatt e. V.", "Jugendwerkstatt"),
    ("Kinderhaus Regenbogen e. V.", "Kinderhaus Regenbogen"),
    ("Jugendhilfe Lichtblick gGmbH", "Lichtblick"),
    ("Kinder- und Jugendhilfe Thüringen e. V.", "KJH Thüringen"),
    ("Erziehungshilfe Ilmtal e. V.", "Erziehungshilfe Ilmtal"),
    ("Familienzentrum Schöndorf e. V.", "Familienzentrum Schöndorf"),
]

#: e-mail, name, Träger (short name), voting, function. Demo people without documented login
#: get the demo password too.
MEMBERS = [
    ("jens.lorenz@htg.example", "Jens Lorenz", "HTG", True, Function.SPRECHER),
    ("sandra.keller@caritas.example", "Sandra Keller", "Caritas", True, Function.STELLV_SPRECHER),
    ("birgit.franke@drk.example", "Birgit Franke", "DRK", True, Function.STELLV_SPRECHER),
    ("ag.mitglied@portal.example", "Martin Hoffmann", "Diakonie", True, Function.MITGLIED),
    ("uwe.schroeder@awo.example", "Uwe Schröder", "AWO", True, Function.MITGLIED),
    ("katrin.weber@lebenshilfe.example", "Katrin Weber", "Lebenshilfe", True, Function.MITGLIED),
    ("stefan.braun@ib.example", "Stefan Braun", "IB", True, Function.MITGLIED),
    ("nicole.zimmermann@sos.example", "Nicole Zimmermann", "SOS-Kinderdorf", True, Function.MITGLIED),
    ("andreas.krueger@volkssolidaritaet.example", "Andreas Krüger", "Volkssolidarität", True, Function.MITGLIED),
    ("julia.hartmann@kinderschutzbund.example", "Julia Hartmann", "Kinderschutzbund", True, Function.MITGLIED),
    ("michael.schmitt@sozialwerk.example", "Michael Schmitt", "Sozialwerk", True, Function.MITGLIED),
    ("sabine.koch@jugendwerkstatt.example", "Sabine Koch", "Jugendwerkstatt", True, Function.MITGLIED),
    ("tobias.walter@regenbogen.example", "Tobias Walter", "Kinderhaus Regenbogen", True, Function.MITGLIED),
    ("anja.schubert@lichtblick.example", "Anja Schubert", "Lichtblick", True, Function.MITGLIED),
    ("ralf.guenther@kjh.example", "Ralf Günther", "KJH Thüringen", True, Function.MITGLIED),
    ("petra.seidel@ilmtal.example", "Petra Seidel", "Erziehungshilfe Ilmtal", True, Function.MITGLIED),
    ("heike.ludwig@fz-schoendorf.example", "Heike Ludwig", "Familienzentrum Schöndorf", True, Function.MITGLIED),
    ("protokoll.ag78@portal.example", "Claudia Richter", "Familienamt", False, Function.PROTOKOLL),
    ("frank.meissner@familienamt.example", "Frank Meißner", "Familienamt", False, Function.MITGLIED),
    ("gerda.winkler@stadtrat.example", "Gerda Winkler", None, False, Function.GAST),
]

# One paragraph: Markdown turns single line breaks into <br> (nl2br).
DESCRIPTION = ("Arbeitsgemeinschaft nach § 78 SGB VIII der öffentlichen und der freien Träger der ambulanten "
               "und stationären Hilfen zur Erziehung. Sie berät die fachliche Weiterentwicklung der HzE, die "
               "Umsetzung der Sozialraumorientierung und bereitet Empfehlungen für den Jugendhilfeausschuss (JHA) vor.")

RULES = """### § 1 Aufgaben
Die AG stimmt die Planung und Weiterentwicklung der Hilfen zur Erziehung ab und gibt dem
Jugendhilfeausschuss Empfehlungen.

### § 2 Mitglieder
- Jeder anerkannte freie Träger der HzE benennt eine stimmberechtigte Vertretung und eine Stellvertretung.
- Das Familienamt wirkt beratend mit und führt das Protokoll.
- Die oder der Vorsitzende des JHA kann als Gast teilnehmen.

### § 3 Sitzungen
1. Die AG tagt mindestens viermal im Jahr.
2. Die Einladung mit Tagesordnung wird **zwei Wochen** vor der Sitzung versandt *(geändert in der 1. Sitzung)*.
3. Ist ein Mitglied verhindert, nimmt die benannte Stellvertretung teil *(ergänzt in der 1. Sitzung)*.

### § 4 Beschlüsse
Die AG ist beschlussfähig, wenn mehr als die Hälfte der stimmberechtigten Mitglieder anwesend ist.
Beschlüsse werden mit einfacher Mehrheit der abgegebenen Stimmen gefasst.

### § 5 Sprecher:innen
Die AG wählt für zwei Jahre einen 1. Sprecher oder eine 1. Sprecherin und zwei stellvertretende
Sprecher:innen. Sie bereiten die Sitzungen mit dem Protokoll vor.

### § 6 Niederschrift
Über jede Sitzung wird eine Niederschrift gefertigt, den Mitgliedern veröffentlicht und in der
folgenden Sitzung genehmigt. Spätere Korrekturen werden als Berichtigung angefügt."""

PLACE = "Familienamt, Schwanseestraße 17, Beratungsraum 2.14"


def at(y: int, m: int, d: int, hour: int = 12) -> datetime:
    return datetime(y, m, d, hour, tzinfo=BERLIN)


#: number -> meeting: date, status, minutes status, (published, approved + note), agenda
#: [(title, description, minutes, decisions [(text, yes, no, abstain)], actions [(task, who, due, done)])]
MEETINGS = [
    dict(number=1, date=date(2026, 1, 27), status=MeetingStatus.DURCHGEFUEHRT, minutes=MinutesStatus.GENEHMIGT,
         published=at(2026, 2, 9), approved=at(2026, 5, 12, 10), note="in der 2. Sitzung am 12.05.2026 einstimmig",
         absent={}, guests="Dr. Karin Lehmann (Leitung Soziale Dienste)",
         agenda=[
             ("Begrüßung und Feststellung der Beschlussfähigkeit", "",
              "Frau Dr. Lehmann begrüßt die Anwesenden zur konstituierenden Sitzung, besonders die Vorsitzende des "
              "Jugendhilfeausschusses. Anwesend sind 24 Vertreterinnen und Vertreter der Träger, davon **17 "
              "stimmberechtigte Mitglieder**. Die AG ist beschlussfähig.", [], []),
             ("Geschäftsordnung", "Entwurf der Geschäftsordnung (Anlage 1), Aussprache und Beschluss",
              "Der Entwurf wird ausführlich beraten. Geändert werden:\n\n"
              "- § 3 Abs. 2: Einladungsfrist zwei statt einer Woche\n"
              "- § 3 Abs. 3: Vertretung durch benannte Stellvertretung ergänzt",
              [("Die Geschäftsordnung der AG 78 HzE wird mit den in der Sitzung besprochenen Änderungen "
                "(§ 3 Abs. 2 und 3) beschlossen.", 17, 0, 0)], []),
             ("Wahl der Sprecher:innen", "Wahl eines 1. Sprechers / einer 1. Sprecherin und zweier Stellvertretungen",
              "Vorgeschlagen werden Herr Lorenz (HTG) als 1. Sprecher sowie Frau Keller (Caritas) und Frau Franke "
              "(DRK) als Sprecherinnen. Alle nehmen die Wahl an.",
              [("Zum 1. Sprecher wird Jens Lorenz (HTG) gewählt, zu Sprecherinnen Sandra Keller (Caritas) und "
                "Birgit Franke (DRK).", 16, 0, 1)], []),
             ("Bestandsaufnahme ambulante und stationäre HzE", "Erste Erkenntnisse aus den Berichten der Träger",
              "Erkenntnisse aus der Aussprache:\n\n"
              "- Die Nachfrage nach Sozialpädagogischer Familienhilfe (§ 31) steigt in allen drei Sozialräumen.\n"
              "- Gruppenangebote im Sozialraum entlasten die Einzelfallhilfe, brauchen aber feste Räume.\n"
              "- Stationäre Träger wünschen frühere Einbindung in die Hilfeplanung.\n"
              "- Fachkräftemangel: mehrere Träger können Stellen nicht besetzen.", [],
              [("Übersicht der Stunden § 31 je Sozialraum zum Stichtag 31.07. für die AG aufbereiten",
                "Familienamt (Frank Meißner)", date(2026, 9, 1), False)]),
             ("Workshop Sozialraumorientierung", "Vorschlag der Träger für einen gemeinsamen Workshop",
              "Die AG verständigt sich auf einen ganztägigen Workshop zur Umsetzung des Fachkonzepts.",
              [("Die AG führt am 20. März 2026 von 9 bis 16 Uhr einen gemeinsamen Workshop zur "
                "Sozialraumorientierung durch.", 17, 0, 0)],
              [("Raum und Moderation für den Workshop am 20. März organisieren", "Sprecher:innen",
                date(2026, 2, 27), True)]),
             ("Verschiedenes und nächste Termine", "",
              "Nächste Sitzungen (jeweils 9–12 Uhr, Familienamt):\n\n"
              "- 12\\. Mai 2026\n- 1\\. September 2026\n- 13\\. Oktober 2026", [], []),
         ]),
    dict(number=2, date=date(2026, 5, 12), status=MeetingStatus.DURCHGEFUEHRT, minutes=MinutesStatus.GENEHMIGT,
         published=at(2026, 5, 26), approved=at(2026, 9, 1, 10), note="in der 3. Sitzung am 01.09.2026",
         absent={"nicole.zimmermann@sos.example": Presence.ENTSCHULDIGT,
                 "andreas.krueger@volkssolidaritaet.example": Presence.ENTSCHULDIGT}, guests="",
         agenda=[
             ("Genehmigung der Niederschrift der 1. Sitzung", "",
              "Die Niederschrift der 1. Sitzung vom 27.01.2026 wird ohne Änderungen genehmigt.",
              [("Die Niederschrift der 1. Sitzung wird genehmigt.", 15, 0, 0)], []),
             ("Bericht aus dem Workshop vom 20. März", "",
              "Ergebnisse des Workshops:\n\n- Gemeinsame Fallunspezifische Arbeit je Sozialraum verabreden\n"
              "- Gruppenangebote sichtbarer machen (Pinnwand und Kalender des Portals)\n"
              "- Zielvorgabe 15 % gemeinsam beobachten", [], []),
             ("Zielvorgabe 15 % Sozialraumangebote", "Stand und Beobachtung der Zielvorgabe",
              "Das Familienamt erläutert die Zielvorgabe: nach einem Jahr sollen 15 % der Stunden ambulanter HzE "
              "je Team in Gruppenangebote oder Projekte im Sozialraum umgewandelt sein.", [], []),
         ]),
    dict(number=3, date=date(2026, 9, 1), status=MeetingStatus.DURCHGEFUEHRT, minutes=MinutesStatus.GENEHMIGT,
         published=at(2026, 9, 15), approved=at(2026, 10, 13, 10), note="in der 4. Sitzung am 13.10.2026",
         absent={"tobias.walter@regenbogen.example": Presence.ENTSCHULDIGT,
                 "heike.ludwig@fz-schoendorf.example": Presence.FEHLT}, guests="",
         agenda=[
             ("Genehmigung der Niederschrift der 2. Sitzung", "",
              "Die Niederschrift der 2. Sitzung wird genehmigt.",
              [("Die Niederschrift der 2. Sitzung wird genehmigt.", 14, 0, 1)], []),
             ("Auswertung Sozialpädagogische Familienhilfe (§ 31)", "Stunden je Sozialraum zum 31.07.",
              "Stand 31.07.: Nord 77 Hilfen / 1.507,6 Stunden, Mitte 45 / 785,3 Stunden, Süd 44 / 826,42 Stunden.\n\n"
              "- Der Sozialraum Nord trägt fast die Hälfte der Stunden.\n"
              "- Die Träger berichten zu Ergebnissen und Wirksamkeit in der nächsten Sitzung.", [],
              [("Kurzbericht zu Ergebnissen und Wirksamkeit der Gruppenangebote vorbereiten", "Sprecher:innen",
                date(2026, 10, 13), True)]),
         ]),
    dict(number=4, date=date(2026, 10, 13), status=MeetingStatus.DURCHGEFUEHRT,
         minutes=MinutesStatus.VEROEFFENTLICHT, published=at(2026, 10, 27), approved=None, note="",
         absent={"stefan.braun@ib.example": Presence.ENTSCHULDIGT}, guests="",
         agenda=[
             ("Genehmigung der Niederschrift der 3. Sitzung", "",
              "Die Niederschrift der 3. Sitzung wird genehmigt.",
              [("Die Niederschrift der 3. Sitzung wird genehmigt.", 16, 0, 0)], []),
             ("Empfehlung an den Jugendhilfeausschuss", "Gruppenangebote im Sozialraum verstetigen",
              "Die AG berät eine Empfehlung an den JHA, bewährte Gruppenangebote über ein Jahr hinaus zu fördern.",
              [("Die AG empfiehlt dem Jugendhilfeausschuss, bewährte Gruppenangebote im Sozialraum als "
                "langlaufende Projekte zu fördern.", 14, 1, 1)],
              [("Empfehlung für die Dezembersitzung des JHA schriftlich fassen", "Jens Lorenz (Sprecher)",
                date(2026, 11, 30), False)]),
             ("Sitzungstermine 2027", "",
              "Die AG tagt 2027 erneut quartalsweise; erste Sitzung am 26. Januar 2027, 9–12 Uhr.", [], []),
         ]),
    dict(number=5, date=date(2027, 1, 26), status=MeetingStatus.EINGELADEN, minutes=MinutesStatus.ENTWURF,
         published=None, approved=None, note="", absent=None, guests="",
         agenda=[
             ("Genehmigung der Niederschrift der 4. Sitzung", "", "", [], []),
             ("Jugendhilfeplanung 2027: Stellungnahme der AG", "Entwurf des Familienamts", "", [], []),
             ("Verschiedenes", "", "", [], []),
         ]),
]


#: Nicht öffentliche TOPs of the demo (figures of single Träger, a draft of the office); all others are Ö.
CLOSED_TOPS = {"Auswertung Sozialpädagogische Familienhilfe (§ 31)", "Jugendhilfeplanung 2027: Stellungnahme der AG"}


def _traeger(short: str | None) -> Traeger | None:
    if short is None:
        return None
    return db.session.scalar(select(Traeger).where(Traeger.short_name == short))


def seed(password: str, reset_passwords: bool = False) -> None:
    for name, short in MORE_TRAEGER:
        if db.session.scalar(select(Traeger).where(Traeger.short_name == short)) is None:
            db.session.add(Traeger(name=name, short_name=short, kind=TraegerKind.FREI))
    db.session.flush()

    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.slug == SLUG))
    if group is None:
        group = WorkingGroup(slug=SLUG, name="AG 78 Hilfen zur Erziehung (ambulante und stationäre Träger)",
                             short_name="AG 78 HzE", description=DESCRIPTION, rules=RULES, rules_adopted_on=START,
                             agenda_public_default=True)
        db.session.add(group)
        db.session.flush()

    shared_hash = None
    people: dict[str, User] = {}
    for email, name, traeger, voting, function in MEMBERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None or reset_passwords:
            shared_hash = shared_hash or hash_password(password)  # one hash for all demo people: fast seeding
        if user is None:
            user = User(email=email, display_name=name, password_hash=shared_hash, traeger=_traeger(traeger))
            user.set_roles([Role.FACHKRAFT])
            db.session.add(user)
        elif reset_passwords and email not in ("ag.mitglied@portal.example", "protokoll.ag78@portal.example"):
            user.password_hash = shared_hash
        people[email] = user
    db.session.flush()

    memberships: dict[str, Membership] = {}
    for email, _name, traeger, voting, function in MEMBERS:
        user = people[email]
        ms = db.session.scalar(select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id))
        if ms is None:
            ms = Membership(group=group, user=user, traeger=_traeger(traeger), voting=voting, function=function,
                            valid_from=START)
            db.session.add(ms)
        memberships[email] = ms
    db.session.flush()

    protokoll = people["protokoll.ag78@portal.example"]
    for spec in MEETINGS:
        if db.session.scalar(select(Meeting.id).where(Meeting.group_id == group.id,
                                                      Meeting.number == spec["number"])):
            continue
        _seed_meeting(group, spec, memberships, people, protokoll)
    _seed_invitation(group, memberships, people, protokoll, password)


#: Stellvertretungen (colleagues of the same Träger, not members themselves): member -> (email, name,
#: Träger, from, until).
DEPUTIES = {
    "ag.mitglied@portal.example": ("lena.vogt@diakonie.example", "Lena Vogt", "Diakonie", START, None),
    "andreas.krueger@volkssolidaritaet.example": ("jana.krause@volkssolidaritaet.example", "Jana Krause",
                                                  "Volkssolidarität", date(2026, 6, 1), date(2027, 5, 31)),
}
#: Replies to the invitation of the 5th meeting; Martin Hoffmann (the demo login) has not answered yet:
#: 8 of 17 voting members come, 9 are needed – his Zusage makes the AG quorate.
REPLIES = {
    "jens.lorenz@htg.example": ReplyAnswer.ZUSAGE, "sandra.keller@caritas.example": ReplyAnswer.ZUSAGE,
    "birgit.franke@drk.example": ReplyAnswer.ZUSAGE, "uwe.schroeder@awo.example": ReplyAnswer.ZUSAGE,
    "katrin.weber@lebenshilfe.example": ReplyAnswer.ZUSAGE, "julia.hartmann@kinderschutzbund.example": ReplyAnswer.ZUSAGE,
    "michael.schmitt@sozialwerk.example": ReplyAnswer.ZUSAGE, "protokoll.ag78@portal.example": ReplyAnswer.ZUSAGE,
    "frank.meissner@familienamt.example": ReplyAnswer.ZUSAGE,
    "stefan.braun@ib.example": ReplyAnswer.ABSAGE, "nicole.zimmermann@sos.example": ReplyAnswer.ABSAGE,
    "andreas.krueger@volkssolidaritaet.example": ReplyAnswer.VERTRETUNG,
}


def _seed_invitation(group, memberships, people, protokoll, password) -> None:
    """Deputies and the invitation of the 5th meeting with replies (once: the meeting not yet invited)."""
    meeting = db.session.scalar(select(Meeting).where(Meeting.group_id == group.id, Meeting.number == 5))
    if meeting is None or meeting.invited_at is not None:
        return
    shared_hash = None
    for member_email, (email, name, traeger, start, end) in DEPUTIES.items():
        deputy = db.session.scalar(select(User).where(User.email == email))
        if deputy is None:
            shared_hash = shared_hash or hash_password(password)
            deputy = User(email=email, display_name=name, password_hash=shared_hash, traeger=_traeger(traeger))
            deputy.set_roles([Role.FACHKRAFT])
            db.session.add(deputy)
            db.session.flush()
        ms = memberships[member_email]
        ms.deputy_id, ms.deputy_from, ms.deputy_to = deputy.id, start, end
    meeting.invited_at = at(2026, 11, 24, 9)
    meeting.invited_by = protokoll
    db.session.flush()
    for email, answer in REPLIES.items():
        ms = memberships[email]
        deputy_id = ms.deputy_id if answer == ReplyAnswer.VERTRETUNG else None
        db.session.add(MeetingReply(meeting_id=meeting.id, membership_id=ms.id, answer=answer, deputy_id=deputy_id,
                                    replied_at=at(2026, 11, 25, 10)))
    db.session.flush()


def _seed_meeting(group, spec, memberships, people, protokoll) -> None:
    published, approved = spec["published"], spec["approved"]
    meeting = Meeting(group=group, number=spec["number"], date=spec["date"], start_time=time(9), end_time=time(12),
                      place=PLACE, status=spec["status"], guests=spec["guests"], sequence=1,
                      updated_at=min(at(spec["date"].year, spec["date"].month, spec["date"].day, 8) if published is None
                                     else published, utcnow()), minutes_status=spec["minutes"], minutes_changed_at=published)
    # OParl's created/modified: planned four weeks ahead, TOPs written by the publication (never in the future)
    planned = spec["date"] - timedelta(days=28)
    meeting.created_at = min(at(planned.year, planned.month, planned.day, 10), utcnow())
    db.session.add(meeting)
    if spec["absent"] is not None:
        for email, ms in memberships.items():
            meeting.attendance.append(Attendance(membership=ms, presence=spec["absent"].get(email, Presence.ANWESEND)))
    for position, (title, description, minutes, decisions, actions) in enumerate(spec["agenda"], start=1):
        item = AgendaItem(meeting=meeting, position=position, title=title, description=description,
                          minutes=minutes, minutes_html=str(render_markdown(minutes)), public=title not in CLOSED_TOPS,
                          created_at=meeting.created_at, updated_at=min(published or meeting.created_at, utcnow()))
        db.session.add(item)
        for text, yes, no, abstain in decisions:
            item.decisions.append(Decision(text=text, yes=yes, no=no, abstain=abstain, accepted=yes > no))
        for task, who, due, done in actions:
            db.session.add(ActionItem(group_id=group.id, meeting=meeting, agenda_item=item, task=task,
                                      responsible=who, due_on=due,
                                      done_at=at(due.year, due.month, due.day) if done else None,
                                      done_by_id=protokoll.id if done else None))
    if published:
        meeting.events.append(MinutesEvent(from_status=MinutesStatus.ENTWURF, to_status=MinutesStatus.VEROEFFENTLICHT,
                                           actor=protokoll, created_at=published))
        readers = ["protokoll.ag78@portal.example", "ag.mitglied@portal.example", "jens.lorenz@htg.example",
                   "sandra.keller@caritas.example"]
        if spec["minutes"] == MinutesStatus.VEROEFFENTLICHT:  # new to Martin Hoffmann (ag.mitglied)
            readers = ["protokoll.ag78@portal.example", "jens.lorenz@htg.example", "sandra.keller@caritas.example",
                       "katrin.weber@lebenshilfe.example"]
        db.session.flush()
        for email in readers:
            db.session.add(ReadReceipt(meeting_id=meeting.id, user_id=people[email].id,
                                       read_at=at(published.year, published.month, published.day, 18)))
    if approved:
        meeting.events.append(MinutesEvent(from_status=MinutesStatus.VEROEFFENTLICHT,
                                           to_status=MinutesStatus.GENEHMIGT, actor=protokoll,
                                           reason=spec["note"], created_at=approved))
        meeting.approved_at = approved
        meeting.approved_by = protokoll
        meeting.approval_note = spec["note"]
    db.session.flush()
