"""Reading what people upload: Google Forms responses as CSV or XLSX, into a table of text cells."""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pyarrow as pa
import pyarrow.csv as pacsv

from .refusals import DAMAGED_XLSX, MAX_BYTES, ImportRefused

# A Google Forms export has one column per question; a first row far wider than any form is not a header.
MAX_COLUMNS = 1000
# The csv module refuses cells over 128 KB by default; the Arrow reader takes any cell, so both paths agree.
csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))

DOWNLOAD_HINT = ("In Google Forms use Responses > Download responses (.csv), or download the linked Sheet as "
                 ".xlsx or .csv, and upload that file.")


@dataclass
class Sheet:
    """An uploaded table: its headers, and its cells as text with their spreadsheet row numbers."""

    file_name: str
    headers: list[str]
    table: pa.Table  # columns c0..cN (text, '' when empty) and _row (the spreadsheet row; the header is row 1)
    sheet_names: list[str] = field(default_factory=list)  # XLSX only
    sheet: str | None = None
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)  # things the reader did that the user should know
    blank_rows: int = 0  # rows left out because every cell was blank

    @property
    def rows(self) -> int:
        """Number of non-blank data rows."""
        return self.table.num_rows

    def column(self, header: str) -> str:
        """Return the internal column name (c0, c1, ...) of a header."""
        return f"c{self.headers.index(header)}"

    def sample(self, header: str, limit: int = 3) -> list[str]:
        """Return the first few non-empty values of a column, for showing a mapping."""
        values = self.table.column(self.column(header)).to_pylist()
        return [v for v in values if v][:limit]


def quoted(text: str, limit: int = 60) -> str:
    """Quote a header or a cell for a message: control and invisible characters as spaces, long text cut."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text[:limit * 4])
    text = re.sub(r"\s+", " ", text).strip()
    return f"'{text[:limit]}…'" if len(text) > limit else f"'{text}'"


def listed(texts: list[str], limit: int = 8) -> str:
    """Quote the first few of many headers for a message, and say how many more there are."""
    shown = "; ".join(quoted(text) for text in texts[:limit])
    return shown + (f"; and {len(texts) - limit:,} more" if len(texts) > limit else "")


def read(data: bytes, file_name: str, sheet: str | int | None = None) -> Sheet:
    """Read CSV or XLSX bytes; refuse with a clear message what cannot be read."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"{file_name}: the file is {len(data) / 1e6:.0f} MB; files over 50 MB are refused")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):  # a ZIP archive (the second: an empty one)
        return merge_repeated(_read_xlsx(data, file_name, sheet))
    what = _not_a_table(data)
    if what:
        raise ImportRefused(f"{file_name}: {what}")
    wide = _wide_codec(data)
    # UTF-8 bytes go to Arrow as they are: decoding a whole large file to text first would hold it twice.
    text, encoding = (data.decode(wide, errors="replace"), _WIDE_NAMES[wide]) if wide else (None, "utf-8")
    head = text[:4096] if text is not None else data[:4096].decode("utf-8", errors="replace")
    if (_BLANK_TEXT.fullmatch(text) if text is not None else _BLANK_BYTES.match(data).end() == len(data)):
        raise ImportRefused(f"{file_name}: the file is empty: it has no header row and no responses. {DOWNLOAD_HINT}")
    if _looks_binary(head):
        raise ImportRefused(f"{file_name}: this is not a CSV or XLSX file (it looks like binary data, such as a "
                            f"picture or a program). {DOWNLOAD_HINT}")
    return merge_repeated(_read_csv(data, text, encoding, file_name))


