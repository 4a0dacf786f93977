"""Tamper suite: every manipulation of a signed list is refused with its typed error.

Each case builds a manipulated list, signature file or trust bundle and checks
that verification raises the expected AntifraudError subclass (and code) --
never accepts, never raises anything untyped. The number of cases is printed
and recorded in docs/spec/format.md ("Tamper suite: N cases").
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import random
import shutil
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from antifraud_common import errors
from antifraud_common.exchange import (
    NO_PROTECTED,
    TrustBundle,
    load_trust,
    read_manifest,
    sign_list,
    sign_manifest,
    verify_list,
    verify_manifest,
    write_entries,
)
from antifraud_common.exchange.trust import TRUST_TYP
from antifraud_common.format import canonical
from antifraud_common.format.keys import LocalSigner, b64url_decode, b64url_encode
from antifraud_common.models import Entry, Manifest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
RANDOM_ENTRY_CHANGES = 2000


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
NOW = G.T0 + timedelta(hours=1)
MPS = G.MEMBER_KEYS["mps"]
ATTACKER = LocalSigner(
    ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"attacker").digest())
)
COUNTS: dict[str, int] = {}
Expected = tuple[type[errors.AntifraudError], ...]


@pytest.fixture(scope="module")
def trust() -> TrustBundle:
    return load_trust(GOLDEN / "trust.json", GOLDEN / "trust.json.sig", now=NOW)


class Cases:
    """Runs cases of one family and counts them."""

    def __init__(self, family: str) -> None:
        self.family = family
        self.n = 0

    def refuse(
        self,
        action: Callable[[], object],
        expected: Expected,
        codes: tuple[str, ...] | None = None,
        what: str = "",
    ) -> None:
        self.n += 1
        try:
            result = action()
        except errors.AntifraudError as e:
            assert isinstance(e, expected), f"{self.family} {what}: {type(e).__name__} {e}"
            if codes is not None:
                assert e.code in codes, f"{self.family} {what}: code {e.code}"
            return
        close = getattr(result, "close", None)
        if close is not None:
            close()
        pytest.fail(f"{self.family} {what}: accepted")

    def done(self) -> None:
        COUNTS[self.family] = self.n


SIG_REFUSALS: Expected = (errors.BlacklistFormatError, errors.SignatureError)


def verifier(
    trust: TrustBundle, entries: Path, **kw: object
) -> Callable[[bytes], Callable[[], object]]:
    def make(sig: bytes) -> Callable[[], object]:
        return lambda: verify_list(entries, sig, trust=trust, now=NOW, **kw)  # type: ignore[arg-type]

    return make


def envelope(sig: bytes) -> dict[str, object]:
    doc: dict[str, object] = json.loads(sig)
    return doc


def payload_of(sig: bytes) -> bytes:
    return b64url_decode(str(envelope(sig)["payload"]))


def forged(payload: bytes, signer: LocalSigner, header: dict[str, str]) -> bytes:
    protected = b64url_encode(canonical.dumps(header))
    p64 = b64url_encode(payload)
    sig = signer.sign(f"{protected}.{p64}".encode())
    return canonical.dumps(
        {"payload": p64, "signatures": [{"protected": protected, "signature": b64url_encode(sig)}]}
    )


# ------------------------------------------------------------------ families


def test_every_byte_of_the_signature_file(trust: TrustBundle) -> None:
    c = Cases("signature file, every byte changed")
    sig = (GOLDEN / "fraud-phones.jsonl.sig").read_bytes()
    make = verifier(trust, GOLDEN / "fraud-phones.jsonl")
    for i in range(len(sig)):
        bad = bytearray(sig)
        bad[i] ^= 0x01
        c.refuse(make(bytes(bad)), SIG_REFUSALS, what=f"byte {i}")
    c.done()


def test_every_byte_of_the_manifest_payload(trust: TrustBundle) -> None:
    c = Cases("manifest payload, every byte changed, signature kept")
    sig = (GOLDEN / "fraud-phones.jsonl.sig").read_bytes()
    doc = envelope(sig)
    payload = payload_of(sig)
    make = verifier(trust, GOLDEN / "fraud-phones.jsonl")
    for i in range(len(payload)):
        bad = bytearray(payload)
        bad[i] ^= 0x01
        doc2 = dict(doc, payload=b64url_encode(bytes(bad)))
        c.refuse(
            make(canonical.dumps(doc2)), (errors.SignatureError,), ("signature_invalid",), f"{i}"
        )
    c.done()


def test_random_changes_of_the_entries_file(trust: TrustBundle, tmp_path: Path) -> None:
    c = Cases("entries file, random byte changes (seeded)")
    data = (GOLDEN / "fraud-phones.jsonl").read_bytes()
    sig = (GOLDEN / "fraud-phones.jsonl.sig").read_bytes()
    target = tmp_path / "l.jsonl"
    rng = random.Random(20260101)
    for _ in range(RANDOM_ENTRY_CHANGES):
        bad = bytearray(data)
        pos = rng.randrange(len(bad))
        bad[pos] = (bad[pos] + rng.randrange(1, 256)) % 256
        target.write_bytes(bytes(bad))
        c.refuse(
            lambda: verify_list(target, sig, trust=trust, now=NOW),
            (errors.HashMismatchError,),
            ("hash_mismatch", "count_mismatch"),
        )
    c.done()


def test_truncations_swaps_duplications(trust: TrustBundle, tmp_path: Path) -> None:
    c = Cases("entries file, truncated / lines swapped / duplicated / dropped / appended")
    data = (GOLDEN / "fraud-phones.jsonl").read_bytes()
    sig = (GOLDEN / "fraud-phones.jsonl.sig").read_bytes()
    target = tmp_path / "l.jsonl"
    variants: list[bytes] = [data[:n] for n in range(len(data))]
    lines = data.splitlines(keepends=True)
    for i in range(len(lines)):
        for j in range(len(lines)):
            if i != j:
                swapped = list(lines)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                variants.append(b"".join(swapped))
        variants.append(b"".join(lines[: i + 1] + lines[i:]))  # duplicated
        variants.append(b"".join(lines[:i] + lines[i + 1 :]))  # dropped
    variants.append(data + lines[0])
    variants.append(data + b"\n")
    variants.append(data.replace(b"\n", b"\r\n"))
    for v in variants:
        target.write_bytes(v)
        c.refuse(
            lambda: verify_list(target, sig, trust=trust, now=NOW),
            (errors.HashMismatchError,),
            ("hash_mismatch", "length_mismatch", "count_mismatch"),
        )
    c.done()


def test_key_and_algorithm_substitution(trust: TrustBundle) -> None:
    c = Cases("key and algorithm substitution")
    sig = (GOLDEN / "fraud-phones.jsonl.sig").read_bytes()
    payload = payload_of(sig)
    make = verifier(trust, GOLDEN / "fraud-phones.jsonl")
    typ = "antifraud-manifest+json"
    # Attacker key claiming the member's kid; attacker key under its own kid.
    c.refuse(
        make(forged(payload, ATTACKER, {"alg": "Ed25519", "kid": MPS.key_id, "typ": typ})),
        (errors.SignatureError,),
    )
    c.refuse(
        make(forged(payload, ATTACKER, {"alg": "Ed25519", "kid": ATTACKER.key_id, "typ": typ})),
        (errors.SignatureError,),
    )
    # A root key is not a publishing key.
    root = G.ROOT_KEYS["root-1"]
    c.refuse(
        make(forged(payload, root, {"alg": "Ed25519", "kid": root.key_id, "typ": typ})),
        (errors.SignatureError,),
    )
    # alg none with an empty signature.
    header = b64url_encode(canonical.dumps({"alg": "none", "kid": MPS.key_id, "typ": typ}))
    none_env = canonical.dumps(
        {"payload": b64url_encode(payload), "signatures": [{"protected": header, "signature": ""}]}
    )
    c.refuse(make(none_env), (errors.BlacklistFormatError,), ("jws_alg_none",))
    # HS256 keyed with the member's public key bytes.
    h = b64url_encode(canonical.dumps({"alg": "HS256", "kid": MPS.key_id, "typ": typ}))
    p64 = b64url_encode(payload)
    mac = hmac.new(MPS.public_key.x, f"{h}.{p64}".encode(), hashlib.sha256).digest()
    hs = canonical.dumps(
        {"payload": p64, "signatures": [{"protected": h, "signature": b64url_encode(mac)}]}
    )
    c.refuse(make(hs), (errors.BlacklistFormatError,), ("jws_alg_unsupported",))
    # ES256 header on the member's Ed25519 key (signed by the real key, and by an ES256 key).
    c.refuse(
        make(forged(payload, MPS, {"alg": "ES256", "kid": MPS.key_id, "typ": typ})),
        (errors.SignatureError,),
    )
    hsm = G.MEMBER_KEYS["bank1-hsm"]
    c.refuse(
        make(forged(payload, hsm, {"alg": "ES256", "kid": MPS.key_id, "typ": typ})),
        (errors.SignatureError,),
    )
    # EdDSA / Ed25519 names on an ES256 key's kid.
    c.refuse(
        make(forged(payload, MPS, {"alg": "EdDSA", "kid": hsm.key_id, "typ": typ})),
        (errors.SignatureError,),
    )
    # Wrong typ: a trust-bundle signature presented as a list signature.
    c.refuse(
        make(forged(payload, MPS, {"alg": "Ed25519", "kid": MPS.key_id, "typ": TRUST_TYP})),
        (errors.BlacklistFormatError,),
        ("jws_typ",),
    )
    # Extra header members (crit/b64) and unprotected header.
    crit = b64url_encode(
        canonical.dumps(
            {"alg": "Ed25519", "b64": False, "crit": ["b64"], "kid": MPS.key_id, "typ": typ}
        )
    )
    doc = envelope(sig)
    sigs = doc["signatures"]
    assert isinstance(sigs, list)
    c.refuse(
        make(canonical.dumps(dict(doc, signatures=[dict(sigs[0], protected=crit)]))),
        (errors.BlacklistFormatError,),
    )
    c.refuse(
        make(canonical.dumps(dict(doc, signatures=[dict(sigs[0], header={"kid": MPS.key_id})]))),
        (errors.BlacklistFormatError,),
    )
    # Signature stripped.
    c.refuse(make(canonical.dumps(dict(doc, signatures=[]))), (errors.BlacklistFormatError,))
    c.refuse(make(b""), (errors.BlacklistFormatError,))
    # Compact serialization instead of General JSON.
    s0 = sigs[0]
    assert isinstance(s0, dict)
    compact = f"{s0['protected']}.{doc['payload']}.{s0['signature']}".encode()
    c.refuse(make(compact), (errors.BlacklistFormatError,))
    # Another list's signature over a trust-bundle payload (type confusion).
    tb = (GOLDEN / "trust.json").read_bytes()
    c.refuse(
        make(forged(tb, MPS, {"alg": "Ed25519", "kid": MPS.key_id, "typ": typ})),
        (errors.BlacklistFormatError,),
        ("manifest_invalid",),
    )
    # A valid signature over non-canonical manifest bytes.
    pretty = json.dumps(json.loads(payload), indent=1).encode()
    c.refuse(
        make(forged(pretty, MPS, {"alg": "Ed25519", "kid": MPS.key_id, "typ": typ})),
        (errors.BlacklistFormatError,),
        ("manifest_not_canonical",),
    )
    c.done()


def test_threshold_faked_with_a_repeated_key(trust: TrustBundle) -> None:
    c = Cases("threshold faked / not met")
    sp = GOLDEN / "stop-payment.jsonl"
    sig = (GOLDEN / "stop-payment.jsonl.sig").read_bytes()
    doc = envelope(sig)
    sigs = doc["signatures"]
    assert isinstance(sigs, list)
    make = verifier(trust, sp)
    for s in sigs:
        c.refuse(
            make(canonical.dumps(dict(doc, signatures=[s, s]))),
            (errors.BlacklistFormatError,),
            ("jws_duplicate_kid",),
        )
        c.refuse(make(canonical.dumps(dict(doc, signatures=[s]))), (errors.ThresholdError,))
    # The second signature replaced by one from an agency outside the rule.
    payload = payload_of(sig)
    other = envelope(
        forged(
            payload, MPS, {"alg": "Ed25519", "kid": MPS.key_id, "typ": "antifraud-manifest+json"}
        )
    )["signatures"]
    assert isinstance(other, list)
    c.refuse(
        make(canonical.dumps(dict(doc, signatures=[sigs[0], other[0]]))), (errors.ThresholdError,)
    )
    c.done()


def _entry(kind: str, value: str, action: str = "block") -> Entry:
    return Entry.from_raw(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref="X",
        confidence=50,
        tlp="amber",
        listed_at=G.T0,
        valid_from=G.T0,
    )


def test_member_outside_its_scope(trust: TrustBundle, tmp_path: Path) -> None:
    c = Cases("member publishing outside its scope")
    p = tmp_path / "l.jsonl"
    made: list[int] = []

    def signed(entries: list[Entry], **kw: object) -> tuple[Path, Path]:
        made.append(1)
        p = tmp_path / f"l{len(made)}.jsonl"
        write_entries(p, entries)
        args: dict[str, object] = {
            "signers": [MPS],
            "issuer": "mps",
            "list_id": "l",
            "list_type": "fraud_numbers",
            "version": 1,
            "issued_at": G.T0,
            "expires": G.LIST_EXPIRES,
            "protected": NO_PROTECTED,
        }
        args.update(kw)
        return p, sign_list(p, **args)  # type: ignore[arg-type]

    phone = _entry("phone", "13800138000")
    card = _entry("bank_card", "6222021123456789014")
    cases: list[tuple[tuple[Path, Path], Expected]] = [
        (signed([phone], list_type="stop_payment"), (errors.ScopeError,)),  # list type
        (signed([card]), (errors.ScopeError,)),  # identifier kind
        (signed([_entry("phone", "13800138000", "freeze")]), (errors.ScopeError,)),  # action
        (signed([phone], issuer="pbc", list_type="stop_payment"), (errors.ThresholdError,)),
        (signed([phone], issuer="cac"), (errors.ScopeError,)),  # not a member
    ]
    for (entries, sig), expected in cases:
        c.refuse(lambda e=entries, s=sig: verify_list(e, s, trust=trust, now=NOW), expected)
    # A protected number without allow_protected.
    write_entries(p, [_entry("phone", "110")])
    sig = sign_list(
        p,
        signers=[MPS],
        issuer="mps",
        list_id="l",
        list_type="fraud_numbers",
        version=1,
        issued_at=G.T0,
        expires=G.LIST_EXPIRES,
        protected=NO_PROTECTED,
    )
    c.refuse(lambda: verify_list(p, sig, trust=trust, now=NOW), (errors.ProtectedIdentifierError,))
    c.done()


class _State:
    def __init__(self, version: int, sha: str) -> None:
        self.record = _Rec(version, sha)

    def get(self, issuer: str, list_id: str) -> _Rec | None:
        return self.record if (issuer, list_id) == ("mps", "fraud-phones") else None


@attrs.frozen
class _Rec:
    version: int
    state_sha256: str


def test_expiry_rollback_fork_mix_and_match_delta(trust: TrustBundle, tmp_path: Path) -> None:
    c = Cases("expired, rollback, fork, mix-and-match, broken delta chain")
    entries, sig = GOLDEN / "fraud-phones.jsonl", GOLDEN / "fraud-phones.jsonl.sig"
    m = read_manifest(sig.read_bytes())
    for later in (G.LIST_EXPIRES, G.LIST_EXPIRES + timedelta(days=400)):
        c.refuse(
            lambda later=later: verify_list(entries, sig, trust=trust, now=later),
            (errors.ExpiredError,),
            ("expired",),
        )
    c.refuse(
        lambda: verify_list(
            entries,
            sig,
            trust=trust,
            now=G.LIST_EXPIRES + timedelta(hours=2),
            grace=timedelta(hours=1),
        ),
        (errors.ExpiredError,),
    )
    c.refuse(
        lambda: verify_list(entries, sig, trust=trust, now=G.T0 - timedelta(days=1)),
        (errors.ExpiredError,),
        ("issued_in_future",),
    )
    c.refuse(
        lambda: verify_list(entries, sig, trust=trust, now=NOW, state=_State(8, "0" * 64)),
        (errors.RollbackError,),
    )
    c.refuse(
        lambda: verify_list(entries, sig, trust=trust, now=NOW, state=_State(7, "0" * 64)),
        (errors.ForkError,),
    )
    # Manifest paired with another list's entries, and the other way round.
    for other in ("stop-payment", "empty"):
        c.refuse(
            lambda o=other: verify_list(GOLDEN / f"{o}.jsonl", sig, trust=trust, now=NOW),
            (errors.HashMismatchError,),
        )
        c.refuse(
            lambda o=other: verify_list(entries, GOLDEN / f"{o}.jsonl.sig", trust=trust, now=NOW),
            (errors.HashMismatchError,),
        )
    # Broken delta chain: a delta for another base.
    for base_version, base_sha in [(6, m.sha256), (7, "2" * 64), (5, "3" * 64)]:
        delta = Manifest(
            content="delta",
            issuer="mps",
            list_id="fraud-phones",
            list_type="fraud_numbers",
            version=8,
            issued_at=G.T0,
            expires=G.LIST_EXPIRES,
            entry_count=0,
            byte_length=0,
            sha256=hashlib.sha256(b"").hexdigest(),
            base_version=base_version,
            base_sha256=base_sha,
            result_sha256="1" * 64,
            result_count=5,
        )
        dsig = sign_manifest(delta, [MPS])
        c.refuse(
            lambda d=dsig: verify_manifest(d, trust=trust, now=NOW, state=_State(7, m.sha256)),
            (errors.DeltaBaseMismatchError,),
        )
    c.done()


def test_every_byte_of_the_trust_bundle(tmp_path: Path) -> None:
    c = Cases("trust bundle, every byte changed")
    data = (GOLDEN / "trust.json").read_bytes()
    sig = (GOLDEN / "trust.json.sig").read_bytes()
    p, s = tmp_path / "trust.json", tmp_path / "trust.json.sig"
    s.write_bytes(sig)
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x01
        p.write_bytes(bytes(bad))
        c.refuse(lambda: load_trust(p, s, now=NOW), (errors.TrustBundleError,), what=f"{i}")
    # Bundle signed by one root key only (threshold 2) and by an attacker.
    for signers in ([G.ROOT_KEYS["root-3"]], [ATTACKER], [ATTACKER, G.ROOT_KEYS["root-1"]]):
        p.write_bytes(data)
        doc = envelope(sig)
        header = {"alg": "Ed25519", "typ": TRUST_TYP}
        sigs = [
            envelope(forged(data, k, dict(header, kid=k.key_id)))["signatures"] for k in signers
        ]
        doc = dict(doc, signatures=[x[0] for x in sigs])  # type: ignore[index]
        s.write_bytes(canonical.dumps(doc))
        c.refuse(lambda: load_trust(p, s, now=NOW), (errors.TrustBundleError,))
    c.done()


def test_broken_delta_chain(tmp_path: Path) -> None:
    from antifraud_common.exchange.delta import apply_delta, make_delta

    c = Cases("delta file, every byte changed; wrong base; wrong result")
    old = GOLDEN / "fraud-phones.jsonl"
    lines = old.read_bytes().splitlines(keepends=True)
    new = tmp_path / "new.jsonl"
    extra = _entry("phone", "13900000000")
    write_entries(new, [*G.phone_entries()[1:], extra])
    delta = tmp_path / "d.jsonl"
    info = make_delta(old, new, delta)
    out = tmp_path / "out.jsonl"
    base_sha = hashlib.sha256(old.read_bytes()).hexdigest()
    assert apply_delta(old, delta, out, base_sha256=base_sha, result_sha256=info.result_sha256)
    assert out.read_bytes() == new.read_bytes()
    data = delta.read_bytes()
    bad_delta = tmp_path / "bad.jsonl"
    refusals: Expected = (
        errors.DeltaMismatchError,
        errors.DeltaBaseMismatchError,
        errors.BlacklistFormatError,
    )
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x01
        bad_delta.write_bytes(bytes(bad))
        c.refuse(
            lambda: apply_delta(
                old, bad_delta, out, base_sha256=base_sha, result_sha256=info.result_sha256
            ),
            refusals,
            what=f"byte {i}",
        )
    # The delta applied to another base, or claiming another result.
    other = tmp_path / "other.jsonl"
    other.write_bytes(b"".join(lines[1:]))
    c.refuse(
        lambda: apply_delta(
            other, delta, out, base_sha256=base_sha, result_sha256=info.result_sha256
        ),
        refusals,
    )
    c.refuse(
        lambda: apply_delta(old, delta, out, base_sha256=base_sha, result_sha256="0" * 64),
        (errors.DeltaMismatchError,),
        ("delta_result_mismatch",),
    )
    c.refuse(lambda: apply_delta(new, delta, out, result_sha256=info.result_sha256), refusals)
    assert out.read_bytes() == new.read_bytes()  # refusals never touched the output
    c.done()


def test_zz_total() -> None:
    total = sum(COUNTS.values())
    for family, n in COUNTS.items():
        print(f"{n:6d}  {family}")
    print(f"Tamper suite: {total} cases")
    if len(COUNTS) == 10:
        assert total > 5000


def test_working_copy_is_not_golden(tmp_path: Path) -> None:
    # Guard: the suite never writes into tests/golden.
    shutil.copy(GOLDEN / "trust.json", tmp_path / "t.json")
    assert (GOLDEN / "trust.json").read_bytes() == (tmp_path / "t.json").read_bytes()
