"""Signed reference lists: the number plan, Do-Not-Originate numbers, presenter authorisations."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antifraud_common import numberplan, phone
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    ConfigurationError,
    DeltaBaseMismatchError,
    ExpiredError,
    ForkError,
    HashMismatchError,
    InvalidComponentError,
    ProtectedIdentifierError,
    RollbackError,
    ScopeError,
    SignatureError,
    StateError,
)
from antifraud_common.exchange import load_trust, sign_list, verify_list
from antifraud_common.exchange.reference import (
    DO_NOT_ORIGINATE,
    NUMBER_PLAN,
    PRESENTERS,
    DnoRecord,
    DoNotOriginate,
    PresenterAuthorisation,
    PresenterRecord,
    ReferenceStore,
    check_records,
    held_plan,
    make_reference_delta,
    sign_reference,
    sign_reference_delta,
    verify_reference,
    write_records,
)
from antifraud_common.format import canonical, jws
from antifraud_common.models import Entry
from antifraud_common.numberplan import NumberPlan, PlanRange, RangeStatus

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "reference"
NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)
LATER = datetime(2026, 12, 15, 1, tzinfo=UTC)
NEW_BLOCK = "+8615400138000"  # 11-digit 154: reserved in the packaged plan, allocated in v2


def _script() -> Any:
    path = ROOT / "scripts" / "make_reference_golden.py"
    spec = importlib.util.spec_from_file_location("make_reference_golden", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_reference_golden"] = module
    spec.loader.exec_module(module)
    return module


GEN = _script()


@pytest.fixture(scope="module")
def trust() -> Any:
    return load_trust(GOLDEN / "trust.json", GOLDEN / "trust.json.sig", now=NOW)


def _golden(name: str) -> tuple[Path, Path]:
    return GOLDEN / name, GOLDEN / f"{name}.sig"


def _verify_plan(trust: Any, **kw: Any) -> Any:
    path, sig = _golden("number-plan.jsonl")
    return verify_reference(path, sig, trust=trust, list_type=NUMBER_PLAN, now=NOW, **kw)


def _sign(path: Path, list_type: str, *, version: int = 2, signer: str = "miit", **kw: Any) -> Path:
    return sign_reference(
        path,
        list_type=list_type,
        signers=[GEN.MEMBER_KEYS[signer]],
        issuer=kw.pop("issuer", signer),
        list_id=kw.pop("list_id", "cn-number-plan"),
        version=version,
        issued_at=GEN.T0,
        expires=GEN.LIST_EXPIRES,
        **kw,
    )


def _write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


# ------------------------------------------------------------------- goldens


def test_golden_files_are_reproducible(tmp_path: Path) -> None:
    fresh = GEN.build(tmp_path)
    assert [p.name for p in fresh] == sorted(p.name for p in GOLDEN.iterdir())
    for p in fresh:
        assert p.read_bytes() == (GOLDEN / p.name).read_bytes(), p.name
    assert GEN.main(["--check"]) == 0


def test_golden_plan_verifies_and_is_the_packaged_plan_plus_one_block(trust: Any) -> None:
    v = _verify_plan(trust)
    assert (v.manifest.version, v.manifest.list_type, v.signers) == (2, NUMBER_PLAN, ("miit",))
    packaged = {r.key: r for r in NumberPlan.packaged().ranges()}
    held = {r.key: r for r in v.records}
    assert held.keys() == packaged.keys()
    changed = [k for k in held if held[k] != packaged[k]]
    assert changed == [("regular", 11, "154")]
    assert held[changed[0]].status is RangeStatus.ALLOCATED
    plan = v.number_plan()
    assert (plan.version, plan.source) == (2, "miit/cn-number-plan")


# ----------------------------------------------- the plan decides the verdict


def test_a_newer_signed_plan_changes_the_verdict_and_names_its_version(
    trust: Any, tmp_path: Path
) -> None:
    # The packaged plan does not know the block: refused with its own code.
    with pytest.raises(InvalidComponentError) as e:
        phone.validate(NEW_BLOCK)
    assert e.value.code == "unknown_range"
    assert "number plan 1 " in e.value.message
    with ReferenceStore.open(tmp_path / "state") as store:
        assert store.number_plan().is_packaged
        _v, action = store.apply(
            *_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=NOW
        )
        assert action == "snapshot"
        plan = store.number_plan()
    assert (plan.version, plan.source) == (2, "miit/cn-number-plan")
    assert held_plan(tmp_path / "state").version == 2
    assert phone.validate(NEW_BLOCK, plan=plan) == NEW_BLOCK
    assert phone.is_valid("154 0013 8000", plan=plan)
    info = phone.classify(NEW_BLOCK, plan=plan)
    assert (info.kind, info.allocated_carrier, info.plan_version) == (
        phone.PhoneKind.MOBILE,
        "中国移动",
        2,
    )
    # Other numbers keep their verdicts, and now name the plan that decided them.
    assert phone.classify("13800138000", plan=plan).plan_version == 2
    assert phone.classify("13800138000").plan_version == 1
    assert [v for v, _ in phone.validate_many([NEW_BLOCK, "12"], plan=plan)] == [NEW_BLOCK, None]
    # The packaged verdict outside the call is untouched.
    assert not phone.is_valid(NEW_BLOCK)


def test_the_held_plan_decides_list_validation_too(trust: Any, tmp_path: Path) -> None:
    entry = Entry.from_raw(
        kind="phone",
        value="+8613800138000",
        reason="telecom_fraud",
        action="block",
        source="mps",
        case_ref="MPS-1",
        confidence=90,
        tlp="amber",
        listed_at=GEN.T0,
        valid_from=GEN.T0,
    )
    line = canonical.dumps(entry.to_dict()).replace(b"+8613800138000", NEW_BLOCK.encode())
    lst = _write_lines(tmp_path / "fraud.jsonl", [line])
    plan = _verify_plan(trust).number_plan()
    with numberplan.use(plan):
        sig = sign_list(
            lst,
            signers=[GEN.MEMBER_KEYS["mps"]],
            issuer="mps",
            list_id="fraud",
            list_type="fraud_numbers",
            version=1,
            issued_at=GEN.T0,
            expires=GEN.LIST_EXPIRES,
            trust=trust,
        )
        with verify_list(lst, sig, trust=trust, now=NOW) as v:
            assert [e.value for e in v.iter_entries()] == [NEW_BLOCK]
    with pytest.raises(BlacklistFormatError) as e:
        verify_list(lst, sig, trust=trust, now=NOW)
    assert e.value.code == "unknown_range"
    assert "number plan is version 1" in e.value.message


def test_without_a_signed_plan_outputs_are_the_packaged_ones(tmp_path: Path) -> None:
    values = ["13800138000", "010-6234 5678", "95588", "+85251234567", "17001234567"]
    before = [phone.classify(v).to_dict() for v in values]
    with ReferenceStore.open(tmp_path / "s") as store:
        plan = store.number_plan()
    assert plan is NumberPlan.packaged() and plan.version == phone.PLAN_VERSION
    assert held_plan(tmp_path / "nothing-here") is NumberPlan.packaged()
    assert [phone.classify(v, plan=plan).to_dict() for v in values] == before
    with numberplan.use(plan):
        assert [phone.classify(v).to_dict() for v in values] == before
    assert [phone.classify(v).to_dict() for v in values] == before


def test_a_plan_from_the_packaged_records_gives_the_packaged_verdicts() -> None:
    packaged = NumberPlan.packaged()
    copy = NumberPlan.from_ranges(reversed(packaged.ranges()), version=2, source="copy")
    assert list(copy.table.rows()) == list(packaged.table.rows())
    for v in ["13800138000", "15400138000", "1064912345678", "110", "106912345", "12"]:
        a = phone.is_valid(v)
        assert phone.is_valid(v, plan=copy) == a, v


def test_plan_in_effect_does_not_leak_out_of_validate_many() -> None:
    plan = NumberPlan.from_ranges(GEN.plan_v2(), version=2, source="t")
    it = phone.validate_many([NEW_BLOCK, NEW_BLOCK], plan=plan)
    assert next(it) == (NEW_BLOCK, None)
    assert numberplan.current() is None
    assert not phone.is_valid(NEW_BLOCK)
    assert next(it) == (NEW_BLOCK, None)


def test_a_plan_argument_must_be_a_plan() -> None:
    with pytest.raises(ConfigurationError):
        phone.validate("13800138000", plan="v2")  # type: ignore[arg-type]
    assert not phone.is_valid("13800138000", plan=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError), numberplan.use(2):  # type: ignore[arg-type]
        pass


# -------------------------------------------------------------------- deltas


def test_a_plan_delta_applies_as_for_lists(trust: Any, tmp_path: Path) -> None:
    with ReferenceStore.open(tmp_path / "s") as store:
        store.apply(*_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=NOW)
        v, action = store.apply(
            *_golden("number-plan-v3.delta.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=LATER
        )
        assert (action, v.changes) == ("delta", (1, 1, 1))
        plan = store.number_plan()
        assert plan.version == 3
        assert (
            v.state_sha256
            == hashlib.sha256(
                b"".join(
                    canonical.dumps(r.to_dict()) + b"\n"
                    for r in sorted(GEN.plan_v3(), key=lambda r: (r.table, r.length, r.prefix))
                )
            ).hexdigest()
        )
        # the same delta again: unchanged; the older snapshot: a rollback
        assert (
            store.apply(
                *_golden("number-plan-v3.delta.jsonl"),
                trust=trust,
                list_type=NUMBER_PLAN,
                now=LATER,
            )[1]
            == "unchanged"
        )
        with pytest.raises(RollbackError):
            store.apply(
                *_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=LATER
            )
    # 13-digit 1442 is now IoT; 11-digit 1749 is no number at all (not unknown_range)
    assert phone.classify("1442 0000 12345", plan=plan).kind is phone.PhoneKind.IOT
    with pytest.raises(InvalidComponentError) as e:
        phone.validate("+8617490000000", plan=plan)
    assert e.value.code == "invalid_number"
    with pytest.raises(InvalidComponentError) as e:
        phone.validate("+8617490000000")
    assert e.value.code == "unknown_range"


def test_a_delta_needs_its_base(trust: Any, tmp_path: Path) -> None:
    delta, sig = _golden("number-plan-v3.delta.jsonl")
    with ReferenceStore.open(tmp_path / "s") as store, pytest.raises(DeltaBaseMismatchError):
        store.apply(delta, sig, trust=trust, list_type=NUMBER_PLAN, now=LATER)
    with pytest.raises(ConfigurationError) as e:
        verify_reference(delta, sig, trust=trust, list_type=NUMBER_PLAN, now=LATER)
    assert e.value.code == "delta_needs_base"
    with pytest.raises(DeltaBaseMismatchError):
        verify_reference(delta, sig, trust=trust, list_type=NUMBER_PLAN, now=LATER, base=b"")
    base = (GOLDEN / "number-plan.jsonl").read_bytes()
    v = verify_reference(delta, sig, trust=trust, list_type=NUMBER_PLAN, now=LATER, base=base)
    assert v.number_plan().version == 3


def _resign_delta(tmp_path: Path, ops: list[bytes], **manifest: Any) -> tuple[Path, Path]:
    delta = _write_lines(tmp_path / "d.jsonl", ops)
    data = delta.read_bytes()
    base = (GOLDEN / "number-plan.jsonl").read_bytes()
    fields: dict[str, Any] = {
        "content": "delta",
        "issuer": "miit",
        "list_id": "cn-number-plan",
        "list_type": NUMBER_PLAN,
        "version": 3,
        "base_version": 2,
        "issued_at": GEN.T0,
        "expires": GEN.LIST_EXPIRES,
        "entry_count": len(ops),
        "byte_length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "base_sha256": hashlib.sha256(base).hexdigest(),
        "result_sha256": hashlib.sha256(base).hexdigest(),
        "result_count": base.count(b"\n"),
    }
    fields.update(manifest)
    from antifraud_common.exchange.signing import sign_manifest
    from antifraud_common.models import Manifest

    sig = tmp_path / "d.jsonl.sig"
    sig.write_bytes(sign_manifest(Manifest(**fields), [GEN.MEMBER_KEYS["miit"]]))
    return delta, sig


@pytest.mark.parametrize(
    ("ops", "code"),
    [
        ([b'{"length":11,"op":"remove","prefix":"1234","table":"regular"}'], "delta_key_missing"),
        (
            [
                (
                    b'{"entry":{"carrier":"","date":"2026-12-01","length":11,"prefix":"154",'
                    b'"status":"reserved","table":"regular"},"op":"add"}'
                )
            ],
            "delta_add_existing",
        ),
        (
            [
                (
                    b'{"entry":{"carrier":"","date":"2026-12-01","length":11,"prefix":"1540",'
                    b'"status":"reserved","table":"regular"},"op":"add"}'
                )
            ],
            "plan_overlap",
        ),
        ([b'{"length":11,"op":"remove","prefix":"154"}'], "bad_delta_op"),
        ([b'{"op":"move"}'], "bad_delta_op"),
        ([b'{"length":11, "op":"remove","prefix":"154","table":"regular"}'], "not_canonical"),
        (
            [
                b'{"length":11,"op":"remove","prefix":"1749","table":"regular"}',
                b'{"length":11,"op":"remove","prefix":"1748","table":"regular"}',
            ],
            "not_sorted",
        ),
        (
            [b'{"length":11,"op":"remove","prefix":"1749","table":"regular"}'],
            "delta_result_mismatch",
        ),
    ],
)
def test_bad_plan_deltas_are_refused(
    trust: Any, tmp_path: Path, ops: list[bytes], code: str
) -> None:
    delta, sig = _resign_delta(tmp_path, ops)
    base = (GOLDEN / "number-plan.jsonl").read_bytes()
    with pytest.raises(AntifraudError) as e:
        verify_reference(delta, sig, trust=trust, list_type=NUMBER_PLAN, now=NOW, base=base)
    assert e.value.code == code


def test_make_reference_delta_round_trips(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    write_records(a, GEN.plan_v2())
    write_records(b, GEN.plan_v3())
    info = make_reference_delta(NUMBER_PLAN, a, b, tmp_path / "d.jsonl")
    assert (info.adds, info.replaces, info.removes) == (1, 1, 1)
    assert info.result_sha256 == hashlib.sha256(b.read_bytes()).hexdigest()
    assert (tmp_path / "d.jsonl").read_bytes() == (
        GOLDEN / "number-plan-v3.delta.jsonl"
    ).read_bytes()
    info2 = make_reference_delta(NUMBER_PLAN, b, a, tmp_path / "back.jsonl")
    assert (info2.adds, info2.replaces, info2.removes) == (1, 1, 1)


# -------------------------------------------------------------------- refusals


def test_only_a_member_with_the_rule_may_publish_a_plan(trust: Any, tmp_path: Path) -> None:
    plan = tmp_path / "p.jsonl"
    write_records(plan, GEN.plan_v2())
    sig = _sign(plan, NUMBER_PLAN, signer="mps")
    with pytest.raises(ScopeError) as e:
        verify_reference(plan, sig, trust=trust, list_type=NUMBER_PLAN, now=NOW)
    assert e.value.field == "list_type"
    with pytest.raises(ScopeError):
        _sign(plan, NUMBER_PLAN, signer="mps", trust=trust)
    # an attacker key signing as miit: no member signature
    from antifraud_common.format.keys import LocalSigner

    bad = plan.with_suffix(".bad.sig")
    bad.write_bytes(
        sign_reference(
            plan,
            list_type=NUMBER_PLAN,
            signers=[LocalSigner.generate()],
            issuer="miit",
            list_id="cn-number-plan",
            version=2,
            issued_at=GEN.T0,
            expires=GEN.LIST_EXPIRES,
            out=tmp_path / "x.sig",
        ).read_bytes()
    )
    with pytest.raises(SignatureError):
        verify_reference(plan, bad, trust=trust, list_type=NUMBER_PLAN, now=NOW)


def test_a_rule_without_kind_phone_may_not_carry_reference_data(tmp_path: Path) -> None:
    from antifraud_common.exchange import Member, PublishRule, create_trust_bundle

    bundle = create_trust_bundle(
        bundle_id="t",
        root_keys=[GEN.ROOT_KEYS["root-1"].public_key],
        root_threshold=1,
        issued_at=GEN.T0,
        expires=GEN.BUNDLE_EXPIRES,
        members=[
            Member(
                agency="miit",
                name="MIIT",
                keys=[GEN.MEMBER_KEYS["miit"].public_key],
                publish=[PublishRule(list_type=NUMBER_PLAN, kinds=["imei"], actions=["watch"])],
            )
        ],
    )
    path, sig = _golden("number-plan.jsonl")
    with pytest.raises(ScopeError) as e:
        verify_reference(path, sig, trust=bundle, list_type=NUMBER_PLAN, now=NOW)
    assert e.value.field == "kind"


def test_list_types_cannot_pass_for_one_another(trust: Any) -> None:
    path, sig = _golden("number-plan.jsonl")
    with pytest.raises(BlacklistFormatError) as e:
        verify_reference(path, sig, trust=trust, list_type=DO_NOT_ORIGINATE, now=NOW)
    assert e.value.code == "wrong_list_type"
    with pytest.raises(ConfigurationError):
        verify_reference(path, sig, trust=trust, list_type="fraud_numbers", now=NOW)
    # a plain-list verifier refuses the records: they are not entries
    with pytest.raises(BlacklistFormatError) as e:
        verify_list(path, sig, trust=trust, now=NOW)
    assert e.value.code == "invalid_entry"


def test_freshness_and_integrity(trust: Any, tmp_path: Path) -> None:
    path, sig = _golden("number-plan.jsonl")
    with pytest.raises(ExpiredError):
        verify_reference(path, sig, trust=trust, list_type=NUMBER_PLAN, now=GEN.LIST_EXPIRES)
    v = verify_reference(
        path, sig, trust=trust, list_type=NUMBER_PLAN, now=GEN.LIST_EXPIRES, grace=timedelta(days=1)
    )
    assert v.grace_used
    data = bytearray(path.read_bytes())
    for i, code in ((0, "hash_mismatch"), (len(data) // 2, "hash_mismatch")):
        bad = bytearray(data)
        bad[i] ^= 1
        (tmp_path / "p.jsonl").write_bytes(bytes(bad))
        with pytest.raises(HashMismatchError) as e:
            verify_reference(tmp_path / "p.jsonl", sig, trust=trust, list_type=NUMBER_PLAN, now=NOW)
        assert e.value.code == code
    (tmp_path / "p.jsonl").write_bytes(bytes(data[:-1]))
    with pytest.raises(HashMismatchError) as e:
        verify_reference(tmp_path / "p.jsonl", sig, trust=trust, list_type=NUMBER_PLAN, now=NOW)
    assert e.value.code == "length_mismatch"


def test_fork_in_the_store(trust: Any, tmp_path: Path) -> None:
    plan = tmp_path / "p.jsonl"
    ranges = GEN.plan_v2()
    ranges[0] = attrs.evolve(ranges[0], date="2026-11-30")
    write_records(plan, ranges)
    sig = _sign(plan, NUMBER_PLAN)
    with ReferenceStore.open(tmp_path / "s") as store:
        store.apply(*_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=NOW)
        with pytest.raises(ForkError):
            store.apply(plan, sig, trust=trust, list_type=NUMBER_PLAN, now=NOW)
        assert store.number_plan().version == 2


_R = b'"date":"2026-12-01","length":11,"prefix":"%s","status":"%s","table":"regular"'


@pytest.mark.parametrize(
    ("lines", "code", "field"),
    [
        ([b'{"carrier":"",' + _R % (b"154", b"reserved") + b"}"], None, None),
        ([b'{"carrier":"", ' + (_R % (b"154", b"reserved"))[0:] + b"}"], "not_canonical", None),
        ([b"{"], "bad_line", None),
        ([b'{"carrier":"",' + _R % (b"154", b"allocated") + b"}"], "invalid_entry", "kind"),
        ([b'{"carrier":"",' + _R % (b"154", b"taken") + b"}"], "invalid_entry", "status"),
        (
            [b'{"carrier":"",' + _R % (b"154", b"reserved") + b',"x":1}'],
            "invalid_entry",
            "x",
        ),
        (
            [b'{"carrier":"",' + (_R % (b"154", b"reserved")).replace(b"11", b"14") + b"}"],
            "invalid_entry",
            "length",
        ),
        (
            [b'{"carrier":"",' + (_R % (b"15a", b"reserved")) + b"}"],
            "invalid_entry",
            "prefix",
        ),
        (
            [b'{"carrier":"",' + (_R % (b"154", b"reserved")).replace(b"12-01", b"02-30") + b"}"],
            "invalid_entry",
            "date",
        ),
        (
            [b'{"carrier":"\xe4\xb8\xad",' + _R % (b"154", b"unallocated") + b"}"],
            "invalid_entry",
            "carrier",
        ),
        (
            [b'{"carrier":"\xe2\x80\x8b",' + _R % (b"154", b"reserved") + b"}"],
            "invalid_entry",
            "carrier",
        ),
        (
            [
                b'{"carrier":"",' + _R % (b"154", b"reserved") + b"}",
                b'{"carrier":"",' + _R % (b"1541", b"reserved") + b"}",
            ],
            "plan_overlap",
            None,
        ),
        (
            [
                b'{"carrier":"",' + _R % (b"155", b"reserved") + b"}",
                b'{"carrier":"",' + _R % (b"154", b"reserved") + b"}",
            ],
            "not_sorted",
            None,
        ),
        (
            [
                b'{"carrier":"",' + _R % (b"154", b"reserved") + b"}",
                b'{"carrier":"",' + _R % (b"154", b"reserved") + b"}",
            ],
            "duplicate_key",
            None,
        ),
        (
            [
                b'{"carrier":"",' + (_R % (b"154", b"reserved")).replace(b"11", b"7") + b"}",
                b'{"carrier":"",' + _R % (b"154", b"reserved") + b"}",
            ],
            None,
            None,
        ),
    ],
)
def test_plan_lines(
    tmp_path: Path, lines: list[bytes], code: str | None, field: str | None
) -> None:
    path = _write_lines(tmp_path / "p.jsonl", lines)
    if code is None:
        assert check_records(path, NUMBER_PLAN).entry_count == len(lines)
        return
    with pytest.raises(BlacklistFormatError) as e:
        check_records(path, NUMBER_PLAN)
    assert (e.value.code, e.value.field) == (code, field)
    assert (
        e.value.line == len(lines) if code in ("plan_overlap", "not_sorted", "duplicate_key") else 1
    )


def test_plan_range_model() -> None:
    r = PlanRange(
        table="local",
        length=5,
        prefix="95",
        status=RangeStatus.ALLOCATED,
        kind="short_code",
        date="2026-01-01",
    )
    assert PlanRange.from_dict(r.to_dict()) == r
    assert r.row() == ("local", 5, "95", "short_code", "")
    with pytest.raises(AntifraudError):
        attrs.evolve(r, kind="mobile")  # a regular kind in the local table
    with pytest.raises(AntifraudError):
        attrs.evolve(r, prefix="123456")  # longer than the length
    with pytest.raises(AntifraudError):
        attrs.evolve(r, table=["local"])  # type: ignore[arg-type]
    with pytest.raises(AntifraudError):
        PlanRange.from_dict([1])
    u = attrs.evolve(r, status=RangeStatus.UNALLOCATED, kind=None)
    assert u.row() is None
    with pytest.raises(AntifraudError) as e:
        NumberPlan.from_ranges([r, attrs.evolve(r, prefix="955")], version=2, source="t")
    assert e.value.code == "plan_overlap"
    with pytest.raises(AntifraudError):
        NumberPlan.from_ranges([r], version=0, source="t")


# ------------------------------------------------------- Do-Not-Originate lists


def test_golden_dno_list(trust: Any, tmp_path: Path) -> None:
    path, sig = _golden("dno.jsonl")
    v = verify_reference(path, sig, trust=trust, list_type=DO_NOT_ORIGINATE, now=NOW)
    dno = v.do_not_originate()
    assert "+861062345678" in dno and "tel:12315;phone-context=+86" in dno
    assert "+8613800138000" not in dno and len(dno) == 3
    assert dno.sources == ("miit/dno@1",)
    with ReferenceStore.open(tmp_path / "s") as store:
        assert len(store.do_not_originate()) == 0
        store.apply(path, sig, trust=trust, list_type=DO_NOT_ORIGINATE, now=NOW)
        other = tmp_path / "dno2.jsonl"
        write_records(other, [DnoRecord(value="+8613800138000", date="2026-11-01")])
        store.apply(
            other,
            _sign(other, DO_NOT_ORIGINATE, list_id="dno-2", version=4),
            trust=trust,
            list_type=DO_NOT_ORIGINATE,
            now=NOW,
        )
        merged = store.do_not_originate()
        assert len(merged) == 4 and merged.sources == ("miit/dno-2@4", "miit/dno@1")
        assert [s.manifest.list_id for s in store.lists()] == ["dno", "dno-2"]


def test_dno_protected_numbers_need_allow_protected(tmp_path: Path) -> None:
    path = tmp_path / "dno.jsonl"
    write_records(path, [DnoRecord(value="tel:95588;phone-context=+86", date="2026-11-01")])
    with pytest.raises(ProtectedIdentifierError):
        check_records(path, DO_NOT_ORIGINATE)
    with pytest.raises(ProtectedIdentifierError):
        _sign(path, DO_NOT_ORIGINATE, list_id="dno")
    assert (
        check_records(
            path, DO_NOT_ORIGINATE, allow_protected=[("phone", "tel:95588;phone-context=+86")]
        ).entry_count
        == 1
    )


@pytest.mark.parametrize(
    ("line", "code", "field"),
    [
        (b'{"date":"2026-11-01","value":"13800138000"}', "invalid_entry", "value"),
        (b'{"date":"2026-11-01","value":"+8615400138000"}', "unknown_range", "value"),
        (b'{"date":"2026-11-01","value":"12"}', "invalid_entry", "value"),
        (b'{"date":"2026-11-01","value":5}', "invalid_entry", "value"),
        (b'{"date":"2026-13-01","value":"+8613800138000"}', "invalid_entry", "date"),
        (b'{"value":"+8613800138000"}', "invalid_entry", "date"),
    ],
)
def test_dno_lines(tmp_path: Path, line: bytes, code: str, field: str) -> None:
    path = _write_lines(tmp_path / "d.jsonl", [line])
    with pytest.raises(BlacklistFormatError) as e:
        check_records(path, DO_NOT_ORIGINATE)
    assert (e.value.code, e.value.field, e.value.line) == (code, field, 1)


def test_dno_values_follow_the_plan_in_effect(trust: Any, tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "d.jsonl", [b'{"date":"2026-11-01","value":"+8615400138000"}'])
    plan = _verify_plan(trust).number_plan()
    with numberplan.use(plan):
        assert check_records(path, DO_NOT_ORIGINATE).entry_count == 1
    with pytest.raises(BlacklistFormatError) as e:
        check_records(path, DO_NOT_ORIGINATE)
    assert e.value.code == "unknown_range"
    with ReferenceStore.open(tmp_path / "s") as store:
        store.apply(*_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=NOW)
        with numberplan.use(store.number_plan()):
            sig = _sign(path, DO_NOT_ORIGINATE, list_id="dno")
        # the store judges the records with the plan it holds
        store.apply(path, sig, trust=trust, list_type=DO_NOT_ORIGINATE, now=NOW)
        assert NEW_BLOCK in store.do_not_originate()


def test_dno_delta(trust: Any, tmp_path: Path) -> None:
    old, sig = _golden("dno.jsonl")
    new = tmp_path / "new.jsonl"
    write_records(
        new, [*GEN.dno_records()[1:], DnoRecord(value="+8613800138000", date="2026-12-02")]
    )
    info, _manifest = sign_reference_delta(
        old,
        new,
        tmp_path / "d.jsonl",
        [GEN.MEMBER_KEYS["miit"]],
        list_type=DO_NOT_ORIGINATE,
        issuer="miit",
        list_id="dno",
        version=2,
        base_version=1,
        issued_at=GEN.T0,
        expires=GEN.LIST_EXPIRES,
        allow_protected=[("phone", "tel:12315;phone-context=+86")],
    )
    assert (info.adds, info.removes) == (1, 1)
    assert (tmp_path / "d.jsonl").read_bytes().splitlines() == [
        b'{"op":"remove","value":"+861062345678"}',
        b'{"entry":{"date":"2026-12-02","value":"+8613800138000"},"op":"add"}',
    ]
    with ReferenceStore.open(tmp_path / "s") as store:
        store.apply(old, sig, trust=trust, list_type=DO_NOT_ORIGINATE, now=NOW)
        store.apply(
            tmp_path / "d.jsonl",
            tmp_path / "d.jsonl.sig",
            trust=trust,
            list_type=DO_NOT_ORIGINATE,
            now=NOW,
        )
        dno = store.do_not_originate()
    assert "+8613800138000" in dno and "+861062345678" not in dno and dno.sources == ("miit/dno@2",)


# ------------------------------------------------------ presenter authorisations


def test_golden_presenters(trust: Any) -> None:
    path, sig = _golden("presenters.jsonl")
    auth = verify_reference(path, sig, trust=trust, list_type=PRESENTERS, now=NOW).presenters()
    assert auth.authorised("tel:95588;phone-context=+86", "icbc-sbc-sh") is True
    assert auth.authorised("tel:95588;phone-context=+86", "cmcc-core") is False
    assert auth.authorised("+861095588", "icbc-sbc-bj") is True  # under the prefix
    assert auth.authorised("+861095588", "icbc-sbc-sh") is False
    assert auth.authorised("+8613800138000", "icbc-sbc-bj") is None
    assert auth.trunks_for("tel:10086;phone-context=+86") == frozenset({"cmcc-core"})
    assert auth.sources == ("miit/presenters@1",)


def test_presenters_merge_and_longest_prefix() -> None:
    def ref(records: list[PresenterRecord], issuer: str) -> Any:
        from antifraud_common.exchange.reference import StoredReference
        from antifraud_common.models import Manifest

        data = b"".join(canonical.dumps(r.to_dict()) + b"\n" for r in records)
        m = Manifest(
            issuer=issuer,
            list_id="p",
            list_type=PRESENTERS,
            version=1,
            issued_at=GEN.T0,
            expires=GEN.LIST_EXPIRES,
            entry_count=len(records),
            byte_length=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        return StoredReference(manifest=m, data=data, accepted_at=GEN.T0)

    a = ref([PresenterRecord(match="prefix", value="+8610", trunks=["a"], date="2026-01-01")], "x")
    b = ref(
        [
            PresenterRecord(match="prefix", value="+8610", trunks=["b"], date="2026-01-01"),
            PresenterRecord(match="prefix", value="+861095", trunks=["c"], date="2026-01-01"),
        ],
        "y",
    )
    auth = PresenterAuthorisation.merge([a, b])
    assert auth.trunks_for("+861062345678") == frozenset({"a", "b"})
    assert auth.trunks_for("+861095588") == frozenset({"c"})
    with pytest.raises(ConfigurationError):
        DoNotOriginate.merge([a])


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (
            {
                "date": "2026-11-01",
                "match": "exact",
                "trunks": ["b", "a"],
                "value": "+8613800138000",
            },
            "trunks",
        ),
        (
            {"date": "2026-11-01", "match": "exact", "trunks": [], "value": "+8613800138000"},
            "trunks",
        ),
        (
            {"date": "2026-11-01", "match": "exact", "trunks": ["A"], "value": "+8613800138000"},
            "trunks",
        ),
        (
            {"date": "2026-11-01", "match": "exact", "trunks": "a", "value": "+8613800138000"},
            "trunks",
        ),
        ({"date": "2026-11-01", "match": "prefix", "trunks": ["a"], "value": "+0"}, "value"),
        ({"date": "2026-11-01", "match": "prefix", "trunks": ["a"], "value": "86"}, "value"),
        ({"date": "2026-11-01", "match": "near", "trunks": ["a"], "value": "+86"}, "match"),
        ({"date": "2026-11-01", "match": "exact", "trunks": ["a"], "value": "95588"}, "value"),
    ],
)
def test_presenter_lines(tmp_path: Path, record: dict[str, Any], field: str) -> None:
    path = _write_lines(tmp_path / "p.jsonl", [canonical.dumps(record)])
    with pytest.raises(BlacklistFormatError) as e:
        check_records(path, PRESENTERS)
    assert (e.value.code, e.value.field) == ("invalid_entry", field)


# ------------------------------------------------------------------- the store


def test_store_reader_and_permissions(trust: Any, tmp_path: Path) -> None:
    with ReferenceStore.open(tmp_path / "missing", create=False) as store:
        assert store.lists() == [] and store.number_plan().is_packaged
        with pytest.raises(StateError):
            store.accept(_verify_plan(trust))
    assert not (tmp_path / "missing").exists()
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(StateError) as e:
        ReferenceStore.open(shared)
    assert e.value.code == "state_permissions"
    with ReferenceStore.open(tmp_path / "s") as store:
        store.apply(*_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=NOW)
    assert (tmp_path / "s").stat().st_mode & 0o077 == 0
    with ReferenceStore.open(tmp_path / "s", create=False) as store:
        assert store.number_plan().version == 2
        [held] = store.lists(NUMBER_PLAN)
        assert held.to_dict()["record_count"] == 2445


def test_a_damaged_store_is_refused(trust: Any, tmp_path: Path) -> None:
    import sqlite3

    with ReferenceStore.open(tmp_path / "s") as store:
        store.apply(*_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=NOW)
    conn = sqlite3.connect(tmp_path / "s" / "reference.sqlite3")
    conn.execute("UPDATE reference SET data = substr(data, 2)")
    conn.commit()
    conn.close()
    with ReferenceStore.open(tmp_path / "s", create=False) as store, pytest.raises(StateError) as e:
        store.number_plan()
    assert e.value.code == "state_damaged"


def test_the_newest_held_plan_wins(trust: Any, tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    write_records(old, GEN.plan_v2())
    with ReferenceStore.open(tmp_path / "s") as store:
        store.apply(
            old,
            _sign(old, NUMBER_PLAN, list_id="other", version=1),
            trust=trust,
            list_type=NUMBER_PLAN,
            now=NOW,
        )
        assert store.number_plan().is_packaged  # version 1 is not newer than the packaged plan
        store.apply(*_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=NOW)
        assert store.number_plan().source == "miit/cn-number-plan"


def test_envelope_problems_keep_their_codes(trust: Any, tmp_path: Path) -> None:
    path, sig = _golden("number-plan.jsonl")
    doc = canonical.loads(sig.read_bytes())
    doc["signatures"] = doc["signatures"] * 2
    (tmp_path / "s.sig").write_bytes(canonical.dumps(doc))
    with pytest.raises(BlacklistFormatError) as e:
        verify_reference(path, tmp_path / "s.sig", trust=trust, list_type=NUMBER_PLAN, now=NOW)
    assert e.value.code == "jws_duplicate_kid"
    assert jws.parse(sig.read_bytes(), typ="antifraud-manifest+json").payload


# ------------------------------------------------------------------- schemas


def _validator(name: str) -> Any:
    import jsonschema
    from referencing import Registry, Resource

    from antifraud_common import schemas

    registry: Registry[Any] = Registry().with_resources(
        (schemas.load(n)["$id"], Resource.from_contents(schemas.load(n))) for n in schemas.names()
    )
    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


@pytest.mark.parametrize(
    ("file", "schema"),
    [
        ("number-plan.jsonl", "plan-range"),
        ("dno.jsonl", "dno-record"),
        ("presenters.jsonl", "presenter-record"),
        ("number-plan-v3.delta.jsonl", "reference-delta-op"),
    ],
)
def test_golden_records_pass_their_schema(file: str, schema: str) -> None:
    import json

    v = _validator(schema)
    for line in (GOLDEN / file).read_bytes().splitlines():
        v.validate(json.loads(line))


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "allocated"},  # allocated without kind
        {"kind": "mobile"},  # reserved with kind
        {"length": 14},
        {"table": "local", "length": 5, "kind": "mobile", "status": "allocated"},
        {"status": "unallocated", "carrier": "x"},
        {"date": "2026-1-01"},
        {"extra": 1},
    ],
)
def test_plan_schema_and_model_agree_on_refusals(bad: dict[str, Any]) -> None:
    import jsonschema

    good = {
        "carrier": "",
        "date": "2026-12-01",
        "length": 11,
        "prefix": "154",
        "status": "reserved",
        "table": "regular",
    }
    _validator("plan-range").validate(good)
    PlanRange.from_dict(good)
    doc = {**good, **bad}
    with pytest.raises(jsonschema.ValidationError):
        _validator("plan-range").validate(doc)
    with pytest.raises(AntifraudError):
        PlanRange.from_dict(doc)


# ------------------------------------------------------------------ properties

_POOL = GEN.plan_v3()[:40] + GEN.plan_v2()[1000:1040]


@settings(max_examples=40, deadline=None)
@given(
    a=st.sets(st.integers(0, len(_POOL) - 1), max_size=25),
    b=st.sets(st.integers(0, len(_POOL) - 1), max_size=25),
)
def test_reference_delta_round_trip(a: set[int], b: set[int]) -> None:
    import tempfile

    from antifraud_common.exchange.reference import _apply, _spec

    def records(ix: set[int]) -> list[PlanRange]:
        chosen: dict[tuple[str, int, str], PlanRange] = {}
        for i in sorted(ix):
            chosen.setdefault(_POOL[i].key, _POOL[i])
        return list(chosen.values())

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_records(d / "a.jsonl", records(a))
        write_records(d / "b.jsonl", records(b))
        info = make_reference_delta(NUMBER_PLAN, d / "a.jsonl", d / "b.jsonl", d / "d.jsonl")
        old, new = (d / "a.jsonl").read_bytes(), (d / "b.jsonl").read_bytes()
        result, count, changes = _apply(
            _spec(NUMBER_PLAN), old, (d / "d.jsonl").read_bytes(), protected=None, allow=()
        )
    assert result == new and count == info.result_count
    assert changes == (info.adds, info.replaces, info.removes)


def test_the_store_decides_with_the_receiver_state_rules(trust: Any, tmp_path: Path) -> None:
    # accept() repeats the state checks inside its transaction; they are the policy's
    # (exchange.policy), with the same messages as the blacklist state's.
    plan = tmp_path / "p.jsonl"
    ranges = GEN.plan_v2()
    ranges[0] = attrs.evolve(ranges[0], date="2026-11-30")
    write_records(plan, ranges)
    other = verify_reference(
        plan, _sign(plan, NUMBER_PLAN), trust=trust, list_type=NUMBER_PLAN, now=NOW
    )
    held = verify_reference(
        *_golden("number-plan.jsonl"), trust=trust, list_type=NUMBER_PLAN, now=NOW
    )
    delta = verify_reference(
        *_golden("number-plan-v3.delta.jsonl"),
        trust=trust,
        list_type=NUMBER_PLAN,
        now=LATER,
        base=held,
    )
    with ReferenceStore.open(tmp_path / "s") as store:
        with pytest.raises(DeltaBaseMismatchError) as base:
            store.accept(delta, now=NOW)
        assert str(base.value) == "the delta applies to version 2, the receiver has nothing"
        assert store.accept(held, now=NOW) == "snapshot"
        assert store.accept(held, now=NOW) == "unchanged"
        with pytest.raises(ForkError) as fork:
            store.accept(other, now=NOW)
        assert str(fork.value) == "version 2 was accepted with other content"
        assert store.accept(delta, now=LATER) == "delta"
        assert store.accept(delta, now=LATER) == "unchanged"
        with pytest.raises(RollbackError) as older:
            store.accept(held, now=LATER)
        assert str(older.value) == "version 2 is older than the accepted 3"
