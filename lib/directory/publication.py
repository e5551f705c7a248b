"""The ALI Annual Skills Directory of one program year, published as CSV, XLSX, a printable PDF and HTML.

Only members whose latest answer of the year consents and is not held for review are included
(directory.PUBLISHED_DIRECTORY), and only the fields they agreed to publish: never consent flags, history
or anyone else. One query reads them; each format is then built in memory and returned as bytes.
"""
from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import duckdb

from .. import cycles, exports
from .members import PUBLISHED_DIRECTORY

FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV (spreadsheet)", "text/csv"),
    "xlsx": ("Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("Printable PDF", "application/pdf"),
    "html": ("Web page (HTML)", "text/html"),
}

# The column headers of the CSV and XLSX files, in order.
HEADERS = ["Name", "Job title", "Department", "Institution", "Region", "Email", "Areas of expertise", "Open to",
           "Preferred contact method"]

PURPOSES = ("support", "discussion", "feedback", "collaboration")

FONT_DIR = Path(__file__).resolve().parents[2] / "data" / "fonts"

# The published directory lib.directory.members defines, with only the fields this file shows.
_QUERY = f"""
    SELECT name, job_title, department, institution, region, email, skills, other_skills, contact_purposes,
           contact_method
    FROM ({PUBLISHED_DIRECTORY})
    ORDER BY name COLLATE noaccent.nocase, email
"""


class Member(NamedTuple):
    """One published member: only the fields the directory shows."""

    name: str | None
    job_title: str | None
    department: str | None
    institution: str | None
    region: str | None
    email: str
    skills: tuple[str, ...]
    other_skills: tuple[str, ...]
    open_to: tuple[str, ...]
    contact_method: str | None

    @property
    def expertise(self) -> list[str]:
        """Taxonomy skills, then the member's own free-text areas that are not already among them."""
        known = {skill.casefold() for skill in self.skills}
        return [*self.skills, *(other for other in self.other_skills if other.casefold() not in known)]

    @property
    def display_name(self) -> str:
        """The name, or the email when the answer had none."""
        return self.name or self.email


@dataclass
class Directory:
    """The published directory of one program year, ready to be written in any format."""

    cycle: str
    made: date
    members: list[Member] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The directory's title, e.g. 'ALI Annual Skills Directory 2025-26'."""
        return title(self.cycle)

    @property
    def shared_note(self) -> str:
        """The line telling readers that members chose to share this, and how to reach them."""
        return (f"Every member listed here chose to share this information through the {self.cycle} Skills "
                "Directory Survey, so that colleagues across Indiana can reach them for support, discussion, "
                "feedback or collaboration. Contact members by their preferred contact method and say what you "
                "would like to talk about.")

    @property
    def empty_note(self) -> str:
        """What an empty directory says instead of a list."""
        return f"No member has chosen to share their information for {self.cycle} yet."

    def by_skill(self) -> list[tuple[str, list[Member]]]:
        """Each taxonomy skill someone offers, alphabetically, with its members in directory order."""
        groups: dict[str, list[Member]] = {}
        for member in self.members:
            for skill in member.skills:
                groups.setdefault(skill, []).append(member)
        return sorted(groups.items(), key=lambda item: item[0].casefold())


def title(cycle: str) -> str:
    """The published title of a program year's directory."""
    return f"ALI Annual Skills Directory {cycle}"


def file_name(cycle: str, fmt: str) -> str:
    """A download file name such as 'ali-skills-directory-2025-26.pdf'."""
    cycles.parse(cycle)  # only a well-formed program year may end up in a file name
    check_format(fmt)
    return f"ali-skills-directory-{cycle}.{fmt}"


