"""Users: who may log in to the committee pages, with which role."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import streamlit as st

from lib.admin import auth
from lib.db import ConflictError
from ui import cache, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

me = session.require_admin()
st.title("Users")
st.caption("Committee members who may log in. Admins also manage users; committee members see and edit program data.")
conn = cache.cursor()

users = auth.list_users(conn)
locked = auth.locked_users(conn)
st.dataframe([{"Username": u.username, "Name": u.name, "Email": u.email or "", "Role": u.role,
               "Locked until": locked.get(u.username)} for u in users],
             hide_index=True, width="stretch", key="users_table",
             column_config={"Locked until": st.column_config.DatetimeColumn(
                 "Locked until", format="YYYY-MM-DD HH:mm",
                 help="Locked after too many failed logins; setting a new password unlocks at once.")})
if locked:
    st.warning(f"{len(locked)} username(s) locked after failed logins. A lock ends by itself, or when you set a new "
               "password under **Reset a password**.", icon=":material/lock:")

add_tab, edit_tab, password_tab, remove_tab = st.tabs(["Add a user", "Change role or name", "Reset a password",
                                                       "Remove a user"])

with add_tab:
    with st.form("add_user", clear_on_submit=True):
        col1, col2 = st.columns(2)
        username = col1.text_input("Username", key="add_username", help="Lowercase letters, digits, '.', '_' or '-'")
        name = col2.text_input("Display name", key="add_name")
        email = col1.text_input("Email (optional)", key="add_email")
        role = col2.selectbox("Role", auth.ROLES, index=1, key="add_role")
        password = col1.text_input("Initial password", type="password", key="add_password",
                                   help=f"At least {auth.MIN_PASSWORD} characters; tell it to the person privately.")
        if st.form_submit_button("Add user", type="primary"):
            try:
                created = auth.add_user(conn, username, name, password, role=role, email=email, actor=me.username)
            except auth.UserError as exc:
                st.error(escape(str(exc)))
            else:
                cache.clear()
                st.toast(f"Added {created.username} ({created.role})", icon=":material/person_add:")
                st.rerun()

by_name = {u.username: u for u in users}
with edit_tab:
    chosen = st.selectbox("User", list(by_name), key="edit_user")
    if chosen:
        user = by_name[chosen]
        with st.form("edit_user_form"):
            new_name = st.text_input("Display name", value=user.name, key="edit_name")
            new_email = st.text_input("Email", value=user.email or "", key="edit_email")
            new_role = st.selectbox("Role", auth.ROLES, index=auth.ROLES.index(user.role), key="edit_role")
            if st.form_submit_button("Save changes"):
                try:
                    # The version read above guards against overwriting another admin's change.
                    auth.update_user(conn, chosen, version=user.version, name=new_name, email=new_email,
                                     role=new_role, actor=me.username)
                except (auth.UserError, ConflictError) as exc:
                    st.error(escape(str(exc)))
                else:
                    st.toast(f"Saved {chosen}", icon=":material/check:")
                    st.rerun()

with password_tab:
    target = st.selectbox("User", list(by_name), key="password_user")
    with st.form("password_form", clear_on_submit=True):
        first = st.text_input("New password", type="password", key="new_password")
        second = st.text_input("Repeat it", type="password", key="new_password_again")
        if st.form_submit_button("Set password"):
            if first != second:
                st.error("The two passwords differ.")
            else:
                try:
                    auth.set_password(conn, target, first, actor=me.username)
                except auth.UserError as exc:
                    st.error(escape(str(exc)))
                else:
                    st.success(f"Password of {target} changed. Their other sessions and login cookies have ended.")

with remove_tab:
    others = [u for u in by_name if u != me.username]
    if not others:
        st.info("You are the only user. Add another user before removing anyone.")
    else:
        victim = st.selectbox("User to remove", others, key="remove_user")
        confirm = st.checkbox(f"Yes, remove {victim}: they are logged out everywhere and can no longer log in.",
                              key="remove_confirm")
        if st.button("Remove user", type="primary", disabled=not confirm, key="remove_button"):
            try:
                auth.remove_user(conn, victim, actor=me.username)
            except auth.UserError as exc:
                st.error(escape(str(exc)))
            else:
                st.toast(f"Removed {victim}", icon=":material/person_remove:")
                st.rerun()
