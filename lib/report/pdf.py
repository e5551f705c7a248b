"""The annual report as a printable PDF: US Letter, the embedded DejaVu fonts, charts as PNG, page numbers.

Laid out with fpdf2 from the parts lib.report.model built, in the Skills Directory booklet's look
(lib/directory/booklet.py): navy headings, teal figures, gold rules. Text is always written as plain text
(fpdf2's markdown off), so names, comments and the committee's sections print exactly as typed, accents
included.
"""
from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING

from ..directory.booklet import MARGIN, letter, page_number
from .model import Figure, Stats, Table, Text, body_blocks

if TYPE_CHECKING:
    from .model import Report

_NAVY, _TEAL, _GOLD, _LIGHT_TEAL = (31, 59, 77), (46, 111, 115), (201, 162, 39), (91, 154, 160)
_INK, _GREY, _FLAG_FILL, _HEAD_FILL = (26, 26, 26), (90, 100, 110), (250, 243, 220), (238, 244, 244)
# How large a chart prints: millimetres per CSS pixel of the chart (the default 11 px labels print near 9 pt).
_MM_PER_PX = 0.27
_SCALE = 2
# A heading with less room than this below it starts the next page, so it never sits alone at the bottom.
_KEEP_WITH_HEADING = 45.0
_PAD = 1.2


def to_pdf(report: Report) -> bytes:
    """The report as PDF bytes: a title block, then every part in order, 'Page n of N' on every page."""
    pdf = _document(report)
    pictures = {id(figure): _picture(pdf, figure) for figure in report.figures()}
    pdf.add_page()
    _title_block(pdf, report)
    for part in report.parts:
        _heading(pdf, part.heading, _lead(pdf, part, pictures))
        for item in part.items:
            if isinstance(item, Text):
                _text(pdf, item)
            elif isinstance(item, Stats):
                _stats(pdf, item)
            elif isinstance(item, Figure):
                _figure(pdf, item, pictures[id(item)])
            else:
                _table(pdf, item)
    return bytes(pdf.output())


def _lead(pdf, part, pictures: dict) -> float:
    """The height a heading needs below it: its part's opening text up to the first chart, table or figures."""
    width = pdf.w - pdf.l_margin - pdf.r_margin
    need = 0.0
    for item in part.items[:2]:
        if isinstance(item, Figure):
            return need + pictures[id(item)][2] + 3
        if isinstance(item, Stats):
            return need + 40
        if isinstance(item, Table):
            return need + 25
        pdf.set_font("DejaVu", "", 10)
        need += pdf.multi_cell(width, 5.2, item.text, dry_run=True, output="HEIGHT") + 2
    return need


def _document(report: Report):
    """An FPDF document on US Letter with the DejaVu fonts, a running header after page 1 and page numbers."""
    from fpdf import FPDF

    class AnnualReport(FPDF):
        """The report's pages: the title small at the top of every page after the first, numbers at the foot."""

        def header(self) -> None:
            """The report's title, small and grey, above a thin teal line (not on the first page)."""
            if self.page_no() == 1:
                return
            self.set_font("DejaVu", "", 7.5)
            self.set_text_color(*_GREY)
            self.set_xy(MARGIN, 9)
            self.cell(0, 4, report.title)
            self.set_draw_color(*_LIGHT_TEAL)
            self.set_line_width(0.2)
            self.line(MARGIN, 14, self.w - MARGIN, 14)
            self.set_y(MARGIN + 2)

        def footer(self) -> None:
            """'Page n of N' at the foot of every page."""
            page_number(self)

    pdf = AnnualReport(format="Letter", unit="mm")
    letter(pdf, report.title, f"Academic Libraries of Indiana: the Mentorship Committee's report for {report.cycle}")
    return pdf


