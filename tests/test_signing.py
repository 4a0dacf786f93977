"""Tests for signing and verifying lists: golden files, order of checks, state, grace, reports."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antifraud_common import errors
from antifraud_common.exchange import (
    NO_PROTECTED,
    TrustBundle,
    check_entries,
    co_sign,
    entry_line,
    load_trust,
    make_manifest,
    read_manifest,
    sign_list,
    sign_manifest,
    validate_entries_file,
    verify_list,
    verify_list_report,
    verify_manifest,
    write_entries,
)
from antifraud_common.exchange.entries import EntriesSummary
from antifraud_common.format import canonical
from antifraud_common.models import Entry, Manifest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_golden", ROOT / "scripts" / "make_golden.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_golden"] = module
    spec.loader.exec_module(module)
    return module


G = _load_generator()
T0: datetime = G.T0
NOW = T0 + timedelta(hours=1)


@attrs.frozen
class Record:
    version: int
    state_sha256: str


class FakeState:
    def __init__(self, **records: Record) -> None:
        self.records = records

    def get(self, issuer: str, list_id: str) -> Record | None:
        return self.records.get(f"{issuer}/{list_id}".replace("-", "_").replace("/", "__"))


def state_for(issuer: str, list_id: str, version: int, sha: str) -> FakeState:
    key = f"{issuer}/{list_id}".replace("-", "_").replace("/", "__")
    return FakeState(**{key: Record(version, sha)})


@pytest.fixture(scope="module")
def trust() -> TrustBundle:
    return load_trust(GOLDEN / "trust.json", GOLDEN / "trust.json.sig", now=NOW)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for p in GOLDEN.iterdir():
        if p.is_file():  # reference/ holds the reference-list goldens
            shutil.copy(p, tmp_path / p.name)
    return tmp_path


def paths(d: Path, name: str) -> tuple[Path, Path]:
    return d / f"{name}.jsonl", d / f"{name}.jsonl.sig"


# ------------------------------------------------------------------ golden


def test_golden_files_are_reproducible(tmp_path: Path) -> None:
    for p in G.build(tmp_path):
        assert (GOLDEN / p.name).read_bytes() == p.read_bytes(), p.name


def test_golden_lists_verify(trust: TrustBundle) -> None:
    with verify_list(*paths(GOLDEN, "fraud-phones"), trust=trust, now=NOW) as v:
        assert v.manifest.version == 7
        assert v.signers == ("mps",)
        assert v.state_sha256 == v.manifest.sha256
        assert list(v.iter_entries()) == sorted(
            G.phone_entries(), key=lambda e: (e.kind.value, e.value)
        )
        assert not v.grace_used and not v.unchanged
        assert v.to_dict()["manifest"]["entry_count"] == 5
    with verify_list(*paths(GOLDEN, "stop-payment"), trust=trust, now=NOW) as v:
        assert v.signers == ("bank1", "pbc")
        entries = list(v.iter_entries())
        assert [e.kind.value for e in entries] == ["bank_account", "bank_card"]
        assert "9014" in repr(v) or "stop-payment" in repr(v)
        assert "6222021123456789014" not in repr(entries)
    with verify_list(*paths(GOLDEN, "empty"), trust=trust, now=NOW) as v:
        assert list(v.iter_entries()) == []
        assert v.manifest.byte_length == 0


def test_golden_pseudonymised_list_verifies_and_answers(trust: TrustBundle) -> None:
    from antifraud_common.exchange.pseudonym import PseudonymIndex, verify_pseudonymised_list

    key = G.DOMAIN_KEY
    entries, sig = GOLDEN / "fraud-phones.pseudo.jsonl", GOLDEN / "fraud-phones.pseudo.jsonl.sig"
    with verify_pseudonymised_list(entries, sig, trust=trust, key=key, now=NOW) as v:
        assert v.manifest.pseudonym == key.pseudonym
        assert v.manifest.entry_count == 5
        index = PseudonymIndex.from_verified([v], key=key)
    r = index.check("138 0013 8000", now=NOW)
    assert r.listed and [m.case_ref for m in r.matches] == ["MPS-2026-0001"]
    assert index.check("+86 170 0123 4567", now=NOW).action.value == "watch"  # type: ignore[union-attr]
    assert not index.check("13800138001", now=NOW).listed
    # The plain golden list holds the same values: no line of either file names the other's.
    plain = (GOLDEN / "fraud-phones.jsonl").read_bytes()
    assert b"+8613800138000" in plain and b"+8613800138000" not in entries.read_bytes()


@pytest.mark.interop
def test_golden_pseudonymised_hmac_matches_openssl() -> None:
    import os
    import subprocess

    if shutil.which("openssl") is None:
        if os.environ.get("ANTIFRAUD_REQUIRE_INTEROP") == "1":
            pytest.fail("openssl is not installed (required: ANTIFRAUD_REQUIRE_INTEROP=1)")
        pytest.skip("openssl is not installed")

    lines = [json.loads(x) for x in (GOLDEN / "fraud-phones.pseudo.jsonl").read_text().splitlines()]
    mac = {x["case_ref"]: x["hmac"] for x in lines}["MPS-2026-0001"]
    done = subprocess.run(
        [
            "openssl",
            "dgst",
            "-sha256",
            "-mac",
            "HMAC",
            "-macopt",
            f"hexkey:{G.DOMAIN_KEY.secret.hex()}",
        ],
        input=b"+8613800138000",
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode().split()[-1] == mac


def test_read_manifest_unverified() -> None:
    m = read_manifest((GOLDEN / "fraud-phones.jsonl.sig").read_bytes())
    assert (m.issuer, m.list_id, m.entry_count) == ("mps", "fraud-phones", 5)


# ------------------------------------------------------------- publishing


def entry(value: str, **kw: object) -> Entry:
    fields: dict[str, object] = {
        "kind": "phone",
        "value": value,
        "reason": "telecom_fraud",
        "action": "block",
        "source": "mps",
        "case_ref": "C-1",
        "confidence": 80,
        "tlp": "green",
        "listed_at": T0,
        "valid_from": T0,
    }
    fields.update(kw)
    return Entry.from_raw(**fields)  # type: ignore[arg-type]


def sign(path: Path, trust: TrustBundle | None = None, **kw: object) -> Path:
    args: dict[str, object] = {
        "signers": [G.MEMBER_KEYS["mps"]],
        "issuer": "mps",
        "list_id": "l",
        "list_type": "fraud_numbers",
        "version": 3,
        "issued_at": T0,
        "expires": G.LIST_EXPIRES,
        "trust": trust,
    }
    args.update(kw)
    return sign_list(path, **args)  # type: ignore[arg-type]


def test_write_entries_sorts_and_refuses_duplicates(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    s = write_entries(p, [entry("13912345678"), entry("13800138000")])
    lines = p.read_bytes().splitlines(keepends=True)
    assert lines == [entry_line(entry("13800138000")), entry_line(entry("13912345678"))]
    assert s.entry_count == 2 and s.byte_length == p.stat().st_size
    with pytest.raises(errors.BlacklistFormatError) as e:
        write_entries(p, [entry("13800138000"), entry("13800138000", confidence=1)])
    assert e.value.code == "duplicate_key"
    card = Entry.from_raw(
        kind="bank_card",
        value="6222021123456789014",
        reason="mule_account",
        action="hold",
        source="pbc",
        case_ref="x",
        confidence=1,
        tlp="red",
        listed_at=T0,
        valid_from=T0,
    )
    with pytest.raises(errors.BlacklistFormatError) as e:
        write_entries(p, [card, card])
    assert "6222021123456789014" not in str(e.value)
    assert "622202" in str(e.value)


def test_sign_list_refuses_what_receivers_refuse(tmp_path: Path, trust: TrustBundle) -> None:
    p = tmp_path / "x.jsonl"
    p.write_bytes(entry_line(entry("13912345678")) + entry_line(entry("13800138000")))
    with pytest.raises(errors.BlacklistFormatError) as e:
        sign(p)
    assert e.value.code == "not_sorted" and e.value.line == 2
    assert not (tmp_path / "x.jsonl.sig").exists()
    write_entries(p, [entry("13800138000", action="hold")])
    with pytest.raises(errors.ScopeError) as e2:
        sign(p, trust)
    assert e2.value.line == 1 and e2.value.field == "action"
    sign(p)  # without a trust bundle the scope is not known to the signer
    with pytest.raises(errors.ScopeError):
        sign(p, trust, issuer="nobody")
    with pytest.raises(errors.ScopeError):
        sign(p, trust, list_type="stop_payment")


def test_protected_identifiers(tmp_path: Path, trust: TrustBundle) -> None:
    p = tmp_path / "x.jsonl"
    emergency = entry("110")
    assert emergency.value == "tel:110;phone-context=+86"
    write_entries(p, [entry("13800138000"), emergency])
    with pytest.raises(errors.ProtectedIdentifierError) as e:
        sign(p, trust)
    assert e.value.line == 2
    sig = sign(p, trust, allow_protected=[("phone", emergency.value)])
    with verify_list(p, sig, trust=trust, now=NOW) as v:
        assert v.manifest.allow_protected == (("phone", emergency.value),)
    # The receiver enforces it too: a manifest without the permission is refused.
    sig2 = sign(p, trust, protected=NO_PROTECTED)
    with pytest.raises(errors.ProtectedIdentifierError):
        verify_list(p, sig2, trust=trust, now=NOW)
    assert verify_list(p, sig2, trust=trust, now=NOW, protected=NO_PROTECTED).manifest.version == 3


def test_co_signing_meets_threshold(tmp_path: Path, trust: TrustBundle) -> None:
    p = tmp_path / "sp.jsonl"
    shutil.copy(GOLDEN / "stop-payment.jsonl", p)
    args = {
        "issuer": "pbc",
        "list_id": "stop-payment",
        "list_type": "stop_payment",
        "trust": trust,
    }
    sig = sign(p, signers=[G.MEMBER_KEYS["pbc"]], **args)
    with pytest.raises(errors.ThresholdError):
        verify_list(p, sig, trust=trust, now=NOW)
    co_sign(sig, G.MEMBER_KEYS["bank1-hsm"])  # ES256 key of the co-signing bank
    with verify_list(p, sig, trust=trust, now=NOW) as v:
        assert v.signers == ("bank1", "pbc")
        assert len(v.signer_kids) == 2
    with pytest.raises(errors.BlacklistFormatError) as e:
        co_sign(sig, G.MEMBER_KEYS["pbc"])
    assert e.value.code == "jws_duplicate_kid"
    # A signer outside the rule's signer agencies does not count.
    sig3 = sign(
        p, signers=[G.MEMBER_KEYS["pbc"], G.MEMBER_KEYS["mps"]], out=p.with_suffix(".s3"), **args
    )
    with pytest.raises(errors.ThresholdError):
        verify_list(p, sig3, trust=trust, now=NOW)


def test_sign_manifest_low_level(tmp_path: Path, trust: TrustBundle) -> None:
    p = tmp_path / "x.jsonl"
    summary = write_entries(p, [entry("13800138000")])
    m = make_manifest(
        summary,
        issuer="mps",
        list_id="x",
        list_type="fraud_numbers",
        version=1,
        issued_at=T0,
        expires=G.LIST_EXPIRES,
    )
    sig = sign_manifest(m, [G.MEMBER_KEYS["mps"]])
    assert verify_manifest(sig, trust=trust, now=NOW).manifest == m
    with verify_list(p, sig, trust=trust, now=NOW) as v:
        assert v.manifest == m
    with pytest.raises(errors.ConfigurationError):
        make_manifest(
            summary,
            issuer="mps",
            list_id="x",
            list_type="fraud_numbers",
            version=1,
            expires=datetime(2026, 2, 1),
        )


# -------------------------------------------------------------- receiving


def test_expiry_and_grace(trust: TrustBundle) -> None:
    late = G.LIST_EXPIRES + timedelta(hours=1)
    with pytest.raises(errors.ExpiredError) as e:
        verify_list(*paths(GOLDEN, "fraud-phones"), trust=trust, now=late)
    assert e.value.code == "expired"
    with verify_list(
        *paths(GOLDEN, "fraud-phones"), trust=trust, now=late, grace=timedelta(days=1)
    ) as v:
        assert v.grace_used and any("grace" in w for w in v.warnings)
    with pytest.raises(errors.ExpiredError):
        verify_list(
            *paths(GOLDEN, "fraud-phones"), trust=trust, now=late, grace=timedelta(minutes=1)
        )
    with pytest.raises(errors.ExpiredError) as e:
        verify_list(*paths(GOLDEN, "fraud-phones"), trust=trust, now=T0 - timedelta(hours=1))
    assert e.value.code == "issued_in_future"
    # Within the clock-skew tolerance.
    verify_list(*paths(GOLDEN, "fraud-phones"), trust=trust, now=T0 - timedelta(minutes=4)).close()


def test_state_rollback_fork_unchanged(trust: TrustBundle) -> None:
    m = read_manifest((GOLDEN / "fraud-phones.jsonl.sig").read_bytes())
    same = state_for("mps", "fraud-phones", 7, m.sha256)
    with verify_list(*paths(GOLDEN, "fraud-phones"), trust=trust, now=NOW, state=same) as v:
        assert v.unchanged
    with pytest.raises(errors.RollbackError):
        verify_list(
            *paths(GOLDEN, "fraud-phones"),
            trust=trust,
            now=NOW,
            state=state_for("mps", "fraud-phones", 8, m.sha256),
        )
    with pytest.raises(errors.ForkError):
        verify_list(
            *paths(GOLDEN, "fraud-phones"),
            trust=trust,
            now=NOW,
            state=state_for("mps", "fraud-phones", 7, "0" * 64),
        )
    with verify_list(
        *paths(GOLDEN, "fraud-phones"),
        trust=trust,
        now=NOW,
        state=state_for("mps", "fraud-phones", 6, "0" * 64),
    ) as v:
        assert not v.unchanged


def delta_sig(base_version: int, base_sha: str, version: int = 8) -> bytes:
    m = Manifest(
        content="delta",
        issuer="mps",
        list_id="fraud-phones",
        list_type="fraud_numbers",
        version=version,
        issued_at=T0,
        expires=G.LIST_EXPIRES,
        entry_count=0,
        byte_length=0,
        sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        base_version=base_version,
        base_sha256=base_sha,
        result_sha256="1" * 64,
        result_count=5,
    )
    return sign_manifest(m, [G.MEMBER_KEYS["mps"]])


def test_delta_base_checks(trust: TrustBundle) -> None:
    base = read_manifest((GOLDEN / "fraud-phones.jsonl.sig").read_bytes()).sha256
    ok_state = state_for("mps", "fraud-phones", 7, base)
    vm = verify_manifest(delta_sig(7, base), trust=trust, now=NOW, state=ok_state)
    assert vm.state_sha256 == "1" * 64
    for sig, state in [
        (delta_sig(6, base), ok_state),
        (delta_sig(7, "2" * 64), ok_state),
        (delta_sig(7, base), None),
        (delta_sig(7, base), FakeState()),
    ]:
        if state is None:
            verify_manifest(sig, trust=trust, now=NOW)  # no state: checked when applied
            continue
        with pytest.raises(errors.DeltaBaseMismatchError):
            verify_manifest(sig, trust=trust, now=NOW, state=state)
    with pytest.raises(errors.RollbackError):
        verify_manifest(
            delta_sig(7, base),
            trust=trust,
            now=NOW,
            state=state_for("mps", "fraud-phones", 9, base),
        )
    with pytest.raises(errors.ForkError):
        verify_manifest(
            delta_sig(7, base),
            trust=trust,
            now=NOW,
            state=state_for("mps", "fraud-phones", 8, base),
        )
    same = state_for("mps", "fraud-phones", 8, "1" * 64)
    assert verify_manifest(delta_sig(7, base), trust=trust, now=NOW, state=same).unchanged


def test_verified_copy_cannot_be_swapped(work: Path, trust: TrustBundle) -> None:
    entries, sig = paths(work, "fraud-phones")
    v = verify_list(entries, sig, trust=trust, now=NOW)
    before = list(v.iter_entries())
    entries.write_bytes(b"")  # swapped after verification
    assert list(v.iter_entries()) == before
    saved = work / "saved.jsonl"
    v.save(saved)
    assert saved.read_bytes() == (GOLDEN / "fraud-phones.jsonl").read_bytes()
    v.close()
    with pytest.raises(errors.ConfigurationError):
        list(v.iter_entries())


def test_hash_only_mode(trust: TrustBundle) -> None:
    v = verify_list(*paths(GOLDEN, "fraud-phones"), trust=trust, now=NOW, check_lines=False)
    assert v.manifest.entry_count == 5
    with pytest.raises(errors.ConfigurationError):
        v.iter_entries()


def test_verify_from_bytes_and_missing_files(work: Path, trust: TrustBundle) -> None:
    entries, sig = paths(work, "fraud-phones")
    verify_list(entries, sig.read_bytes(), trust=trust, now=NOW).close()
    with pytest.raises(errors.BlacklistFormatError) as e:
        verify_list(entries, work / "nope.sig", trust=trust, now=NOW)
    assert e.value.code == "sig_unreadable"
    with pytest.raises(errors.BlacklistFormatError) as e:
        verify_list(work / "nope.jsonl", sig, trust=trust, now=NOW)
    assert e.value.code == "entries_unreadable"


# ------------------------------------------------------------------ reports


def test_report_collects_everything(work: Path, trust: TrustBundle) -> None:
    good = verify_list_report(*paths(GOLDEN, "fraud-phones"), trust=trust, now=NOW)
    assert good.ok and good.problems == () and good.signers == ("mps",)
    entries, sig = paths(work, "fraud-phones")
    lines = entries.read_bytes().splitlines(keepends=True)
    entries.write_bytes(lines[1] + lines[0] + lines[2] + lines[3] + lines[4])
    late = G.LIST_EXPIRES + timedelta(days=1)
    report = verify_list_report(entries, sig, trust=trust, now=late)
    assert not report.ok
    assert "expired" in report.codes and "hash_mismatch" in report.codes
    assert "not_sorted" in report.codes
    doc = report.to_dict()
    assert doc["problem_count"] == len(report.problems)
    json.dumps(doc)
    bad_sig = verify_list_report(entries, b"{}", trust=trust, now=NOW)
    assert bad_sig.codes == ("jws_members",) and bad_sig.manifest is None


def test_report_caps_problems(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_bytes(b"not json\n" * 50)
    s = validate_entries_file(p, protected=NO_PROTECTED, max_problems=10)
    assert s.problem_count == 50 and len(s.problems) == 10 and not s.ok
    assert s.problems[3].line == 4 and s.problems[0].code == "bad_line"
    assert s.to_dict()["problem_count"] == 50


def test_validate_entries_file_framing(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    line = entry_line(entry("13800138000"))
    cases = {
        line[:-1]: "jsonl_missing_final_newline",
        b"\xef\xbb\xbf" + line: "jsonl_bom",
        line[:-1] + b"\r\n": "jsonl_cr",
        b"\n": "jsonl_empty_line",
        line.replace(b'"confidence":80', b'"confidence": 80'): "not_canonical",
        line.replace(b'"confidence":80', b'"confidence":80.0'): "bad_line",
        line.replace(b"+8613800138000", b"+8613800138001x"): "invalid_entry",
        line.replace(b"+8613800138000", b"13800138000"): "invalid_entry",
        # a block the number plan does not know: its own code (the publisher may be newer)
        line.replace(b"+8613800138000", b"+8615400138000"): "unknown_range",
        line.replace(b"+8613800138000", b"+8614000088285"): "invalid_entry",
        line.replace(b"2026-01-01T00:00:00Z", b"2026-02-30T00:00:00Z"): "invalid_entry",
    }
    for data, code in cases.items():
        p.write_bytes(data)
        s = validate_entries_file(p, protected=NO_PROTECTED)
        assert [x.code for x in s.problems] == [code], (data, s.problems)
    assert isinstance(s, EntriesSummary)


# --------------------------------------------- fast path == exact path (property)


def _exact_ok(line: bytes) -> bool:
    try:
        Entry.from_dict(canonical.check_canonical(line))
    except (errors.AntifraudError, TypeError):
        return False
    return True


_LINES = [entry_line(e)[:-1] for e in [*G.phone_entries(), *G.stop_payment_entries()]]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, len(_LINES) - 1),
    pos=st.integers(0, 400),
    byte=st.integers(0, 255),
)
def test_fast_path_agrees_with_exact_path(index: int, pos: int, byte: int) -> None:
    line = bytearray(_LINES[index])
    line[pos % len(line)] = byte
    data = bytes(line)
    if b"\n" in data:
        return
    s = check_entries(io.BytesIO(data + b"\n"), protected=NO_PROTECTED, collect=True)
    assert s.ok == _exact_ok(data), data


def test_limits_apply_to_fast_path_lines(tmp_path: Path) -> None:
    from antifraud_common.format.jsonl import Limits

    p = tmp_path / "x.jsonl"
    write_entries(p, [entry("13800138000"), entry("13912345678")])
    s = validate_entries_file(p, protected=NO_PROTECTED, limits=Limits(max_line_bytes=150))
    assert [x.code for x in s.problems] == ["jsonl_line_too_long"] * 2
    s = validate_entries_file(p, protected=NO_PROTECTED, limits=Limits(max_entries=1))
    assert s.problems[0].code == "jsonl_too_many_entries" and not s.complete
