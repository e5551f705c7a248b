"""The annual report to ALI leadership: one program year of both programs, in words, figures and charts.

`build` gathers what the report says (the circles' applications, attendance and outcomes, the Skills
Directory's coverage, the cohorts side by side and the committee's own sections) into a `Report`: an ordered
list of parts, each a list of plain items (text, key figures, tables, charts). The renderers in
lib/report/render.py (HTML, Markdown) and lib/report/pdf.py (PDF) only lay those items out (lib/report/files.py
picks one for a format), so the three formats say the same thing in the same words. Everything a person typed
(circle names, comments, section bodies, skill names) is plain text to the renderers and escaped by each one
for its format.

Privacy, as everywhere: only comments whose authors consented to quotation, never a name; breakdowns only for
groups of 3 responses or more; every share with its 95% Wilson interval and every flag next to the figures.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import pandas as pd

from ..db import ConflictError, audit, first, saved_since, writing

SECTIONS = {"highlights": "Highlights", "goals": "Goals completed", "carry_over": "Carry-over items",
            "recommendations": "Recommendations"}
MAX_SECTION = 20_000
FORMATS = {"pdf": ("Printable PDF", "application/pdf"), "html": ("Web page (HTML)", "text/html"),
           "md": ("Markdown", "text/markdown")}
# Quotes beyond these stay on the Outcomes page: a report for leadership is read, not searched.
MAX_QUOTES = 12
MAX_THIN_SKILLS = 15
# More bars than this would not fit a page: the chart shows the circles that most need attention.
MAX_CHART_CIRCLES = 20
NOT_WRITTEN = "The committee has not written this section yet."


# ------------------------------------------------------------------------------------------------
# The committee's sections
# ------------------------------------------------------------------------------------------------

@dataclass
class Section:
    """One free-text section of a cycle's report as stored (version 0: never saved)."""

    key: str
    title: str
    body: str = ""
    version: int = 0
    updated_by: str | None = None
    updated_at: datetime | None = None


def _known_cycle(conn: duckdb.DuckDBPyConnection, cycle: str) -> None:
    """ValueError naming the known program years when the database has no such cycle."""
    from .. import cycles

    cycles.application_deadline(conn, cycle)


