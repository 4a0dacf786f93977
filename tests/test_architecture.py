"""The layer rules of docs/architecture.md, checked on the source.

The import graph is built with :mod:`ast` from every module under
``src/antifraud_common``: module-level imports, imports inside functions, imports under
``if TYPE_CHECKING:`` and ``importlib.import_module("antifraud_common....")`` with a
literal name. The layer order is read from the diagram in docs/architecture.md (the one
place it is written). The tests fail on an import from a lower layer to a higher one, on
an import circle, and on a ``_``-prefixed name imported from another module.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PKG = "antifraud_common"
DOC = ROOT / "docs" / "architecture.md"

#: Old import paths kept by a module-level ``__getattr__`` after a name moved up a layer:
#: (module holding the ``__getattr__``, the module it imports when the old name is used).
COMPATIBILITY = {
    (f"{PKG}.exchange.pseudonym", f"{PKG}.index.pseudonym"): (
        "PseudonymIndex moved to the index layer; exchange.pseudonym.PseudonymIndex is "
        "documented in docs/pseudonymised.md and still resolves"
    ),
    (f"{PKG}.exchange", f"{PKG}.index.pseudonym"): (
        "antifraud_common.exchange.PseudonymIndex, the same moved class"
    ),
}

#: ``_``-prefixed names another module may still import: (importer, source, name) -> why.
PRIVATE_ALLOWED: dict[tuple[str, str, str], str] = {}

#: Import circles still present, each with its reason; any other circle fails, and so
#: does an entry that no longer occurs.
KNOWN_CIRCLES: dict[frozenset[str], str] = {}


class Import(NamedTuple):
    importer: str
    target: str
    name: str | None  # the name imported from ``target`` (``from x import name``)
    line: int
    compat: bool  # inside a module-level __getattr__


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PKG).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _walk(node: ast.AST, compat: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        inside = compat or (isinstance(child, ast.FunctionDef) and child.name == "__getattr__")
        yield child, inside
        yield from _walk(child, inside)


def _imports(module: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    bound: dict[str, str] = {}  # local name -> the package module it is bound to
    yield from _import_statements(module, path, tree, bound)
    # A private name read off an imported module (``card._x``) crosses the seam as
    # surely as ``from card import _x``.
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and re.match(r"_[^_]", node.attr)
        ):
            yield Import(module, bound[node.value.id], node.attr, node.lineno, False)


def _import_statements(
    module: str, path: Path, tree: ast.Module, bound: dict[str, str]
) -> Iterator[Import]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node, compat in _walk(tree):
        # Only a __getattr__ at module level is a compatibility shim.
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PKG:
                    if alias.asname:
                        bound[alias.asname] = _resolve(alias.name)
                    yield Import(module, _resolve(alias.name), None, node.lineno, compat)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source.split(".")[0] != PKG:
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES:  # a submodule
                    bound[alias.asname or alias.name] = full
                    yield Import(module, full, None, node.lineno, compat)
                else:
                    yield Import(module, _resolve(source), alias.name, node.lineno, compat)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.split(".")[0] == PKG
        ):
            yield Import(module, _resolve(node.args[0].value), None, node.lineno, compat)


IMPORTS = [imp for module, path in MODULES.items() for imp in _imports(module, path)]


def _layers() -> list[tuple[str, list[str]]]:
    """The rows of the diagram between the layers markers, top first."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- layers:begin", 1)[1].split("<!-- layers:end -->", 1)[0]
    rows: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4:
            continue
        name, names = cells[1], [n.strip() for n in cells[2].split(",") if n.strip()]
        if name:
            rows.append((name, names))
        else:  # a continuation line of the row above
            rows[-1][1].extend(names)
    return rows


LAYERS = _layers()


def _layer_of(module: str) -> int:
    """The layer (0 = bottom) of the longest name in the diagram that covers ``module``."""
    best, best_len = -1, -1
    for rank, (_, names) in enumerate(reversed(LAYERS)):
        for name in names:
            full = PKG if name == "__init__" else f"{PKG}.{name}"
            covers = module == full or (name != "__init__" and module.startswith(full + "."))
            if covers and len(full) > best_len:
                best, best_len = rank, len(full)
    return best


