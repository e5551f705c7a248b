"""Program outcomes: the end-of-year survey as n of N with Wilson intervals, honestly flagged.

Which responses count: a named respondent's latest answer in the cycle (repeat submissions happen), and every
anonymous answer. The figures carry flags a reader must see next to them: more responses than participants,
and responses that repeat another one word for word (the same survey imported twice). Breakdowns (by circle,
institution type, region) hide any group of fewer than 3 responses, because small numbers identify people.
Comments are confidential: only those whose authors consented to quotation ever leave the committee's pages.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from ..db import audit, first, scalar, transaction

SHORT_LABELS = {"met_goals": "Met career goals", "participate_again": "Would participate again"}

QUESTIONS = {
    "met_goals": "The experience met their career goals",
    "participate_again": "Would participate in this type of program again",
}
# The answers each question offers, in the order they are shown.
ANSWERS = {"met_goals": ("yes", "partially", "no"), "participate_again": ("yes", "maybe", "no")}
# The sentence each question becomes in the report, after "n of N participants (pct; 95% CI low-high)".
SAID = {"met_goals": "said the experience met their career goals",
        "participate_again": "said they would participate in this type of program again"}
SMALLEST_GROUP = 3
BREAKDOWNS = {"circle": "Circle", "institution_type": "Institution type", "region": "Region"}
# A repeated comment shorter than this may be a coincidence ("Thank you!"); a longer one is the same answer.
_REPEAT_COMMENT = 20

_COUNTED = """
    WITH counted AS (
        (SELECT * FROM outcome_responses WHERE cycle = ? AND person_id IS NULL)
        UNION ALL
        (SELECT * FROM outcome_responses WHERE cycle = ? AND person_id IS NOT NULL
         QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY submitted_at DESC, id DESC) = 1))
"""


def wilson(successes: int, total: int, z: float = 1.959964) -> tuple[float, float] | None:
    """Return the 95% Wilson score interval of a proportion, or None when there are no responses."""
    if total <= 0:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Answer:
    """One yes/no question of a cycle: yes of n, its share and interval, and every answer's count."""

    question: str
    label: str
    yes: int
    n: int
    answers: dict[str, int]

    @property
    def pct(self) -> float | None:
        """Share answering yes."""
        return self.yes / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95% Wilson interval of the share."""
        return wilson(self.yes, self.n)

    def as_dict(self) -> dict:
        """yes, n, pct, ci_low, ci_high (fractions) and the answer counts."""
        low, high = self.interval or (None, None)
        return {"yes": self.yes, "n": self.n, "pct": self.pct, "ci_low": low, "ci_high": high,
                "answers": dict(self.answers)}

    def figure(self) -> str:
        """'5 of 5 (100%; 95% CI 57-100%)', or 'no responses'."""
        if not self.n:
            return "no responses"
        low, high = self.interval
        return f"{self.yes} of {self.n} ({self.pct:.0%}; 95% CI {low * 100:.0f}-{high * 100:.0f}%)"


@dataclass
class Outcomes:
    """A cycle's end-of-year survey in figures, with the flags a reader must see."""

    cycle: str
    participants: int
    responses: int
    named: int
    anonymous: int
    met_goals: Answer
    would_again: Answer
    satisfaction: dict[int, int]
    flags: list[str] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        """Responses over participants (may exceed 1, which is flagged)."""
        return self.responses / self.participants if self.participants else None

    @property
    def satisfaction_mean(self) -> float | None:
        """Mean satisfaction 1-5 over those who answered it."""
        total = sum(self.satisfaction.values())
        return sum(k * v for k, v in self.satisfaction.items()) / total if total else None

    def sentence(self, question: str) -> str:
        """The outcome in the program's own words, e.g. '5 of 5 participants (100%; 95% CI 57-100%) said ...'."""
        answer = self.met_goals if question == "met_goals" else self.would_again
        if not answer.n:
            return f"No end-of-year responses to this question were recorded for {self.cycle}."
        who = "participants" if answer.n == self.participants else "respondents"
        low, high = answer.interval
        text = (f"{answer.yes} of {answer.n} {who} ({answer.pct:.0%}; 95% CI {low * 100:.0f}-{high * 100:.0f}%) "
                f"{SAID[question]}")
        others = [f"{count} {word}" for word, count in answer.answers.items() if word != "yes" and count]
        return text + (f"; {', '.join(others)}." if others else ".")

    def as_dict(self) -> dict:
        """The figures as plain values, for JSON."""
        return {"cycle": self.cycle, "participants": self.participants, "responses": self.responses,
                "named": self.named, "anonymous": self.anonymous, "response_rate": self.response_rate,
                "met_goals": self.met_goals.as_dict(), "would_again": self.would_again.as_dict(),
                "satisfaction": {str(k): v for k, v in self.satisfaction.items()},
                "satisfaction_mean": self.satisfaction_mean, "flags": list(self.flags)}


