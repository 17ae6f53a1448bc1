"""House rules no linter holds: private names stay home, one clock, rooms of a readable size, imports at the top."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "certreg"


def _where(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _module_name(path: Path) -> str:
    parts = _where(path).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_uses(path: Path) -> list[str]:
    """``from certreg.x import _name`` and ``x._name`` (``x`` an imported certreg module) in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here, found, modules = _module_name(path), [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("certreg"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{_where(path)}:{node.lineno} imports {node.module}.{alias.name}")
                elif (PACKAGE.parent / (node.module.replace(".", "/") + "/" + alias.name + ".py")).exists() or (
                        PACKAGE.parent / node.module.replace(".", "/") / alias.name / "__init__.py").exists():
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("certreg") and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and node.attr.startswith("_") and not node.attr.startswith("__")
                and modules[node.value.id] != here):
            found.append(f"{_where(path)}:{node.lineno} uses {modules[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_module_s_private_names():
    found = [use for path in sorted(PACKAGE.rglob("*.py")) for use in private_uses(path)]
    assert found == []


def test_the_check_sees_a_private_name(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from certreg.audit import services as audit\nfrom certreg.db import _x\naudit._jsonable(1)\n")
    assert len(private_uses(sample)) == 2


def test_one_clock_for_the_rules():
    """``date.today()`` and naive ``datetime.now()`` read the server's local calendar; the rules use
    :func:`certreg.db.today` / :func:`certreg.db.utcnow` (UTC, one clock that tests can set)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and ((node.func.value.id == "date" and node.func.attr == "today")
                         or (node.func.value.id == "datetime" and node.func.attr in ("now", "utcnow")
                             and not node.args and not node.keywords))):
                found.append(f"{_where(path)}:{node.lineno}")
    assert found == []


def test_the_clock_can_be_set():
    from datetime import UTC, date, datetime

    from certreg import db
    from certreg.certificates import states

    with db.clock(lambda: datetime(2031, 2, 3, 23, 59, tzinfo=UTC)):
        assert db.today() == states.today() == date(2031, 2, 3)
        assert db.utcnow() == datetime(2031, 2, 3, 23, 59, tzinfo=UTC)
    assert db.today() != date(2031, 2, 3)


# --- a module is a room with one purpose ------------------------------------------------------------------

MAX_LINES = 500
#: Modules that are data tables (figures, not code), allowed to be longer: none today (the catalogue's
#: figures are CSV files under ``certreg/substances/data``).
DATA_TABLES: frozenset[str] = frozenset()


def oversized(paths: list[Path], limit: int = MAX_LINES) -> list[str]:
    found = []
    for path in paths:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit and str(_where(path)) not in DATA_TABLES:
            found.append(f"{_where(path)}: {lines} lines")
    return found


def test_no_module_is_over_500_lines_except_data_tables():
    """A longer module holds several rooms: split it along its seams (``docs/DEVELOPING.md``)."""
    assert oversized(sorted(PACKAGE.rglob("*.py"))) == []


def test_the_size_check_sees_a_long_module(tmp_path):
    sample = tmp_path / "long.py"
    sample.write_text("x = 1\n" * (MAX_LINES + 1))
    assert oversized([sample]) == [f"{sample}: {MAX_LINES + 1} lines"]


# --- imports at the top ------------------------------------------------------------------------------------

#: The app factory imports the features inside its ``register_*`` functions (its docstring says why).
FACTORY = "certreg/__init__.py"


def unexplained_inner_imports(path: Path) -> list[str]:
    """Imports inside a function without a comment (on the line or the line above) saying why they are lazy."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for function in ast.walk(ast.parse(text)):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                line, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                if "#" not in line and not above.startswith("#"):
                    found.append(f"{_where(path)}:{node.lineno}")
    return found


def test_imports_inside_functions_are_deliberately_lazy():
    """An import inside a function is for a lazy import that is the point (a heavy library), with a comment
    saying so, never to dodge an import circle (``lint-imports`` keeps the circles out)."""
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) if str(_where(path)) != FACTORY
             for hit in unexplained_inner_imports(path)]
    assert found == []


def test_the_import_check_sees_an_unexplained_inner_import(tmp_path):
    sample = tmp_path / "inner.py"
    sample.write_text("def f():\n    import json\n\n    # lazy: a heavy library\n    import csv\n"
                      "    import zlib  # lazy too\n    return json, csv, zlib\n")
    assert unexplained_inner_imports(sample) == [f"{sample}:2"]


# --- functions a reader takes in at once -----------------------------------------------------------------

MAX_FUNCTION_LINES = 60


def long_functions(path: Path) -> list[str]:
    """Functions over 60 lines that do not say (``# One piece ...`` at the top of their body) why one piece
    serves the reader better than several."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            if node.end_lineno - start + 1 <= MAX_FUNCTION_LINES:
                continue
            first = node.body[1] if len(node.body) > 1 and isinstance(node.body[0], ast.Expr) else node.body[0]
            top = lines[node.body[0].lineno - 1:first.lineno]
            if not any(line.strip().startswith("# One piece") for line in top):
                found.append(f"{_where(path)}:{node.lineno} {node.name}")
    return found


def test_long_functions_say_why_they_are_one_piece():
    assert [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in long_functions(path)] == []


def test_the_length_check_sees_a_long_function(tmp_path):
    sample = tmp_path / "long.py"
    body = "    x = 1\n" * MAX_FUNCTION_LINES
    sample.write_text(f"def long():\n{body}\n\ndef told():\n    \"\"\"Doc.\"\"\"\n    # One piece: why.\n{body}")
    assert long_functions(sample) == [f"{sample}:1 long"]
