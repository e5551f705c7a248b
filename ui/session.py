"""Who is logged in, which pages they may see, the sidebar and the selected cycle."""
from __future__ import annotations

import json
from dataclasses import dataclass

import streamlit as st

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


AUTH = "_auth"        # this browser session's login: {"username": ..., "token": ...}
COOKIE = "_cookie"    # what the browser's login cookie should become: ("set", token) or ("delete", None)
AFTER_LOGIN = "_after_login"


def _cookie_key() -> str:
    """Return the cookie key from Streamlit secrets when set, else from lib.auth (env or a file outside git)."""
    try:
        secret = st.secrets.get("cookie_key")
    except FileNotFoundError:
        secret = None
    except Exception:  # a malformed secrets.toml must not lock everyone out; fall back to the file key
        secret = None
    return secret or auth.cookie_key()


def _browser_cookie() -> str | None:
    """The login cookie the browser sent when this session connected (read by the server, no component)."""
    try:
        return st.context.cookies.get(get_settings().cookie_name)
    except Exception:  # no browser behind this run (bare mode)
        return None


def current_viewer() -> Viewer:
    """Resolve who is logged in, checking the token against the database on every run."""
    state = st.session_state.get(AUTH)
    token = state["token"] if state else _browser_cookie()
    if not token:
        return ANONYMOUS
    user = auth.user_for_token(cache.cursor(), token, _cookie_key())
    if user is None:
        # Logged out elsewhere, password changed, user removed, expired or forged: a visitor from now on.
        st.session_state.pop(AUTH, None)
        if _browser_cookie():
            st.session_state[COOKIE] = ("delete", None)
        return ANONYMOUS
    st.session_state[AUTH] = {"username": user.username, "token": token}
    return Viewer(user.username, user.name, user.role)


def log_in(username: str, password: str) -> None:
    """Log this session in (raises auth.LoginRefused), and have the browser keep a cookie for reloads."""
    conn = cache.cursor()
    user = auth.log_in(conn, username, password)
    token = auth.issue_token(conn, user.username, _cookie_key())
    st.session_state[AUTH] = {"username": user.username, "token": token}
    st.session_state[COOKIE] = ("set", token)
    st.session_state[AFTER_LOGIN] = True


def renew_login(who: Viewer) -> None:
    """Give this session a fresh token after its own password change ended every older one."""
    token = auth.issue_token(cache.cursor(), who.username, _cookie_key())
    st.session_state[AUTH] = {"username": who.username, "token": token}
    st.session_state[COOKIE] = ("set", token)


def log_out(who: Viewer) -> None:
    """End every session and cookie of this user on the server, and forget the login in this browser."""
    auth.end_sessions(cache.cursor(), who.username, actor=who.username)
    st.session_state.pop(AUTH, None)
    st.session_state[COOKIE] = ("delete", None)
    st.session_state["_logged_out"] = True


def land_after_login(default_page) -> None:
    """Right after a login, open the Overview (called by the router once the committee's pages exist)."""
    if st.session_state.pop(AFTER_LOGIN, False):
        st.switch_page(default_page)


def _sync_cookie() -> None:
    """Write or delete the browser's login cookie with a few lines of script, when this session changed it.

    A script in the page, not a component: a component reports back and reruns the app, and a click that
    arrives during that rerun is lost. Secure is added when the page is served over HTTPS.
    """
    operation = st.session_state.get(COOKIE)
    if not operation:
        return
    action, token = operation
    name = json.dumps(get_settings().cookie_name)
    if action == "set":
        max_age = int(get_settings().cookie_expiry_days * 86400)
        value = f"{name} + '=' + {json.dumps(token)} + '; path=/; max-age={max_age}"
    else:
        value = f"{name} + '=; path=/; max-age=0"
    st.html(f"<script>document.cookie = {value}; SameSite=Strict' + "
            "(location.protocol === 'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)


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
            if st.button("Log out", key="logout_button", icon=":material/logout:"):
                log_out(who)
                st.rerun()
        _sync_cookie()
    if st.session_state.pop("_logged_out", False):
        st.info("You are logged out.", icon=":material/logout:")