def sections(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict[str, Section]:
    """Every section of a cycle's report, in report order, empty (version 0) where never saved."""
    stored = {row[0]: row for row in conn.execute(
        "SELECT section, body, version, updated_by, updated_at FROM report_sections WHERE cycle = ?",
        [cycle]).fetchall()}
    result = {}
    for key, title in SECTIONS.items():
        row = stored.get(key)
        result[key] = Section(key, title, *row[1:]) if row else Section(key, title)
    return result


def clean(body: str) -> str:
    """The body as saved: no trailing whitespace on any line, no blank lines before or after."""
    lines = [line.rstrip() for line in (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def save_section(conn: duckdb.DuckDBPyConnection, cycle: str, key: str, body: str, version: int,
                 actor: str) -> int:
    """Save one section against the version the editor saw; return the new version.

    ConflictError naming who saved since (nothing is written) when the stored version is not `version`;
    ValueError for an unknown section or program year, or a body over MAX_SECTION characters.
    """
    if key not in SECTIONS:
        raise ValueError(f"No report section '{key}': use one of {', '.join(SECTIONS)}.")
    text = clean(body)
    if len(text) > MAX_SECTION:
        raise ValueError(f"{SECTIONS[key]} is {len(text):,} characters long; the report takes at most "
                         f"{MAX_SECTION:,} per section.")
    _known_cycle(conn, cycle)
    what = f"the {SECTIONS[key]} section of {cycle}"
    try:
        with writing(conn, what) as tx:
            row = first(tx.execute("""SELECT body, version, updated_by, updated_at FROM report_sections
                                      WHERE cycle = ? AND section = ?""", [cycle, key]).fetchall())
            stored = row[1] if row else 0
            if stored != version:
                raise saved_since(f"{SECTIONS[key]} ({cycle})", row and row[2], row and row[3])
            if row and row[0] == text:
                return stored
            if row is None:
                tx.execute("""INSERT INTO report_sections (cycle, section, body, version, updated_by, updated_at)
                              VALUES (?, ?, ?, 1, ?, now()::TIMESTAMP)""", [cycle, key, text, actor])
            else:
                tx.execute("""UPDATE report_sections SET body = ?, version = version + 1, updated_by = ?,
                              updated_at = now()::TIMESTAMP WHERE cycle = ? AND section = ? AND version = ?""",
                           [text, actor, cycle, key, version])
            audit(tx, actor, "report.section", "report_section", f"{cycle}/{key}",
                  {"cycle": cycle, "section": key, "version": stored + 1,
                   "before": row[0] if row else None, "after": text})
    except duckdb.ConstraintException as exc:
        # Two first saves at once: the second insert meets the first one's primary key.
        raise ConflictError(f"Someone else saved {what} at the same moment; nothing was saved. "
                            "Reload to see their text.") from exc
    return stored + 1


# ------------------------------------------------------------------------------------------------
# What the report holds
# ------------------------------------------------------------------------------------------------

@dataclass
class Text:
    """A paragraph of a kind: p, flag (read with the figures), quote, note, body (typed, multi-line), empty."""

    text: str
    kind: str = "p"


@dataclass
class Stats:
    """Key figures shown as boxes: (label, value) pairs."""

    items: list[tuple[str, str]]


@dataclass
class Table:
    """A small table of strings, with a title, the columns to right-align and a note below."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""
    numeric: tuple[int, ...] = ()


@dataclass
class Figure:
    """A chart (Vega-Lite specification), its alternative text and the table of what it shows."""

    key: str
    spec: dict
    alt: str
    table: Table
    show_table: bool = False


@dataclass
class Part:
    """One heading of the report and its items, in order."""

    key: str
    heading: str
    items: list = field(default_factory=list)


@dataclass
class Report:
    """Everything the report of one cycle says, gathered once, before any format is written."""

    cycle: str
    title: str
    made: date
    program: dict
    attendance: object
    circles: pd.DataFrame
    outcomes: object
    sentences: list[str]
    comments: list[str]
    more_comments: int
    breakdowns: dict[str, tuple[pd.DataFrame, int, int]]
    coverage: dict
    gaps: dict[str, pd.DataFrame]
    cohorts: pd.DataFrame
    sections: dict[str, Section]
    parts: list[Part] = field(default_factory=list)

    @property
    def flags(self) -> list[str]:
        """The warnings a reader of the outcome figures must see."""
        return list(self.outcomes.flags)

    def figures(self) -> list[Figure]:
        """Every chart of the report, in order."""
        return [item for part in self.parts for item in part.items if isinstance(item, Figure)]

    def text(self) -> str:
        """Every paragraph, figure and table cell as plain text, one per line (for checks and search)."""
        lines = [self.title]
        for part in self.parts:
            lines.append(part.heading)
            for item in part.items:
                if isinstance(item, Text):
                    lines.append(item.text)
                elif isinstance(item, Stats):
                    lines += [f"{label}: {value}" for label, value in item.items]
                else:
                    table = item.table if isinstance(item, Figure) else item
                    lines += [table.title, *(" | ".join(row) for row in table.rows), table.note]
        return "\n".join(line for line in lines if line)


def title(cycle: str) -> str:
    """The report's title: 'ALI Peer Mentorship Circles and Skills Directory: Annual Report 2023-24'."""
    return f"ALI Peer Mentorship Circles and Skills Directory: Annual Report {cycle}"


def file_name(cycle: str, fmt: str) -> str:
    """The download's name: 'ali-mentorship-report-2023-24.pdf'."""
    if fmt not in FORMATS:
        raise ValueError(f"No report format '{fmt}': use one of {', '.join(FORMATS)}.")
    return f"ali-mentorship-report-{cycle}.{fmt}"


def body_blocks(text: str) -> list[tuple[str, list[str]]]:
    """The committee's text as blocks: ('p', its lines) and ('ul', its items) for lines starting with '- '."""
    blocks: list[tuple[str, list[str]]] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        run: tuple[str, list[str]] | None = None
        for line in paragraph.split("\n"):
            bullet = line.strip().startswith("- ")
            kind, content = ("ul", line.strip()[2:].strip()) if bullet else ("p", line)
            if run is None or run[0] != kind:
                run = (kind, [])
                blocks.append(run)
            run[1].append(content)
    return blocks


def pct(share: float | None) -> str:
    """'98%' (or '-' when there is nothing to divide)."""
    return "-" if share is None else f"{share:.0%}"


def _plural(count: int, word: str, many: str | None = None) -> str:
    """'1 circle', '3 circles'."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


# ------------------------------------------------------------------------------------------------
# Building
# ------------------------------------------------------------------------------------------------

def build(conn: duckdb.DuckDBPyConnection, cycle: str, today: date | None = None) -> Report:
    """Gather the report of one program year; ValueError for a program year the database does not have."""
    from ..circles import applications
    from ..directory import coverage
    from ..year import attendance, cohorts, meetings, outcomes

    _known_cycle(conn, cycle)
    today = today or date.today()
    counts = applications.counts(conn, cycle)
    seen = attendance.summary(conn, cycle, today)
    per_circle = attendance.circles(conn, cycle, today)
    result = outcomes.summary(conn, cycle)
    circles = int(first(conn.execute("""SELECT count(*) FROM circles c JOIN circle_drafts d ON d.id = c.draft_id
                                        WHERE d.cycle = ? AND d.status = 'final'""", [cycle]).fetchall())[0])
    program = {"applicants": counts["applicants"], "eligible": counts["eligible"],
               "not_eligible": counts["not_eligible"], "placed": seen.participants, "circles": circles,
               "meetings_held": meetings.held(conn, cycle, today), "eligibility": applications.summary(counts)}
    quotable = outcomes.comments(conn, cycle, quotable_only=True)
    said = [" ".join(str(text).split()) for text in quotable["comments"]]
    side = cohorts.side_by_side(conn, today, up_to=cycle)
    report = Report(
        cycle=cycle, title=title(cycle), made=today, program=program, attendance=seen, circles=per_circle,
        outcomes=result, sentences=[result.sentence("met_goals"), result.sentence("participate_again")],
        comments=said[:MAX_QUOTES], more_comments=max(0, len(said) - MAX_QUOTES),
        breakdowns={by: outcomes.breakdown(conn, cycle, by) for by in outcomes.BREAKDOWNS},
        coverage=coverage.summary(conn, cycle), gaps=coverage.gaps(conn, cycle),
        cohorts=side, sections=sections(conn, cycle))
    report.coverage["respondents"] = int(first(conn.execute(
        "SELECT count(DISTINCT person_id) FROM survey_responses WHERE cycle = ?", [cycle]).fetchall())[0])
    report.parts = [_glance(report), _section_part(report, "highlights"), _program(report),
                    _attendance(report), _outcomes(report), _voices(report), _directory(report),
                    _years(report)] + [_section_part(report, key) for key in ("goals", "carry_over",
                                                                                "recommendations")]
    return report


def _glance(report: Report) -> Part:
    """The headline: key figures, the two outcome sentences and their flags."""
    p, seen, o = report.program, report.attendance, report.outcomes
    completed = (f"{seen.completed} of {seen.completion_known}" if seen.completed is not None else "not yet known")
    stats = Stats([("Applications", f"{p['applicants']:,}"), ("Eligible", f"{p['eligible']:,}"),
                   ("Participants", f"{p['placed']:,}"), ("Circles", f"{p['circles']:,}"),
                   ("Meetings held", f"{p['meetings_held']:,}"),
                   ("Attendance", pct(seen.rate) + (f" ({seen.present} of {seen.marked})" if seen.marked else "")),
                   ("Completed the year", completed),
                   ("End-of-year responses", f"{o.responses} of {o.participants}" if o.participants
                    else f"{o.responses}")])
    items = [Text(f"The {report.cycle} program year of the ALI Mentorship Committee's two programs: the Peer "
                  "Mentorship Circles (early-career librarians and library staff meeting monthly in circles "
                  "of 4 to 6, October to May) and the ALI Annual Skills Directory."), stats]
    items += [Text(sentence) for sentence in report.sentences]
    items += [Text(flag, "flag") for flag in o.flags]
    items.append(Text("Shares carry their 95% Wilson interval: with few participants a share says little, "
                      "and the interval shows how little. Outcomes by group are shown only for groups of 3 "
                      "responses or more, and only comments whose authors agreed to be quoted appear, without "
                      "names.", "note"))
    return Part("glance", "At a glance", items)


def _section_part(report: Report, key: str) -> Part:
    """One of the committee's sections: its text as typed, or a line saying it is not written yet."""
    section = report.sections[key]
    body = Text(section.body, "body") if section.body.strip() else Text(NOT_WRITTEN, "empty")
    return Part(key, section.title, [body])


def _program(report: Report) -> Part:
    """Applications, eligibility, placement, circles and meetings, in words."""
    p = report.program
    items = []
    if not p["applicants"]:
        items.append(Text(f"No applications to the Peer Mentorship Circles were recorded for {report.cycle}."))
    else:
        items.append(Text(f"Applications: {p['eligibility']}"))
    if not p["circles"]:
        items.append(Text(f"No circles were finalised for {report.cycle}."))
    else:
        waiting = p["eligible"] - p["placed"]
        items.append(Text(f"{_plural(p['placed'], 'participant')} met in {_plural(p['circles'], 'circle')}"
                          + (f"; {waiting} eligible applicant{'s' if waiting != 1 else ''} could not be placed"
                             if waiting > 0 else "") + "."))
        items.append(Text(f"{_plural(p['meetings_held'], 'meeting')} held across the circles (orientation and "
                          "monthly meetings on the calendar, not cancelled, dated on or before the day of this "
                          "report)."))
    return Part("program", "Peer Mentorship Circles", items)


def _attendance(report: Report) -> Part:
    """Attendance rate, completion and members at risk, with the per-circle chart and table."""
    from . import charts

    seen, frame = report.attendance, report.circles
    if not seen.marked:
        words = ("No attendance has been marked" if report.program["circles"] else "There were no circles")
        return Part("attendance", "Attendance", [Text(f"{words} for {report.cycle}.")])
    items = [Text(f"Attendance: {pct(seen.rate)} of marked member-meetings were attended ({seen.present} of "
                  f"{seen.marked}; {seen.excused} excused, which counts as marked and not present)."),
             Text("Completed the year (present or excused at their circle's last meeting): "
                  + (f"{seen.completed} of {seen.completion_known} participants."
                     if seen.completed is not None else "not known until the last meetings are marked.")),
             Text(f"At risk: {_plural(seen.at_risk, 'member')} missed their last two marked meetings; "
                  f"{seen.missed_two_in_a_row} missed two in a row at some point of the year.")]
    rows = [[r["circle"], str(r["members"]), r["label"], str(int(c)), str(int(k))]
            for r, c, k in zip(charts.attendance_rows(frame), frame["completed"], frame["at_risk"])]
    table = Table("Attendance by circle", ["Circle", "Members", "Attendance", "Completed", "At risk"], rows,
                  numeric=(1, 2, 3, 4))
    shown, subtitle = charts.attention(frame, MAX_CHART_CIRCLES)
    alt = ("Bar chart of the attendance rate of each circle: "
           + "; ".join(f"{r['circle']} {r['label']}" for r in charts.attendance_rows(shown)) + ".")
    items.append(Figure("attendance", charts.attendance_by_circle(shown, subtitle), alt, table, show_table=True))
    return Part("attendance", "Attendance", items)


def _outcomes(report: Report) -> Part:
    """Both outcome sentences with their flags, response rate, satisfaction, charts and group breakdowns."""
    from ..year import outcomes
    from . import charts

    o = report.outcomes
    items = [Text(sentence) for sentence in report.sentences] + [Text(flag, "flag") for flag in o.flags]
    if not o.responses:
        items.append(Text(f"No end-of-year survey responses were recorded for {report.cycle}."))
        return Part("outcomes", "Outcomes", items)
    rate = f" ({pct(o.response_rate)} of {_plural(o.participants, 'participant')})" if o.participants else ""
    items.append(Text(f"Responses: {o.responses}{rate}; {o.named} named, {o.anonymous} anonymous."))
    answered = sum(o.satisfaction.values())
    if answered:
        items.append(Text(f"Satisfaction from 1 (low) to 5 (high): mean {o.satisfaction_mean:.1f} from "
                          f"{_plural(answered, 'answer')}."))
    answer_table = Table("Answers to both questions", ["Question", "Answer", "Responses"],
                         [[r["question"], r["answer"], r["label"]] for r in charts.answer_rows(o)], numeric=(2,))
    items.append(Figure("answers", charts.answers(o), "Stacked bars of the answers to both questions: " + "; ".join(
        f"{r[0]} {r[1]} {r[2]}" for r in answer_table.rows if not r[2].startswith("0 ")) + ".", answer_table))
    if answered:
        sat_table = Table("Satisfaction", ["Score", "Responses"],
                          [[r["score"], r["label"]] for r in charts.satisfaction_rows(o)], numeric=(1,))
        items.append(Figure("satisfaction", charts.satisfaction(o), "Bar chart of satisfaction scores 1 to 5: "
                            + "; ".join(f"{r[0]}: {r[1]}" for r in sat_table.rows) + ".", sat_table))
    for by, label in outcomes.BREAKDOWNS.items():
        shown, hidden, anonymous = report.breakdowns[by]
        untold = [f"{_plural(hidden, 'response')} in groups of fewer than 3"] if hidden else []
        untold += [f"{_plural(anonymous, 'anonymous response')}, which no group can hold"] if anonymous else []
        note = ("Not shown: " + " and ".join(untold) + ".") if untold else ""
        if shown.empty:
            if note:
                items.append(Text(f"By {label.lower()}: no group has 3 responses or more. {note}", "note"))
            continue
        rows = [[str(r["group"]), str(int(r["responses"])), _share(r["met_goals_yes"], r["met_goals_n"]),
                 _share(r["would_again_yes"], r["would_again_n"])] for r in shown.to_dict("records")]
        items.append(Table(f"By {label.lower()}", [label, "Responses", "Met career goals",
                                                   "Would participate again"], rows, note, numeric=(1, 2, 3)))
    return Part("outcomes", "Outcomes", items)


def _share(yes: object, n: object) -> str:
    """'4 of 5 (80%)' for a breakdown cell."""
    yes, n = int(yes or 0), int(n or 0)
    return f"{yes} of {n} ({yes / n:.0%})" if n else "-"


def _voices(report: Report) -> Part:
    """Comments whose authors consented to quotation, without names."""
    if not report.comments:
        return Part("voices", "In participants' words",
                    [Text("No participant comment may be quoted this year (none was written, or none of their "
                          "authors agreed to be quoted).")])
    items = [Text("Comments from the end-of-year survey whose authors agreed to be quoted, without names.", "note")]
    items += [Text(comment, "quote") for comment in report.comments]
    if report.more_comments:
        items.append(Text(f"{_plural(report.more_comments, 'more quotable comment')} on the committee's "
                          "Outcomes page.", "note"))
    return Part("voices", "In participants' words", items)


def _directory(report: Report) -> Part:
    """The Skills Directory of the year: who is published, skill depth, and the thin spots."""
    from ..directory import coverage

    c, gaps = report.coverage, report.gaps
    if not c["members"]:
        why = ("nobody who answered agreed to be published" if c["respondents"]
               else "no Skills Directory Survey answers were imported for this year")
        return Part("directory", "ALI Annual Skills Directory",
                    [Text(f"No member is published in the {report.cycle} Skills Directory: {why}.")])
    items = [Text(f"{_plural(c['members'], 'member')} published in the {report.cycle} directory (of "
                  f"{c['respondents']:,} who answered the survey), from {_plural(c['institutions'], 'institution')} "
                  f"in {c['counties']} of Indiana's 92 counties."),
             Text(f"{c['skills_with_experts']} of {c['skills']} skills have at least one published expert; "
                  f"{c['skills_3plus']} have {coverage.DEEP} or more, so a member asking has a choice of "
                  "colleagues.")]
    for key, column, label in (("regions", "region", "Regions"), ("institution_types", "institution_type",
                                                                   "Institution types")):
        few = gaps[key][gaps[key]["few"].astype(bool)]
        if len(few):
            listed = ", ".join(f"{name} ({int(n)})" for name, n in zip(few[column], few["members"]))
            items.append(Text(f"{label} with fewer than {coverage.FEW_MEMBERS} published members: {listed}."))
    thin = gaps["skills"]
    if len(thin):
        rows = [[str(r["skill"]), str(r["category"] or ""), str(int(r["experts"]))]
                for r in thin.head(MAX_THIN_SKILLS).to_dict("records")]
        more = len(thin) - len(rows)
        items.append(Table("Thin skills (no expert, or one the whole state depends on)",
                           ["Skill", "Category", "Experts"], rows,
                           f"And {more} more on the Coverage page." if more > 0 else "", numeric=(2,)))
    return Part("directory", "ALI Annual Skills Directory", items)


def _years(report: Report) -> Part:
    """The cohorts up to this one side by side, with the outcome chart highlighting this year."""
    from . import charts

    frame = report.cohorts
    rows = []
    for r in frame.to_dict("records"):
        rows.append([r["cycle"], str(r["applicants"]), str(r["eligible"]), str(r["placed"]), str(r["circles"]),
                     "-" if pd.isna(r["completed"]) else str(int(r["completed"])),
                     pct(None if pd.isna(r["attendance_rate"]) else r["attendance_rate"]),
                     _interval(r, "met_goals"), _interval(r, "would_again")])
    table = Table("Program years side by side", ["Year", "Applicants", "Eligible", "Placed", "Circles",
                                                 "Completed", "Attendance", "Met career goals",
                                                 "Would participate again"], rows, numeric=tuple(range(1, 9)))
    items = []
    if len(frame) == 1:
        items.append(Text(f"{report.cycle} is the first program year on record; later reports compare years."))
    # This year's own warnings stand next to its outcomes above; earlier years' are only named here.
    flagged = [r["cycle"] for r in frame.to_dict("records") if r["flags"] and r["cycle"] != report.cycle]
    if flagged:
        where = "that year's report" if len(flagged) == 1 else "those years' reports"
        items.append(Text(f"The outcome figures of {', '.join(flagged)} carry warnings; see {where}.", "flag"))
    if charts.cohort_rows(frame):
        alt = ("Share answering yes to both questions per program year, with 95% intervals: "
               + "; ".join(f"{r[0]}: met goals {r[7]}, again {r[8]}" for r in rows) + ".")
        items.append(Figure("cohorts", charts.cohorts(frame, report.cycle), alt, table, show_table=True))
    else:
        items.append(table)
    return Part("years", "Year by year", items)


def _interval(row: dict, key: str) -> str:
    """'5 of 5 (100%; 57-100%)' for a cohort cell, '-' without responses."""
    yes, n = int(row[f"{key}_yes"] or 0), int(row[f"{key}_n"] or 0)
    if not n:
        return "-"
    return f"{yes} of {n} ({yes / n:.0%}; {row[f'{key}_low'] * 100:.0f}-{row[f'{key}_high'] * 100:.0f}%)"


# ------------------------------------------------------------------------------------------------
# The charts alone
# ------------------------------------------------------------------------------------------------

def charts_only(conn: duckdb.DuckDBPyConnection, cycle: str, today: date | None = None) -> list[bytes]:
    """The report's charts alone, as the PNG images the PDF embeds (what the benchmark compares against)."""
    from . import charts

    return [charts.to_png(figure.spec) for figure in build(conn, cycle, today).figures()]


__all__ = ["FORMATS", "MAX_SECTION", "SECTIONS", "ConflictError", "Figure", "Part", "Report", "Section", "Stats",
           "Table", "Text", "body_blocks", "build", "charts_only", "file_name", "save_section", "sections",
           "title"]
