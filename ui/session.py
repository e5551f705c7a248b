"""Who is logged in, which pages they may see, the sidebar and the selected cycle."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import streamlit_authenticator as stauth

from lib import auth, cycles
from lib.settings import get_settings

from . import cache


@dataclass(frozen=True)
class Viewer:
    """The person using this browser session: a committee user, or an anonymous member."""

    username: str | None
    name: str | None
    role: str | None

    @property
    def is_committee(self) -> bool:
        """Tell whether this viewer is logged in (admins are committee members too)."""
        return self.role in auth.ROLES

    @property
    def is_admin(self) -> bool:
        """Tell whether this viewer administers users."""
        return self.role == "admin"


ANONYMOUS = Viewer(None, None, None)


def _cookie_key() -> str:
    """Return the cookie key from Streamlit secrets when set, else from lib.auth (env or a file outside git)."""
    try:
        secret = st.secrets.get("cookie_key")
    except FileNotFoundError:
        secret = None
    except Exception:  # a malformed secrets.toml must not lock everyone out; fall back to the file key
        secret = None
    return secret or auth.cookie_key()


def authenticator() -> stauth.Authenticate:
    """Build this run's authenticator from the users in the database."""
    settings = get_settings()
    instance = stauth.Authenticate(
        auth.credentials(cache.cursor()),
        settings.cookie_name,
        _cookie_key(),
        settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=settings.login_sleep_seconds,
    )
    st.session_state["_authenticator"] = instance
    return instance


def current_viewer() -> Viewer:
    """Resolve who is logged in (checking the cookie), re-reading the role from the database."""
    instance = authenticator()
    instance.login(location="unrendered")
    username = st.session_state.get("username")
    if not st.session_state.get("authentication_status") or not username:
        return ANONYMOUS
    user = auth.get_user(cache.cursor(), username)
    if user is None:  # removed by an admin while logged in
        instance.logout(location="unrendered")
        return ANONYMOUS
    return Viewer(user.username, user.name, user.role)


def routed() -> None:
    """Make sure this run goes through app.py's router; restart the run through it if not.

    Streamlit treats a folder named pages/ beside the main script as an old-style "pages directory"
    app until the process first calls st.navigation. On a freshly started server a deep link such as
    /admin would run pages/admin.py on its own, skipping login and roles. Turning that mode off and
    rerunning sends the request through app.py, which then serves the page the link named (or
    "Page not found" when the visitor may not see it).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def viewer() -> Viewer:
    """Return the viewer resolved by app.py for this run."""
    return st.session_state.get("_viewer", ANONYMOUS)


def require_committee() -> Viewer:
    """Stop the page unless a committee member is logged in (pages are also unregistered for others)."""
    who = viewer()
    if not who.is_committee:
        st.error("This page is for the Mentorship Committee. Please log in.")
        st.stop()
    return who


def require_admin() -> Viewer:
    """Stop the page unless an admin is logged in."""
    who = require_committee()
    if not who.is_admin:
        st.error("Only an admin can manage users.")
        st.stop()
    return who


def selected_cycle() -> str | None:
    """Return the program year chosen in the sidebar (the current one for members)."""
    return st.session_state.get("_cycle")


def sidebar(who: Viewer) -> None:
    """Draw the cycle selector, who is logged in, and the logout button."""
    conn = cache.cursor()
    names = cycles.all_cycles(conn)
    current = cycles.current(conn)
    with st.sidebar:
        if who.is_committee and names:
            default = names.index(current) if current in names else len(names) - 1
            chosen = st.selectbox("Program year", names[::-1], index=len(names) - 1 - default, key="cycle",
                                  help="Every figure and list follows this program year (September to August).")
            st.session_state["_cycle"] = chosen
        else:
            st.session_state["_cycle"] = current
            if current:
                st.caption(f"Program year **{current}**")
        if who.is_committee:
            st.divider()
            st.markdown(f"Logged in as **{who.name}**  \n`{who.username}` · {who.role}")
            st.session_state["_authenticator"].logout("Log out", location="sidebar", key="logout_button")
    if who.is_committee and not st.session_state.get("authentication_status"):
        # Logged out just now: the browser deletes the cookie, then reruns the app as a visitor.
        st.info("You are logged out.", icon=":material/logout:")
        st.stop()
