"""Reading what people upload: Google Forms responses as CSV or XLSX, into a table of text cells."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pyarrow as pa
import pyarrow.csv as pacsv

MAX_BYTES = 50 * 1024 * 1024


class ImportRefused(ValueError):
    """The whole file is refused (unreadable, too large, unknown kind, missing required column)."""


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


def read(data: bytes, file_name: str, sheet: str | int | None = None) -> Sheet:
    """Read CSV or XLSX bytes; refuse with a clear message what cannot be read."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"{file_name}: the file is {len(data) / 1e6:.0f} MB; files over 50 MB are refused")
    if not data[:4096].strip(b" \t\r\n\xef\xbb\xbf") and not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportRefused(f"{file_name}: the file is empty")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, file_name, sheet)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportRefused(f"{file_name}: this is an old Excel .xls file; save it as .xlsx or CSV and upload that")
    if b"\x00" in data[:4096]:
        raise ImportRefused(f"{file_name}: this is not a CSV or XLSX file (it looks binary)")
    return _read_csv(data, file_name)


def _decode(data: bytes) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM), else Excel's cp1252; return the text and the encoding used."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _delimiter(text: str) -> str:
    """Pick the delimiter from the header line: comma, semicolon (Excel in some locales) or tab."""
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def _read_csv(data: bytes, file_name: str) -> Sheet:
    """Parse CSV: Arrow's fast reader straight from the bytes when they are regular UTF-8, Python's csv otherwise."""
    text, encoding = _decode(data)
    first_record = text[:65536].replace("\r\n", "\n").replace("\r", "\n")
    sep = _delimiter(first_record)
    try:
        header = next(csv.reader(io.StringIO(first_record), delimiter=sep))
    except (StopIteration, csv.Error) as exc:
        raise ImportRefused(f"{file_name}: no header row found") from exc
    headers = _clean_headers(header)
    # Arrow drops blank lines, which would shift row numbers; such files take the exact path.
    regular = encoding == "utf-8" and not any(_blank_line_inside(data, gap) for gap in (b"\n\n", b"\n\r\n", b"\r\r"))
    table = _read_csv_arrow(data, sep, len(headers)) if regular else None
    notes = []
    if table is None:
        table, extra = _read_csv_python(text.replace("\r\n", "\n").replace("\r", "\n"), sep, len(headers))
        if extra:
            notes.append(f"{extra} row(s) have more cells than there are headers; the extra cells were ignored")
    if encoding == "cp1252":
        notes.append("The file is not UTF-8; it was read as Windows-1252 (as Excel saves it)")
    return _finish(Sheet(file_name, headers, table, encoding=encoding, notes=notes))


def _blank_line_inside(data: bytes, gap: bytes) -> bool:
    """Tell whether a blank line occurs before the end of the file (trailing blank lines are harmless)."""
    index = data.find(gap)
    return index >= 0 and bool(data[index:].strip(b"\r\n"))


def _clean_headers(raw: list[str]) -> list[str]:
    """Trim headers, name blank ones by position and make duplicates distinct."""
    headers: list[str] = []
    for index, value in enumerate(raw):
        name = re.sub(r"\s+", " ", str(value or "")).strip() or f"Column {index + 1}"
        base, n = name, 2
        while name in headers:
            name, n = f"{base} ({n})", n + 1
        headers.append(name)
    return headers


def _read_csv_arrow(data: bytes, sep: str, width: int) -> pa.Table | None:
    """Read UTF-8 bytes with pyarrow (multi-threaded); None when the file is too irregular for it."""
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
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


def _read_csv_python(text: str, sep: str, width: int) -> tuple[pa.Table, int]:
    """Read with the csv module, keeping exact row numbers and tolerating ragged rows."""
    columns: list[list[str]] = [[] for _ in range(width)]
    numbers: list[int] = []
    extra = 0
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    next(reader, None)
    for number, record in enumerate(reader, start=2):
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            extra += 1
        for index in range(width):
            columns[index].append(record[index] if index < len(record) else "")
        numbers.append(number)
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
    """Read one sheet (the first by default) of an XLSX workbook; cached formula results, never formulas."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ImportRefused(f"{file_name}: not a readable XLSX workbook ({exc.__class__.__name__})") from exc
    names = book.sheetnames
    if sheet is None:
        chosen = names[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise ImportRefused(f"{file_name}: there is no sheet number {sheet + 1}; sheets: {', '.join(names)}")
        chosen = names[sheet]
    elif sheet in names:
        chosen = sheet
    else:
        raise ImportRefused(f"{file_name}: there is no sheet '{sheet}'; sheets: {', '.join(names)}")
    rows = book[chosen].iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or not any(v not in (None, "") for v in header):
        raise ImportRefused(f"{file_name}: sheet '{chosen}' has no header row")
    headers = _clean_headers([_cell_text(v) for v in header])
    width = len(headers)
    columns: list[list[str]] = [[] for _ in range(width)]
    numbers = []
    for number, record in enumerate(rows, start=2):
        for index in range(width):
            columns[index].append(_cell_text(record[index]) if index < len(record) else "")
        numbers.append(number)
    book.close()
    arrays = {f"c{i}": pa.array(values, type=pa.string()) for i, values in enumerate(columns)}
    arrays["_row"] = pa.array(numbers, type=pa.int64())
    return _finish(Sheet(file_name, headers, pa.table(arrays), sheet_names=names, sheet=chosen))


def _finish(sheet: Sheet) -> Sheet:
    """Drop trailing unnamed empty columns and blank rows (row numbers stay as in the file)."""
    import pyarrow.compute as pc

    # Lengths of trimmed text, not comparisons with "": comparing with a Python value makes pyarrow import pandas.
    lengths = {index: pc.utf8_length(pc.utf8_trim_whitespace(sheet.table.column(f"c{index}")))
               for index in range(len(sheet.headers))}
    keep = [index for index, header in enumerate(sheet.headers)
            if not (header.startswith("Column ") and (not sheet.table.num_rows or not pc.max(lengths[index]).as_py()))]
    headers = [sheet.headers[i] for i in keep]
    if not headers:
        raise ImportRefused(f"{sheet.file_name}: no header row found")
    table = pa.Table.from_arrays([sheet.table.column(f"c{i}") for i in keep] + [sheet.table.column("_row")],
                                 names=[f"c{n}" for n in range(len(keep))] + ["_row"])
    if table.num_rows:
        total = lengths[keep[0]]
        for index in keep[1:]:
            total = pc.add(total, lengths[index])
        table = table.filter(pc.cast(total, pa.bool_()))
    sheet.headers, sheet.table = headers, table
    return sheet
