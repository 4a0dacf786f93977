"""Sphinx configuration for the antifraud_common documentation.

Every cross-reference must resolve: ``nitpicky`` is on and CI builds with ``-W``.
Three small hooks below make references resolve the way a reader of the source
would resolve them, without downloading any inventory (the build works offline):

* a short name in a docstring (``:class:`Index```, or a type hint ``Path``) means what
  that name is bound to in the module where it is written;
* a name re-exported by a package (``antifraud_common.exchange.verify_list``) means
  the object where it is defined, which is where the API reference documents it;
* a standard-library target links to its anchor on docs.python.org.

What still does not resolve after that is an error, except the few targets in
third-party packages that ship no inventory we can use offline (``nitpick_ignore``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from antifraud_common import __version__

project = "antifraud_common"
author = "antifraud_common developers"
copyright = "2026, antifraud_common developers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "antifraud_common"
autodoc_typehints = "description"
autodoc_member_order = "bysource"

nitpicky = True
# Targets in third-party packages: none of them can be linked without fetching that
# project's inventory over the network, which the offline build does not do. Each
# entry is the fully qualified name the reference resolves to.
nitpick_ignore: list[tuple[str, str]] = [
    # pyca/cryptography key classes, in the signatures of the key and JWE helpers.
    ("py:class", "cryptography.hazmat.primitives.asymmetric.ed25519.Ed25519PrivateKey"),
    ("py:class", "cryptography.hazmat.primitives.asymmetric.ed25519.Ed25519PublicKey"),
    ("py:class", "cryptography.hazmat.primitives.asymmetric.ec.EllipticCurvePrivateKey"),
    ("py:class", "cryptography.hazmat.primitives.asymmetric.ec.EllipticCurvePublicKey"),
    ("py:class", "cryptography.hazmat.primitives.asymmetric.x25519.X25519PrivateKey"),
    ("py:class", "cryptography.hazmat.primitives.asymmetric.x25519.X25519PublicKey"),
    # python-stdnum modules whose rules the validators follow or differ from.
    ("py:mod", "stdnum.bic"),
    ("py:mod", "stdnum.cn.ric"),
    ("py:mod", "stdnum.cn.uscc"),
    ("py:mod", "stdnum.iban"),
    ("py:mod", "stdnum.imei"),
    # attrs.evolve (defined as attr.evolve), named where a frozen instance is changed.
    ("py:func", "attr.evolve"),
]

_PYTHON_DOCS = "https://docs.python.org/3/library/"


def _import_prefix(parts: list[str]) -> tuple[Any, int] | None:
    """The longest importable module that ``parts`` starts with, and its length."""
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        try:
            if importlib.util.find_spec(name) is None:
                continue
            return importlib.import_module(name), end
        except (ImportError, ValueError, AttributeError):
            continue
    return None


def _private(name: str) -> bool:
    return any(part.startswith("_") and not part.endswith("__") for part in name.split("."))


def _public_alias(obj: Any) -> str | None:
    """Where a public package re-exports a class or function defined in a private module."""
    module = obj.__module__.split(".")
    head = obj.__qualname__.partition(".")[0]
    for end in range(len(module) - 1, 0, -1):
        prefix = ".".join(module[:end])
        package = sys.modules.get(prefix)
        if (
            package is not None
            and not _private(prefix)
            and getattr(package, head, None)
            is (getattr(sys.modules.get(obj.__module__), head, _MISSING))
        ):
            return f"{prefix}.{obj.__qualname__}"
    # Else a public module that lists it in __all__ (where the API reference has it).
    exporters = sorted(
        name
        for name, module in list(sys.modules.items())
        if name.startswith("antifraud_common")
        and not _private(name)
        and head in getattr(module, "__all__", ())
        and getattr(module, head, None) is getattr(sys.modules.get(obj.__module__), head, _MISSING)
    )
    if exporters:
        return f"{min(exporters, key=len)}.{obj.__qualname__}"
    return None


def _name_of(obj: Any, accessed: str, part: str) -> str:
    """The name a reference to ``obj``, reached as ``accessed``, should resolve to."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    defined_in = sys.modules.get(getattr(obj, "__module__", None) or "")
    if (
        (inspect.isclass(obj) or inspect.isroutine(obj))
        and hasattr(obj, "__qualname__")
        and hasattr(defined_in, obj.__qualname__.partition(".")[0])
    ):
        # (A bound builtin such as a ContextVar's get has no home module: keep its path.)
        real = f"{obj.__module__}.{obj.__qualname__}"
        if not _private(real):
            return real
        return _public_alias(obj) or (real if _private(accessed) else accessed)
    # Typing constructs and other module-level singletons: where they are defined.
    home = sys.modules.get(getattr(obj, "__module__", None) or "")
    if home is not None and home.__name__ != "builtins" and getattr(home, part, None) is obj:
        return f"{home.__name__}.{part}"
    return accessed