def participants(conn: duckdb.DuckDBPyConnection, cycle: str) -> int:
    """Members of the cycle's final circles."""
    return scalar(conn, """SELECT count(DISTINCT m.person_id) FROM circle_members m JOIN circles c ON c.id = m.circle_id
                           JOIN circle_drafts d ON d.id = c.draft_id WHERE d.cycle = ? AND d.status = 'final'""",
                  [cycle]) or 0


def counted(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """The responses that count in a cycle (a named respondent's latest, every anonymous one)."""
    return conn.execute(_COUNTED + "SELECT * FROM counted ORDER BY submitted_at, id", [cycle, cycle]).df()


def _answer(frame: pd.DataFrame, question: str) -> Answer:
    """Count one question's answers."""
    values = frame[question].dropna()
    answers = {word: int((values == word).sum()) for word in ANSWERS[question]}
    for other in sorted(set(values) - set(ANSWERS[question])):
        answers[other] = int((values == other).sum())
    return Answer(question, QUESTIONS[question], answers.get("yes", 0), len(values), answers)


def repeats(frame: pd.DataFrame) -> pd.DataFrame:
    """Counted responses whose answers and substantial comment repeat a response from another import.

    Two people of one file may well give the same answers; the same long comment arriving through two
    imports (or an import and a typed-in answer) is the same response counted twice.
    """
    if frame.empty:
        return frame
    same = frame[frame["comments"].fillna("").str.len() >= _REPEAT_COMMENT].copy()
    same["satisfaction"] = same["satisfaction"].astype("Int64").astype(str)
    same["source"] = [f"b{int(b)}" if pd.notna(b) else f"e{int(i)}" for b, i in zip(same["batch_id"], same["id"])]
    keys = ["met_goals", "participate_again", "satisfaction", "comments"]
    sources = same.groupby(keys, dropna=False)["source"].transform("nunique")
    return same[sources > 1].drop(columns="source")


def incoming_flags(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Warnings for an end-of-year file at preview (its rows in the `incoming` staging table)."""
    notes = []
    for (cycle,) in conn.execute("SELECT DISTINCT cycle FROM incoming ORDER BY 1").fetchall():
        new = conn.execute("""
            SELECT i.* FROM incoming i WHERE i.cycle = ? AND NOT EXISTS (
                SELECT 1 FROM outcome_responses o WHERE o.cycle = i.cycle AND o.submitted_at = i.submitted_at
                AND o.met_goals IS NOT DISTINCT FROM i.met_goals
                AND o.participate_again IS NOT DISTINCT FROM i.participate_again
                AND o.comments IS NOT DISTINCT FROM i.comments)""", [cycle]).df()
        if new.empty:
            continue
        existing = counted(conn, cycle)
        people = participants(conn, cycle)
        named_again = int(new["email"].isin(conn.execute(
            "SELECT p.email FROM people p JOIN outcome_responses o ON o.person_id = p.id WHERE o.cycle = ?",
            [cycle]).df()["email"]).sum()) if "email" in new else 0
        total = len(existing) + len(new) - named_again
        # Without final circles there is nothing to compare with yet (the roster may come later); the
        # figures themselves are flagged until it does.
        if people and total > people:
            notes.append(f"{cycle}: after this import there would be {total} end-of-year responses for {people} "
                         "participants. If this file repeats a survey already imported (for example its anonymous "
                         "copy), do not import it; the figures will be flagged until the extra responses are undone.")
        keys = ["met_goals", "participate_again", "satisfaction", "comments"]
        before = existing[keys].astype(str).value_counts()
        incoming = new[keys].astype(str).value_counts()
        matched = sum(min(count, before.get(key, 0)) for key, count in incoming.items())
        if existing.shape[0] and matched >= max(2, (len(new) + 1) // 2):
            notes.append(f"{cycle}: {matched} of this file's {len(new)} new responses give exactly the answers "
                         "and comments of responses already imported, at other times: it looks like a copy of an "
                         "earlier end-of-year file.")
    return notes


def summary(conn: duckdb.DuckDBPyConnection, cycle: str) -> Outcomes:
    """The cycle's outcomes: both questions, satisfaction, response rate and flags."""
    frame = counted(conn, cycle)
    people = participants(conn, cycle)
    satisfaction = {score: int((frame["satisfaction"] == score).sum()) for score in range(1, 6)}
    result = Outcomes(cycle, people, len(frame), int(frame["person_id"].notna().sum()),
                      int(frame["person_id"].isna().sum()), _answer(frame, "met_goals"),
                      _answer(frame, "participate_again"), satisfaction)
    result.flags = flags(conn, cycle, frame, people)
    return result


def flags(conn: duckdb.DuckDBPyConnection, cycle: str, frame: pd.DataFrame, people: int) -> list[str]:
    """What a reader of the cycle's outcome figures must be told."""
    notes = []
    if len(frame) > people:
        notes.append(f"More responses ({len(frame)}) than participants ({people}) in {cycle}: an anonymous "
                     "survey may have been imported twice, or the circles are not all recorded. Check the "
                     "imports of this year's end-of-year survey.")
    doubled = repeats(frame)
    if len(doubled):
        batches = sorted({int(b) for b in doubled["batch_id"].dropna()})
        names = [row[0] for row in conn.execute(
            "SELECT file_name FROM import_batches WHERE id IN (SELECT unnest(?)) ORDER BY id", [batches]).fetchall()]
        seen_in = f" (imports: {', '.join(names)})" if names else ""
        notes.append(f"{len(doubled)} responses repeat another response word for word, comment included"
                     f"{seen_in}: the same answers may have been imported twice.")
    return notes


def n_of_n(conn: duckdb.DuckDBPyConnection, cycle: str, question: str) -> dict:
    """Return yes-count, responses and interval for one end-of-year question in one cycle."""
    if question not in QUESTIONS:
        raise ValueError(f"Unknown question {question}")
    answer = _answer(counted(conn, cycle), question)
    interval = answer.interval
    return {"question": question, "label": QUESTIONS[question], "yes": answer.yes, "responses": answer.n,
            "low": interval[0] if interval else None, "high": interval[1] if interval else None}


def breakdown(conn: duckdb.DuckDBPyConnection, cycle: str, by: str) -> tuple[pd.DataFrame, int, int]:
    """Named responses by circle, institution type or region; groups under 3 responses suppressed.

    Returns (rows: group, responses, met_goals yes, would_again yes, shares; only groups of 3 or more),
    the number of responses in suppressed groups, and the anonymous responses no breakdown can place.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"Break down by one of {', '.join(BREAKDOWNS)}, not '{by}'")
    # The grouping column comes from the fixed BREAKDOWNS keys.
    frame = conn.execute(_COUNTED + f"""
        , placed AS (
            SELECT cm.person_id, c.name AS circle FROM circle_members cm JOIN circles c ON c.id = cm.circle_id
            JOIN circle_drafts d ON d.id = c.draft_id WHERE d.cycle = ? AND d.status = 'final'),
        home AS (
            SELECT a.person_id, arg_max(i.type, a.submitted_at) AS institution_type,
                   arg_max(coalesce(i.region, k.region), a.submitted_at) AS region
            FROM applications a LEFT JOIN institutions i ON i.id = a.institution_id
            LEFT JOIN counties k ON k.county_fips = i.county_fips WHERE a.cycle = ? GROUP BY a.person_id)
        SELECT coalesce({by}, 'not recorded') AS "group", count(*) AS responses,
               count(*) FILTER (WHERE o.met_goals = 'yes') AS met_goals_yes,
               count(o.met_goals) AS met_goals_n,
               count(*) FILTER (WHERE o.participate_again = 'yes') AS would_again_yes,
               count(o.participate_again) AS would_again_n
        FROM counted o LEFT JOIN placed p ON p.person_id = o.person_id LEFT JOIN home h ON h.person_id = o.person_id
        WHERE o.person_id IS NOT NULL GROUP BY 1 ORDER BY 1""", [cycle, cycle, cycle, cycle]).df()
    anonymous = scalar(conn, _COUNTED + "SELECT count(*) FROM counted WHERE person_id IS NULL", [cycle, cycle]) or 0
    shown = frame[frame["responses"] >= SMALLEST_GROUP].reset_index(drop=True)
    hidden = int(frame.loc[frame["responses"] < SMALLEST_GROUP, "responses"].sum())
    for key in ("met_goals", "would_again"):
        shown[f"{key}_pct"] = [y / n if n else None for y, n in zip(shown[f"{key}_yes"], shown[f"{key}_n"])]
    return shown, hidden, int(anonymous)


def comments(conn: duckdb.DuckDBPyConnection, cycle: str, quotable_only: bool = True) -> pd.DataFrame:
    """The counted responses' comments (confidential): only those consented to quotation unless asked for all."""
    frame = counted(conn, cycle)
    frame = frame[frame["comments"].fillna("").str.strip() != ""]
    if quotable_only:
        frame = frame[frame["consent_to_quote"].astype(bool)]
    return frame[["id", "submitted_at", "met_goals", "participate_again", "satisfaction", "comments",
                  "consent_to_quote"]].reset_index(drop=True)


def enter(conn: duckdb.DuckDBPyConnection, cycle: str, actor: str, met_goals: str, participate_again: str,
          satisfaction: int | None = None, comments_text: str = "", consent_to_quote: bool = False,
          person_id: int | None = None, submitted_at: datetime | None = None) -> int:
    """Record one end-of-year answer typed in by the committee (a paper or emailed answer); return its id."""
    if met_goals not in ANSWERS["met_goals"]:
        raise ValueError(f"'Met career goals' is one of {', '.join(ANSWERS['met_goals'])}, not '{met_goals}'")
    if participate_again not in ANSWERS["participate_again"]:
        raise ValueError("'Would participate again' is one of "
                         f"{', '.join(ANSWERS['participate_again'])}, not '{participate_again}'")
    if satisfaction is not None and not 1 <= int(satisfaction) <= 5:
        raise ValueError("Satisfaction is a number from 1 to 5.")
    text = " ".join((comments_text or "").split()) or None
    with transaction(conn):
        if not scalar(conn, "SELECT count(*) FROM cycles WHERE name = ?", [cycle]):
            raise ValueError(f"No program year {cycle}.")
        if person_id is not None and not scalar(conn, """
                SELECT count(*) FROM circle_members m JOIN circles c ON c.id = m.circle_id
                JOIN circle_drafts d ON d.id = c.draft_id
                WHERE d.cycle = ? AND d.status = 'final' AND m.person_id = ?""", [cycle, person_id]):
            raise ValueError(f"Person {person_id} was not in a final circle of {cycle}.")
        response_id = scalar(conn, """
            INSERT INTO outcome_responses (cycle, person_id, submitted_at, met_goals, participate_again,
                                           satisfaction, comments, consent_to_quote, entered_by)
            VALUES (?, ?, coalesce(?, now()::TIMESTAMP), ?, ?, ?, ?, ?, ?) RETURNING id""",
                             [cycle, person_id, submitted_at, met_goals, participate_again, satisfaction, text,
                              bool(consent_to_quote), actor])
        # The answers, not the comment: comments are confidential and the log is read more widely.
        audit(conn, actor, "outcome.enter", "outcome_response", response_id,
              {"cycle": cycle, "before": None,
               "after": {"named": person_id is not None, "met_goals": met_goals,
                         "participate_again": participate_again, "satisfaction": satisfaction,
                         "comment": bool(text), "consent_to_quote": bool(consent_to_quote)}})
    return response_id


def remove_entered(conn: duckdb.DuckDBPyConnection, response_id: int, actor: str) -> None:
    """Delete an answer the committee typed in (imported answers go with their import's undo)."""
    with transaction(conn):
        row = first(conn.execute("SELECT cycle, entered_by FROM outcome_responses WHERE id = ?",
                                 [response_id]).fetchall())
        if row is None:
            raise ValueError(f"No end-of-year response {response_id}.")
        if row[1] is None:
            raise ValueError("This response came from an import: undo that import on the Import page instead.")
        conn.execute("DELETE FROM outcome_responses WHERE id = ?", [response_id])
        audit(conn, actor, "outcome.remove", "outcome_response", response_id,
              {"cycle": row[0], "before": {"entered_by": row[1]}, "after": None})


def entered(conn: duckdb.DuckDBPyConnection, cycle: str) -> pd.DataFrame:
    """Answers the committee typed in for a cycle, newest first."""
    return conn.execute("""SELECT id, submitted_at, entered_by, person_id IS NOT NULL AS named, met_goals,
                                  participate_again, satisfaction FROM outcome_responses
                           WHERE cycle = ? AND entered_by IS NOT NULL ORDER BY id DESC""", [cycle]).df()


def attendance_rate(conn: duckdb.DuckDBPyConnection, cycle: str) -> dict:
    """Return present, recorded and the share present over a cycle's final circles' meetings that count."""
    from . import attendance

    figures = attendance.summary(conn, cycle)
    return {"present": figures.present, "recorded": figures.marked, "rate": figures.rate}


__all__ = [
    "ANSWERS",
    "QUESTIONS",
    "SAID",
    "SHORT_LABELS",
    "Answer",
    "Outcomes",
    "attendance_rate",
    "breakdown",
    "comments",
    "counted",
    "enter",
    "entered",
    "flags",
    "incoming_flags",
    "n_of_n",
    "participants",
    "remove_entered",
    "repeats",
    "summary",
    "wilson",
]
