"""Tests for delta files: format, make_delta, apply_delta, check_delta, sign_delta."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antifraud_common.errors import (
    BlacklistFormatError,
    DeltaBaseMismatchError,
    DeltaMismatchError,
    HashMismatchError,
    ProtectedIdentifierError,
    ScopeError,
)
from antifraud_common.exchange import delta
from antifraud_common.exchange.entries import NO_PROTECTED, EntriesScope, write_entries
from antifraud_common.format import canonical
from antifraud_common.models import Action, Entry, IdentifierKind

T = datetime(2026, 1, 1, tzinfo=UTC)


def entry(n: int, case: str = "A-1", kind: str = "phone", action: str = "block") -> Entry:
    value = f"+86138{n:08d}" if kind == "phone" else f"86{n:013d}"
    return Entry(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref=case,
        confidence=90,
        tlp="amber",
        listed_at=T,
        valid_from=T,
    )


def real_entry(number: str, case: str = "A-1") -> Entry:
    return Entry.from_raw(
        kind="phone",
        value=number,
        reason="telecom_fraud",
        action="block",
        source="mps",
        case_ref=case,
        confidence=90,
        tlp="amber",
        listed_at=T,
        valid_from=T,
    )


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_line_format_is_canonical(tmp_path: Path) -> None:
    old, new, out = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "d.jsonl"
    write_entries(old, [entry(1), entry(2)])
    write_entries(new, [entry(2, "B-7"), entry(3)])
    info = delta.make_delta(old, new, out)
    lines = out.read_bytes().splitlines()
    assert len(lines) == info.op_count == 3
    for line in lines:
        assert canonical.is_canonical(line)
    ops = [json.loads(line) for line in lines]
    assert ops[0] == {"kind": "phone", "op": "remove", "value": "+8613800000001"}
    assert ops[1]["op"] == "replace" and ops[1]["entry"]["case_ref"] == "B-7"
    assert ops[2]["op"] == "add" and ops[2]["entry"] == entry(3).to_dict()
    assert (info.adds, info.replaces, info.removes) == (1, 1, 1)
    assert info.base_sha256 == sha(old) and info.result_sha256 == sha(new)
    assert info.sha256 == sha(out) and info.byte_length == out.stat().st_size
    assert (info.base_count, info.result_count) == (2, 2)


def test_identical_snapshots_give_empty_delta(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    write_entries(a, [entry(1)])
    info = delta.make_delta(a, a, tmp_path / "d.jsonl")
    assert info.op_count == 0
    assert (tmp_path / "d.jsonl").read_bytes() == b""
    assert info.base_sha256 == info.result_sha256


def test_empty_base_and_empty_result(tmp_path: Path) -> None:
    empty, full = tmp_path / "e.jsonl", tmp_path / "f.jsonl"
    empty.write_bytes(b"")
    write_entries(full, [entry(i) for i in range(5)])
    up = delta.make_delta(empty, full, tmp_path / "up.jsonl")
    down = delta.make_delta(full, empty, tmp_path / "down.jsonl")
    assert (up.adds, down.removes) == (5, 5)
    assert delta.apply_delta(empty, tmp_path / "up.jsonl", tmp_path / "r1") == sha(full)
    assert delta.apply_delta(full, tmp_path / "down.jsonl", tmp_path / "r2") == sha(empty)


keys = st.dictionaries(st.integers(0, 60), st.sampled_from(["A-1", "A-2", "B-3"]), max_size=40)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=keys, b=keys, imei=st.booleans())
def test_apply_of_make_is_identity(
    tmp_path: Path, a: dict[int, str], b: dict[int, str], imei: bool
) -> None:
    kind = "imei" if imei else "phone"
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    d, out = tmp_path / "d.jsonl", tmp_path / "out.jsonl"
    # Two kinds in one list: the order is by kind first, then value.
    write_entries(old, [entry(k, c, kind=kind) for k, c in a.items()] + [entry(999)])
    write_entries(new, [entry(k, c, kind=kind) for k, c in b.items()] + [entry(999)])
    info = delta.make_delta(old, new, d)
    result = delta.apply_delta(
        old, d, out, base_sha256=info.base_sha256, result_sha256=info.result_sha256
    )
    assert out.read_bytes() == new.read_bytes()
    assert result == info.result_sha256 == sha(new)
    assert info.adds == len(b.keys() - a.keys())
    assert info.removes == len(a.keys() - b.keys())
    assert info.replaces == sum(1 for k in a.keys() & b.keys() if a[k] != b[k])


def _write_ops(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def _entry_line(e: Entry) -> bytes:
    return canonical.dumps(e.to_dict())


@pytest.mark.parametrize(
    ("ops", "code", "line"),
    [
        ([delta.op_line("add", _entry_line(entry(1)))], "delta_add_existing", 1),
        ([delta.op_line("replace", _entry_line(entry(5)))], "delta_key_missing", 1),
        (
            [
                delta.op_line("add", _entry_line(entry(0))),
                delta.remove_line("phone", entry(4).value),
            ],
            "delta_key_missing",
            2,
        ),
    ],
)
def test_apply_is_strict(tmp_path: Path, ops: list[bytes], code: str, line: int) -> None:
    base, d, out = tmp_path / "b.jsonl", tmp_path / "d.jsonl", tmp_path / "o.jsonl"
    write_entries(base, [entry(1), entry(2)])
    _write_ops(d, ops)
    with pytest.raises(DeltaMismatchError) as info:
        delta.apply_delta(base, d, out)
    assert info.value.code == code
    assert info.value.line == line
    assert not out.exists()


def test_apply_refuses_unsorted_and_duplicate_ops(tmp_path: Path) -> None:
    base, d, out = tmp_path / "b.jsonl", tmp_path / "d.jsonl", tmp_path / "o.jsonl"
    write_entries(base, [entry(1), entry(2)])
    _write_ops(
        d, [delta.remove_line("phone", entry(2).value), delta.remove_line("phone", entry(1).value)]
    )
    with pytest.raises(BlacklistFormatError) as info:
        delta.apply_delta(base, d, out)
    assert (info.value.code, info.value.line) == ("not_sorted", 2)
    _write_ops(d, [delta.remove_line("phone", entry(1).value)] * 2)
    with pytest.raises(BlacklistFormatError) as info:
        delta.apply_delta(base, d, out)
    assert (info.value.code, info.value.line) == ("duplicate_key", 2)
    assert not out.exists()


def test_apply_checks_base_and_result_hashes(tmp_path: Path) -> None:
    old, new, d = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "d.jsonl"
    write_entries(old, [entry(1)])
    write_entries(new, [entry(1), entry(2)])
    info = delta.make_delta(old, new, d)
    with pytest.raises(DeltaBaseMismatchError):
        delta.apply_delta(old, d, tmp_path / "o", base_sha256="0" * 64)
    with pytest.raises(DeltaMismatchError) as e:
        delta.apply_delta(old, d, tmp_path / "o", result_sha256="0" * 64)
    assert e.value.code == "delta_result_mismatch"
    assert not (tmp_path / "o").exists()
    assert delta.apply_delta(old, d, tmp_path / "o", result_sha256=info.result_sha256)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b'{"op":"add"}', "bad_delta_op"),
        (b'{"entry":{"kind":"phone","value":"1"},"op":"upsert"}', "bad_delta_op"),
        (b'{"kind":"phone","op":"remove","value":"+8613800000001","x":1}', "bad_delta_op"),
        (b'{"kind":"phone", "op":"remove","value":"+8613800000001"}', "not_canonical"),
        (b'{"kind":"fax","op":"remove","value":"1"}', "bad_delta_op"),
    ],
)
def test_bad_op_lines(tmp_path: Path, line: bytes, code: str) -> None:
    d = tmp_path / "d.jsonl"
    _write_ops(d, [line])
    with pytest.raises(BlacklistFormatError) as info:
        list(delta.iter_delta_ops(d))
    assert (info.value.code, info.value.line) == (code, 1)


def test_entry_key_with_escaped_value() -> None:
    line = canonical.dumps({"kind": "bank_account", "value": 'a"b\\c'})
    assert delta.entry_key(line) == (b"bank_account", b'a"b\\c')
    with pytest.raises(BlacklistFormatError):
        delta.entry_key(b'{"x":1}')


# ------------------------------------------------------------------ check_delta


def _delta_file(tmp_path: Path, lines: list[bytes]) -> Path:
    d = tmp_path / "d.jsonl"
    _write_ops(d, lines)
    return d


def test_check_delta_accepts_valid_ops(tmp_path: Path) -> None:
    a, b = real_entry("13800138000"), real_entry("13900139000")
    d = _delta_file(
        tmp_path,
        [delta.op_line("add", _entry_line(a)), delta.remove_line("phone", b.value)],
    )
    scope = EntriesScope(kinds=[IdentifierKind.PHONE], actions=[Action.BLOCK])
    s = delta.check_delta(d, scope=scope, protected=NO_PROTECTED)
    assert s.ok and s.entry_count == 2 and s.sha256 == sha(d)


def test_check_delta_refuses_invalid_entry_and_scope(tmp_path: Path) -> None:
    bad = entry(1).to_dict() | {"value": "+86123"}
    d = _delta_file(tmp_path, [delta.op_line("add", canonical.dumps(bad))])
    with pytest.raises(BlacklistFormatError) as e:
        delta.check_delta(d, protected=NO_PROTECTED)
    assert (e.value.code, e.value.line) == ("invalid_entry", 1)
    d = _delta_file(tmp_path, [delta.remove_line("phone", "138 0013 8000")])
    with pytest.raises(BlacklistFormatError) as e:
        delta.check_delta(d, protected=NO_PROTECTED)
    assert e.value.code == "invalid_entry"
    good = real_entry("13800138000")
    d = _delta_file(tmp_path, [delta.op_line("add", _entry_line(good))])
    scope = EntriesScope(kinds=[IdentifierKind.IMEI], actions=[Action.BLOCK])
    with pytest.raises(ScopeError):
        delta.check_delta(d, scope=scope, protected=NO_PROTECTED)
    report = delta.check_delta(d, scope=scope, protected=NO_PROTECTED, collect=True)
    assert not report.ok and report.problem_count == 1


def test_check_delta_protected_add_refused_remove_allowed(tmp_path: Path) -> None:
    hotline = "tel:95588;phone-context=+86"
    e = Entry(
        kind="phone", value=hotline, reason="impersonation", action="block", source="mps",
        case_ref="A", confidence=50, tlp="amber", listed_at=T, valid_from=T,
    )  # fmt: skip
    d = _delta_file(tmp_path, [delta.op_line("add", _entry_line(e))])
    with pytest.raises(ProtectedIdentifierError):
        delta.check_delta(d)
    assert delta.check_delta(d, allow_protected=[("phone", hotline)]).ok
    d = _delta_file(tmp_path, [delta.remove_line("phone", hotline)])
    assert delta.check_delta(d).ok


def test_check_delta_length_cap(tmp_path: Path) -> None:
    d = _delta_file(tmp_path, [delta.remove_line("phone", "+8613800138000")])
    with pytest.raises(HashMismatchError) as e:
        delta.check_delta(d, protected=NO_PROTECTED, max_bytes=10)
    assert e.value.code == "length_mismatch"


# -------------------------------------------------------------------- sign_delta


def test_sign_delta_writes_verifiable_manifest(tmp_path: Path) -> None:
    from antifraud_common.exchange.signing import read_manifest
    from antifraud_common.format.keys import LocalSigner

    old, new = tmp_path / "v1.jsonl", tmp_path / "v2.jsonl"
    write_entries(old, [real_entry("13800138000")])
    write_entries(new, [real_entry("13900139000")])
    info, manifest = delta.sign_delta(
        old, new, tmp_path / "v2.delta.jsonl", [LocalSigner.generate()],
        issuer="mps", list_id="fraud", list_type="fraud_numbers", version=2,
        base_version=1, issued_at=T, expires=T + timedelta(days=1),
    )  # fmt: skip
    sig = (tmp_path / "v2.delta.jsonl.sig").read_bytes()
    assert read_manifest(sig) == manifest
    assert manifest.is_delta and manifest.entry_count == info.op_count == 2
    assert manifest.base_sha256 == sha(old) and manifest.result_sha256 == sha(new)
    assert manifest.sha256 == sha(tmp_path / "v2.delta.jsonl")
    assert manifest.result_count == 1


def test_unknown_range_is_reported_distinctly(tmp_path: Path) -> None:
    # A publisher with a newer number plan may list a block this plan does not know:
    # the receiver refuses it with its own code, never as a plain invalid entry.
    bad = entry(1).to_dict() | {"value": "+8615400138000"}
    d = _delta_file(tmp_path, [delta.op_line("add", canonical.dumps(bad))])
    with pytest.raises(BlacklistFormatError) as e:
        delta.check_delta(d, protected=NO_PROTECTED)
    assert (e.value.code, e.value.line) == ("unknown_range", 1)
    assert "number plan is version" in e.value.message
    d = _delta_file(tmp_path, [delta.remove_line("phone", "+8615400138000")])
    with pytest.raises(BlacklistFormatError) as e:
        delta.check_delta(d, protected=NO_PROTECTED)
    assert e.value.code == "unknown_range"
