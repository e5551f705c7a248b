#!/usr/bin/env python3
"""Benchmark the dashboard: cold start of the server and page renders, each as a ratio to a trivial app.

Run from the project root with the project's virtualenv:

    .venv/bin/python bench/run.py [--quick] [--people 100000] [--repeat N] [--json out.json]

Every measure is taken several times and reported as a median, next to the median of a baseline measured
in the same run (a one-line Streamlit app, bench/empty_app.py), interleaved with the measured runs so that
machine drift affects both. Compare the ratios across machines, not the seconds. See bench/README.md.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
CACHE = BENCH / ".cache"
APP = ROOT / "app.py"  # what AppTest renders
SERVER = ROOT / "serve.py"  # what `python3 run.py app` and the service start: app.py, warmed as the server starts
EMPTY_APP = BENCH / "empty_app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# What decides the content of a built demo database. The brief names the first three; forms.py (parsing
# used by imports) and data/reference/ (seeded by a migration and sampled by the demo) are inputs too.
HASHED = ("lib/migrations", "lib/demo", "lib/imports/batches.py", "lib/imports/forms.py", "data/reference")
DEMO_PEOPLE = 420  # lib.demo.world.DEFAULT_PEOPLE, only for labels
APP_READY_TEXT = "ALI Skills Directory"
WARMED_LINE = b"Ready in "  # serve.py prints it once the pages are imported and the search index built
EMPTY_READY_TEXT = "ok"
SERVER_TIMEOUT = 180.0


def log(text: str) -> None:
    """Progress goes to stderr so that stdout holds only the results table."""
    print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Databases: built once per people count and content hash, kept under bench/.cache/
# --------------------------------------------------------------------------------------------------

def content_hash() -> str:
    """Hash the files that decide a built database's content (by content, not by git)."""
    digest = hashlib.sha256()
    for entry in HASHED:
        base = ROOT / entry
        files = [base] if base.is_file() else sorted(
            p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
        for path in files:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def ali_env(db_path: Path, demo_dir: Path) -> dict[str, str]:
    """Return the environment for a subprocess using one database and a fixed cookie key."""
    env = dict(os.environ)
    env.update({"ALI_DB": str(db_path), "ALI_DEMO_DIR": str(demo_dir),
                "ALI_COOKIE_KEY": "bench-cookie-key-not-secret-only-for-benchmarks",
                "PYTHONUNBUFFERED": "1"})
    env.pop("ALI_COOKIE_KEY_FILE", None)
    return env


def scale_label(people: int | None) -> str:
    """Name a scale for the table."""
    return f"demo ({DEMO_PEOPLE})" if people is None else f"{people:,} people"


def ensure_db(people: int | None) -> tuple[Path, dict]:
    """Return a cached database for this people count (None: the default demo), building it when missing."""
    key = content_hash()
    name = "demo" if people is None else f"people-{people}"
    folder = CACHE / key
    path, meta_path = folder / f"{name}.duckdb", folder / f"{name}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        meta["built_now"] = False
        return path, meta
    folder.mkdir(parents=True, exist_ok=True)
    cmd = ([sys.executable, "-m", "lib", "init", "--demo"] if people is None
           else [sys.executable, "-m", "lib", "demo", "--people", str(people)])
    with tempfile.TemporaryDirectory(prefix="ali-bench-build-") as tmp:
        built = Path(tmp) / "build.duckdb"
        env = ali_env(built, Path(tmp) / "exports")
        log(f"Building the {scale_label(people)} database ({' '.join(cmd[1:])}) into {folder} ...")
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"Building the database failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-3000:]}")
        stats = subprocess.run([sys.executable, "-m", "lib", "stats", "--json"], cwd=ROOT, env=env,
                               capture_output=True, text=True)
        figures = json.loads(stats.stdout.strip().splitlines()[-1]) if stats.returncode == 0 else {}
        for suffix in ("", ".wal"):
            source = Path(str(built) + suffix)
            if source.exists():
                shutil.move(source, Path(str(path) + ".tmp" + suffix))
        for suffix in (".wal", ""):  # the main file last: its presence marks a finished build
            moved = Path(str(path) + ".tmp" + suffix)
            if moved.exists():
                os.replace(moved, Path(str(path) + suffix))
    size = sum(p.stat().st_size for p in (path, Path(str(path) + ".wal")) if p.exists())
    meta = {"scale": scale_label(people), "people_option": people, "command": " ".join(["python", *cmd[1:]]),
            "content_hash": key, "build_seconds": round(seconds, 2), "size_bytes": size,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "people": figures.get("people"), "directory_published": figures.get("directory_published"),
            "current_cycle": figures.get("current_cycle")}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    meta["built_now"] = True
    log(f"  built in {seconds:.1f} s, {size / 1e6:.1f} MB, {figures.get('people')} people")
    return path, meta