def test_the_diagram_names_every_module_once() -> None:
    assert [name for name, _ in LAYERS][:1] == ["programs"] and LAYERS[-1][0] == "errors"
    listed = [n for _, names in LAYERS for n in names]
    assert len(listed) == len(set(listed)), "a name stands in two rows"
    for name in listed:
        full = PKG if name == "__init__" else f"{PKG}.{name}"
        assert full in MODULES, f"{name} in the diagram is not a module"
    unplaced = [m for m in MODULES if _layer_of(m) < 0]
    assert not unplaced, f"modules in no layer of docs/architecture.md: {unplaced}"


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    # Guards the walker itself: known imports of each form must be found.
    edges = {(i.importer, i.target) for i in IMPORTS}
    assert (f"{PKG}.models", f"{PKG}.kinds") in edges  # module level
    assert (f"{PKG}.account", f"{PKG}.phone") in edges  # inside a function
    assert (f"{PKG}.index.pseudonym", f"{PKG}.exchange.signing") in edges  # TYPE_CHECKING


def test_the_registry_names_only_lower_layers() -> None:
    # The registry imports its validators by name: they must lie below it.
    from antifraud_common import kinds

    for kind in kinds.IdentifierKind:
        module = kinds.spec(kind).module
        assert module in MODULES
        assert _layer_of(module) < _layer_of(f"{PKG}.kinds"), module


def test_no_import_goes_up_a_layer() -> None:
    upward = []
    for imp in IMPORTS:
        if imp.target == imp.importer:
            continue
        if imp.compat and (imp.importer, imp.target) in COMPATIBILITY:
            continue
        if _layer_of(imp.target) > _layer_of(imp.importer):
            upward.append(
                f"{imp.importer}:{imp.line} imports {imp.target} "
                f"({LAYERS[-1 - _layer_of(imp.importer)][0]} -> "
                f"{LAYERS[-1 - _layer_of(imp.target)][0]})"
            )
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_compatibility_shims_are_only_the_listed_ones() -> None:
    used = {(i.importer, i.target) for i in IMPORTS if i.compat}
    upward = {e for e in used if _layer_of(e[1]) > _layer_of(e[0])}
    assert upward == set(COMPATIBILITY), "update COMPATIBILITY and docs/architecture.md"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in IMPORTS:
        if imp.target == imp.importer:
            continue
        if imp.compat and (imp.importer, imp.target) in COMPATIBILITY:
            continue  # resolved only when the old name is used, after both are loaded
        edges[imp.importer].add(imp.target)
    found = {frozenset(c) for c in _cycles(edges)}
    assert found - set(KNOWN_CIRCLES) == set(), "import circles"
    assert set(KNOWN_CIRCLES) - found == set(), "KNOWN_CIRCLES lists a circle that is gone"


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({f"{PKG}.kinds": {f"{PKG}.models"}, f"{PKG}.models": {f"{PKG}.kinds"}})


def _private_imports() -> Iterator[tuple[str, str, str, int]]:
    for imp in IMPORTS:
        if imp.name is None or not imp.name.startswith("_") or imp.name.startswith("__"):
            continue
        if imp.target != imp.importer:
            yield imp.importer, imp.target, imp.name, imp.line


def test_no_private_name_crosses_a_module() -> None:
    crossing = [
        f"{importer}:{line}: from {source} import {name}"
        for importer, source, name, line in _private_imports()
        if (importer, source, name) not in PRIVATE_ALLOWED
    ]
    assert not crossing, "private names imported from another module:\n" + "\n".join(crossing)


def test_private_allow_list_is_short_and_current() -> None:
    assert len(PRIVATE_ALLOWED) <= 5
    assert all(reason.strip() for reason in PRIVATE_ALLOWED.values())
    used = {(i, s, n) for i, s, n, _ in _private_imports()}
    stale = set(PRIVATE_ALLOWED) - used
    assert not stale, f"allow-list entries no longer needed: {stale}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from antifraud_common.phone import _FAST\n", [("antifraud_common.phone", "_FAST")]),
        ("def f():\n    from antifraud_common.card import _x\n", [("antifraud_common.card", "_x")]),
        ("from antifraud_common import _files\n", []),
        (
            "from antifraud_common import card\ncard._SEPARATORS\n",
            [("antifraud_common.card", "_SEPARATORS")],
        ),
        (
            "import antifraud_common.format.csvio as c\nc._x\n",
            [("antifraud_common.format.csvio", "_x")],
        ),
        ("from antifraud_common import card\ncard.SEPARATORS, card.__name__\n", []),
        ("import importlib\nimportlib.import_module('antifraud_common.card')\n", []),
    ],
)
def test_private_name_walker(tmp_path: Path, source: str, expected: list[tuple[str, str]]) -> None:
    path = tmp_path / "m.py"
    path.write_text(source)
    found = list(_imports(f"{PKG}.kinds", path))
    got = [(i.target, i.name) for i in found if i.name is not None and re.match(r"_[^_]", i.name)]
    assert got == expected
    assert all(i.target in MODULES for i in found)
    if "import_module" in source:
        assert [i.target for i in found] == [f"{PKG}.card"]
