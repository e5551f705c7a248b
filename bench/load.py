"""Many visitors at once: simulated browsers speaking Streamlit's websocket protocol to a running server.

Each visitor opens /_stcore/stream (subprotocol "streamlit"), asks for a run of the Skills Directory the way the
frontend does (a BackMsg rerun_script with the page's name and the widgets' values), waits for that run's
script_finished, then types a list of typical searches one after another (the search box's widget id read from
the page it was sent; a fragment's id when the box lives in a fragment, as the frontend does), optionally
pausing between them. The same visitors then do the same against a bare Streamlit page drawing as many cards
(bench/cards_app.py), in the same run, and the table gives the directory's figures as a ratio of the bare
page's. Committee members (a user created in the benchmark's copy of the database, logged in by the cookie a
login leaves) open Overview, Circles and Coverage at once.

Servers listen on 127.0.0.1 only and are stopped at the end; every loop is bounded by counts and timeouts.
No timed assertion anywhere: this prints medians, percentiles and ratios.

    .venv/bin/python bench/load.py                       # 20 visitors, no pause, then 5 committee sessions
    .venv/bin/python bench/load.py --visitors 20 50 100 --think 5
    .venv/bin/python bench/load.py --visitors 100 --think 5 --json bench/results/load.json
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
CARDS_APP = ROOT / "bench" / "cards_app.py"
APP = ROOT / "serve.py"  # app.py as `python3 run.py app` and the service start it
# Six typical searches: a skill, a skill and an institution, an alias, a name, a skill and a place, an acronym.
SEARCHES = ["cataloging", "metadata Purdue", "info lit", "Jose Alvarez", "archives ball state", "oer"]
COMMITTEE_PAGES = [("overview", "Overview"), ("circles", "Peer Mentorship Circles"), ("coverage", "Coverage")]
RUN_TIMEOUT = 120.0      # a run that has not finished by then counts as an error
CONNECT_TIMEOUT = 60.0
COMMITTEE_USER = "bench-committee"


def _bench_run():
    """bench/run.py as a module (its database cache, server start and stop, environment)."""
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _bench_run()
log = runner.log


# --------------------------------------------------------------------------------------------------
# One simulated browser
# --------------------------------------------------------------------------------------------------

@dataclass
class Run:
    """What one script run sent back: how long it took, the texts drawn, errors."""

    seconds: float
    texts: list[str] = field(default_factory=list)
    error: str | None = None


class Browser:
    """One browser tab: a websocket session of a Streamlit server, with the widget ids it was sent."""

    def __init__(self, port: int, cookie: str | None = None):
        """Prepare a tab for the server on this port, sending this Cookie header (a login) when given."""
        self.port = port
        self.cookie = cookie
        self.ws = None
        self.widgets: dict[str, tuple[str, str]] = {}  # label -> (widget id, fragment id or "")
        self.page = ""  # the page this tab shows: every run names it, as the frontend's address does

    async def open(self) -> None:
        """Open the websocket the way the frontend does."""
        headers = {"Origin": f"http://127.0.0.1:{self.port}"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.ws = await websockets.connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                           additional_headers=headers, max_size=None, open_timeout=CONNECT_TIMEOUT,
                                           ping_interval=None)

    async def close(self) -> None:
        """Close the websocket (the server ends the session later, as for a closed tab)."""
        if self.ws is not None:
            await self.ws.close()

    async def run(self, page: str | None = None, values: dict[str, str] | None = None, fragment: str = "") -> Run:
        """Ask for a run of a page (default: the one shown; with text inputs' values by label) and wait for its
        script_finished."""
        if page is not None:
            self.page = page
        page = self.page
        message = BackMsg()
        state = message.rerun_script
        state.page_name = page
        state.fragment_id = fragment
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.context_info.url = f"http://127.0.0.1:{self.port}/{page}"
        for label, value in (values or {}).items():
            widget = state.widget_states.widgets.add()
            widget.id = self.widgets[label][0]
            widget.string_value = value
        start = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        texts: list[str] = []
        deadline = start + RUN_TIMEOUT
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return Run(time.perf_counter() - start, texts, "timeout")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
            except asyncio.TimeoutError:
                return Run(time.perf_counter() - start, texts, "timeout")
            except websockets.ConnectionClosed as exc:
                return Run(time.perf_counter() - start, texts, f"connection closed ({exc.code})")
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    return Run(time.perf_counter() - start, texts, f"exception: {element.exception.message[:200]}")
                if which == "text_input":
                    self.widgets[element.text_input.label] = (element.text_input.id, forward.delta.fragment_id)
                elif which in ("markdown", "heading"):
                    texts.append(getattr(element, which).body)
            elif kind == "page_not_found":
                return Run(time.perf_counter() - start, texts, "page not found")
            elif kind == "script_finished":
                if forward.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the script asked for another run (st.rerun, st.switch_page): wait for that one
                if forward.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    return Run(time.perf_counter() - start, texts, "compile error")
                return Run(time.perf_counter() - start, texts)

    async def search(self, text: str) -> Run:
        """Type a search in the box labelled Search (rerunning only its fragment when it lives in one)."""
        _, fragment = self.widgets["Search"]
        return await self.run(values={"Search": text}, fragment=fragment)


# --------------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------------

@dataclass
class Target:
    """A page under load: where it is served, and the text that shows a load and a search ran."""

    label: str
    port: int
    page: str
    loaded: str
    searched: str


def _check(run: Run, expected: str) -> Run:
    """Turn a run that did not draw the expected text into an error."""
    if run.error is None and not any(expected in text for text in run.texts):
        run.error = f"'{expected}' not drawn"
    return run


async def visitor(target: Target, searches: list[str], think: float, rng: random.Random, runs: list,
                  finished: asyncio.Event, remaining: list[int], cookie: str | None = None) -> None:
    """One visitor: load the page, then search one query after another, pausing about `think` seconds."""
    tab = Browser(target.port, cookie)
    try:
        try:
            await tab.open()
        except Exception as exc:  # a refused or failed connection is an error of this visitor
            runs.append(("connect", Run(0.0, error=f"connect: {exc.__class__.__name__}")))
            return
        run = _check(await tab.run(target.page), target.loaded)
        runs.append(("load", run))
        if run.error or "Search" not in tab.widgets:
            if not run.error:
                run.error = "no search box"
            return
        for text in searches:
            if think:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            result = _check(await tab.search(text), target.searched)
            runs.append(("search", result))
            if result.error and result.error.startswith("connection closed"):
                return
    finally:
        remaining[0] -= 1
        if remaining[0] == 0:
            finished.set()
        await finished.wait()  # every session stays open until the last visitor is done (memory is read then)
        await tab.close()


async def committee_member(port: int, cookie: str, rounds: int, runs: list) -> None:
    """One committee session: Overview, Circles and Coverage, `rounds` times over."""
    tab = Browser(port, cookie)
    try:
        await tab.open()
    except Exception as exc:
        runs.append(("connect", Run(0.0, error=f"connect: {exc.__class__.__name__}")))
        return
    try:
        for _ in range(rounds):
            for page, title in COMMITTEE_PAGES:
                runs.append((page, _check(await tab.run(page), title)))
    finally:
        await tab.close()


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (Linux /proc), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _sample_memory(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    """Keep the highest resident memory of the server seen while a phase runs."""
    while not stop.is_set():
        value = rss_mb(pid)
        if value is not None:
            peak[0] = max(peak[0], value)
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except asyncio.TimeoutError:
            pass


async def phase(target: Target, pid: int, visitors: int, searches: list[str], think: float, seed: int) -> dict:
    """Run `visitors` visitors at once against one page; return their figures."""
    runs: list = []
    finished, remaining = asyncio.Event(), [visitors]
    peak, stop = [rss_mb(pid) or 0.0], asyncio.Event()
    before = rss_mb(pid)
    sampler = asyncio.create_task(_sample_memory(pid, peak, stop))
    start = time.perf_counter()
    tasks = [asyncio.create_task(visitor(target, searches, think, random.Random(seed * 1000 + number), runs,
                                         finished, remaining)) for number in range(visitors)]
    await finished.wait()
    wall = time.perf_counter() - start
    with_sessions = rss_mb(pid)  # every visitor's session still open
    await asyncio.gather(*tasks)
    stop.set()
    await sampler
    return summarise(target.label, visitors, think, runs, wall) | {
        "rss_before_mb": before, "rss_with_sessions_mb": with_sessions, "rss_peak_mb": peak[0]}


def _percentile(values: list[float], share: float) -> float | None:
    """The value below which `share` of the values lie (nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise(label: str, visitors: int, think: float, runs: list, wall: float) -> dict:
    """Throughput, median, p95 and max of the successful runs, and the errors."""
    seconds = [run.seconds for _, run in runs if run.error is None]
    searches = [run.seconds for kind, run in runs if kind == "search" and run.error is None]
    errors = [f"{kind}: {run.error}" for kind, run in runs if run.error]
    return {"page": label, "visitors": visitors, "think_s": think, "runs": len(seconds), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5], "wall_s": wall,
            "throughput_per_s": len(seconds) / wall if wall else None,
            "p50_s": statistics.median(seconds) if seconds else None, "p95_s": _percentile(seconds, 0.95),
            "max_s": max(seconds) if seconds else None,
            "search_p50_s": statistics.median(searches) if searches else None,
            "search_p95_s": _percentile(searches, 0.95)}


# --------------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------------

def start_server(script: Path, env: dict, log_file: Path) -> tuple[subprocess.Popen, int]:
    """Start `streamlit run` on 127.0.0.1 and wait until it is healthy; return the process and its port."""
    port = runner.free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script.relative_to(ROOT)), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    out = open(log_file, "ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    try:
        runner.wait_health(port, proc, time.perf_counter() + runner.SERVER_TIMEOUT)
    except BaseException:
        runner.stop(proc)
        raise
    return proc, port


def committee_cookie(db_path: Path, env: dict) -> str:
    """Create a committee user in the benchmark's copy of the database and return the Cookie header of its login.

    The token is what a login issues (lib.admin.auth.issue_token), signed with the key the server is given.
    """
    sys.path.insert(0, str(ROOT))
    from lib import db
    from lib.admin import auth
    from lib.settings import get_settings

    conn = db.connect(db_path)
    try:
        if auth.get_user(conn, COMMITTEE_USER) is None:
            auth.add_user(conn, COMMITTEE_USER, "Benchmark Committee", secrets.token_urlsafe(18), role="committee",
                          actor="bench")
        token = auth.issue_token(conn, COMMITTEE_USER, env["ALI_COOKIE_KEY"])
    finally:
        conn.close()
    return f"{get_settings().cookie_name}={token}"


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------

def _fmt(value, digits: int = 2) -> str:
    """A number for the table, or a dash."""
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = ["| page | visitors | think s | runs | errors | runs/s | p50 s | p95 s | max s | search p50 s "
             "| search p95 s | server MB with sessions |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['page']} | {r['visitors']} | {r['think_s']:g} | {r['runs']} | {r['errors']} | "
                     f"{_fmt(r['throughput_per_s'], 1)} | {_fmt(r['p50_s'])} | {_fmt(r['p95_s'])} | "
                     f"{_fmt(r['max_s'])} | {_fmt(r.get('search_p50_s'))} | {_fmt(r.get('search_p95_s'))} | "
                     f"{_fmt(r.get('rss_with_sessions_mb'), 0)} |")
    return "\n".join(lines)


def ratios(rows: list[dict]) -> list[dict]:
    """For each load, the directory's throughput and p95 against the bare page's in the same run."""
    found = []
    for row in rows:
        if row["page"] != "Skills Directory":
            continue
        bare = [b for b in rows if b["page"] == "bare cards page" and b["visitors"] == row["visitors"]
                and b["think_s"] == row["think_s"]]
        if not bare or not row["throughput_per_s"] or not bare[0]["throughput_per_s"]:
            continue
        found.append({"visitors": row["visitors"], "think_s": row["think_s"],
                      "throughput_ratio": bare[0]["throughput_per_s"] / row["throughput_per_s"],
                      "p95_ratio": (row["p95_s"] / bare[0]["p95_s"]) if bare[0]["p95_s"] else None})
    return found


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------

async def measure(args, directory: Target, bare: Target, directory_pid: int, bare_pid: int,
                  cookie: str) -> tuple[list[dict], dict | None]:
    """Warm both pages up, then run each load against the bare page and the directory, alternating."""
    for target in (directory, bare):  # first runs build caches and the search index: not measured
        warm = await phase(target, directory_pid if target is directory else bare_pid, 1, SEARCHES[:2], 0, 0)
        if warm["errors"]:
            raise SystemExit(f"{target.label} does not work under the benchmark: {warm['error_kinds']}")
    rows = []
    for round_number in range(args.rounds):
        for visitors in args.visitors:
            order = [bare, directory] if round_number % 2 == 0 else [directory, bare]
            for target in order:
                pid = directory_pid if target is directory else bare_pid
                log(f"{target.label}: {visitors} visitors, think {args.think:g} s (round {round_number + 1}) ...")
                row = await phase(target, pid, visitors, args.searches, args.think, round_number + 1)
                row["round"] = round_number + 1
                log(f"  {row['runs']} runs in {row['wall_s']:.1f} s, {_fmt(row['throughput_per_s'], 1)}/s, "
                    f"p50 {_fmt(row['p50_s'])} s, p95 {_fmt(row['p95_s'])} s, errors {row['errors']} "
                    f"{row['error_kinds']}")
                rows.append(row)
    committee = None
    if args.committee:
        log(f"{args.committee} committee sessions at once: Overview, Circles, Coverage x {args.committee_rounds} ...")
        runs: list = []
        start = time.perf_counter()
        await asyncio.gather(*(committee_member(directory.port, cookie, args.committee_rounds, runs)
                               for _ in range(args.committee)))
        committee = summarise("committee: Overview, Circles, Coverage", args.committee, 0, runs,
                              time.perf_counter() - start)
        committee["per_page_p50_s"] = {page: statistics.median([r.seconds for k, r in runs if k == page
                                                                 and r.error is None] or [0.0])
                                       for page, _ in COMMITTEE_PAGES}
        log(f"  {committee['runs']} runs, p50 {_fmt(committee['p50_s'])} s, p95 {_fmt(committee['p95_s'])} s, "
            f"errors {committee['errors']} {committee['error_kinds']}")
    return rows, committee


def _merge(rows: list[dict]) -> list[dict]:
    """One row per page and load: medians over rounds (the rows themselves when there was one round)."""
    merged = {}
    for row in rows:
        merged.setdefault((row["page"], row["visitors"], row["think_s"]), []).append(row)
    out = []
    for (page, visitors, think), group in merged.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        combined = {"page": page, "visitors": visitors, "think_s": think,
                    "runs": sum(r["runs"] for r in group), "errors": sum(r["errors"] for r in group)}
        for name in ("throughput_per_s", "p50_s", "p95_s", "max_s", "rss_with_sessions_mb", "search_p50_s",
                     "search_p95_s"):
            values = [r[name] for r in group if r.get(name) is not None]
            combined[name] = (max(values) if name == "max_s" else statistics.median(values)) if values else None
        out.append(combined)
    return out


def main(argv: list[str] | None = None) -> int:
    """Start the app and the bare page on 127.0.0.1, put them under load, print the figures, stop them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, nargs="+", default=[20], help="visitors at once (several: one load each)")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between a visitor's searches (0.5x-1.5x)")
    parser.add_argument("--searches", nargs="+", default=SEARCHES, help="what each visitor types, in order")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every load this many times (alternating order)")
    parser.add_argument("--committee", type=int, default=5, help="committee sessions at once (0: none)")
    parser.add_argument("--committee-rounds", type=int, default=2)
    parser.add_argument("--people", type=int, default=None, help="a generated directory of N people (default: demo)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if max(args.visitors) > 500 or args.rounds > 10 or args.committee > 50:
        parser.error("at most 500 visitors, 10 rounds and 50 committee sessions")

    db_source, meta = runner.ensure_db(args.people)
    load_start = runner._loadavg()
    with tempfile.TemporaryDirectory(prefix="ali-bench-load-") as tmp:
        work = Path(tmp)
        db_path = runner.copy_db(db_source, work / "db")
        env = runner.ali_env(db_path, work / "exports")
        cookie = committee_cookie(db_path, env)
        log_file = work / "servers.log"
        directory_proc, directory_port = start_server(APP, env, log_file)
        try:
            bare_proc, bare_port = start_server(CARDS_APP, env, log_file)
            try:
                directory = Target("Skills Directory", directory_port, "directory", "ALI Skills Directory", "matching")
                bare = Target("bare cards page", bare_port, "", "Member 0", "Member 0")
                rows, committee = asyncio.run(measure(args, directory, bare, directory_proc.pid, bare_proc.pid,
                                                      cookie))
            finally:
                runner.stop(bare_proc)
        finally:
            runner.stop(directory_proc)
            if os.environ.get("ALI_BENCH_SHOW_LOG"):
                sys.stderr.write(log_file.read_text(errors="replace")[-4000:])
    load_end = runner._loadavg()
    merged = _merge(rows)
    print(f"# Load: {meta.get('scale')} ({meta.get('directory_published')} published), "
          f"searches {args.searches}; load average at start {load_start}, at end {load_end}; "
          f"{os.cpu_count()} CPUs\n")
    print(table(merged + ([committee] if committee else [])))
    found = ratios(merged)
    if found:
        print("\n| visitors | think s | bare runs/s over directory runs/s | directory p95 over bare p95 |\n"
              "|---:|---:|---:|---:|")
        for r in found:
            print(f"| {r['visitors']} | {r['think_s']:g} | {_fmt(r['throughput_ratio'])}x | {_fmt(r['p95_ratio'])}x |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": rows, "merged": merged, "ratios": found, "committee": committee,
                                         "load_start": load_start, "load_end": load_end, "db": meta}, indent=2,
                                        default=str) + "\n")
    return 1 if any(r["errors"] for r in merged) or (committee and committee["errors"]) else 0


if __name__ == "__main__":
    sys.exit(main())
