"""The shipped JSON Schemas accept every golden document and agree with the models."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from antifraud_common import schemas
from antifraud_common.cli import main
from antifraud_common.errors import AntifraudError
from antifraud_common.exchange import TrustBundle, read_manifest
from antifraud_common.exchange.delta import make_delta
from antifraud_common.format import canonical
from antifraud_common.models import Entry, Manifest

GOLDEN = Path(__file__).parent / "golden"


def validator(name: str) -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resources(
        (schemas.load(n)["$id"], Resource.from_contents(schemas.load(n))) for n in schemas.names()
    )
    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def golden_entries(pattern: str = "*.jsonl") -> list[dict[str, Any]]:
    docs = []
    for path in sorted(GOLDEN.glob(pattern)):
        if pattern == "*.jsonl" and path.name.endswith(".pseudo.jsonl"):
            continue  # pseudonymised: the pseudonymised-entry schema (below)
        docs += [json.loads(line) for line in path.read_bytes().splitlines()]
    assert len(docs) >= 5
    return docs


def test_golden_pseudonymised_entries_validate() -> None:
    v = validator("pseudonymised-entry")
    docs = golden_entries("*.pseudo.jsonl")
    for doc in docs:
        v.validate(doc)
    with pytest.raises(jsonschema.ValidationError):
        validator("entry").validate(docs[0])


def test_schemas_are_valid_draft_2020_12() -> None:
    for name in schemas.names():
        jsonschema.Draft202012Validator.check_schema(schemas.load(name))


def test_golden_entries_validate() -> None:
    v = validator("entry")
    for doc in golden_entries():
        v.validate(doc)


def test_golden_manifests_validate() -> None:
    v = validator("manifest")
    sigs = sorted(GOLDEN.glob("*.jsonl.sig"))
    assert sigs
    for sig in sigs:
        v.validate(read_manifest(sig.read_bytes()).to_dict())


def test_golden_trust_bundle_validates() -> None:
    doc = json.loads((GOLDEN / "trust.json").read_bytes())
    validator("trust-bundle").validate(doc)
    assert TrustBundle.from_dict(doc).to_dict() == doc


def test_delta_lines_validate(tmp_path: Path) -> None:
    old = GOLDEN / "fraud-phones.jsonl"
    lines = old.read_bytes().splitlines(keepends=True)
    new = tmp_path / "new.jsonl"
    changed = json.loads(lines[1])
    changed["action"] = "watch"
    new.write_bytes(lines[0] + canonical.dumps(changed) + b"\n" + b"".join(lines[3:]))
    delta = tmp_path / "d.jsonl"
    make_delta(old, new, delta)
    ops = [json.loads(line) for line in delta.read_bytes().splitlines()]
    assert {op["op"] for op in ops} == {"replace", "remove"}
    v = validator("delta-op")
    for op in ops:
        v.validate(op)
    with pytest.raises(jsonschema.ValidationError):
        v.validate({"op": "remove", "kind": "phone"})


ENTRY_MUTATIONS: list[tuple[str, Any]] = [
    ("kind", "fax"),
    ("reason", "spam"),
    ("action", "BLOCK"),
    ("tlp", "white"),
    ("confidence", 101),
    ("confidence", -1),
    ("confidence", "90"),
    ("confidence", True),
    ("source", "MPS"),
    ("source", ""),
    ("case_ref", ""),
    ("listed_at", "2026-01-01"),
    ("listed_at", "2026-01-01T00:00:00+08:00"),
    ("valid_until", None),
    ("value", ""),
    ("value", 13800138000),
    ("value", "13800138000"),
    ("surprise", 1),
]


@pytest.mark.parametrize(("field", "bad"), ENTRY_MUTATIONS)
def test_schema_and_model_agree_on_refusals(field: str, bad: Any) -> None:
    good = golden_entries()[0]
    v = validator("entry")
    v.validate(good)
    Entry.from_dict(good)
    doc = copy.deepcopy(good)
    doc[field] = bad
    assert not v.is_valid(doc)
    with pytest.raises(AntifraudError):
        Entry.from_dict(doc)


def test_schema_and_model_agree_on_missing_fields() -> None:
    good = golden_entries()[0]
    v = validator("entry")
    for field in list(good):
        doc = {k: x for k, x in good.items() if k != field}
        assert not v.is_valid(doc), field
        with pytest.raises(AntifraudError):
            Entry.from_dict(doc)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("format", "antifraud-trust"),
        ("format_version", 2),
        ("version", 0),
        ("sha256", "A" * 64),
        ("content", "patch"),
        ("base_version", 1),
        ("extra", 1),
    ],
)
def test_manifest_schema_and_model_agree(field: str, bad: Any) -> None:
    doc = read_manifest((GOLDEN / "fraud-phones.jsonl.sig").read_bytes()).to_dict()
    v = validator("manifest")
    doc[field] = bad
    assert not v.is_valid(doc)
    with pytest.raises(AntifraudError):
        Manifest.from_dict(doc)


def test_unknown_schema_name() -> None:
    with pytest.raises(AntifraudError):
        schemas.load("nope")


def test_cli_prints_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "manifest"]) == 0
    assert json.loads(capsys.readouterr().out) == schemas.load("manifest")
    assert main(["schema", "nope"]) == 2