def merge_repeated(sheet: Sheet) -> Sheet:
    """Merge columns asking the same question (a branching form repeats it per section) into the first one.

    The Sheet then has identical headers, which reading numbered 'Question (2)'...; per row their answers are
    joined, checkbox options united, so an answer given in a later section is not left out.
    """
    names = set(sheet.headers)
    groups: dict[str, list[int]] = {}
    for index, header in enumerate(sheet.headers):
        match = re.fullmatch(r"(.+) \((\d+)\)", header)
        if match and match[1] in names:
            groups.setdefault(match[1], [sheet.headers.index(match[1])]).append(index)
    if not groups:
        return sheet
    columns = {index: sheet.table.column(f"c{index}") for index in range(len(sheet.headers))}
    for base, indexes in groups.items():
        values = [columns[index].to_pylist() for index in indexes]
        # The form's download joins checked options with ';', the Sheet's with ', ': the columns tell which.
        separator = ";" if any(";" in (cell or "") for column in values for cell in column) else ", "
        columns[indexes[0]] = pa.array([_united(row, separator) for row in zip(*values)], type=pa.string())
        sheet.notes.append(f"The question {quoted(base)} is asked in {len(indexes)} columns (sections of the form): "
                           "their answers were merged into one, per row")
    dropped = {index for indexes in groups.values() for index in indexes[1:]}
    keep = [index for index in range(len(sheet.headers)) if index not in dropped]
    sheet.table = pa.Table.from_arrays([columns[i] for i in keep] + [sheet.table.column("_row")],
                                       names=[f"c{n}" for n in range(len(keep))] + ["_row"])
    sheet.headers = [sheet.headers[i] for i in keep]
    return sheet


def _united(answers: tuple[str | None, ...], separator: str) -> str:
    """One row's answers to a repeated question, joined; checked options once each, in the order given."""
    given = [answer.strip() for answer in answers if answer and answer.strip()]
    if len(given) <= 1:
        return given[0] if given else ""
    parts = [part.strip() for answer in given for part in answer.split(separator.strip())]
    return separator.join(dict.fromkeys(part for part in parts if part))


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of old Office files and of password-protected ones
_SIGNATURES = (
    (b"%PDF", "this is a PDF document, not a spreadsheet."),
    (b"\x89PNG", "this is a picture (PNG), not a spreadsheet."),
    (b"\xff\xd8\xff", "this is a picture (JPEG), not a spreadsheet."),
    (b"GIF8", "this is a picture (GIF), not a spreadsheet."),
    (b"{\\rtf", "this is a word-processor document (RTF), not a spreadsheet."),
)


def _not_a_table(data: bytes) -> str | None:
    """Say what a file is when its first bytes show it is no CSV (an old or protected workbook, a PDF ...)."""
    head = data[:4096]
    if head.startswith(_OLE):
        # A workbook saved with a password is an OLE container holding the streams EncryptionInfo and
        # EncryptedPackage; their names (UTF-16) sit in its directory, which may be anywhere in the file.
        if "EncryptedPackage".encode("utf-16-le") in data:
            return ("this workbook is protected with a password, so it cannot be read. Open it in Excel, remove the "
                    "password (File > Info > Protect Workbook), save it as .xlsx and upload that.")
        return ("this is an old Excel .xls workbook (or another old Office file). Open it in Excel or Google Sheets, "
                "save it as .xlsx or .csv and upload that.")
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return f"{what} {DOWNLOAD_HINT}"
    start = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:15].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return f"this is a web page (HTML), not a spreadsheet. {DOWNLOAD_HINT}"
    return None


