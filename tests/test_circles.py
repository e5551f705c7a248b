"""Forming circles from applications: proposals, hand edits with versions, pair rules, finalising and the files."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest

from lib import cli, db
from lib.circles import criteria, drafts, edits, guests, rosters
from lib.circles.criteria import Options
from lib.db import ConflictError, scalar
from lib.imports import batches as imports
from lib.settings import get_settings

CYCLE = "2025-26"
FAST = dict(seconds=30.0, seed=0, iterations=3000)  # a move budget: the same circles on a loaded machine


def _eligible_ids(conn, cycle=CYCLE) -> list[int]:
    return sorted(int(p) for p in drafts.eligible(conn, cycle)["person_id"])


def _groups(draft) -> list[list[int]]:
    return [sorted(m["person_id"] for m in c.members) for c in draft.circles]


def test_proposal_places_every_eligible_applicant_once_in_circles_of_4_to_6(demo_conn):
    draft_id = drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair")
    draft = drafts.load(demo_conn, draft_id)
    placed = [p for g in _groups(draft) for p in g]
    assert sorted(placed) == _eligible_ids(demo_conn)
    assert all(4 <= len(g) <= 6 for g in _groups(draft))
    assert draft.status == "draft" and draft.name.startswith("Proposal")
    assert draft.solver["method"]
    for circle in draft.circles:
        assert 0 < circle.score <= 100
        assert set(circle.breakdown) <= set(criteria.LABELS.values())
        institutions = [m["institution"] for m in circle.members if m["institution"]]
        # Different institutions is essential by default and the demo has enough circles for it.
        assert len(institutions) == len(set(institutions)), circle.warnings
    assert scalar(demo_conn, "SELECT count(*) FROM audit_log WHERE action = 'circles.propose'") == 1


def test_same_seed_same_circles_is_not_saved_twice(demo_conn):
    first = drafts.load(demo_conn, drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair"))
    assert first.name == "Proposal 1"  # the imported roster of the year is not a proposal
    before = len(drafts.list_drafts(demo_conn, CYCLE))
    with pytest.raises(drafts.SameProposal, match="same as 'Proposal 1'") as same:
        drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair")
    assert same.value.draft_id == first.id and same.value.next_seed == 1
    assert len(drafts.list_drafts(demo_conn, CYCLE)) == before
    # Asked for all the same, it is saved: the same seed gives the same circles.
    again = drafts.load(demo_conn, drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair", allow_same=True))
    assert _groups(again) == _groups(first) and again.name == "Proposal 2"
    late = _eligible_ids(demo_conn)[0]
    other = drafts.load(demo_conn, drafts.propose(demo_conn, CYCLE, Options(waitlist={late: "late"}, **FAST),
                                                    "chair"))
    assert other.name == "Proposal 3" and _groups(other) != _groups(first)


def test_seven_applicants_cannot_be_split_unless_one_waits_or_a_circle_of_7_is_allowed(demo_conn):
    ids = _eligible_ids(demo_conn)
    waitlist = {p: "test" for p in ids[7:]}
    blockers = drafts.check(demo_conn, CYCLE, Options(waitlist=waitlist, **FAST))
    assert blockers and blockers[0].stops
    assert "7" in blockers[0].message
    assert any("Waitlist one" in c for c in blockers[0].choices)
    assert any("circle of 7" in c for c in blockers[0].choices)
    with pytest.raises(drafts.NotFormable):
        drafts.propose(demo_conn, CYCLE, Options(waitlist=waitlist, **FAST), "chair")
    seven = drafts.load(demo_conn, drafts.propose(demo_conn, CYCLE, Options(waitlist=waitlist, allow_seven=True,
                                                                            **FAST), "chair"))
    assert [len(g) for g in _groups(seven)] == [7]
    assert not any("members: circles have" in w for w in seven.circles[0].warnings)
    six = drafts.load(demo_conn, drafts.propose(demo_conn, CYCLE, Options(waitlist={**waitlist, ids[6]: "late"},
                                                                          **FAST), "chair"))
    assert [len(g) for g in _groups(six)] == [6]
    assert [m["person_id"] for m in six.unplaced if m["reason"] == "late"] == [ids[6]]


def test_fewer_than_four_is_refused_with_choices(demo_conn):
    ids = _eligible_ids(demo_conn)
    blockers = drafts.check(demo_conn, CYCLE, Options(waitlist={p: "x" for p in ids[3:]}))
    assert blockers[0].stops and "Wait for more applications" in blockers[0].choices
    with pytest.raises(ValueError, match="No program year 2030-31"):
        drafts.check(demo_conn, "2030-31", Options())


def test_moves_swaps_and_pins_are_versioned_and_audited(demo_conn):
    draft_id = drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair")
    draft = drafts.load(demo_conn, draft_id)
    a, b = draft.circles[0], draft.circles[1]
    pa, pb = a.members[0]["person_id"], b.members[0]["person_id"]
    edits.swap(demo_conn, draft_id, draft.version, pa, pb, "chair")
    after = drafts.load(demo_conn, draft_id)
    assert after.circle_of(pa).id == b.id and after.circle_of(pb).id == a.id
    assert after.version == draft.version + 1 and after.updated_by == "chair"
    # A second committee member still looking at the first version is refused, with who changed it.
    with pytest.raises(ConflictError, match="chair changed this draft"):
        edits.move(demo_conn, draft_id, draft.version, pa, a.id, "member")
    edits.move(demo_conn, draft_id, after.version, pa, None, "member")
    moved = drafts.load(demo_conn, draft_id)
    assert moved.circle_of(pa) is None
    assert [m["person_id"] for m in moved.unplaced] == [pa]
    assert "taken out" in moved.unplaced[0]["reason"]
    edits.move(demo_conn, draft_id, moved.version, pa, a.id, "member")
    back = drafts.load(demo_conn, draft_id)
    assert back.circle_of(pa).id == a.id and not back.unplaced
    edits.pin(demo_conn, draft_id, back.version, pa, True, "chair")
    assert drafts.load(demo_conn, draft_id).circle_of(pa).members
    actions = [r[0] for r in demo_conn.execute("SELECT action FROM audit_log WHERE entity_id = ? AND action LIKE 'circles.%' ORDER BY id",
                                              [str(draft_id)]).fetchall()]
    assert actions == ["circles.propose", "circles.swap", "circles.move", "circles.move", "circles.pin"]


def test_resolve_keeps_pins_and_honours_pair_rules(demo_conn):
    draft_id = drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair")
    draft = drafts.load(demo_conn, draft_id)
    pinned = {m["person_id"]: c.id for c in draft.circles[:2] for m in c.members[:2]}
    version = draft.version
    for person in pinned:
        edits.pin(demo_conn, draft_id, version, person, True, "chair")
        version += 1
    # Two people in one circle now must be apart; two in different circles must be together.
    c0 = [m["person_id"] for m in draft.circles[0].members if m["person_id"] not in pinned]
    c1 = [m["person_id"] for m in draft.circles[1].members if m["person_id"] not in pinned]
    edits.set_pair_rule(demo_conn, CYCLE, "forbidden", c0[0], c0[1], True, "chair")
    edits.set_pair_rule(demo_conn, CYCLE, "together", c0[0], c1[0], True, "chair")
    with pytest.raises(ValueError, match="already marked"):
        edits.set_pair_rule(demo_conn, CYCLE, "forbidden", c0[0], c1[0], True, "chair")
    stale = drafts.load(demo_conn, draft_id)
    assert any("not to be in one circle" in w for w in stale.circle_of(c0[0]).warnings)
    edits.resolve(demo_conn, draft_id, version, "chair", seconds=1.0)
    after = drafts.load(demo_conn, draft_id)
    for person, circle_id in pinned.items():
        assert after.circle_of(person).id == circle_id
        assert next(m for m in after.circle_of(person).members if m["person_id"] == person)["pinned"]
    assert after.circle_of(c0[0]).id != after.circle_of(c0[1]).id
    assert after.circle_of(c0[0]).id == after.circle_of(c1[0]).id
    assert sorted(p for g in _groups(after) for p in g) == _eligible_ids(demo_conn)


def test_finalise_replaces_the_final_circles_only_when_confirmed(demo_conn):
    imported = drafts.final_draft_id(demo_conn, CYCLE)
    assert imported is not None  # the demo's roster of 2025-26
    draft_id = drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair")
    version = drafts.load(demo_conn, draft_id).version
    with pytest.raises(ValueError, match="already has final circles"):
        edits.finalise(demo_conn, draft_id, version, "chair")
    assert drafts.final_draft_id(demo_conn, CYCLE) == imported
    edits.finalise(demo_conn, draft_id, version, "chair", replace=True)
    final = drafts.load(demo_conn, draft_id)
    assert final.status == "final" and final.finalised_by == "chair" and final.finalised_at
    assert drafts.final_draft_id(demo_conn, CYCLE) == draft_id
    assert drafts.load(demo_conn, imported).status == "superseded"
    with pytest.raises(ValueError, match="replaced by newer final circles"):
        old = drafts.load(demo_conn, imported)
        edits.move(demo_conn, imported, old.version, old.circles[0].members[0]["person_id"], None, "chair")
    placed = {p for g in _groups(final) for p in g}
    statuses = dict(demo_conn.execute("SELECT person_id, status FROM applications WHERE cycle = ? AND status IN "
                                      "('placed', 'waitlisted')", [CYCLE]).fetchall())
    assert {p for p, s in statuses.items() if s == "placed"} == placed
    meetings = demo_conn.execute("""SELECT c.id, count(*), count(*) FILTER (WHERE kind = 'orientation')
                                    FROM meetings m JOIN circles c ON c.id = m.circle_id WHERE c.draft_id = ?
                                    GROUP BY 1""", [draft_id]).fetchall()
    assert len(meetings) == len(final.circles) and all(n == 9 and o == 1 for _, n, o in meetings)


def test_rosters_calendar_and_welcome_emails(demo_conn):
    from icalendar import Calendar
    from openpyxl import load_workbook

    draft_id = drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair")
    draft = drafts.load(demo_conn, draft_id)
    edits.set_facilitator(demo_conn, draft_id, draft.version, draft.circles[0].id, "chair", "chair")
    edits.finalise(demo_conn, draft_id, draft.version + 1, "chair", replace=True)
    rows = list(csv.DictReader(io.StringIO(rosters.roster_file(demo_conn, CYCLE, "csv").decode("utf-8-sig"))))
    assert len(rows) == len(_eligible_ids(demo_conn))
    assert Counter(r["Circle"] for r in rows) == Counter({c.name: len(c.members) for c in draft.circles})
    assert {r["Facilitator"] for r in rows if r["Circle"] == draft.circles[0].name} == {"chair"}
    book = load_workbook(io.BytesIO(rosters.roster_file(demo_conn, CYCLE, "xlsx")))
    assert book.active.max_row == len(rows) + 1 and book.active["A1"].value == "Circle"
    calendar = Calendar.from_ical(rosters.roster_file(demo_conn, CYCLE, "ics"))
    events = [e for e in calendar.walk("VEVENT")]
    assert len(events) == 9 * len(draft.circles)
    starts = sorted(e.decoded("dtstart") for e in events)
    assert starts[0].month == 10 and starts[0].year == 2025 and starts[-1].month == 5 and starts[-1].year == 2026
    assert calendar.walk("VTIMEZONE")
    emails = rosters.welcome_emails(demo_conn, CYCLE)
    assert len(emails) == len(draft.circles)
    first = emails[0]
    assert all(m["name"] in first["body"] for m in draft.circles[0].members)
    assert "stays confidential" in first["body"] and first["mailto"].startswith("mailto:")
    assert "chair" in first["body"]


def test_schedule_is_eight_monthly_meetings_after_an_october_orientation():
    meetings = rosters.schedule("2025-26", "tue-pm")
    assert [m.month for m in meetings] == ["Oct", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May"]
    assert meetings[0].kind == "orientation" and meetings[0].minutes == 60
    assert all(m.day.weekday() == 1 and m.starts_at.hour == 14 for m in meetings)
    assert meetings[0].day < meetings[1].day
    assert rosters.slot_words("wed-eve") == "Wednesday evenings" and rosters.slot_words(None) == "to be agreed"


def test_guest_experts_come_from_the_published_directory_outside_the_circle(demo_conn):
    from lib.directory import search

    draft = drafts.load(demo_conn, drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair"))
    suggested = [g for c in draft.circles for g in guests.suggest(demo_conn, c)]
    assert suggested, "the demo's circles want topics the directory covers"
    published = {r["person_id"] for r in search.search(demo_conn, CYCLE, None, limit=None)[0].to_pylist()}
    for circle in draft.circles:
        members = {m["person_id"] for m in circle.members}
        for guest in guests.suggest(demo_conn, circle):
            assert guest["person_id"] not in members and guest["person_id"] in published
            assert guest["skills"] and guest["topics"]


def test_compare_two_drafts(demo_conn):
    a = drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair")
    late = _eligible_ids(demo_conn)[-1]
    b = drafts.propose(demo_conn, CYCLE, Options(seconds=30.0, seed=7, iterations=3000, waitlist={late: "late"},
                                                  importance={"interests": "essential"}), "chair", name="Interests first")
    summary, people = drafts.compare(demo_conn, a, b)
    assert list(summary["Draft"]) == ["Proposal 1", "Interests first"]
    turned = drafts.summary_by_measure(summary)
    assert list(turned.columns) == ["Measure", "Proposal 1", "Interests first"]
    assert turned.set_index("Measure").loc["Not placed", "Interests first"] == "1"
    assert len(people) == len(_eligible_ids(demo_conn))
    assert "Same companions" in people.columns


def test_copy_and_delete_a_draft(demo_conn):
    draft_id = drafts.propose(demo_conn, CYCLE, Options(**FAST), "chair")
    copy_id = edits.copy(demo_conn, draft_id, "Try José's idea", "chair")
    assert _groups(drafts.load(demo_conn, copy_id)) == _groups(drafts.load(demo_conn, draft_id))
    with pytest.raises(ValueError, match="already has a draft called"):
        edits.copy(demo_conn, draft_id, "Try José's idea", "chair")
    edits.delete(demo_conn, copy_id, drafts.load(demo_conn, copy_id).version, "chair")
    assert copy_id not in set(drafts.list_drafts(demo_conn, CYCLE)["id"])
    with pytest.raises(ValueError, match="cannot be deleted"):
        final = drafts.final_draft_id(demo_conn, CYCLE)
        edits.delete(demo_conn, final, drafts.load(demo_conn, final).version, "chair")


def _applications_csv(rows: list[list[str]]) -> bytes:
    from lib.demo.applications import APPLICATION_HEADERS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(APPLICATION_HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode()


def test_awkward_names_flow_through_circles_and_files(conn):
    people = [("José Álvarez", "jose@example.edu", "Ball State University"),
              ("Zoë Nguyen", "zoe@example.edu", "Purdue University"),
              ("Siobhán O'Brien", "obrien@example.edu", "Indiana University Bloomington"),
              ("=SUM(A1:A2)", "formula@example.edu", "Butler University"),
              ("Renée Marquez", "renee@example.edu", "DePauw University")]
    rows = [["9/15/2025 10:00:00", email, name, inst, "Librarian", "1-2 years", "Teaching and instruction",
             "Grow", "Virtual", "Tuesday afternoon", "I agree", ""] for name, email, inst in people]
    imports.import_bytes(conn, _applications_csv(rows), "apps.csv")
    draft_id = drafts.propose(conn, CYCLE, Options(**FAST), "chair")
    draft = drafts.load(conn, draft_id)
    assert sorted(m["name"] for m in draft.circles[0].members) == sorted(p[0] for p in people)
    assert draft.circles[0].common_slots == ["tue-pm"]
    edits.finalise(conn, draft_id, draft.version, "chair")
    text = rosters.roster_file(conn, CYCLE, "csv").decode("utf-8-sig")
    assert "José Álvarez" in text and "Siobhán O'Brien" in text and "'=SUM(A1:A2)" in text
    assert "Zoë" in rosters.roster_file(conn, CYCLE, "ics").decode()
    email = rosters.welcome_emails(conn, CYCLE)[0]
    assert "Dear José, Zoë, Siobhán, =SUM(A1:A2) and Renée," in email["body"] or "José" in email["body"]


def test_command_line_forms_lists_and_exports(demo_conn, tmp_path, capsys):
    demo_conn.close()
    assert cli.main(["circles", "form", "--cycle", CYCLE, "--seconds", "1", "--json"]) == 0
    formed = json.loads(capsys.readouterr().out)
    assert all(4 <= len(c["members"]) <= 6 for c in formed)
    assert set(formed[0]["members"][0]) == {"person_id", "name", "institution"}
    assert {"score", "warnings"} <= set(formed[0])
    assert cli.main(["circles", "list", "--cycle", CYCLE, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["status"] for d in listed["drafts"]] == ["final", "draft"] and listed["final"]
    out = tmp_path / "circles.ics"
    assert cli.main(["circles", "export", "--cycle", CYCLE, "--format", "ics", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert cli.main(["circles", "export", "--cycle", "2030-31", "--format", "csv", "--out", str(out)]) == 2
    assert "no final circles" in capsys.readouterr().err
    assert cli.main(["circles", "form", "--cycle", "2030-31"]) == 2
    assert "No program year 2030-31" in capsys.readouterr().err


class _Terminal(io.StringIO):
    """Standard input as a terminal that someone types into."""

    def isatty(self) -> bool:
        return True


def test_command_line_finalises_a_draft_after_asking(demo_conn, capsys, monkeypatch):
    imported = drafts.final_draft_id(demo_conn, CYCLE)
    draft_id = drafts.propose(demo_conn, CYCLE, Options(seconds=1.0, seed=0, iterations=200), "chair")
    demo_conn.close()
    # Nobody to ask (standard input is not a terminal): refused, nothing changed.
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["circles", "finalise", "--cycle", CYCLE]) == 2
    assert "--yes" in capsys.readouterr().err
    # Asked on a terminal and answered no.
    monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
    assert cli.main(["circles", "finalise", "--cycle", CYCLE]) == 1
    out = capsys.readouterr().out
    assert "Proposal 1" in out and "replaces the final circles" in out and "Not finalised" in out
    conn = db.connect(get_settings().db_path)
    try:
        assert drafts.final_draft_id(conn, CYCLE) == imported
    finally:
        conn.close()
    assert cli.main(["circles", "finalise", "--cycle", CYCLE, "--draft", "999"]) == 2
    assert "no circle draft 999" in capsys.readouterr().err
    assert cli.main(["circles", "finalise", "--cycle", CYCLE, "--draft", str(draft_id), "--yes"]) == 0
    assert "is now final" in capsys.readouterr().out
    conn = db.connect(get_settings().db_path)
    try:
        assert drafts.final_draft_id(conn, CYCLE) == draft_id
        assert drafts.load(conn, imported).status == "superseded"
        assert scalar(conn, "SELECT count(*) FROM meetings m JOIN circles c ON c.id = m.circle_id "
                            "WHERE c.draft_id = ?", [draft_id]) == 9 * len(drafts.load(conn, draft_id).circles)
        actor = scalar(conn, "SELECT actor FROM audit_log WHERE action = 'circles.finalise' ORDER BY id DESC LIMIT 1")
        assert actor == "cli"
    finally:
        conn.close()
    # Nothing left to finalise: every draft of the cycle is final or superseded.
    assert cli.main(["circles", "finalise", "--cycle", CYCLE, "--yes"]) == 2
    assert "no draft to finalise" in capsys.readouterr().err


def test_the_engine_says_how_sure_it_is_in_words(demo_conn, capsys):
    assert drafts.solver_words({"optimal": True, "gap": 0.0, "seconds": 0.4}) == "proven the best possible"
    assert drafts.solver_words({"optimal": False, "gap": 409.5, "seconds": 5.02}) == "the best found in 5 s"
    assert drafts.solver_words({"optimal": False, "gap": None, "seconds": 0.3}) == "the best found in under a second"
    demo_conn.close()
    assert cli.main(["circles", "form", "--cycle", CYCLE, "--seconds", "1", "--seed", "3"]) == 0
    said = capsys.readouterr().out
    assert "proven the best possible" in said or "the best found in" in said
    assert "% of optimal" not in said and "gap" not in said
    assert cli.main(["circles", "list", "--cycle", CYCLE, "--json"]) == 0
    proposal = next(d for d in json.loads(capsys.readouterr().out)["drafts"] if d["status"] == "draft")
    assert {"gap", "optimal", "seconds", "method", "status"} <= set(proposal["solver"])
    assert proposal["solver"]["status"] in said


def test_an_empty_database_has_no_circles(conn):
    assert drafts.list_drafts(conn, CYCLE).empty
    assert drafts.final_draft_id(conn, CYCLE) is None
    with pytest.raises(ValueError, match="no final circles"):
        rosters.roster_file(conn, CYCLE, "csv")
