"""The pure trust decisions (exchange/policy.py): versions, rollback, fork, delta base,
validity period, publish rule and threshold, with the codes and messages callers see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as Ns

import pytest

from antifraud_common.exchange import policy
from antifraud_common.exchange.trust import Member, PublishRule, create_trust_bundle
from antifraud_common.format.keys import LocalSigner

A, B, C = "a" * 64, "b" * 64, "c" * 64
LAST = Ns(version=7, state_sha256=A)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _code(verdict: policy.StateVerdict) -> str | None:
    return None if verdict.problem is None else verdict.problem.code


@pytest.mark.parametrize(
    ("version", "sha", "code", "unchanged"),
    [(6, A, "rollback", False), (7, B, "fork", False), (7, A, None, True), (8, B, None, False)],
)
def test_snapshot_against_the_accepted_version(
    version: int, sha: str, code: str | None, unchanged: bool
) -> None:
    verdict = policy.snapshot_verdict(Ns(version=version, sha256=sha), LAST)
    assert (_code(verdict), verdict.unchanged) == (code, unchanged)
    assert policy.snapshot_verdict(Ns(version=version, sha256=sha), None) == policy.StateVerdict()


def _delta(version: int, base: int, base_sha: str, result: str) -> Ns:
    return Ns(version=version, base_version=base, base_sha256=base_sha, result_sha256=result)


@pytest.mark.parametrize(
    ("manifest", "last", "code", "unchanged"),
    [
        (_delta(8, 7, A, C), LAST, None, False),
        (_delta(6, 5, A, C), LAST, "rollback", False),
        (_delta(7, 6, B, C), LAST, "fork", False),
        (_delta(7, 6, B, A), LAST, None, True),
        (_delta(9, 8, A, C), LAST, "delta_base_mismatch", False),
        (_delta(8, 7, B, C), LAST, "delta_base_mismatch", False),
        (_delta(8, 7, A, C), None, "delta_base_mismatch", False),
    ],
)
def test_delta_against_the_accepted_version(
    manifest: Ns, last: Ns | None, code: str | None, unchanged: bool
) -> None:
    verdict = policy.delta_verdict(manifest, last)
    assert (_code(verdict), verdict.unchanged) == (code, unchanged)


def test_messages_are_the_ones_callers_see() -> None:
    rollback = policy.snapshot_verdict(Ns(version=6, sha256=A), LAST).problem
    fork = policy.delta_verdict(_delta(7, 6, B, C), LAST).problem
    base = policy.delta_verdict(_delta(8, 7, A, C), None).problem
    assert str(rollback) == "version 6 is older than the accepted 7"
    assert str(fork) == "version 7 was accepted with other content"
    assert str(base) == "the delta applies to version 7, the receiver has nothing"


def test_validity_period_and_grace() -> None:
    issued = NOW - timedelta(days=1)
    ok = policy.check_validity(issued_at=issued, expires=NOW + timedelta(1), now=NOW, grace=None)
    assert ok == policy.Validity()
    late = policy.check_validity(issued_at=issued, expires=NOW, now=NOW, grace=None)
    assert [p.code for p in late.problems] == ["expired"]
    graced = policy.check_validity(
        issued_at=issued, expires=NOW - timedelta(hours=1), now=NOW, grace=timedelta(hours=2)
    )
    assert graced.grace_used and not graced.problems and "grace" in graced.warnings[0]
    outside = policy.check_validity(
        issued_at=issued, expires=NOW - timedelta(hours=2), now=NOW, grace=timedelta(hours=2)
    )
    assert [p.code for p in outside.problems] == ["expired"] and not outside.grace_used
    skew = policy.ISSUED_AT_TOLERANCE
    assert not policy.check_validity(
        issued_at=NOW + skew, expires=NOW + timedelta(1), now=NOW, grace=None
    ).problems
    future = policy.check_validity(
        issued_at=NOW + skew + timedelta(seconds=1), expires=NOW + timedelta(1), now=NOW, grace=None
    )
    assert [p.code for p in future.problems] == ["issued_in_future"]


def test_publish_rule_and_threshold() -> None:
    k1, k2, root = LocalSigner.generate(), LocalSigner.generate(), LocalSigner.generate()
    rule = PublishRule(
        list_type="stop_payment",
        kinds=("bank_card",),
        actions=("hold",),
        threshold=2,
        signers=("pbc", "bank1"),
    )
    bundle = create_trust_bundle(
        bundle_id="t",
        root_keys=[root.public_key],
        root_threshold=1,
        members=[
            Member(agency="pbc", name="PBC", keys=(k1.public_key,), publish=(rule,)),
            Member(agency="bank1", name="Bank", keys=(k2.public_key,)),
        ],
        issued_at=NOW,
    )
    got = policy.publish_rule(bundle, "pbc", "stop_payment")
    assert got.threshold == 2
    with pytest.raises(Exception, match="not a member") as e:
        policy.publish_rule(bundle, "nobody", "stop_payment")
    assert e.value.code == "out_of_scope"  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="may not publish"):
        policy.publish_rule(bundle, "bank1", "stop_payment")
    owners = {k1.key_id: "pbc", k2.key_id: "bank1", "x": None}
    assert policy.threshold_problem(got, [k1.key_id, k2.key_id], owners) is None
    short = policy.threshold_problem(got, [k1.key_id, "x"], owners)
    assert short is not None and short.code == "threshold_not_met"
