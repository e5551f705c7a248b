"""Run the top-level imports of app.py and every page file in 30 threads at once, as a cold server does.

Prints the errors met, one a line (none when every thread saw whole modules). Run in a fresh interpreter.
"""
import ast
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import streamlit  # noqa: E402,F401 - a server has it loaded before any script runs

files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
codes = []
for path in files:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    codes.append(compile(ast.Module(body=imports, type_ignores=[]), str(path), "exec"))
errors: list[str] = []
runs = codes * 2
barrier = threading.Barrier(len(runs))


def run(code) -> None:
    """Wait for every thread, then import what one page file imports."""
    barrier.wait()
    try:
        exec(code, {"__name__": "__page__"})
    except Exception as exc:  # noqa: BLE001 - every failure is the finding
        errors.append(f"{type(exc).__name__}: {exc}")


threads = [threading.Thread(target=run, args=(code,)) for code in runs]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("\n".join(errors))
