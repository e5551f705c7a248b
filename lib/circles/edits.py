"""Hand edits of circle drafts: move, swap, pin, pair rules, re-solve around pins, facilitators, copy, delete, finalise.

Each edit claims the draft's next version (`_bump`) inside its transaction, so an edit made on a version
someone else has already changed is refused with who changed it.
"""
from __future__ import annotations

import json

import duckdb

from ..db import ConflictError, audit, first, scalar, writing
from .criteria import Options, People
from .drafts import FINAL, SUPERSEDED, _check_name, _form, _letters, eligible, final_draft_id, load, pair_rules
from .rosters import schedule


def _bump(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, actor: str) -> str:
    """Claim the next version of a draft or raise ConflictError naming who changed it; returns its cycle."""
    row = first(conn.execute("SELECT version, cycle, status, coalesce(updated_by, created_by), updated_at"
                             " FROM circle_drafts WHERE id = ?", [draft_id]).fetchall())
    if row is None:
        raise ValueError(f"There is no circle draft {draft_id} (deleted meanwhile?)")
    if row[0] != version:
        when = f" at {row[4]:%H:%M}" if row[4] else ""
        raise ConflictError(f"{row[3]} changed this draft{when}, after you opened it; nothing was saved. "
                            "Look at the draft again and redo your change.")
    if row[2] == SUPERSEDED:
        raise ValueError("These circles were replaced by newer final circles; copy the draft to change it.")
    conn.execute("UPDATE circle_drafts SET version = version + 1, updated_by = ?, updated_at = now()::TIMESTAMP"
                 " WHERE id = ? AND version = ?", [actor, draft_id, version])
    return row[1]


def _circle_of(conn: duckdb.DuckDBPyConnection, draft_id: int, person_id: int) -> int | None:
    """The circle of a draft a person is in."""
    return scalar(conn, """SELECT m.circle_id FROM circle_members m JOIN circles c ON c.id = m.circle_id
                           WHERE c.draft_id = ? AND m.person_id = ?""", [draft_id, person_id])


def _circle_in(conn: duckdb.DuckDBPyConnection, draft_id: int, circle_id: int) -> str:
    """The name of a circle, refusing one of another draft."""
    name = scalar(conn, "SELECT name FROM circles WHERE id = ? AND draft_id = ?", [circle_id, draft_id])
    if name is None:
        raise ValueError("That circle is not part of this draft.")
    return name


def move(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, person_id: int, circle_id: int | None,
         actor: str) -> None:
    """Move a person to another circle of the draft (None: out of every circle, to the waitlist)."""
    with writing(conn, "this draft") as tx:
        _bump(tx, draft_id, version, actor)
        before = _circle_of(tx, draft_id, person_id)
        target = _circle_in(tx, draft_id, circle_id) if circle_id is not None else None
        if before is not None:
            tx.execute("DELETE FROM circle_members WHERE circle_id = ? AND person_id = ?", [before, person_id])
        if circle_id is not None:
            tx.execute("INSERT INTO circle_members (circle_id, person_id) VALUES (?, ?)", [circle_id, person_id])
        # Someone taken out by hand stays out when the draft is re-solved, until moved back in.
        options = Options.from_json(scalar(tx, "SELECT weights FROM circle_drafts WHERE id = ?", [draft_id]))
        if circle_id is None:
            options.waitlist[person_id] = f"taken out of the circles by {actor}"
        else:
            options.waitlist.pop(person_id, None)
        tx.execute("UPDATE circle_drafts SET weights = ? WHERE id = ?", [options.to_json(), draft_id])
        audit(tx, actor, "circles.move", "circle_draft", draft_id,
              {"person_id": person_id, "before": before, "after": circle_id, "circle": target})


def swap(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, a: int, b: int, actor: str) -> None:
    """Swap two people between their circles (pins stay with the person)."""
    with writing(conn, "this draft") as tx:
        _bump(tx, draft_id, version, actor)
        ca, cb = _circle_of(tx, draft_id, a), _circle_of(tx, draft_id, b)
        if ca is None or cb is None:
            raise ValueError("Both people must be in a circle of this draft to swap them.")
        if ca == cb:
            raise ValueError("They are already in the same circle.")
        tx.execute("UPDATE circle_members SET circle_id = CASE person_id WHEN ? THEN ? ELSE ? END"
                   " WHERE (circle_id = ? AND person_id = ?) OR (circle_id = ? AND person_id = ?)",
                   [a, cb, ca, ca, a, cb, b])
        audit(tx, actor, "circles.swap", "circle_draft", draft_id,
              {"before": {a: ca, b: cb}, "after": {a: cb, b: ca}})


