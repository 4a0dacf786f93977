"""STIX 2.1 export and import, checked with the stix2 library and the STIX validator."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from antifraud_common.interchange import stix
from antifraud_common.interchange._records import InterchangeFormatError


def _kit() -> ModuleType:
    name = "_interchange_kit"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


K = _kit()
CARD, T0, sample_entries = K.CARD, K.T0, K.sample_entries
stix2 = pytest.importorskip("stix2")
stix2validator = pytest.importorskip("stix2validator")


def test_export_passes_the_strict_stix_validator(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    assert stix.export_stix(sample_entries(), path) == 8
    results = stix2validator.validate_file(
        str(path), stix2validator.ValidationOptions(strict=True, version="2.1")
    )
    problems = [
        (o.object_id, e.message) for o in results.object_results for e in o.errors + o.warnings
    ]
    assert results.is_valid and problems == []
    assert path.stat().st_mode & 0o777 == 0o600


def test_stix2_parses_the_export_and_sees_markings_identity_and_validity() -> None:
    entries = sample_entries()
    bundle = stix2.parse(json.dumps(stix.export_bundle(entries)), allow_custom=False)
    by_id = {o.id: o for o in bundle.objects}
    indicators = [o for o in bundle.objects if o.type == "indicator"]
    assert len(indicators) == len(entries)
    for entry, ind in zip(entries, indicators, strict=True):
        identity = by_id[ind.created_by_ref]
        assert identity.type == "identity" and identity.name == entry.source
        (marking,) = ind.object_marking_refs
        assert marking == stix.TLP_MARKING_IDS[entry.tlp]
        assert by_id[marking].name == f"TLP:{entry.tlp.value.upper()}"
        assert ind.valid_from == entry.valid_from
        assert ind.get("valid_until") == entry.valid_until
        assert ind.confidence == entry.confidence
        assert f"'{entry.value}'" in ind.pattern


def test_round_trip_gives_back_the_same_entries(tmp_path: Path) -> None:
    entries = sample_entries()
    path = tmp_path / "b.json"
    stix.export_stix(entries, path)
    result = stix.import_stix(path)
    assert result.ok and result.records == len(entries)
    assert list(result.entries) == entries
    # Same entries, same bytes: the ids are derived from the content.
    again = tmp_path / "c.json"
    stix.export_stix(result.entries, again)
    assert again.read_bytes() == path.read_bytes()


def test_full_card_number_is_in_the_export_but_masked_in_errors() -> None:
    doc = json.dumps(stix.export_bundle(sample_entries()))
    assert CARD in doc  # the shared data itself
    bundle = stix.export_bundle(sample_entries() * 2)
    result = stix.import_bundle(bundle)
    dup = [e for e in result.errors if "bank_card" in e.message]
    assert dup and dup[0].code == "duplicate_key"
    assert all(CARD not in e.message for e in result.errors)
    assert "622202*********0128" in dup[0].message


def test_imports_what_the_stix2_library_produces() -> None:
    agency = stix2.Identity(name="cbirc", identity_class="organization")
    ind = stix2.Indicator(
        pattern="[x-antifraud-phone:value = '+8613912345678']",
        pattern_type="stix",
        valid_from="2026-02-01T00:00:00Z",
        valid_until="2026-08-01T00:00:00Z",
        created_by_ref=agency.id,
        confidence=70,
        object_marking_refs=[stix2.TLP_GREEN],  # a TLP 1.0 marking
    )
    card = stix2.Indicator(
        pattern=f"[x-antifraud-bank-card:value = '{CARD}']",
        pattern_type="stix",
        valid_from="2026-02-01T00:00:00Z",
        created_by_ref=agency.id,
        confidence=60,
        object_marking_refs=[stix2.TLP_RED],
    )
    other = stix2.Indicator(pattern="[ipv4-addr:value = '198.51.100.1']", pattern_type="stix")
    malware = stix2.Malware(name="x", is_family=False)
    bundle = stix2.Bundle(agency, ind, card, other, malware, stix2.TLP_GREEN, stix2.TLP_RED)
    result = stix.import_bundle(
        json.loads(bundle.serialize()),
        defaults={"reason": "investment_fraud", "action": "watch", "case_ref": "C-9"},
    )
    assert [(e.record, e.code, e.field) for e in result.errors] == [
        (4, "unsupported_pattern", "pattern")
    ]
    phone, bank_card = result.entries
    assert phone.value == "+8613912345678" and phone.source == "cbirc"
    assert phone.tlp.value == "green" and phone.confidence == 70
    assert phone.valid_until is not None and phone.valid_until.month == 8
    assert bank_card.value == CARD and bank_card.tlp.value == "red"
    assert dict(result.ignored) == {"malware": 1}


def _indicator(**overrides: Any) -> dict[str, Any]:
    bundle = stix.export_bundle(sample_entries()[:1])
    ind: dict[str, Any] = bundle["objects"][-1]
    ind.update(overrides)
    return ind


def test_every_bad_indicator_is_reported_with_its_position_and_code() -> None:
    good = stix.export_bundle(sample_entries()[:1])
    context = good["objects"][:-1]
    ext = dict(_indicator()["extensions"])
    hostile_ext = {k: dict(v, case_ref='=HYPERLINK("http://x")') for k, v in ext.items()}
    objects = [
        *context,
        _indicator(),
        _indicator(pattern="[x-antifraud-phone:value = '12']", id="indicator--a"),
        _indicator(pattern="[x-antifraud-fax:value = '+8613800138000']"),
        _indicator(valid_from="2026-13-01T00:00:00Z"),
        _indicator(extensions=hostile_ext),
        _indicator(created_by_ref="identity--00000000-0000-4000-8000-000000000000"),
        _indicator(
            object_marking_refs=["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]
        ),
        _indicator(confidence="high"),
        "not an object",
    ]
    result = stix.import_bundle({"type": "bundle", "id": "bundle--x", "objects": objects})
    n = len(context)
    got = [(e.record - n, e.code, e.field) for e in result.errors]
    assert got == [
        (2, "inconsistent_value", "value"),
        (3, "unsupported_pattern", "pattern"),
        (4, "invalid_timestamp", "valid_from"),
        (5, "formula_injection", "case_ref"),
        (6, "unknown_identity", "source"),
        (7, "unsupported_tlp", "tlp"),
        (8, "wrong_type", "confidence"),
        (9, "not_an_object", None),
    ]
    assert result.records == 9 and len(result.entries) == 1
    assert result.errors[0].ref == "indicator--a"
    with pytest.raises(InterchangeFormatError) as info:
        result.raise_for_errors()
    assert info.value.code == "record_errors"


def test_a_file_that_is_not_a_bundle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    for text, code in [
        ("{", "not_json"),
        ('{"type": "bundle", "type": "bundle"}', "not_json"),
        ('{"type": "bundle", "objects": [NaN]}', "not_json"),
        ('{"type": "report"}', "not_a_bundle"),
        ('{"type": "bundle", "objects": {}}', "not_a_bundle"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InterchangeFormatError) as info:
            stix.import_stix(path)
        assert info.value.code == code, text


def test_missing_fields_without_defaults_are_record_errors() -> None:
    bundle = stix.export_bundle(sample_entries()[:1])
    del bundle["objects"][-1]["extensions"]
    result = stix.import_bundle(bundle)
    assert [(e.code, e.field) for e in result.errors] == [("missing_value", "reason")]
    filled = stix.import_bundle(
        bundle, defaults={"reason": "telecom_fraud", "action": "block", "case_ref": "A-1"}
    )
    assert filled.entries == tuple(sample_entries()[:1])
    assert filled.entries[0].listed_at == T0
