"""The scrypt + AES-256-GCM private key file (docs/spec/key-file.md).

The format is checked against its specification by independent code: OpenSSL's
``openssl kdf SCRYPT`` derives the same key from the documented parameters, and
a Node.js script using only built-in modules (``interop/node/key_file.mjs``)
opens the library's files and writes files the library opens.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from antifraud_common import cli
from antifraud_common.errors import ConfigurationError
from antifraud_common.format import canonical
from antifraud_common.format.keys import (
    KEY_FILE_FORMAT,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    Algorithm,
    LocalSigner,
    b64url_decode,
    b64url_encode,
    generate_private_key,
    load_private_key,
    save_private_key,
)

NODE_SCRIPT = Path(__file__).resolve().parent.parent / "interop" / "node" / "key_file.mjs"
PASSPHRASE = "pässphrase for tests only"


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


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LocalSigner]:
    path = tmp_path_factory.mktemp("key") / "signing.key"
    key = generate_private_key(Algorithm.ED25519)
    save_private_key(path, key, passphrase=PASSPHRASE.encode())
    return path, LocalSigner(key)


def _doc(path: Path) -> dict[str, object]:
    doc = json.loads(path.read_bytes())
    assert isinstance(doc, dict)
    return doc


def test_the_file_is_what_the_specification_says(sealed: tuple[Path, LocalSigner]) -> None:
    path, signer = sealed
    data = path.read_bytes()
    doc = _doc(path)
    # Canonical JSON (RFC 8785) and one LF.
    assert data == canonical.dumps(doc) + b"\n"
    assert doc["format"] == KEY_FILE_FORMAT == "antifraud-encrypted-key"
    assert doc["format_version"] == 1
    assert (doc["kdf"], doc["scrypt_n"], doc["scrypt_r"], doc["scrypt_p"]) == (
        "scrypt",
        2**17,
        8,
        1,
    )
    assert (SCRYPT_N, SCRYPT_R, SCRYPT_P) == (2**17, 8, 1)
    assert doc["cipher"] == "A256GCM"
    assert doc["alg"] == "Ed25519" and doc["key_id"] == signer.key_id
    assert len(b64url_decode(str(doc["salt"]))) == 16
    assert len(b64url_decode(str(doc["nonce"]))) == 12
    # Decrypt by the specification with the primitives alone.
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    secret = Scrypt(salt=b64url_decode(str(doc["salt"])), length=32, n=2**17, r=8, p=1).derive(
        PASSPHRASE.encode()
    )
    header = {k: v for k, v in doc.items() if k != "ciphertext"}
    der = AESGCM(secret).decrypt(
        b64url_decode(str(doc["nonce"])),
        b64url_decode(str(doc["ciphertext"])),
        canonical.dumps(header),
    )
    key = serialization.load_der_private_key(der, password=None)
    assert LocalSigner(key).key_id == signer.key_id  # type: ignore[arg-type]


def test_wrong_passphrase_and_tampering_are_refused(
    sealed: tuple[Path, LocalSigner], tmp_path: Path
) -> None:
    path, signer = sealed
    with pytest.raises(ConfigurationError) as e:
        load_private_key(path, passphrase=b"wrong")
    assert e.value.code == "key_wrong_passphrase"
    with pytest.raises(ConfigurationError) as e:
        load_private_key(path, passphrase=None)
    assert e.value.code == "key_passphrase_required"
    assert LocalSigner(load_private_key(path, passphrase=PASSPHRASE.encode())).key_id == (
        signer.key_id
    )
    doc = _doc(path)
    other = LocalSigner.generate()
    changes: list[tuple[str, object, str]] = [
        ("key_id", other.key_id, "key_wrong_passphrase"),  # bound by the GCM tag
        ("alg", "ES256", "key_wrong_passphrase"),
        ("salt", b64url_encode(b"\x00" * 16), "key_wrong_passphrase"),
        ("scrypt_n", 2**30, "key_unsupported"),  # refused before deriving anything
        ("scrypt_n", 3 * 2**14, "key_unsupported"),
        ("scrypt_r", 0, "key_unsupported"),
        ("scrypt_n", "131072", "key_file_invalid"),
        ("nonce", b64url_encode(b"\x00" * 8), "key_file_invalid"),
        ("format_version", 2, "key_unsupported"),
        ("cipher", "A128GCM", "key_unsupported"),
        ("extra", 1, "key_file_invalid"),
    ]
    for name, value, code in changes:
        bad = tmp_path / f"bad-{name}-{value}.key"
        bad.write_bytes(canonical.dumps({**doc, name: value}))
        with pytest.raises(ConfigurationError) as e:
            load_private_key(bad, passphrase=PASSPHRASE.encode())
        assert e.value.code == code, (name, value, e.value)
    flipped = bytearray(b64url_decode(str(doc["ciphertext"])))
    flipped[5] ^= 1
    bad = tmp_path / "flipped.key"
    bad.write_bytes(canonical.dumps({**doc, "ciphertext": b64url_encode(bytes(flipped))}))
    with pytest.raises(ConfigurationError) as e:
        load_private_key(bad, passphrase=PASSPHRASE.encode())
    assert e.value.code == "key_wrong_passphrase"


def test_keygen_writes_it_by_default_and_pkcs8_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTIFRAUD_PASSPHRASE", PASSPHRASE)
    new, old = tmp_path / "new.key", tmp_path / "old.pem"
    assert cli.main(["keygen", "--out", str(new), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["key_format"] == "scrypt" and _doc(new)["key_id"] == doc["key_id"]
    assert cli.main(["keygen", "--out", str(old), "--format", "pkcs8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["key_format"] == "pkcs8"
    assert old.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    # Both load and sign: old PKCS#8 files keep working.
    for key in (new, old):
        signer = LocalSigner.from_file(key, passphrase=PASSPHRASE.encode())
        assert signer.public_key.verify(signer.sign(b"data"), b"data")


def test_openssl_derives_the_same_scrypt_key(sealed: tuple[Path, LocalSigner]) -> None:
    openssl = _tool("openssl")
    path, signer = sealed
    doc = _doc(path)
    salt = b64url_decode(str(doc["salt"]))
    done = subprocess.run(
        [
            *(openssl, "kdf", "-keylen", "32", "-kdfopt", f"pass:{PASSPHRASE}"),
            *("-kdfopt", f"hexsalt:{salt.hex()}", "-kdfopt", f"n:{doc['scrypt_n']}"),
            *("-kdfopt", f"r:{doc['scrypt_r']}", "-kdfopt", f"p:{doc['scrypt_p']}", "SCRYPT"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        _missing(f"openssl kdf SCRYPT is not available: {done.stderr.strip()}")
    secret = bytes.fromhex(done.stdout.strip().replace(":", ""))
    header = {k: v for k, v in doc.items() if k != "ciphertext"}
    der = AESGCM(secret).decrypt(
        b64url_decode(str(doc["nonce"])),
        b64url_decode(str(doc["ciphertext"])),
        canonical.dumps(header),
    )
    key = serialization.load_der_private_key(der, password=None)
    assert LocalSigner(key).key_id == signer.key_id  # type: ignore[arg-type]


def _node(*argv: str) -> subprocess.CompletedProcess[str]:
    node = _tool("node")
    return subprocess.run(
        [node, str(NODE_SCRIPT), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "ANTIFRAUD_PASSPHRASE": PASSPHRASE},
    )


def test_node_opens_our_key_file(sealed: tuple[Path, LocalSigner], tmp_path: Path) -> None:
    path, signer = sealed
    done = _node("open", str(path))
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["key_id"] == signer.key_id and info["alg"] == "Ed25519"
    es = tmp_path / "es.key"
    es_key = generate_private_key(Algorithm.ES256)
    save_private_key(es, es_key, passphrase=PASSPHRASE.encode())
    done = _node("open", str(es))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["key_id"] == LocalSigner(es_key).key_id
    bad = tmp_path / "bad.key"
    doc = _doc(path)
    bad.write_bytes(canonical.dumps({**doc, "key_id": LocalSigner.generate().key_id}))
    assert _node("open", str(bad)).returncode == 1


@pytest.mark.parametrize("kind", ["ed25519", "es256"])
def test_we_open_a_key_file_node_wrote(tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.key"
    done = _node("seal", kind, str(out))
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    signer = LocalSigner(load_private_key(out, passphrase=PASSPHRASE.encode()))
    assert signer.key_id == info["key_id"]
    assert signer.public_key.verify(signer.sign(b"data"), b"data")