def _looks_binary(head: str) -> bool:
    """Tell whether decoded text is binary data: a NUL, or more control characters than any export holds."""
    controls = sum(1 for ch in head if ch < " " and ch not in "\t\r\n")
    return "\x00" in head or controls > max(4, len(head) // 50)


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_WIDE_NAMES = {"utf-32": "utf-32", "utf-16": "utf-16", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}
# What an empty file holds: spaces, line ends and byte order marks (as text, and as UTF-8 bytes).
_BLANK_TEXT = re.compile("[ \t\r\n\ufeff]*")
_BLANK_BYTES = re.compile(b"(?:[ \t\r\n]|\xef\xbb\xbf)*")


def _wide_codec(data: bytes) -> str | None:
    """The codec of UTF-16/32 text (Excel's "Unicode Text"), by its BOM or its NULs; None for 8-bit text."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    head = data[:4096]
    half = len(head) // 2
    # Without a BOM, UTF-16 text in a Latin script has a NUL in every other byte, and only there.
    for zeros, others, codec in ((head[1::2], head[0::2], "utf-16-le"), (head[0::2], head[1::2], "utf-16-be")):
        if half >= 4 and zeros.count(0) > 0.3 * half and others.count(0) < 0.05 * half:
            return codec
    return None


def _decode(data: bytes) -> tuple[str, str]:
    """Decode UTF-16/32, UTF-8 (with or without BOM), else Excel's cp1252; return the text and its encoding."""
    wide = _wide_codec(data)
    if wide:
        return data.decode(wide, errors="replace"), _WIDE_NAMES[wide]
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _utf8_first_record(data: bytes) -> str | None:
    """The start of UTF-8 bytes as text (at least the first line, BOM removed); None when they are not UTF-8."""
    head = data[:65536]
    if len(data) > 65536 and b"\n" not in head and b"\r" not in head:
        ends = [i for i in (data.find(b"\n", 65536), data.find(b"\r", 65536)) if i >= 0]
        head = data[:min(ends, default=len(data))]
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if len(head) < len(data) and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return head[:exc.start].decode("utf-8-sig")  # the sample cut a character in two
        return None


def _delimiter(text: str) -> str:
    """Pick the delimiter from the header line: comma, semicolon (Excel in some locales) or tab."""
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def _read_csv(data: bytes, text: str | None, encoding: str, file_name: str) -> Sheet:
    """Parse CSV: Arrow's fast reader straight from the bytes when they are UTF-8, Python's csv otherwise.

    `text` is the decoded file when it had to be decoded (UTF-16/32), else None: UTF-8 bytes are decoded
    only when Arrow cannot read them (not UTF-8 after all, ragged rows), for the exact reader.
    """
    first_record = _utf8_first_record(data) if text is None else text[:65536]
    if first_record is None:  # not UTF-8: Excel's cp1252, most likely
        text, encoding = _decode(data)
        first_record = text[:65536]
    if text is not None and len(text) > 65536 and "\n" not in first_record and "\r" not in first_record:
        # A first line longer than the sample (thousands of columns, a huge header) is read whole to count it.
        ends = [i for i in (text.find("\n", 65536), text.find("\r", 65536)) if i >= 0]
        first_record = text[:min(ends, default=len(text))]
    first_record = first_record.replace("\r\n", "\n").replace("\r", "\n")
    sep = _delimiter(first_record)
    try:
        header = next(csv.reader(io.StringIO(first_record), delimiter=sep))
    except (StopIteration, csv.Error) as exc:
        raise ImportRefused(f"{file_name}: no header row found. The first row must hold the questions, as in a "
                            "Google Forms export.") from exc
    headers = _clean_headers(_header_cells(header, file_name))
    table = _read_csv_arrow(data, sep, len(headers)) if encoding == "utf-8" else None
    notes = []
    if table is None:
        if text is None:
            text, encoding = _decode(data)
        table, extra = _read_csv_python(text.replace("\r\n", "\n").replace("\r", "\n"), sep, len(headers), file_name)
        if extra:
            notes.append(f"{extra} row(s) have more cells than there are headers; the extra cells were ignored")
    if encoding == "cp1252":
        notes.append("The file is not UTF-8; it was read as Windows-1252 (as Excel saves it)")
    elif encoding != "utf-8":
        notes.append(f"The file is {encoding.upper()} text, not UTF-8 (Excel's \"Unicode Text\" is UTF-16); it was read "
                     "as such")
    return _finish(Sheet(file_name, headers, table, encoding=encoding, notes=notes))


def _clean_headers(raw: list[str]) -> list[str]:
    """Trim headers, name blank ones by position and make duplicates distinct."""
    headers: list[str] = []
    seen: set[str] = set()  # a set, not the list: a row of thousands of blank headers stays linear
    for index, value in enumerate(raw):
        name = re.sub(r"\s+", " ", str(value or "")).strip() or f"Column {index + 1}"
        base, n = name, 2
        while name in seen:
            name, n = f"{base} ({n})", n + 1
        headers.append(name)
        seen.add(name)
    return headers


def _read_csv_arrow(data: bytes, sep: str, width: int) -> pa.Table | None:
    """Read UTF-8 bytes with pyarrow (multi-threaded); None when they are too irregular for it or not UTF-8."""
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            # Blank lines stay rows (all empty, dropped by _finish), so row numbers stay those of the file.
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowException:  # ragged rows, a cell spanning blocks, bytes that are no UTF-8 ...: the exact reader copes
        return None
    return table.append_column("_row", _row_numbers(table))


def _row_numbers(table: pa.Table) -> pa.Array:
    """Spreadsheet row numbers 2, 3, ... for a table read without skipping lines.

    Built with Arrow kernels only: turning Python values into Arrow makes pyarrow import pandas,
    a third of a second the command line does not otherwise pay.
    """
    import pyarrow.compute as pc

    if table.num_rows == 0 or table.num_columns == 0:
        return pa.chunked_array([], type=pa.int64())
    ones = pc.cast(pc.is_valid(table.column(0)), pa.int64())
    return pc.add(pc.cumulative_sum(ones), ones)


def _read_csv_python(text: str, sep: str, width: int, file_name: str) -> tuple[pa.Table, int]:
    """Read with the csv module, keeping exact row numbers and tolerating ragged rows."""
    columns: list[list[str]] = [[] for _ in range(width)]
    numbers: list[int] = []
    extra = 0
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    number = 1
    try:
        next(reader, None)
        for number, record in enumerate(reader, start=2):
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                extra += 1
            for index in range(width):
                columns[index].append(record[index] if index < len(record) else "")
            numbers.append(number)
    except csv.Error as exc:
        raise ImportRefused(f"{file_name}: the file cannot be read as CSV after row {number}. Open it in a "
                            "spreadsheet program, save it again as CSV and upload that.") from exc
    arrays = {f"c{i}": pa.array(values, type=pa.string()) for i, values in enumerate(columns)}
    arrays["_row"] = pa.array(numbers, type=pa.int64())
    return pa.table(arrays), extra


def _cell_text(value: object) -> str:
    """Turn an XLSX cell into the text a CSV export would hold (datetimes as ISO)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes, file_name: str, sheet: str | int | None) -> Sheet:
    """Read one sheet (the first by default) of an XLSX workbook; cached formula results, never formulas.

    python-calamine reads it (Rust, several times faster than openpyxl), after lib.imports.workbook_guard has checked
    that no part, cell extent or shared text would take more memory than a CSV under the size limit.
    """
    import python_calamine

    from . import workbook_guard

    what = _not_a_workbook(data)
    if what:
        raise ImportRefused(f"{file_name}: {what}")
    book = None
    try:
        # Checked before calamine opens it: opening reads every shared string.
        names = workbook_guard.sheet_names(data, file_name)
        chosen = _choose_sheet(names, sheet, file_name)
        workbook_guard.check(data, file_name, chosen)
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if list(book.sheet_names) != names:
            raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
        grid = book.get_sheet_by_name(chosen)
        rows = grid.iter_rows()  # from row 1, but from the sheet's first used column
        header = next(rows, None)
        lead = [""] * grid.start[1] if grid.start else []
        if header is None or not any(v not in (None, "") for v in header):
            others = f" The workbook's sheets: {', '.join(names)}; choose the one that holds the responses." \
                if len(names) > 1 else ""
            raise ImportRefused(f"{file_name}: sheet '{chosen}' is empty (it has no header row).{others}")
        headers = _clean_headers(_header_cells([_cell_text(v) for v in lead + list(header)], file_name))
        width = len(headers)
        records = [lead + record for record in rows] if lead else list(rows)
    except ImportRefused:
        raise
    except Exception as exc:  # zip, XML and calamine errors each have their own types for a damaged workbook
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}") from exc
    finally:
        if book is not None:
            book.close()
    # calamine's rows all have the sheet's width, at least the header's: transposed in C, not cell by cell.
    columns = zip(*records) if records else iter([()] * width)
    arrays = {f"c{i}": _text_column(column) for i, column in zip(range(width), columns)}
    arrays["_row"] = pa.array(range(2, len(records) + 2), type=pa.int64())
    return _finish(Sheet(file_name, headers, pa.table(arrays), sheet_names=names, sheet=chosen))


def _text_column(values) -> pa.Array:
    """One column of cells as Arrow text: straight when every cell is text, else each turned into text."""
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers, dates, booleans: written as a CSV export would
        return pa.array([_cell_text(v) for v in values], type=pa.string())


def _not_a_workbook(data: bytes) -> str | None:
    """Say what a ZIP file is when it is no Excel workbook (an OpenDocument or Word file, another archive)."""
    try:
        parts = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except Exception:  # a cut or damaged archive: its central directory is gone or unreadable
        return DAMAGED_XLSX
    if "xl/workbook.xml" in parts:
        return None
    if "mimetype" in parts or "content.xml" in parts:
        return ("this is an OpenDocument file (.ods), not an Excel workbook. Open it in LibreOffice or Google Sheets, "
                "save it as .xlsx or .csv and upload that.")
    if "word/document.xml" in parts:
        return f"this is a Word document, not a spreadsheet. {DOWNLOAD_HINT}"
    if "[Content_Types].xml" in parts:
        return DAMAGED_XLSX
    return "this is a ZIP archive, not an Excel workbook. Take the .xlsx or .csv file out of it and upload that."


def _choose_sheet(names: list[str], sheet: str | int | None, file_name: str) -> str:
    """The sheet to read: the one asked for (by name or number), else the first."""
    if not names:
        raise ImportRefused(f"{file_name}: {DAMAGED_XLSX}")
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise ImportRefused(f"{file_name}: there is no sheet number {sheet + 1}; sheets: {', '.join(names)}")
        return names[sheet]
    if sheet in names:
        return sheet
    raise ImportRefused(f"{file_name}: there is no sheet '{sheet}'; sheets: {', '.join(names)}")


def _header_cells(header: list[str], file_name: str) -> list[str]:
    """The header row's cells without trailing blank ones past MAX_COLUMNS; refuse a row wider than any form."""
    while len(header) > MAX_COLUMNS and not header[-1].strip():
        header.pop()  # Excel may leave thousands of empty cells at the end of the first row
    if len(header) > MAX_COLUMNS:
        raise ImportRefused(f"{file_name}: the first row has {len(header):,} columns, but a Google Forms export has "
                            "one per question, so this does not look like one. Check that the first row holds the "
                            "questions.")
    return header


def _finish(sheet: Sheet) -> Sheet:
    """Drop trailing unnamed empty columns and blank rows (row numbers stay as in the file)."""
    import pyarrow.compute as pc

    # A cell is blank when empty or only spaces: its byte length (read off the offsets) and a scan, without
    # trimming copies of every column. No comparison with a Python value: that makes pyarrow import pandas.
    filled = {index: pc.and_not(pc.cast(pc.binary_length(column), pa.bool_()), pc.utf8_is_space(column))
              for index in range(len(sheet.headers)) for column in [sheet.table.column(f"c{index}")]}
    keep = [index for index, header in enumerate(sheet.headers)
            if not (header.startswith("Column ") and (not sheet.table.num_rows or not pc.any(filled[index]).as_py()))]
    headers = [sheet.headers[i] for i in keep]
    if not headers:
        raise ImportRefused(f"{sheet.file_name}: no header row found: the first row is empty. The first row must "
                            "hold the questions, as in a Google Forms export.")
    table = pa.Table.from_arrays([sheet.table.column(f"c{i}") for i in keep] + [sheet.table.column("_row")],
                                 names=[f"c{n}" for n in range(len(keep))] + ["_row"])
    if table.num_rows:
        any_filled = filled[keep[0]]
        for index in keep[1:]:
            any_filled = pc.or_(any_filled, filled[index])
        if not pc.all(any_filled).as_py():  # filtering copies every column: only when a row is blank
            table = table.filter(any_filled)
    sheet.blank_rows = sheet.table.num_rows - table.num_rows
    sheet.headers, sheet.table = headers, table
    return sheet
