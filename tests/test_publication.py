"""The ALI Annual Skills Directory as CSV, XLSX, PDF and HTML: who is in it, what it shows, that it is safe."""
from __future__ import annotations

import csv
import html
import io
import re
import shutil
from datetime import date
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from lib.cli import _parser
from lib.directory import files, members as directory, publication
from lib.imports import batches as imports
from tests.test_cli import run

CYCLE = "2025-26"
HEADER = ("Timestamp,Email address,Full name,Institution / Library,Job title,Department,Years in the profession,"
          "Skills and areas of expertise (check all that apply),Colleagues may contact me for,"
          "Preferred contact method,Do you agree to have your responses published in the ALI Skills Directory?\n")
SURVEY = HEADER + (
    '9/15/2025 10:00:00,jose.alvarez@example.edu,José Álvarez,Ball State University,Metadata Librarian,'
    'Teaching & Learning,12,"Cataloging, Metadata, Zine making","Support, Collaboration",Email,Yes\n'
    "9/15/2025 10:05:00,zoe.oneil@example.edu,Zoë O'Neil,Purdue University,Archivist,Special Collections,4,"
    '"Archives, Digitization",Discussion,Phone,Yes\n'
    '9/15/2025 10:10:00,renee.nunez@example.edu,Renée Núñez,Saint Elsewhere Seminary Library,Director,'
    '-Library Technology,20,Leadership,Feedback,Zoom,Yes\n'
    '9/15/2025 10:12:00,anna.petrova@example.edu,Анна Петрова,@Home Learning Commons,Łódź Liaison,,3,Cataloging,'
    'Support,Email,Yes\n'
    '9/15/2025 10:14:00,zed.star@example.edu,**Zed** Star,Purdue University,Librarian,,2,Cataloging,Support,Email,Yes\n'
    # Published twice this fall: only the later answer shows.
    '9/15/2025 10:20:00,hana.early@example.edu,Hana Early,Ball State University,Trainee Cataloguer,,1,Cataloging,'
    'Support,Email,Yes\n'
    '9/22/2025 10:20:00,hana.early@example.edu,Hana Early,Ball State University,Head of Cataloging,,1,Cataloging,'
    'Support,Email,Yes\n'
    # Said no.
    '9/15/2025 10:30:00,nora.noconsent@example.edu,Nora Noconsent,Purdue University,Librarian,,5,Cataloging,'
    'Support,Email,No\n'
    # Said yes, then withdrew.
    '9/15/2025 10:40:00,walt.withdrew@example.edu,Walt Withdrew,Purdue University,Librarian,,5,Cataloging,'
    'Support,Email,Yes\n'
    '9/25/2025 10:40:00,walt.withdrew@example.edu,Walt Withdrew,Purdue University,Librarian,,5,Cataloging,'
    'Support,Email,No\n'
    # Held for review by the importer: a formula as a name, markup as a job title.
    '9/15/2025 10:50:00,eve.formula@example.edu,"=HYPERLINK(""http://x.invalid"",""Eve"")",Ball State University,'
    'Archivist,,5,Archives,Support,Email,Yes\n'
    '9/15/2025 10:55:00,sam.script@example.edu,Sam Script,Ball State University,<script>alert(1)</script>,,5,'
    'Archives,Support,Email,Yes\n'
)
# Published last year, silent this year: lapsed.
LAST_YEAR = HEADER + ('9/15/2024 10:00:00,larry.lapsed@example.edu,Larry Lapsed,Purdue University,Librarian,,5,'
                      'Cataloging,Support,Email,Yes\n')
PUBLISHED = {"jose.alvarez@example.edu", "zoe.oneil@example.edu", "renee.nunez@example.edu",
             "anna.petrova@example.edu", "zed.star@example.edu", "hana.early@example.edu"}
NEVER = {"nora.noconsent@example.edu": "Nora Noconsent", "walt.withdrew@example.edu": "Walt Withdrew",
         "larry.lapsed@example.edu": "Larry Lapsed"}
HELD = {"eve.formula@example.edu": "HYPERLINK", "sam.script@example.edu": "Sam Script"}


@pytest.fixture
def survey(conn):
    """The small survey above imported into an empty database (two program years)."""
    assert imports.import_bytes(conn, LAST_YEAR.encode(), "last_year.csv").ok
    assert imports.import_bytes(conn, SURVEY.encode(), "survey.csv").ok
    return conn