def copy_db(source: Path, folder: Path) -> Path:
    """Copy a cached database (and its WAL, if any) so that nothing measured can change the cache."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copy2(source, target)
    if Path(str(source) + ".wal").exists():
        shutil.copy2(Path(str(source) + ".wal"), Path(str(target) + ".wal"))
    return target


# --------------------------------------------------------------------------------------------------
# Measure 1: cold start of `streamlit run` until the first page is served
# --------------------------------------------------------------------------------------------------

def free_port() -> int:
    """Return a TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_health(port: int, proc: subprocess.Popen, deadline: float) -> None:
    """Poll /_stcore/health until it answers ok."""
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200 and resp.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{url} did not answer ok within {SERVER_TIMEOUT:.0f} s")
        time.sleep(0.02)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server this script started (by its own handle)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def one_cold_start(script: Path, env: dict, browser, ready_text: str, log_file: Path,
                   after_warm_up: bool = False) -> dict[str, float]:
    """Start a server, wait for health, then (with a browser) for the page's text and the end of its run.

    With after_warm_up, the browser goes to the page only once serve.py says it is ready, and `visit` is the
    time from then to the page served: what the first visitor a few seconds after a start waits.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script.relative_to(ROOT)),
           "--server.port", str(port), "--server.headless", "true"]
    times: dict[str, float] = {}
    with open(log_file, "ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_health(port, proc, start + SERVER_TIMEOUT)
            times["health"] = time.perf_counter() - start
            if after_warm_up:
                wait_for_line(log_file, WARMED_LINE, proc, start + SERVER_TIMEOUT)
                times["ready"] = time.perf_counter() - start
            if browser is not None:
                context = browser.new_context()
                try:
                    page = context.new_page()
                    visit = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/", wait_until="commit", timeout=SERVER_TIMEOUT * 1000)
                    page.get_by_text(ready_text, exact=True).first.wait_for(state="visible",
                                                                            timeout=SERVER_TIMEOUT * 1000)
                    # The text shows while the script still runs; the page is served when the run ends.
                    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
                        state="attached", timeout=SERVER_TIMEOUT * 1000)
                    times["page"] = time.perf_counter() - start
                    times["visit"] = time.perf_counter() - visit
                    problems = page.locator('[data-testid="stException"]')
                    if problems.count():
                        raise RuntimeError(f"{script.name} showed {problems.count()} exception(s) in the browser: "
                                           f"{problems.first.inner_text()[:500]}")
                finally:
                    context.close()
        finally:
            stop(proc)
    return times


def wait_for_line(log_file: Path, line: bytes, proc: subprocess.Popen, deadline: float) -> None:
    """Wait until the server's log (shared by every server of the run: only what this one wrote) holds a line."""
    offset = log_file.stat().st_size if log_file.exists() else 0
    seen = b""
    while time.perf_counter() < deadline:
        with open(log_file, "rb") as handle:
            handle.seek(offset)
            seen += handle.read()
            offset = handle.tell()
        if line in seen:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before printing {line!r}")
        time.sleep(0.05)
    raise RuntimeError(f"the server did not print {line!r} within {SERVER_TIMEOUT:.0f} s")


def first_visits(db_path: Path, demo_dir: Path, repeat: int, browser, log_file: Path) -> list[float]:
    """Time the first visitor's Skills Directory after serve.py has warmed up (a fresh server each time)."""
    env = ali_env(db_path, demo_dir)
    return [one_cold_start(SERVER, env, browser, APP_READY_TEXT, log_file, after_warm_up=True)["visit"]
            for _ in range(repeat)]


