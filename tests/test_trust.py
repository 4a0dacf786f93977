"""Tests for the trust bundle: strict parsing, first use, rotation (TUF root rules), chains."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from antifraud_common import errors
from antifraud_common.errors import TrustBundleError
from antifraud_common.exchange import trust as tr
from antifraud_common.format import canonical, jws
from antifraud_common.format.keys import LocalSigner, b64url_encode

T0 = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


def key(n: int) -> LocalSigner:
    """A fixed, test-only Ed25519 key."""
    seed = hashlib.sha256(f"antifraud test key {n}".encode()).digest()
    return LocalSigner(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


ROOTS = [key(100 + i) for i in range(5)]
MPS, PBC, BANK = key(1), key(2), key(3)


def members() -> list[tr.Member]:
    return [
        tr.Member(
            agency="mps",
            name="Ministry of Public Security",
            keys=(MPS.public_key,),
            publish=(
                tr.PublishRule(
                    list_type="fraud_numbers", kinds=("phone",), actions=("block", "watch")
                ),
            ),
        ),
        tr.Member(
            agency="pbc",
            name="Central bank",
            keys=(PBC.public_key,),
            publish=(
                tr.PublishRule(
                    list_type="stop_payment",
                    kinds=("bank_account", "bank_card"),
                    actions=("hold",),
                    threshold=2,
                    signers=("bank1", "pbc"),
                ),
            ),
        ),
        tr.Member(agency="bank1", name="Bank One", keys=(BANK.public_key,)),
    ]


def bundle(version: int = 1, roots: int = 3, threshold: int = 2, **kw: object) -> tr.TrustBundle:
    args: dict[str, object] = {
        "bundle_id": "cn-antifraud",
        "root_keys": [r.public_key for r in ROOTS[:roots]],
        "root_threshold": threshold,
        "members": members(),
        "version": version,
        "issued_at": T0,
        "expires": T0 + YEAR,
    }
    args.update(kw)
    return tr.create_trust_bundle(**args)  # type: ignore[arg-type]


def signed(b: tr.TrustBundle, signers: list[LocalSigner]) -> tuple[bytes, bytes]:
    data = b.to_bytes()
    return data, tr.sign_trust_bundle(data, signers)


def codes(excinfo: pytest.ExceptionInfo[TrustBundleError]) -> str:
    return excinfo.value.code


# ------------------------------------------------------------------ model


def test_round_trip_and_canonical_order() -> None:
    b = bundle()
    data = b.to_bytes()
    assert tr.TrustBundle.from_bytes(data) == b
    doc = json.loads(data)
    assert [m["agency"] for m in doc["members"]] == ["bank1", "mps", "pbc"]
    kids = [tr.PublicKey.from_jwk(k).key_id for k in doc["root"]["keys"]]
    assert kids == sorted(kids)
    # A rule without explicit signers is signed by the member itself.
    assert doc["members"][1]["publish"][0]["signers"] == ["mps"]
    assert doc["members"][1]["publish"][0]["actions"] == ["block", "watch"]
    assert b.key_owner(MPS.key_id) == "mps"
    assert b.key_owner(ROOTS[0].key_id) == tr.ROOT
    assert set(b.member_keys()) == {MPS.key_id, PBC.key_id, BANK.key_id}


def test_non_canonical_bytes_refused() -> None:
    data = bundle().to_bytes()
    pretty = json.dumps(json.loads(data), indent=1).encode()
    with pytest.raises(TrustBundleError) as e:
        tr.TrustBundle.from_bytes(pretty)
    assert e.value.code == "trust_not_canonical"
    doc = json.loads(data)
    doc["members"].reverse()
    with pytest.raises(TrustBundleError) as e:
        tr.TrustBundle.from_bytes(canonical.dumps(doc))
    assert e.value.code == "trust_not_canonical"


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: d.update(extra=1), "trust_invalid"),
        (lambda d: d.pop("root"), "trust_invalid"),
        (lambda d: d.update(format="antifraud-manifest"), "wrong_payload_type"),
        (lambda d: d.update(format_version=2), "trust_invalid"),
        (lambda d: d.update(version=0), "trust_invalid"),
        (lambda d: d.update(expires=d["issued_at"]), "trust_invalid"),
        (lambda d: d["root"].update(threshold=9), "trust_invalid"),
        (lambda d: d["members"][0]["keys"][0].update(d="AAAA"), "jwk_private_member"),
        (lambda d: d["members"][0]["keys"].append(d["root"]["keys"][0]), "trust_duplicate_key"),
        (
            lambda d: d["members"][2]["publish"][0].update(signers=["nobody", "pbc"]),
            "trust_invalid",
        ),
        (lambda d: d["members"][2]["publish"][0].update(threshold=3), "trust_invalid"),
        (lambda d: d["members"][1]["publish"][0].update(kinds=["fax"]), "trust_invalid"),
        (lambda d: d["members"][1]["publish"][0].update(actions=[]), "trust_invalid"),
        (lambda d: d["members"][1].update(keys=[]), "trust_invalid"),
        (lambda d: d["members"].append(d["members"][0]), "trust_invalid"),
    ],
)
def test_strict_from_dict(mutate: object, code: str) -> None:
    doc = json.loads(bundle().to_bytes())
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(TrustBundleError) as e:
        tr.TrustBundle.from_bytes(canonical.dumps(doc))
    assert e.value.code == code


def test_not_json_refused() -> None:
    with pytest.raises(TrustBundleError):
        tr.TrustBundle.from_bytes(b'{"a":1,"a":2}')


def test_member_helpers_bump_version() -> None:
    b = bundle()
    extra = key(50)
    b2 = tr.add_member(
        b, tr.Member(agency="cac", name="CAC", keys=(extra.public_key,)), issued_at=T0
    )
    assert b2.version == 2 and b2.member("cac") is not None
    assert b2.expires - b2.issued_at == YEAR
    with pytest.raises(TrustBundleError):
        tr.add_member(b2, tr.Member(agency="cac", name="x", keys=(key(51).public_key,)))
    b3 = tr.remove_member(b2, "cac", issued_at=T0)
    assert b3.version == 3 and b3.member("cac") is None
    with pytest.raises(TrustBundleError):
        tr.remove_member(b3, "cac")
    # A member still named as co-signer by another rule cannot be removed.
    with pytest.raises(TrustBundleError):
        tr.remove_member(b3, "bank1")
    renamed = tr.Member(agency="mps", name="MPS", keys=(MPS.public_key,))
    b4 = tr.replace_member(b3, renamed, issued_at=T0)
    rule = b4.member("mps")
    assert rule is not None and rule.name == "MPS" and rule.publish == ()


# -------------------------------------------------------------- first use


def write(tmp_path: Path, data: bytes, sig: bytes, name: str = "trust") -> tuple[Path, Path]:
    p, s = tmp_path / f"{name}.json", tmp_path / f"{name}.json.sig"
    p.write_bytes(data)
    s.write_bytes(sig)
    return p, s


def test_load_first_use(tmp_path: Path) -> None:
    b = bundle()
    p, s = write(tmp_path, *signed(b, ROOTS[:2]))
    assert tr.load_trust(p, s, now=T0) == b


@pytest.mark.parametrize(
    ("signers", "code"),
    [
        ([MPS], "trust_signature_invalid"),
        ([ROOTS[0]], "trust_threshold_not_met"),
        ([ROOTS[0], MPS], "trust_threshold_not_met"),
        ([ROOTS[3], ROOTS[4]], "trust_signature_invalid"),
    ],
)
def test_load_first_use_threshold(tmp_path: Path, signers: list[LocalSigner], code: str) -> None:
    p, s = write(tmp_path, *signed(bundle(), signers))
    with pytest.raises(TrustBundleError) as e:
        tr.load_trust(p, s, now=T0)
    assert e.value.code == code


def test_load_expired_and_grace(tmp_path: Path) -> None:
    p, s = write(tmp_path, *signed(bundle(), ROOTS[:2]))
    with pytest.raises(TrustBundleError) as e:
        tr.load_trust(p, s, now=T0 + YEAR)
    assert e.value.code == "trust_expired"
    assert tr.load_trust(p, s, now=T0 + YEAR, grace=timedelta(days=1)).version == 1


def test_signature_over_other_bytes(tmp_path: Path) -> None:
    _, sig = signed(bundle(version=2), ROOTS[:2])
    p, s = write(tmp_path, bundle().to_bytes(), sig)
    with pytest.raises(TrustBundleError) as e:
        tr.load_trust(p, s, now=T0)
    assert e.value.code == "trust_payload_mismatch"


def test_repeated_root_signature_refused(tmp_path: Path) -> None:
    data, sig = signed(bundle(), ROOTS[:1])
    doc = json.loads(sig)
    doc["signatures"].append(doc["signatures"][0])
    p, s = write(tmp_path, data, canonical.dumps(doc))
    with pytest.raises(TrustBundleError) as e:
        tr.load_trust(p, s, now=T0)
    assert e.value.code == "trust_jws_duplicate_kid"


def test_alg_none_refused(tmp_path: Path) -> None:
    data = bundle().to_bytes()
    header = b64url_encode(
        canonical.dumps({"alg": "none", "kid": ROOTS[0].key_id, "typ": tr.TRUST_TYP})
    )
    env = {"payload": b64url_encode(data), "signatures": [{"protected": header, "signature": ""}]}
    p, s = write(tmp_path, data, canonical.dumps(env))
    with pytest.raises(TrustBundleError) as e:
        tr.load_trust(p, s, now=T0)
    assert e.value.code == "trust_jws_alg_none"


def test_wrong_typ_refused(tmp_path: Path) -> None:
    data = bundle().to_bytes()
    sig = jws.sign(data, ROOTS[:2], typ="antifraud-manifest+json")
    p, s = write(tmp_path, data, sig)
    with pytest.raises(TrustBundleError) as e:
        tr.load_trust(p, s, now=T0)
    assert e.value.code == "trust_jws_typ"


def test_unreadable(tmp_path: Path) -> None:
    with pytest.raises(TrustBundleError) as e:
        tr.load_trust(tmp_path / "nope.json", tmp_path / "nope.sig")
    assert e.value.code == "trust_unreadable"


# ---------------------------------------------------------------- rotation


def rotated(roots: list[LocalSigner], threshold: int, version: int = 2) -> tr.TrustBundle:
    return tr.create_trust_bundle(
        bundle_id="cn-antifraud",
        root_keys=[r.public_key for r in roots],
        root_threshold=threshold,
        members=members(),
        version=version,
        issued_at=T0,
        expires=T0 + YEAR,
    )


def test_rotation_needs_both_thresholds() -> None:
    v1 = bundle()  # roots 0,1,2 threshold 2
    v2 = rotated([ROOTS[2], ROOTS[3], ROOTS[4]], 2)
    ok = signed(v2, [ROOTS[0], ROOTS[1], ROOTS[3], ROOTS[4]])
    assert tr.update_trust(v1, *ok, now=T0) == v2
    # Old threshold met only through a key shared by both (root 2) plus one old key.
    shared = signed(v2, [ROOTS[1], ROOTS[2], ROOTS[3]])
    assert tr.update_trust(v1, *shared, now=T0) == v2
    for signers in ([ROOTS[3], ROOTS[4]], [ROOTS[0], ROOTS[1]], [ROOTS[0], ROOTS[3]]):
        with pytest.raises(TrustBundleError) as e:
            tr.update_trust(v1, *signed(v2, signers), now=T0)
        assert e.value.code == "trust_rotation_threshold"


@pytest.mark.parametrize(
    ("version", "code"),
    [(4, "trust_version_gap"), (1, "trust_rollback"), (2, "trust_fork"), (9, "trust_version_gap")],
)
def test_rotation_version_rules(version: int, code: str) -> None:
    v2 = bundle(version=2)
    new = bundle(version=version, expires=T0 + 2 * YEAR)
    with pytest.raises(TrustBundleError) as e:
        tr.update_trust(v2, *signed(new, ROOTS[:3]), now=T0)
    assert e.value.code == code


def test_same_version_fork_and_identical() -> None:
    v1 = bundle()
    assert tr.update_trust(v1, *signed(v1, ROOTS[:2]), now=T0) is v1
    other = bundle(expires=T0 + 2 * YEAR)
    with pytest.raises(TrustBundleError) as e:
        tr.update_trust(v1, *signed(other, ROOTS[:2]), now=T0)
    assert e.value.code == "trust_fork"


def test_wrong_bundle_id() -> None:
    other = bundle(version=2, bundle_id="elsewhere")
    with pytest.raises(TrustBundleError) as e:
        tr.update_trust(bundle(), *signed(other, ROOTS[:3]), now=T0)
    assert e.value.code == "trust_wrong_bundle"


def test_load_with_trusted(tmp_path: Path) -> None:
    v1 = bundle()
    v2 = bundle(version=2, issued_at=T0 + timedelta(days=1))
    p, s = write(tmp_path, *signed(v2, ROOTS[:2]))
    assert tr.load_trust(p, s, trusted=v1, now=T0) == v2


# ------------------------------------------------------------------- chain


def test_walk_chain_skips_expired_intermediates() -> None:
    v1 = bundle()
    chain = [
        bundle(version=2, expires=T0 + timedelta(days=2)),
        rotated([ROOTS[2], ROOTS[3], ROOTS[4]], 2, version=3),
        tr.create_trust_bundle(
            bundle_id="cn-antifraud",
            root_keys=[ROOTS[4].public_key],
            root_threshold=1,
            members=members(),
            version=4,
            issued_at=T0,
            expires=T0 + 2 * YEAR,
        ),
    ]
    pairs = [
        signed(chain[0], ROOTS[:2]),
        signed(chain[1], [ROOTS[0], ROOTS[1], ROOTS[3], ROOTS[4]]),
        signed(chain[2], [ROOTS[3], ROOTS[4]]),
    ]
    later = T0 + timedelta(days=30)
    got = tr.walk_trust_chain(v1, [pairs[2], signed(v1, ROOTS[:2]), pairs[0], pairs[1]], now=later)
    assert got == chain[2]
    # The final bundle must be fresh.
    with pytest.raises(TrustBundleError) as e:
        tr.walk_trust_chain(v1, pairs[:1], now=later)
    assert e.value.code == "trust_expired"
    # A missing step is a gap.
    with pytest.raises(TrustBundleError) as e:
        tr.walk_trust_chain(v1, [pairs[0], pairs[2]], now=later)
    assert e.value.code == "trust_version_gap"
    # Version 4 signed only by the new root (not by version 3's threshold) fails.
    bad4 = signed(chain[2], [ROOTS[4]])
    with pytest.raises(TrustBundleError) as e:
        tr.walk_trust_chain(v1, [pairs[0], pairs[1], bad4], now=later)
    assert e.value.code == "trust_rotation_threshold"


def test_walk_chain_fork_among_candidates() -> None:
    v1 = bundle()
    a = signed(bundle(version=2), ROOTS[:2])
    b = signed(bundle(version=2, expires=T0 + 2 * YEAR), ROOTS[:2])
    with pytest.raises(TrustBundleError) as e:
        tr.walk_trust_chain(v1, [a, b], now=T0)
    assert e.value.code == "trust_fork"
    with pytest.raises(TrustBundleError) as e:
        tr.walk_trust_chain(v1, [signed(bundle(expires=T0 + 2 * YEAR), ROOTS[:2])], now=T0)
    assert e.value.code == "trust_fork"
    assert tr.walk_trust_chain(v1, [], now=T0) is v1


def test_walk_chain_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tr, "MAX_CHAIN_STEPS", 2)
    v1 = bundle()
    pairs = [signed(bundle(version=v), ROOTS[:2]) for v in (2, 3, 4)]
    with pytest.raises(TrustBundleError) as e:
        tr.walk_trust_chain(v1, pairs, now=T0)
    assert e.value.code == "trust_chain_too_long"


def test_naive_now_refused() -> None:
    with pytest.raises(TrustBundleError):
        tr.update_trust(bundle(), *signed(bundle(version=2), ROOTS[:2]), now=datetime(2026, 1, 1))
    # The clock check's error, which old ``except TrustBundleError`` clauses still catch.
    with pytest.raises(errors.NaiveDatetimeError) as e:
        tr.update_trust(bundle(), *signed(bundle(version=2), ROOTS[:2]), now=datetime(2026, 1, 1))
    assert isinstance(e.value, TrustBundleError) and e.value.code == "naive_datetime"
    with pytest.raises(errors.NaiveTrustTimeError):
        bundle().is_expired(datetime(2026, 1, 1))


def test_is_expired_needs_an_aware_now() -> None:
    b = bundle()
    for bad in (None, datetime(2026, 1, 1)):
        with pytest.raises(TrustBundleError) as e:
            b.is_expired(bad)  # type: ignore[arg-type]
        assert e.value.code == "naive_datetime"
