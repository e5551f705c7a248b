"""Rules of the codebase, kept true by tests: the core never imports the UI, everything is documented."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB_FILES = sorted((ROOT / "lib").rglob("*.py"))
ALL_CODE = (LIB_FILES + sorted((ROOT / "ui").rglob("*.py")) + sorted((ROOT / "pages").glob("*.py"))
            + [ROOT / "app.py", ROOT / "serve.py"])


def _imports(path: Path) -> set[str]:
    """Top-level module names a file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", LIB_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_the_ui(path):
    assert not _imports(path) & {"streamlit", "ui", "altair"}


def test_only_one_module_uses_streamlit_caching():
    users = [p.relative_to(ROOT).as_posix() for p in ALL_CODE
             if re.search(r"st\.cache_(data|resource)\b", p.read_text(encoding="utf-8"))]
    assert users == ["ui/cache.py"]


@pytest.mark.parametrize("path", [p for p in ALL_CODE if p.suffix == ".py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_public_function_has_a_docstring(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    missing = [node.name for node in ast.walk(tree)
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
               and not node.name.startswith("_") and not ast.get_docstring(node)]
    assert not missing, f"{path.name}: no docstring on {missing}"


@pytest.mark.parametrize("path", sorted((ROOT / "lib").rglob("__init__.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_package_init_holds_its_docstring_only(path):
    """No re-exports: callers import the module they use, so importing a package never imports its modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no docstring"
    assert len(tree.body) == 1, f"{path.relative_to(ROOT)} holds more than its docstring"


def test_migrations_are_numbered_without_gaps():
    from lib import db

    numbers = [number for number, _, _ in db.migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```(?:sh|bash)?\n(.+?)\n```", readme)[:2]
    assert commands == ["python3 run.py app", "python3 run.py test"]
    assert "python3 run.py test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_documents_every_cli_command():
    from lib.cli import _parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    subcommands = _parser()._subparsers._group_actions[0].choices
    for name in subcommands:
        assert f"python -m lib {name}" in readme, f"README does not mention `python -m lib {name}`"


def test_no_reference_to_shared_folder_at_run_time():
    for path in ALL_CODE:
        assert "../shared" not in path.read_text(encoding="utf-8"), path


def _dotted_imports(path: Path) -> set[str]:
    """Every module a file imports, with its full dotted name."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", ALL_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_app_uses_only_streamlits_public_api(path):
    private = {name for name in _dotted_imports(path) if name.startswith("streamlit.")}
    assert not private, f"{path.name} reaches into Streamlit internals: {private}"
    assert "PagesManager" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_every_page_file_goes_through_the_router_first(path):
    """The first statement after the imports sends a run Streamlit started by itself through app.py."""
    body = [node for node in ast.parse(path.read_text(encoding="utf-8")).body
            if not isinstance(node, (ast.Import, ast.ImportFrom))
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert ast.unparse(body[0]) == "session.page()"
    assert f'"{path.as_posix().split("/")[-2]}/{path.name}"' in (ROOT / "app.py").read_text(encoding="utf-8")


def test_security_md_names_only_tests_and_modules_that_exist():
    """SECURITY.md says which test shows each guarantee: every file and function it names must exist."""
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(tests/[\w*]+\.py)`", text))
    assert named, "SECURITY.md names no test"
    for pattern in named:
        assert list(ROOT.glob(pattern)), f"SECURITY.md names {pattern}, which does not exist"
    for module, function in re.findall(r"`(lib(?:\.\w+)+)\.(\w+)`", text):
        source = (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        assert f"def {function}(" in source, f"SECURITY.md names {module}.{function}, which does not exist"


# Streamlit renders Markdown in the body and label of these calls (and in `help`).
MARKDOWN_CALLS = {"markdown", "caption", "info", "warning", "error", "success", "toast", "subheader", "header", "title",
                  "write", "button", "link_button", "download_button", "form_submit_button", "page_link", "checkbox",
                  "toggle", "radio", "selectbox", "multiselect", "segmented_control", "pills", "expander", "popover",
                  "metric", "text_input", "text_area", "number_input", "date_input", "time_input", "slider",
                  "file_uploader", "tabs"}
# Placeholders that never hold what someone typed: numbers, the code's own labels and words, usernames (checked
# against [a-z0-9._-] on creation), program-year names, generated file names and meeting titles.
NOT_TYPED = {
    "auth.MIN_PASSWORD", "attendance.UNMARKED", "forms.KIND_LABELS[found.kind]", "forms.field(found.kind, f).label",
    "spec.label", "labels[chosen]", "result.named", "result.anonymous", "plan.years", "plan.current", "plan.people",
    "skill.members", "chosen.members", "chosen.answers", "raw.answers", "row.members", "entry['years']",
    "figures['unmapped']", "who.username", "who.role", "created.username", "created.role", "verb.lower()",
    "row.title", "latest.name", "found.name", "database.name", "result.next_seed",
    "sending.STATUS_WORDS.get(chosen.status, 'not sent yet')", "tally['interrupted']", "outcome.not_tried",
    "templates.KINDS[kind].split(' (')[0].lower()", "stored.version", "', '.join(saved)", "', '.join(reasons)",
    "', '.join(row['open_to'])", "entry['status']",
}
SAFE_CALLS = {"escape", "len", "int", "round", "sum", "min", "max", "abs", "float"}


def _typed_placeholders(node: ast.AST):
    """f-string placeholders in an expression that are not escaped, not formatted numbers and not known words."""
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and \
            (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "escape":
        return
    if isinstance(node, ast.FormattedValue):
        value = node.value
        call = value.func.id if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) else None
        if node.format_spec is None and call not in SAFE_CALLS and ast.unparse(value) not in NOT_TYPED and \
                isinstance(value, (ast.Subscript, ast.Attribute, ast.Call)):
            yield ast.unparse(value)
    for child in ast.iter_child_nodes(node):
        yield from _typed_placeholders(child)


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")) + sorted((ROOT / "ui").glob("*.py")),
                         ids=lambda p: p.name)
def test_text_built_from_data_goes_through_escape_where_streamlit_renders_markdown(path):
    """A member's name in a button label renders **bold** unless escaped: every such placeholder is escaped."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MARKDOWN_CALLS:
            shown = list(node.args[:1]) + [k.value for k in node.keywords if k.arg in ("label", "body", "help")]
            found += [f"line {node.lineno}: {text}" for arg in shown for text in _typed_placeholders(arg)]
    assert not found, f"{path.name} renders data as Markdown without ui.markup.escape: {found}"


def test_the_demo_listens_on_this_machine_only_unless_told():
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_script", ROOT / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    assert run.streamlit_args([]) == ["--server.address", "127.0.0.1"]
    assert run.streamlit_args(["--server.port", "8600"]) == ["--server.address", "127.0.0.1", "--server.port", "8600"]
    assert run.streamlit_args(["--server.address", "0.0.0.0"]) == ["--server.address", "0.0.0.0"]
    assert run.streamlit_args(["--server.address=10.0.0.5"]) == ["--server.address=10.0.0.5"]


def test_the_proxy_set_up_keeps_streamlits_public_metrics_in():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "location = /_stcore/metrics { return 404; }" in readme
    assert "ALI_CLIENT_ADDRESS_HEADER=X-Real-IP" in readme


def _type_checking_only(node: ast.AST) -> bool:
    """Whether a statement is `if TYPE_CHECKING:` (or `if typing.TYPE_CHECKING:`), read by type checkers only."""
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _module_imports(tree: ast.AST):
    """Every import statement of a module, in functions too, leaving out the bodies of `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif _type_checking_only(node):
            yield from (found for child in node.orelse for found in _module_imports(ast.Module([child], [])))
        else:
            yield from _module_imports(node)


def import_graph(root: Path) -> dict[str, set[str]]:
    """The package under root as a graph: each module's name to the names of the package's modules it imports.

    `from pkg import name` is an edge to pkg.name when that is a module, else to pkg; relative imports are
    resolved against the importing module's package.
    """
    top = root.name
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [top, *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        modules[name] = (path, name if is_package else name.rpartition(".")[0])
    graph = {}
    for name, (path, package) in modules.items():
        edges = set()
        for node in _module_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names}
                continue
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            edges |= {f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                      for alias in node.names}
        graph[name] = {edge for edge in edges if edge in modules and edge != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative), sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def test_lib_has_no_import_cycles():
    """A module never imports, even inside a function, a module that imports it back (directly or further on)."""
    cycles = import_cycles(import_graph(ROOT / "lib"))
    assert not cycles, "import cycles in lib/: " + "; ".join(" <-> ".join(cycle) for cycle in cycles)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    """Write a tiny package `pkg` of the given files (path inside it: source) under tmp_path."""
    root = tmp_path / "pkg"
    for name, source in {"__init__.py": '"""A package."""\n', **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source, encoding="utf-8")
    return root


def test_the_cycle_detector_finds_a_planted_cycle_at_module_level(tmp_path):
    root = _package(tmp_path, {"a.py": "from . import b\n", "b.py": "from .a import thing\n", "c.py": "import pkg.a\n"})
    assert import_cycles(import_graph(root)) == [["pkg.a", "pkg.b"]]


def test_the_cycle_detector_finds_a_cycle_through_a_function_level_import_across_packages(tmp_path):
    root = _package(tmp_path, {
        "model.py": "def render():\n    from .writers import pdf\n    return pdf\n",
        "writers/__init__.py": '"""Writers."""\n',
        "writers/pdf.py": "from ..model import render\n"})
    assert import_cycles(import_graph(root)) == [["pkg.model", "pkg.writers.pdf"]]


def test_the_cycle_detector_passes_an_acyclic_package_and_imports_for_type_checkers_only(tmp_path):
    root = _package(tmp_path, {
        "model.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .writer import Page\n",
        "writer.py": "from . import model\nfrom .model import render\n\n\ndef page():\n    import pkg.model\n",
        "cli.py": "from pkg import model, writer\n"})
    graph = import_graph(root)
    assert graph["pkg.writer"] == {"pkg.model"} and graph["pkg.model"] == set()
    assert graph["pkg.cli"] == {"pkg.model", "pkg.writer"}
    assert import_cycles(graph) == []
