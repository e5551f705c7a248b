"""Who is logged in, the login form, what each page requires, the sidebar and the selected program year.

A login lives in this browser session and, for reloads, in a cookie holding a signed token. The token is
checked against the database once at the start of every run (lib.admin.auth.user_for_token; pages then read the
result, viewer()), so logging out, changing a password or removing a user ends every session of that user at
its next action. A fragment's own rerun skips app.py, so a fragment checks again (viewer_in_fragment).
"""
from __future__ import annotations

import json
import runpy
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import streamlit as st

from lib import cycles
from lib.admin import auth
from lib.settings import get_settings

from . import cache
from .markup import escape


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

AUTH = "_auth"                # this browser session's login: {"username": ..., "token": ...}
COOKIE = "_cookie"            # what the browser's login cookie should become: ("set", token) or ("delete", None)
AFTER_LOGIN = "_after_login"  # set by the login page: open the Overview once the committee's pages exist

APP = Path(__file__).resolve().parents[1] / "app.py"
# True while app.py runs the chosen page: a page file run any other way was not routed (see page()).
_ROUTED: ContextVar[bool] = ContextVar("ali_routed", default=False)


# ------------------------------------------------------------------------------------------- routing


@contextmanager
def routing() -> Iterator[None]:
    """Mark the page run that app.py starts as routed (its page files check it first thing)."""
    marker = _ROUTED.set(True)
    try:
        yield
    finally:
        _ROUTED.reset(marker)


def page() -> None:
    """The first line of every page file: when Streamlit ran this file by itself, run the router instead.

    A folder named pages/ beside app.py makes a freshly started Streamlit server run a deep link such as
    /admin as that file alone, until the process first meets st.navigation. Such a run goes through app.py
    here (which checks who is logged in and opens the page the address names only for those who may see
    it) and then stops: nothing of the page itself has run outside the router.
    """
    if not _ROUTED.get():
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()


# ------------------------------------------------------------------------------------------- logging in


def _cookie_key() -> str:
    """Return the cookie key from Streamlit secrets when set, else from lib.admin.auth (env or a file outside git)."""
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


def client_address() -> str:
    """The address this session's browser connects from (per ALI_CLIENT_ADDRESS_HEADER behind a proxy)."""
    header = get_settings().client_address_header
    if header:
        forwarded = st.context.headers.get(header) or ""
        return forwarded.split(",")[0].strip() or "unknown"
    return st.context.ip_address or "unknown"


def log_in(username: str, password: str) -> None:
    """Log this session in (raises auth.LoginRefused), and have the browser keep a cookie for reloads."""
    conn = cache.cursor()
    user = auth.log_in(conn, username, password, client=client_address())
    token = auth.issue_token(conn, user.username, _cookie_key())
    st.session_state[AUTH] = {"username": user.username, "token": token}
    st.session_state[COOKIE] = ("set", token)


def renew_login(who: Viewer) -> None:
    """Give this session a fresh token after its own password change ended every older one."""
    token = auth.issue_token(cache.cursor(), who.username, _cookie_key())
    st.session_state[AUTH] = {"username": who.username, "token": token}
    st.session_state[COOKIE] = ("set", token)
    _sync_cookie()  # now: the sidebar, which writes it on every run, was drawn before the password changed


def log_out(who: Viewer) -> None:
    """End every session and cookie of this user on the server, and forget the login in this browser."""
    auth.end_sessions(cache.cursor(), who.username, actor=who.username)
    st.session_state.pop(AUTH, None)
    st.session_state[COOKIE] = ("delete", None)
    st.session_state["_logged_out"] = True


