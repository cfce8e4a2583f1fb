"""HzE hours from a table: a CSV as German Excel writes it (``Sozialraum;Monat;Stunden``, semicolon,
decimal comma, maybe a BOM, UTF-8 or Windows-1252). Parsed into rows with their own errors, shown
as a preview, saved only when every row is fine (``services.import_hze_hours``).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from portal.formatting import MONTHS
from portal.search import fold

#: A file larger than this is no month table (36 rows are a few hundred bytes).
MAX_BYTES = 256 * 1024
MAX_ROWS = 1000
MAX_HOURS = 100_000

_MONTH_NAMES = {fold(name): i + 1 for i, name in enumerate(MONTHS)}
_MONTH_NAMES.update({fold(name[:3]): i + 1 for i, name in enumerate(MONTHS)})


@dataclass
class ImportRow:
    line: int
    cells: list[str]
    sozialraum: object | None = None
    month: date | None = None
    hours: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def normalized(self) -> str:
        """The row as the preview sends it back to be saved (the same parser reads it again)."""
        return f"{self.sozialraum.name};{self.month:%Y-%m};" + f"{self.hours:.6f}".replace(".", ",")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (Excel's "CSV (Trennzeichen-getrennt)")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_month(raw: str) -> date | None:
    """2026-07, 07/2026, 07.2026, 7.26, 01.07.2026 (Excel made a date of it), Juli 2026, Jul 26."""
    text = raw.strip()
    m = (re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", text)
         or re.fullmatch(r"(?:\d{1,2}\.)?(\d{1,2})[./](\d{2}|\d{4})", text))
    if m:
        a, b = m.groups()
        year, month = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
    else:
        m = re.fullmatch(r"([^\W\d_]+)\.?\s*(\d{2}|\d{4})", text)
        if not m or fold(m.group(1)) not in _MONTH_NAMES:
            return None
        month, year = _MONTH_NAMES[fold(m.group(1))], int(m.group(2))
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1)


def parse_hours(raw: str) -> float | None:
    """1507,6 · 1.507,6 · 1507.6 · 1507 (a German number; a point alone is a decimal point unless it
    groups thousands)."""
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return None
    return float(text)


def _sozialraum_lookup(sozialraeume) -> dict[str, object]:
    """Name, slug and the part before "/" ("Nord" for "Nord/Schöndorf") -> Sozialraum."""
    names = {}
    for s in sozialraeume:
        for key in (s.name, s.slug, s.name.split("/")[0]):
            names.setdefault(fold(key).strip(), s)
    return names


def parse(data: bytes, allowed, all_sozialraeume) -> tuple[list[ImportRow], list[str]]:
    """(rows, problems of the whole file). ``allowed``: the Sozialräume the user may enter."""
    if len(data) > MAX_BYTES:
        return [], [f"Die Datei ist zu groß (höchstens {MAX_BYTES // 1024} KB)."]
    text = decode(data)
    if not text.strip():
        return [], ["Die Datei ist leer."]
    sample = text[:2000]
    delimiter = ";" if ";" in sample else ("\t" if "\t" in sample else ",")
    lookup, permitted = _sozialraum_lookup(all_sozialraeume), {s.id for s in allowed}
    try:
        lines = list(csv.reader(io.StringIO(text.replace("\x00", "")), delimiter=delimiter))
    except csv.Error:
        return [], ["Die Datei ist keine lesbare CSV-Tabelle. Bitte speichere sie in Excel als „CSV (Trennzeichen-getrennt)“."]
    rows: list[ImportRow] = []
    seen: dict[tuple[int, date], int] = {}
    for number, cells in enumerate(lines, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if not rows and number == 1 and parse_hours(cells[-1]) is None and "stunden" in fold(";".join(cells)):
            continue  # the header line
        if len(rows) >= MAX_ROWS:
            return rows, [f"Höchstens {MAX_ROWS} Zeilen auf einmal."]
        row = ImportRow(line=number, cells=cells)
        rows.append(row)
        if len(cells) != 3:
            row.errors.append(f"Erwartet sind drei Spalten (Sozialraum; Monat; Stunden), gefunden {len(cells)}.")
            continue
        raum, month, hours = cells
        row.sozialraum = lookup.get(fold(raum).strip())
        if row.sozialraum is None:
            row.errors.append(f"Den Sozialraum „{raum}“ gibt es nicht.")
        elif row.sozialraum.id not in permitted:
            row.errors.append(f"Für „{row.sozialraum.name}“ darfst du keine Stunden eintragen.")
        row.month = parse_month(month)
        if row.month is None:
            row.errors.append(f"„{month}“ ist kein Monat – bitte z. B. 2026-07 oder 07.2026.")
        elif not date(2000, 1, 1) <= row.month <= date(2100, 12, 1):
            row.errors.append("Der Monat muss zwischen 2000 und 2100 liegen.")
        row.hours = parse_hours(hours)
        if row.hours is None:
            row.errors.append(f"„{hours}“ ist keine Zahl – bitte z. B. 1507,6.")
        elif not 0 <= row.hours <= MAX_HOURS:
            row.errors.append("Die Stunden müssen zwischen 0 und 100.000 liegen.")
        if row.sozialraum is not None and row.month is not None:
            key = (row.sozialraum.id, row.month)
            if key in seen:
                row.errors.append(f"{row.sozialraum.name} {row.month:%m/%Y} steht schon in Zeile {seen[key]}.")
            seen.setdefault(key, number)
    if not rows:
        return [], ["In der Datei stehen keine Zeilen mit Stunden."]
    return rows, []
