"""House rules no linter holds: a module's ``_private`` names stay in that module."""

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