def load(conn: duckdb.DuckDBPyConnection, cycle: str, made: date | None = None) -> Directory:
    """Read a program year's published members (one query); refuses a program year the database does not know."""
    cycles.parse(cycle)
    if not conn.execute("SELECT count(*) FROM cycles WHERE name = ?", [cycle]).fetchall()[0][0]:
        known = ", ".join(cycles.all_cycles(conn)) or "none yet"
        raise ValueError(f"No program year {cycle} in the database (known: {known})")
    members = [
        Member(name, job_title, department, institution, region, email, tuple(skills), tuple(other_skills or ()),
               _purposes(purposes), contact_method)
        for (name, job_title, department, institution, region, email, skills, other_skills, purposes,
             contact_method) in conn.execute(_QUERY, [cycle]).fetchall()]
    return Directory(cycle=cycle, made=made or date.today(), members=members)


def check_format(fmt: str) -> None:
    """Refuse a format we do not write."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")


def _purposes(values: list[str] | None) -> tuple[str, ...]:
    """Contact purposes in the survey's order, capitalised for readers."""
    values = [v for v in (values or []) if v]
    order = {purpose: index for index, purpose in enumerate(PURPOSES)}
    ranked = sorted(values, key=lambda v: order.get(v.lower(), len(order)))
    return tuple(v[:1].upper() + v[1:] for v in ranked)


def _rows(directory: Directory) -> list[list[str | list[str] | None]]:
    """The members as table rows in HEADERS order (list cells stay lists)."""
    return [[m.name, m.job_title, m.department, m.institution, m.region, m.email, m.expertise, list(m.open_to),
             m.contact_method] for m in directory.members]


# --- CSV -------------------------------------------------------------------------------------------------

def to_csv(directory: Directory) -> bytes:
    """UTF-8 CSV with a BOM; list cells joined with '; ' and every cell defused against formulas."""
    import pandas as pd

    rows = _rows(directory)
    frame = pd.DataFrame({header: [row[i] for row in rows] for i, header in enumerate(HEADERS)}, columns=HEADERS)
    return exports.to_csv(frame)


# --- XLSX ------------------------------------------------------------------------------------------------
#
# The workbook is written as SpreadsheetML directly: openpyxl (without lxml) took 26 s for 57,000 members
# (about 45 s for 100,000), these few parts 2 s.
# Every cell is an inline string (t="inlineStr"), so no value can ever be stored as a formula; the tests read
# the file back with openpyxl.

_WIDTHS = {"Name": 32, "Job title": 34, "Department": 28, "Institution": 38, "Region": 16, "Email": 36,
           "Areas of expertise": 70, "Open to": 34, "Preferred contact method": 24}
# Characters XML 1.0 cannot hold (Excel refuses the file otherwise).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;"})
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Cell styles by index in styles.xml: 1 wrapped text, 2 the header row, 3 the title.
_TEXT, _HEADER, _TITLE = 1, 2, 3
_STYLES = f"""{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">
<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="14"/><color rgb="FF1F3B4D"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF2"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="49" fontId="1" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="49" fontId="2" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def _xlsx_text(value: object) -> str | None:
    """A cell's text for Excel: lists joined, characters XML cannot hold removed, formulas defused."""
    if value is None:
        return None
    text = "; ".join(value) if isinstance(value, list) else str(value)
    return exports.safe_cell(_XML_ILLEGAL.sub("", text))


def _xml(text: str) -> str:
    """Text escaped for an XML element or attribute."""
    return text.translate(_XML_ESCAPES)


def _xlsx_row(number: int, values: list[str | None], style: int) -> str:
    """One <row> of inline-string cells: text, never a formula."""
    cells = "".join(f'<c r="{column}{number}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_xml(value)}'
                    "</t></is></c>" for column, value in zip("ABCDEFGHI", values) if value)
    return f'<row r="{number}">{cells}</row>'


