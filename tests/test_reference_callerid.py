"""Caller-ID checks decide with the signed reference data a receiver holds."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from antifraud_common import cli
from antifraud_common.callerid import CallChecker, check_call
from antifraud_common.exchange import (
    ReceiverState,
    load_trust,
    sign_list,
    verify_list,
    write_entries,
)
from antifraud_common.exchange.reference import (
    DO_NOT_ORIGINATE,
    NUMBER_PLAN,
    PRESENTERS,
    ReferenceStore,
)
from antifraud_common.models import Entry
from antifraud_common.numberplan import NumberPlan

GOLDEN = Path(__file__).resolve().parent / "golden" / "reference"
NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)
NEW_BLOCK = "+8615400138000"
CALLED = "+8613800138000"


def _generator() -> Any:
    path = Path(__file__).resolve().parent.parent / "scripts" / "make_reference_golden.py"
    spec = importlib.util.spec_from_file_location("make_reference_golden", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_reference_golden"] = module
    spec.loader.exec_module(module)
    return module


def _receiver_state(d: Path, trust: Any) -> None:
    """A receiver state holding one blacklist (screen-calls --state needs one)."""
    gen = _generator()
    entry = Entry.from_raw(
        kind="phone",
        value="+8613900139000",
        reason="telecom_fraud",
        action="block",
        source="mps",
        case_ref="MPS-1",
        confidence=90,
        tlp="amber",
        listed_at=gen.T0,
        valid_from=gen.T0,
    )
    d.parent.mkdir(parents=True, exist_ok=True)
    lst = d.parent / f"{d.name}-fraud.jsonl"
    write_entries(lst, [entry])
    sig = sign_list(
        lst,
        signers=[gen.MEMBER_KEYS["mps"]],
        issuer="mps",
        list_id="fraud",
        list_type="fraud_numbers",
        version=1,
        issued_at=gen.T0,
        expires=gen.T0 + timedelta(days=30),
        trust=trust,
    )
    with ReceiverState.open(d) as st, verify_list(lst, sig, trust=trust, now=NOW) as v:
        st.accept(v, now=NOW)


@pytest.fixture
def trust() -> Any:
    return load_trust(GOLDEN / "trust.json", GOLDEN / "trust.json.sig", now=NOW)


@pytest.fixture
def state(tmp_path: Path, trust: Any) -> Path:
    """A receiver state holding the golden plan (v2), DNO and presenters lists."""
    d = tmp_path / "state"
    _receiver_state(d, trust)
    with ReferenceStore.open(d) as store:
        for name, list_type in (
            ("number-plan", NUMBER_PLAN),
            ("dno", DO_NOT_ORIGINATE),
            ("presenters", PRESENTERS),
        ):
            store.apply(
                GOLDEN / f"{name}.jsonl",
                GOLDEN / f"{name}.jsonl.sig",
                trust=trust,
                list_type=list_type,
                now=NOW,
            )
    return d


def _held(state: Path) -> dict[str, Any]:
    with ReferenceStore.open(state, create=False) as store:
        return {
            "plan": store.number_plan(),
            "dno": store.do_not_originate(),
            "presenters": store.presenters(),
        }


def test_a_held_plan_turns_a_reserved_caller_id_into_an_allocated_one(state: Path) -> None:
    before = check_call(NEW_BLOCK, CALLED, ingress="interconnect")
    assert (before.action.value, before.rule_ids, before.plan_version) == (
        "block",
        ("cli_reserved_range",),
        1,
    )
    held = _held(state)
    after = check_call(NEW_BLOCK, CALLED, ingress="interconnect", plan=held["plan"])
    assert (after.action.value, after.rule_ids, after.plan_version) == ("allow", (), 2)
    # the packaged plan object keeps the packaged verdicts
    same = check_call(NEW_BLOCK, CALLED, ingress="interconnect", plan=NumberPlan.packaged())
    assert same.to_dict() == before.to_dict()


def test_held_dno_and_presenters_decide(state: Path) -> None:
    held = _held(state)
    checker = CallChecker(**held)
    assert checker.plan_version == 2
    v = checker.check("+861062345678", CALLED, ingress="interconnect")
    assert "dno_listed" in v.rule_ids
    ok = checker.check(
        "95588", CALLED, ingress="interconnect", trunk_id="icbc-sbc-bj", authenticated=True
    )
    assert "protected_unauthorised" not in ok.rule_ids
    bad = checker.check(
        "95588", CALLED, ingress="interconnect", trunk_id="cmcc-core", authenticated=True
    )
    assert "protected_unauthorised" in bad.rule_ids


def test_screen_calls_with_state_uses_the_held_data(
    state: Path, tmp_path: Path, trust: Any
) -> None:
    records = tmp_path / "calls.csv"
    records.write_text(
        "caller,callee,via,trunk\n"
        f"{NEW_BLOCK},{CALLED},interconnect,t1\n"
        f"+861062345678,{CALLED},interconnect,t1\n",
        encoding="utf-8",
    )
    out = tmp_path / "findings.jsonl"
    args = [
        "screen-calls",
        str(records),
        "--calling",
        "caller",
        "--called",
        "callee",
        "--ingress",
        "via",
        "--trunk",
        "trunk",
        "--out",
        str(out),
        "--now",
        "2026-12-01T01:00:00Z",
    ]
    assert cli.main([*args, "--state", str(state)]) == 1
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # the 154 caller is allowed under the held plan; the DNO number is caught
    assert [f["line"] for f in found] == [3]
    assert "dno_listed" in json.dumps(found[0])
    # without the held data, the 154 caller is a reserved range and nothing is on a DNO list
    empty = tmp_path / "empty-state"
    _receiver_state(empty, trust)
    assert cli.main([*args, "--state", str(empty), "--force"]) == 1  # replaces the findings
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [f["line"] for f in found] == [2]
    assert "cli_reserved_range" in json.dumps(found[0])


def test_cli_apply_keeps_reference_lists_beside_the_state(tmp_path: Path) -> None:
    d = tmp_path / "state"
    trust = ["--trust", str(GOLDEN / "trust.json"), "--state", str(d)]
    plan = str(GOLDEN / "number-plan.jsonl")
    delta = str(GOLDEN / "number-plan-v3.delta.jsonl")
    assert cli.main(["apply", plan, *trust, "--now", "2026-12-01T01:00:00Z"]) == 0
    assert cli.main(["apply", plan, *trust, "--now", "2026-12-01T01:00:00Z"]) == 0  # unchanged
    assert cli.main(["apply", delta, *trust, "--now", "2026-12-15T01:00:00Z"]) == 0
    # the older snapshot is now a rollback, refused with its code
    assert cli.main(["apply", plan, *trust, "--now", "2026-12-15T01:00:00Z", "--json"]) == 1
    with ReferenceStore.open(d, create=False) as store:
        assert store.number_plan().version == 3
    # a reference list never enters the blacklists
    assert not (d / "state.sqlite3").exists()
    # signed by the regulator, but checked against a bundle where nobody may publish plans
    other = tmp_path / "other"
    golden = Path(__file__).resolve().parent / "golden"
    refused = [
        "apply",
        plan,
        "--trust",
        str(golden / "trust.json"),
        "--state",
        str(other),
        "--now",
        "2026-12-01T01:00:00Z",
    ]
    assert cli.main(refused) == 1


def test_cli_apply_json_names_the_reference_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["apply", str(GOLDEN / "dno.jsonl"), "--trust", str(GOLDEN / "trust.json")]
    args += ["--state", str(tmp_path / "s"), "--now", "2026-12-01T01:00:00Z", "--json"]
    assert cli.main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    # apply's one payload (docs/cli.md): outcome applied/unchanged, content snapshot/delta.
    assert (doc["ok"], doc["list_type"], doc["outcome"], doc["content"], doc["record_count"]) == (
        True,
        DO_NOT_ORIGINATE,
        "applied",
        "snapshot",
        3,
    )


def test_sync_keeps_reference_lists_beside_the_state(tmp_path: Path, trust: Any) -> None:
    import shutil

    from antifraud_common.exchange import sync

    drop = tmp_path / "drop"
    drop.mkdir()
    for name in ("number-plan.jsonl", "number-plan-v3.delta.jsonl", "dno.jsonl"):
        shutil.copy(GOLDEN / name, drop / name)
        shutil.copy(GOLDEN / f"{name}.sig", drop / f"{name}.sig")
    d = tmp_path / "state"
    _receiver_state(d, trust)
    later = datetime(2026, 12, 15, 1, tzinfo=UTC)
    with ReceiverState.open(d) as state:
        report = sync(drop, state, trust, now=later)
        outcomes = {(i.list_id, i.version): i.outcome for i in report.items}
        assert report.ok, report.to_dict()
        assert outcomes == {
            ("cn-number-plan", 2): "snapshot",
            ("cn-number-plan", 3): "delta",
            ("dno", 1): "snapshot",
        }
        assert [r.list_id for r in state.lists()] == ["fraud"]  # no reference list in it
        again = sync(drop, state, trust, now=later)
        assert {(i.list_id, i.version): i.outcome for i in again.items} == {
            ("cn-number-plan", 2): "old",
            ("cn-number-plan", 3): "unchanged",
            ("dno", 1): "unchanged",
        }
    with ReferenceStore.open(d, create=False) as store:
        assert store.number_plan().version == 3
        assert len(store.do_not_originate()) == 3
