"""The interchange verbs: export-stix, import-stix, export-misp, import-misp,
export-warninglist, export-xlsx, import-xlsx."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.cli import main
from antifraud_common.exchange.entries import write_entries


def _kit() -> ModuleType:
    name = "_interchange_kit"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


K = _kit()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    status = main(list(argv))
    c = capsys.readouterr()
    return status, json.loads(c.out) if c.out.strip() else {}, c.err


@pytest.fixture
def entries_file(tmp_path: Path) -> Path:
    path = tmp_path / "fraud-lists.jsonl"
    write_entries(path, K.sample_entries())
    return path


@pytest.mark.parametrize(
    ("export", "imp", "out_name"),
    [
        ("export-stix", "import-stix", "bundle.json"),
        ("export-misp", "import-misp", "feed"),
        ("export-xlsx", "import-xlsx", "e.xlsx"),
    ],
)
def test_export_then_import_gives_back_the_same_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    entries_file: Path,
    export: str,
    imp: str,
    out_name: str,
) -> None:
    if export == "export-xlsx":
        pytest.importorskip("openpyxl")
    target = tmp_path / out_name
    status, doc, _ = run(capsys, export, str(entries_file), "--out", str(target), "--json")
    assert status == 0 and doc["ok"] and doc["command"] == export
    back = tmp_path / "back.jsonl"
    status, doc, _ = run(capsys, imp, str(target), "--out", str(back), "--json")
    assert status == 0 and doc["ok"] and doc["imported"] == 8 and doc["problems"] == []
    assert back.read_bytes() == entries_file.read_bytes()
    assert K.CARD not in json.dumps(doc)


def test_import_with_bad_records_writes_nothing_and_reports_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entries_file: Path
) -> None:
    bundle = tmp_path / "b.json"
    run(capsys, "export-stix", str(entries_file), "--out", str(bundle))
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    doc["objects"][-1]["pattern"] = "[x-antifraud-imei:value = '12']"
    doc["objects"][-2]["valid_from"] = "yesterday"
    bundle.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "o.jsonl"
    status, result, _ = run(capsys, "import-stix", str(bundle), "--out", str(out), "--json")
    assert status == 1 and not result["ok"] and result["written"] is None
    codes = [e["code"] for e in result["problems"]]  # type: ignore[union-attr]
    assert codes == ["invalid_timestamp", "inconsistent_value"]
    assert not out.exists()
    status, _, err = run(capsys, "import-stix", str(bundle), "--out", str(out))
    assert status == 1 and "[invalid_timestamp]" in err and "nothing written" in err


def test_defaults_fill_what_foreign_records_lack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entries_file: Path
) -> None:
    bundle = tmp_path / "b.json"
    run(capsys, "export-stix", str(entries_file), "--out", str(bundle))
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    for obj in doc["objects"]:
        obj.pop("extensions", None) if obj["type"] == "indicator" else None
    bundle.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "o.jsonl"
    status, result, _ = run(
        capsys,
        "import-stix",
        str(bundle),
        "--out",
        str(out),
        "--json",
        "--default",
        "reason=telecom_fraud",
        "--default",
        "action=watch",
        "--default",
        "case_ref=STIX-1",
    )
    assert status == 0 and result["imported"] == 8
    status, result, _ = run(
        capsys,
        "import-stix",
        str(bundle),
        "--out",
        str(out),
        "--json",
        "--default",
        "confidence=high",
    )
    assert status == 2


def test_warninglist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "list.json"
    status, doc, _ = run(capsys, "export-warninglist", "--out", str(out), "--json")
    assert status == 0 and doc["values"] > 60
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "string" and "110" in data["list"]


def test_missing_input_is_a_typed_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, doc, _ = run(
        capsys, "import-misp", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--json"
    )
    assert status == 2 and doc["error"]["code"] == "file_not_found"  # type: ignore[index]