def open_browser():
    """Start Debian's Chromium through Playwright, or return (None, None, why) when that is impossible."""
    if not CHROMIUM.exists():
        return None, None, f"{CHROMIUM} is missing: cold start timed to the health check only (no page render)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        return None, None, f"Playwright is not importable ({exc}): cold start timed to the health check only"
    runner = sync_playwright().start()
    try:
        browser = runner.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - any launch failure means the fallback
        runner.stop()
        return None, None, f"Chromium did not start ({exc}): cold start timed to the health check only"
    return runner, browser, None


def cold_start(db_path: Path, demo_dir: Path, repeat: int, browser, log_file: Path) -> dict[str, dict[str, list]]:
    """Time app and empty-app cold starts, interleaved (alternating which goes first), after one warm-up each."""
    env = ali_env(db_path, demo_dir)
    runs = {"app": (SERVER, APP_READY_TEXT), "empty": (EMPTY_APP, EMPTY_READY_TEXT)}
    samples: dict[str, dict[str, list]] = {name: {"health": [], "page": []} for name in runs}
    log("  cold start: warm-up (file cache, .pyc) ...")
    for name, (script, text) in runs.items():
        one_cold_start(script, env, browser, text, log_file)
    for i in range(repeat):
        order = ["app", "empty"] if i % 2 == 0 else ["empty", "app"]
        for name in order:
            script, text = runs[name]
            times = one_cold_start(script, env, browser, text, log_file)
            for key in samples[name]:
                if key in times:
                    samples[name][key].append(times[key])
        log(f"  cold start {i + 1}/{repeat}: app {samples['app']['health'][-1]:.2f}/"
            f"{(samples['app']['page'] or [float('nan')])[-1]:.2f} s, empty {samples['empty']['health'][-1]:.2f}/"
            f"{(samples['empty']['page'] or [float('nan')])[-1]:.2f} s (health/page)")
    return samples


# --------------------------------------------------------------------------------------------------
# Measure 2: page renders with AppTest (run in a worker process per scale)
# --------------------------------------------------------------------------------------------------

# (label, page to switch to when logged in as admin, or None for the logged-out default page, expected title)
PAGES = [
    ("Skills Directory (logged out)", None, "ALI Skills Directory"),
    ("Overview", "pages/overview.py", "Overview"),
    ("Skills Directory", "pages/directory.py", "ALI Skills Directory"),
    ("Coverage", "pages/coverage.py", "Coverage"),
    ("Circles", "pages/circles.py", "Peer Mentorship Circles"),
    ("Meetings and attendance", "pages/attendance.py", "Meetings and attendance"),
    ("Outcomes", "pages/outcomes.py", "Outcomes"),
    ("Annual report", "pages/report.py", "Annual report"),
    ("Import", "pages/imports.py", "Import"),
    ("Skills and institutions", "pages/skills.py", "Skills and institutions"),
    ("Users", "pages/admin.py", "Users"),
    ("Account", "pages/account.py", "My account"),
]
EMPTY_LABEL = "empty page"
# The same first renders once the server has built the directory's search index in the background, as it does
# when it opens the database (lib.directory.search.warm_in_background): what every visitor after the first few seconds of a
# start, and every visitor after a change, gets.
WARM_SUFFIX = ", index built in the background"
WARM_PAGES = [(label + WARM_SUFFIX, page, title) for label, page, title in PAGES if "Skills Directory" in label]


