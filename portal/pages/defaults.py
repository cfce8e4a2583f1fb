"""Default texts (Markdown) of the Seiten every installation needs: the Nutzungsbedingungen and the
Hilfe of each part. Shown while no Seite is stored; ``seed-demo`` stores the missing ones and never
overwrites a stored Seite (the Administration may have edited it)."""
from __future__ import annotations

import re

from portal.pages.models import help_slug

_BLOCK_START = re.compile(r"(#+ |[-*] |\d+\. )")


def _unwrap(text: str) -> str:
    """The texts below are wrapped for reading the code; rendered with ``nl2br`` every line break
    would show. Join continuation lines and put a blank line before a list that follows a paragraph."""
    out: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        previous = out[-1] if out else ""
        if stripped and previous and not previous.startswith("#") and not _BLOCK_START.match(stripped):
            out[-1] = previous + " " + stripped
        elif stripped and previous and _BLOCK_START.match(stripped) and not _BLOCK_START.match(previous):
            out.extend(["", stripped])
        else:
            out.append(stripped)
    return "\n".join(out).strip() + "\n"

NUTZUNGSBEDINGUNGEN = """\
**Platzhalter** – die Administration passt diesen Text unter *Verwaltung → Seiten* an.

### Wofür das Portal da ist
Das Portal ist der Treffpunkt des Familienamts, der freien Träger und der Ehrenamtlichen in den
Ortsteilen: Pinnwand, gemeinsamer Kalender, Projektanträge, AG 78 und Jugendbudget. Es ist nicht
öffentlich; ein Konto bekommt, wer eingeladen wurde.

### Was hier nicht hingehört
- **Keine Sozialdaten von Familien:** keine Namen, Adressen, Fotos oder Lebensumstände von Kindern,
  Jugendlichen und Familien, auch nicht „nur“ mit Vornamen.
- Nichts Beleidigendes, keine Werbung, nichts, was andere Rechte verletzt (z. B. fremde Fotos ohne
  Erlaubnis).

### Fotos
Lade nur Fotos hoch, die du selbst gemacht hast oder verwenden darfst. Auf Fotos mit Personen
brauchst du deren Einverständnis (bei Kindern das der Eltern). Das Portal entfernt Ortsangaben
(GPS) aus Fotos.

### Moderation
Die Moderation des Familienamts darf Beiträge und Kommentare ausblenden; du erfährst den Grund.
Wer wiederholt gegen diese Regeln verstößt, kann gesperrt werden.

### Dein Konto
Dein Passwort gibst du nicht weiter. Du kannst jederzeit unter *Mein Konto* deine Daten
herunterladen und die Administration bitten, dein Konto zu löschen. Wie wir mit deinen Daten umgehen,
steht in der Datenschutzerklärung.
"""

HELP_PINNWAND = """\
Auf der **Pinnwand** tauschen sich die Ehrenamtlichen eines Ortsteils mit dem Familienamt und den
Trägern aus: Ideen, Informationen, Gesuche, Angebote, Rückblicke mit Fotos und Fragen.

### Einen Beitrag schreiben
1. Öffne unten (auf dem Handy) oder oben **Pinnwand** und wähle deinen Ortsteil.
2. Tippe auf **Neuer Beitrag**.
3. Gib eine **Überschrift** ein und wähle die **Art des Beitrags** (z. B. „Gesuch“).
4. Schreib deinen Text. **Fett** schreibst du mit zwei Sternchen: `**fett**`; eine Liste mit „- “
   am Zeilenanfang.
5. Auf Wunsch: bis zu drei Fotos oder PDFs (je höchstens 5 MB) und „Sichtbar bis“ – danach wandert
   der Beitrag ins Archiv.
6. Tippe auf **Beitrag veröffentlichen**. Hat dein Ortsteil die Vorab-Prüfung an, heißt der Knopf
   **Zur Prüfung senden**: Dann sieht den Beitrag zuerst nur die Moderation.

**Bitte keine Sozialdaten:** keine Namen, Adressen oder Lebensumstände von Kindern und Familien.

### Kommentieren, danken, melden
Unter jedem Beitrag kannst du kommentieren und mit **Danke** zeigen, dass er dir geholfen hat. Passt
ein Beitrag nicht hierher, tippe auf **Melden** – die Moderation schaut ihn sich an.

### Benachrichtigungen
Die Glocke (auf dem Handy „Neu“) zeigt, was neu ist: Kommentare zu deinen Beiträgen, neue Beiträge
auf den Pinnwänden, denen du folgst. Unter *Mein Konto → Benachrichtigungen einstellen* legst du fest,
ob du dazu E-Mails bekommst (sofort, täglich, wöchentlich oder gar nicht).

### Das Portal als App auf dem Handy
Öffne das Portal im Browser und wähle im Menü **Zum Startbildschirm hinzufügen** (Android: Chrome,
Menü ⋮; iPhone: Safari, Teilen-Symbol). Dann startest du die Pinnwand wie eine App.
"""

