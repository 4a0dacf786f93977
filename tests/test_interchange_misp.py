"""MISP feed and warninglist, checked against MISP's published JSON schemas."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from antifraud_common.errors import FileAccessError
from antifraud_common.interchange import misp
from antifraud_common.interchange._records import InterchangeFormatError
from antifraud_common.protected import ProtectedList

VECTORS = Path(__file__).parent / "vectors" / "misp"


def _kit() -> ModuleType:
    name = "_interchange_kit"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


K = _kit()


def _schema(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


def _feed(tmp_path: Path) -> Path:
    folder = tmp_path / "feed"
    misp.export_feed({"fraud-lists": K.sample_entries()}, folder)
    return folder


def test_every_event_passes_the_misp_core_format_schema(tmp_path: Path) -> None:
    folder = _feed(tmp_path)
    schema = _schema("core-format-schema.json")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest) == 3  # one event per issuer: miit, mps, pboc
    types = set()
    for event_uuid, summary in manifest.items():
        doc = json.loads((folder / f"{event_uuid}.json").read_text(encoding="utf-8"))
        jsonschema.Draft4Validator(schema).validate(doc)
        event = doc["Event"]
        assert event["uuid"] == event_uuid and summary["Orgc"] == event["Orgc"]
        assert summary["info"] == event["info"]
        assert int(event["attribute_count"]) == len(event["Attribute"])
        types |= {a["type"] for a in event["Attribute"]}
        assert (folder / f"{event_uuid}.json").stat().st_mode & 0o777 == 0o600
    assert types == {"phone-number", "cc-number", "iban", "bank-account-nr", "text"}


def test_schema_check_is_not_vacuous(tmp_path: Path) -> None:
    folder = _feed(tmp_path)
    schema = _schema("core-format-schema.json")
    event_uuid = next(iter(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))))
    doc = json.loads((folder / f"{event_uuid}.json").read_text(encoding="utf-8"))
    del doc["Event"]["Orgc"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(doc)


def test_feed_round_trip_gives_back_the_same_entries(tmp_path: Path) -> None:
    entries = K.sample_entries()
    result = misp.import_feed(_feed(tmp_path))
    assert result.ok and result.records == len(entries)
    key = lambda e: e.key  # noqa: E731
    assert sorted(result.entries, key=key) == sorted(entries, key=key)


def test_warninglist_passes_the_warninglist_schema() -> None:
    doc = misp.warninglist()
    jsonschema.Draft4Validator(_schema("warninglist-schema.json")).validate(doc)
    table = ProtectedList.load_default()
    assert "110" in doc["list"] and "tel:110;phone-context=+86" in doc["list"]
    assert len(doc["list"]) >= len(table)
    assert doc["matching_attributes"] == ["phone-number"]
    assert table.compiled is not None and doc["version"] == int(table.compiled.strftime("%Y%m%d"))
    bad = dict(doc, type="prefix")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(_schema("warninglist-schema.json")).validate(bad)


def _write_event(folder: Path, attributes: list[object], orgc: str = "mps") -> None:
    folder.mkdir(exist_ok=True)
    event_uuid = "0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8"
    (folder / "manifest.json").write_text(json.dumps({event_uuid: {"info": "x"}}), "utf-8")
    event = {"Event": {"uuid": event_uuid, "Orgc": {"name": orgc}, "Attribute": attributes}}
    (folder / f"{event_uuid}.json").write_text(json.dumps(event), "utf-8")


def _attr(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "type": "phone-number",
        "value": "+8613800138000",
        "comment": "A-1",
        "timestamp": "1767225600",
        "Tag": [
            {"name": "tlp:amber"},
            {"name": 'antifraud:reason="telecom_fraud"'},
            {"name": 'antifraud:action="block"'},
            {"name": 'antifraud:confidence="90"'},
        ],
    }
    base.update(fields)
    return base


def test_every_bad_attribute_is_reported_with_its_number_and_code(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    _write_event(
        folder,
        [
            _attr(),
            _attr(value="12", uuid="u-2"),
            _attr(type="ip-dst", value="198.51.100.1"),
            _attr(comment="@SUM(1+1)*cmd|' /C calc'!A0"),
            _attr(value="+8613900139000", Tag=[{"name": "tlp:amber+strict"}]),
            _attr(value="+8613700137000", timestamp="yesterday"),
            _attr(value=f"{K.CARD}", type="cc-number"),
            _attr(value="+8613800138000"),
            _attr(type="cc-number", value="=1+1"),
        ],
    )
    result = misp.import_feed(folder)
    got = [(e.record, e.code, e.field) for e in result.errors]
    assert got == [
        (2, "too_short", "value"),
        (3, "unsupported_type", "type"),
        (4, "formula_injection", "case_ref"),
        (5, "unsupported_tlp", "tlp"),
        (6, "invalid_timestamp", "listed_at"),
        (8, "duplicate_key", "value"),
        (9, "formula_injection", "value"),
    ]
    assert result.errors[0].ref == "u-2"
    assert result.records == 9 and len(result.entries) == 2
    assert all(K.CARD not in e.message for e in result.errors)


def test_a_manifest_naming_a_path_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"../../etc/passwd": {}}), "utf-8")
    with pytest.raises(InterchangeFormatError) as info:
        misp.import_feed(folder)
    assert info.value.code == "not_a_feed"
    (folder / "manifest.json").write_text("[]", "utf-8")
    with pytest.raises(InterchangeFormatError):
        misp.import_feed(folder)
    (folder / "manifest.json").write_text(
        json.dumps({"0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8": {}}), "utf-8"
    )
    with pytest.raises(FileAccessError) as missing:
        misp.import_feed(folder)
    assert missing.value.code == "file_not_found"
