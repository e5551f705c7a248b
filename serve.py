"""The server's entry point: `streamlit run serve.py` serves app.py and gets it ready before anyone asks.

Streamlit runs no app code until a browser opens a session, so on a plain `streamlit run app.py` the first
visitor after a start waits for every module to import, the database to open and the directory's search
index to build. Started through this `st.App`, the server does that work in a background thread as soon as
it starts: the health check answers at once, and a visitor who arrives during the warm-up waits only for
what is left of it (their run meets the same import and the same index build, never a second one).
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager

import streamlit as st

_LOG = logging.getLogger("ali.serve")
_THREAD = "ali-warm-up"
# The warm-up opens the cached connection outside any session's run, which Streamlit would log as a warning
# ("missing ScriptRunContext") that means nothing here.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    lambda record: record.threadName != _THREAD)


def warm() -> None:
    """Import what the pages use, open the process's one connection and build the search index (then return)."""
    started = time.perf_counter()
    try:
        import ui.startup  # noqa: F401  (every module a page imports, once)
        from lib.directory import search
        from ui import cache

        conn = cache.connection()  # the same cached connection the pages use; it starts the nightly backup
        if conn is not None and cache.get_settings().warm_search_index:
            search.warm(conn.cursor())
    except Exception:  # noqa: BLE001 - the first visitor then does the work and sees any error on the page
        _LOG.exception("warming up at server start failed")
        return
    # Printed, as Streamlit prints its own start-up lines: the operator (and the browser tests) see when it is ready.
    print(f"  Ready in {time.perf_counter() - started:.1f} s: pages imported, database open, search index built.",
          flush=True)


@asynccontextmanager
async def lifespan(_app):
    """Start the warm-up when the server starts; nothing to undo when it stops."""
    # Not a daemon: a server stopped mid-build waits the second it takes rather than tearing DuckDB down under a
    # running query (see lib.directory.search.warm_in_background).
    threading.Thread(target=warm, name=_THREAD, daemon=False).start()
    yield


app = st.App("app.py", lifespan=lifespan)