HELP_KALENDER = """\
Der **Kalender** zeigt die Termine der Ortsteile, der Sozialräume und der AG 78 – als Monatsansicht
(auf dem Handy als Tagesliste) oder als Terminliste. Mit den Filtern wählst du Sozialraum, Ortsteil
und Art.

### Einen Termin eintragen
Tippe auf **Termin eintragen**, gib Titel, Datum, Uhrzeit und Ort ein. Für regelmäßige Termine (z. B. das
Familiencafé jeden Freitag) wählst du eine **Wiederholung**. Einzelne Termine einer Reihe kannst du
absagen oder verschieben, ohne die Reihe zu ändern.

### Kalender abonnieren – was das ist
Mit einem **Abo** erscheinen die Termine des Portals in deinem eigenen Kalender (Outlook,
Thunderbird, Handy) und bleiben von selbst aktuell. Du brauchst dafür deine persönliche
**Abo-Adresse**: Öffne im Kalender **Kalender abonnieren** und kopiere die Adresse.

**Die Adresse ist geheim:** Wer sie kennt, sieht deine Termine. Gib sie nicht weiter. Ist sie doch
in fremde Hände geraten, erstelle unter *Kalender abonnieren* eine neue; die alte gilt dann nicht mehr.

Abonnierte Kalender kann man nur lesen. Neue Termine trägst du im Portal ein; dein Kalenderprogramm
holt sie beim nächsten Abgleich (meist nach einigen Minuten bis Stunden).

### Outlook (Windows, Outlook im Web, neues Outlook)
1. Kopiere im Portal unter **Kalender abonnieren** deine Abo-Adresse.
2. Öffne in Outlook den **Kalender**.
3. Klassisches Outlook: **Start → Kalender hinzufügen → Aus dem Internet…**.
   Neues Outlook und Outlook im Web: **Kalender hinzufügen → Aus dem Internet abonnieren**.
4. Füge die Adresse ein und bestätige mit **OK** bzw. **Importieren**.
5. Gib dem Kalender einen Namen, z. B. „Trägerportal“. Fertig.

### Thunderbird
1. Kopiere im Portal unter **Kalender abonnieren** deine Abo-Adresse.
2. Öffne in Thunderbird den **Kalender** (Symbol links).
3. Klicke auf **Neuer Kalender…** (das Plus neben „Kalender“).
4. Wähle **Im Netzwerk** und klicke auf **Weiter**.
5. Füge die Adresse bei **Adresse** ein (Benutzername leer lassen) und klicke auf **Kalender suchen**.
6. Wähle den gefundenen Kalender und klicke auf **Abonnieren**.

### iPhone und iPad
1. Öffne das Portal in Safari, dann **Kalender → Kalender abonnieren**.
2. Tippe auf **In Kalender-App öffnen** und bestätige mit **Abonnieren** und **Hinzufügen**.

Oder von Hand: Adresse kopieren, dann **Einstellungen → Kalender → Accounts → Account hinzufügen →
Andere → Kalenderabo hinzufügen** (neuere iOS-Versionen: **Einstellungen → Apps → Kalender →
Kalenderaccounts**), Adresse einfügen, **Weiter**, **Sichern**.

### Android
Die Google-Kalender-App kann selbst kein Abo anlegen. Es gibt zwei Wege:

**A) Über Google Kalender im Browser** (geht nur, wenn das Portal aus dem Internet erreichbar ist –
die Termine holt dann Google ab):
1. Kopiere deine Abo-Adresse.
2. Öffne an einem Computer **calendar.google.com** mit dem Google-Konto deines Handys.
3. Links bei **Weitere Kalender** auf **+** klicken, dann **Per URL**.
4. Adresse einfügen und **Kalender hinzufügen** klicken.
5. Am Handy in der Google-Kalender-App: **Menü → Einstellungen**, den neuen Kalender antippen und
   **Synchronisieren** einschalten. Google gleicht nur alle paar Stunden ab.

**B) Mit der App ICSx⁵** (aus dem Play Store oder F-Droid; geht auch im Dienst-WLAN oder VPN, weil
das Handy selbst abruft):
1. ICSx⁵ installieren und öffnen, auf **+** tippen.
2. **Kalender abonnieren** wählen, die Abo-Adresse einfügen, **Weiter**.
3. Einen Namen vergeben und **Fertig** tippen. Der Kalender erscheint in jeder Kalender-App des Handys.

### Einzelne Termine
Auf jeder Terminseite gibt es **In meinen Kalender (.ics)**: Das lädt nur diesen einen Termin
herunter; Änderungen kommen dann nicht automatisch nach.
"""

