"""The entries checker's fast path against the strict model path (exchange/entries.py).

The fast path decides timestamps and case references on the line's bytes, with
no date parser and no cache; these tests hold it to the exact verdicts of
``parse_timestamp`` and ``Entry.from_dict``.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import sys
import tracemalloc
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from antifraud_common import errors
from antifraud_common.exchange import entries as ent
from antifraud_common.format import canonical
from antifraud_common.models import Entry, parse_timestamp


def _load_realistic() -> ModuleType:
    path = Path(__file__).parents[1] / "benchmarks" / "_realistic.py"
    spec = importlib.util.spec_from_file_location("_bench_realistic_fast", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


R = _load_realistic()


def _model_ok(text: str) -> bool:
    try:
        parse_timestamp(text)
    except errors.ModelError:
        return False
    return True


def _fast_ok(text: str) -> bool:
    return ent._REAL_TS_RE.fullmatch(text.encode()) is not None


_EDGE_YEARS = [0, 1, 4, 99, 100, 400, 1600, 1900, 2000, 2023, 2024, 2025, 2100, 2400, 9996, 9999]


def test_timestamp_pattern_matches_the_parser_on_every_calendar_edge() -> None:
    times = ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "19:09:09"]
    for year, month, day in itertools.product(_EDGE_YEARS, range(14), range(33)):
        for t in times if (month, day) in {(1, 1), (2, 29), (12, 31)} else times[:1]:
            text = f"{year:04d}-{month:02d}-{day:02d}T{t}Z"
            assert _fast_ok(text) == _model_ok(text), text


_two = st.integers(0, 99).map(lambda n: f"{n:02d}")


@settings(max_examples=2000, deadline=None)
@given(
    year=st.one_of(st.sampled_from(_EDGE_YEARS), st.integers(0, 9999)),
    month=st.one_of(st.integers(0, 13), st.integers(0, 99)),
    day=st.one_of(st.integers(0, 32), st.integers(0, 99)),
    hms=st.tuples(_two, _two, _two),
)
@example(year=2100, month=2, day=29, hms=("00", "00", "00"))
@example(year=2000, month=2, day=29, hms=("23", "59", "59"))
def test_timestamp_pattern_is_the_parser(
    year: int, month: int, day: int, hms: tuple[str, str, str]
) -> None:
    text = f"{year:04d}-{month:02d}-{day:02d}T{':'.join(hms)}Z"
    assert _fast_ok(text) == _model_ok(text), text


def _case_ref_model_ok(text: str) -> bool:
    attr = ent._CASE_REF_ATTR
    assert attr.validator is not None
    try:
        attr.validator(None, attr, text)
    except errors.ModelError:
        return False
    return True


@settings(max_examples=1500, deadline=None)
@given(
    st.text(
        st.characters(codec="utf-8", exclude_characters='"\\'),
        min_size=1,
        max_size=140,
    ).filter(lambda t: not any(ord(c) < 0x20 for c in t))
)
@example(" A-1")
@example("A-1\x7f")
@example("案\u3000")
@example("x" * 128)
@example("x" * 129)
def test_case_ref_bytes_check_is_the_model_rule(text: str) -> None:
    assert ent._case_ref_ok(text.encode()) == _case_ref_model_ok(text), repr(text)


def _exact_ok(line: bytes) -> bool:
    try:
        Entry.from_dict(canonical.check_canonical(line))
    except (errors.AntifraudError, TypeError):
        return False
    return True


_BASE = {
    "action": "block",
    "case_ref": "粤公刑[2025]0012345号",
    "confidence": 70,
    "kind": "phone",
    "reason": "telecom_fraud",
    "source": "gd.gat",
    "tlp": "amber",
    "value": "+8613800138000",
}
_stamp = st.builds(
    lambda y, mo, d, h, mi, s: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
    st.sampled_from([1, 1900, 2000, 2024, 2025, 2026, 2100, 9999]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    listed_at=_stamp,
    valid_from=_stamp,
    valid_until=st.none() | _stamp,
    case_ref=st.one_of(
        st.sampled_from(["A-1", "粤公刑〔2025〕0012345号", " A", "A ", "案\u3000", "𠀀号"]),
        st.text(st.characters(codec="utf-8"), min_size=0, max_size=130),
    ),
)
def test_whole_line_verdict_is_the_exact_paths(
    listed_at: str, valid_from: str, valid_until: str | None, case_ref: str
) -> None:
    d: dict[str, object] = {
        **_BASE,
        "listed_at": listed_at,
        "valid_from": valid_from,
        "case_ref": case_ref,
    }
    if valid_until is not None:
        d["valid_until"] = valid_until
    line = canonical.dumps(d)
    s = ent.check_entries(io.BytesIO(line + b"\n"), protected=ent.NO_PROTECTED, collect=True)
    assert s.ok == _exact_ok(line), line


def test_realistic_lines_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    exact = ent._exact

    def counting(line: bytes, lineno: int) -> Entry:
        calls.append(lineno)
        return exact(line, lineno)

    monkeypatch.setattr(ent, "_exact", counting)
    data = b"".join(R.realistic_lines(5000, mix="mixed", seed=3))
    s = ent.check_entries(io.BytesIO(data), protected=ent.NO_PROTECTED)
    assert s.ok and s.entry_count == 5000
    # Only lines the pattern cannot take (an escaped quote or backslash in a case
    # reference, about one in a thousand) use the exact path.
    assert len(calls) < 25, len(calls)


def test_iterating_verified_entries_keeps_nothing_per_entry() -> None:
    lines = list(R.realistic_lines(20_000, mix="mixed", seed=4))
    data = b"".join(lines)
    expected = [Entry.from_dict(canonical.check_canonical(x[:-1])) for x in lines[::97]]
    got = []
    tracemalloc.start()
    try:
        for i, e in enumerate(ent.iter_verified_entries(io.BytesIO(data))):
            if i % 97 == 0:
                got.append(e)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == expected
    # 20,000 entries with distinct timestamps: a cache of parsed stamps would hold
    # about 50,000 datetimes (several MB); the iterator itself needs a few lines' worth.
    assert peak < 1_000_000, peak


def test_hash_only_verification_leaves_the_line_count_to_full_verification(
    tmp_path: Path,
) -> None:
    import hashlib
    from datetime import UTC, datetime, timedelta

    from antifraud_common.exchange import (
        EntriesSummary,
        Member,
        PublishRule,
        create_trust_bundle,
        load_trust,
        make_manifest,
        sign_manifest,
        sign_trust_bundle,
        verify_list,
        verify_list_report,
    )
    from antifraud_common.format.keys import LocalSigner

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    root, mps = LocalSigner.generate(), LocalSigner.generate()
    rule = PublishRule(list_type="fraud_numbers", kinds=["phone"], actions=["block", "watch"])
    bundle = create_trust_bundle(
        bundle_id="t",
        root_keys=[root.public_key],
        root_threshold=1,
        issued_at=t0,
        expires=t0 + timedelta(days=30),
        members=[Member(agency="mps", name="MPS", keys=[mps.public_key], publish=[rule])],
    )
    (tmp_path / "t.json").write_bytes(bundle.to_bytes())
    (tmp_path / "t.json.sig").write_bytes(sign_trust_bundle(bundle.to_bytes(), [root]))
    now = t0 + timedelta(hours=1)
    trust = load_trust(tmp_path / "t.json", tmp_path / "t.json.sig", now=now)
    # Larger than one read buffer, so the reused buffer is exercised.
    data = b"".join(R.realistic_lines(3000, seed=9))
    assert len(data) > 1 << 18
    entries = tmp_path / "l.jsonl"
    entries.write_bytes(data)
    for count, full_ok in ((3000, True), (2999, False)):
        summary = EntriesSummary(
            entry_count=count, byte_length=len(data), sha256=hashlib.sha256(data).hexdigest()
        )
        manifest = make_manifest(
            summary,
            issuer="mps",
            list_id="l",
            list_type="fraud_numbers",
            version=1,
            issued_at=t0,
            expires=t0 + timedelta(days=7),
        )
        sig = tmp_path / "l.jsonl.sig"
        sig.write_bytes(sign_manifest(manifest, [mps]))
        v = verify_list(entries, sig, trust=trust, now=now, check_lines=False)
        assert v.manifest.entry_count == count
        if full_ok:
            with verify_list(entries, sig, trust=trust, now=now) as full:
                assert sum(1 for _ in full.iter_entries()) == count
        else:
            with pytest.raises(errors.HashMismatchError) as e:
                verify_list(entries, sig, trust=trust, now=now)
            assert e.value.code == "count_mismatch"
            report = verify_list_report(entries, sig, trust=trust, now=now)
            assert "count_mismatch" in report.codes
        # A changed byte fails the hash-only verification.
        entries.write_bytes(data[:-2] + b"0\n")
        with pytest.raises(errors.HashMismatchError) as e:
            verify_list(entries, sig, trust=trust, now=now, check_lines=False)
        assert e.value.code == "hash_mismatch"
        entries.write_bytes(data)
