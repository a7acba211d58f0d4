"""Pages go through the services: no page imports below ``matcher.services`` except the
vocabulary and presentation helpers, and no page touches files.

Scans every import of ``app.py`` and ``app_pages/*.py`` (also those inside functions)
and every call to ``open``. Exceptions belong to other work in progress: each names
why, and the test fails as soon as one is no longer needed, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted((REPO / "app_pages").glob("*.py")) + [REPO / "app.py"]

#: What a page may import from the library: the services (and their submodules),
#: the vocabulary, the map and table/export presentation helpers.
ALLOWED_MATCHER = ("matcher.services", "matcher.domain", "matcher.mapview", "matcher.exports")
#: Standard modules that read or write files, or import modules behind the scanner's back.
FORBIDDEN_STDLIB = {"tempfile", "shutil", "pathlib", "glob", "io", "importlib", "pickle"}
#: Reading or writing a file from a page.
FORBIDDEN_CALLS = {"open", "read_bytes", "write_bytes", "read_text", "write_text", "mkdtemp"}

#: (page, module) -> why it is still there. Remove an entry once its page is fixed.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _imports(path: Path) -> set[str]:
    """Return every module a file imports (``from matcher import x`` gives ``matcher.x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "matcher":
                found.update(f"matcher.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


def _calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in FORBIDDEN_CALLS:
                names.add(f"call:{name}")
    return names


def _allowed_matcher(module: str) -> bool:
    return any(module == a or module.startswith(a + ".") for a in ALLOWED_MATCHER)


def _violations() -> set[tuple[str, str]]:
    out = set()
    for path in PAGES:
        for module in _imports(path):
            top = module.split(".")[0]
            below = top == "matcher" and module != "matcher" and not _allowed_matcher(module)
            if below or top in FORBIDDEN_STDLIB:
                out.add((path.name, module))
        out.update((path.name, call) for call in _calls(path))
    return out


def test_pages_import_nothing_below_the_services():
    unexpected = sorted(v for v in _violations() if v not in KNOWN_EXCEPTIONS)
    assert not unexpected, (
        "Une page importe sous matcher.services ou touche à des fichiers (passez par un "
        f"service) : {unexpected}"
    )


def test_every_known_exception_is_still_needed():
    stale = sorted(set(KNOWN_EXCEPTIONS) - _violations())
    assert not stale, f"Exceptions devenues inutiles, à retirer de KNOWN_EXCEPTIONS : {stale}"


def test_the_scanner_sees_imports_inside_functions(tmp_path, monkeypatch):
    page = tmp_path / "page.py"
    page.write_text(
        "import streamlit as st\n"
        "from matcher import mapview, keyfigures\n"
        "from matcher.services import premises\n"
        "def f():\n    from matcher.territory import load_territory\n    open('x')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr("tests.app.test_page_imports.PAGES", [page])
    assert _violations() == {
        ("page.py", "matcher.keyfigures"),
        ("page.py", "matcher.territory"),
        ("page.py", "call:open"),
    }


def test_actor_and_errors_are_public_in_the_services():
    from matcher import services

    assert {"Actor", "MatcherError"} <= set(services.__all__)
