"""The annual report: Wilson intervals, the committee's sections, what each format says, the command line."""
from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from lib import cycles, db
from lib.db import ConflictError
from lib.report import charts, files, model as report
from lib.report.render import md_escape
from lib.year import outcomes

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "5 of 5 participants (100%; 95% CI 57-100%) said the experience met their career goals."
BODY = "José Álvarez, Zoë's notes =HYPERLINK(\"x\") <b>bold</b> **x**"
CIRCLE = "Círculo Zoë & José"
SECRET = "Quokka-zebra secret remark nobody agreed to share"
QUOTABLE = "Pangolin-heron remark the author agreed to share"
FORMATS = ("pdf", "html", "md")


def flat(text: str) -> str:
    """Any run of whitespace as one space, so a line wrapped in the PDF still reads as one sentence."""
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    """Every page's text of a PDF, whitespace flattened."""
    return flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def md_unescaped(text: str) -> str:
    """Markdown source with CommonMark's backslash escapes undone: what a reader sees as text."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def read(data: dict, cycle: str, fmt: str) -> str:
    """The text of one rendered format as a reader meets it (PDF text, unescaped HTML or Markdown)."""
    raw = data[(cycle, fmt)]
    if fmt == "pdf":
        return pdf_text(raw)
    text = raw.decode("utf-8")
    return flat(__import__("html").unescape(text) if fmt == "html" else md_unescaped(text))


@pytest.fixture(scope="module")
def demo_file(demo_db_file, tmp_path_factory) -> Path:
    """A copy of the demo with a typed section, an accented circle, a flagged year and two new comments."""
    path = tmp_path_factory.mktemp("report") / "report.duckdb"
    shutil.copy(demo_db_file, path)
    conn = db.connect(path)
    try:
        report.save_section(conn, "2023-24", "highlights", BODY, 0, "chair")
        conn.execute("""UPDATE circles SET name = ? WHERE id IN (SELECT c.id FROM circles c
                        JOIN circle_drafts d ON d.id = c.draft_id WHERE d.cycle = '2023-24' AND d.status = 'final')""",
                     [CIRCLE])
        outcomes.enter(conn, "2025-26", "chair", "yes", "yes", 4, SECRET, consent_to_quote=False,
                       submitted_at=datetime(2026, 6, 1, 9))
        outcomes.enter(conn, "2025-26", "chair", "yes", "yes", 5, QUOTABLE, consent_to_quote=True,
                       submitted_at=datetime(2026, 6, 1, 8))
        for hour in range(3):  # 2024-25 has 12 participants and 10 responses: 13 is one too many
            outcomes.enter(conn, "2024-25", "chair", "yes", "maybe", 3, submitted_at=datetime(2025, 6, 2, hour))
    finally:
        conn.close()
    return path


@pytest.fixture(scope="module")
def rendered(demo_file) -> dict:
    """Every format of every demo year, rendered once for the module."""
    conn = db.connect(demo_file)
    try:
        return {(cycle, fmt): files.render(conn, cycle, fmt) for cycle in ("2023-24", "2024-25", "2025-26")
                for fmt in FORMATS}
    finally:
        conn.close()


@pytest.fixture
def report_conn(demo_file, tmp_path):
    """A private copy of the module's demo database."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_file, path)
    connection = db.connect(path)
    yield connection
    connection.close()


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval written out from its formula, independently of lib.year.outcomes."""
    z = 1.959964
    p = k / n
    centre = p + z ** 2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    return max(0.0, (centre - spread) / (1 + z ** 2 / n)), min(1.0, (centre + spread) / (1 + z ** 2 / n))


@pytest.mark.parametrize("k, n, low, high", [(5, 5, 0.566, 1.0), (13, 14, 0.685, 0.987), (0, 5, 0.0, 0.434),
                                             (10, 20, 0.299, 0.701)])
def test_wilson_interval_known_values(k, n, low, high):
    got = outcomes.wilson(k, n)
    expected = wilson_by_hand(k, n)
    assert round(got[0], 3) == round(expected[0], 3) == pytest.approx(low, abs=5e-4)
    assert round(got[1], 3) == round(expected[1], 3) == pytest.approx(high, abs=5e-4)
    assert outcomes.wilson(0, 0) is None


def test_the_outcome_sentence_is_verbatim_in_every_format(rendered):
    for fmt in FORMATS:
        assert SENTENCE in read(rendered, "2023-24", fmt), fmt
    assert SENTENCE in rendered[("2023-24", "md")].decode() and SENTENCE in rendered[("2023-24", "html")].decode()


def test_the_pdf_opens_and_holds_the_figures(rendered):
    reader = PdfReader(io.BytesIO(rendered[("2023-24", "pdf")]))
    pages = len(reader.pages)
    assert pages >= 2 and reader.metadata.title == report.title("2023-24")
    text = pdf_text(rendered[("2023-24", "pdf")])
    assert "ALI Peer Mentorship Circles and Skills Directory: Annual Report 2023-24" in text
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    for figure in ("5 Applications", "5 Eligible", "5 Participants", "1 Circles", "98% (39 of 40) Attendance",
                   "Applications: 5 eligible = 5 applicants.", "39 of 40", CIRCLE, "196 members published"):
        assert figure in text, figure
    # Every year up to this one, and no later one.
    assert "2024-25" not in text


def test_typed_text_reads_as_typed_in_every_format(rendered):
    for fmt in FORMATS:
        shown = read(rendered, "2023-24", fmt)
        assert BODY in shown and CIRCLE in shown, fmt
    page = rendered[("2023-24", "html")].decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert "Círculo Zoë &amp; José" in page
    markdown = rendered[("2023-24", "md")].decode()
    assert r"\*\*x\*\*" in markdown and r"\<b\>bold\</b\>" in markdown and "**x**" not in markdown
    assert "<b>" not in markdown and r"Zoë \& José" in markdown


def test_the_html_is_one_file_that_loads_nothing(rendered):
    page = rendered[("2025-26", "html")].decode()
    assert page.count("data:image/svg+xml;base64,") == 4
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<script" not in page and "default-src 'none'" in page


def test_only_comments_consented_to_quotation_appear(rendered, report_conn):
    every = outcomes.comments(report_conn, "2025-26", quotable_only=False)
    quotable = {flat(c) for c, ok in zip(every["comments"], every["consent_to_quote"]) if ok}
    # The demo reuses a few comment texts; one a consenting author also wrote may appear.
    withheld = {flat(c) for c, ok in zip(every["comments"], every["consent_to_quote"]) if not ok} - quotable
    assert flat(SECRET) in withheld
    for fmt in FORMATS:
        shown = read(rendered, "2025-26", fmt)
        assert QUOTABLE in shown, fmt
        for comment in withheld:
            assert comment not in shown, (fmt, comment)
        assert "Quokka" not in shown


def test_a_quoted_comment_with_markup_reads_as_typed_in_the_html(report_conn, monkeypatch):
    typed = 'Loved it </p></blockquote><script>alert("O\'Neil")</script><img src=x onerror=alert(1)> <b>Zoë</b>'
    outcomes.enter(report_conn, "2025-26", "chair", "yes", "yes", 5, typed, consent_to_quote=True,
                   submitted_at=datetime(2026, 6, 1, 7))
    monkeypatch.setattr(report, "MAX_QUOTES", 10_000)  # every quotable comment, so this one surely appears
    page = files.render(report_conn, "2025-26", "html").decode()
    assert "<script" not in page and "<img src=x" not in page and "<b>Zoë</b>" not in page
    assert page.count("</blockquote>") == page.count("<blockquote>")
    assert "&lt;script&gt;alert(&quot;O&#x27;Neil&quot;)&lt;/script&gt;" in page
    assert flat(typed) in flat(__import__("html").unescape(page))


def test_a_flag_stands_next_to_the_outcome_figures_in_every_format(rendered, report_conn):
    flag = "More responses (13) than participants (12) in 2024-25"
    sentence = outcomes.summary(report_conn, "2024-25").sentence("participate_again")
    assert sentence.startswith("9 of 13 respondents")
    for fmt in FORMATS:
        shown = read(rendered, "2024-25", fmt)
        assert shown.count(flag) == 2, fmt  # at a glance and under Outcomes
        ends = [m.end() for m in re.finditer(re.escape(sentence), shown)]
        assert len(ends) == 2, fmt
        # Right after each pair of outcome sentences, before anything else the report says.
        for end in ends:
            assert 0 <= shown.index(flag, end) - end < 80, (fmt, shown[end:end + 120])
    assert "Warning: " + flag in read(rendered, "2024-25", "pdf")


def test_section_lines_starting_with_a_dash_become_bullets_in_every_format(report_conn):
    body = "We finished:\n- three circles, José's included\n- the *new* calendar\n\nNext year, more."
    report.save_section(report_conn, "2025-26", "goals", body, 0, "chair")
    built = report.build(report_conn, "2025-26")
    page = files.render_report(built, "html").decode()
    assert "<ul><li>three circles, José&#x27;s included</li><li>the *new* calendar</li></ul>" in page
    markdown = files.render_report(built, "md").decode()
    assert "We finished:\n\n- three circles, José's included\n- the \\*new\\* calendar\n\nNext year, more." in markdown
    text = pdf_text(files.render_report(built, "pdf"))
    assert "We finished: • three circles, José's included • the *new* calendar Next year, more." in text


def test_breakdowns_show_only_groups_of_three_or_more(report_conn):
    built = report.build(report_conn, "2025-26")
    tables = [item for part in built.parts if part.key == "outcomes" for item in part.items
              if isinstance(item, report.Table) and item.title.startswith("By ")]
    assert tables and all(int(row[1]) >= 3 for table in tables for row in table.rows)
    assert any("fewer than 3" in table.note for table in tables)


def test_save_section_refuses_a_stale_version_and_keeps_the_first_save(conn):
    with db.transaction(conn):
        cycles.ensure(conn, "2025-26")
    assert report.sections(conn, "2025-26")["goals"].version == 0
    assert report.save_section(conn, "2025-26", "goals", "Formed three circles.  \n\n", 0, "chair") == 1
    with pytest.raises(ConflictError, match="saved by chair"):
        report.save_section(conn, "2025-26", "goals", "Something else", 0, "member")
    saved = report.sections(conn, "2025-26")["goals"]
    assert (saved.body, saved.version, saved.updated_by) == ("Formed three circles.", 1, "chair")
    assert report.save_section(conn, "2025-26", "goals", "Formed three circles.\nAll finished.", 1, "member") == 2
    with pytest.raises(ConflictError, match="by member"):
        report.save_section(conn, "2025-26", "goals", "Older edit", 1, "chair")
    assert report.sections(conn, "2025-26")["goals"].body == "Formed three circles.\nAll finished."
    assert db.scalar(conn, "SELECT count(*) FROM audit_log WHERE action = 'report.section'") == 2
    with pytest.raises(ValueError, match="20,000"):
        report.save_section(conn, "2025-26", "goals", "x" * 20_001, 2, "chair")
    with pytest.raises(ValueError, match="No report section"):
        report.save_section(conn, "2025-26", "nonsense", "x", 0, "chair")
    with pytest.raises(ValueError, match="No program year 2019-20"):
        report.save_section(conn, "2019-20", "goals", "x", 0, "chair")


def test_a_year_with_nothing_still_gets_a_report_that_says_so(conn):
    with db.transaction(conn):
        cycles.ensure(conn, "2025-26")
    built = report.build(conn, "2025-26")
    text = built.text()
    assert "No applications to the Peer Mentorship Circles were recorded for 2025-26." in text
    assert "No circles were finalised for 2025-26." in text
    assert "No end-of-year responses to this question were recorded for 2025-26." in text
    assert "No member is published in the 2025-26 Skills Directory" in text
    assert not built.figures()
    for fmt in FORMATS:
        data = files.render_report(built, fmt)
        assert data
    assert len(PdfReader(io.BytesIO(files.render_report(built, "pdf"))).pages) >= 1
    with pytest.raises(ValueError, match="No program year 2030-31"):
        report.build(conn, "2030-31")


def test_charts_render_offline_without_interaction(report_conn):
    figures = report.build(report_conn, "2025-26").figures()
    assert [f.key for f in figures] == ["attendance", "answers", "satisfaction", "cohorts"]
    for figure in figures:
        assert "params" not in json.dumps(figure.spec) and "selection" not in json.dumps(figure.spec)
        assert charts.to_svg(figure.spec).lstrip().startswith("<svg")
    images = report.charts_only(report_conn, "2025-26")
    assert len(images) == 4 and all(image.startswith(b"\x89PNG") for image in images)
    answers = charts.answers(outcomes.summary(report_conn, "2025-26"))
    colour = answers["layer"][0]["encoding"]["color"]["scale"]
    assert colour["domain"] == ["yes", "partially", "maybe", "no"]
    assert colour["range"] == [charts.TEAL, charts.GOLD, "#E3CC7A", charts.NAVY]


def test_the_attendance_chart_keeps_to_the_circles_that_need_attention(report_conn, monkeypatch):
    monkeypatch.setattr(report, "MAX_CHART_CIRCLES", 2)
    figure = next(f for f in report.build(report_conn, "2025-26").figures() if f.key == "attendance")
    shown = [row["circle"] for row in figure.spec["data"]["values"]]
    rates = {row[0]: row[2] for row in figure.table.rows}
    assert len(figure.table.rows) == 3 and shown == ["Circle B", "Circle A"]
    assert "2 circles of 3 with the lowest attendance" in figure.spec["title"]["subtitle"]
    assert rates["Circle C"].startswith("95%")


def test_file_names_and_markdown_escaping():
    assert report.file_name("2023-24", "pdf") == "ali-mentorship-report-2023-24.pdf"
    with pytest.raises(ValueError):
        report.file_name("2023-24", "docx")
    assert md_escape("# not a heading") == r"\# not a heading"
    assert md_escape("1. not a list\n- nor this") == "1\\. not a list\n\\- nor this"
    assert md_unescaped(md_escape(BODY)) == BODY


def run_cli(*args: str, env_db: Path) -> subprocess.CompletedProcess:
    """Run the command line against one database file."""
    env = dict(os.environ, ALI_DB=str(env_db))
    return subprocess.run([sys.executable, "-m", "lib", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300, check=False)


def test_cli_outcomes_json_and_an_unknown_year(demo_db_file, tmp_path):
    path = tmp_path / "cli.duckdb"
    shutil.copy(demo_db_file, path)
    result = run_cli("outcomes", "--cycle", "2023-24", "--json", env_db=path)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["cycle"] == "2023-24" and body["participants"] == 5 and body["responses"] == 5
    for key in ("met_goals", "would_again"):
        assert (body[key]["yes"], body[key]["n"]) == (5, 5)
        assert body[key]["ci_low"] == pytest.approx(0.566, abs=5e-4) and body[key]["ci_high"] == 1.0
        assert body[key]["answers"]["yes"] == 5
    assert body["attendance_rate"] == pytest.approx(39 / 40) and body["flags"] == []
    text = run_cli("outcomes", "--cycle", "2023-24", env_db=path)
    assert SENTENCE in text.stdout and "attendance: 98%" in text.stdout
    unknown = run_cli("outcomes", "--cycle", "2031-32", env_db=path)
    assert unknown.returncode == 2 and "No program year 2031-32" in unknown.stderr and not unknown.stdout


def test_cli_report_writes_a_pdf_that_opens(demo_db_file, tmp_path):
    path = tmp_path / "cli.duckdb"
    shutil.copy(demo_db_file, path)
    out = tmp_path / "report.pdf"
    result = run_cli("report", "--cycle", "2023-24", "--format", "pdf", "--out", str(out), env_db=path)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout and f"{out.stat().st_size:,} bytes" in result.stdout
    assert SENTENCE in pdf_text(out.read_bytes())
    refused = run_cli("report", "--cycle", "2023-24", "--format", "md", "--out", str(tmp_path / "no" / "x.md"),
                      env_db=path)
    assert refused.returncode == 2 and "Cannot write" in refused.stderr