@pytest.fixture
def demo_db(demo_db_file, tmp_path):
    """A private copy of the demo database file, for the command line."""
    path = tmp_path / "cli.duckdb"
    shutil.copy(demo_db_file, path)
    return path


def pdf_text(data: bytes) -> str:
    """Every page's text, as a reader would copy it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def xlsx_cells(data: bytes) -> list:
    """Every cell of every sheet of a workbook."""
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def as_text(fmt: str, data: bytes) -> str:
    """The readable text of a file of any of the four formats."""
    if fmt == "csv":
        return data.decode("utf-8-sig")
    if fmt == "xlsx":
        return "\n".join(str(cell.value) for cell in xlsx_cells(data) if cell.value is not None)
    if fmt == "pdf":
        return pdf_text(data)
    return html.unescape(data.decode("utf-8"))


def csv_rows(data: bytes) -> list[dict[str, str]]:
    """The CSV's rows as dicts, read with the csv module alone."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("fmt", list(publication.FORMATS))
def test_only_consenting_latest_unheld_answers_of_the_year_are_published(survey, fmt):
    text = as_text(fmt, files.directory_file(survey, CYCLE, fmt))
    for email in PUBLISHED:
        assert email in text
    for email, name in {**NEVER, **HELD}.items():
        assert email not in text and name not in text
    assert "Trainee Cataloguer" not in text and "Head of Cataloging" in text  # history stays out
    assert "consent" not in text.lower()


@pytest.mark.parametrize("fmt", list(publication.FORMATS))
def test_held_answers_appear_once_a_committee_member_approves_them(survey, fmt):
    for row in directory.held(survey, CYCLE).itertuples():
        directory.review(survey, int(row.id), int(row.version), actor="chair")
    text = as_text(fmt, files.directory_file(survey, CYCLE, fmt))
    for email in PUBLISHED | set(HELD):
        assert email in text
    for email, name in NEVER.items():
        assert email not in text and name not in text


def test_the_query_reads_the_published_fields_only(survey):
    members = {m.email: m for m in publication.load(survey, CYCLE).members}
    assert set(members) == PUBLISHED
    jose = members["jose.alvarez@example.edu"]
    assert (jose.name, jose.job_title, jose.department, jose.institution, jose.region) == (
        "José Álvarez", "Metadata Librarian", "Teaching & Learning", "Ball State University", "East Central")
    assert jose.skills == ("Cataloging", "Metadata") and jose.expertise == ["Cataloging", "Metadata", "Zine making"]
    assert (jose.open_to, jose.contact_method) == (("Support", "Collaboration"), "Email")
    # An institution the reference list does not know is published as typed, without a region.
    renee = members["renee.nunez@example.edu"]
    assert (renee.institution, renee.region) == ("Saint Elsewhere Seminary Library", None)
    assert set(publication.Member._fields) == {"name", "job_title", "department", "institution", "region", "email",
                                               "skills", "other_skills", "open_to", "contact_method"}


def test_csv_has_the_published_columns_and_defuses_formulas(survey):
    for row in directory.held(survey, CYCLE).itertuples():
        directory.review(survey, int(row.id), int(row.version), actor="chair")
    data = files.directory_file(survey, CYCLE, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data)
    assert list(rows[0]) == publication.HEADERS
    by_email = {row["Email"]: row for row in rows}
    assert by_email["eve.formula@example.edu"]["Name"] == "'=HYPERLINK(\"http://x.invalid\",\"Eve\")"
    assert by_email["renee.nunez@example.edu"]["Department"] == "'-Library Technology"
    assert by_email["anna.petrova@example.edu"]["Institution"] == "'@Home Learning Commons"
    assert by_email["jose.alvarez@example.edu"]["Areas of expertise"] == "Cataloging; Metadata; Zine making"
    assert by_email["jose.alvarez@example.edu"]["Open to"] == "Support; Collaboration"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())


