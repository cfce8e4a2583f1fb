"""Demo posts for the Pinnwand: what volunteers of the Ortsteile really write about.

Idempotent: a post is looked up by Ortsteil and title before it is created. Legefeld's board has
"Beiträge vor Veröffentlichung prüfen" switched on and one post waiting in the queue.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import Role, User
from portal.board import images, services
from portal.board.models import (Attachment, BoardSettings, Category, Comment, ModerationAction, ModerationLogEntry,
                                 Post, PostStatus, Reaction, Report)
from portal.demo import ensure_user
from portal.extensions import db, utcnow
from portal.formatting import heute
from portal.org.models import Ortsteil
from portal.uploads import upload_root

#: Further volunteers, so that every board has its own voices (password as the other demo logins).
VOLUNTEERS = [
    ("heike.sommer@portal.example", "Heike Sommer", ["gelmeroda"]),
    ("uwe.franke@portal.example", "Uwe Franke", ["schoendorf"]),
    ("birgit.lange@portal.example", "Birgit Lange", ["legefeld"]),
    ("katrin.baum@portal.example", "Katrin Baum", ["gaberndorf", "troebsdorf"]),
    ("ralf.schmidt@portal.example", "Ralf Schmidt", ["niedergrunstedt", "ehringsdorf"]),
    ("susanne.koch@portal.example", "Susanne Koch", ["suessenborn"]),
]

TAUBACH = "ehrenamt.taubach@portal.example"
LEGEFELD = "ehrenamt.legefeld@portal.example"
MODERATION = "moderation@portal.example"
KOORDINATION = "koordination.nord@portal.example"

PREMODERATED = "legefeld"

#: (ortsteil, author, category, title, text, days ago, extras)
POSTS = [
    ("taubach", TAUBACH, Category.INFORMATION, "Neuer Herd im Gemeindehaus – Plätzchenbacken im Advent",
     "Endlich ist er da: Der **neue Herd** im Gemeindehaus Taubach ist angeschlossen! Damit können wir im Advent "
     "wieder mit den Kindern Plätzchen backen.\n\n- Termine: jeden Samstag im Advent, 14–17 Uhr\n"
     "- Teig bringen wir mit, Ausstecher gern von zu Hause\n- Schürzen liegen bereit\n\n"
     "Wer hilft beim Aufräumen? Bitte kurz hier melden.", 2, {"pinned": True, "photo": ("Neuer Herd", ("#f4e3c1", "#8a5a2b", "#d9d9d9"))}),
    ("taubach", TAUBACH, Category.GESUCH, "Bastelmaterial für die Weihnachtsfeier gesucht",
     "Für die Weihnachtsfeier der Kinder im Ortsteil suchen wir **Bastelmaterial**: Tonpapier, Wolle, "
     "Holzperlen, Kleber und Scheren für Kinderhände. Wer etwas übrig hat, kann es im Gemeindehaus abgeben "
     "(Schlüssel beim Ortsteilbürgermeister).", 5, {"visible_until": 30}),
    ("taubach", TAUBACH, Category.RUECKBLICK, "Rückblick: Laternenumzug an der Ilm",
     "Rund 40 große und kleine Laternen waren beim Umzug dabei. Danke an die Freiwillige Feuerwehr für die "
     "Begleitung und an alle, die Kinderpunsch gekocht haben!", 9,
     {"photo": ("Laternenumzug", ("#1d2b53", "#2f4f2f", "#ffb347"))}),
    ("taubach", MODERATION, Category.INFORMATION, "So funktioniert die Pinnwand",
     "Willkommen auf der Pinnwand eures Ortsteils! Hier könnt ihr **Ideen, Gesuche, Angebote und Rückblicke** "
     "teilen. Bitte denkt daran: keine Namen oder Fotos von Kindern und Familien. Bei Fragen hilft die "
     "Moderation im Familienamt.", 30, {}),
    ("taubach", TAUBACH, Category.FRAGE, "Wer hat Erfahrung mit Kinderschminken?",
     "Für das Sommerfest hätten wir gern eine Schminkecke. Hat jemand Erfahrung, welche Farben hautverträglich "
     "sind, und wo man sie günstig bekommt?", 14, {}),
    ("legefeld", LEGEFELD, Category.ANGEBOT, "Hobby-Horse-Gruppe sucht Mitreiterinnen und Mitreiter",
     "Unsere **Hobby-Horse-Gruppe** trifft sich jeden Dienstag, 16:30 Uhr, auf der Wiese hinter dem "
     "Dorfgemeinschaftshaus (bei Regen in der Turnhalle). Kinder von 6 bis 12 Jahren sind willkommen – "
     "Steckenpferde zum Ausleihen haben wir. Eltern dürfen gern zuschauen!", 3, {"pinned": True}),
    ("legefeld", "birgit.lange@portal.example", Category.RUECKBLICK, "Erstes Hobby-Horse-Turnier in Legefeld",
     "Zwölf Reiterinnen und Reiter, selbstgebaute Hindernisse und ganz viel Applaus: Unser erstes kleines "
     "Turnier war ein voller Erfolg. Nächstes Jahr gern mit Gästen aus den anderen Ortsteilen!", 11,
     {"photo": ("Hobby-Horse-Turnier", ("#cde6f7", "#3f7f3f", "#b5651d"))}),
    ("legefeld", LEGEFELD, Category.GESUCH, "Stoffreste für neue Steckenpferde",
     "Wir nähen mit den Kindern neue Steckenpferde. Wer hat **Stoffreste, Knöpfe oder Wollreste** übrig? "
     "Abgabe dienstags bei der Gruppe.", 6, {}),
    ("legefeld", "birgit.lange@portal.example", Category.IDEE, "Hobby-Horse-Treffen aller Ortsteile im Frühjahr?",
     "Wie wäre es mit einem gemeinsamen Treffen der Hobby-Horse-Begeisterten aus allen Ortsteilen? "
     "Die Wiese in Legefeld wäre groß genug.", 1, {"status": PostStatus.PENDING}),
    ("gelmeroda", "heike.sommer@portal.example", Category.ANGEBOT, "Familiencafé jeden Freitag",
     "Das **Familiencafé** im Gelmerodaer Pfarrhaus hat wieder geöffnet: jeden Freitag von 15 bis 17 Uhr. "
     "Kaffee, Kuchen, Spielecke – und Zeit zum Reden. Alle Familien aus den Ortsteilen sind eingeladen.", 4,
     {"pinned": True}),
    ("gelmeroda", "heike.sommer@portal.example", Category.GESUCH, "Kuchenbäckerinnen und -bäcker für das Familiencafé",
     "Für die Freitage im Dezember suchen wir noch Menschen, die einen Kuchen beisteuern. Eine Liste hängt im "
     "Pfarrhaus, oder einfach hier kommentieren.", 8, {}),
    ("gelmeroda", "heike.sommer@portal.example", Category.RUECKBLICK, "Herbstbasteln mit Kastanien und Blättern",
     "Am Samstag haben wir mit 15 Kindern Kastanienmännchen gebaut und Blätterbilder gelegt. Die Bilder hängen "
     "jetzt im Familiencafé.", 20, {"photo": ("Herbstbasteln", ("#f7e7ce", "#a0522d", "#e07b39"))}),
    ("schoendorf", "uwe.franke@portal.example", Category.IDEE, "Gemeinsamer Gemüsegarten am Jugendclub",
     "Hinter dem Jugendclub liegt eine Brachfläche. Idee: Hochbeete bauen und mit Kindern und Jugendlichen "
     "Gemüse anbauen. Wer hat Lust, mitzuplanen? Holz könnte über das Kinder- und Jugendbudget finanziert "
     "werden.", 7, {}),
    ("schoendorf", KOORDINATION, Category.INFORMATION, "Kinder- und Jugendbudget: Anträge bis Ende Januar",
     "Liebe Ehrenamtliche, das **Kinder- und Jugendbudget** für das nächste Jahr kann bis **31. Januar** "
     "beantragt werden. Ein formloser Antrag mit Idee, Zeitraum und Kosten genügt. Bei Fragen meldet euch "
     "im Stadtteilbüro Nord.", 12, {"visible_until": 70}),
    ("schoendorf", "uwe.franke@portal.example", Category.RUECKBLICK, "Kürbisschnitzen im Jugendclub",
     "25 Kürbisse, viele Ideen und ein sehr sauberer Jugendclub am Ende – danke an alle Helfenden!", 26, {}),
    ("suessenborn", "susanne.koch@portal.example", Category.ANGEBOT, "Tischtennisplatte zu verschenken",
     "Unsere alte Tischtennisplatte (wetterfest, Netz neu) sucht ein neues Zuhause in einem anderen Ortsteil. "
     "Abholung in Süßenborn.", 10, {}),
    ("suessenborn", "susanne.koch@portal.example", Category.FRAGE, "Versicherung bei Ausflügen mit Kindern?",
     "Wir planen einen Ausflug in den Tierpark. Weiß jemand, wie die Ehrenamtlichen dabei versichert sind? "
     "Gibt es dazu ein Merkblatt vom Familienamt?", 5, {}),
    ("suessenborn", MODERATION, Category.INFORMATION, "Merkblatt: Versicherungsschutz im Ehrenamt",
     "Ehrenamtliche in der Kinder- und Jugendarbeit der Ortsteile sind über die Sammelversicherung der Stadt "
     "unfall- und haftpflichtversichert. Das Merkblatt gibt es im Familienamt.", 4, {}),
    ("gaberndorf", "katrin.baum@portal.example", Category.IDEE, "Café im Bollerwagen",
     "Idee aus dem Vernetzungstreffen: Ein **Café im Bollerwagen**, das an Sommernachmittagen über die "
     "Spielplätze zieht. Kaffee für die Großen, Saft und Straßenkreide für die Kleinen.", 15, {}),
    ("gaberndorf", "katrin.baum@portal.example", Category.RUECKBLICK, "Spielplatzfest mit Seifenblasen",
     "Trotz Nieselregen kamen über 30 Kinder zum Spielplatzfest. Die Riesenseifenblasen waren der Hit!", 40,
     {"visible_until": -5}),
    ("troebsdorf", "katrin.baum@portal.example", Category.GESUCH, "Wer leiht uns einen Pavillon?",
     "Für das Dorffest am Wochenende suchen wir einen Faltpavillon (3 × 3 m) zum Ausleihen.", 2, {}),
    ("troebsdorf", "katrin.baum@portal.example", Category.ANGEBOT, "Spielekiste zum Ausleihen",
     "In Tröbsdorf gibt es jetzt eine Spielekiste mit Stelzen, Jonglierbällen und Schwungtuch. "
     "Andere Ortsteile können sie gern ausleihen.", 18, {}),
    ("niedergrunstedt", "ralf.schmidt@portal.example", Category.IDEE, "Lagerfeuerabend für Jugendliche",
     "Viele Jugendliche wünschen sich einen Ort zum Treffen. Wie wäre ein Lagerfeuerabend mit Stockbrot am "
     "Sportplatz? Die Feuerwehr würde die Feuerschale stellen.", 6, {}),
    ("niedergrunstedt", "ralf.schmidt@portal.example", Category.FRAGE, "Erfahrungen mit Filmabenden?",
     "Wir würden gern Kinofilme im Gemeinderaum zeigen. Was muss man bei den Rechten beachten?", 13, {}),
    ("ehringsdorf", "ralf.schmidt@portal.example", Category.ANGEBOT, "Fahrradwerkstatt für Kinder",
     "Jeden ersten Samstag im Monat reparieren wir mit Kindern ihre Fahrräder. Werkzeug ist da, Flickzeug "
     "auch. 10–12 Uhr an der alten Schmiede.", 9, {}),
    ("ehringsdorf", "ralf.schmidt@portal.example", Category.RUECKBLICK, "Weihnachtsfeier im letzten Jahr",
     "Zur Erinnerung an die schöne Feier mit Krippenspiel und Posaunenchor.", 330, {"visible_until": -300}),
    ("taubach", TAUBACH, Category.ANGEBOT, "Übrige Tannenzweige für Adventskränze",
     "Nach dem Baumschnitt am Friedhof haben wir viele Tannenzweige übrig. Wer Adventskränze mit Kindern "
     "binden möchte, kann sie sich bis Freitag am Gemeindehaus holen.", 1, {"visible_until": 6}),
    ("gelmeroda", "heike.sommer@portal.example", Category.INFORMATION, "Weihnachtsfeier am 19. Dezember",
     "Die Weihnachtsfeier für Kinder findet am 19. Dezember um 15 Uhr in der Kirche statt. Danach gibt es "
     "Kinderpunsch im Familiencafé.", 3, {}),
    ("schoendorf", "uwe.franke@portal.example", Category.GESUCH, "Gesellschaftsspiele für den Jugendclub",
     "Unsere Spiele sind in die Jahre gekommen. Wer spendet gut erhaltene Gesellschaftsspiele ab 10 Jahren?",
     16, {}),
    ("legefeld", LEGEFELD, Category.INFORMATION, "Turnhalle im Januar geschlossen",
     "Wegen Bauarbeiten ist die Turnhalle vom 2. bis 20. Januar geschlossen. Die Hobby-Horse-Gruppe trifft "
     "sich in dieser Zeit im Dorfgemeinschaftshaus.", 2, {}),
]

#: post title -> comments (author, text, hours after the post)
COMMENTS = {
    "Neuer Herd im Gemeindehaus – Plätzchenbacken im Advent": [
        (LEGEFELD, "Wie schön! Dürfen wir mit der Hobby-Horse-Gruppe einmal vorbeikommen und mitbacken?", 5),
        (TAUBACH, "Sehr gern – am dritten Adventssamstag ist noch Platz.", 7),
        ("heike.sommer@portal.example", "Ich kann zwei Bleche und Ausstecher ausleihen.", 20),
    ],
    "Bastelmaterial für die Weihnachtsfeier gesucht": [
        ("katrin.baum@portal.example", "Wir haben noch eine Kiste **Tonpapier und Wolle** – bringe ich Donnerstag "
                                       "vorbei:\n\n- Tonpapier in Rot und Gold\n- Wolle für Pompons", 10),
        (MODERATION, "Tipp: Der Materialpool im Familienamt hat auch Scheren für Kinderhände.", 26),
    ],
    "Hobby-Horse-Gruppe sucht Mitreiterinnen und Mitreiter": [
        ("birgit.lange@portal.example", "Ab Januar gibt es eine zweite Gruppe für die Jüngeren.", 3),
        (TAUBACH, "Toll! Wir erzählen es in Taubach weiter.", 12),
    ],
    "Familiencafé jeden Freitag": [
        ("susanne.koch@portal.example", "Gibt es auch einen Wickeltisch?", 6),
        ("heike.sommer@portal.example", "Ja, im Nebenraum.", 8),
    ],
    "Gemeinsamer Gemüsegarten am Jugendclub": [
        (KOORDINATION, "Gute Idee! Für das Holz können wir über das Budget sprechen.", 9),
    ],
    "Versicherung bei Ausflügen mit Kindern?": [
        (MODERATION, "Siehe das Merkblatt, das wir gerade eingestellt haben.", 24),
    ],
    "Café im Bollerwagen": [
        ("ralf.schmidt@portal.example", "Das würden wir in Ehringsdorf gern übernehmen!", 30),
    ],
}

REACTIONS = {
    "Neuer Herd im Gemeindehaus – Plätzchenbacken im Advent": [LEGEFELD, MODERATION, "heike.sommer@portal.example",
                                                                 "katrin.baum@portal.example"],
    "Rückblick: Laternenumzug an der Ilm": [LEGEFELD, "uwe.franke@portal.example"],
    "Hobby-Horse-Gruppe sucht Mitreiterinnen und Mitreiter": [TAUBACH, "heike.sommer@portal.example"],
    "Erstes Hobby-Horse-Turnier in Legefeld": [TAUBACH, MODERATION, KOORDINATION],
    "Familiencafé jeden Freitag": [TAUBACH, "susanne.koch@portal.example", "katrin.baum@portal.example"],
    "Café im Bollerwagen": [KOORDINATION, "ralf.schmidt@portal.example"],
    "Tischtennisplatte zu verschenken": ["uwe.franke@portal.example"],
}


def _users(password: str, reset_passwords: bool) -> dict[str, User]:
    for email, name, ortsteile in VOLUNTEERS:
        ensure_user(email, name, [Role.EHRENAMT], {"ortsteile": ortsteile}, password, reset_passwords)
    db.session.flush()
    return {u.email: u for u in db.session.scalars(select(User))}


def _photo(title: str, palette) -> Attachment:
    """A small real JPEG, stored and processed like an upload."""
    folder = upload_root() / services.UPLOAD_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    storage_name = f"{services.UPLOAD_SUBDIR}/{secrets.token_hex(16)}.jpg"
    images.demo_picture(upload_root() / storage_name, title, palette)
    result = images.process(storage_name)
    return Attachment(storage_name=storage_name, thumb_name=result.thumb_name,
                      original_name=f"{title.lower().replace(' ', '-')}.jpg", content_type="image/jpeg",
                      size=result.size, width=result.width, height=result.height, position=0)


def seed(password: str, reset_passwords: bool = False) -> None:
    users = _users(password, reset_passwords)
    ortsteile = {o.slug: o for o in db.session.scalars(select(Ortsteil))}
    moderator = users[MODERATION]
    now = utcnow()

    settings = db.session.get(BoardSettings, ortsteile[PREMODERATED].id)
    if settings is None:
        db.session.add(BoardSettings(ortsteil_id=ortsteile[PREMODERATED].id, premoderation=True,
                                     updated_by_id=moderator.id, updated_at=now - timedelta(days=21)))
        db.session.add(ModerationLogEntry(moderator_id=moderator.id, action=ModerationAction.PREMODERATION_ON,
                                          ortsteil_id=ortsteil_id(ortsteile, PREMODERATED), subject="Legefeld",
                                          reason="Neue Pinnwand: in den ersten Wochen prüfen wir Beiträge vorab.",
                                          created_at=now - timedelta(days=21)))

    posts: dict[str, Post] = {}
    # Oldest first, so that ids follow the dates (the boards list newest = highest id first).
    for slug, author, category, title, body, days_ago, extras in sorted(POSTS, key=lambda p: -p[5]):
        ortsteil = ortsteile[slug]
        post = db.session.scalar(select(Post).where(Post.ortsteil_id == ortsteil.id, Post.title == title))
        if post is None:
            created = now - timedelta(days=days_ago, hours=(len(title) % 7))
            post = Post(ortsteil=ortsteil, author=users[author], category=category, title=title, body=body,
                        created_at=created, pinned=extras.get("pinned", False),
                        status=extras.get("status", PostStatus.PUBLISHED))
            if "visible_until" in extras:
                post.visible_until = heute() + timedelta(days=extras["visible_until"])
            services.render_body(post)
            if "photo" in extras:
                post.attachments.append(_photo(*extras["photo"]))
            db.session.add(post)
            if slug == PREMODERATED and post.status == PostStatus.PUBLISHED:
                post.moderated_by_id, post.moderated_at = moderator.id, created + timedelta(hours=2)
                db.session.flush()
                db.session.add(ModerationLogEntry(moderator_id=moderator.id, action=ModerationAction.APPROVED,
                                                  ortsteil_id=ortsteil.id, post_id=post.id, subject=title,
                                                  created_at=created + timedelta(hours=2)))
        posts[title] = post
    db.session.flush()

    for title, comments in COMMENTS.items():
        post = posts[title]
        if db.session.scalar(select(Comment.id).where(Comment.post_id == post.id).limit(1)):
            continue
        for author, text, hours in comments:
            db.session.add(Comment(post_id=post.id, author_id=users[author].id, body=text,
                                   created_at=post.created_at + timedelta(hours=hours)))

    for title, emails in REACTIONS.items():
        post = posts[title]
        for email in emails:
            if db.session.get(Reaction, (post.id, users[email].id)) is None:
                db.session.add(Reaction(post_id=post.id, user_id=users[email].id))

    # One open report in the queue, so the Moderation sees how it looks.
    ping = posts["Erfahrungen mit Filmabenden?"]
    if db.session.scalar(select(Report.id).where(Report.post_id == ping.id)) is None:
        db.session.add(Report(post_id=ping.id, reporter_id=users["susanne.koch@portal.example"].id,
                              reason="Passt das hier her? Vielleicht besser direkt beim Familienamt fragen."))
    db.session.flush()


def ortsteil_id(ortsteile: dict, slug: str) -> int:
    return ortsteile[slug].id
