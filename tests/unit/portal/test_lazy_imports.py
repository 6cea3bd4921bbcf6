"""Every import of the project's own modules resolves, the ones inside functions too.

Commands import their work when they run (`portal build-pages` imports the page builder only
then), so a module moved without its lazy importers updated fails only when a city's IT team
runs the command: the issue-19 relayout left `portal build-pages` importing
`portal.institutions.services.queries.pagedoc`, found by the benchmark, not by a test."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OWN = ("portal", "complaints", "search", "demo", "bench")


def own_imports() -> list[tuple[str, int, str, str | None]]:
    """(file, line, module, name or None) of every absolute import of our own modules."""
    found = []
    for package in OWN:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = str(path.relative_to(ROOT))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                        and node.module.split(".")[0] in OWN:
                    found += [(where, node.lineno, node.module, a.name) for a in node.names]
                elif isinstance(node, ast.Import):
                    found += [(where, node.lineno, a.name, None) for a in node.names
                              if a.name.split(".")[0] in OWN]
    return found


def test_there_are_lazy_imports_to_check():
    nested = [i for i in own_imports() if i[0] == "portal/cli.py"]
    assert len(nested) > 20  # the commands' imports inside their functions are seen


def test_every_own_import_resolves(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # demo/ and bench/ live in the checkout
    broken = []
    for where, line, module, name in own_imports():
        try:
            imported = importlib.import_module(module)
        except ImportError as exc:
            broken.append(f"{where}:{line}: {module}: {exc}")
            continue
        if name is not None and name != "*" and not hasattr(imported, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                broken.append(f"{where}:{line}: {module} has no {name}")
    assert not broken, "\n".join(broken)

