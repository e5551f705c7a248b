"""Committee login: the only way to the committee pages."""
import streamlit as st
from streamlit_authenticator.utilities import LoginError

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
    st.rerun()
elif status is False:
    st.error("Username or password is incorrect.")
else:
    st.info("First time here? The first user, **admin**, was created when the database was set up; its password "
            "was printed once in the terminal. Ask an admin for an account.", icon=":material/info:")
