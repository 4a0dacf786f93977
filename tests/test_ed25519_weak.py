"""Weak Ed25519 keys and signatures: small-order and non-canonical points are refused.

With a public key of small order, the 64-byte signature ``R = identity, S = 0``
verifies for every message under stock (cofactorless) Ed25519, as in OpenSSL.
These tests derive the eight small-order encodings from the curve arithmetic
(independently of the table in ``format/_ed25519.py``), reproduce the forgery with
the checks switched off, and show that the library, the CLI and minisign refuse it
with the checks on.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from antifraud_common import minisign
from antifraud_common.cli import main
from antifraud_common.errors import (
    BlacklistFormatError,
    TrustBundleError,
    UntrustedBlacklistError,
    WeakKeyError,
)
from antifraud_common.exchange.entries import write_entries
from antifraud_common.exchange.signing import sign_list, verify_list
from antifraud_common.exchange.trust import (
    TRUST_TYP,
    Member,
    PublishRule,
    TrustBundle,
    create_trust_bundle,
    load_trust,
    sign_trust_bundle,
    update_trust,
)
from antifraud_common.format import _ed25519, canonical, jws
from antifraud_common.format.keys import (
    Algorithm,
    LocalSigner,
    PublicKey,
    b64url_encode,
    check_signature_encoding,
)

# ------------------------------------------------- independent curve arithmetic

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
IDENTITY = (0, 1)


def inv(a: int) -> int:
    return pow(a, P - 2, P)


def add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * inv(1 + t) % P, (y1 * y2 + x1 * x2) * inv(1 - t) % P)


def mul(k: int, pt: tuple[int, int]) -> tuple[int, int]:
    out = IDENTITY
    while k:
        if k & 1:
            out = add(out, pt)
        pt = add(pt, pt)
        k >>= 1
    return out


def encode(pt: tuple[int, int]) -> bytes:
    x, y = pt
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def sqrt_mod(a: int) -> int | None:
    # p = 5 (mod 8): Atkin's formula.
    r = pow(a, (P + 3) // 8, P)
    if r * r % P != a % P:
        r = r * pow(2, (P - 1) // 4, P) % P
    return r if r * r % P == a % P else None


def points_with_y(y: int) -> list[tuple[int, int]]:
    x2 = (y * y - 1) * inv(D * y * y + 1) % P
    x = sqrt_mod(x2)
    if x is None:
        return []
    return [(x, y)] if x == 0 else [(x, y), (P - x, y)]


def torsion_subgroup() -> set[bytes]:
    """E[8], derived from the curve equation, not from a table."""
    # A point T of order 8 has y(2T) = 0. Doubling gives y(2T) = (y^2 + x^2) / (...),
    # so x^2 = -y^2, and the curve -x^2 + y^2 = 1 + d x^2 y^2 becomes
    # d y^4 + 2 y^2 - 1 = 0: y^2 = (-1 +- sqrt(1 + d)) / d.
    s = sqrt_mod(1 + D)
    assert s is not None
    found: set[tuple[int, int]] = set()
    for y2 in ((-1 + s) * inv(D) % P, (-1 - s) * inv(D) % P):
        r = sqrt_mod(y2)
        if r is None:
            continue
        for y in (r, P - r):
            for pt in points_with_y(y):
                if mul(8, pt) == IDENTITY and mul(4, pt) != IDENTITY:
                    found.add(pt)
    assert len(found) == 4
    t = min(found)
    group = {encode(mul(k, t)) for k in range(8)}
    assert len(group) == 8
    return group


TORSION = torsion_subgroup()


def test_small_order_table_is_the_torsion_subgroup() -> None:
    assert TORSION == _ed25519.SMALL_ORDER_ENCODINGS
    for enc in TORSION:
        pt = _ed25519.decode_point(enc)
        assert pt is not None and mul(8, pt) == IDENTITY
        assert _ed25519.encoding_problem(enc) == "small-order"


def test_prime_order_points_pass() -> None:
    base = points_with_y(4 * inv(5) % P)
    b = next(p for p in base if p[0] & 1 == 0)  # RFC 8032's base point
    assert mul(L, b) == IDENTITY
    for k in (1, 2, 3, 12345, L - 1):
        enc = encode(mul(k, b))
        assert _ed25519.key_problem(enc) is None
        assert _ed25519.decode_point(enc) == mul(k, b)
    # A point of mixed order (prime-order point plus a torsion point) is not small order.
    t = _ed25519.decode_point(bytes.fromhex(_ed25519.SMALL_ORDER_HEX[4]))
    assert t is not None
    assert _ed25519.key_problem(encode(add(b, t))) is None


def noncanonical_encodings() -> list[bytes]:
    """Every encoding with y >= p (both signs), and x = 0 with the sign bit set."""
    out = []
    for y in range(P, 2**255):
        for sign in (0, 1):
            out.append((y | (sign << 255)).to_bytes(32, "little"))
    out.append((1 | (1 << 255)).to_bytes(32, "little"))
    out.append(((P - 1) | (1 << 255)).to_bytes(32, "little"))
    return out


NONCANONICAL = noncanonical_encodings()


def test_noncanonical_encodings_are_refused() -> None:
    assert len(NONCANONICAL) == 40
    for enc in NONCANONICAL:
        assert _ed25519.encoding_problem(enc) == "non-canonical"
        assert _ed25519.decode_point(enc) is None


def jwk_of(x: bytes) -> dict[str, str]:
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(x)}


@pytest.mark.parametrize("enc", sorted(TORSION | set(NONCANONICAL)), ids=lambda b: b.hex()[:8])
def test_jwk_import_refuses_weak_keys(enc: bytes) -> None:
    with pytest.raises(WeakKeyError) as info:
        PublicKey.from_jwk(jwk_of(enc))
    assert info.value.code == "weak_key"
    assert isinstance(info.value, BlacklistFormatError)
    assert isinstance(info.value, UntrustedBlacklistError)
    with pytest.raises(WeakKeyError):
        PublicKey(algorithm=Algorithm.ED25519, x=enc)


def test_key_off_the_curve_is_invalid() -> None:
    y = next(y for y in range(2, 100) if not points_with_y(y))
    with pytest.raises(BlacklistFormatError) as info:
        PublicKey.from_jwk(jwk_of(y.to_bytes(32, "little")))
    assert info.value.code == "jwk_invalid"


def test_cryptography_key_objects_are_checked_too() -> None:
    weak = ed25519.Ed25519PublicKey.from_public_bytes(bytes([1]) + bytes(31))
    with pytest.raises(WeakKeyError):
        PublicKey.from_cryptography(weak)
    signer = LocalSigner.generate()  # keygen's path: a generated key always passes
    assert _ed25519.key_problem(signer.public_key.x) is None


@pytest.mark.parametrize("r", sorted(TORSION | set(NONCANONICAL)), ids=lambda b: b.hex()[:8])
def test_signature_with_weak_r_is_refused(r: bytes) -> None:
    with pytest.raises(WeakKeyError) as info:
        check_signature_encoding(Algorithm.ED25519, r + bytes(32))
    assert info.value.code == "weak_signature"


def _scalar(sk: ed25519.Ed25519PrivateKey) -> int:
    seed = sk.private_bytes_raw()
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    return int.from_bytes(h, "little")


def identity_r_signature(sk: ed25519.Ed25519PrivateKey, message: bytes) -> bytes:
    """A signature with R = identity that verifies with a real key (S = h * a mod L)."""
    a = _scalar(sk)
    pub = sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = bytes([1]) + bytes(31)
    h = int.from_bytes(hashlib.sha512(r + pub + message).digest(), "little") % L
    return r + (h * a % L).to_bytes(32, "little")


def test_identity_r_with_a_real_key_is_refused() -> None:
    sk = ed25519.Ed25519PrivateKey.generate()
    sig = identity_r_signature(sk, b"message")
    sk.public_key().verify(sig, b"message")  # stock Ed25519 accepts it
    key = PublicKey.from_cryptography(sk.public_key())
    assert key.verify(sig, b"message") is False
    signer = LocalSigner(sk)
    header = b64url_encode(
        canonical.dumps({"alg": "Ed25519", "kid": signer.key_id, "typ": jws.DEFAULT_TYP})
    )
    payload = b64url_encode(b"{}")
    forged = identity_r_signature(sk, f"{header}.{payload}".encode())
    env = canonical.dumps(
        {
            "payload": payload,
            "signatures": [{"protected": header, "signature": b64url_encode(forged)}],
        }
    )
    with pytest.raises(WeakKeyError) as info:
        jws.verify(env, [key])
    assert info.value.code == "weak_signature"


def test_s_not_reduced_does_not_verify() -> None:
    sk = ed25519.Ed25519PrivateKey.generate()
    sig = sk.sign(b"m")
    s = int.from_bytes(sig[32:], "little") + L
    bad = sig[:32] + s.to_bytes(32, "little")
    key = PublicKey.from_cryptography(sk.public_key())
    assert key.verify(sig, b"m") is True
    assert key.verify(bad, b"m") is False


P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@pytest.mark.parametrize(("r", "s"), [(0, 1), (1, 0), (0, 0), (P256_N, 1), (1, P256_N)])
def test_es256_r_s_out_of_range(r: int, s: int) -> None:
    with pytest.raises(WeakKeyError) as info:
        check_signature_encoding(Algorithm.ES256, r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    assert info.value.code == "weak_signature"


# ------------------------------------------------------------------ the forgery

IDENTITY_X = bytes([1]) + bytes(31)
FORGED_SIG = bytes([1]) + bytes(63)  # R = identity, S = 0
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def identity_kid() -> str:
    return b64url_encode(hashlib.sha256(canonical.dumps(jwk_of(IDENTITY_X))).digest())


def forged_envelope(payload: bytes, typ: str) -> bytes:
    header = b64url_encode(canonical.dumps({"alg": "Ed25519", "kid": identity_kid(), "typ": typ}))
    return canonical.dumps(
        {
            "payload": b64url_encode(payload),
            "signatures": [{"protected": header, "signature": b64url_encode(FORGED_SIG)}],
        }
    )


class World:
    """A federation whose bundle (signed by the real root) lists the identity point."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.root = LocalSigner.generate()
        self.honest = LocalSigner.generate()
        self.good = create_trust_bundle(
            bundle_id="t",
            root_keys=[self.root.public_key],
            root_threshold=1,
            issued_at=NOW - timedelta(days=1),
            expires=NOW + timedelta(days=300),
            members=[
                Member(
                    agency="evil",
                    name="Evil",
                    keys=[self.honest.public_key],
                    publish=[
                        PublishRule(list_type="fraud_numbers", kinds=["phone"], actions=["block"])
                    ],
                )
            ],
        )

    def weak_bundle_bytes(self, *, member: bool = True) -> bytes:
        doc: dict[str, Any] = self.good.to_dict()
        if member:
            doc["members"][0]["keys"] = [jwk_of(IDENTITY_X)]
        else:
            doc["root"] = {
                "keys": sorted(
                    [self.root.public_key.to_jwk(), jwk_of(IDENTITY_X)], key=lambda k: k["x"]
                ),
                "threshold": 2,
            }
        return canonical.dumps(doc)

    def write(self, bundle_bytes: bytes, sig: bytes) -> tuple[Path, Path]:
        (self.tmp / "trust.json").write_bytes(bundle_bytes)
        (self.tmp / "trust.json.sig").write_bytes(sig)
        return self.tmp / "trust.json", self.tmp / "trust.json.sig"

    def forged_list(self) -> tuple[Path, Path]:
        path = self.tmp / "l.jsonl"
        write_entries(path, [])
        sig = sign_list(
            path,
            signers=[self.honest],
            issuer="evil",
            list_id="forged",
            list_type="fraud_numbers",
            version=1,
            issued_at=NOW - timedelta(hours=1),
            expires=NOW + timedelta(days=7),
        )
        payload = jws.parse(sig.read_bytes()).payload
        sig.write_bytes(forged_envelope(payload, jws.DEFAULT_TYP))
        return path, sig


