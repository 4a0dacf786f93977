"""The API reference (docs/api/) lists every public module, and only existing ones.

A public module is one whose dotted name has no component starting with ``_``. Each is
documented by an ``.. automodule::`` directive on one of the docs/api/*.rst pages; the
docs build (nitpicky, warnings as errors) then checks every reference in it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "antifraud_common"
API = ROOT / "docs" / "api"


def public_modules() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = ["antifraud_common", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] == "__main__" or any(p.startswith("_") for p in parts):
            continue
        names.add(".".join(parts))
    return names


def documented_modules() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for page in sorted(API.glob("*.rst")):
        text = page.read_text(encoding="utf-8")
        for name in re.findall(r"^\.\. automodule:: (\S+)\s*$", text, flags=re.M):
            found.setdefault(name, []).append(page.name)
    return found


def test_public_modules_are_found() -> None:
    modules = public_modules()
    # The walk itself must see the package's layers, or the next test proves nothing.
    assert {"antifraud_common", "antifraud_common.phone", "antifraud_common.exchange.signing"} <= (
        modules
    )
    assert not any(m.endswith("__main__") or "._" in m for m in modules)


def test_every_public_module_is_in_the_api_reference() -> None:
    missing = sorted(public_modules() - set(documented_modules()))
    assert not missing, (
        f"public modules missing from the API reference: {missing}; add an "
        "'.. automodule:: NAME' with ':members:' to the fitting docs/api/*.rst page"
    )


def test_the_api_reference_names_only_existing_modules_once() -> None:
    documented = documented_modules()
    assert not sorted(set(documented) - public_modules())
    assert {name: pages for name, pages in documented.items() if len(pages) > 1} == {}


def test_every_api_page_is_in_the_toctree() -> None:
    index = (API / "index.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([a-z_]+)$", index, flags=re.M))
    assert {p.stem for p in API.glob("*.rst")} == listed


def test_references_are_checked() -> None:
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    assert re.search(r"^nitpicky = True$", conf, flags=re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "sphinx-build -W --keep-going" in ci