def pin(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, person_id: int, pinned: bool,
        actor: str) -> None:
    """Pin a person to their circle (re-solving keeps them there) or unpin them."""
    with writing(conn, "this draft") as tx:
        _bump(tx, draft_id, version, actor)
        circle_id = _circle_of(tx, draft_id, person_id)
        if circle_id is None:
            raise ValueError("Only someone in a circle can be pinned.")
        tx.execute("UPDATE circle_members SET pinned = ? WHERE circle_id = ? AND person_id = ?",
                   [pinned, circle_id, person_id])
        audit(tx, actor, "circles.pin" if pinned else "circles.unpin", "circle_draft", draft_id,
              {"person_id": person_id, "circle_id": circle_id, "before": {"pinned": not pinned},
               "after": {"pinned": pinned}})


def set_pair_rule(conn: duckdb.DuckDBPyConnection, cycle: str, kind: str, a: int, b: int, on: bool,
                  actor: str) -> None:
    """Forbid a pair ('forbidden') or keep it together ('together') in the cycle's circles, or lift the rule."""
    if kind not in ("forbidden", "together"):
        raise ValueError("A pair rule is 'forbidden' or 'together'.")
    if a == b:
        raise ValueError("Choose two different people.")
    a, b = sorted((int(a), int(b)))
    other = "together" if kind == "forbidden" else "forbidden"
    # Table names come from this fixed map (kind is checked above), never from input; values are parameters.
    table = {"forbidden": "forbidden_pairs", "together": "together_pairs"}
    with writing(conn, "the pair rules") as tx:
        if on and scalar(tx, f"SELECT count(*) FROM {table[other]} WHERE cycle = ? AND person_a = ? AND person_b = ?",
                         [cycle, a, b]):
            raise ValueError(f"This pair is already marked '{other}'; lift that first.")
        tx.execute(f"DELETE FROM {table[kind]} WHERE cycle = ? AND person_a = ? AND person_b = ?", [cycle, a, b])
        if on:
            tx.execute(f"INSERT INTO {table[kind]} (cycle, person_a, person_b, created_by, created_at)"
                       " VALUES (?, ?, ?, ?, now()::TIMESTAMP)", [cycle, a, b, actor])
        audit(tx, actor, f"circles.{kind}" if on else f"circles.{kind}.lift", "cycle", cycle,
              {"person_a": a, "person_b": b, "before": {kind: not on}, "after": {kind: on}})


def resolve(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, actor: str,
            seconds: float | None = None) -> None:
    """Re-solve the draft around its pins: pinned members stay, everyone else (eligible) is placed anew."""
    draft = load(conn, draft_id)
    if draft.version != version:
        _raise_stale(conn, draft_id)
    options = draft.options
    if seconds is not None:
        options.seconds = seconds
    in_draft = {m["person_id"] for c in draft.circles for m in c.members}
    frame = eligible(conn, draft.cycle)
    waiting = set(options.waitlist) - in_draft
    frame = frame[~frame["person_id"].isin(list(waiting))] if len(frame) else frame
    people = People.from_frame(frame)
    pins = {m["person_id"]: g for g, c in enumerate(draft.circles) for m in c.members if m["pinned"]}
    groups, slots, summary = _form(people, options, pair_rules(conn, draft.cycle), pins,
                                   circles=len(draft.circles) or None)
    with writing(conn, "this draft") as tx:
        _bump(tx, draft_id, version, actor)
        circle_ids = [c.id for c in draft.circles]
        for g in range(len(circle_ids), len(groups)):
            circle_ids.append(scalar(tx, "INSERT INTO circles (draft_id, cycle, name) VALUES (?, ?, ?) RETURNING id",
                                     [draft_id, draft.cycle, f"Circle {_letters(g)}"]))
        tx.execute("DELETE FROM circle_members WHERE circle_id IN (SELECT id FROM circles WHERE draft_id = ?)",
                   [draft_id])
        pinned = set(pins)
        for circle_id, members, slot in zip(circle_ids, groups, slots):
            tx.executemany("INSERT INTO circle_members (circle_id, person_id, pinned) VALUES (?, ?, ?)",
                           [[circle_id, p, p in pinned] for p in members])
            tx.execute("UPDATE circles SET meeting_slot = ? WHERE id = ?", [slot, circle_id])
        tx.execute("UPDATE circle_drafts SET solver = ? WHERE id = ?", [json.dumps(summary), draft_id])
        audit(tx, actor, "circles.resolve", "circle_draft", draft_id,
              {"before": {c.name: [m["person_id"] for m in c.members] for c in draft.circles},
               "after": groups, "pins": sorted(pinned), "solver": summary})