def checks_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ed25519, "encoding_problem", lambda enc: None)


def test_forgery_is_real_without_the_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the checks switched off the forged list verifies: the tests below mean something."""
    world = World(tmp_path)
    entries, sig = world.forged_list()
    checks_off(monkeypatch)
    data = world.weak_bundle_bytes()
    trust = load_trust(*world.write(data, jws.sign(data, [world.root], typ=TRUST_TYP)), now=NOW)
    assert verify_list(entries, sig, trust=trust, now=NOW).manifest.issuer == "evil"


def test_member_key_of_small_order_refused(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.forged_list()
    data = world.weak_bundle_bytes()
    paths = world.write(data, jws.sign(data, [world.root], typ=TRUST_TYP))
    with pytest.raises(TrustBundleError) as info:
        load_trust(*paths, now=NOW)
    assert info.value.code == "weak_key"
    with pytest.raises(TrustBundleError):
        TrustBundle.from_bytes(data)


def test_root_key_of_small_order_refused(tmp_path: Path) -> None:
    world = World(tmp_path)
    data = world.weak_bundle_bytes(member=False)
    real = jws.sign(data, [world.root], typ=TRUST_TYP)
    doc = json.loads(real)
    doc["signatures"].append(json.loads(forged_envelope(data, TRUST_TYP))["signatures"][0])
    paths = world.write(data, canonical.dumps(doc))
    with pytest.raises(TrustBundleError) as info:
        load_trust(*paths, now=NOW)
    assert info.value.code == "weak_key"


def test_rotation_adding_a_small_order_key_refused(tmp_path: Path) -> None:
    world = World(tmp_path)
    doc = world.good.to_dict()
    doc["version"] = 2
    doc["members"][0]["keys"].append(jwk_of(IDENTITY_X))
    doc["members"][0]["keys"].sort(key=lambda k: k["x"])
    data = canonical.dumps(doc)
    with pytest.raises(TrustBundleError) as info:
        update_trust(world.good, data, jws.sign(data, [world.root], typ=TRUST_TYP), now=NOW)
    assert info.value.code == "weak_key"


def test_forged_signature_in_a_bundle_signature_file(tmp_path: Path) -> None:
    world = World(tmp_path)
    data = world.good.to_bytes()
    doc = json.loads(sign_trust_bundle(data, [world.root]))
    doc["signatures"].append(json.loads(forged_envelope(data, TRUST_TYP))["signatures"][0])
    with pytest.raises(TrustBundleError) as info:
        load_trust(*world.write(data, canonical.dumps(doc)), now=NOW)
    assert info.value.code == "trust_weak_signature"


def test_cli_verify_refuses_the_forged_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(tmp_path)
    entries, _ = world.forged_list()
    data = world.weak_bundle_bytes()
    trust, _ = world.write(data, jws.sign(data, [world.root], typ=TRUST_TYP))
    argv = [
        "verify",
        str(entries),
        "--trust",
        str(trust),
        "--now",
        "2026-06-01T00:00:00Z",
        "--json",
    ]
    assert main(argv) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["error"]["code"] == "weak_key"
    checks_off(monkeypatch)
    assert main(argv) == 0  # the same command accepts the forgery without the checks
    capsys.readouterr()


def test_cli_trust_add_member_refuses_a_weak_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "trust.json"
    world = World(tmp_path)
    bundle.write_bytes(world.good.to_bytes())
    for i, enc in enumerate([IDENTITY_X, bytes(32), NONCANONICAL[3]]):
        weak = tmp_path / f"weak{i}.jwk"
        weak.write_text(json.dumps(jwk_of(enc)))
        argv = ["trust", "add-member", str(bundle), "--agency", f"x{i}", "--name", "X"]
        code = main([*argv, "--key", str(weak), "--publish", "fraud_numbers:phone:block", "--json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 1 and doc["error"]["code"] == "weak_key"
    assert bundle.read_bytes() == world.good.to_bytes()


# -------------------------------------------------------------------- minisign


def test_minisign_refuses_weak_public_keys() -> None:
    for enc in sorted(TORSION | set(NONCANONICAL)):
        blob = base64.b64encode(b"Ed" + bytes(8) + enc).decode()
        with pytest.raises(WeakKeyError) as info:
            minisign.parse_public_key(blob)
        assert info.value.code == "weak_key"


def test_minisign_forgery_with_identity_key_refused() -> None:
    sk = ed25519.Ed25519PrivateKey.generate()
    comment = (
        "antifraud-list issuer=mps list=x version=1 expires=2026-02-01T00:00:00Z sha256=" + "0" * 64
    )
    real = minisign.sign(b"data", sk, trusted_comment=comment).decode().splitlines()
    blob = base64.b64decode(real[1])
    forged = (
        "\n".join(
            [
                real[0],
                base64.b64encode(blob[:10] + FORGED_SIG).decode(),
                real[2],
                base64.b64encode(FORGED_SIG).decode(),
            ]
        )
        + "\n"
    )
    pub = minisign.public_key_file(minisign.public_key_bytes(sk))
    with pytest.raises(WeakKeyError) as info:
        minisign.verify(b"data", forged, pub)
    assert info.value.code == "weak_signature"
