"""The report as DOCX (python-docx) and ODT (odfpy), and the 15 % chart as a PNG (Pillow).
No "now" except the print date, which the caller passes in."""
from __future__ import annotations

import io
from datetime import date

from PIL import Image, ImageDraw, ImageFont

from portal.budget.money import euro
from portal.formatting import MONTHS, datum, zahl
from portal.proposals.target import TARGET_SHARE
from portal.reports.data import SECTIONS, Report

TITLE = "Bericht der Verwaltung an den Jugendhilfeausschuss"
SUBTITLE = "Zwischenbericht zur Umsetzung der Konzeption Sozialraumorientierung"


def pct(value) -> str:
    return f"{zahl(value * 100, 1)} %" if value is not None else "–"


def laufzeit(row) -> str:
    return f"{datum(row.starts_on)} – {datum(row.ends_on)}"


# --- the content as blocks, shared by both formats ---------------------------------------------
def blocks(report: Report):
    """("h1"|"h2"|"p"|"table"|"image", payload) in document order."""
    yield "title", TITLE
    yield "p", SUBTITLE
    yield "p", f"Berichtszeitraum: {report.period.label} ({datum(report.period.start)} – {datum(report.period.end)})"
    yield "p", "Sozialräume: " + ", ".join(report.sozialraeume)
    o = report.overview
    if "overview" in report.sections:
        yield "h1", SECTIONS["overview"]
        yield "table", (["Kennzahl", "Wert"], [
            ["Freigegebene Projekte im Zeitraum", zahl(o.get("projects", 0), 0)],
            ["Träger mit Projekten", zahl(o.get("traeger", 0), 0)],
            ["Fachleistungsstunden pro Woche (Summe)", zahl(o.get("hours", 0), 1)],
            ["AG-78-Sitzungen mit Niederschrift", zahl(o.get("meetings", 0), 0)],
            ["Beschlüsse der AG 78", zahl(o.get("decisions", 0), 0)],
            ["Kinder- und Jugendbudget der Ortsteile (Summe)", euro(o.get("budget_cents", 0))],
            ["davon ausgegeben", euro(o.get("budget_spent_cents", 0))],
        ])
    if "projects" in report.sections:
        yield "h1", SECTIONS["projects"]
        for area in report.areas:
            yield "h2", area.sozialraum
            if not area.projects:
                yield "p", "Keine freigegebenen Projekte im Berichtszeitraum."
                continue
            yield "table", (["Projekt", "Träger", "Zielgruppe", "Std./Woche", "Laufzeit", "Stand"],
                            [[r.title, r.traeger, r.target_group, zahl(r.hours_per_week, 1), laufzeit(r), r.status]
                             for r in area.projects])
            rows = [[r.title, ind, target or "–", actual or "–"]
                    for r in area.projects for ind, target, actual in r.indicators]
            if rows:
                yield "p", f"Wirkungsindikatoren ({area.sozialraum}):"
                yield "table", (["Projekt", "Indikator", "Zielwert", "Ist-Wert"], rows)
    if "target" in report.sections:
        yield "h1", SECTIONS["target"]
        yield "p", (f"Ziel: {pct(TARGET_SHARE)} der Stunden (Projektstunden ÷ Projekt- und ambulante HzE-Stunden) "
                    "in Gruppenangebote und Projekte umwandeln.")
        for row in report.target:
            yield "h2", row.sozialraum
            yield "table", (["Monat", "Projektstunden", "HzE-Stunden", "Anteil", "Fehlend bis 15 %"],
                            [[f"{MONTHS[m.month.month - 1]} {m.month.year}", zahl(m.project_hours, 1),
                              zahl(m.hze_hours, 1) if m.hze_hours is not None else "–", pct(m.share),
                              zahl(m.hours_to_target, 1) if m.hours_to_target is not None else "–"]
                             for m in row.months])
            yield "p", f"Anteil im Zeitraum: {pct(row.share)}"
        yield "image", chart_png(report)
    if "ag" in report.sections:
        yield "h1", SECTIONS["ag"]
        if not report.meetings:
            yield "p", "Keine Sitzungen mit veröffentlichter Niederschrift im Berichtszeitraum."
        for m in report.meetings:
            yield "h2", f"{m.group} – {m.title} am {datum(m.date)} (Niederschrift: {m.minutes_status})"
            if m.decisions:
                yield "table", (["TOP", "Beschluss", "Ja", "Nein", "Enthaltung", "Ergebnis"],
                                [[d.top, d.text, str(d.yes), str(d.no), str(d.abstain), d.result]
                                 for d in m.decisions])
            else:
                yield "p", "Keine Beschlüsse."
        yield "h2", "Offene Aufgaben"
        if report.tasks:
            yield "table", (["AG", "Aufgabe", "Zuständig", "Fällig"],
                            [[t.group, t.task, t.responsible, datum(t.due_on) if t.due_on else "–"]
                             for t in report.tasks])
        else:
            yield "p", "Keine offenen Aufgaben."
    if "budgets" in report.sections:
        yield "h1", SECTIONS["budgets"]
        if not report.budgets:
            yield "p", "Für die gewählten Sozialräume gibt es im Berichtszeitraum kein Budget."
        years = sorted({b.year for b in report.budgets})
        for year in years:
            rows = [b for b in report.budgets if b.year == year]
            yield "h2", f"Budgets {year}"
            total = [sum(getattr(b, k) for b in rows) for k in ("amount_cents", "committed_cents", "spent_cents",
                                                                 "left_cents")]
            yield "table", (["Ortsteil", "Sozialraum", "Budget", "Freigegeben", "Ausgegeben", "Frei"],
                            [[b.ortsteil, b.sozialraum, euro(b.amount_cents), euro(b.committed_cents),
                              euro(b.spent_cents), euro(b.left_cents)] for b in rows]
                            + [["Summe", "", *map(euro, total)]])
            spent = [r for r in report.spendings if r.year == year]
            yield "h2", f"Wofür die Mittel {year} freigegeben wurden"
            if spent:
                yield "table", (["Ortsteil", "Zweck", "Altersgruppe", "Kinder", "Freigegeben", "Abgerechnet", "Stand"],
                                [[r.ortsteil, r.purpose, r.age_group or "–",
                                  str(r.participants) if r.participants is not None else "–",
                                  euro(r.approved_cents), euro(r.booked_cents) if r.booked_cents else "–", r.state]
                                 for r in spent])
            else:
                yield "p", "Keine freigegebenen Anträge."