def to_xlsx(directory: Directory) -> bytes:
    """An Excel workbook: a title row, a bold frozen header row with a filter, wrapped text, readable widths."""
    import zipfile

    rows = [[_xlsx_text(value) for value in row] for row in _rows(directory)]
    widths = [max(len(header) + 4, min(max((len(row[i]) for row in rows if row[i]), default=0) + 2, _WIDTHS[header]))
              for i, header in enumerate(HEADERS)]
    last = max(len(rows) + 2, 3 if not rows else 0)
    sheet_name = f"Directory {directory.cycle}"
    body = [_xlsx_row(1, [_xlsx_text(directory.title)], _TITLE), _xlsx_row(2, HEADERS, _HEADER)]
    if not rows:
        body.append(_xlsx_row(3, [directory.empty_note], _TEXT))
    body += [_xlsx_row(number, row, _TEXT) for number, row in enumerate(rows, 3)]
    columns = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    sheet = (f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
             '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
             f'<dimension ref="A1:I{last}"/>'
             '<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" '
             'state="frozen"/><selection pane="bottomLeft" activeCell="A3" sqref="A3"/></sheetView></sheetViews>'
             # No <sheetFormatPr>: with a default row height LibreOffice keeps every row one line high
             # instead of fitting its wrapped text.
             f'<cols>{columns}</cols><sheetData>{"".join(body)}</sheetData>'
             f'<autoFilter ref="A2:I{last}"/>'
             '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
             '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
             f'<headerFooter><oddFooter>{_xml("&L" + directory.title + "&RPage &P of &N")}</oddFooter></headerFooter>'
             '</worksheet>')
    quoted = f"'{sheet_name}'"
    workbook = (f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView/></bookViews>'
                f'<sheets><sheet name="{_xml(sheet_name)}" sheetId="1" r:id="rId1"/></sheets><definedNames>'
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">{_xml(quoted)}!$A$2:$I${last}'
                f'</definedName><definedName name="_xlnm.Print_Titles" localSheetId="0">{_xml(quoted)}!$2:$2'
                '</definedName></definedNames></workbook>')
    content_types = (
        f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>')
    package_rels = (
        f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/></Relationships>')
    workbook_rels = (
        f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>')
    core = (
        f'{_XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dc:title>{_xml(directory.title)}</dc:title><dc:creator>ALI Mentorship Committee</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{directory.made.isoformat()}T00:00:00Z</dcterms:created>'
        '</cp:coreProperties>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in (("[Content_Types].xml", content_types), ("_rels/.rels", package_rels),
                           ("docProps/core.xml", core), ("xl/workbook.xml", workbook),
                           ("xl/_rels/workbook.xml.rels", workbook_rels), ("xl/styles.xml", _STYLES),
                           ("xl/worksheets/sheet1.xml", sheet)):
            package.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


# --- HTML ------------------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; background: #fff; line-height: 1.5; margin: 0 auto; max-width: 62rem; padding: 1.5rem; }
h1, h2, h3 { color: #1f3b4d; line-height: 1.25; }
h1 { font-size: 2rem; margin-bottom: .25rem; }
h2 { border-bottom: 2px solid #2e6f73; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { font-size: 1.1rem; margin: 1.2rem 0 .3rem; }
a { color: #0b5394; }
a:focus-visible { outline: 3px solid #c9a227; outline-offset: 2px; }
.lead { font-size: 1.1rem; }
.note { border-left: 4px solid #2e6f73; background: #eef5f5; padding: .6rem .9rem; }
.skills-index { columns: 3 14rem; column-gap: 2.5rem; padding-left: 1.2rem; }
.skills-index li { break-inside: avoid; }
.skill ul { padding-left: 1.2rem; margin: .2rem 0; }
.member { border-top: 1px solid #c8d3da; padding: .4rem 0 .6rem; }
.member h3 { margin-top: .4rem; }
.member p { margin: .15rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .3rem 0; }
dt { font-weight: 600; color: #3a4a55; }
dd { margin: 0; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .4rem; }
@media print {
  @page { margin: 16mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  a { color: #1a1a1a; text-decoration: none; }
  .skip, .screen-only { display: none; }
  .skill ul { columns: 2; column-gap: 2rem; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; }
  #by-name { break-before: page; }
  .member, .skill li { break-inside: avoid; }
  .note { background: none; }
}
"""


def _slug(text: str, taken: set[str]) -> str:
    """An anchor id made of ASCII letters, digits and hyphens, unique within the page."""
    base = "skill-" + (re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x")
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def mailto(email: str) -> str:
    """A mailto: address with nothing a reader's mail program could take as extra headers."""
    return "mailto:" + quote(email, safe="@.+-_")


def to_html(directory: Directory) -> bytes:
    """One standalone, printable and accessible HTML page: a skills index with anchors and a section per member."""
    e = html.escape
    made = directory.made.strftime("%B %d, %Y").replace(" 0", " ")
    count = len(directory.members)
    out = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{e(directory.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
        '<a class="skip" href="#by-name">Skip to the members</a>\n',
        f"<header>\n<h1>{e(directory.title)}</h1>\n",
        (f'<p class="lead">Academic Libraries of Indiana · Mentorship Committee · made {e(made)} · '
         f"{count} member{'s' if count != 1 else ''}</p>\n"),
        f'<p class="note">{e(directory.shared_note)}</p>\n</header>\n<main>\n',
    ]
    if not directory.members:
        out.append(f"<p>{e(directory.empty_note)}</p>\n</main>\n</body>\n</html>\n")
        return "".join(out).encode("utf-8")
    anchors = {member.email: f"m-{index}" for index, member in enumerate(directory.members, 1)}
    groups = directory.by_skill()
    taken: set[str] = set()
    slugs = [_slug(skill, taken) for skill, _ in groups]
    out.append('<nav aria-labelledby="skills-index-title">\n<h2 id="skills-index-title">Skills index</h2>\n'
               '<ul class="skills-index">\n')
    out += [f'<li><a href="#{slug}">{e(skill)}</a> ({len(members)})</li>\n'
            for (skill, members), slug in zip(groups, slugs)]
    out.append('</ul>\n<p class="screen-only"><a href="#by-name">All members by name</a></p>\n</nav>\n')
    out.append('<section aria-labelledby="by-skill">\n<h2 id="by-skill">By skill</h2>\n')
    for (skill, members), slug in zip(groups, slugs):
        out.append(f'<section class="skill" aria-labelledby="{slug}">\n<h3 id="{slug}">{e(skill)}</h3>\n<ul>\n')
        out += [f'<li><a href="#{anchors[m.email]}">{e(m.display_name)}</a>'
                f"{', ' + e(m.institution) if m.institution else ''}</li>\n" for m in members]
        out.append("</ul>\n</section>\n")
    out.append('</section>\n<section aria-labelledby="by-name-title" id="by-name">\n'
               '<h2 id="by-name-title">By name</h2>\n')
    for member in directory.members:
        out.append(_html_member(member, anchors[member.email]))
    out.append("</section>\n</main>\n</body>\n</html>\n")
    return "".join(out).encode("utf-8")


def _html_member(m: Member, anchor: str) -> str:
    """One member's section of the HTML page, every value escaped."""
    e = html.escape
    role = ", ".join(e(v) for v in (m.job_title, m.department) if v)
    place = " · ".join(e(v) for v in (m.institution, m.region) if v)
    details = [("Email", f'<a href="{e(mailto(m.email))}">{e(m.email)}</a>')]
    if m.expertise:
        details.append(("Expertise", "; ".join(e(v) for v in m.expertise)))
    if m.open_to:
        details.append(("Open to", ", ".join(e(v) for v in m.open_to)))
    if m.contact_method:
        details.append(("Preferred contact", e(m.contact_method)))
    rows = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in details)
    return (f'<article class="member" id="{anchor}" aria-labelledby="{anchor}-name">'
            f'<h3 id="{anchor}-name">{e(m.display_name)}</h3>'
            + (f"<p>{role}</p>" if role else "") + (f"<p>{place}</p>" if place else "")
            + f"<dl>{rows}</dl></article>\n")
