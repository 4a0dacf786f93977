"""The realistic-list generator the benchmarks share (benchmarks/_realistic.py)."""

from __future__ import annotations

import collections
import importlib.util
import io
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common import errors
from antifraud_common.exchange.entries import NO_PROTECTED, check_entries
from antifraud_common.format import canonical
from antifraud_common.models import Entry, canonical_value


def _load() -> ModuleType:
    path = Path(__file__).parents[1] / "benchmarks" / "_realistic.py"
    spec = importlib.util.spec_from_file_location("_bench_realistic", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building
    spec.loader.exec_module(module)
    return module


R = _load()


@pytest.fixture(scope="module")
def phone_lines() -> list[bytes]:
    return list(R.realistic_lines(6000, seed=11))


@pytest.fixture(scope="module")
def mixed_lines() -> list[bytes]:
    return list(R.realistic_lines(6000, mix="mixed", seed=11))


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_phone_list_has_the_promised_shape(phone_lines: list[bytes]) -> None:
    entries = [json.loads(line) for line in phone_lines]
    n = len(entries)
    assert n == 6000
    assert len({e["listed_at"] for e in entries}) == n  # each entry its own second
    assert len({e["case_ref"] for e in entries}) == n
    assert 0.28 < sum(_has_cjk(e["case_ref"]) for e in entries) / n < 0.40
    assert 0.26 < sum("valid_until" in e for e in entries) / n < 0.34
    days = {e["listed_at"][:10] for e in entries}
    assert len(days) > 190 and min(days) >= "2025-09-01" and max(days) < "2026-03-20"
    sources = collections.Counter(e["source"] for e in entries)
    assert len(sources) >= 15 and sources.most_common(1)[0][1] < n / 2
    assert len({e["reason"] for e in entries}) == 5 and {e["action"] for e in entries} == {
        "block",
        "watch",
    }
    prefixes = {e["value"][:6] for e in entries}
    assert len(prefixes) > 60  # mobiles, fixed lines over many area codes, rarer ranges
    assert any(e["value"].startswith("+86400") for e in entries)
    # Interesting entries: quoted and non-BMP case references, one-second windows.
    assert any('"' in e["case_ref"] for e in entries)
    assert any(max(e["case_ref"]) > "\uffff" for e in entries)
    assert any(len(e["case_ref"]) == 128 for e in entries)
    assert any(e["valid_from"].startswith("2024-02-29") for e in entries)


def test_lines_are_valid_sorted_canonical_entries(
    phone_lines: list[bytes], mixed_lines: list[bytes]
) -> None:
    for lines in (phone_lines, mixed_lines):
        summary = check_entries(io.BytesIO(b"".join(lines)), protected=NO_PROTECTED, collect=True)
        assert summary.ok, summary.problems[:3]
        assert summary.entry_count == len(lines)
    # The exact path agrees line by line (a sample, it is slow).
    for line in random.Random(3).sample(mixed_lines, 300):
        Entry.from_dict(canonical.check_canonical(line[:-1]))


def test_mixed_list_holds_every_kind(mixed_lines: list[bytes]) -> None:
    kinds = collections.Counter(json.loads(line)["kind"] for line in mixed_lines)
    assert kinds == {"phone": 4200, "bank_card": 900, "bank_account": 600, "payment_account": 300}
    values = [json.loads(line)["value"] for line in mixed_lines]
    assert any(v[:2].isalpha() for v in values)  # IBANs among the bank accounts


def test_deterministic_with_a_seed(tmp_path: Path) -> None:
    a = R.write_realistic_list(tmp_path / "a.jsonl", 2000, seed=5)
    b = R.write_realistic_list(tmp_path / "b.jsonl", 2000, seed=5)
    c = R.write_realistic_list(tmp_path / "c.jsonl", 2000, seed=6)
    assert a.sha256 == b.sha256 != c.sha256
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert a.entry_count == 2000 and a.byte_length == (tmp_path / "a.jsonl").stat().st_size


def test_messy_forms_validate_back(mixed_lines: list[bytes]) -> None:
    rng = random.Random(1)
    changed = 0
    for line in mixed_lines[::5]:
        e = json.loads(line)
        raw = R.messy(e["kind"], e["value"], rng)
        changed += raw != e["value"]
        assert canonical_value(e["kind"], raw) == e["value"], (raw, e["value"])
    assert changed > len(mixed_lines[::5]) * 0.8


def test_unknown_mix_or_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mix"):
        R.kind_counts(10, "cards")
    with pytest.raises(ValueError, match="no realistic generator"):
        list(R.realistic_values("imei", 3))
    with pytest.raises(errors.ValidationError):
        canonical_value("phone", R.messy("phone", "+8613800138000", random.Random(0)) + "x")
