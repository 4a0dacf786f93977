"""The spec publishes the packaged protected-numbers table (docs/spec/protected-numbers.md)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from antifraud_common.protected import ProtectedList

ROOT = Path(__file__).resolve().parent.parent


def _load():
    spec = importlib.util.spec_from_file_location(
        "make_protected_table", ROOT / "scripts" / "make_protected_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_spec_holds_the_packaged_table():
    assert _load().main(["--check"]) == 0


def test_the_table_in_the_spec_is_what_the_library_protects():
    doc = (ROOT / "docs" / "spec" / "protected-numbers.md").read_text(encoding="utf-8")
    keys = set(re.findall(r"^\| `([a-z_]+)` \| `([^`]+)` \|", doc, flags=re.MULTILINE))
    packaged = {(n.kind.value, n.value) for n in ProtectedList.load_default().numbers}
    assert keys == packaged
    assert len(keys) > 50


def test_a_stale_table_is_detected():
    mod = _load()
    doc = (ROOT / "docs" / "spec" / "protected-numbers.md").read_text(encoding="utf-8")
    csv_text = mod.CSV_PATH.read_text(encoding="utf-8")
    assert mod.render(doc, csv_text) == doc
    extra = csv_text + "phone,tel:12399;phone-context=+86,government,Test,test\n"
    assert mod.render(doc, extra) != doc
