"""Account: the committee login form for visitors; your own details and password once logged in."""
import time

import streamlit as st
from streamlit_authenticator.utilities import LoginError

from lib import auth
from ui import cache, session

session.routed()
LANDING_SECONDS = 2.0

who = session.viewer()

if not who.is_committee:
    st.title("Committee login")
    st.caption("For members of the ALI Mentorship Committee. The Skills Directory is open to everyone without logging in.")
    authenticator = st.session_state["_authenticator"]
    try:
        authenticator.login(location="main", key="login-form",
                            fields={"Form name": "Log in", "Username": "Username", "Password": "Password",
                                    "Login": "Log in"})
    except LoginError as exc:
        st.error(str(exc))
    status = st.session_state.get("authentication_status")
    if status:
        # The browser stores the login cookie and then reruns the app, which opens the Overview.
        st.session_state["_landing"] = (time.monotonic(), 2)
        st.success(f"Welcome, {st.session_state.get('name')}. Opening the Overview…", icon=":material/check_circle:")
        if st.button("Continue", key="continue_after_login"):
            st.rerun()
    elif status is False:
        st.error("Username or password is incorrect.")
    else:
        st.info("First time here? The first user, **admin**, was created when the database was set up and its "
                "password was printed once in the terminal. Otherwise ask an admin for an account.",
                icon=":material/info:")
    st.stop()

logged_in_at, bounces = st.session_state.get("_landing", (0.0, 0))
if bounces and time.monotonic() - logged_in_at < LANDING_SECONDS:
    # The cookie component reruns the app once or twice right after a login, each time on this page;
    # those reruns go on to the Overview, so the new session does not end up here.
    st.session_state["_landing"] = (logged_in_at, bounces - 1)
    st.switch_page("pages/overview.py")

st.title("My account")
st.caption("Who you are logged in as, and your password.")
st.markdown(f"**{who.name}** · `{who.username}` · role **{who.role}**")
with st.form("own_password", clear_on_submit=True):
    st.markdown("**Change my password**")
    current = st.text_input("Current password", type="password", key="own_current")
    first = st.text_input("New password", type="password", key="own_new",
                          help=f"At least {auth.MIN_PASSWORD} characters.")
    second = st.text_input("Repeat the new password", type="password", key="own_new_again")
    if st.form_submit_button("Change password", type="primary"):
        conn = cache.cursor()
        if not auth.verify_user(conn, who.username, current):
            st.error("The current password is not right.")
        elif first != second:
            st.error("The two new passwords differ.")
        else:
            try:
                auth.set_password(conn, who.username, first, actor=who.username)
            except auth.UserError as exc:
                st.error(str(exc))
            else:
                st.success("Password changed. Use the new one next time you log in.")