def _raise_stale(conn: duckdb.DuckDBPyConnection, draft_id: int) -> None:
    """Raise the conflict message for a draft changed since it was read."""
    row = first(conn.execute("SELECT coalesce(updated_by, created_by), updated_at FROM circle_drafts WHERE id = ?",
                             [draft_id]).fetchall())
    when = f" at {row[1]:%H:%M}" if row and row[1] else ""
    raise ConflictError(f"{row[0] if row else 'Someone'} changed this draft{when}, after you opened it; nothing was "
                        "saved. Look at the draft again and redo your change.")


def set_facilitator(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, circle_id: int,
                    username: str | None, actor: str) -> None:
    """Assign a committee member to facilitate a circle (None: nobody yet)."""
    with writing(conn, "this draft") as tx:
        if username is not None and not scalar(tx, "SELECT count(*) FROM users WHERE username = ?", [username]):
            raise ValueError(f"There is no committee user '{username}'.")
        _bump(tx, draft_id, version, actor)
        name = _circle_in(tx, draft_id, circle_id)
        before = scalar(tx, "SELECT facilitator FROM circles WHERE id = ?", [circle_id])
        tx.execute("UPDATE circles SET facilitator = ? WHERE id = ?", [username, circle_id])
        audit(tx, actor, "circles.facilitator", "circle", circle_id,
              {"circle": name, "before": before, "after": username})


def rename_circle(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, circle_id: int, name: str,
                  actor: str) -> None:
    """Give a circle a new name (unique within the draft)."""
    name = name.strip()
    if not name:
        raise ValueError("A circle needs a name.")
    with writing(conn, "this draft") as tx:
        _bump(tx, draft_id, version, actor)
        before = _circle_in(tx, draft_id, circle_id)
        if scalar(tx, "SELECT count(*) FROM circles WHERE draft_id = ? AND name = ? AND id <> ?",
                  [draft_id, name, circle_id]):
            raise ValueError(f"This draft already has a circle called '{name}'.")
        tx.execute("UPDATE circles SET name = ? WHERE id = ?", [name, circle_id])
        audit(tx, actor, "circles.rename", "circle", circle_id, {"before": before, "after": name})


