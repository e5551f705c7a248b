"""Checking an uploaded workbook's parts before a reader opens it: a few kilobytes must not become gigabytes.

A workbook is a ZIP of XML parts, and a reader trusts them: python-calamine allocates every cell from A1 to
the farthest one it meets (one cell at row 40,000 beside a 1,000-cell header is 40 million cells), and copies a
shared string into each cell that refers to it (one 32,767-character string referenced by a million cells is
32 GB). So before any reader runs, every part is inflated here, in chunks and under a cap, and the sheet to be
read is scanned for the cells' positions and the shared strings they use, by patterns that must account for
every cell tag; a sheet written in any other form is refused rather than guessed at.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from array import array
from operator import methodcaller
from dataclasses import dataclass

from defusedxml import ElementTree

from .refusals import DAMAGED_XLSX, MAX_BYTES, ImportRefused

# What a 50 MB CSV of survey answers could hold: cells of ten bytes on average, separator included (the
# 100,000-row survey export is 35.5 MB for 1.1 million cells). The extent counts every cell from A1 to the
# farthest row and column, empty or not, because that is what a reader allocates.
MAX_CELLS = MAX_BYTES // 10
# The text the cells may hold once shared strings are copied into them, and the inflated size of all parts:
# a few times what a CSV under the size limit holds (XML markup takes room the CSV's commas do not).
MAX_TEXT = 4 * MAX_BYTES
MAX_INFLATED = 8 * MAX_BYTES
_CHUNK = 1 << 20
_MAX_TAG = 4 << 20  # no tag or text run of a real workbook comes near this without a '<'

_P = rb"(?:[A-Za-z_][\w.\-]*:)?"  # an optional namespace prefix (x:c), as some writers use
_CELL_TAG = re.compile(rb"<" + _P + rb"c[\s/>]")
_ATTR = rb"""\s+(?!r\s*=)[\w:.\-]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*')"""
# A cell with its reference; the attributes before r must be well formed, so r cannot hide inside a value.
_CELL_REF = re.compile(rb"<" + _P + rb"c(?:" + _ATTR + rb")*\s+r\s*=\s*[\"']([A-Z]{1,3})([0-9]{1,7})[\"']")
_ROW_OR_CELL = re.compile(rb"<" + _P + rb"(?:c|row)[\s/>]")
# The form every spreadsheet program writes (r first, in double quotes, then style, type and value flags):
# checked with counts of plain bytes and one pattern; any other form takes the exact patterns below.
_FAST_CELL = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"(?: s="[0-9]{1,6}")?(?: t="[a-zA-Z]{1,9}")?'
                        rb'(?: (?:cm|vm|ph)="[0-9]{1,6}")*/?>')
_FAST_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})')
_FAST_SHARED = re.compile(rb't="s"><v>([0-9]{1,10})</v>')
_PAD = methodcaller("rjust", 7, b"0")  # rows of equal length compare as numbers
_ALL_BUT_MARKS = bytes(b for b in range(256) if b not in (1, 2, 3))
_VALUE_TAG = re.compile(rb"<" + _P + rb"v[\s/>]")
_VALUE = re.compile(rb"<" + _P + rb"v>([^<]*)</" + _P + rb"v>")  # no attributes: a quoted '>' could hide one
_SI_TAG = re.compile(rb"(<" + _P + rb"si(?:\s[^<>]*)?/?>|</" + _P + rb"si>)")
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass
class Extent:
    """What the scan found in one sheet: its farthest row and column (1-based) and the text its cells hold."""

    rows: int = 0
    columns: int = 0
    text: int = 0

    @property
    def cells(self) -> int:
        """Cells from A1 to the farthest row and column."""
        return self.rows * self.columns


def sheet_names(data: bytes, file_name: str) -> list[str]:
    """The names of a workbook's sheets, in order, read from its workbook part."""
    book = zipfile.ZipFile(io.BytesIO(data))
    workbook = _xml(data, _part(book, "xl/workbook.xml"), file_name, [MAX_INFLATED])
    return [sheet.get("name") or "" for sheet in workbook.iter() if _local(sheet.tag) == "sheet"]


def _part(book: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    """A part of the archive by name, or None."""
    try:
        return book.getinfo(name)
    except KeyError:
        return None


def _xml(data: bytes, info: zipfile.ZipInfo | None, file_name: str, budget: list[int]):
    """A small part parsed with defusedxml (no DTD, no entities, no external references)."""
    try:
        return ElementTree.fromstring(_whole(data, info, file_name, budget))
    except ImportRefused:
        raise
    except Exception as exc:
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}") from exc