# --- chart --------------------------------------------------------------------------------------
COLOURS = [(0, 84, 147), (196, 64, 0), (0, 122, 61), (120, 60, 160), (90, 90, 90), (160, 110, 0)]


def chart_png(report: Report) -> bytes:
    """Line chart: share per month and Sozialraum, the 15 % line dashed. Deterministic bytes."""
    w, h, left, right, top, bottom = 900, 420, 60, 200, 20, 50
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    n = max((len(r.months) for r in report.target), default=0)
    top_share = max([0.2] + [m.share for r in report.target for m in r.months if m.share is not None])
    pw, ph = w - left - right, h - top - bottom
    y = lambda v: top + ph - v / top_share * ph  # noqa: E731
    x = lambda i: left + (i + 0.5) * pw / max(n, 1)  # noqa: E731
    d.line([(left, top), (left, top + ph), (left + pw, top + ph)], fill="black")
    for k in range(0, int(top_share * 100) + 1, 5):
        d.text((5, y(k / 100) - 6), f"{k} %", fill="black", font=font)
    for i in range(0, pw, 12):
        d.line([(left + i, y(TARGET_SHARE)), (left + i + 6, y(TARGET_SHARE))], fill=(200, 0, 0), width=2)
    if report.target:
        for i, m in enumerate(report.target[0].months):
            d.text((x(i) - 12, top + ph + 8), f"{MONTHS[m.month.month - 1][:3]} {m.month.year % 100:02d}",
                   fill="black", font=font)
    for k, row in enumerate(report.target):
        colour = COLOURS[k % len(COLOURS)]
        pts = [(x(i), y(m.share)) for i, m in enumerate(row.months) if m.share is not None]
        if len(pts) > 1:
            d.line(pts, fill=colour, width=3)
        for px, py in pts:
            d.ellipse([px - 3, py - 3, px + 3, py + 3], fill=colour)
        d.rectangle([w - right + 15, top + 20 * k, w - right + 35, top + 20 * k + 10], fill=colour)
        d.text((w - right + 40, top + 20 * k), row.sozialraum[:24], fill="black", font=font)
    d.text((w - right + 40, top + 20 * len(report.target)), "Ziel 15 %", fill=(200, 0, 0), font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


CHART_ALT = "Diagramm: Anteil der Projektstunden je Sozialraum und Monat, mit der 15-%-Ziellinie"


# --- DOCX -----------------------------------------------------------------------------------------
def _field(run, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) via python-docx's oxml helpers."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = code
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    text = OxmlElement("w:t")
    text.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for el in (begin, instr, sep, text, end):
        run._r.append(el)


def to_docx(report: Report, printed: date) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm
    doc = Document()
    doc.core_properties.title = TITLE
    doc.core_properties.language = "de-DE"
    # reproducible: no creation time of "now"
    from datetime import datetime
    stamp = datetime(printed.year, printed.month, printed.day)
    doc.core_properties.created = doc.core_properties.modified = stamp
    doc.core_properties.author = doc.core_properties.last_modified_by = "Trägerportal"
    doc.styles["Normal"].font.name = "Liberation Sans"
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"Stand: {datum(printed)} · Seite ")
    _field(footer.add_run(), "PAGE")
    footer.add_run(" von ")
    _field(footer.add_run(), "NUMPAGES")
    for kind, payload in blocks(report):
        if kind == "title":
            doc.add_heading(payload, level=0)
        elif kind == "h1":
            doc.add_heading(payload, level=1)
        elif kind == "h2":
            doc.add_heading(payload, level=2)
        elif kind == "p":
            doc.add_paragraph(payload)
        elif kind == "table":
            head, rows = payload
            table = doc.add_table(rows=1 + len(rows), cols=len(head))
            table.style = "Table Grid"
            cells = table._cells  # the whole grid at once: row.cells per row is quadratic in rows
            for cell, text in zip(cells, head):
                cell.paragraphs[0].add_run(text).bold = True
            for cell, text in zip(cells[len(head):], (value for row in rows for value in row)):
                cell.paragraphs[0].add_run(text)
            doc.add_paragraph()
        elif kind == "image":
            doc.add_picture(io.BytesIO(payload), width=Cm(16))
            doc.add_paragraph(CHART_ALT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- ODT ------------------------------------------------------------------------------------------
def to_odt(report: Report, printed: date) -> bytes:
    from odf import dc, meta, style, table as t, text
    from odf.draw import Frame, Image as DImage
    from odf.opendocument import OpenDocumentText
    doc = OpenDocumentText()
    doc.meta.addElement(dc.Title(text=TITLE))
    doc.meta.addElement(dc.Language(text="de-DE"))
    doc.meta.addElement(meta.CreationDate(text=f"{printed.isoformat()}T00:00:00"))
    doc.meta.addElement(dc.Date(text=f"{printed.isoformat()}T00:00:00"))
    styles = {}
    for name, level, size in (("Title", 0, "20pt"), ("Heading_20_1", 1, "16pt"), ("Heading_20_2", 2, "13pt")):
        s = style.Style(name=name, family="paragraph", defaultoutlinelevel=str(level or 1))
        s.addElement(style.TextProperties(fontsize=size, fontweight="bold"))
        doc.styles.addElement(s)
        styles[name] = s
    bold = style.Style(name="Bold", family="text")
    bold.addElement(style.TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    cell_style = style.Style(name="Cell", family="table-cell")
    cell_style.addElement(style.TableCellProperties(border="0.5pt solid #000000", padding="0.1cm"))
    doc.automaticstyles.addElement(cell_style)
    # footer with page numbers
    pl = style.PageLayout(name="Page")
    pl.addElement(style.PageLayoutProperties(margin="2cm", pagewidth="21cm", pageheight="29.7cm"))
    doc.automaticstyles.addElement(pl)
    mp = style.MasterPage(name="Standard", pagelayoutname=pl)
    foot = style.Footer()
    fp = text.P(text=f"Stand: {datum(printed)} · Seite ")
    fp.addElement(text.PageNumber(selectpage="current", text="1"))
    fp.addText(" von ")
    fp.addElement(text.PageCount(text="1"))
    foot.addElement(fp)
    mp.addElement(foot)
    doc.masterstyles.addElement(mp)
    n_table = 0
    for kind, payload in blocks(report):
        if kind == "title":
            doc.text.addElement(text.P(stylename=styles["Title"], text=payload))
        elif kind in ("h1", "h2"):
            level = 1 if kind == "h1" else 2
            doc.text.addElement(text.H(outlinelevel=level,
                                       stylename=styles[f"Heading_20_{level}"], text=payload))
        elif kind == "p":
            doc.text.addElement(text.P(text=payload))
        elif kind == "table":
            head, rows = payload
            n_table += 1
            tab = t.Table(name=f"Tabelle{n_table}")
            tab.addElement(t.TableColumn(numbercolumnsrepeated=len(head)))
            header = t.TableHeaderRows()
            tr = t.TableRow()
            for h in head:
                c = t.TableCell(stylename=cell_style, valuetype="string")
                p = text.P()
                p.addElement(text.Span(stylename=bold, text=h))
                c.addElement(p)
                tr.addElement(c)
            header.addElement(tr)
            tab.addElement(header)
            for row in rows:
                tr = t.TableRow()
                for value in row:
                    c = t.TableCell(stylename=cell_style, valuetype="string")
                    c.addElement(text.P(text=value))
                    tr.addElement(c)
                tab.addElement(tr)
            doc.text.addElement(tab)
        elif kind == "image":
            href = doc.addPicture("Pictures/chart.png", "image/png", payload)
            frame = Frame(width="16cm", height="7.5cm", anchortype="as-char", name="Diagramm")
            frame.addElement(DImage(href=href))
            p = text.P()
            p.addElement(frame)
            doc.text.addElement(p)
            doc.text.addElement(text.P(text=CHART_ALT))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
