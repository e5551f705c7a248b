"""Rules of the codebase, kept true by tests: the core never imports the UI, everything is documented."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB_FILES = sorted((ROOT / "lib").rglob("*.py"))
ALL_CODE = LIB_FILES + sorted((ROOT / "ui").rglob("*.py")) + sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]


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
    for module, function in re.findall(r"`(lib\.\w+)\.(\w+)`", text):
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
