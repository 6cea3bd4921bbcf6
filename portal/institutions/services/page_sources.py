"""What a stored institution page document depends on besides its rows: the source files its
build key hashes (portal/institutions/services/pagedoc.py).

Derived from the code, never listed by hand (a hand-kept list once left out
portal/backoffice/services/workflow.py, then imported by the page, and a change there served stale
pages):
- every module of our packages in the import closure of the page renderer — each `import` and
  `from … import` anywhere in a module (top level, inside functions, under TYPE_CHECKING),
  followed statically, with the packages that hold them (their `__init__` runs on import);
- every template the built fragments render, with what they include, import or extend, found
  by Jinja2's own parser (`jinja2.meta`). A reference Jinja2 cannot name statically (a variable
  template name) makes every template a source: more rebuilds, never a stale page.

Computed once per process (`page_sources` is cached); a deploy that changes any of these files
changes the key, and every document is rebuilt before it is shown again.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, meta

OUR_PACKAGES = ("portal", "complaints", "search")


@lru_cache
def _package_roots() -> dict[str, Path]:
    """Each of our top-level packages → the folder that holds it (the source checkout, or
    site-packages for an installed wheel)."""
    roots = {}
    for name in OUR_PACKAGES:
        init = importlib.import_module(name).__file__
        assert init is not None
        roots[name] = Path(init).resolve().parent.parent
    return roots


def module_file(name: str) -> Path | None:
    """The source file of one of our modules or packages by dotted name (None: not ours, or no
    such module)."""
    top = name.partition(".")[0]
    root = _package_roots().get(top)
    if root is None:
        return None
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


# The start of an import statement on its own line (indented too: in functions, under
# TYPE_CHECKING). Only these lines are parsed: parsing whole modules took ≈ 0.6 s per process.
_IMPORT_LINE = re.compile(r"^[ \t]*(?:import[ \t]+[\w.]|from[ \t]+[\w.]+[ \t]+import\b)")


def _import_statements(source: str) -> Iterable[str]:
    """Each import statement's text, with its continuation lines (a parenthesised name list or
    a backslash). A docstring line that merely looks like one yields text that does not parse,
    or an extra dependency: more rebuilds, never fewer."""
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        if not _IMPORT_LINE.match(lines[i]):
            i += 1
            continue
        statement = [lines[i].split("#", 1)[0].strip()]
        while (statement[-1].endswith("\\") or _open(statement)) and i + 1 < len(lines):
            i += 1
            statement.append(lines[i].split("#", 1)[0].strip())
        i += 1
        yield "\n".join(statement)


def _open(statement: list[str]) -> bool:
    text = "".join(statement)
    return text.count("(") > text.count(")")


def _imported(name: str, path: Path) -> Iterable[str]:
    """Dotted names each import statement of the module may load (a `from a import b` names
    both `a` and `a.b`: b may be a submodule)."""
    is_package = path.name == "__init__.py"
    for text in _import_statements(path.read_text(encoding="utf-8")):
        try:
            nodes = ast.parse(text).body
        except SyntaxError:
            continue
        for node in nodes:
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = name.split(".") if is_package else name.split(".")[:-1]
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                yield base
                yield from (f"{base}.{alias.name}" for alias in node.names)


def _with_parents(name: str) -> Iterable[str]:
    """`a.b.c` → `a`, `a.b`, `a.b.c`: importing a module runs its packages first."""
    parts = name.split(".")
    return (".".join(parts[:i]) for i in range(1, len(parts) + 1))


def module_closure(root: str) -> dict[str, Path]:
    """Our modules that importing `root` and calling anything in it may load: name → file."""
    found: dict[str, Path] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        for candidate in _with_parents(name):
            if candidate in found:
                continue
            path = module_file(candidate)
            if path is None:
                continue  # not ours, or a name imported from a module (`from m import f`)
            found[candidate] = path
            todo.extend(_imported(candidate, path))
    return found


def template_closure(env: Environment, names: Iterable[str]) -> set[str] | None:
    """The templates `names` render, with everything they include, import or extend; None when
    one of them names a template by a variable (then every template may be rendered)."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        for ref in meta.find_referenced_templates(env.parse(source)):
            if ref is None:
                return None
            todo.append(ref)
    return found


@lru_cache
def page_sources(renderer: str, env: Environment, templates_dir: Path,
                 fragments: tuple[str, ...]) -> tuple[tuple[str, Path], ...]:
    """(label, file) of every source the renderer module's output depends on, in label order:
    `module:<dotted name>` and `template:<name>` (the fragments as `env` loads them from
    `templates_dir`)."""
    modules = [(f"module:{name}", path) for name, path in module_closure(renderer).items()]
    names = template_closure(env, fragments)
    if names is None:
        names = {p.relative_to(templates_dir).as_posix()
                 for p in templates_dir.rglob("*") if p.is_file()}
    shown = [(f"template:{name}", templates_dir / name) for name in names]
    return tuple(sorted(modules + shown))
