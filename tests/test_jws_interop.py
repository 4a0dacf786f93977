"""Interoperability of the JWS envelope with independent implementations.

Envelopes made by antifraud_common must verify with OpenSSL, Node.js's built-in
``crypto`` and joserfc, and theirs with ours. A missing tool skips its tests with
the reason, unless ``ANTIFRAUD_REQUIRE_INTEROP=1`` (set in CI), which turns the
skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from antifraud_common.errors import UntrustedBlacklistError
from antifraud_common.format import canonical
from antifraud_common.format.jws import DEFAULT_TYP, parse, sign, verify, verify_signatures
from antifraud_common.format.keys import (
    Algorithm,
    LocalSigner,
    PublicKey,
    b64url_decode,
    b64url_encode,
)

pytestmark = pytest.mark.interop

NODE_DIR = Path(__file__).resolve().parent.parent / "interop" / "node"
PAYLOAD = canonical.dumps({"entry_count": 2, "list_id": "demo", "version": 7, "é": "ü"})
ALGS = [Algorithm.ED25519, Algorithm.ES256]


def _missing(reason: str) -> None:
    if os.environ.get("ANTIFRAUD_REQUIRE_INTEROP") == "1":
        pytest.fail(f"{reason} (required: ANTIFRAUD_REQUIRE_INTEROP=1)")
    pytest.skip(reason)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _missing(f"{name} is not installed")
    assert path is not None
    return path


def _openssl() -> str:
    path = _tool("openssl")
    version = subprocess.run([path, "version"], capture_output=True, text=True, check=True).stdout
    if not version.startswith("OpenSSL 3"):
        _missing(f"OpenSSL 3 is needed for -rawin, found {version.strip()!r}")
    return path


def _run(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, **kw)


# ------------------------------------------------------------------ OpenSSL


def _openssl_verify(
    openssl: str, tmp: Path, key: PublicKey, signing_input: bytes, signature: bytes
) -> bool:
    (tmp / "pub.pem").write_bytes(key.to_pem())
    (tmp / "input").write_bytes(signing_input)
    if key.algorithm is Algorithm.ED25519:
        (tmp / "sig").write_bytes(signature)
        args = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp / "pub.pem")]
        args += ["-rawin", "-in", str(tmp / "input"), "-sigfile", str(tmp / "sig")]
    else:
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        (tmp / "sig").write_bytes(encode_dss_signature(r, s))
        args = [openssl, "dgst", "-sha256", "-verify", str(tmp / "pub.pem")]
        args += ["-signature", str(tmp / "sig"), str(tmp / "input")]
    return _run(args).returncode == 0


@pytest.mark.parametrize("alg", ALGS, ids=lambda a: a.jws_name)
def test_openssl_verifies_our_envelope(tmp_path: Path, alg: Algorithm) -> None:
    openssl = _openssl()
    signer = LocalSigner.generate(alg)
    parsed = parse(sign(PAYLOAD, [signer]))
    sig = parsed.signatures[0]
    assert _openssl_verify(
        openssl, tmp_path, signer.public_key, parsed.signing_input(sig), sig.signature
    )
    # and OpenSSL rejects a tampered signing input
    assert not _openssl_verify(
        openssl, tmp_path, signer.public_key, parsed.signing_input(sig) + b"x", sig.signature
    )


@pytest.mark.parametrize("alg", ALGS, ids=lambda a: a.jws_name)
def test_our_code_verifies_openssl_signature(tmp_path: Path, alg: Algorithm) -> None:
    openssl = _openssl()
    key_pem = tmp_path / "key.pem"
    if alg is Algorithm.ED25519:
        gen = [openssl, "genpkey", "-algorithm", "ed25519", "-out", str(key_pem)]
    else:
        gen = [openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        gen += ["-out", str(key_pem)]
    assert _run(gen).returncode == 0
    pub_pem = _run([openssl, "pkey", "-in", str(key_pem), "-pubout"]).stdout.encode()
    loaded = serialization.load_pem_public_key(pub_pem)
    assert isinstance(loaded, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey)
    public = PublicKey.from_cryptography(loaded)
    header = {"alg": alg.jws_name, "kid": public.key_id, "typ": DEFAULT_TYP}
    protected = b64url_encode(canonical.dumps(header))
    payload_b64 = b64url_encode(PAYLOAD)
    (tmp_path / "input").write_bytes(f"{protected}.{payload_b64}".encode())
    if alg is Algorithm.ED25519:
        cmd = [openssl, "pkeyutl", "-sign", "-inkey", str(key_pem), "-rawin"]
        cmd += ["-in", str(tmp_path / "input"), "-out", str(tmp_path / "sig")]
        assert _run(cmd).returncode == 0
        signature = (tmp_path / "sig").read_bytes()
    else:
        cmd = [openssl, "dgst", "-sha256", "-sign", str(key_pem)]
        cmd += ["-out", str(tmp_path / "sig"), str(tmp_path / "input")]
        assert _run(cmd).returncode == 0
        r, s = decode_dss_signature((tmp_path / "sig").read_bytes())
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    env = canonical.dumps(
        {
            "payload": payload_b64,
            "signatures": [{"protected": protected, "signature": b64url_encode(signature)}],
        }
    )
    assert verify(env, [public]) == PAYLOAD


# ------------------------------------------------------------------ Node.js


def _node() -> str:
    node = _tool("node")
    if not (NODE_DIR / "verify_jws.mjs").is_file():  # pragma: no cover - shipped with tests
        pytest.fail("interop/node scripts are missing")
    return node


def test_node_verifies_our_envelope(tmp_path: Path) -> None:
    node = _node()
    signers = [LocalSigner.generate(Algorithm.ED25519), LocalSigner.generate(Algorithm.ES256)]
    env = sign(PAYLOAD, signers)
    (tmp_path / "env.json").write_bytes(env)
    (tmp_path / "keys.json").write_text(json.dumps([s.public_key.to_jwk() for s in signers]))
    proc = _run(
        [
            node,
            str(NODE_DIR / "verify_jws.mjs"),
            str(tmp_path / "env.json"),
            str(tmp_path / "keys.json"),
        ]
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [r["status"] for r in out["results"]] == ["valid", "valid"]
    # Node computed the RFC 7638 thumbprints itself: they must equal our kids.
    assert [r["kid"] for r in out["results"]] == [s.key_id for s in signers]
    assert b64url_decode(out["payload_b64"]) == PAYLOAD

    tampered = json.loads(env)
    tampered["payload"] = b64url_encode(PAYLOAD.replace(b"7", b"8"))
    (tmp_path / "env.json").write_text(json.dumps(tampered))
    proc = _run(
        [
            node,
            str(NODE_DIR / "verify_jws.mjs"),
            str(tmp_path / "env.json"),
            str(tmp_path / "keys.json"),
        ]
    )
    assert proc.returncode == 1
    assert [r["status"] for r in json.loads(proc.stdout)["results"]] == ["invalid", "invalid"]


@pytest.mark.parametrize("alg", ALGS, ids=lambda a: a.jws_name)
def test_our_code_verifies_node_envelope(tmp_path: Path, alg: Algorithm) -> None:
    node = _node()
    (tmp_path / "payload.json").write_bytes(PAYLOAD)
    proc = _run(
        [node, str(NODE_DIR / "sign_jws.mjs"), alg.jws_name, str(tmp_path / "payload.json")]
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    key = PublicKey.from_jwk(out["jwk"])
    assert key.key_id == out["kid"]
    env = out["jws"].encode()
    assert canonical.is_canonical(env)  # JSON.stringify of this shape is canonical
    assert verify(env, [key], typ=DEFAULT_TYP) == PAYLOAD
    with pytest.raises(UntrustedBlacklistError):
        verify(env, [LocalSigner.generate(alg).public_key])


# ------------------------------------------------------------------ joserfc


def _joserfc() -> Any:
    try:
        from joserfc import jwk, jws
    except ImportError:
        _missing("joserfc is not installed (pip install .[test])")
    return jws, jwk


def test_joserfc_verifies_our_envelope() -> None:
    jws, jwk = _joserfc()
    signers = [LocalSigner.generate(Algorithm.ED25519), LocalSigner.generate(Algorithm.ES256)]
    env = sign(PAYLOAD, signers)
    keyset = jwk.KeySet(
        [
            jwk.OKPKey.import_key(signers[0].public_key.to_jwk(include_kid=True)),
            jwk.ECKey.import_key(signers[1].public_key.to_jwk(include_kid=True)),
        ]
    )
    # joserfc 1.8 knows the RFC 9864 name "Ed25519" but does not allow it by
    # default: it must be listed explicitly, like every non-recommended alg.
    obj = jws.deserialize_json(json.loads(env), keyset, algorithms=["Ed25519", "ES256"])
    assert obj.payload == PAYLOAD
    assert [m.headers()["kid"] for m in obj.members] == [s.key_id for s in signers]
    assert jwk.OKPKey.import_key(signers[0].public_key.to_jwk()).thumbprint() == signers[0].key_id
    assert jwk.ECKey.import_key(signers[1].public_key.to_jwk()).thumbprint() == signers[1].key_id

    from joserfc.errors import BadSignatureError

    tampered = json.loads(env)
    tampered["payload"] = b64url_encode(PAYLOAD + b" ")
    with pytest.raises(BadSignatureError):
        jws.deserialize_json(tampered, keyset, algorithms=["Ed25519", "ES256"])


@pytest.mark.parametrize(("crv", "alg"), [("Ed25519", "Ed25519"), ("P-256", "ES256")])
def test_our_code_verifies_joserfc_envelope(crv: str, alg: str) -> None:
    jws, jwk = _joserfc()
    key = (jwk.OKPKey if crv == "Ed25519" else jwk.ECKey).generate_key(crv)
    public = PublicKey.from_jwk(key.as_dict(private=False))
    assert public.key_id == key.thumbprint()
    member = {"protected": {"alg": alg, "kid": key.thumbprint(), "typ": DEFAULT_TYP}}
    # A list of members gives the General serialization (one member alone would
    # be written in the flattened form, which the envelope format does not use).
    out = jws.serialize_json([member], PAYLOAD, key, algorithms=[alg])
    env = json.dumps(out).encode()
    assert verify(env, {public.key_id: public}, typ=DEFAULT_TYP) == PAYLOAD


def test_our_code_accepts_joserfc_legacy_eddsa() -> None:
    jws, jwk = _joserfc()
    key = jwk.OKPKey.generate_key("Ed25519")
    member = {"protected": {"alg": "EdDSA", "kid": key.thumbprint(), "typ": DEFAULT_TYP}}
    with warnings.catch_warnings():
        # joserfc flags the polymorphic "EdDSA" name as deprecated (RFC 9864).
        warnings.simplefilter("ignore")
        out = jws.serialize_json([member], PAYLOAD, key, algorithms=["EdDSA"])
    public = PublicKey.from_jwk(key.as_dict(private=False))
    result = verify_signatures(parse(json.dumps(out).encode()), [public])
    assert result.valid_kids == {public.key_id}