def _worker_apptest(repeat: int, out_path: Path) -> int:
    """Inside a worker: time the first (cold caches) and a repeated (warm) render of each page and the empty app."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(ROOT))  # the tests folder is not an installed package
    from lib.directory import search
    from tests.apptest_support import sign_in  # what a successful login form leaves in the session

    def clear_caches() -> None:
        """Forget cached data and resources, as after a server restart (imports and OS file cache stay warm)."""
        st.cache_data.clear()
        st.cache_resource.clear()
        search.forget_indexes()  # the directory's search index, kept by lib in the process

    def check(at, label: str, title: str | None) -> None:
        if at.exception:
            raise RuntimeError(f"{label}: exception: {[e.message for e in at.exception]}")
        if title is None:
            texts = [m.value for m in at.markdown]
            if EMPTY_READY_TEXT not in texts:
                raise RuntimeError(f"{label}: expected '{EMPTY_READY_TEXT}', got {texts}")
            return
        titles = [t.value for t in at.title]
        if title not in titles:
            raise RuntimeError(f"{label}: expected title '{title}', got {titles}")

    def timed_run(at) -> float:
        start = time.perf_counter()
        at.run()
        return time.perf_counter() - start

    def measure(label: str, page: str | None, title: str | None) -> tuple[float, float]:
        """Time one first render (caches cleared) and one re-render of a page."""
        # Every case primes a fresh AppTest with one untimed run: a fresh AppTest's first run scans the
        # installed packages for components (~0.2 s of harness work, not app work), and st.navigation
        # pages can only be switched to after a run.
        if label == EMPTY_LABEL:
            at = AppTest.from_file(str(EMPTY_APP), default_timeout=120)
            at.run()
            check(at, f"{label} (priming run)", None)
        elif page is None:
            at = AppTest.from_file(str(APP), default_timeout=120)
            at.run()  # logged out, the default page is the directory
            check(at, f"{label} (priming run)", title)
        else:
            at = AppTest.from_file(str(APP), default_timeout=120)
            sign_in(at, "admin")
            at.run()  # lands on the committee's default page, the Overview
            check(at, f"{label} (priming run)", "Overview")
            at.switch_page(page)
        clear_caches()
        if label.endswith(WARM_SUFFIX):
            from ui import cache

            search.warm(cache.cursor())  # what the server's background thread did after opening the database
        cold = timed_run(at)
        check(at, f"{label} (first render)", title)
        warm = timed_run(at)
        check(at, f"{label} (re-render)", title)
        return cold, warm

    cases = [(EMPTY_LABEL, None, None), *PAGES, *WARM_PAGES]
    samples = {label: {"cold": [], "warm": []} for label, _, _ in cases}
    print("warm-up pass (imports)", flush=True)
    for case in cases:
        measure(*case)
    for i in range(repeat):
        rotated = cases[i % len(cases):] + cases[:i % len(cases)]  # interleaved, order rotated each round
        for case in rotated:
            cold, warm = measure(*case)
            samples[case[0]]["cold"].append(cold)
            samples[case[0]]["warm"].append(warm)
        print(f"round {i + 1}/{repeat}: " + ", ".join(
            f"{label} {s['cold'][-1]:.2f}/{s['warm'][-1]:.2f}" for label, s in samples.items()), flush=True)
    out_path.write_text(json.dumps(samples))
    return 0


def _run_worker(kind: str, db_path: Path, demo_dir: Path, repeat: int, work: Path, tag: str) -> tuple[dict, Path]:
    """Run one kind of measure in a fresh worker process pointed at one database; return its JSON and log path."""
    out_path, log_path = work / f"{kind}-{tag}.json", work / f"{kind}-{tag}.log"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--repeat", str(repeat),
           "--worker-out", str(out_path)]
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=ali_env(db_path, demo_dir), stdout=out, stderr=subprocess.STDOUT)
        proc.wait()
    if proc.returncode != 0 or not out_path.exists():
        tail = log_path.read_text(errors="replace")[-4000:]
        raise SystemExit(f"The {kind} worker failed ({proc.returncode}); end of its log:\n{tail}")
    return json.loads(out_path.read_text()), log_path


def apptest(db_path: Path, demo_dir: Path, repeat: int, work: Path, tag: str) -> dict[str, dict[str, list]]:
    """Run the AppTest measures in a fresh worker process pointed at one database."""
    samples, log_path = _run_worker("apptest", db_path, demo_dir, repeat, work, tag)
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("round "):
            log(f"  apptest {line}")
    return samples


# --------------------------------------------------------------------------------------------------
# Measure 3: directory search latency against a bare ILIKE scan of the same data
# --------------------------------------------------------------------------------------------------

# What people type: skills, aliases and spellings, typos, names with and without accents, several words, phrases.
SEARCHES = ["cataloging", "cataloguing", "catalogng", "info lit", "Jose Alvarez", "Zoë", "oer",
            "archives ball state", '"metadata librarian"', "leadership northeast", "digital humanities", "O'Neil"]


def _worker_search(repeat: int, out_path: Path) -> int:
    """Inside a worker: time lib.directory.search against `hay ILIKE '%word%'` over the same index, interleaved."""
    from lib import cycles, db
    from lib.directory import search

    conn = db.connect()
    cycle = cycles.current(conn)
    found = search.index(conn, cycle)  # built once per data version, as in the app; not timed
    samples: dict[str, dict[str, list[float]]] = {q: {"search": [], "ilike": []} for q in SEARCHES}
    for round_number in range(repeat):
        for query in SEARCHES:
            start = time.perf_counter()
            search.search(conn, cycle, query, limit=25)
            samples[query]["search"].append(time.perf_counter() - start)
            word = query.strip('"').split()[0]
            start = time.perf_counter()
            conn.register("search_index", found.table)
            conn.execute("SELECT person_id, name FROM search_index WHERE hay ILIKE ?", [f"%{word}%"]).fetchall()
            conn.unregister("search_index")
            samples[query]["ilike"].append(time.perf_counter() - start)
        print(f"round {round_number + 1}/{repeat}: " + ", ".join(
            f"{q} {s['search'][-1] * 1000:.0f}/{s['ilike'][-1] * 1000:.0f} ms" for q, s in samples.items()), flush=True)
    out_path.write_text(json.dumps({"rows": found.table.num_rows, "samples": samples}))
    return 0


def search_latency(db_path: Path, demo_dir: Path, repeat: int, work: Path, tag: str) -> dict:
    """Run the search measure in a fresh worker process pointed at one database."""
    return _run_worker("search", db_path, demo_dir, repeat, work, tag)[0]


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------

def median(values: list[float]) -> float | None:
    """Median, or None for no samples."""
    return statistics.median(values) if values else None


def row(measure: str, scale: str, values: list[float], baseline: list[float]) -> dict:
    """One table row: medians of the measure and of its same-run baseline, and their ratio."""
    m, b = median(values), median(baseline)
    return {"measure": measure, "scale": scale, "median_s": m, "baseline_median_s": b,
            "ratio": (m / b) if m is not None and b else None, "n": len(values), "samples_s": values,
            "baseline_samples_s": baseline}


def table(rows: list[dict]) -> str:
    """Format the rows as a Markdown table."""
    header = ["measure", "scale", "median s", "baseline median s", "ratio"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", "---", "---:", "---:", "---:"]) + "|"]
    for r in rows:
        fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.1f}×"
        lines.append(f"| {r['measure']} | {r['scale']} | {fmt(r['median_s'])} | {fmt(r['baseline_median_s'])} "
                     f"| {ratio} |")
    return "\n".join(lines)


def machine() -> dict:
    """Describe the machine and the versions that matter."""
    import duckdb
    import streamlit

    return {"date": datetime.now().astimezone().isoformat(timespec="seconds"), "nproc": os.cpu_count(),
            "python": platform.python_version(), "streamlit": streamlit.__version__, "duckdb": duckdb.__version__,
            "platform": platform.platform(), "loadavg_at_start": _loadavg()}


def _loadavg() -> str | None:
    """Return the 1/5/15-minute load averages (other work on the machine makes medians noisier)."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Parse options, prepare databases, measure, print the table (and write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (2) and no large scale: a smoke check")
    parser.add_argument("--people", type=int, default=100_000, help="people in the large-scale database")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measure (default 5, --quick 2)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results and raw samples here")
    parser.add_argument("--worker", choices=["apptest", "search"], help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 5)
    if repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.worker == "apptest":
        return _worker_apptest(repeat, args.worker_out)
    if args.worker == "search":
        return _worker_search(repeat, args.worker_out)

    os.chdir(ROOT)
    info = machine()
    scales: list[int | None] = [None] if args.quick else [None, args.people]
    builds = {}
    for people in scales:
        path, meta = ensure_db(people)
        builds[scale_label(people)] = (path, meta)

    runner, browser, browser_note = open_browser()
    if browser_note:
        log(f"NOTE: {browser_note}")
    rows: list[dict] = []
    rendered: dict[str, dict] = {}
    visits: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="ali-bench-") as tmp:
            work = Path(tmp)
            for index, people in enumerate(scales):
                label = scale_label(people)
                cached, _ = builds[label]
                copy = copy_db(cached, work / f"db-{index}")
                demo_dir = work / f"exports-{index}"
                log(f"[{label}] cold start ({repeat} runs each) ...")
                cold = cold_start(copy, demo_dir, repeat, browser, work / "servers.log")
                rows.append(row("cold start: health ok", label, cold["app"]["health"], cold["empty"]["health"]))
                if browser is not None:
                    rows.append(row("cold start: first page served", label, cold["app"]["page"],
                                    cold["empty"]["page"]))
                    log(f"[{label}] first visitor once the server says it is ready ({repeat} runs) ...")
                    visits[label] = first_visits(copy, demo_dir, repeat, browser, work / "servers.log")
                log(f"[{label}] AppTest page renders ({repeat} runs each) ...")
                samples = apptest(copy, demo_dir, repeat, work, str(index))
                for page, _, _ in PAGES + WARM_PAGES:
                    rows.append(row(f"AppTest first render: {page}", label, samples[page]["cold"],
                                    samples[EMPTY_LABEL]["cold"]))
                for page, _, _ in PAGES:
                    rows.append(row(f"AppTest re-render: {page}", label, samples[page]["warm"],
                                    samples[EMPTY_LABEL]["warm"]))
                rendered[label] = samples
                log(f"[{label}] directory search against ILIKE ({repeat} rounds) ...")
                searched = search_latency(copy, demo_dir, repeat, work, str(index))
                per_query = searched["samples"]
                # The median over queries of each query's median: one slow query cannot dominate.
                rows.append(row(f"search, median of {len(per_query)} queries ({searched['rows']:,} members)", label,
                                [median(s["search"]) for s in per_query.values()],
                                [median(s["ilike"]) for s in per_query.values()]))
            if len(scales) > 1:
                small, large = scale_label(scales[0]), scale_label(scales[-1])
                for page in ("Skills Directory (logged out)", "Skills Directory", "Coverage",
                             *(label for label, _, _ in WARM_PAGES)):
                    rows.append(row(f"AppTest first render at {large} against {small}: {page}", large,
                                    rendered[large][page]["cold"], rendered[small][page]["cold"]))
                if visits:
                    rows.append(row(f"first visitor after a start (Chromium, serve.py warmed) at {large} against "
                                    f"{small}: Skills Directory (logged out)", large, visits[large], visits[small]))
    finally:
        if browser is not None:
            browser.close()
        if runner is not None:
            runner.stop()

    print(f"ALI dashboard benchmark, {info['date']}: {info['nproc']} CPUs, Python {info['python']}, "
          f"Streamlit {info['streamlit']}, DuckDB {info['duckdb']}; medians of {repeat} runs; "
          f"load average {info['loadavg_at_start']} at start, {_loadavg()} at end")
    print("Baselines: bench/empty_app.py (cold start: same server command; AppTest: same kind of render); search: "
          "`hay ILIKE '%word%'` over the same index, the first word of each query; render at scale: the same page at "
          "demo scale.")
    if browser_note:
        print(f"NOTE: {browser_note}")
    print()
    print(table(rows))
    print()
    for label, (path, meta) in builds.items():
        how = "built now" if meta["built_now"] else f"cached, built {meta['built_at']}"
        print(f"Database {label}: {meta['size_bytes'] / 1e6:.1f} MB, {meta.get('people')} people, "
              f"{meta.get('directory_published')} published in {meta.get('current_cycle')}; build "
              f"({meta['command']}) took {meta['build_seconds']:.1f} s ({how}); {path.relative_to(ROOT)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "machine": info, "repeat": repeat, "browser_note": browser_note, "rows": rows,
            "databases": {label: meta for label, (_, meta) in builds.items()}}, indent=2) + "\n")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
