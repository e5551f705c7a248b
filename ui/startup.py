"""Imported first by app.py and by every page file: imports every module they use, once, in one thread.

Streamlit runs each session's script in a thread of its own. On a freshly started server, ten visitors opening
ten addresses at once import the same packages in ten threads at once, and Python then hands a thread a
partially initialised module whenever two threads enter a package cycle from opposite ends (one thread in
lib.circles importing lib.circles.rosters while another imports lib.circles.rosters directly): an ImportError
or a KeyError on the visitor's page. Whichever run imports this module first imports everything here while
every other run waits for it on this module's import, holding no other import lock, so no run ever sees a
module half done.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _names(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules one import statement loads (for `from m import x`, m and m.x when x is a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level or not node.module:
        return []
    found = [node.module]
    for alias in node.names:
        try:
            if importlib.util.find_spec(f"{node.module}.{alias.name}") is not None:
                found.append(f"{node.module}.{alias.name}")
        except (ImportError, ValueError):
            pass  # a name, not a module
    return found


def modules() -> list[str]:
    """Every module app.py, the pages and ui/ import at their top level, in file order, without repeats."""
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    found: dict[str, None] = {}
    for path in files:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.update(dict.fromkeys(n for n in _names(node) if n not in (__name__, "__future__")))
    return list(found)


for _name in modules():
    importlib.import_module(_name)