def test_xlsx_is_titled_filtered_frozen_and_never_holds_a_formula(survey):
    for row in directory.held(survey, CYCLE).itertuples():
        directory.review(survey, int(row.id), int(row.version), actor="chair")
    data = files.directory_file(survey, CYCLE, "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "ALI Annual Skills Directory 2025-26"
    assert [cell.value for cell in sheet[2]] == publication.HEADERS and all(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == f"A2:I{len(PUBLISHED) + len(HELD) + 2}"
    assert all(sheet.column_dimensions[col].width >= 10 for col in "ABCDEFGHI")
    assert sheet["G3"].alignment.wrap_text
    cells = xlsx_cells(data)
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    values = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert "'=HYPERLINK(\"http://x.invalid\",\"Eve\")" in values and "'-Library Technology" in values
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in values)


def test_xlsx_stores_text_as_text_even_if_it_looks_like_a_formula(monkeypatch):
    # Defusing is the first guard; the second is that every cell is written as a string, never a formula.
    monkeypatch.setattr(publication.exports, "safe_cell", lambda value: value)
    member = publication.Member("=1+1", "@SUM(A1)", None, None, None, "x@example.edu", (), (), (), "-2")
    data = publication.to_xlsx(publication.Directory(CYCLE, date(2025, 10, 1), [member]))
    cells = {cell.coordinate: cell for cell in xlsx_cells(data)}
    assert (cells["A3"].value, cells["B3"].value, cells["I3"].value) == ("=1+1", "@SUM(A1)", "-2")
    assert {cells[c].data_type for c in ("A3", "B3", "I3")} == {"s"}


def test_pdf_prints_accented_and_other_letters_with_a_title_page_and_page_numbers(survey):
    data = files.directory_file(survey, CYCLE, "pdf")
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "ALI Annual Skills Directory 2025-26"
    pages = [page.extract_text() for page in reader.pages]
    cover = pages[0]
    assert "ALI Annual Skills Directory" in cover and CYCLE in cover and "Academic Libraries of Indiana" in cover
    assert f"{len(PUBLISHED)} members" in cover and "chose to share" in cover and "Made on" in cover
    text = "\n".join(pages)
    for name in ("José Álvarez", "Zoë O'Neil", "Renée Núñez", "Анна Петрова", "Łódź Liaison", "**Zed** Star"):
        assert name in text
    assert "By skill" in pages[1] and "Cataloging" in pages[1] and f"Page 2 of {len(pages)}" in pages[1]
    assert "By name" in text and f"Page {len(pages)} of {len(pages)}" in pages[-1]
    # The fonts travel inside the file, so no machine needs them installed.
    fonts = {font["/BaseFont"] for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("DejaVu" in name for name in fonts)
    links = [annot.get_object()["/A"]["/URI"] for page in reader.pages for annot in page.get("/Annots", [])]
    assert "mailto:jose.alvarez@example.edu" in links


class _Page(HTMLParser):
    """Collects a page's ids, in-page links, mailto links, tags and headings."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.ids: list[str] = []
        self.anchors: list[str] = []
        self.mailtos: list[str] = []
        self.tags: set[str] = set()
        self.lang = None

    def handle_starttag(self, tag, attrs):
        """Record what the checks below need."""
        attrs = dict(attrs)
        self.tags.add(tag)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        href = attrs.get("href") or ""
        if href.startswith("#"):
            self.anchors.append(href[1:])
        if href.startswith("mailto:"):
            self.mailtos.append(href)
        if tag == "html":
            self.lang = attrs.get("lang")


def test_html_escapes_what_members_typed_and_links_every_anchor(survey):
    for row in directory.held(survey, CYCLE).itertuples():
        directory.review(survey, int(row.id), int(row.version), actor="chair")
    page = files.directory_file(survey, CYCLE, "html").decode("utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "**Zed** Star" in page and "Teaching &amp; Learning" in page
    assert "<title>ALI Annual Skills Directory 2025-26</title>" in page and "@media print" in page
    parsed = _Page()
    parsed.feed(page)
    assert parsed.lang == "en" and {"h1", "h2", "h3", "nav", "main", "article"} <= parsed.tags
    assert len(parsed.ids) == len(set(parsed.ids)) and set(parsed.anchors) <= set(parsed.ids)
    assert "skill-cataloging" in parsed.anchors
    assert 'href="mailto:jose.alvarez@example.edu"' in page
    assert len(set(parsed.mailtos)) == len(PUBLISHED) + len(HELD)
    assert page.count('<article class="member"') == len(PUBLISHED) + len(HELD)


def test_an_empty_year_writes_an_empty_directory_that_says_so(survey):
    survey.execute("INSERT INTO cycles VALUES ('2026-27', '2026-09-01', '2027-08-31', '2026-10-01')")
    empty = publication.load(survey, "2026-27")
    assert empty.members == []
    note = "No member has chosen to share their information for 2026-27 yet."
    assert csv_rows(files.render(empty, "csv")) == []
    assert files.render(empty, "csv").decode("utf-8-sig").splitlines() == [",".join(publication.HEADERS)]
    for fmt in ("xlsx", "pdf", "html"):
        assert note in " ".join(as_text(fmt, files.render(empty, fmt)).split())


def test_unknown_years_and_formats_are_refused(survey):
    with pytest.raises(ValueError, match="No program year 2030-31"):
        publication.load(survey, "2030-31")
    with pytest.raises(ValueError, match="not a program year"):
        publication.file_name("../etc", "pdf")
    with pytest.raises(ValueError, match="Unknown format 'docx'"):
        files.directory_file(survey, CYCLE, "docx")


def test_file_names_and_formats_for_download_buttons():
    assert publication.file_name("2025-26", "pdf") == "ali-skills-directory-2025-26.pdf"
    assert publication.file_name("2024-25", "xlsx") == "ali-skills-directory-2024-25.xlsx"
    assert publication.FORMATS["pdf"][1] == "application/pdf" and publication.FORMATS["csv"][1] == "text/csv"
    assert set(publication.FORMATS) == {"csv", "xlsx", "pdf", "html"}
    for fmt in publication.FORMATS:  # the command line offers every format, without importing this module
        assert _parser().parse_args(["export", "directory", "--format", fmt, "--out", "x"]).format == fmt


def test_the_demo_directory_exports_in_every_format_with_every_published_member(demo_conn):
    published = directory.counts(demo_conn, CYCLE)["published"]
    assert published > 100
    csv_data = files.directory_file(demo_conn, CYCLE, "csv")
    emails = {row["Email"] for row in csv_rows(csv_data)}
    assert len(emails) == len(csv_rows(csv_data)) == published
    assert emails == set(directory.published(demo_conn, CYCLE)["email"])
    sheet = load_workbook(io.BytesIO(files.directory_file(demo_conn, CYCLE, "xlsx"))).active
    assert {row[5] for row in sheet.iter_rows(min_row=3, values_only=True)} == emails
    page = files.directory_file(demo_conn, CYCLE, "html").decode("utf-8")
    assert {html.unescape(m) for m in re.findall(r'href="mailto:([^"]+)"', page)} == emails
    pdf = pdf_text(files.directory_file(demo_conn, CYCLE, "pdf"))
    assert f"{published:,} members" in pdf
    assert all(email in pdf for email in emails)


@pytest.mark.parametrize("fmt, magic", [("csv", b"\xef\xbb\xbfName,"), ("xlsx", b"PK"), ("pdf", b"%PDF"),
                                        ("html", b"<!DOCTYPE html>")])
def test_the_command_line_writes_each_format(demo_db, tmp_path, fmt, magic):
    out = tmp_path / f"directory.{fmt}"
    result = run("export", "directory", "--format", fmt, "--out", str(out), env_db=demo_db)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(magic)
    assert re.search(rf"ALI Annual Skills Directory 2025-26 \({fmt}\) to .*: \d+ members, [\d,]+ bytes",
                     result.stdout)
    assert f"{out.stat().st_size:,} bytes" in result.stdout


def test_the_command_line_refuses_clearly(demo_db, tmp_path):
    unknown = run("export", "directory", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--cycle", "2030-31",
                  env_db=demo_db)
    assert unknown.returncode == 2 and "No program year 2030-31" in unknown.stderr
    assert not (tmp_path / "x.csv").exists()
    nowhere = run("export", "directory", "--format", "pdf", "--out", str(tmp_path / "missing" / "x.pdf"),
                  env_db=demo_db)
    assert nowhere.returncode == 2 and "Cannot write" in nowhere.stderr


def test_the_command_line_writes_an_empty_year_with_a_note(survey, tmp_path):
    survey.execute("INSERT INTO cycles VALUES ('2026-27', '2026-09-01', '2027-08-31', '2026-10-01')")
    survey.close()
    out = tmp_path / "empty.html"
    result = run("export", "directory", "--format", "html", "--out", str(out), "--cycle", "2026-27",
                 env_db=tmp_path / "test.duckdb")
    assert result.returncode == 0, result.stderr
    assert "0 members" in result.stdout and "No member has chosen" in result.stdout
    assert "No member has chosen to share their information for 2026-27 yet." in out.read_text(encoding="utf-8")
