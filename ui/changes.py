"""Saving a change from a page: run it, say plainly why it was refused, and rerun with a notice."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from lib.db import ConflictError
from ui import cache
from ui.markup import escape


def attempt(action: Callable[[], object], seen_key: str,
            explain: Callable[[ValueError], str] = str) -> tuple[bool, object]:
    """Run one change; a refusal or a stale edit is shown as a clear message instead of failing the page."""
    try:
        return True, action()
    except ConflictError as exc:
        st.session_state.pop(seen_key, None)  # the next attempt is checked against what the page shows now
        st.error(f"Not saved: {escape(str(exc))} The page now shows the latest version.",
                 icon=":material/sync_problem:")
    except ValueError as exc:
        st.error(f"Not saved: {escape(explain(exc))}", icon=":material/block:")
    return False, None


def done(message: str, reset_key: str, notice_key: str, forget: tuple[str, ...] = (), **values) -> None:
    """After a change: forget cached reads and the given widgets, keep the message for the next run, rerun."""
    cache.clear()
    st.session_state[reset_key] = (forget, values)
    st.session_state[notice_key] = message
    st.rerun()


def resume(reset_key: str) -> None:
    """At the top of a page: forget the widgets the last change asked to forget and set the values it left."""
    forgotten, values = st.session_state.pop(reset_key, ((), {}))
    for key in forgotten:
        st.session_state.pop(key, None)
    st.session_state.update(values)


def notice(notice_key: str) -> None:
    """Show the message the last change left for this run, once."""
    if message := st.session_state.pop(notice_key, None):
        st.success(message, icon=":material/check_circle:")
