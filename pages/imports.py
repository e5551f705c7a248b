"""Import: upload a Google Forms export, confirm how its columns map, preview, import, and undo."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import pandas as pd
import streamlit as st

from lib import cycles, exports
from lib.directory import institutions, skills
from lib.imports import batches, forms
from lib.imports.refusals import ImportRefused
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py
me = session.require_committee("Importing")
st.title("Import")
st.caption("Bring in a Google Forms export (CSV or XLSX) of the Skills Directory Survey, the circle applications, "
           "an attendance sheet or the end-of-year survey. Nothing is written until you press Import, and every "
           "import can be undone.")
conn = cache.cursor()

AUTO_KIND = "Detect from the headers"
FROM_TIMESTAMPS = "From each row's timestamp"
IGNORE = "(ignore this column)"
GUESSED = "guessed from its answers"
WEAK = "weak guess (below)"
NOTICE, RESET = "import_notice", "import_reset"
ROW_PX = 35  # the height of one table row
WRAPPED_PROBLEMS = 100  # up to this many problems are listed in full; more go in a scrolling table (and the CSV)

changes.resume(RESET)
# Each import gives the uploader a new key: it comes back empty, ready for the next file, instead of showing the
# file just imported again as "already imported".
uploads = st.session_state.get("import_uploads", 0)
upload = st.file_uploader("Google Forms export", type=["csv", "xlsx"],
                          key=f"import_file_{uploads}" if uploads else "import_file",
                          help="In Google Forms: Responses → Download responses (.csv); or the linked Sheet saved "
                               "as .xlsx. Up to 50 MB.")


def _history() -> None:
    """Show the import history with undo, and the institution names still to review."""
    review = institutions.needing_review(conn)
    if review:
        with st.expander(f"{len(review)} institution name(s) not recognised: review them", icon=":material/flag:"):
            st.caption("Answers kept these names as written. Accept a name as an alias of its institution (or add "
                       "the institution) on the Skills and institutions page: its answers are linked and future "
                       "imports match it.")
            st.page_link("pages/skills.py", label="Review institution names", icon=":material/category:")
            st.dataframe(pd.DataFrame(review, columns=["Institution as typed", "Answers"]), hide_index=True,
                         width="stretch", key="institutions_to_review")
    proposed = skills.proposals(conn)
    if proposed:
        with st.expander(f"{len(proposed)} skill(s) typed by members are not in the taxonomy", icon=":material/lightbulb:"):
            st.caption("Free-text 'Other' answers from members' latest survey responses, with the closest existing "
                       "skill. Add each as a skill or an alias, or dismiss it, on the Skills and institutions page: "
                       "the answers that typed it are linked at once.")
            st.page_link("pages/skills.py", label="Decide on proposed skills", icon=":material/category:")
            st.dataframe(pd.DataFrame(proposed, columns=["Skill as typed", "Members", "Closest existing skill"]),
                         hide_index=True, width="stretch", key="skills_proposed")
    st.subheader("Import history")
    history = batches.list_batches(conn)
    if history.empty:
        st.info("Nothing has been imported yet.")
        return
    st.dataframe(history.rename(columns={
        "id": "Batch", "kind": "Kind", "cycle": "Program year", "file_name": "File", "file_hash": "SHA-256",
        "created_by": "By", "created_at": "When", "rows_read": "Rows", "new_count": "New",
        "updated_count": "Updated", "unchanged_count": "Unchanged", "undone_at": "Undone", "undone_by": "Undone by"}),
        hide_index=True, width="stretch", key="import_history")
    open_batches = history[history["undone_at"].isna()]
    if open_batches.empty:
        return
    labels = {f"#{row.id} · {row.file_name} · {forms.KIND_LABELS.get(row.kind, row.kind)} · {row.cycle}": int(row.id)
              for row in open_batches.itertuples()}
    st.markdown("**Undo an import**")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    # The widgets are keyed on the list they choose from: after an import or an undo the list changes, and a
    # choice kept from the old list could undo another import than the one shown.
    listed = f"{len(labels)}_{max(labels.values())}"
    chosen = left.selectbox("Import to undo", list(labels), key=f"undo_batch_{listed}")
    confirm = st.checkbox(f"Yes, remove everything import #{labels[chosen]} added (people it brought in, answers, "
                          "circles, attendance).", key=f"undo_confirm_{listed}")
    if right.button("Undo import", type="primary", disabled=not confirm, key="undo_button", icon=":material/undo:",
                    width="stretch"):
        try:
            removed = batches.undo_batch(conn, labels[chosen], actor=me.username)
        except ImportRefused as exc:
            st.error(escape(str(exc)))
        else:
            cache.clear()
            st.session_state[NOTICE] = (
                f"Undid import #{labels[chosen]}: " + ", ".join(f"{n} {t.replace('_', ' ')}"
                                                                for t, n in removed.items() if n) + ".")
            st.rerun()


changes.notice(NOTICE)

if upload is None:
    _history()
    st.stop()

data = upload.getvalue()
options = st.columns([2, 2, 1.4], vertical_alignment="bottom")
kind_choice = options[0].selectbox("Which form is this?", [AUTO_KIND, *forms.KIND_LABELS.values()], key="import_kind")
known_cycles = cycles.all_cycles(conn)
next_cycle = cycles.name_for(cycles.parse(known_cycles[-1]) + 1) if known_cycles else None
cycle_choices = [FROM_TIMESTAMPS, *reversed(known_cycles), *([next_cycle] if next_cycle else [])]
cycle_choice = options[1].selectbox("Program year", cycle_choices, key="import_cycle",
                                    help="Responses fall in the program year of their timestamp (September to "
                                         "August). Attendance sheets and rosters have no timestamps: choose it.")
day_first = options[2].checkbox("Dates are day/month", key="import_day_first",
                                help="Tick when the Sheet's locale writes 15/9/2025 instead of 9/15/2025.")
kind = None if kind_choice == AUTO_KIND else next(k for k, v in forms.KIND_LABELS.items() if v == kind_choice)
cycle = None if cycle_choice == FROM_TIMESTAMPS else cycle_choice

try:
    found = batches.inspect(conn, data, upload.name, kind=kind)
    sheet = None
    if len(found.sheet.sheet_names) > 1:
        sheet = st.selectbox("Sheet", found.sheet.sheet_names, key="import_sheet")
        if sheet != found.sheet.sheet:  # read the workbook again only for another sheet
            found = batches.inspect(conn, data, upload.name, sheet=sheet, kind=kind)
except ImportRefused as exc:
    st.error(escape(str(exc)), icon=":material/block:")
    _history()
    st.stop()

empty = batches.no_responses(found.sheet)
if empty:  # said before anything else: with no responses there is nothing to map, check or import
    st.error(escape(empty), icon=":material/block:")
    _history()
    st.stop()

if found.kind is None:
    st.error(escape(batches.unknown_form(found.sheet)), icon=":material/help:")
    _history()
    st.stop()

table = found.sheet
st.markdown(f"**{escape(upload.name)}**: {table.rows:,} rows, {len(table.headers)} columns · "
            f"{forms.KIND_LABELS[found.kind]}")
for note in table.notes:
    st.caption(escape(note))
if found.mapping_source == "remembered":
    st.info("These headers were imported before: the mapping confirmed then is used. Change it below if needed.",
            icon=":material/history:")

st.subheader("Columns")
st.caption("Each column of the file and the question it answers. Change a field in the right-hand column if the "
           "guess is wrong; required fields are marked *.")
labels = {spec.name: spec.label + (" *" if spec.required else "") for spec in forms.FIELDS[found.kind]}
if found.kind == "attendance":
    labels.update({f"month:{m}": f"Meeting: {m}" for m in forms.MONTHS})
by_label = {label: name for name, label in labels.items()}
proposed_from = "remembered" if found.mapping_source == "remembered" else "its header"
editor = pd.DataFrame({
    "Column in the file": table.headers,
    "Example": [", ".join(table.sample(h, 2))[:80] for h in table.headers],
    "Field": [labels.get(found.mapping.get(h, ""), IGNORE) for h in table.headers],
    "Proposed from": [GUESSED if h in found.guessed else proposed_from if found.mapping.get(h) else
                      WEAK if h in found.doubtful else "—" for h in table.headers],
})
# Tall enough for every column of the file (a form has one per question), so none hides below a scrollbar.
edited = st.data_editor(
    editor, hide_index=True, width="stretch", key=f"import_mapping_{found.file_hash[:12]}_{found.kind}",
    height=min(ROW_PX * (len(editor) + 1) + 3, ROW_PX * 41 + 3),
    disabled=["Column in the file", "Example", "Proposed from"],
    # Widths in pixels that add up to the content width at 1400 px with the sidebar open: the editable Field
    # column and the reason beside it are never cut off, the question is wrapped by the grid's ellipsis last.
    column_config={"Column in the file": st.column_config.TextColumn(width=320),
                   "Example": st.column_config.TextColumn(width=190),
                   "Field": st.column_config.SelectboxColumn("Field", options=[IGNORE, *labels.values()],
                                                              required=True, width=260),
                   "Proposed from": st.column_config.TextColumn(width=150)})
mapping = {row["Column in the file"]: by_label.get(row["Field"], "") for _, row in edited.iterrows()}
guessed = {h: f for h, f in found.guessed.items() if mapping.get(h) == f}
if guessed:
    st.info("Guessed from its answers, since no field matched the header: "
            + "; ".join(f"**{escape(h)}** → {forms.field(found.kind, f).label}" for h, f in guessed.items())
            + ". Check each one, and change it in the table above if it is wrong.", icon=":material/lightbulb:")
doubtful = {h: why for h, why in found.doubtful.items() if not mapping.get(h)}
if doubtful:
    st.warning("Not proposed, although the header suggests a field, because the answers do not fit it: "
               + "; ".join(f"**{escape(h)}**: {escape(why)}" for h, why in doubtful.items())
               + ". Choose the field in the table above if it is right after all.", icon=":material/help:")
unmapped = batches.not_imported(table.headers, mapping)
if unmapped:
    st.info("Not imported: " + "; ".join(f"**{escape(h)}**" for h in unmapped)
            + (". Its answers are left out unless you choose a field for it" if len(unmapped) == 1
               else ". Their answers are left out unless you choose a field for them") + " in the table above.",
            icon=":material/visibility_off:")
missing = forms.missing_required(found.kind, {h: f for h, f in mapping.items() if f})
if missing:
    st.error("Required field(s) not mapped: " + ", ".join(f"**{spec.label}**" for spec in missing)
             + ". Choose the column that holds each one in the table above.", icon=":material/warning:")
    _history()
    st.stop()

try:
    with st.spinner("Checking every row…"):
        preview = batches.import_bytes(conn, data, upload.name, kind=found.kind, cycle=cycle, mapping=mapping,
                                       dry_run=True, actor=me.username, sheet=sheet, day_first=day_first)
except ImportRefused as exc:
    st.error(escape(str(exc)), icon=":material/block:")
    _history()
    st.stop()

st.subheader("Preview")
figures = st.columns(7)
for column, (label, value) in zip(figures, [
        ("Rows read", preview.rows), ("New people", preview.new_people), ("New", preview.new),
        ("Updated", preview.updated), ("Unchanged", preview.unchanged), ("Repeats", preview.repeats),
        ("Errors", len(preview.errors))]):
    column.metric(label, f"{value:,}", border=True)
if preview.cycles:
    st.caption("Program year(s): " + ", ".join(preview.cycles))
for warning in (w for w in preview.warnings if w.row is None):
    st.warning(escape(str(warning)), icon=":material/warning:")

problems = preview.problems_frame()
if not problems.empty:
    title = (f"{len(preview.errors)} error(s) must be fixed in the file before it can be imported"
             if preview.errors else f"{len(preview.warnings)} warning(s): the file can be imported as it is")
    with st.expander(title, expanded=bool(preview.errors), icon=":material/error:" if preview.errors else
                     ":material/info:"):
        shown = problems.rename(columns={"severity": "Kind", "row": "Row", "column": "Column", "value": "Value",
                                         "message": "Problem"})[["Kind", "Row", "Column", "Problem", "Value"]]
        shown["Row"] = shown["Row"].map(lambda n: "" if pd.isna(n) else f"{int(n)}")
        if len(shown) <= WRAPPED_PROBLEMS:
            # A static table wraps its text: every problem is read whole, however long the sentence.
            st.table(shown.set_index("Kind"))
        else:
            st.dataframe(shown, hide_index=True, width="stretch", key="import_problems",
                         column_config={"Problem": st.column_config.TextColumn(width="large")})
        st.download_button("Download this list (CSV)", exports.to_csv(problems),
                           file_name=f"{upload.name.rsplit('.', 1)[0]}-problems.csv", mime="text/csv",
                           key="import_problems_download", icon=":material/download:")

nothing_new = not (preview.new or preview.updated)
if preview.errors:
    st.error("Nothing can be imported until the errors are fixed: correct the file (the list names row and "
             "column) and upload it again.", icon=":material/block:")
elif nothing_new:
    st.info("Everything in this file is already imported: nothing to do.", icon=":material/done_all:")

if st.button(f"Import {preview.new + preview.updated:,} new or updated record(s)", type="primary",
             disabled=bool(preview.errors) or nothing_new, key="import_commit"):
    bar = st.progress(0.0, text="Starting")
    try:
        result = batches.import_bytes(conn, data, upload.name, kind=found.kind, cycle=cycle, mapping=mapping,
                                      actor=me.username, sheet=sheet, day_first=day_first,
                                      progress=lambda fraction, text: bar.progress(fraction, text=text))
    except ImportRefused as exc:
        st.error(escape(str(exc)))
    else:
        if result.errors:
            st.error("Nothing was written: " + escape("; ".join(str(p) for p in result.errors[:5])))
        else:
            years = f", {', '.join(result.cycles)}" if result.cycles else ""
            changes.done(
                f"Imported {escape(upload.name)} as batch #{result.batch_id} ({forms.KIND_LABELS[result.kind]}{years}): "
                f"{result.new} new, {result.updated} updated, {result.unchanged} unchanged, {result.new_people} new "
                f"people. To take it back, choose #{result.batch_id} under **Undo an import** below. The uploader is "
                "ready for the next file.", RESET, NOTICE, import_uploads=uploads + 1)

st.divider()
_history()
