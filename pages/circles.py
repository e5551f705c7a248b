"""Circles: who is eligible and why, proposals by the grouping engine, hand edits, comparison, finalising, files."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import pandas as pd
import streamlit as st

from lib.circles import applications
from lib.circles import criteria, drafts, edits, guests, rosters
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_committee("Forming circles")
st.title("Peer Mentorship Circles")
conn = cache.cursor()
version = cache.data_version(conn)
cycle = session.selected_cycle()
if cycle is None:
    st.info("No program year yet: import this year's circle applications first (Import page).",
            icon=":material/info:")
    st.stop()

CARDS_PER_PAGE = 12  # statewide scale means hundreds of circles; cards are shown a page at a time
VIEWS = ("Applicants", "Propose", "Drafts", "Compare", "Final circles")
NOTICE, RESET, SEEN = "circles_notice", "circles_reset", "circles_seen"
changes.resume(RESET)
st.caption(f"Program year {cycle}: applications are confidential to the committee. Every change is saved at once, "
           "recorded in the audit log, and refused if another committee member changed the same draft meanwhile.")
changes.notice(NOTICE)


def _done(message: str, **values) -> None:
    """After a change: forget cached reads and the versions seen, keep the message for the next run."""
    changes.done(message, RESET, NOTICE, (SEEN,), **values)


def _why(exc: ValueError) -> str:
    """A refusal in words, with what can be done when circles cannot be formed."""
    if isinstance(exc, drafts.NotFormable):
        return " ".join(f"{b.message} You can: {'; '.join(b.choices)}." for b in exc.blockers)
    return str(exc)


def _attempt(action) -> tuple[bool, object]:
    """Run one change; a refusal or a stale edit shows a clear message instead of failing the page."""
    return changes.attempt(action, SEEN, _why)


def _seen(draft) -> int:
    """The draft's version as this session first showed it: edits are checked against it."""
    return st.session_state.setdefault(SEEN, {}).setdefault(draft.id, draft.version)


def _names(frame: pd.DataFrame) -> dict[int, str]:
    """Person id -> 'Name (Institution)' for pickers."""
    return {int(r.person_id): f"{r.name} ({r.institution})" if r.institution else str(r.name)
            for r in frame.itertuples()}


people = cache.applicants(cycle, version)
st.session_state.setdefault("circles_view", "Applicants")  # seeded, so a change can also set it
view = st.segmented_control("View", VIEWS, key="circles_view", label_visibility="collapsed")
view = view or "Applicants"


