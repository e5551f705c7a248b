"""The printable booklet of the ALI Annual Skills Directory: a title page, then members by skill and by name.

Written with fpdf2 and the DejaVu fonts shipped in data/fonts, so every accented name prints on any machine.
The directory itself (who is published, which fields) comes from lib.directory.publication.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .publication import FONT_DIR, mailto

if TYPE_CHECKING:
    from .publication import Directory

_NAVY, _TEAL, _GOLD, _LIGHT_TEAL = (31, 59, 77), (46, 111, 115), (201, 162, 39), (91, 154, 160)
_INK, _GREY, _LINK = (26, 26, 26), (90, 100, 110), (11, 83, 148)
MARGIN = 18.0
# Stands for the page count until the end; as wide as a 6-digit count, so fpdf2 never warns it is too narrow.
TOTAL_PAGES = "{pages}"


def _flat(value: str | None) -> str:
    """One line of text: any run of whitespace (newlines, tabs) becomes one space."""
    return " ".join(value.split()) if value else ""


def to_pdf(directory: Directory) -> bytes:
    """A printable booklet: a title page, then members by skill and by name, with page numbers."""
    pdf = _booklet(directory)
    _title_page(pdf, directory)
    if directory.members:
        _pdf_by_skill(pdf, directory)
        _pdf_by_name(pdf, directory)
    return bytes(pdf.output())


def page_number(pdf) -> None:
    """'Page n of N', small and grey, at the foot of the current page."""
    pdf.set_y(-12)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*_GREY)
    # Left-aligned: the total is filled in at the end, so a centred line would sit off centre.
    pdf.cell(0, 5, f"Page {pdf.page_no()} of {TOTAL_PAGES}")


def letter(pdf, title: str, subject: str) -> None:
    """Set up an FPDF document of the dashboard: US Letter margins, page breaks, the embedded DejaVu fonts,
    the page-count alias and the document's metadata."""
    pdf.alias_nb_pages(TOTAL_PAGES)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    pdf.set_author("ALI Mentorship Committee")
    pdf.set_subject(subject)
    pdf.set_lang("en")
    pdf.set_creator("ALI Mentorship dashboard")


def _booklet(directory: Directory):
    """An FPDF document on US Letter with the embedded DejaVu fonts, a running header and page numbers."""
    from fpdf import FPDF

    class Booklet(FPDF):
        """The directory's pages: a running header and 'Page n of N' on every page after the title page."""

        section_name = ""

        def header(self) -> None:
            """The directory's title and the current section, small, at the top of inner pages."""
            if self.page_no() == 1:
                return
            self.set_font("DejaVu", "", 7.5)
            self.set_text_color(*_GREY)
            self.set_xy(MARGIN, 9)
            self.cell(0, 4, directory.title)
            self.set_xy(MARGIN, 9)
            self.cell(0, 4, self.section_name, align="R")
            self.set_draw_color(*_LIGHT_TEAL)
            self.line(MARGIN, 14, self.w - MARGIN, 14)
            self.set_y(MARGIN)

        def footer(self) -> None:
            """'Page n of N' on every page after the title page."""
            if self.page_no() == 1:
                return
            page_number(self)

    pdf = Booklet(format="Letter", unit="mm")
    letter(pdf, directory.title, "Academic Libraries of Indiana: members who chose to share their skills")
    return pdf


