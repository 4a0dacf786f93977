"""Case-message rules and encryption keys in the trust bundle (optional, compatible)."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from antifraud_common.cases._kit import federation
from antifraud_common.errors import TrustBundleError
from antifraud_common.exchange.trust import Member, MessageRule, TrustBundle, create_trust_bundle
from antifraud_common.format.keys import LocalSigner

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_bundle_with_case_rules_round_trips() -> None:
    fed = federation(T0)
    data = fed.trust.to_bytes()
    again = TrustBundle.from_bytes(data)
    assert again == fed.trust and again.to_bytes() == data
    mps = again.member("mps")
    assert mps is not None
    rule = mps.message_rule("freeze_order")
    assert rule is not None and rule.threshold == 2 and rule.signers == ("mps",)
    assert rule.allows("icbc") and not rule.allows("mps-other")
    assert mps.message_rule("stop_payment_result") is None
    ack = mps.message_rule("ack")
    assert ack is not None and ack.allows("anyone")
    assert [k.key_id for k in mps.encryption_keys] == [fed.decryption["mps"].key_id]


def test_member_without_case_fields_keeps_old_bytes() -> None:
    key = LocalSigner.generate().public_key
    m = Member(agency="mps", name="MPS", keys=(key,))
    d = m.to_dict()
    assert set(d) == {"agency", "name", "keys", "publish"}
    assert Member.from_dict(d) == m


def _bundle(members: list[Member]) -> TrustBundle:
    return create_trust_bundle(
        bundle_id="b",
        root_keys=[LocalSigner.generate().public_key],
        root_threshold=1,
        members=members,
        issued_at=T0,
    )


def test_rules_are_checked() -> None:
    a = Member(agency="a", name="A", keys=(LocalSigner.generate().public_key,))
    b = Member(agency="b", name="B", keys=(LocalSigner.generate().public_key,))
    for bad_rule in (
        MessageRule(type="stop_payment_order", to=("nobody",)),
        MessageRule(type="stop_payment_order", to=("a",)),
        MessageRule(type="stop_payment_order", to=("b",), threshold=2),
        MessageRule(type="stop_payment_order", to=("b",), signers=("nobody",)),
    ):
        with pytest.raises(TrustBundleError):
            _bundle([attrs.evolve(a, messages=(bad_rule,)), b])
    for bad in (
        {"type": "Stop", "to": ["b"], "threshold": 1, "signers": []},
        {"type": "stop_payment_order", "to": [], "threshold": 1, "signers": []},
        {"type": "stop_payment_order", "to": ["b", "b"], "threshold": 1, "signers": []},
        {"type": "stop_payment_order", "to": ["b"], "threshold": 1},
    ):
        with pytest.raises(TrustBundleError):
            MessageRule.from_dict(bad)
    two = [MessageRule(type="ack", to=("b",)), MessageRule(type="ack", to=("*",))]
    with pytest.raises(TrustBundleError):
        attrs.evolve(a, messages=tuple(two))


def test_encryption_keys_are_checked() -> None:
    fed = federation(T0)
    mps = fed.trust.member("mps")
    icbc = fed.trust.member("icbc")
    assert mps is not None and icbc is not None
    # The same encryption key for two members.
    shared = attrs.evolve(icbc, encryption_keys=mps.encryption_keys)
    with pytest.raises(TrustBundleError) as info:
        _bundle([mps, shared])
    assert info.value.code == "trust_duplicate_key"
    # A signing key is not an encryption key.
    with pytest.raises(TrustBundleError):
        Member.from_dict({**mps.to_dict(), "encryption_keys": [mps.keys[0].to_jwk()]})
    with pytest.raises(TrustBundleError):
        Member.from_dict({**mps.to_dict(), "encryption_keys": "x"})