HELP_ANTRAEGE = """\
Unter **Anträge** schreiben Fachkräfte der Träger und die Koordination **Projektanträge** für
Gruppenangebote und Sozialraumprojekte; die **Leitung Soziale Dienste** prüft und entscheidet.

### Einen Antrag stellen
1. **Anträge → Neuen Antrag anlegen**. Das Formblatt fragt: Titel, Sozialraum, Träger, Zielgruppe, Thema und
   Inhalt, Stundenumfang, Laufzeit, erhoffte Wirkung und **Wirkungsindikatoren** (jeweils: woran man
   die Wirkung misst).
2. **Entwurf speichern** – so oft du willst. Entwürfe sieht nur dein Träger.
3. **Einreichen**: Die Leitung bekommt den Antrag in ihren Eingang.

Bitte keine Namen von Kindern, Familien oder Klientinnen und Klienten.

### Was danach passiert
- **Rückfrage:** Die Leitung schreibt, was fehlt. Du überarbeitest den Antrag und reichst ihn erneut
  ein. Jede Fassung bleibt erhalten; der Vergleich zeigt, was sich geändert hat.
- **Freigegeben** oder **Abgelehnt** – immer mit Begründung. Du bekommst eine Benachrichtigung.
- Nach der Freigabe lädst du auf Wunsch Leistungsangebot und Entgeltkalkulation hoch und schreibst zum
  Ende den **Wirkungsbericht**.

### Das 15‑%-Ziel
Unter **Anträge → 15‑%-Ziel** sehen Koordination und Leitung, welcher Anteil der HzE-Stunden in
Gruppenangebote und Projekte geflossen ist – als Tabelle, Diagramm und CSV für Excel.

### Drucken
Jeder Antrag hat eine Druckansicht (A4) mit Unterschriftszeilen für den Träger und den Prüfvermerk der
Leitung.
"""

