"""``flask --app portal seed-bench``: production-size data for the benchmark (bench/run.py).

Fills the database with years of use of a city with 30 Ortsteile: users, pinboard posts with
comments, thanks and attachment records, calendar events (some recurring), proposals with their
histories and AG 78 meetings with minutes. Rows go in with SQLAlchemy Core in chunks (minutes, not
hours); every row is what the feature's own services would have stored (cached HTML, search text,
event spans, version columns, snapshots). Runs after ``seed-demo`` so the demo logins see the mass.
Deterministic (seeded random). Not idempotent: each run adds its volume again (the test seeds
twice to compare query counts); for the benchmark run it on a fresh database.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, insert, select, text

from portal.ag.models import (ActionItem, AgendaItem, Attendance, Decision, Function, Meeting, MeetingStatus,
                              Membership, MinutesEvent, MinutesStatus, Presence, ReadReceipt, WorkingGroup)
from portal.auth.models import Role, User, UserRole, user_ortsteil
from portal.board.models import Attachment, Category as PostCategory, Comment, Post, PostStatus, Reaction
from portal.calendar.models import Category as EventCategory, Event, Repeat, Scope
from portal.calendar.recurrence import Schedule
from portal.extensions import db, utcnow
from portal.formatting import BERLIN, datum, zahl
from portal.notifications.models import Notification
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.proposals.models import (Indicator, Proposal, ProposalComment, ProposalEvent, ProposalRevision,
                                     ProposalState, proposal_ortsteil)
from portal.security import hash_password
from portal.text import render_markdown, slugify

CHUNK = 5000


@dataclass
class Sizes:
    ortsteile: int = 30
    users: int = 2000
    posts: int = 100_000
    events: int = 10_000
    proposals: int = 5_000
    ags: int = 40
    meetings: int = 1_000


# --- helpers ------------------------------------------------------------------------------------

class Ids:
    """Hands out primary keys after the current maximum, so children can point at parents
    without a round trip per row."""

    def __init__(self, model):
        self.next = (db.session.scalar(select(func.max(model.id))) or 0) + 1

    def __call__(self) -> int:
        self.next += 1
        return self.next - 1


def bulk(model_or_table, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        db.session.execute(insert(model_or_table), rows[i:i + CHUNK])


_html_cache: dict[str, str] = {}


def html(markdown_text: str) -> str:
    """Rendered (and sanitised) Markdown; the texts repeat, so each is rendered once."""
    if markdown_text not in _html_cache:
        _html_cache[markdown_text] = str(render_markdown(markdown_text))
    return _html_cache[markdown_text]


def spread(rnd: random.Random, start: datetime, end: datetime, n: int) -> list[datetime]:
    """n ascending moments between start and end (so ids grow with time, as in real use)."""
    seconds = (end - start).total_seconds()
    return sorted(start + timedelta(seconds=rnd.random() * seconds) for _ in range(n))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(timezone.utc)


# --- words ----------------------------------------------------------------------------------------

FIRST_NAMES = ["Anna", "Peter", "Maria", "Thomas", "Sabine", "Michael", "Julia", "Andreas", "Katrin", "Stefan",
               "Claudia", "Frank", "Petra", "Jens", "Nicole", "Uwe", "Heike", "Tobias", "Birgit", "Ralf",
               "Monika", "Jürgen", "Susanne", "Matthias", "Kerstin", "Holger", "Anja", "Sven", "Ute", "Lars",
               "Doreen", "Marko", "Ines", "René", "Silke", "Dirk", "Yvonne", "Mandy", "Jörg", "Grit"]
LAST_NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
              "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
              "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann",
              "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
              "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel", "Friedrich", "Günther", "Seidel", "Ludwig"]
EXTRA_ORTSTEILE = ["Oberweimar", "Possendorf", "Gelmeroda-Süd", "Holzdorf", "Bad Berka-Nord", "Hopfgarten",
                   "Ulla", "Nohra", "Mellingen", "Umpferstedt", "Kromsdorf", "Denstedt", "Ettersburg",
                   "Großobringen", "Heichelheim", "Ottstedt", "Niederzimmern", "Isseroda", "Daasdorf",
                   "Hottelstedt", "Gaberndorf-Ost", "Wallendorf", "Utzberg", "Rohrbach", "Troistedt",
                   "Vollersroda", "Buchfart", "Hetschburg", "Tiefurt", "Lützendorf"]

POSTS = {
    PostCategory.IDEE: [
        ("Bücherschrank am Dorfplatz?", "Wie wäre es mit einem **offenen Bücherschrank** in {ort}? "
         "Die alte Telefonzelle am Dorfplatz steht leer.\n\n- Regale baut der Heimatverein\n"
         "- Kinderbücher bringen wir aus dem Familiencafé mit\n\nWer hat Lust mitzumachen?"),
        ("Ferienspiele gemeinsam planen", "Letztes Jahr hatten wir in {ort} kaum Angebote in den Sommerferien. "
         "Vielleicht können wir uns mit den Nachbarorten zusammentun: eine Woche Ferienspiele, jeden Tag "
         "woanders. Ich sammle gern Ideen bis Ende des Monats."),
        ("Kräuterbeet am Spielplatz", "Die Kinder aus der Bastelgruppe möchten ein *Kräuterbeet* anlegen. "
         "Erde und Pflanzen spendet die Gärtnerei. Wir bräuchten noch zwei Erwachsene für einen Samstag."),
    ],
    PostCategory.INFORMATION: [
        ("Familiencafé fällt diesen Freitag aus", "Wegen der Renovierung im Gemeindehaus fällt das "
         "Familiencafé in {ort} diese Woche aus. Nächste Woche sind wir wie gewohnt **ab 15 Uhr** da."),
        ("Neue Öffnungszeiten Jugendraum", "Der Jugendraum {ort} hat ab sofort neue Zeiten:\n\n"
         "- Dienstag 16–19 Uhr\n- Donnerstag 16–20 Uhr\n- Samstag nach Absprache\n\n"
         "Schlüssel gibt es weiterhin bei der Ortsteilbürgermeisterin."),
        ("Kinder- und Jugendbudget: Antrag bis 31. März", "Erinnerung: Das Budget für {ort} muss bis Ende "
         "März beim Familienamt beantragt sein. Vorlagen liegen im Ortsteilbüro."),
    ],
    PostCategory.GESUCH: [
        ("Wer leiht uns einen Bollerwagen?", "Für das *Café im Bollerwagen* suchen wir einen zweiten "
         "Bollerwagen, gern auch nur leihweise. Abholung in {ort} ist kein Problem."),
        ("Helfende für die Weihnachtsfeier gesucht", "Für die Weihnachtsfeier in {ort} brauchen wir noch "
         "Hilfe beim **Aufbau** (ab 13 Uhr) und beim Kuchenbuffet. Bitte hier kurz melden."),
        ("Bastelmaterial gesucht", "Wir suchen Wolle, Filz und alte Knöpfe für die Hobby-Horse-Gruppe. "
         "Wer etwas übrig hat: bitte im Familiencafé {ort} abgeben."),
    ],
    PostCategory.ANGEBOT: [
        ("Tanzgruppe für Kinder 6–10", "Ab nächstem Monat bieten wir in {ort} eine **Tanzgruppe** für Kinder "
         "von 6 bis 10 Jahren an, immer mittwochs 16:30–17:30 Uhr im Gemeindesaal. Kostenlos."),
        ("Kochen mit Kindern", "Einmal im Monat kochen wir gemeinsam mit Kindern aus {ort} – regional und "
         "günstig. Rezepte teilen wir danach hier auf der Pinnwand."),
        ("Hüpfburg zu verleihen", "Der Heimatverein {ort} verleiht seine Hüpfburg an andere Ortsteile. "
         "Bitte zwei Wochen vorher anfragen."),
    ],
    PostCategory.RUECKBLICK: [
        ("Rückblick: Laternenumzug", "Was für ein schöner Abend! Rund 60 Kinder und Eltern sind beim "
         "Laternenumzug durch {ort} mitgelaufen. **Danke** an die Feuerwehr für die Begleitung."),
        ("So war das Sommerfest", "Beim Sommerfest in {ort} gab es Kinderschminken, Stockbrot und eine "
         "kleine Theateraufführung der Theatergruppe.\n\n> Nächstes Jahr wieder!"),
        ("Gartenaktion abgeschlossen", "Das Hochbeet am Kindergarten {ort} steht. Acht Kinder haben "
         "mitgeholfen, die Tomaten sind schon gepflanzt."),
    ],
    PostCategory.FRAGE: [
        ("Versicherung bei Ausflügen?", "Weiß jemand, wie Ausflüge mit Kindern bei Ehrenamtlichen versichert "
         "sind? Wir planen eine Fahrt von {ort} in den Tierpark."),
        ("Raum für Elterntreff gesucht", "Kennt jemand in der Nähe von {ort} einen Raum für etwa 15 "
         "Personen, den wir einmal im Monat nutzen können?"),
        ("Erfahrungen mit Spielmobil?", "Hat schon ein Ortsteil das Spielmobil der Stadt gebucht? "
         "Wie lange vorher muss man anfragen?"),
    ],
}
COMMENTS = ["Tolle Idee, ich bin dabei!", "Danke für die Info.", "Können wir das beim nächsten Treffen besprechen?",
            "Ich kann am Samstag helfen.", "Bei uns hat das gut geklappt – meldet euch gern.",
            "Wir hätten noch etwas übrig, ich bringe es vorbei.", "Super, die Kinder freuen sich schon.",
            "Gibt es dafür schon einen Termin?", "Das Familienamt hat dazu ein Merkblatt, ich schicke es.",
            "Schöne Fotos!", "Wir kommen mit fünf Kindern.", "Frag mal beim Heimatverein nach.",
            "Ist das auch für Jugendliche offen?", "Ich frage im Ortschaftsrat nach.",
            "Danke an alle, die mitgeholfen haben!"]

EVENTS = [
    ("Familiencafé", EventCategory.ANGEBOT, "Offener Treff für Familien mit Kindern: Kaffee, Kuchen, Spiele."),
    ("Kinderturnen", EventCategory.ANGEBOT, "Bewegung für Kinder von 3 bis 6 Jahren. Bitte Turnschuhe mitbringen."),
    ("Elternabend Jugendraum", EventCategory.TREFFEN, "Was wünschen sich die Jugendlichen? Wir planen das Halbjahr."),
    ("Weihnachtsfeier", EventCategory.FEST, "Mit Krippenspiel der Kinder und **Kuchenbuffet**."),
    ("Café im Bollerwagen", EventCategory.ANGEBOT, "Wir sind mit Kaffee und Spielen unterwegs im Ortsteil."),
    ("Sommerfest", EventCategory.FEST, "Hüpfburg, Kinderschminken, Stockbrot am Lagerfeuer."),
    ("Fachtag Sozialraumorientierung", EventCategory.FORTBILDUNG, "Workshop für Fachkräfte und Ehrenamtliche."),
    ("Vernetzungstreffen der Ortsteile", EventCategory.TREFFEN, "Austausch der Ehrenamtlichen aus allen Ortsteilen."),
    ("Sozialraumteam", EventCategory.SITZUNG, "Fallunspezifische Arbeit: Gruppenangebote abstimmen."),
    ("Hobby-Horse-Gruppe", EventCategory.ANGEBOT, "Steckenpferde basteln und Parcours reiten."),
    ("Laternenumzug", EventCategory.FEST, "Treffpunkt am Dorfplatz, Ende am Feuerwehrhaus."),
    ("Schulung Erste Hilfe am Kind", EventCategory.FORTBILDUNG, "Für Ehrenamtliche kostenlos, Anmeldung nötig."),
]
PLACES = ["Gemeindehaus", "Dorfgemeinschaftshaus", "Jugendraum", "Feuerwehrhaus", "Sportplatz", "Kirche",
          "Familienamt, Raum 2.14", "Stadtteilbüro", "Kindergarten", "Dorfplatz"]

PROPOSALS = [
    ("Was geht ab in meinem Stadtteil?", "Kinder 6–12 Jahre",
     "Familienhelferinnen erkunden mit Kindern den Stadtteil: Spielplätze, Bibliothek, Vereine."),
    ("Wir sprechen deutsch", "Frauen mit Migrationsgeschichte",
     "Gesprächsgruppe einer türkischen Frauengruppe von 10–20 Teilnehmerinnen, Alltagssprache üben."),
    ("Ver-rücktes Leben", "Mütter mit psychischen Belastungen oder Suchterkrankung",
     "Wöchentliche Gruppe mit Kinderbetreuung, Austausch und Entlastung."),
    ("Markt der Möglichkeiten", "Familien im Sozialraum",
     "Praktische Alltagshilfe: Formulare, Haushalt, Wege zu Ämtern – offen und ohne Anmeldung."),
    ("Väter-Kind-Samstag", "Väter mit Kindern 3–10 Jahre", "Einmal im Monat gemeinsame Ausflüge und Werkeln."),
    ("Hausaufgabentreff", "Schülerinnen und Schüler der Klassen 3–6", "Lernbegleitung zweimal wöchentlich."),
    ("Elterncafé an der Grundschule", "Eltern von Grundschulkindern", "Offenes Café mit Fachkraft zum Gespräch."),
    ("Mädchentreff", "Mädchen 10–14 Jahre", "Eigener Raum, eigene Themen: Selbstbehauptung, Freizeit, Zukunft."),
]
INDICATORS = [("Teilnehmende Familien pro Treffen", "Teilnahmeliste (anonym, nur Anzahl)", "0", "8"),
              ("Anteil wiederkehrender Teilnehmender", "Strichliste je Treffen", "0 %", "60 %"),
              ("Vermittlungen in Regelangebote", "Dokumentation der Fachkraft (ohne Namen)", "0", "10")]

AG_TOPICS = [("Hilfen zur Erziehung", "HzE"), ("Kinder- und Jugendarbeit", "KJA"), ("Kindertagesbetreuung", "Kita"),
             ("Jugendsozialarbeit", "JSA"), ("Frühe Hilfen", "Frühe Hilfen"), ("Eingliederungshilfe", "EGH"),
             ("Familienbildung", "FamBi"), ("Schulsozialarbeit", "SSA"), ("Kinderschutz", "Kinderschutz"),
             ("Jugendberufshilfe", "JBH")]
AG_AREAS = ["Nord", "West", "Mitte/Süd", "Stadt"]
AGENDA = [
    ("Genehmigung der Niederschrift der letzten Sitzung", "",
     "Die Niederschrift der letzten Sitzung wird ohne Änderungen genehmigt.",
     "Die Niederschrift der letzten Sitzung wird genehmigt."),
    ("Bericht aus dem Jugendhilfeausschuss", "Aktuelle Beschlüsse des JHA",
     "Das Familienamt berichtet aus der letzten Sitzung des Jugendhilfeausschusses:\n\n"
     "- Der Haushalt für Gruppenangebote im Sozialraum wird fortgeschrieben.\n"
     "- Die Jugendhilfeplanung wird im Herbst beraten.\n- Der JHA bittet die AG um eine Stellungnahme.", None),
    ("Zielvorgabe 15 % Sozialraumangebote", "Stand und Beobachtung der Zielvorgabe",
     "Stand der Umwandlung ambulanter HzE-Stunden in Gruppenangebote:\n\n"
     "- Nord liegt bei 12 %, West bei 9 %, Mitte/Süd bei 14 %.\n"
     "- Gruppenangebote brauchen feste Räume und verlässliche Zeiten.\n"
     "- Die Träger berichten über **Wirkungsindikatoren** in der nächsten Sitzung.", None),
    ("Fachkräftegewinnung", "Austausch der Träger",
     "Mehrere Träger können Stellen nicht besetzen. Die AG sammelt Ideen:\n\n"
     "1. gemeinsame Stellenbörse im Portal\n2. Praxissemester gemeinsam anbieten\n"
     "3. Einarbeitung trägerübergreifend", "Die AG richtet eine Unterarbeitsgruppe Fachkräftegewinnung ein."),
    ("Empfehlung an den Jugendhilfeausschuss", "Gruppenangebote verstetigen",
     "Die AG berät eine Empfehlung, bewährte Gruppenangebote über ein Jahr hinaus zu fördern.",
     "Die AG empfiehlt dem JHA, bewährte Gruppenangebote als langlaufende Projekte zu fördern."),
    ("Verschiedenes und nächste Termine", "",
     "Nächste Sitzungen jeweils 9–12 Uhr im Familienamt. Themenwünsche bitte an die Sprecher:innen.", None),
]


# --- the seeding --------------------------------------------------------------------------------

def seed_bench(sizes: Sizes, echo=print, rnd_seed: int = 78) -> dict[str, int]:
    rnd = random.Random(rnd_seed)
    now = utcnow()
    ortsteile = _ortsteile(sizes, echo)
    users = _users(sizes, rnd, now, ortsteile, echo)
    _posts(sizes, rnd, now, ortsteile, users, echo)
    _events(sizes, rnd, now, ortsteile, users, echo)
    _proposals(sizes, rnd, now, users, echo)
    _ags(sizes, rnd, now, users, echo)
    _notifications(sizes, rnd, now, echo)
    _fix_sequences()
    db.session.commit()
    from portal.search_index.services import reindex_all

    echo(f"search index: {reindex_all()} entries")
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # fresh planner statistics for the new volume
    db.session.commit()
    return {f.name: getattr(sizes, f.name) for f in fields(sizes)}


def _ortsteile(sizes: Sizes, echo) -> list[Ortsteil]:
    existing = list(db.session.scalars(select(Ortsteil).order_by(Ortsteil.id)))
    raeume = list(db.session.scalars(select(Sozialraum).order_by(Sozialraum.id)))
    names = {o.name for o in existing}
    new = [n for n in EXTRA_ORTSTEILE if n not in names][: max(0, sizes.ortsteile - len(existing))]
    ids = Ids(Ortsteil)
    bulk(Ortsteil, [dict(id=ids(), name=n, slug=slugify(n), sozialraum_id=raeume[i % len(raeume)].id)
                    for i, n in enumerate(new)])
    echo(f"  Ortsteile: {len(existing) + len(new)}")
    return list(db.session.scalars(select(Ortsteil).order_by(Ortsteil.id)))


@dataclass
class People:
    ehrenamt: list[int]
    fachkraft: list[tuple[int, int]]  # (user id, träger id)
    all: list[int]
    ortsteile_of: dict[int, list[int]]
    leitung: int


def _users(sizes: Sizes, rnd, now, ortsteile, echo) -> People:
    traeger = [t.id for t in db.session.scalars(select(Traeger).order_by(Traeger.id))]
    raeume = [s.id for s in db.session.scalars(select(Sozialraum).order_by(Sozialraum.id))]
    existing = db.session.scalar(select(func.count(User.id)))
    ids = Ids(User)
    password = hash_password("demo-passwort")  # once: argon2 is slow on purpose
    users, roles, links = [], [], []
    people = People([], [], [], {}, db.session.scalar(
        select(UserRole.user_id).where(UserRole.role == Role.LEITUNG).limit(1)))
    for n in range(max(0, sizes.users - existing)):
        uid = ids()
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        kind = n % 10
        row = dict(id=uid, email=f"{slugify(first)}.{slugify(last)}.{uid}@bench.example",
                   display_name=f"{first} {last}", password_hash=password, active=True, session_version=1,
                   created_at=now - timedelta(days=rnd.randint(30, 2000)), traeger_id=None, sozialraum_id=None)
        if kind < 6:
            role = Role.EHRENAMT
            mine = rnd.sample([o.id for o in ortsteile], rnd.choice((1, 1, 1, 2)))
            links += [dict(user_id=uid, ortsteil_id=o) for o in mine]
            people.ehrenamt.append(uid)
            people.ortsteile_of[uid] = mine
        elif kind < 9:
            role = Role.FACHKRAFT
            row["traeger_id"] = rnd.choice(traeger)
            people.fachkraft.append((uid, row["traeger_id"]))
        else:
            role = rnd.choice((Role.KOORDINATION, Role.KOORDINATION, Role.MODERATION))
            row["sozialraum_id"] = rnd.choice(raeume) if role == Role.KOORDINATION else None
        users.append(row)
        roles.append(dict(user_id=uid, role=role))
        people.all.append(uid)
    bulk(User, users)
    bulk(UserRole, roles)
    bulk(user_ortsteil, links)
    echo(f"  Konten: {existing + len(users)}")
    # Everybody writes, the demo users and those of an earlier run included.
    people.all = list(db.session.scalars(select(User.id).order_by(User.id)))
    people.fachkraft = list(db.session.execute(
        select(User.id, User.traeger_id).join(UserRole).where(UserRole.role == Role.FACHKRAFT,
                                                               User.traeger_id.is_not(None)).order_by(User.id)))
    people.ortsteile_of = {}
    for uid, oid in db.session.execute(select(user_ortsteil.c.user_id, user_ortsteil.c.ortsteil_id)
                                       .order_by(user_ortsteil.c.user_id)):
        people.ortsteile_of.setdefault(uid, []).append(oid)
    people.ehrenamt = list(people.ortsteile_of)
    return people


def _posts(sizes: Sizes, rnd, now, ortsteile, people: People, echo) -> None:
    ids, comment_ids, attachment_ids = Ids(Post), Ids(Comment), Ids(Attachment)
    authors_by_ortsteil: dict[int, list[int]] = {}
    for uid, mine in people.ortsteile_of.items():
        for o in mine:
            authors_by_ortsteil.setdefault(o, []).append(uid)
    everyone = people.all
    templates = [(c, t, b) for c, items in POSTS.items() for t, b in items]
    posts, comments, reactions, attachments = [], [], [], []

    def flush():
        bulk(Post, posts), bulk(Comment, comments), bulk(Reaction, reactions), bulk(Attachment, attachments)
        for rows in (posts, comments, reactions, attachments):
            rows.clear()

    for i, created in enumerate(spread(rnd, now - timedelta(days=4 * 365), now - timedelta(hours=1), sizes.posts)):
        ortsteil = ortsteile[rnd.randrange(len(ortsteile))]
        category, title, body = templates[rnd.randrange(len(templates))]
        body = body.replace("{ort}", ortsteil.name)
        pid = ids()
        author = rnd.choice(authors_by_ortsteil.get(ortsteil.id) or everyone)
        status = PostStatus.PUBLISHED if rnd.random() < 0.98 else rnd.choice((PostStatus.PENDING, PostStatus.HIDDEN))
        visible_until = None
        if category in (PostCategory.INFORMATION, PostCategory.GESUCH) and rnd.random() < 0.5:
            visible_until = created.astimezone(BERLIN).date() + timedelta(days=rnd.randint(7, 60))
        posts.append(dict(
            id=pid, ortsteil_id=ortsteil.id, author_id=author, category=category, title=title, body=body,
            body_html=html(body), search_text=f"{title}\n{body}".casefold(), status=status,
            pinned=i >= sizes.posts - len(ortsteile) * 2 and rnd.random() < 0.1 and visible_until is None,
            visible_until=visible_until, created_at=created, edited_at=None,
            hidden_reason="Bitte keine Namen von Kindern nennen." if status == PostStatus.HIDDEN else None,
            moderated_at=None, moderated_by_id=None, version=1))
        for k in range(rnd.choice((0, 0, 1, 1, 2, 2, 3, 4, 5, 6))):
            comments.append(dict(id=comment_ids(), post_id=pid, author_id=rnd.choice(everyone),
                                 body=rnd.choice(COMMENTS), created_at=created + timedelta(hours=k + 1),
                                 hidden=False, hidden_reason=None))
        for uid in rnd.sample(everyone, rnd.choice((0, 0, 1, 2, 3, 5, 8))):
            reactions.append(dict(post_id=pid, user_id=uid, created_at=created + timedelta(hours=2)))
        if rnd.random() < 0.15:
            image = rnd.random() < 0.7
            attachments.append(dict(
                id=attachment_ids(), post_id=pid, storage_name=f"board/bench-{pid}.{'jpg' if image else 'pdf'}",
                thumb_name=f"board/bench-{pid}-thumb.webp" if image else None,
                original_name="foto.jpg" if image else "aushang.pdf",
                content_type="image/jpeg" if image else "application/pdf", size=rnd.randint(80_000, 3_000_000),
                position=0, width=1600 if image else None, height=1200 if image else None))
        if len(posts) >= CHUNK:
            flush()
    flush()
    echo(f"  Pinnwand: {sizes.posts} Beiträge")


def _events(sizes: Sizes, rnd, now, ortsteile, people: People, echo) -> None:
    ids = Ids(Event)
    today = now.astimezone(BERLIN).date()
    # Eight years of a city calendar (seven back, one ahead): about 100 single dates a month
    # plus some 25 weekly series running at any time.
    first = today - timedelta(days=7 * 365)
    traeger = [t.id for t in db.session.scalars(select(Traeger).order_by(Traeger.id))]
    raeume = [s.id for s in db.session.scalars(select(Sozialraum).order_by(Sozialraum.id))]
    rows = []
    for _ in range(sizes.events):
        title, category, description = EVENTS[rnd.randrange(len(EVENTS))]
        day = first + timedelta(days=rnd.randrange(8 * 365))
        hour = rnd.choice((9, 10, 14, 15, 16, 17, 18))
        starts, ends = local(day, hour), local(day, hour + rnd.choice((1, 2, 3)))
        scope = rnd.choices((Scope.ORTSTEIL, Scope.SOZIALRAUM, Scope.STADT), (6, 2, 2))[0]
        ortsteil = ortsteile[rnd.randrange(len(ortsteile))] if scope == Scope.ORTSTEIL else None
        sozialraum_id = ortsteil.sozialraum_id if ortsteil else (rnd.choice(raeume) if scope == Scope.SOZIALRAUM
                                                                 else None)
        repeat, weekdays, until, count = Repeat.NONE, "", None, None
        if rnd.random() < 0.04:  # Familiencafé every Friday, Kinderturnen every Tuesday …
            repeat = Repeat.WEEKLY
            weekdays = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[day.weekday()]
            until = day + timedelta(days=rnd.randint(60, 300))
        elif rnd.random() < 0.02:
            repeat, count = Repeat.MONTHLY_WEEKDAY, rnd.randint(4, 12)
        schedule = Schedule(start=starts, end=ends, repeat=repeat, weekdays=[weekdays] if weekdays else [],
                            until=until, count=count)
        last = schedule.starts()[-1]
        place = rnd.choice(PLACES)
        event_id = ids()
        rows.append(dict(
            id=event_id, uid=f"bench-{event_id}@traegerportal", title=f"{title} {ortsteil.name}" if ortsteil else title,
            description=description, description_html=html(description),
            place=f"{place} {ortsteil.name}" if ortsteil else place, contact="", category=category, scope=scope,
            sozialraum_id=sozialraum_id, ortsteil_id=ortsteil.id if ortsteil else None,
            traeger_id=rnd.choice(traeger) if scope != Scope.ORTSTEIL and rnd.random() < 0.7 else None,
            all_day=False, starts_at=starts, ends_at=ends, repeat=repeat, interval=1, weekdays=weekdays,
            until=until, count=count, span_start=starts, span_end=schedule.occurrence_end(last),
            cancelled=rnd.random() < 0.02, sequence=0, created_at=starts - timedelta(days=14),
            updated_at=starts - timedelta(days=14), created_by_id=rnd.choice(people.all)))
    bulk(Event, rows)
    echo(f"  Kalender: {sizes.events} Termine ({sum(r['repeat'] != Repeat.NONE for r in rows)} Serien)")


#: Final state -> the actions that led there.
HISTORIES = {
    ProposalState.ENTWURF: [],
    ProposalState.EINGEREICHT: ["submit"],
    ProposalState.RUECKFRAGE: ["submit", "query"],
    ProposalState.FREIGEGEBEN: ["submit", "approve"],
    ProposalState.ABGELEHNT: ["submit", "reject"],
    ProposalState.ZURUECKGEZOGEN: ["submit", "withdraw"],
    ProposalState.BERICHTET: ["submit", "approve", "report"],
    ProposalState.ABGESCHLOSSEN: ["submit", "query", "submit", "approve", "report", "acknowledge"],
}
STATE_AFTER = {"submit": ProposalState.EINGEREICHT, "query": ProposalState.RUECKFRAGE,
               "approve": ProposalState.FREIGEGEBEN, "reject": ProposalState.ABGELEHNT,
               "withdraw": ProposalState.ZURUECKGEZOGEN, "report": ProposalState.BERICHTET,
               "acknowledge": ProposalState.ABGESCHLOSSEN}
EVENT_COMMENTS = {"query": "Bitte die Wirkungsindikatoren genauer fassen.",
                  "reject": "Das Angebot ist bereits durch ein bestehendes Projekt im Sozialraum abgedeckt.",
                  "approve": "Freigegeben für zwölf Monate."}


def _proposals(sizes: Sizes, rnd, now, people: People, echo) -> None:
    raeume = {s.id: s.name for s in db.session.scalars(select(Sozialraum))}
    traeger = {t.id: t.short_name for t in db.session.scalars(select(Traeger))}
    ortsteile = {o.id: (o.name, o.sozialraum_id) for o in db.session.scalars(select(Ortsteil))}
    staff_of: dict[int, list[int]] = {}
    for uid, tid in people.fachkraft:
        staff_of.setdefault(tid, []).append(uid)
    leitung = people.leitung or people.all[0]
    ids, event_ids = Ids(Proposal), Ids(ProposalEvent)
    proposals, links, indicators, events, revisions, comments = [], [], [], [], [], []
    states = list(HISTORIES)
    weights = (10, 5, 4, 33, 10, 5, 5, 28)
    for created in spread(rnd, now - timedelta(days=4 * 365), now - timedelta(days=1), sizes.proposals):
        pid = ids()
        state = rnd.choices(states, weights)[0]
        title, group, content = rnd.choice(PROPOSALS)
        raum = rnd.choice(list(raeume))
        tid = rnd.choice(list(traeger))
        author = rnd.choice(staff_of.get(tid) or people.all)
        mine = [o for o, (_, r) in ortsteile.items() if r == raum][:rnd.randint(0, 2)]
        starts = (created + timedelta(days=30)).astimezone(BERLIN).date()
        row = dict(id=pid, title=title, sozialraum_id=raum, traeger_id=tid, target_group=group, content=content,
                   hours_per_week=rnd.choice((2.0, 3.0, 4.5, 6.0)), starts_on=starts,
                   ends_on=starts + timedelta(days=364), extension_reason="",
                   expected_effect="Familien finden im Sozialraum Unterstützung, bevor eine Einzelhilfe nötig wird.",
                   costs="", contact_person=f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}", state=state,
                   version=1, created_by_id=author, created_at=created, updated_at=created, submitted_at=None,
                   decided_at=None, decided_by_id=None, conditions="", documents_requested=False,
                   report_text="", reported_at=None)
        chosen = rnd.sample(INDICATORS, 2)
        snapshot = {"title": title, "sozialraum": raeume[raum], "traeger": traeger[tid],
                    "ortsteile": [ortsteile[o][0] for o in mine], "target_group": group, "content": content,
                    "hours_per_week": zahl(row["hours_per_week"], 1), "starts_on": datum(starts),
                    "ends_on": datum(row["ends_on"]), "extension_reason": "",
                    "expected_effect": row["expected_effect"],
                    "indicators": [dict(indicator=a, method=b, baseline=c, target=d) for a, b, c, d in chosen],
                    "costs": "", "contact_person": row["contact_person"]}
        at, before, revision = created, ProposalState.ENTWURF, 0
        for action in HISTORIES[state]:
            at += timedelta(days=rnd.randint(1, 20), hours=rnd.randint(0, 8))
            after = STATE_AFTER[action]
            leitung_acts = action in ("query", "approve", "reject", "acknowledge")
            events.append(dict(id=event_ids(), proposal_id=pid, action=action, from_state=before, to_state=after,
                               actor_id=leitung if leitung_acts else author, created_at=at,
                               comment=EVENT_COMMENTS.get(action, "")))
            if action == "submit":
                revision += 1
                row["submitted_at"] = at
                revisions.append(dict(proposal_id=pid, number=revision, data=snapshot, submitted_by_id=author,
                                      created_at=at))
            elif action in ("query", "approve", "reject"):
                row["decided_at"], row["decided_by_id"] = at, leitung
            elif action == "report":
                row["reported_at"], row["report_text"] = at, "Das Angebot wurde gut angenommen."
            row["version"] += 1
            before = after
        row["updated_at"] = at
        proposals.append(row)
        links += [dict(proposal_id=pid, ortsteil_id=o) for o in mine]
        indicators += [dict(proposal_id=pid, position=k, indicator=a, method=b, baseline=c, target=d,
                            actual=d if state in (ProposalState.BERICHTET, ProposalState.ABGESCHLOSSEN) else "")
                       for k, (a, b, c, d) in enumerate(chosen)]
        if state != ProposalState.ENTWURF and rnd.random() < 0.3:
            body = "Können Sie die **Räume** noch benennen? Danke!"
            comments.append(dict(proposal_id=pid, author_id=leitung, created_at=at, body=body, body_html=html(body)))
    for model, rows in ((Proposal, proposals), (proposal_ortsteil, links), (Indicator, indicators),
                        (ProposalEvent, events), (ProposalRevision, revisions), (ProposalComment, comments)):
        bulk(model, rows)
    echo(f"  Anträge: {sizes.proposals} ({len(events)} Schritte, {len(revisions)} Fassungen)")


def _ags(sizes: Sizes, rnd, now, people: People, echo) -> None:
    if not sizes.ags:
        return
    demo_members = [u for u in db.session.scalars(select(User.id).where(User.email.in_(
        ["ag.mitglied@portal.example", "protokoll.ag78@portal.example"])).order_by(User.email))]
    group_ids, membership_ids, meeting_ids, item_ids = Ids(WorkingGroup), Ids(Membership), Ids(Meeting), Ids(AgendaItem)
    taken = set(db.session.scalars(select(WorkingGroup.slug)))
    groups, memberships, meetings, items, decisions, actions, attendance, events, receipts = ([] for _ in range(9))
    today = now.astimezone(BERLIN).date()
    per_group = [sizes.meetings // sizes.ags + (1 if g < sizes.meetings % sizes.ags else 0) for g in range(sizes.ags)]
    for g in range(sizes.ags):
        (topic, short), area = AG_TOPICS[g % len(AG_TOPICS)], AG_AREAS[(g // len(AG_TOPICS)) % len(AG_AREAS)]
        name, short_name, k = f"AG 78 {topic} {area}", f"AG 78 {short} {area}", 1
        while slugify(short_name) in taken:  # a second run, or more AGs than topics x areas
            k += 1
            name, short_name = f"AG 78 {topic} {area} {k}", f"AG 78 {short} {area} {k}"
        slug = slugify(short_name)
        taken.add(slug)
        gid = group_ids()
        groups.append(dict(id=gid, slug=slug, name=name, short_name=short_name,
                           description=f"Arbeitsgemeinschaft nach § 78 SGB VIII: {topic}, Sozialraum {area}.",
                           rules="", rules_adopted_on=None, created_at=now - timedelta(days=7 * 365)))
        pool = rnd.sample(people.fachkraft, min(22, len(people.fachkraft)))
        members = []
        for k, (uid, tid) in enumerate(pool):
            mid = membership_ids()
            function = Function.SPRECHER if k == 0 else Function.PROTOKOLL if k == 1 else Function.MITGLIED
            memberships.append(dict(id=mid, group_id=gid, user_id=uid, traeger_id=tid, voting=k != 1,
                                    function=function, valid_from=date(2019, 1, 1), valid_to=None))
            members.append(mid)
        if g < 5:  # the demo logins sit in a few AGs, so their pages show the mass
            for uid, function in zip(demo_members, (Function.MITGLIED, Function.PROTOKOLL)):
                memberships.append(dict(id=membership_ids(), group_id=gid, user_id=uid, traeger_id=None,
                                        voting=function == Function.MITGLIED, function=function,
                                        valid_from=date(2019, 1, 1), valid_to=None))
        count = per_group[g]
        for n in range(1, count + 1):
            meeting_id = meeting_ids()
            day = today - timedelta(days=91 * (count - n) - 14)  # quarterly, the last one two weeks ahead
            done = day < today
            minutes_status = (MinutesStatus.GENEHMIGT if n < count - 1 else MinutesStatus.VEROEFFENTLICHT) if done \
                else MinutesStatus.ENTWURF
            published = local(day + timedelta(days=14), 10)
            meetings.append(dict(
                id=meeting_id, group_id=gid, number=n, date=day, start_time=time(9), end_time=time(12),
                place="Familienamt, Raum 2.14", status=MeetingStatus.DURCHGEFUEHRT if done else MeetingStatus.EINGELADEN,
                guests="", sequence=0, updated_at=local(day, 12),
                minutes_status=minutes_status, minutes_changed_at=published if done else None,
                approved_at=local(day + timedelta(days=91), 10) if minutes_status == MinutesStatus.GENEHMIGT else None,
                approved_by_id=pool[0][0] if minutes_status == MinutesStatus.GENEHMIGT else None,
                approval_note=f"in der {n + 1}. Sitzung" if minutes_status == MinutesStatus.GENEHMIGT else ""))
            for position, (title, description, minutes, decision) in enumerate(AGENDA, start=1):
                item_id = item_ids()
                text_ = minutes if done else ""
                items.append(dict(id=item_id, meeting_id=meeting_id, position=position, title=title,
                                  description=description, minutes=text_, minutes_html=html(text_), version=1))
                if done and decision:
                    yes = rnd.randint(12, 20)
                    decisions.append(dict(agenda_item_id=item_id, text=decision, yes=yes, no=rnd.randint(0, 2),
                                          abstain=rnd.randint(0, 2), accepted=True, created_at=local(day, 11)))
                if done and position == 4:
                    actions.append(dict(group_id=gid, meeting_id=meeting_id, agenda_item_id=item_id,
                                        task="Vorschläge zur Fachkräftegewinnung schriftlich zusammenfassen",
                                        responsible="Sprecher:innen", due_on=day + timedelta(days=60),
                                        done_at=local(day + timedelta(days=50), 9) if n < count - 1 else None,
                                        done_by_id=None, created_at=local(day, 11)))
            if done:
                attendance += [dict(meeting_id=meeting_id, membership_id=m,
                                    presence=rnd.choices((Presence.ANWESEND, Presence.ENTSCHULDIGT, Presence.FEHLT), (16, 3, 1))[0]) for m in members]
                steps = [(MinutesStatus.ENTWURF, MinutesStatus.VEROEFFENTLICHT, published)]
                if minutes_status == MinutesStatus.GENEHMIGT:
                    steps.append((MinutesStatus.VEROEFFENTLICHT, MinutesStatus.GENEHMIGT, local(day + timedelta(days=91), 10)))
                events += [dict(meeting_id=meeting_id, from_status=a, to_status=b, actor_id=pool[1][0], reason="",
                                created_at=at) for a, b, at in steps]
                receipts += [dict(meeting_id=meeting_id, user_id=uid, read_at=published + timedelta(days=2))
                             for uid, _ in pool[: rnd.randint(5, 15)]]
    for model, rows in ((WorkingGroup, groups), (Membership, memberships), (Meeting, meetings),
                        (AgendaItem, items), (Decision, decisions), (ActionItem, actions),
                        (Attendance, attendance), (MinutesEvent, events), (ReadReceipt, receipts)):
        bulk(model, rows)
    echo(f"  AG 78: {sizes.ags} AGs, {len(meetings)} Sitzungen, {len(items)} TOPs")


#: Texts of the bell's entries: (kind, text, url).
NOTIFICATION_TEXTS = [
    ("board_post", "Neuer Beitrag in {o}: Bastelnachmittag am Samstag", "/board/"),
    ("post_commented", "Neuer Kommentar zu „Laternenumzug“ in {o}", "/board/"),
    ("proposal_decided", "Antrag freigegeben: Familiencafé im Stadtteil", "/proposals/"),
    ("minutes_published", "Niederschrift veröffentlicht: AG 78 HzE", "/ag/"),
    ("meeting_invitation", "Einladung zur Sitzung der AG 78 am Dienstag", "/ag/"),
]


def _notifications(sizes: Sizes, rnd, now, echo) -> None:
    """The bell's entries: one per two posts, a fifth of them for the demo logins (whose pages the
    benchmark measures), the rest spread over everybody; all but the newest ten per person read."""
    people = list(db.session.execute(select(User.id, User.email).order_by(User.id)))
    demo = [uid for uid, email in people if not email.endswith("@bench.example")]
    ortsteile = list(db.session.scalars(select(Ortsteil.name)))
    total = sizes.posts // 2
    owners = [demo[i % len(demo)] for i in range(total // 5)]
    owners += [rnd.choice(people)[0] for _ in range(total - len(owners))]
    rnd.shuffle(owners)
    left = Counter(owners)  # entries of each person still to come
    ids = Ids(Notification)
    rows = []
    for uid, at in zip(owners, spread(rnd, now - timedelta(days=365), now, total)):  # oldest first
        kind, text_, url = rnd.choice(NOTIFICATION_TEXTS)
        left[uid] -= 1
        nid = ids()
        rows.append(dict(id=nid, user_id=uid, kind=kind, subject_key=f"bench:{nid}", subject_title="",
                         text=text_.format(o=rnd.choice(ortsteile)), detail="", url=url, actor_id=None,
                         created_at=at, read_at=None if left[uid] < 10 else at + timedelta(hours=2)))
    bulk(Notification, rows)
    echo(f"  Benachrichtigungen: {total}")


def _fix_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them to the new maximum."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement in (True, "auto") and table.c.id.primary_key:
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 1))"))