def _title_page(pdf, directory: Directory) -> None:
    """The cover: title, ALI, date made, member count and the line about consent and contact."""
    pdf.add_page()
    middle = pdf.w / 2
    # The brand's three circles (data/brand/logo.svg), drawn rather than embedded so no SVG font is needed.
    for (dx, dy, radius), colour in zip(((-9, 4, 9), (7, -4, 7), (7, 12, 7)), (_TEAL, _LIGHT_TEAL, _GOLD)):
        pdf.set_fill_color(*colour)
        pdf.circle(middle + dx, 52 + dy, radius, style="F")
    pdf.set_y(82)
    pdf.set_text_color(*_NAVY)
    pdf.set_font("DejaVu", "B", 28)
    pdf.cell(0, 13, "ALI Annual Skills Directory", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 13, directory.cycle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_draw_color(*_GOLD)
    pdf.set_line_width(0.8)
    pdf.line(middle - 30, pdf.get_y(), middle + 30, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 15)
    pdf.cell(0, 8, "Academic Libraries of Indiana", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.set_text_color(*_GREY)
    pdf.cell(0, 6, "Mentorship Committee", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    count = len(directory.members)
    pdf.set_text_color(*_INK)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 9, f"{count:,} member{'s' if count != 1 else ''}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    made = directory.made.strftime("%B %d, %Y").replace(" 0", " ")
    pdf.cell(0, 6, f"Made on {made}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_x(middle - 70)
    pdf.multi_cell(140, 5.5, directory.shared_note if count else directory.empty_note, align="C",
                   new_x="LMARGIN", new_y="NEXT")
    if count:
        pdf.ln(6)
        pdf.set_text_color(*_GREY)
        pdf.set_font("DejaVu", "", 9.5)
        pdf.set_x(middle - 70)
        pdf.multi_cell(140, 5, "By skill: each area of expertise with the members who offer it.\n"
                               "By name: every member with all their details.", align="C")


def _section(pdf, name: str, intro: str) -> None:
    """Start a section on a new page, with a bookmark and a heading."""
    pdf.section_name = name
    pdf.add_page()
    pdf.start_section(name)
    pdf.set_text_color(*_NAVY)
    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(0, 11, name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9.5)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(0, 5, intro, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


class _Text:
    """Fast text layout on an FPDF page: greedy word wrap from the font's glyph widths, lines drawn with text().

    fpdf2's cell() and multi_cell() re-measure a line for every character they add: about 18 ms a member.
    Measuring each word once and placing lines with text() takes about 1 ms.
    """

    def __init__(self, pdf) -> None:
        """Remember the document; glyph widths are read per font as it is used."""
        self.pdf = pdf
        self._widths: dict[str, dict[str, float]] = {}

    def use(self, style: str, size: float, colour: tuple[int, int, int]) -> None:
        """Switch to the regular ('') or bold ('B') DejaVu font at a size, in a colour."""
        self.pdf.set_font("DejaVu", style, size)
        self.pdf.set_text_color(*colour)

    def width(self, text: str) -> float:
        """The width of a text in the current font, in mm."""
        font = self.pdf.current_font
        table = self._widths.get(font.fontkey)
        if table is None:
            table = self._widths[font.fontkey] = {chr(code): w for code, w in font.cw.items()}
        missing = font.desc.missing_width
        return sum(table.get(c, missing) for c in text) * self.pdf.font_size_pt * 0.001 / self.pdf.k

    def wrap(self, text: str, room: float) -> list[str]:
        """Split a text into lines no wider than room (mm), at spaces; a word longer than a line is cut."""
        if not text or self.width(text) <= room:
            return [text]
        lines, line, used, space = [], "", 0.0, self.width(" ")
        for word in text.split(" "):
            size = self.width(word)
            if line and used + space + size <= room:
                line, used = f"{line} {word}", used + space + size
                continue
            if line:
                lines.append(line)
            while size > room and len(word) > 1:
                cut, taken = 1, self.width(word[0])
                while cut < len(word) - 1 and taken + self.width(word[cut]) <= room:
                    taken += self.width(word[cut])
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
                size = self.width(word)
            line, used = word, size
        lines.append(line)
        return lines

    def lines(self, x: float, y: float, lines: list[str], height: float, link: str | None = None) -> None:
        """Draw lines from (x, y), one per height mm; a link covers each line's text."""
        baseline = 0.5 * height + 0.3 * self.pdf.font_size
        for index, line in enumerate(lines):
            top = y + index * height
            self.pdf.text(x, top + baseline, line)
            if link and line:
                self.pdf.link(x, top, self.width(line), height, link)

    def room_for(self, height: float) -> bool:
        """Whether height mm still fit above the bottom margin of the page."""
        return self.pdf.get_y() + height <= self.pdf.page_break_trigger


def _pdf_by_skill(pdf, directory: Directory) -> None:
    """Each skill, then one line per member offering it: name, institution, email."""
    _section(pdf, "By skill", "Each area of expertise in the ALI skills list with the members who offer it. "
                              "Their details, with email links, are under By name.")
    text = _Text(pdf)
    width = pdf.w - 2 * MARGIN
    widths = (width * 0.3, width * 0.37, width * 0.33)
    gap, line = 1.5, 4.4

    def heading(skill: str, members: int, continued: bool = False) -> None:
        """A skill's heading, repeated with '(continued)' at the top of a new page."""
        text.use("B", 11, _TEAL)
        suffix = " (continued)" if continued else f"  ·  {members}"
        text.lines(MARGIN, pdf.get_y(), [_flat(skill) + suffix], 7)
        pdf.set_y(pdf.get_y() + 7)
        text.use("", 8.5, _INK)

    for skill, members in directory.by_skill():
        if not text.room_for(9 + 2 * line):
            pdf.add_page()
        elif pdf.get_y() > MARGIN + 1:
            pdf.set_y(pdf.get_y() + 2)
        pdf.start_section(_flat(skill), level=1)
        heading(skill, len(members))
        for member in members:
            cells = [text.wrap(value, room - gap) for value, room in
                     zip((_flat(member.display_name), _flat(member.institution), member.email), widths)]
            height = line * max(len(lines) for lines in cells)
            if not text.room_for(height):
                pdf.add_page()
                heading(skill, len(members), continued=True)
            x, top = MARGIN, pdf.get_y()
            for lines, room in zip(cells, widths):
                text.lines(x, top, lines, line)
                x += room
            pdf.set_y(top + height)


def _pdf_by_name(pdf, directory: Directory) -> None:
    """Every member with all their details, each kept together on one page; emails are mailto: links."""
    _section(pdf, "By name", "Every member who chose to share, alphabetically, with all their published details.")
    text = _Text(pdf)
    width = pdf.w - 2 * MARGIN
    label_w, line, name_line = 30.0, 4.3, 5.5
    for member in directory.members:
        role = ", ".join(_flat(v) for v in (member.job_title, member.department) if v)
        place = " · ".join(_flat(v) for v in (member.institution, member.region) if v)
        text.use("", 8.5, _INK)
        details = [(label, text.wrap(value, width - label_w)) for label, value in (
            ("Email", member.email), ("Works as", role), ("Institution", place),
            ("Expertise", "; ".join(_flat(v) for v in member.expertise)), ("Open to", ", ".join(member.open_to)),
            ("Preferred contact", _flat(member.contact_method))) if value]
        text.use("B", 10.5, _NAVY)
        name = text.wrap(_flat(member.display_name), width)
        height = 1.2 + name_line * len(name) + line * sum(len(lines) for _, lines in details) + 2.5
        if not text.room_for(height):
            pdf.add_page()
        top = pdf.get_y()
        pdf.set_draw_color(200, 211, 218)
        pdf.line(MARGIN, top, MARGIN + width, top)
        y = top + 1.2
        text.lines(MARGIN, y, name, name_line)
        y += name_line * len(name)
        for label, lines in details:
            text.use("", 8.5, _GREY)
            text.lines(MARGIN, y, [label], line)
            email = label == "Email"
            text.use("", 8.5, _LINK if email else _INK)
            text.lines(MARGIN + label_w, y, lines, line, link=mailto(member.email) if email else None)
            y += line * len(lines)
        pdf.set_y(y + 2.5)