HELP_AG78 = """\
Unter **AG 78** finden Mitglieder der Arbeitsgemeinschaften nach § 78 SGB VIII ihre Sitzungen,
Tagesordnungen und Niederschriften. Inhalte sehen nur Mitglieder, die Leitung und die Administration.

### Sitzungen und Niederschriften
- Die **Sitzungsliste** zeigt kommende und vergangene Sitzungen; Termine stehen auch im Kalender.
- Eine **Niederschrift** ist zuerst ein Entwurf (nur Protokoll und Sprecher:innen), dann
  **veröffentlicht** (alle Mitglieder lesen; „neu“, bis du sie bestätigst) und schließlich
  **genehmigt** – danach ändert sie niemand mehr; Korrekturen kommen als datierte Berichtigung dazu.
- Siehst du einen Fehler, schreib zu dem TOP einen **Änderungswunsch**. Du bekommst Bescheid, wenn er
  übernommen oder abgelehnt wurde.

### Für Protokoll und Sprecher:innen
Tagesordnung anlegen (TOPs lassen sich sortieren), Anwesenheit erfassen (daraus ergibt sich die
Beschlussfähigkeit), je TOP das Protokoll, Beschlüsse mit Abstimmung und Aufgaben eintragen, Anlagen
hochladen (PDF, ODT, DOCX, XLSX, je 10 MB). Veröffentlichen geht, sobald die Sitzung begonnen hat und
die Anwesenheit erfasst ist.

### Suchen und drucken
Die Protokollsuche findet Wörter auch mit Umlauten und ß in anderer Schreibweise. Jede Niederschrift hat
eine Druckansicht.
"""

HELP_BUDGET = """\
Jeder Ortsteil hat ein kleines **Kinder- und Jugendbudget** im Jahr. Die Ehrenamtlichen beantragen
daraus Geld für die Kinder und Jugendlichen im Ort, z. B. Material, einen Ausflug oder einen Herd für
die Backgruppe. Was am Jahresende übrig ist, verfällt.

### Geld beantragen (Ehrenamtliche)
1. **Budget** öffnen und **Antrag für … stellen** (dein Ortsteil) wählen.
2. Angeben: wofür, für wen (Altersgruppe, etwa wie viele Kinder und Jugendliche), Betrag und wann.
   Keine Namen von Kindern oder Familien.
3. **Antrag einreichen**. Die Koordination eures Sozialraums bekommt eine Benachrichtigung.

### Die Entscheidung
Die Koordination (oder das Familienamt) **gibt frei**, **fragt zurück** oder **lehnt ab** – mit
Begründung. Du bekommst eine Benachrichtigung. Auf eine Rückfrage antwortest du auf der Antragsseite
(auf Wunsch mit neuem Betrag).

### Nach dem Kauf: den Beleg buchen
Auf der Antragsseite **Ausgabe buchen**: den tatsächlichen Betrag eingeben und den Beleg hochladen
(Foto oder PDF). Was weniger ausgegeben wurde, geht zurück ins Budget. Eine falsche Buchung wird nicht
gelöscht, sondern mit einer Gegenbuchung korrigiert.

### Wie viel ist noch frei?
Die Pinnwand deines Ortsteils zeigt „Budget 2026: noch … € frei“. Die Übersicht unter **Budget**
zeigt je Ortsteil Budget, freigegeben, ausgegeben und Rest. Mehr als das Budget kann nie freigegeben
werden – auch nicht, wenn zwei Personen gleichzeitig entscheiden.
"""

#: slug -> default Markdown of the Seiten that are not installation-specific legal texts.
DEFAULT_TEXT = {slug: _unwrap(text) for slug, text in {
    "nutzungsbedingungen": NUTZUNGSBEDINGUNGEN,
    help_slug("pinnwand"): HELP_PINNWAND,
    help_slug("kalender"): HELP_KALENDER,
    help_slug("antraege"): HELP_ANTRAEGE,
    help_slug("ag78"): HELP_AG78,
    help_slug("budget"): HELP_BUDGET,
}.items()}