def login_form(after_login: str | None = None) -> None:
    """The committee login form; on success the app reruns as the logged-in user (on the same page)."""
    if not cache.has_users():
        st.warning("No committee user exists yet. In a terminal on the server, run `python -m lib init`: it "
                   "creates the user **admin** and shows its password there, once.", icon=":material/key:")
        return
    left, _ = st.columns([2, 3])
    with left.form("login-form"):
        st.subheader("Log in")
        username = st.text_input("Username", key="login_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return
    try:
        log_in(username, password)
    except auth.LoginRefused as exc:
        st.error(escape(str(exc)), icon=":material/block:")
        return
    if after_login:
        st.session_state[AFTER_LOGIN] = after_login
    st.rerun()


def land_after_login(pages_by_url: dict) -> None:
    """In the router, right after a login on the login page: open the page it asked for (the Overview)."""
    target = st.session_state.pop(AFTER_LOGIN, None)
    if target in pages_by_url:
        st.switch_page(pages_by_url[target])


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


# ------------------------------------------------------------------------------------------- what pages require


def viewer() -> Viewer:
    """Return the viewer resolved by app.py for this run."""
    return st.session_state.get("_viewer", ANONYMOUS)


def viewer_in_fragment() -> Viewer:
    """Return the viewer inside a fragment: on the fragment's own rerun (app.py not run) the login is checked
    again, and a viewer who changed (logged out elsewhere, password changed) gets the whole app run again."""
    if _ROUTED.get():
        return viewer()  # a whole run, inside the router: app.py checked moments ago
    before, now = viewer(), current_viewer()
    if now != before:
        st.session_state["_viewer"] = now
        st.rerun(scope="app")
    return now


def require_committee(what: str = "This page") -> Viewer:
    """Stop the page unless a committee member is logged in; a visitor gets the login form, then the page."""
    who = viewer()
    if not who.is_committee:
        st.title("Committee login")
        st.info(f"{what} is for the Mentorship Committee. Log in to open it.", icon=":material/lock:")
        login_form()
        st.stop()
    return who


def require_admin(title: str = "Users", what: str = "manage users",
                  ask: str = "Ask an admin if you need an account changed.", subject: str = "Managing users") -> Viewer:
    """Stop the page unless an admin is logged in: a visitor gets the login form, a committee member is told
    only an admin may `what` (the page is `title`; `subject` names it in the login prompt)."""
    who = require_committee(subject)
    if not who.is_admin:
        st.title(title)
        st.error(f"Only an admin can {what}. {ask}", icon=":material/block:")
        st.stop()
    return who


# ------------------------------------------------------------------------------------------- the sidebar


def selected_cycle() -> str | None:
    """Return the program year chosen in the sidebar (the current one for members)."""
    return st.session_state.get("_cycle")


# Streamlit leaves about 6rem above every page's title (the app's header needs far less), and draws captions
# in a faded grey below WCAG AA contrast (4.5:1) on this theme's background: darker here (7:1). The chosen option
# of a segmented control is drawn in the theme's teal on a teal tint, 4.2:1 under the mouse: a darker teal (6:1).
_STYLE = """<style>
[data-testid='stMainBlockContainer'] { padding-top: 2.5rem; }
[data-testid='stCaptionContainer'], [data-testid='stCaptionContainer'] p { color: #46545F !important; opacity: 1 !important; }
[data-testid='stCaptionContainer'] a { color: #1D5558 !important; }
button[data-variant='segmented_control'][aria-checked='true'],
button[data-variant='segmented_control'][aria-checked='true'] p { color: #1D5558 !important; }
</style>"""


def sidebar(who: Viewer, sections: dict) -> None:
    """Draw the navigation (the pages this viewer may use), the cycle selector, who is logged in, and logout."""
    conn = cache.cursor()
    names = cycles.all_cycles(conn)
    current = cycles.current(conn)
    with st.sidebar:
        with st.container(key="navigation"):
            for section, pages in sections.items():
                shown = [page for page in pages if page.visibility == "visible"]
                if section and shown:
                    st.caption(section)
                for page in shown:
                    st.page_link(page, label=page.title, icon=page.icon)
        st.divider()
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
            st.markdown(f"Logged in as **{escape(who.name)}**  \n`{who.username}` · {who.role}")
            if st.button("Log out", key="logout_button", icon=":material/logout:"):
                log_out(who)
                st.switch_page("pages/directory.py")  # a committee page would only ask to log in again
        _sync_cookie()
        st.html(_STYLE)
    if st.session_state.pop("_logged_out", False):
        st.info("You are logged out.", icon=":material/logout:")
