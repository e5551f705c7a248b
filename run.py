#!/usr/bin/env python3
"""Set up .venv/ when needed, then start the app on the demo database (`app`) or run every test (`test`).

Only the standard library is used here: this runs before anything is installed.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".ali-installed"
USAGE = "usage: python3 run.py app [streamlit options] | python3 run.py test [pytest options]"


def _fingerprint() -> str:
    """Hash what decides the installed packages, so setup reruns only when they change."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def setup() -> None:
    """Create the virtual environment and install the pinned dependencies (quick when already done)."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print("Creating .venv/ ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing dependencies into .venv/ (pinned by constraints.txt) ...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"),
                    "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def streamlit_args(rest: list[str]) -> list[str]:
    """Options for `streamlit run`: this machine only (127.0.0.1) unless --server.address says otherwise."""
    if any(arg == "--server.address" or arg.startswith("--server.address=") for arg in rest):
        return rest
    # Streamlit listens on every network interface by default: a demo on a laptop would be open to its network.
    return ["--server.address", "127.0.0.1", *rest]


def main(argv: list[str]) -> int:
    """Dispatch `app` or `test`."""
    if not argv or argv[0] not in ("app", "test", "setup"):
        print(USAGE, file=sys.stderr)
        return 2
    setup()
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "setup":
        return 0
    if command == "test":
        return subprocess.run([str(PYTHON), "-m", "pytest", *rest]).returncode
    subprocess.run([str(PYTHON), "-m", "lib", "init", "--demo"], check=True)
    # serve.py serves app.py, and imports, opens the database and builds the search index as the server starts.
    return subprocess.run([str(PYTHON), "-m", "streamlit", "run", "serve.py", *streamlit_args(rest)]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