def copy(conn: duckdb.DuckDBPyConnection, draft_id: int, name: str, actor: str) -> int:
    """Save a copy of a draft under a new name (to try changes and compare)."""
    with writing(conn, "the circle drafts") as tx:
        row = first(tx.execute("SELECT cycle, weights, solver FROM circle_drafts WHERE id = ?", [draft_id]).fetchall())
        if row is None:
            raise ValueError(f"There is no circle draft {draft_id}.")
        _check_name(tx, row[0], name.strip())
        new_id = scalar(tx, """INSERT INTO circle_drafts (cycle, name, status, weights, solver, created_by)
                               VALUES (?, ?, 'draft', ?, ?, ?) RETURNING id""", [row[0], name.strip(), *row[1:], actor])
        for cid, cname, slot, fmt, facilitator in tx.execute(
                "SELECT id, name, meeting_slot, format, facilitator FROM circles WHERE draft_id = ? ORDER BY length(name), name",
                [draft_id]).fetchall():
            new_circle = scalar(tx, """INSERT INTO circles (draft_id, cycle, name, meeting_slot, format, facilitator)
                                       VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
                                [new_id, row[0], cname, slot, fmt, facilitator])
            tx.execute("INSERT INTO circle_members (circle_id, person_id, pinned)"
                       " SELECT ?, person_id, pinned FROM circle_members WHERE circle_id = ?", [new_circle, cid])
        audit(tx, actor, "circles.copy", "circle_draft", new_id, {"from": draft_id, "name": name})
    return new_id


def delete(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, actor: str) -> None:
    """Delete a draft that is not final (the page asks first)."""
    with writing(conn, "this draft") as tx:
        row = first(tx.execute("SELECT status, name, cycle FROM circle_drafts WHERE id = ?", [draft_id]).fetchall())
        if row is None:
            return
        if row[0] == FINAL:
            raise ValueError("Final circles cannot be deleted; finalise another draft to replace them.")
        _bump(tx, draft_id, version, actor)
        members = tx.execute("""SELECT c.name, list(m.person_id ORDER BY m.person_id) FROM circles c
                                LEFT JOIN circle_members m ON m.circle_id = c.id WHERE c.draft_id = ?
                                GROUP BY ALL ORDER BY 1""", [draft_id]).fetchall()
        tx.execute("DELETE FROM circle_members WHERE circle_id IN (SELECT id FROM circles WHERE draft_id = ?)",
                   [draft_id])
        tx.execute("DELETE FROM meetings WHERE circle_id IN (SELECT id FROM circles WHERE draft_id = ?)", [draft_id])
        tx.execute("DELETE FROM circles WHERE draft_id = ?", [draft_id])
        tx.execute("DELETE FROM circle_drafts WHERE id = ?", [draft_id])
        audit(tx, actor, "circles.delete", "circle_draft", draft_id,
              {"name": row[1], "cycle": row[2], "before": {name: ids for name, ids in members}})


def finalise(conn: duckdb.DuckDBPyConnection, draft_id: int, version: int, actor: str,
             replace: bool = False) -> None:
    """Make a draft the cycle's final circles: members placed, the rest waitlisted, meetings scheduled.

    When the cycle already has final circles, `replace=True` is required; the old ones are kept as
    'superseded' (with any attendance recorded against them).
    """
    draft = load(conn, draft_id)
    if draft.version != version:
        _raise_stale(conn, draft_id)
    if draft.status == FINAL:
        raise ValueError("These circles are already final.")
    empty = [c.name for c in draft.circles if not c.members]
    if empty:
        raise ValueError(f"Empty circles cannot be finalised: {', '.join(empty)}. Move members in or delete them.")
    with writing(conn, "this draft") as tx:
        previous = final_draft_id(tx, draft.cycle)
        if previous is not None and not replace:
            raise ValueError(f"{draft.cycle} already has final circles; confirm that these replace them.")
        _bump(tx, draft_id, version, actor)
        if previous is not None:
            tx.execute("UPDATE circle_drafts SET status = 'superseded', version = version + 1 WHERE id = ?",
                       [previous])
        tx.execute("UPDATE circle_drafts SET status = 'final', finalised_by = ?, finalised_at = now()::TIMESTAMP"
                   " WHERE id = ?", [actor, draft_id])
        placed = [m["person_id"] for c in draft.circles for m in c.members]
        tx.execute("""UPDATE applications SET status = CASE WHEN list_contains(?::INTEGER[], person_id) THEN 'placed'
                                                        ELSE 'waitlisted' END, version = version + 1
                      WHERE cycle = ? AND status IN ('applied', 'placed', 'waitlisted')""", [placed, draft.cycle])
        for circle in draft.circles:
            tx.execute("DELETE FROM meetings WHERE circle_id = ?", [circle.id])
            tx.execute("UPDATE circles SET meeting_slot = ? WHERE id = ?", [circle.slot, circle.id])
            tx.executemany("""INSERT INTO meetings (circle_id, cycle, month, seq, kind, held_on, starts_at, minutes)
                              VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                           [[circle.id, draft.cycle, m.month, m.seq, m.kind, m.day, m.starts_at, m.minutes]
                            for m in schedule(draft.cycle, circle.slot)])
        audit(tx, actor, "circles.finalise", "circle_draft", draft_id,
              {"cycle": draft.cycle, "name": draft.name, "replaced": previous,
               "circles": {c.name: [m["person_id"] for m in c.members] for c in draft.circles}})


