"""The page documents' build key covers everything the page is built by (issue 19): every module
of our packages the page renderer may import, found here independently of the code under test
(the standard library's modulefinder, which reads the compiled bytecode of every function), and
every template the fragments render. A change to any of them must change the key, or a deploy
serves pages built by the old code."""

from __future__ import annotations

import modulefinder
import re
from pathlib import Path

import pytest

from portal.institutions.services import page_sources, pagedoc

ROOT = Path(__file__).resolve().parents[3]
OURS = ("portal", "complaints", "search")


class _OursOnly(modulefinder.ModuleFinder):
    """Follows imports into our packages only (the rest are not the page's to invalidate)."""

    def import_module(self, partname, fqname, parent):
        if fqname.partition(".")[0] not in OURS:
            return None
        return super().import_module(partname, fqname, parent)


def _page_modules() -> set[Path]:
    finder = _OursOnly(path=[str(ROOT)])
    renderer = ROOT / "portal" / "institutions" / "services" / "pagedoc.py"
    finder.run_script(str(renderer))
    files = {Path(m.__file__).resolve() for name, m in finder.modules.items()
             if name != "__main__" and m.__file__}
    return files | {renderer}


def _page_templates() -> set[Path]:
    """The fragment templates and what they include, by a plain reading of the tags."""
    found, todo = set(), list(pagedoc.FRAGMENT_TEMPLATES)
    while todo:
        name = todo.pop()
        path = ROOT / "templates" / name
        if path in found:
            continue
        found.add(path)
        todo += re.findall(r"{%-?\s*(?:include|import|from|extends)\s+[\"']([^\"']+)[\"']",
                           path.read_text(encoding="utf-8"))
    return found


PAGE_MODULES = sorted(_page_modules())
PAGE_TEMPLATES = sorted(_page_templates())


def _key_with_changed(monkeypatch, changed: Path) -> str:
    """The build key as it would be if `changed` held one more line."""
    read_bytes = Path.read_bytes

    def read(path: Path) -> bytes:
        data = read_bytes(path)
        return data + b"\n# changed\n" if path.resolve() == changed else data

    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_bytes", read)
        pagedoc._build_key.cache_clear()
        try:
            return pagedoc.build_key()
        finally:
            pagedoc._build_key.cache_clear()


def test_the_independent_closure_is_the_page_and_more_than_a_few_files():
    names = {p.relative_to(ROOT).as_posix() for p in PAGE_MODULES}
    # What the page shows is read through these: a closure without them is a broken finder.
    assert {"portal/institutions/services/page.py", "portal/backoffice/services/public.py",
            "portal/backoffice/services/current.py", "portal/institutions/rules/checks.py",
            "portal/core/templating.py"} <= names
    assert "backoffice/_public_rules.html" in {p.relative_to(ROOT / "templates").as_posix()
                                               for p in PAGE_TEMPLATES}


@pytest.mark.parametrize("source", PAGE_MODULES + PAGE_TEMPLATES,
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_change_to_any_source_of_the_page_changes_the_build_key(monkeypatch, source):
    pagedoc._build_key.cache_clear()
    before = pagedoc.build_key()
    assert _key_with_changed(monkeypatch, source) != before
    assert pagedoc.build_key() == before


def test_a_change_elsewhere_leaves_the_build_key(monkeypatch):
    pagedoc._build_key.cache_clear()
    before = pagedoc.build_key()
    elsewhere = ROOT / "portal" / "core" / "health.py"
    assert elsewhere not in PAGE_MODULES
    assert _key_with_changed(monkeypatch, elsewhere) == before


def test_a_module_imported_inside_a_function_of_the_page_is_a_source(tmp_path, monkeypatch):
    """The shape of the old miss: the page used `backoffice/workflow.py`'s readers. Imported at
    the top, inside a function or only for type checking, relative or absolute: covered."""
    files = {
        "portal/__init__.py": "",
        "portal/institutions/__init__.py": "",
        "portal/institutions/page.py":
            "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
            "from . import (\n    vocab,  # (a comment)\n)\n"
            "if TYPE_CHECKING:\n    from portal.institutions.directory import Listed\n"
            "def load():\n    from portal.backoffice.workflow import latest_resources\n"
            "    return latest_resources\n",
        "portal/institutions/vocab.py": "import portal.orgs.models\n",
        "portal/institutions/directory.py": "",
        "portal/backoffice/__init__.py": "",
        "portal/backoffice/workflow.py": "from ..institutions import page_jobs\n",
        "portal/institutions/page_jobs.py": "",
        "portal/orgs/__init__.py": "",
        "portal/orgs/models.py": "",
        "portal/health.py": "import sqlalchemy\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(page_sources, "_package_roots", lambda: {"portal": tmp_path})
    closure = page_sources.module_closure("portal.institutions.page")
    assert set(closure) == {
        "portal", "portal.institutions", "portal.institutions.page", "portal.institutions.vocab",
        "portal.institutions.directory", "portal.backoffice", "portal.backoffice.workflow",
        "portal.institutions.page_jobs", "portal.orgs", "portal.orgs.models"}
    assert closure["portal.backoffice.workflow"] == tmp_path / "portal/backoffice/workflow.py"
