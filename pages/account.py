"""Account: the committee login form for visitors; your own details and password once logged in."""
from ui import startup  # noqa: F401 - first of all: every module the pages use, imported in one thread
import streamlit as st

from lib.admin import auth
from ui import cache, session
from ui.markup import escape

session.page()  # first: a file Streamlit ran by itself goes through app.py

who = session.viewer()

if not who.is_committee:
    st.title("Committee login")
    st.caption("For members of the ALI Mentorship Committee. The Skills Directory is open to everyone without logging in.")
    session.login_form(after_login="overview")
    st.stop()

st.title("My account")
st.caption("Who you are logged in as, and your password.")
st.markdown(f"**{escape(who.name)}** · `{who.username}` · role **{who.role}**")
with st.form("own_password", clear_on_submit=True):
    st.markdown("**Change my password**")
    current = st.text_input("Current password", type="password", key="own_current")
    first = st.text_input("New password", type="password", key="own_new",
                          help=f"At least {auth.MIN_PASSWORD} characters.")
    second = st.text_input("Repeat the new password", type="password", key="own_new_again")
    if st.form_submit_button("Change password", type="primary"):
        conn = cache.cursor()
        try:
            auth.check_current_password(conn, who.username, current, client=session.client_address())
            checked = None
        except auth.LoginRefused as exc:
            checked = str(exc)
        if checked:
            st.error(escape(checked), icon=":material/block:")
        elif first != second:
            st.error("The two new passwords differ.")
        else:
            try:
                auth.set_password(conn, who.username, first, actor=who.username)
            except auth.UserError as exc:
                st.error(str(exc))
            else:
                session.renew_login(who)
                st.success("Password changed. Every other session and login cookie of yours has ended; "
                           "use the new password next time you log in.", icon=":material/check_circle:")