def check(data: bytes, file_name: str, sheet_name: str) -> Extent:
    """Refuse a workbook whose parts or whose sheet would take more memory to read than the budget allows."""
    book = zipfile.ZipFile(io.BytesIO(data))
    infos = book.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names) or any(info.compress_type not in (0, 8) for info in infos):
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")  # two parts of one name, or a packing Excel never uses
    parts = {info.filename: info for info in infos}
    budget = [MAX_INFLATED]
    target = _sheet_part(data, parts, sheet_name, file_name, budget)
    lengths = _shared_lengths(data, parts.get("xl/sharedStrings.xml"), file_name, budget)
    extent = _scan_sheet(data, parts[target], lengths, file_name, sheet_name, budget)
    for info in infos:  # the rest is inflated too: a reader may open any part
        if info.filename not in (target, "xl/sharedStrings.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            for _ in _inflate(data, info, file_name, budget):
                pass
    return extent


def _too_large(file_name: str, sheet_name: str | None, what: str) -> ImportRefused:
    """The refusal of a workbook past the budget, naming the file and the sheet."""
    where = f"sheet '{sheet_name}' " if sheet_name else "the workbook "
    return ImportRefused(
        f"{file_name}: {where}{what}, more than an upload may hold ({MAX_CELLS:,} cells, what a 50 MB CSV could "
        "hold). If the responses are fewer, delete the empty rows and columns after them (or cells typed far "
        "away) and save it again, or download the responses as .csv and upload that.")


def _inflate(data: bytes, info: zipfile.ZipInfo, file_name: str, budget: list[int]):
    """Yield a part's bytes in chunks, from its compressed data (not its declared size), within the budget."""
    header = data[info.header_offset:info.header_offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    raw = data[start:start + info.compress_size]
    if len(raw) < info.compress_size:
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    if info.compress_type == 0:
        pieces = (raw[i:i + _CHUNK] for i in range(0, len(raw), _CHUNK))
    else:
        pieces = _deflated(raw, file_name)
    for piece in pieces:
        budget[0] -= len(piece)
        if budget[0] < 0:
            raise _too_large(file_name, None, f"unpacks to more than {MAX_INFLATED // 1_000_000:,} MB")
        yield piece


def _deflated(raw: bytes, file_name: str):
    """Inflate a deflate stream chunk by chunk, never more than one chunk at a time in memory."""
    inflater = zlib.decompressobj(-15)
    try:
        for offset in range(0, len(raw), 1 << 16):
            pending = raw[offset:offset + (1 << 16)]
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
                if piece:
                    yield piece
            if inflater.eof:
                break
        if not inflater.eof:
            raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    except zlib.error as exc:
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}") from exc


def _whole(data: bytes, info: zipfile.ZipInfo | None, file_name: str, budget: list[int]) -> bytes:
    """A small part (the workbook and its relationships), whole, refusing one past 10 MB."""
    if info is None:
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    text = bytearray()
    for piece in _inflate(data, info, file_name, budget):
        text += piece
        if len(text) > 10 * 1024 * 1024:
            raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    return bytes(text)


def _sheet_part(data: bytes, parts: dict, sheet_name: str, file_name: str, budget: list[int]) -> str:
    """The part holding the named sheet, found as a reader finds it: workbook.xml, then its relationships."""
    workbook = _xml(data, parts.get("xl/workbook.xml"), file_name, budget)
    relations = _xml(data, parts.get("xl/_rels/workbook.xml.rels"), file_name, budget)
    ids = [sheet.get(_NS_REL) for sheet in workbook.iter() if _local(sheet.tag) == "sheet"
           and sheet.get("name") == sheet_name]
    targets = {rel.get("Id"): rel.get("Target") or "" for rel in relations.iter() if _local(rel.tag) == "Relationship"}
    if len(ids) != 1 or ids[0] not in targets:
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    target = targets[ids[0]]
    target = target[1:] if target.startswith("/") else target if target.startswith("xl/") else f"xl/{target}"
    if target not in parts:
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    return target


def _local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _markup(data: bytes, info: zipfile.ZipInfo, file_name: str, budget: list[int], cut_before=None):
    """Yield a part's XML in pieces that end before a tag (one matching cut_before, when given).

    A DTD, comment, CDATA section or processing instruction is refused: no spreadsheet program writes them in
    these parts, and each could hide a tag from the patterns that count cells.
    """
    tail = b""
    first = True
    for piece in _inflate(data, info, file_name, budget):
        text = tail + piece
        cut = text.rfind(b"<")
        while cut > 0 and cut_before is not None and not cut_before.match(text, cut):
            cut = text.rfind(b"<", 0, cut)
        ready, tail = (text, b"") if cut < 0 else (text[:cut], text[cut:])
        if len(tail) > _MAX_TAG:
            raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
        if ready:
            _plain(ready, first, file_name)
            first = False
            yield ready
    if tail:
        _plain(tail, first, file_name)
        yield tail


def _plain(text: bytes, first: bool, file_name: str) -> None:
    """Refuse markup no spreadsheet program writes in these parts and that would let a pattern miss a cell."""
    instructions = text.count(b"<?")
    declaration = first and text.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml")
    if b"<!" in text or instructions > (1 if declaration else 0):
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")


def _shared_lengths(data: bytes, info: zipfile.ZipInfo | None, file_name: str, budget: list[int]) -> array:
    """The size of each shared string's XML, in order: at least the text it holds, never less."""
    lengths = array("q")
    if info is None:
        return lengths
    inside, pending = False, 0
    for text in _markup(data, info, file_name, budget):
        if b"\x01" in text or b"\x02" in text or b"\x03" in text:
            raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")  # control characters XML does not allow
        marked = _SI_TAG.sub(lambda tag: b"\x02" if tag.group(0).startswith(b"</") else
                             b"\x03" if tag.group(0).endswith(b"/>") else b"\x01", text) \
            if b":si" in text or b"<si " in text or b"<si/" in text else \
            text.replace(b"</si>", b"\x02").replace(b"<si>", b"\x01")
        tags = marked.translate(None, _ALL_BUT_MARKS)
        # Open and close must alternate (an empty <si/> or a nested one would shift every index after it).
        expected = (b"\x02" if inside else b"") + b"\x01\x02" * ((len(tags) - inside) // 2) + \
            (b"\x01" if (len(tags) - inside) % 2 else b"")
        if tags != expected:
            raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
        pieces = marked.split(b"\x02")
        if len(pieces) > 1:
            lengths.append(pending + len(pieces[0]))
            lengths.extend(map(len, pieces[1:-1]))
            pending = 0
        inside = tags.endswith(b"\x01")
        pending = pending + len(pieces[-1]) if inside else 0
        if len(lengths) > MAX_CELLS:
            raise _too_large(file_name, None, f"holds more than {MAX_CELLS:,} different texts")
    if inside:
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    return lengths


def _scan_sheet(data: bytes, info: zipfile.ZipInfo, lengths: array, file_name: str, sheet_name: str,
                budget: list[int]) -> Extent:
    """Find the sheet's farthest cell and the text its cells will hold; refuse past the budget as soon as seen."""
    extent = Extent()
    shared = len(lengths)
    for text in _markup(data, info, file_name, budget, cut_before=_ROW_OR_CELL):
        found = _fast_cells(text) or _exact_cells(text, file_name, sheet_name)
        farthest, columns, indices = found
        extent.rows = max(extent.rows, farthest)
        extent.columns = max(extent.columns, max(map(_column_number, columns), default=0))
        if indices and max(indices) >= shared:
            indices = [i for i in indices if i < shared]  # numbers (exact patterns), or a reference a reader refuses
        extent.text += len(text) + sum(map(lengths.__getitem__, indices))
        if extent.cells > MAX_CELLS:
            raise _too_large(file_name, sheet_name, f"reaches row {extent.rows:,} and column "
                             f"{_column_letters(extent.columns)} ({extent.cells:,} cells from A1)")
        if extent.text > MAX_TEXT:
            raise _too_large(file_name, sheet_name,
                             f"holds more than {MAX_TEXT // 1_000_000:,} MB of text once its shared texts are copied")
    return extent


def _fast_cells(text: bytes) -> tuple | None:
    """Cells' farthest row, columns and shared-string indices when every cell tag has the usual form, else None.

    Byte counts and single-group patterns only: a tuple per cell would cost more than reading the sheet. Any
    tag starting '<c' that is not a cell of that form (a namespace prefix, <cols>, a tab before r ...) sends
    the piece to the exact patterns.
    """
    if b":c" in text:
        return None
    rows = _FAST_CELL.findall(text)
    if len(rows) != text.count(b"<c"):
        return None
    if not rows:
        return 0, (), []
    indices = _FAST_SHARED.findall(text)
    if len(indices) != text.count(b' t="s"'):
        return None
    return int(max(map(_PAD, rows))), set(_FAST_COLUMN.findall(text)), list(map(int, indices))


def _exact_cells(text: bytes, file_name: str, sheet_name: str) -> tuple:
    """Cells' columns, rows and candidate shared-string indices, by patterns that account for every cell tag."""
    refs = _CELL_REF.findall(text)
    values = _VALUE.findall(text)
    if len(refs) != len(_CELL_TAG.findall(text)) or len(values) != len(_VALUE_TAG.findall(text)):
        # A cell without its reference (allowed, but no spreadsheet program writes it) or written so that
        # the patterns cannot vouch for it: refused rather than read with a position guessed.
        raise ImportRefused(f"{file_name}: sheet '{sheet_name}' is not written as Excel or Google Sheets "
                            "write a workbook, so it cannot be checked before reading. Open it in Excel or "
                            "Google Sheets and save it again as .xlsx, or download it as .csv.")
    columns, rows = zip(*refs) if refs else ((), ())
    # Every whole-number value counts as a shared string's index (numbers too): an upper bound of the text.
    return max(map(int, rows), default=0), set(columns), [i for i in map(_index, values) if 0 <= i < 1 << 40]


def _index(value: bytes) -> int:
    """A cell value as a shared string's index, or -1 when it is not a whole number."""
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 12 else -1


def _column_number(letters: bytes) -> int:
    """A column's number from its letters (A = 1, AA = 27)."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _column_letters(number: int) -> str:
    """A column's letters from its number."""
    text = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        text = chr(65 + rest) + text
    return text
