"""Backups: a consistent copy of the database made while the app runs, downloads, and a restore after a confirmation."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import pandas as pd
import streamlit as st

from lib.admin import backup, restore
from lib.settings import get_settings
from ui import cache, changes, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_admin("Backups", "make and restore backups",
                           "Ask an admin to make a backup or to restore one.", "Backups")
st.title("Backups")
settings = get_settings()
folder, database = settings.backup_dir, settings.db_path
NOTICE, RESET, SEEN, MADE = "backups_notice", "backups_reset", "backups_seen", "backups_made"
changes.resume(RESET)
st.caption(f"A backup is one complete database file: every table, row and setting, copied consistently while the "
           f"dashboard runs (changes saved meanwhile are wholly in it or not at all). Backups are kept in "
           f"{escape(folder)} and readable by the server's account only. Store a downloaded copy somewhere safe: "
           "it holds every email, application and password hash.")
changes.notice(NOTICE)
MEGABYTE = 1024 * 1024

# ------------------------------------------------------------------------------------------- make one
left, right = st.columns([1, 2], vertical_alignment="center")
if left.button("Make a backup now", type="primary", key="backup_make", icon=":material/backup:"):
    with st.spinner("Copying the database"):
        made_ok, made = changes.attempt(
            lambda: backup.backup(cache.cursor(), backup.backup_name(folder), me.username), SEEN)
    if made_ok:
        changes.done(escape(f"Backup made: {made.path.name}, {made.bytes / MEGABYTE:,.1f} MB ({made.rows:,} rows "
                            f"in {made.tables} tables, {made.seconds:.1f} s)."),
                     RESET, NOTICE, **{MADE: str(made.path)})
latest = next((f for f in backup.list_backups(folder) if str(f.path) == st.session_state.get(MADE)), None)
if latest:
    right.download_button(f"Download {latest.name}", latest.path.read_bytes, file_name=latest.name,
                          mime="application/octet-stream", key="backup_download_new", icon=":material/download:")

# ------------------------------------------------------------------------------------------- the list
st.subheader("Backups kept on the server")
files = backup.list_backups(folder)
if not files:
    st.info("No backups yet. Make one above; a backup is also made automatically before every restore.",
            icon=":material/info:")
else:
    st.dataframe(pd.DataFrame([{"File": f.name, "Made": f.modified, "Size (MB)": round(f.bytes / MEGABYTE, 1),
                                "Kind": f.kind} for f in files]),
                 hide_index=True, width="stretch", key="backups_table",
                 column_config={"Made": st.column_config.DatetimeColumn("Made", format="YYYY-MM-DD HH:mm:ss")})
    with st.expander(f"Download a backup ({len(files)})", icon=":material/download:"):
        for number, found in enumerate(files[:50]):
            st.download_button(f"{found.name} · {found.bytes / MEGABYTE:,.1f} MB", found.path.read_bytes,
                               file_name=found.name, mime="application/octet-stream", key=f"backup_download_{number}",
                               icon=":material/download:")
        if len(files) > 50:
            st.caption(f"The 50 newest are listed; {len(files) - 50} older ones are in the folder on the server.")

# ------------------------------------------------------------------------------------------- restore one
st.subheader("Restore")
st.caption("Replaces the whole database with a backup. Everyone using the dashboard sees the restored data from "
           "their next click; something being saved at that very moment is lost. A backup from an older version "
           "of the dashboard is brought up to date.")
source = st.segmented_control("Backup to restore", ["From the list", "Upload a file"], default="From the list",
                              key="restore_source") or "From the list"
chosen = None
if source == "From the list":
    by_name = {f.name: f.path for f in files}
    if by_name:
        chosen = by_name[st.selectbox("Backup", list(by_name), key="restore_choice")]
    else:
        st.info("No backup on the server yet: make one, or upload one.", icon=":material/info:")
else:
    upload = st.file_uploader("Backup file (.duckdb)", type=["duckdb"], max_upload_size=500, key="restore_upload",
                              help="A file made by this page or `python -m lib backup`; up to 500 MB. It is kept "
                                   "with the other backups once it checks out.")
    if upload is not None:
        kept = st.session_state.get("restore_uploaded")
        if kept and kept[0] == upload.file_id:
            chosen = kept[1]
        else:
            upload_ok, saved = changes.attempt(lambda: restore.save_upload(upload.getvalue(), upload.name, folder),
                                               SEEN)
            if upload_ok:
                chosen = saved[0]
                st.session_state["restore_uploaded"] = (upload.file_id, chosen)

if chosen is not None:
    try:
        held = restore.check(chosen)
    except ValueError as exc:
        st.error(f"Cannot restore this file: {escape(exc)}", icon=":material/block:")
        held = None
    if held:
        with st.container(border=True):
            st.markdown(f"**{escape(chosen.name)}** holds:")
            cols = st.columns(4)
            cols[0].metric("Program years", len(held["cycles"]), help=", ".join(held["cycles"]) or "none",
                           border=True)
            cols[1].metric("People", f"{held['people']:,}", border=True)
            cols[2].metric("Committee users", held["users"], border=True)
            cols[3].metric("Rows", f"{held['rows']:,}", help=f"in {len(held['tables'])} tables", border=True)
            for line in restore.describe(held)[1:]:
                st.caption(escape(line))
            with st.expander("Rows per table"):
                st.dataframe(pd.DataFrame(sorted(held["tables"].items()), columns=["Table", "Rows"]),
                             hide_index=True, width="stretch", key="restore_tables")
        confirm = st.checkbox(escape(f"Yes, replace the current database ({database.name}) with {chosen.name}. An "
                                     "automatic backup of the current database is made first, so this can be undone."),
                              key="restore_confirm")
        if st.button("Restore this backup", type="primary", disabled=not confirm, key="restore_button",
                     icon=":material/settings_backup_restore:"):
            with st.spinner("Backing up the current database, then restoring"):
                restored_ok, restored = changes.attempt(lambda: cache.restore_backup(chosen, me.username), SEEN)
            if restored_ok:
                undo = f" The database as it was is kept as {restored.undo.name}: restore it to undo this." \
                    if restored.undo else ""
                changes.done(escape(f"Restored {database.name} from {chosen.name} ({restored.held['rows']:,} rows, "
                                    f"{restored.seconds:.1f} s).{undo}"), RESET, NOTICE, forget=("restore_confirm",))