def _title_block(pdf, report: Report) -> None:
    """The brand's three circles, the title, who and when, and a gold rule."""
    left = pdf.l_margin
    for (dx, dy, radius), colour in zip(((5, 7, 5), (14, 3, 4), (14, 12, 4)), (_TEAL, _LIGHT_TEAL, _GOLD)):
        pdf.set_fill_color(*colour)
        pdf.circle(left + dx, 14 + dy, radius, style="F")
    pdf.set_xy(left + 24, 12)
    pdf.set_text_color(*_NAVY)
    pdf.set_font("DejaVu", "B", 17)
    pdf.multi_cell(pdf.w - MARGIN - left - 24, 8, report.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(left + 24)
    pdf.set_font("DejaVu", "", 9.5)
    pdf.set_text_color(*_GREY)
    made = report.made.strftime("%B %d, %Y").replace(" 0", " ")
    pdf.cell(0, 6, f"Academic Libraries of Indiana, Mentorship Committee. Prepared {made}.",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_draw_color(*_GOLD)
    pdf.set_line_width(0.8)
    pdf.line(left, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(2)


def _room(pdf) -> float:
    """Millimetres left above the bottom margin of the current page."""
    return pdf.page_break_trigger - pdf.get_y()


def _heading(pdf, text: str, lead: float) -> None:
    """A part's heading (navy, bold, teal underline), on the next page unless its opening fits below it."""
    body = pdf.page_break_trigger - pdf.t_margin
    if _room(pdf) < 14 + min(max(lead, _KEEP_WITH_HEADING), body * 0.6):
        pdf.add_page()
    else:
        pdf.ln(4)
    pdf.start_section(text)
    pdf.set_text_color(*_NAVY)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*_LIGHT_TEAL)
    pdf.set_line_width(0.3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(2.5)


def _text(pdf, item: Text) -> None:
    """One paragraph in the style of its kind."""
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_x(pdf.l_margin)
    if item.kind == "flag":
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.set_text_color(*_NAVY)
        pdf.set_fill_color(*_FLAG_FILL)
        top = pdf.get_y()
        pdf.set_x(pdf.l_margin + 2.5)
        pdf.multi_cell(width - 2.5, 5, f"Warning: {item.text}", align="L", fill=True, padding=(1.5, 2),
                       new_x="LMARGIN", new_y="NEXT")
        if pdf.get_y() > top:
            pdf.set_fill_color(*_GOLD)
            pdf.rect(pdf.l_margin, top, 1.6, pdf.get_y() - top, style="F")
        pdf.ln(2)
        return
    if item.kind == "quote":
        pdf.set_font("DejaVu", "", 10)
        pdf.set_text_color(38, 51, 61)
        top = pdf.get_y()
        pdf.set_x(pdf.l_margin + 6)
        pdf.multi_cell(width - 6, 5.2, f"“{item.text}”", align="L", new_x="LMARGIN", new_y="NEXT")
        if pdf.get_y() > top:
            pdf.set_fill_color(*_TEAL)
            pdf.rect(pdf.l_margin + 1.5, top, 1.2, pdf.get_y() - top, style="F")
        pdf.ln(2)
        return
    if item.kind == "body":
        _body(pdf, item.text, width)
        return
    small = item.kind in ("note", "empty")
    pdf.set_font("DejaVu", "", 8.5 if small else 10)
    pdf.set_text_color(*(_GREY if small else _INK))
    pdf.multi_cell(width, 4.4 if small else 5.2, item.text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5 if small else 2)


def _body(pdf, text: str, width: float) -> None:
    """The committee's text: its paragraphs and line breaks as typed, '- ' lines as bullets."""
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(*_INK)
    for kind, lines in body_blocks(text):
        if kind == "p":
            pdf.multi_cell(width, 5.2, "\n".join(lines), align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            for line in lines:
                pdf.set_x(pdf.l_margin + 2)
                pdf.cell(4, 5.2, "•")
                pdf.multi_cell(width - 6, 5.2, line, align="L", new_x="LMARGIN", new_y="NEXT")
                pdf.ln(0.6)
        pdf.ln(2)


def _stats(pdf, item: Stats) -> None:
    """Key figures as boxes, four to a row: the value large in teal, its label small below."""
    per_row, gap, height = 4, 3.0, 17.0
    width = (pdf.w - pdf.l_margin - pdf.r_margin - gap * (per_row - 1)) / per_row
    rows = [item.items[i:i + per_row] for i in range(0, len(item.items), per_row)]
    pdf.ln(1)
    for row in rows:
        if _room(pdf) < height + 2:
            pdf.add_page()
        top = pdf.get_y()
        for index, (label, value) in enumerate(row):
            x = pdf.l_margin + index * (width + gap)
            pdf.set_draw_color(207, 222, 223)
            pdf.rect(x, top, width, height)
            pdf.set_fill_color(*_TEAL)
            pdf.rect(x, top, width, 1.2, style="F")
            pdf.set_text_color(*_TEAL)
            # A long value ("98% (39 of 40)") gets a smaller size so it stays in its box.
            size = 14 if len(value) <= 9 else 10.5
            pdf.set_font("DejaVu", "B", size)
            pdf.set_xy(x + 2.5, top + 3)
            pdf.cell(width - 5, 7, value)
            pdf.set_font("DejaVu", "", 8)
            pdf.set_text_color(*_GREY)
            pdf.set_xy(x + 2.5, top + 10.5)
            pdf.cell(width - 5, 4.5, label)
        pdf.set_xy(pdf.l_margin, top + height + gap)
    pdf.ln(1)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, read from the PNG header."""
    return struct.unpack(">II", png[16:24])


def _picture(pdf, item: Figure) -> tuple:
    """The chart as an RGB image with the width and height it prints at (no wider than the page)."""
    from PIL import Image

    from . import charts

    png = charts.to_png(item.spec, scale=_SCALE)
    pixels_w, pixels_h = _png_size(png)
    # Flattened to RGB on white: an alpha channel becomes a soft mask some viewers draw as a grey box.
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    picture.info.clear()
    width = min(pdf.w - pdf.l_margin - pdf.r_margin, pixels_w / _SCALE * _MM_PER_PX)
    # A chart taller than a page could never be placed: it is shrunk to fit one.
    width = min(width, (pdf.page_break_trigger - pdf.t_margin - 10) * pixels_w / pixels_h)
    return picture, width, width * pixels_h / pixels_w


def _figure(pdf, item: Figure, prepared: tuple) -> None:
    """The chart, on the next page if it does not fit on this one, then its table when the report wants it."""
    picture, width, height = prepared
    if _room(pdf) < height + 2:
        pdf.add_page()
    pdf.image(picture, x=pdf.l_margin, w=width, h=height, alt_text=item.alt)
    pdf.set_y(pdf.get_y() + 3)
    if item.show_table:
        _table(pdf, item.table)


def _table(pdf, table: Table) -> None:
    """A titled table: bold navy header row, thin rules, numbers right-aligned, the note in grey below."""
    from fpdf.fonts import FontFace

    if _room(pdf) < 25:
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 9.5)
    pdf.set_text_color(*_NAVY)
    pdf.multi_cell(0, 5.5, table.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(207, 222, 223)
    widths = _widths(pdf, table)
    align = tuple("RIGHT" if i in table.numeric else "LEFT" for i in range(len(table.columns)))
    heading = FontFace(emphasis="BOLD", color=_NAVY, fill_color=_HEAD_FILL)
    # The table fills its cells with the current fill colour unless told otherwise.
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align=align, line_height=4.6,
                   headings_style=heading, borders_layout="HORIZONTAL_LINES", padding=_PAD,
                   cell_fill_mode="NONE") as grid:
        for row in [table.columns, *table.rows]:
            cells = grid.row()
            for value in row:
                cells.cell(str(value))
    if table.note:
        pdf.ln(1)
        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(0, 4.2, table.note, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _widths(pdf, table: Table) -> tuple[float, ...]:
    """Column widths that fit each column's longest cell when the page allows, and its longest word always.

    When the columns want more than the page, the widest are cut down to one common width first (never below
    their longest word), so narrow columns of figures keep their room and a long cell wraps onto a second line.
    """
    page = pdf.w - pdf.l_margin - pdf.r_margin
    pad = 2 * _PAD + 1.5
    wanted, least = [], []
    for index, column in enumerate(table.columns):
        cells = [str(row[index]) for row in table.rows]
        pdf.set_font("DejaVu", "B", 8.5)
        head = pdf.get_string_width(column)
        head_word = max(pdf.get_string_width(word) for word in column.split() or [""])
        pdf.set_font("DejaVu", "", 8.5)
        longest = max([head] + [pdf.get_string_width(cell) for cell in cells])
        word = max([head_word] + [pdf.get_string_width(w) for cell in cells for w in cell.split()])
        least.append(word + pad)
        wanted.append(max(word, min(70.0, longest)) + pad)
    if sum(wanted) <= page:
        return tuple(wanted)
    if sum(least) >= page:
        return tuple(m * page / sum(least) for m in least)
    low, high = 0.0, max(wanted)
    for _ in range(40):
        cap = (low + high) / 2
        if sum(max(m, min(w, cap)) for w, m in zip(wanted, least)) > page:
            high = cap
        else:
            low = cap
    return tuple(max(m, min(w, low)) for w, m in zip(wanted, least))


__all__ = ["to_pdf"]
