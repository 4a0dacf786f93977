"""Regenerate the golden reference lists in tests/golden/reference/ from TEST-ONLY keys.

Reference lists (``docs/spec/reference-lists.md``) are the number plan, the
Do-Not-Originate numbers and the presenter authorisations, signed by the
telecom regulator's member key. The keys are those of ``scripts/make_golden.py``
(public seeds: test use only) plus ``miit``. Ed25519 is deterministic, so every
byte is reproducible; the tests compare the output with the committed files.

The allocations in these files are TEST DATA, not facts: plan version 2 is the
packaged plan (version 1) with the reserved 11-digit block 154 allocated as
mobile; the delta to version 3 allocates the reserved 13-digit block 1442 as
IoT, drops the reserved 11-digit record 1749 (those numbers become plain
invalid) and adds an explicit ``unallocated`` record.

    python scripts/make_reference_golden.py            # rewrite tests/golden/reference/
    python scripts/make_reference_golden.py --check    # exit 1 if it differs
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from antifraud_common.exchange import Member, PublishRule, TrustBundle, create_trust_bundle
from antifraud_common.exchange.reference import (
    DO_NOT_ORIGINATE,
    NUMBER_PLAN,
    PRESENTERS,
    DnoRecord,
    PresenterRecord,
    sign_reference,
    sign_reference_delta,
    write_records,
)
from antifraud_common.exchange.trust import sign_trust_bundle
from antifraud_common.numberplan import NumberPlan, PlanRange, RangeStatus

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "reference"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
LIST_EXPIRES = T0 + timedelta(days=30)
BUNDLE_EXPIRES = T0 + timedelta(days=365)


def _golden_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_golden", ROOT / "scripts" / "make_golden.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_G = _golden_module()
ROOT_KEYS = _G.ROOT_KEYS
MEMBER_KEYS = {**_G.MEMBER_KEYS, "miit": _G.ed25519_key("miit")}


def trust_bundle() -> TrustBundle:
    """Root keys of the list goldens (2 of 3); the regulator ``miit`` and ``mps``."""
    return create_trust_bundle(
        bundle_id="golden-reference",
        root_keys=[k.public_key for k in ROOT_KEYS.values()],
        root_threshold=2,
        issued_at=T0,
        expires=BUNDLE_EXPIRES,
        members=[
            Member(
                agency="miit",
                name="Telecom regulator (test)",
                keys=[MEMBER_KEYS["miit"].public_key],
                publish=[
                    PublishRule(list_type=DO_NOT_ORIGINATE, kinds=["phone"], actions=["block"]),
                    PublishRule(list_type=NUMBER_PLAN, kinds=["phone"], actions=["watch"]),
                    PublishRule(list_type=PRESENTERS, kinds=["phone"], actions=["watch"]),
                ],
            ),
            Member(
                agency="mps",
                name="Ministry of Public Security (test)",
                keys=[MEMBER_KEYS["mps"].public_key],
                publish=[
                    PublishRule(
                        list_type="fraud_numbers", kinds=["phone"], actions=["block", "watch"]
                    )
                ],
            ),
        ],
    )


def _set(ranges: list[PlanRange], new: PlanRange) -> list[PlanRange]:
    return [new if r.key == new.key else r for r in ranges]


def plan_v2() -> list[PlanRange]:
    """The packaged plan with the reserved 11-digit 154 block allocated (test data)."""
    ranges = list(NumberPlan.packaged().ranges())
    old = next(r for r in ranges if r.key == ("regular", 11, "154"))
    assert old.status is RangeStatus.RESERVED
    return _set(
        ranges,
        attrs.evolve(old, status=RangeStatus.ALLOCATED, kind="mobile", carrier="中国移动"),
    )


def plan_v3() -> list[PlanRange]:
    """Version 2 with 13-digit 1442 allocated, 1749 dropped, one unallocated record (test)."""
    ranges = plan_v2()
    old = next(r for r in ranges if r.key == ("regular", 13, "1442"))
    ranges = _set(
        ranges,
        attrs.evolve(
            old, status=RangeStatus.ALLOCATED, kind="iot", carrier="中国移动", date="2026-12-15"
        ),
    )
    ranges = [r for r in ranges if r.key != ("regular", 11, "1749")]
    ranges.append(
        PlanRange(
            table="regular",
            length=12,
            prefix="99999",
            status=RangeStatus.UNALLOCATED,
            date="2026-12-15",
        )
    )
    return ranges


def dno_records() -> list[DnoRecord]:
    """Three numbers that never originate calls (test data; one protected, allowed)."""
    return [
        DnoRecord(value="+861062345678", date="2026-11-20"),
        DnoRecord(value="+862161234567", date="2026-11-25"),
        DnoRecord(value="tel:12315;phone-context=+86", date="2026-11-30"),
    ]


def presenter_records() -> list[PresenterRecord]:
    """Trunks that may present two protected short codes and a fixed-line block (test data)."""
    return [
        PresenterRecord(
            match="exact",
            value="tel:95588;phone-context=+86",
            trunks=["icbc-sbc-bj", "icbc-sbc-sh"],
            date="2026-11-01",
        ),
        PresenterRecord(
            match="exact",
            value="tel:10086;phone-context=+86",
            trunks=["cmcc-core"],
            date="2026-11-01",
        ),
        PresenterRecord(
            match="prefix", value="+8610955", trunks=["icbc-sbc-bj"], date="2026-11-01"
        ),
    ]


def build(out: Path) -> list[Path]:
    """Write every golden reference file into ``out`` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    bundle = trust_bundle()
    data = bundle.to_bytes()
    (out / "trust.json").write_bytes(data)
    (out / "trust.json.sig").write_bytes(
        sign_trust_bundle(data, [ROOT_KEYS["root-1"], ROOT_KEYS["root-2"]])
    )
    miit = [MEMBER_KEYS["miit"]]
    common: dict[str, Any] = {
        "signers": miit,
        "issuer": "miit",
        "issued_at": T0,
        "expires": LIST_EXPIRES,
        "trust": bundle,
    }
    write_records(out / "number-plan.jsonl", plan_v2())
    sign_reference(
        out / "number-plan.jsonl",
        list_type=NUMBER_PLAN,
        list_id="cn-number-plan",
        version=2,
        **common,
    )
    with tempfile.TemporaryDirectory() as tmp:
        v3 = Path(tmp) / "v3.jsonl"
        write_records(v3, plan_v3())
        sign_reference_delta(
            out / "number-plan.jsonl",
            v3,
            out / "number-plan-v3.delta.jsonl",
            miit,
            list_type=NUMBER_PLAN,
            issuer="miit",
            list_id="cn-number-plan",
            version=3,
            base_version=2,
            issued_at=T0 + timedelta(days=14),
            expires=T0 + timedelta(days=44),
        )
    write_records(out / "dno.jsonl", dno_records())
    sign_reference(
        out / "dno.jsonl",
        list_type=DO_NOT_ORIGINATE,
        list_id="dno",
        version=1,
        allow_protected=[("phone", "tel:12315;phone-context=+86")],
        **common,
    )
    write_records(out / "presenters.jsonl", presenter_records())
    sign_reference(
        out / "presenters.jsonl", list_type=PRESENTERS, list_id="presenters", version=1, **common
    )
    return sorted(p for p in out.iterdir() if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args(argv)
    if not args.check:
        for p in build(args.out):
            print(p)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(Path(tmp))
        names = {p.name for p in fresh}
        held = {p.name for p in args.out.iterdir() if p.is_file()} if args.out.is_dir() else set()
        bad = sorted(
            (names ^ held)
            | {
                p.name
                for p in fresh
                if p.name in held and (args.out / p.name).read_bytes() != p.read_bytes()
            }
        )
    if bad:
        print("differs:", ", ".join(bad), file=sys.stderr)
        return 1
    print("golden reference files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
