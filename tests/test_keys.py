"""Tests for antifraud_common.format.keys: JWKs, thumbprints, signers, key files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from antifraud_common.errors import BlacklistFormatError, ConfigurationError
from antifraud_common.format import canonical
from antifraud_common.format.keys import (
    Algorithm,
    LocalSigner,
    PublicKey,
    Signer,
    b64url_decode,
    b64url_encode,
    generate_private_key,
    load_private_key,
    passphrase_from_env,
    prompt_passphrase,
    save_private_key,
)

RFC8037 = json.loads((Path(__file__).parent / "vectors" / "rfc8037.json").read_text("utf-8"))


def rfc8037_signer() -> LocalSigner:
    d = b64url_decode(RFC8037["A.1_private_jwk"]["d"])
    return LocalSigner(ed25519.Ed25519PrivateKey.from_private_bytes(d))


def _code(exc_type: type[Exception], fn: object, *args: object, **kw: object) -> str:
    with pytest.raises(exc_type) as info:
        fn(*args, **kw)  # type: ignore[operator]
    return info.value.code  # type: ignore[attr-defined,no-any-return]


# -------------------------------------------------------------- RFC 8037 KATs


def test_rfc8037_a1_private_key_gives_a2_public_key() -> None:
    assert RFC8037["source"].startswith("RFC 8037")
    signer = rfc8037_signer()
    assert signer.public_key.to_jwk() == {
        k: RFC8037["A.2_public_jwk"][k] for k in sorted(RFC8037["A.2_public_jwk"])
    }
    assert signer.public_key == PublicKey.from_jwk(RFC8037["A.2_public_jwk"])


def test_rfc8037_a3_thumbprint() -> None:
    key = PublicKey.from_jwk(RFC8037["A.2_public_jwk"])
    members = canonical.dumps(key.to_jwk())
    assert members == RFC8037["A.3_thumbprint_input"].encode()
    assert key.thumbprint() == RFC8037["A.3_thumbprint"] == key.key_id
    assert b64url_decode(key.thumbprint()).hex() == RFC8037["A.3_thumbprint_sha256_hex"]


def test_rfc8037_a4_signature() -> None:
    signer = rfc8037_signer()
    signing_input = RFC8037["A.4_signing_input"].encode()
    assert (
        signing_input == (RFC8037["A.4_protected_b64"] + "." + RFC8037["A.4_payload_b64"]).encode()
    )
    assert b64url_decode(RFC8037["A.4_protected_b64"]) == RFC8037["A.4_protected_header"].encode()
    assert b64url_decode(RFC8037["A.4_payload_b64"]) == RFC8037["A.4_payload"].encode()
    sig = signer.sign(signing_input)
    assert b64url_encode(sig) == RFC8037["A.4_signature_b64"]
    assert signer.public_key.verify(sig, signing_input)
    assert not signer.public_key.verify(sig, signing_input + b"x")


# ------------------------------------------------------------------ base64url


@pytest.mark.parametrize("data", [b"", b"f", b"fo", b"foo", b"\xff\xfe\xfd\xfc", bytes(range(256))])
def test_b64url_round_trip(data: bytes) -> None:
    assert b64url_decode(b64url_encode(data)) == data
    assert "=" not in b64url_encode(data)


@pytest.mark.parametrize(
    "text",
    ["Zg==", "Zg=", "Zm9v+", "Zm9v/", "Zm 9v", "Zm9v\n", "A", "Zh", "Zm9=", "Zm9", "é", "-_9"],
)
def test_b64url_strict(text: str) -> None:
    assert _code(BlacklistFormatError, b64url_decode, text) == "base64url"


def test_b64url_non_str() -> None:
    assert _code(BlacklistFormatError, b64url_decode, b"Zg", code="x") == "x"


# ------------------------------------------------------------------- PublicKey


@pytest.mark.parametrize("alg", list(Algorithm))
def test_generate_sign_verify_jwk_round_trip(alg: Algorithm) -> None:
    signer = LocalSigner.generate(alg)
    assert isinstance(signer, Signer)
    assert signer.algorithm is alg
    sig = signer.sign(b"payload")
    assert len(sig) == alg.signature_size == 64
    assert signer.public_key.verify(sig, b"payload")
    assert not signer.public_key.verify(sig, b"payloae")
    assert not signer.public_key.verify(sig[:-1], b"payload")
    assert not signer.public_key.verify(bytes(64), b"payload")
    assert not signer.public_key.verify(b"\xff" * 64, b"payload")
    assert not signer.public_key.verify("x" * 64, b"payload")  # type: ignore[arg-type]
    jwk = signer.public_key.to_jwk()
    assert canonical.dumps(jwk) == canonical.dumps(dict(sorted(jwk.items())))
    again = PublicKey.from_jwk(jwk)
    assert again == signer.public_key
    assert hash(again) == hash(signer.public_key)
    assert again.key_id == signer.key_id == signer.public_key.thumbprint()
    assert len(again.key_id) == 43
    with_kid = signer.public_key.to_jwk(include_kid=True)
    assert with_kid["kid"] == signer.key_id
    assert PublicKey.from_jwk(with_kid) == again
    assert PublicKey.from_cryptography(again.to_cryptography()) == again
    assert PublicKey.from_cryptography(signer.private_key) == again
    assert again.to_pem().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert signer.key_id in repr(signer)
    assert "x=" not in repr(again)


def test_es256_signature_is_raw_r_s_and_high_s_and_zero_refused() -> None:
    signer = LocalSigner.generate(Algorithm.ES256)
    sig = signer.sign(b"m")
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    # ECDSA is malleable: (r, n - s) is also valid. Both verify; that is fine
    # because nothing identifies a list by its signature bytes.
    assert signer.public_key.verify(r.to_bytes(32, "big") + (n - s).to_bytes(32, "big"), b"m")
    assert not signer.public_key.verify(r.to_bytes(32, "big") + n.to_bytes(32, "big"), b"m")
    assert not signer.public_key.verify(bytes(32) + sig[32:], b"m")


def test_algorithm_from_jws_name() -> None:
    assert Algorithm.from_jws_name("Ed25519") is Algorithm.ED25519
    assert Algorithm.from_jws_name("EdDSA") is Algorithm.ED25519
    assert Algorithm.from_jws_name("ES256") is Algorithm.ES256
    assert _code(BlacklistFormatError, Algorithm.from_jws_name, "none") == "jws_alg_none"
    for name in ("HS256", "RS256", "ES384", "ed25519", "", "NONE"):
        assert _code(BlacklistFormatError, Algorithm.from_jws_name, name) == "jws_alg_unsupported"
    assert _code(BlacklistFormatError, Algorithm.from_jws_name, ["x"]) == "jws_alg_unsupported"


_ED = dict(RFC8037["A.2_public_jwk"])
_EC = LocalSigner.generate(Algorithm.ES256).public_key.to_jwk()


@pytest.mark.parametrize(
    ("jwk", "code"),
    [
        ({**_ED, "d": RFC8037["A.1_private_jwk"]["d"]}, "jwk_private_member"),
        ({**_EC, "d": "AA"}, "jwk_private_member"),
        ({"kty": "oct", "k": "AAAA"}, "jwk_private_member"),
        ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "jwk_unsupported"),
        ({**_ED, "crv": "Ed448"}, "jwk_unsupported"),
        ({**_ED, "crv": "X25519"}, "jwk_unsupported"),
        ({**_EC, "crv": "P-384"}, "jwk_unsupported"),
        ({**_ED, "kty": "EC"}, "jwk_unsupported"),
        ({"crv": "Ed25519", "x": _ED["x"]}, "jwk_unsupported"),
        ({**_ED, "x5c": ["AAAA"]}, "jwk_unsupported"),
        ({**_ED, "y": _ED["x"]}, "jwk_unsupported"),
        ({**_ED, "key_ops": ["verify"]}, "jwk_unsupported"),
        ({**_ED, "x": _ED["x"] + "A"}, "jwk_invalid"),
        ({**_ED, "x": _ED["x"][:-1]}, "jwk_invalid"),
        ({**_ED, "x": _ED["x"] + "="}, "jwk_invalid"),
        ({**_ED, "x": 5}, "jwk_invalid"),
        ({"kty": "OKP", "crv": "Ed25519"}, "jwk_invalid"),
        ({**_EC, "y": _EC["x"]}, "jwk_invalid"),  # (x, x) is not on the curve
        ({**_EC, "y": b64url_encode(bytes(32))}, "jwk_invalid"),
        ({**_EC, "x": b64url_encode(b"\x00" + b64url_decode(_EC["x"]))}, "jwk_invalid"),
        ({k: v for k, v in _EC.items() if k != "y"}, "jwk_invalid"),
        ({**_ED, "kid": "not-the-thumbprint"}, "jwk_mismatch"),
        ({**_ED, "alg": "ES256"}, "jwk_mismatch"),
        ({**_EC, "alg": "EdDSA"}, "jwk_mismatch"),
        ({**_ED, "use": "enc"}, "jwk_mismatch"),
        (["not", "a", "dict"], "jwk_invalid"),
    ],
)
def test_from_jwk_refuses(jwk: object, code: str) -> None:
    snapshot = json.dumps(jwk)
    assert _code(BlacklistFormatError, PublicKey.from_jwk, jwk) == code
    assert json.dumps(jwk) == snapshot  # input untouched


def test_from_jwk_accepts_checked_metadata() -> None:
    key = PublicKey.from_jwk(
        {**_ED, "alg": "Ed25519", "use": "sig", "kid": RFC8037["A.3_thumbprint"]}
    )
    assert key.thumbprint() == RFC8037["A.3_thumbprint"]
    assert PublicKey.from_jwk({**_ED, "alg": "EdDSA"}) == key
    assert PublicKey.from_jwk({**_EC, "alg": "ES256"}).algorithm is Algorithm.ES256


def test_direct_construction_validates() -> None:
    with pytest.raises(BlacklistFormatError):
        PublicKey(algorithm=Algorithm.ED25519, x=b"short")
    with pytest.raises(BlacklistFormatError):
        PublicKey(algorithm=Algorithm.ES256, x=bytes(32))


def test_unsupported_private_keys() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert _code(ConfigurationError, LocalSigner, rsa_key) == "key_unsupported"
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert _code(ConfigurationError, LocalSigner, p384) == "key_unsupported"
    assert _code(ConfigurationError, PublicKey.from_cryptography, p384.public_key()) == (
        "key_unsupported"
    )


def test_ed25519_signatures_are_deterministic() -> None:
    signer = rfc8037_signer()
    assert signer.sign(b"abc") == signer.sign(b"abc")


# ------------------------------------------------------------------ key files


@pytest.mark.parametrize("key_format", ["scrypt", "pkcs8"])
@pytest.mark.parametrize("alg", list(Algorithm))
def test_save_and_load_encrypted(tmp_path: Path, alg: Algorithm, key_format: str) -> None:
    key = generate_private_key(alg)
    path = tmp_path / "signing.pem"
    if key_format == "scrypt":
        save_private_key(path, key, passphrase=b"correct horse")  # the default
    else:
        save_private_key(path, key, passphrase=b"correct horse", key_format=key_format)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    if key_format == "scrypt":
        assert data.startswith(b'{"alg":') and b'"format":"antifraud-encrypted-key"' in data
    else:
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = load_private_key(path, passphrase=b"correct horse")
    assert PublicKey.from_cryptography(loaded) == PublicKey.from_cryptography(key)
    assert LocalSigner.from_file(path, passphrase=b"correct horse").key_id == (
        LocalSigner(key).key_id
    )
    assert [p.name for p in tmp_path.iterdir()] == ["signing.pem"]  # no temp file left


def test_key_file_errors(tmp_path: Path) -> None:
    key = generate_private_key(Algorithm.ED25519)
    path = tmp_path / "k.pem"
    assert _code(ConfigurationError, save_private_key, path, key, passphrase=None) == (
        "key_unencrypted_refused"
    )
    assert not path.exists()
    assert _code(ConfigurationError, save_private_key, path, key, passphrase=b"") == (
        "key_passphrase"
    )
    save_private_key(path, key, passphrase=b"pw")
    assert _code(ConfigurationError, save_private_key, path, key, passphrase=b"pw") == (
        "key_file_exists"
    )
    with pytest.raises(ConfigurationError) as info:
        load_private_key(path, passphrase=b"wrong")
    assert info.value.code == "key_wrong_passphrase"
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert "PRIVATE" not in str(info.value)
    assert _code(ConfigurationError, load_private_key, path, passphrase=None) == (
        "key_passphrase_required"
    )
    assert _code(ConfigurationError, load_private_key, tmp_path / "no", passphrase=None) == (
        "key_file_missing"
    )
    # overwrite replaces atomically and keeps 0600
    other = generate_private_key(Algorithm.ES256)
    save_private_key(path, other, passphrase=b"pw2", overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert isinstance(load_private_key(path, passphrase=b"pw2"), ec.EllipticCurvePrivateKey)


@pytest.mark.parametrize("key_format", ["scrypt", "pkcs8"])
def test_str_passphrase_is_a_type_error_not_a_wrong_passphrase(
    tmp_path: Path, key_format: str
) -> None:
    path = tmp_path / "k.pem"
    save_private_key(
        path, generate_private_key(Algorithm.ED25519), passphrase=b"pw", key_format=key_format
    )
    for bad in ("pw", 42, ["pw"]):
        with pytest.raises(TypeError, match=f"not {type(bad).__name__}"):
            LocalSigner.from_file(path, passphrase=bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            load_private_key(path, passphrase=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"encode it"):
        LocalSigner.from_file(path, passphrase="pw")  # type: ignore[arg-type]
    # The type is checked before the file is read: a missing file is not the first error.
    with pytest.raises(TypeError):
        LocalSigner.from_file(tmp_path / "missing.pem", passphrase="pw")  # type: ignore[arg-type]
    # The same passphrase as bytes opens the key.
    assert LocalSigner.from_file(path, passphrase=b"pw").key_id


def test_unencrypted_only_when_allowed(tmp_path: Path) -> None:
    key = generate_private_key(Algorithm.ED25519)
    path = tmp_path / "clear.pem"
    save_private_key(path, key, passphrase=None, allow_unencrypted=True)
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert isinstance(load_private_key(path, passphrase=None), ed25519.Ed25519PrivateKey)
    assert _code(ConfigurationError, load_private_key, path, passphrase=b"pw") == (
        "key_not_encrypted"
    )


def test_load_rejects_garbage_and_other_key_types(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    assert _code(ConfigurationError, load_private_key, bad, passphrase=None) == "key_file_invalid"
    rsa_pem = tmp_path / "rsa.pem"
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    rsa_pem.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert _code(ConfigurationError, load_private_key, rsa_pem, passphrase=None) == (
        "key_unsupported"
    )


def test_openssl_style_pem_loads(tmp_path: Path) -> None:
    # A key written by another tool in the same standard format loads too.
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    path = tmp_path / "o.pem"
    path.write_bytes(pem)
    assert PublicKey.from_cryptography(load_private_key(path, passphrase=b"pw")) == (
        PublicKey.from_cryptography(key)
    )


def test_passphrase_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIFRAUD_PASSPHRASE", "s3crét")
    assert passphrase_from_env() == "s3crét".encode()
    monkeypatch.setenv("ANTIFRAUD_PASSPHRASE", "")
    assert passphrase_from_env() is None
    monkeypatch.delenv("ANTIFRAUD_PASSPHRASE")
    assert passphrase_from_env() is None

    answers = iter(["pw", "pw", "pw", "other", ""])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert prompt_passphrase(confirm=True) == b"pw"
    assert _code(ConfigurationError, prompt_passphrase, confirm=True) == "passphrase_mismatch"
    assert _code(ConfigurationError, prompt_passphrase) == "key_passphrase"


def test_umask_does_not_widen_mode(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        save_private_key(
            tmp_path / "u.pem", generate_private_key(Algorithm.ED25519), passphrase=b"p"
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "u.pem").stat().st_mode) == 0o600


def test_save_without_hard_links_and_lost_race(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_private_key(Algorithm.ED25519)

    def no_links(src: object, dst: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "k.pem"
    save_private_key(path, key, passphrase=b"pw")
    assert isinstance(load_private_key(path, passphrase=b"pw"), ed25519.Ed25519PrivateKey)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["k.pem"]

    def lost_race(src: object, dst: object) -> None:
        raise FileExistsError(dst)

    monkeypatch.setattr(os, "link", lost_race)
    other = tmp_path / "other.pem"
    assert _code(ConfigurationError, save_private_key, other, key, passphrase=b"pw") == (
        "key_file_exists"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["k.pem"]  # temp file removed