def _canonical(path: str) -> str | None:
    """The fully qualified name of the object that the dotted ``path`` is bound to."""
    parts = path.split(".")
    found = _import_prefix(parts)
    if found is None:
        return None
    obj, end = found
    name = obj.__name__
    for part in parts[end:]:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            if inspect.isclass(obj) and any(
                part in vars(base).get("__annotations__", {}) for base in obj.__mro__
            ):
                # Declared but without a value here (a ClassVar set by each subclass).
                return f"{name}.{part}"
            return None
        name = _name_of(obj, f"{name}.{part}", part)
    return name


@functools.cache
def _type_checking_imports(module_name: str) -> dict[str, str]:
    """Names a module imports only for the type checker (``if TYPE_CHECKING:``)."""
    module = sys.modules.get(module_name)
    try:
        tree = ast.parse(inspect.getsource(module)) if module else None
    except (OSError, TypeError, SyntaxError):
        tree = None
    if tree is None:
        return {}
    package = module_name if hasattr(module, "__path__") else module_name.rpartition(".")[0]
    names: dict[str, str] = {}
    for block in ast.walk(tree):
        if not isinstance(block, ast.If) or "TYPE_CHECKING" not in ast.unparse(block.test):
            continue
        for stmt in ast.walk(block):
            if isinstance(stmt, ast.ImportFrom):
                base = stmt.module or ""
                if stmt.level:
                    parent = package.rsplit(".", stmt.level - 1)[0] if stmt.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                for alias in stmt.names:
                    names[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    names[alias.asname or alias.name.partition(".")[0]] = (
                        alias.name if alias.asname else alias.name.partition(".")[0]
                    )
    return names


def _candidates(node: Any) -> list[str]:
    """Canonical names the reference can mean, most specific context first."""
    target = node.get("reftarget", "").lstrip(".~")
    module = node.get("py:module")
    cls = node.get("py:class")
    scopes = []
    if module and cls:
        scopes.append(f"{module}.{cls}")
        owner = _canonical(f"{module}.{cls}")
        defined = getattr(sys.modules.get(module), cls.partition(".")[0], None)
        if owner is not None:
            scopes.append(owner)
        if inspect.isclass(defined) and defined.__module__ != module:
            scopes.append(defined.__module__)
    if module:
        scopes.append(module)
    scopes.append("")
    names: list[str] = []
    head, dot, rest = target.partition(".")
    for scope in scopes:
        full = f"{scope}.{target}" if scope else target
        found = [_canonical(full)]
        imported = _type_checking_imports(scope) if scope in sys.modules else {}
        if head in imported:
            found.append(_canonical(imported[head] + dot + rest))
        for canonical in found:
            if canonical is not None and canonical not in names:
                names.append(canonical)
    return names


def _stdlib_link(target: str, contnode: Any) -> Any:
    parts = target.split(".")
    if parts[0] not in sys.stdlib_module_names:
        return None
    found = _import_prefix(parts)
    if found is None:
        return None
    ref = nodes.reference(
        "", "", internal=False, refuri=f"{_PYTHON_DOCS}{found[0].__name__}.html#{target}"
    )
    ref.append(contnode)
    return ref


def _resolve(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a Python reference that Sphinx's own lookup missed (see the module doc)."""
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    candidates = _candidates(node)
    for name in candidates:
        resolved = domain.resolve_xref(
            env, node["refdoc"], app.builder, "obj", name, node, contnode
        )
        if resolved is not None:
            return resolved
    for name in candidates:
        if _private(name):
            # A private helper is not in the API reference: name it, unlinked.
            return contnode
        parent = name.rpartition(".")[0]
        if node.get("reftype") in {"attr", "data"} and parent:
            # An undocumented attribute (an attrs field, a constant): its owner's entry.
            resolved = domain.resolve_xref(
                env, node["refdoc"], app.builder, "obj", parent, node, contnode
            )
            if resolved is not None:
                return resolved
    for name in [*candidates, node.get("reftarget", "")]:
        link = _stdlib_link(name, contnode)
        if link is not None:
            return link
    for name in candidates:
        if (f"py:{node.get('reftype')}", name) in app.config.nitpick_ignore:
            # An external target listed below: named, unlinked.
            return contnode
    return None


def _pin_references(app: Any, doctree: Any) -> None:
    """Point each Python reference at the object its module binds the name to.

    Runs before references are resolved, so that a short name in a type hint
    (``NumberPlan``) is not looked up by Sphinx's fuzzy search, which finds every
    documented object of that name and cannot choose between them.
    """
    for node in doctree.findall(addnodes.pending_xref):
        if node.get("refdomain") != "py":
            continue
        names = [name for name in _candidates(node) if not _private(name)]
        if names and names[0] != node["reftarget"]:
            node["reftarget"] = names[0]
            node["refspecific"] = False


def _skip_reexport(  # noqa: PLR0917 - the signature of the Sphinx event
    app: Any, what: str, name: str, obj: Any, skip: bool, options: Any
) -> Any:
    """Document a re-exported name only where it is defined, not again where it is imported."""
    if what != "module" or skip:
        return None
    package = sys.modules.get(getattr(app.env, "temp_data", {}).get("autodoc:module", ""))
    if package is None:
        return None
    defined_in = getattr(obj, "__module__", None) or ""
    if inspect.isclass(obj) or inspect.isroutine(obj):
        home = sys.modules.get(defined_in)
        if (
            defined_in != package.__name__
            and not _private(defined_in)
            and home is not None
            and getattr(home, getattr(obj, "__name__", ""), None) is obj
        ):
            return True
        return None
    if not hasattr(package, "__path__"):
        return None
    for sub in list(sys.modules.values()):
        sub_name = getattr(sub, "__name__", "")
        if (
            sub_name.startswith(package.__name__ + ".")
            and not _private(sub_name)
            and vars(sub).get(name, _MISSING) is obj
            and sub is not obj
        ):
            return True
    return None


_MISSING = object()
_ENUM_REPR = re.compile(r"<([A-Za-z_][\w.]*): [^<>]*>")


def _readable_signature(  # noqa: PLR0917 - the signature of the Sphinx event
    app: Any, what: str, name: str, obj: Any, options: Any, signature: Any, annotation: Any
) -> Any:
    """Write enum members in default values as ``Kind.PHONE``, not their ``<...>`` repr."""
    if signature and "<" in signature:
        return _ENUM_REPR.sub(r"\1", signature), annotation
    return None


def setup(app: Any) -> None:
    app.connect("doctree-read", _pin_references)
    app.connect("missing-reference", _resolve)
    app.connect("autodoc-skip-member", _skip_reexport)
    app.connect("autodoc-process-signature", _readable_signature)