# ------------------------------------------------------------------------------------------- applicants
def show_applicants() -> None:
    """Eligibility of every applicant, why others are not eligible, and overrides with a reason."""
    if not len(people):
        st.info(f"No circle applications for {cycle} yet. Import the applications form's export on the Import page.",
                icon=":material/info:")
        return
    counts = applications.counts(conn, cycle)
    cols = st.columns(4)
    cols[0].metric("Applicants", counts["applicants"])
    cols[1].metric("Eligible", counts["eligible"])
    cols[2].metric("Not eligible", counts["applicants"] - counts["eligible"])
    cols[3].metric("Overrides", counts.get("overrides", 0))
    st.caption("Eligible: within the first 3 years in the profession or a library-school student, submitted by the "
               "deadline, and agreed to the participant expectations. The committee can override with a reason.")
    table = pd.DataFrame({
        "Name": people["name"], "Institution": people["institution"], "Career stage": people["career_stage"],
        "Submitted": people["submitted_at"], "Eligible": people["eligible"].astype(bool),
        "Why not": ["; ".join(r) for r in people["reasons"]],
        "Override": [escape_none(reason) for reason in people["override_reason"]],
        "Interests": ["; ".join(i if i is not None else []) for i in people["interests"]],
        "Format": people["format"], "Availability": ["; ".join(a if a is not None else []) for a in people["availability"]],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="applicants_table",
                 column_config={"Submitted": st.column_config.DatetimeColumn(format="MMM D, h:mm a"),
                                "Why not": st.column_config.TextColumn(width="large"),
                                "Interests": st.column_config.TextColumn(width="large")})
    with st.form("override_form", border=True):
        st.markdown("**Override eligibility**")
        names = _names(people)
        who = st.selectbox("Applicant", list(names), format_func=names.__getitem__, key="override_person")
        decision = st.radio("Decision", ("Eligible", "Not eligible", "Follow the rule"), horizontal=True,
                            key="override_decision")
        reason = st.text_input("Reason (recorded with your name)", key="override_reason", max_chars=300)
        if st.form_submit_button("Save override", icon=":material/gavel:"):
            value = {"Eligible": True, "Not eligible": False, "Follow the rule": None}[decision]
            if value is not None and not reason.strip():
                st.error("Give a reason for the override.", icon=":material/block:")
            else:
                seen = people.loc[people["person_id"] == who, "override_version"]
                expected = int(seen.iloc[0]) if len(seen) and pd.notna(seen.iloc[0]) else 0
                ok, _ = _attempt(lambda: applications.override(conn, cycle, who, value, reason.strip() or "rule",
                                                               me.username, expected_version=expected))
                if ok:
                    _done(f"Eligibility of {names[who]} saved.", override_reason="")


def escape_none(value) -> str:
    """An empty cell for a missing value."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


# ------------------------------------------------------------------------------------------- proposing
def show_propose() -> None:
    """Weights in plain words, checks before solving, and the engine's proposal saved as a new draft."""
    pool = people[people["eligible"].astype(bool)] if len(people) else people
    st.markdown(f"**{len(pool)} eligible applicants** to place in circles of 4 to 6.")
    with st.container(border=True):
        st.markdown("**What matters this year**")
        importance = {}
        cols = st.columns(2)
        for n, criterion in enumerate(criteria.CRITERIA):
            importance[criterion.key] = cols[n % 2].select_slider(
                criterion.label, options=criteria.IMPORTANCE, key=f"weight_{criterion.key}",
                value=criteria.DEFAULT_IMPORTANCE[criterion.key],
                help=f"A pair scores high when {criterion.meaning}. 'Essential' for institutions and availability "
                     "makes it a rule the engine keeps whenever it can.")
        stage = st.radio("Career stages in a circle", list(criteria.STAGE_MODES), format_func=criteria.STAGE_MODES.get,
                         horizontal=True, key="stage_mode")
        cols = st.columns(3)
        count = cols[0].number_input("Number of circles (0: let sizes decide)", min_value=0, max_value=50, value=0,
                                     key="circle_count")
        seconds = cols[1].slider("Search time (seconds)", 1, 30, 5, key="solve_seconds")
        seed = cols[2].number_input("Seed (same seed, same proposal)", min_value=0, max_value=10_000,
                                    key="solve_seed")
        names = _names(pool) if len(pool) else {}
        waitlist = st.multiselect("Waitlist (leave out of this proposal)", list(names), format_func=names.__getitem__,
                                  key="waitlist")
        allow_seven = st.checkbox("Allow one circle of 7 (only when exactly 7 are placed)", key="allow_seven")
    try:
        options = criteria.Options(importance=importance, stage_mode=stage, count=count or None, seconds=seconds,
                                  seed=int(seed), allow_seven=allow_seven,
                                  waitlist={p: f"waitlisted by {me.username}" for p in waitlist})
    except ValueError as exc:
        st.error(escape(str(exc)))
        return
    blockers = drafts.check(conn, cycle, options)
    for blocker in blockers:
        (st.error if blocker.stops else st.warning)(
            f"{escape(blocker.message)}  \nYou can: {escape('; '.join(blocker.choices))}.",
            icon=":material/block:" if blocker.stops else ":material/warning:")
    name = st.text_input("Draft name (optional)", key="draft_name", max_chars=80)
    again = st.session_state.pop("propose_again", False)
    if st.button("Propose circles", type="primary", icon=":material/auto_awesome:", key="propose",
                 disabled=any(b.stops for b in blockers)) or (again and not any(b.stops for b in blockers)):
        with st.spinner(f"Forming circles (up to {seconds} s)…"):
            ok, result = _attempt(lambda: _propose(options, name.strip() or None))
        if ok and isinstance(result, drafts.SameProposal):
            st.info(escape(str(result)), icon=":material/content_copy:")
            st.button(f"Try another proposal (seed {result.next_seed})", key="propose_other",
                      icon=":material/casino:", on_click=_try_seed, args=(result.next_seed,))
        elif ok:
            _done("Proposal saved as a draft. Edit it below, compare it, or finalise it.",
                  circles_view="Drafts", circles_draft=result, draft_name="")


def _propose(options, name: str | None):
    """A new draft's id, or the SameProposal raised when the circles equal a draft's, for the page to offer more."""
    try:
        return drafts.propose(conn, cycle, options, me.username, name)
    except drafts.SameProposal as same:
        return same


def _try_seed(seed: int) -> None:
    """Before the next run: the next seed, and propose again with it."""
    st.session_state["solve_seed"] = seed
    st.session_state["propose_again"] = True


# ------------------------------------------------------------------------------------------- drafts
def _draft_picker(key: str, label: str = "Draft", exclude: int | None = None) -> int | None:
    """A select box of the cycle's drafts; returns the chosen draft id."""
    listed = drafts.list_drafts(conn, cycle)
    listed = listed[listed["id"] != exclude] if exclude is not None else listed
    if not len(listed):
        return None
    # Labels that an edit does not change: the browser resets a select box whose option labels change.
    labels = {int(r.id): f"{r.name} ({r.status})" for r in listed.itertuples()}
    if st.session_state.get(key) not in labels:
        st.session_state[key] = next(iter(labels))
    return st.selectbox(label, list(labels), format_func=labels.__getitem__, key=key)


def _card(draft, circle, editable: bool) -> None:
    """One circle: members, what they share, score and breakdown, warnings, facilitator, guest experts."""
    with st.container(border=True):
        head = st.columns([3, 1])
        head[0].markdown(f"#### {escape(circle.name)}")
        head[1].metric("Score", f"{circle.score:.0f}", help="Mean fit of every pair in the circle, out of 100, "
                       "weighted as chosen. Breakdown: " + "; ".join(f"{k} {v:.0f}%" for k, v in circle.breakdown.items()))
        for m in circle.members:
            details = " · ".join(str(m[k]) for k in ("institution", "career_stage", "format") if m.get(k))
            pin = " :material/push_pin:" if m["pinned"] else ""
            st.markdown(f"{escape(m['name'])}{pin}  \n<small>{escape(details)}</small>", unsafe_allow_html=True)
        meets = rosters.slot_words(circle.slot)
        shared = ", ".join(f"{t} ({n})" for t, n in circle.shared_interests[:4]) or "no interest shared by two"
        st.caption(f"Meets {escape(meets)} · shares: {escape(shared)} · facilitator: "
                   f"{escape(circle.facilitator or 'none yet')}")
        st.progress(min(max(circle.score / 100, 0.0), 1.0))
        for warning in circle.warnings:
            st.warning(escape(warning), icon=":material/warning:")
        with st.expander("Why this score, and who could help"):
            st.markdown("**How well its pairs fit**, by criterion:  \n" + "  \n".join(
                f"{label}: {value:.0f}%" for label, value in circle.breakdown.items()))
            experts = cache.circle_guests(tuple(guests.topics(circle)), tuple(m["person_id"] for m in circle.members),
                                          version)
            if experts:
                st.markdown("**From the Skills Directory** (published members whose skills match these topics):")
                for g in experts:
                    st.markdown(f"- {escape(g['name'])}, {escape(g.get('institution') or '')}: "
                                f"{escape(', '.join(g['skills'][:4]))}")
            else:
                st.caption("No published directory member matches this circle's topics.")
        if editable:
            users = [u.username for u in cache_users()]
            current = circle.facilitator if circle.facilitator in users else None
            choice = st.selectbox("Facilitator", [None, *users], index=([None, *users].index(current)),
                                  format_func=lambda u: "none yet" if u is None else u,
                                  key=f"facilitator_{circle.id}")
            if choice != current:
                ok, _ = _attempt(lambda: edits.set_facilitator(conn, draft.id, _seen(draft), circle.id, choice,
                                                                 me.username))
                if ok:
                    _done(f"{circle.name}: facilitator saved.")


def cache_users():
    """Committee members who can facilitate."""
    from lib.admin import auth

    return auth.list_users(conn)


def _edit(draft) -> None:
    """Move, swap, pin, pair rules and re-solving, each saved at once against the version seen."""
    members = {m["person_id"]: f"{m['name']} ({c.name})" for c in draft.circles for m in c.members}
    outside = {m["person_id"]: f"{m['name']} (not placed)" for m in draft.unplaced}
    everyone = {**members, **outside}
    circle_names = {c.id: c.name for c in draft.circles}
    seen = _seen(draft)
    with st.container(border=True):
        st.markdown("**Change by hand**")
        action = st.radio("Change", ("Move", "Swap", "Pin", "Unpin", "Never together", "Keep together"),
                          horizontal=True, key="edit_action")
        cols = st.columns(2)
        a = cols[0].selectbox("Person", list(everyone), format_func=everyone.__getitem__, key="edit_person",
                              placeholder="Choose someone", index=None)
        b = target = None
        if action == "Move":
            target = cols[1].selectbox("To", [*circle_names, None], key="edit_target",
                                       format_func=lambda c: "out of every circle (waitlist)" if c is None
                                       else circle_names[c])
        elif action in ("Swap", "Never together", "Keep together"):
            b = cols[1].selectbox("With", [p for p in everyone if p != a], format_func=everyone.__getitem__,
                                  key="edit_other", index=None, placeholder="Choose someone")
        if st.button("Apply", key="edit_apply", icon=":material/done:", disabled=a is None):
            changes = {
                "Move": lambda: edits.move(conn, draft.id, seen, a, target, me.username),
                "Swap": lambda: edits.swap(conn, draft.id, seen, a, b, me.username),
                "Pin": lambda: edits.pin(conn, draft.id, seen, a, True, me.username),
                "Unpin": lambda: edits.pin(conn, draft.id, seen, a, False, me.username),
                "Never together": lambda: edits.set_pair_rule(conn, cycle, "forbidden", a, b, True, me.username),
                "Keep together": lambda: edits.set_pair_rule(conn, cycle, "together", a, b, True, me.username),
            }
            if action in ("Swap", "Never together", "Keep together") and b is None:
                st.error("Choose the second person.", icon=":material/block:")
            else:
                ok, _ = _attempt(changes[action])
                if ok:
                    _done(f"{action}: saved.")
        rules = drafts.pair_rules(conn, cycle)
        if rules["forbidden"] or rules["together"]:
            names = {**everyone, **_names(people)} if len(people) else everyone
            lines = [f"never together: {names.get(x, x)} and {names.get(y, y)}" for x, y in rules["forbidden"]]
            lines += [f"keep together: {names.get(x, x)} and {names.get(y, y)}" for x, y in rules["together"]]
            st.caption("Pair rules of " + cycle + ": " + escape("; ".join(lines)))
        cols = st.columns(2)
        if cols[0].button("Re-solve around the pins", key="resolve", icon=":material/refresh:",
                          help="Pinned members stay in their circles; everyone else is placed again."):
            with st.spinner("Re-solving…"):
                ok, _ = _attempt(lambda: edits.resolve(conn, draft.id, seen, me.username))
            if ok:
                _done("Re-solved around the pins.")


def show_drafts() -> None:
    """The chosen draft as cards, with edits, copies, deletion and finalising."""
    draft_id = _draft_picker("circles_draft")
    if draft_id is None:
        st.info("No drafts yet for this year: propose circles first.", icon=":material/info:")
        return
    draft = cache.circle_draft(draft_id, version)
    editable = draft.status != drafts.SUPERSEDED
    by = f"finalised by {draft.finalised_by} on {draft.finalised_at:%b %d, %Y}" if draft.finalised_at else \
        f"last changed by {draft.updated_by or draft.created_by}"
    st.caption(escape(f"{draft.name}: {draft.status}, {by}. "
                      + (f"These circles are {drafts.solver_words(draft.solver)}." if draft.solver else "")))
    cols = st.columns(4)
    cols[0].metric("Circles", len(draft.circles))
    cols[1].metric("Placed", sum(len(c.members) for c in draft.circles))
    cols[2].metric("Mean score", f"{draft.score:.0f}")
    cols[3].metric("Worst circle", f"{draft.worst:.0f}")
    flagged = [c.name for c in draft.circles if c.warnings]
    if flagged:
        st.warning(f"{len(flagged)} of {len(draft.circles)} circles have warnings (on their cards): "
                   + escape(", ".join(flagged[:12]) + (" …" if len(flagged) > 12 else "")), icon=":material/warning:")
    if draft.unplaced:
        st.warning("Not placed: " + escape("; ".join(f"{m['name']} ({m['reason']})" for m in draft.unplaced)),
                   icon=":material/person_off:")
    shown = draft.circles
    if len(shown) > CARDS_PER_PAGE:
        cols = st.columns([1, 2])
        if cols[0].checkbox("Only circles with warnings", key="only_warned"):
            shown = [c for c in shown if c.warnings]
        ranges = list(range(0, len(shown), CARDS_PER_PAGE)) or [0]
        start = cols[1].selectbox("Circles", ranges, key="cards_page", format_func=lambda i, listed=tuple(shown): (
            f"{listed[i].name} to {listed[min(i + CARDS_PER_PAGE, len(listed)) - 1].name} of {len(listed)}"
            if listed else "none"))
        shown = shown[start:start + CARDS_PER_PAGE]
    # Three cards a row, fewer when there are fewer circles: one or two circles still fill the page's width.
    per_row = max(1, min(3, len(shown)))
    for row_start in range(0, len(shown), per_row):
        cols = st.columns(per_row)
        for col, circle in zip(cols, shown[row_start:row_start + per_row]):
            with col:
                _card(draft, circle, editable)
    if not editable:
        st.info("These circles were replaced by newer final circles. Copy them to work on them again.")
    else:
        _edit(draft)
    with st.container(border=True):
        cols = st.columns([2, 1])
        copy_name = cols[0].text_input("Save a copy as", key="copy_name", max_chars=80)
        if cols[1].button("Save copy", key="copy", icon=":material/content_copy:", disabled=not copy_name.strip()):
            ok, new_id = _attempt(lambda: edits.copy(conn, draft.id, copy_name.strip(), me.username))
            if ok:
                _done(f"Copy '{copy_name.strip()}' saved.", circles_draft=new_id, copy_name="")
        if draft.status == drafts.DRAFT:
            final_id = drafts.final_draft_id(conn, cycle)
            confirm = st.checkbox(
                "These circles replace the current final circles (kept as 'superseded', with their attendance)"
                if final_id else f"Finalise: these become the circles of {cycle}", key="finalise_confirm")
            cols = st.columns(2)
            if cols[0].button("Finalise", type="primary", key="finalise", icon=":material/verified:",
                              disabled=not confirm):
                ok, _ = _attempt(lambda: edits.finalise(conn, draft.id, _seen(draft), me.username,
                                                          replace=final_id is not None))
                if ok:
                    _done(f"{draft.name} is now final for {cycle}. Rosters, emails and the calendar are ready.",
                          circles_view="Final circles", finalise_confirm=False)
            sure = cols[1].checkbox("Delete this draft", key="delete_confirm")
            if sure and cols[1].button("Delete for good", key="delete", icon=":material/delete:"):
                ok, _ = _attempt(lambda: edits.delete(conn, draft.id, _seen(draft), me.username))
                if ok:
                    _done(f"Draft '{draft.name}' deleted.", delete_confirm=False)


# ------------------------------------------------------------------------------------------- comparing
def show_compare() -> None:
    """Two drafts side by side: their scores and who sits with whom."""
    cols = st.columns(2)
    with cols[0]:
        a = _draft_picker("compare_a", "First draft")
    with cols[1]:
        b = _draft_picker("compare_b", "Second draft", exclude=a)
    if a is None or b is None:
        st.info("Compare needs two drafts: propose again or save a copy.", icon=":material/info:")
        return
    summary, moved = drafts.compare(conn, a, b)
    # One row per measure and a column per draft: fifteen measures side by side do not fit a screen's width.
    measures = drafts.summary_by_measure(summary)
    st.dataframe(measures, hide_index=True, width="stretch", key="compare_summary",
                 height=35 * (len(measures) + 1) + 3)  # every measure at once, no scrolling inside the table
    changed = int((~moved["Same companions"]).sum()) if len(moved) else 0
    st.markdown(f"**{changed} of {len(moved)} people** sit with different companions.")
    st.dataframe(moved, hide_index=True, width="stretch", key="compare_people")


# ------------------------------------------------------------------------------------------- final circles
def show_final() -> None:
    """Rosters, the calendar and welcome emails of the final circles."""
    final_id = drafts.final_draft_id(conn, cycle)
    if final_id is None:
        st.info(f"{cycle} has no final circles yet: finalise a draft.", icon=":material/info:")
        return
    draft = cache.circle_draft(final_id, version)
    st.caption(escape(f"{draft.name}: {len(draft.circles)} circles, "
                      f"{sum(len(c.members) for c in draft.circles)} members"
                      + (f", finalised by {draft.finalised_by} on {draft.finalised_at:%b %d, %Y}."
                         if draft.finalised_at else ".")))
    cols = st.columns(3)
    labels = {"csv": ("Roster (CSV)", "text/csv"),
              "xlsx": ("Roster (Excel)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              "ics": ("Meetings calendar (.ics)", "text/calendar")}
    for col, fmt in zip(cols, rosters.FORMATS):
        label, mime = labels[fmt]
        # Built when clicked: a statewide calendar is thousands of events.
        col.download_button(label, data=lambda fmt=fmt: rosters.roster_file(cache.cursor(), cycle, fmt),
                            file_name=rosters.file_name(cycle, fmt), mime=mime, key=f"download_{fmt}",
                            icon=":material/download:", width="stretch")
    st.dataframe(rosters.roster(draft), hide_index=True, width="stretch", key="final_roster")
    st.subheader("Welcome emails")
    names = {c.id: c.name for c in draft.circles}
    cols = st.columns([2, 1])
    chosen = cols[0].selectbox("Circle", list(names), format_func=names.__getitem__, key="email_circle")
    cols[1].download_button(
        "Every welcome email (.txt)", icon=":material/download:", key="download_emails", width="stretch",
        file_name=f"ali-circles-{cycle}-welcome-emails.txt", mime="text/plain",
        data=lambda: "\n\n".join(f"To: {e['to']}\nSubject: {e['subject']}\n\n{e['body']}\n{'-' * 72}"
                                  for e in rosters.welcome_emails(cache.cursor(), cycle)).encode("utf-8"))
    email = rosters.welcome_email(conn, draft, chosen)
    st.text(f"To: {email['to']}\nSubject: {email['subject']}")
    st.code(email["body"], language=None, wrap_lines=True)
    if email["mailto"]:
        st.link_button("Open in my email program", email["mailto"], icon=":material/mail:")


{"Applicants": show_applicants, "Propose": show_propose, "Drafts": show_drafts, "Compare": show_compare,
 "Final circles": show_final}[view]()
