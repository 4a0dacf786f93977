"""Tests for antifraud_common.minisign: round trips, tampering, upstream vectors, interop."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from antifraud_common import minisign
from antifraud_common.conformance import load_cases
from antifraud_common.errors import BlacklistFormatError, UntrustedBlacklistError, WeakKeyError
from antifraud_common.minisign import (
    MinisignFormatError,
    MinisignPublicKey,
    MinisignSignatureError,
    key_id_for,
    parse_public_key,
    parse_signature,
    parse_trusted_comment,
    public_key_bytes,
    public_key_file,
    sign,
    trusted_comment_for,
    verify,
)
from antifraud_common.models import Manifest

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "minisign.json").read_text(encoding="utf-8")
)
# An obviously test-only key: the seed is 0x00..0x1f.
SK = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUB = public_key_file(public_key_bytes(SK))
EXPIRES = datetime(2026, 1, 8, tzinfo=UTC)
DATA = b'{"kind":"phone","value":"+8613800138000"}\n'
SHA = hashlib.sha256(DATA).hexdigest()
COMMENT = trusted_comment_for("mps", "fraud-phones", 3, EXPIRES, SHA)


def _sig(data: bytes = DATA, comment: str = COMMENT) -> bytes:
    return sign(data, SK, trusted_comment=comment)


def _replace_line(sig: bytes, index: int, new: str) -> bytes:
    lines = sig.decode().split("\n")
    lines[index] = new
    return "\n".join(lines).encode()


# -- formats -------------------------------------------------------------------------------


def test_public_key_file_layout() -> None:
    lines = PUB.decode().split("\n")
    assert len(lines) == 3 and lines[2] == ""
    raw = base64.b64decode(lines[1])
    assert len(raw) == 42 and raw[:2] == b"Ed"
    assert raw[2:10] == key_id_for(public_key_bytes(SK))
    assert raw[10:] == public_key_bytes(SK)
    kid = int.from_bytes(raw[2:10], "little")
    assert lines[0] == f"untrusted comment: minisign public key {kid:016X}"
    assert lines[1].startswith("RW")


def test_key_id_is_prefix_of_jwk_thumbprint() -> None:
    keys = pytest.importorskip("antifraud_common.format.keys")
    pk = keys.PublicKey.from_cryptography(SK.public_key())
    thumb = base64.urlsafe_b64decode(pk.thumbprint() + "=")
    assert key_id_for(public_key_bytes(SK)) == thumb[:8]


def test_signature_file_layout() -> None:
    sig = _sig()
    lines = sig.decode().split("\n")
    assert len(lines) == 5 and lines[4] == ""
    assert lines[0] == "untrusted comment: signature from antifraud_common secret key"
    raw = base64.b64decode(lines[1])
    assert raw[:2] == b"ED" and raw[2:10] == key_id_for(public_key_bytes(SK))
    assert lines[1].startswith("RU")
    assert lines[2] == "trusted comment: " + COMMENT
    assert len(base64.b64decode(lines[3])) == 64
    parsed = parse_signature(sig)
    # The file signature is Ed25519 over BLAKE2b-512 of the file ...
    SK.public_key().verify(parsed.signature, hashlib.blake2b(DATA, digest_size=64).digest())
    # ... and the global signature covers signature || trusted comment.
    SK.public_key().verify(parsed.global_signature, parsed.signature + COMMENT.encode())


def test_signatures_are_deterministic() -> None:
    assert _sig() == _sig()


def test_given_key_id_is_used() -> None:
    kid = bytes.fromhex("0102030405060708")
    pub = public_key_file(public_key_bytes(SK), kid)
    assert pub.startswith(b"untrusted comment: minisign public key 0807060504030201\n")
    sig = sign(DATA, SK, key_id=kid, trusted_comment=COMMENT)
    assert verify(DATA, sig, pub) == COMMENT
    with pytest.raises(MinisignSignatureError) as exc:
        verify(DATA, sig, PUB)
    assert exc.value.code == "minisign_key_mismatch"


def test_public_key_round_trip_and_bare_line() -> None:
    key = parse_public_key(PUB)
    assert key == MinisignPublicKey(
        key_id=key_id_for(public_key_bytes(SK)), public_key=public_key_bytes(SK)
    )
    assert parse_public_key(PUB.decode().split("\n")[1]) == key
    assert parse_public_key(PUB.replace(b"\n", b"\r\n")) == key
    assert key.to_file() == PUB


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"untrusted comment: x\n",
        b"untrusted comment: x\nRWQ!!!\n",
        b"comment: x\n" + PUB.split(b"\n")[1] + b"\n",
        b"untrusted comment: x\n" + base64.b64encode(b"Ed" + bytes(39)) + b"\n",
        b"untrusted comment: x\n" + base64.b64encode(b"XX" + bytes(40)) + b"\n",
        PUB + b"extra line\n",
        b"\xff\xfe",
        b"a" * 5000,
    ],
)
def test_bad_public_keys(bad: bytes) -> None:
    with pytest.raises(MinisignFormatError) as exc:
        parse_public_key(bad)
    assert exc.value.code == "minisign_format"
    assert isinstance(exc.value, BlacklistFormatError)


def test_bad_signature_files() -> None:
    sig = _sig()
    cases = [
        b"",
        sig + b"extra\n",
        _replace_line(sig, 0, "comment: x"),
        _replace_line(sig, 2, "comment: x"),
        _replace_line(sig, 1, "RU" + "A" * 10),
        _replace_line(sig, 1, base64.b64encode(b"XX" + bytes(72)).decode()),
        _replace_line(sig, 3, "AAAA"),
        _replace_line(sig, 0, "untrusted comment: " + "x" * 1100),
        _replace_line(sig, 2, "trusted comment: " + "x" * 8200),
    ]
    for bad in cases:
        with pytest.raises(MinisignFormatError):
            verify(DATA, bad, PUB)


# -- round trip and tampering --------------------------------------------------------------


def test_round_trip_bytes_path_stream(tmp_path: Path) -> None:
    f = tmp_path / "list.jsonl"
    big = DATA * 5000  # > several chunks
    f.write_bytes(big)
    for source in (f, str(f), big, bytearray(big), memoryview(big)):
        sig = sign(source, SK, trusted_comment=COMMENT)
        assert verify(source, sig, PUB) == COMMENT
    sig = sign(io.BytesIO(big), SK, trusted_comment=COMMENT)
    assert verify(f, sig, PUB) == COMMENT
    assert verify(big, sig.decode(), PUB.decode()) == COMMENT
    assert verify(big, parse_signature(sig), parse_public_key(PUB)) == COMMENT


def test_crlf_signature_file_is_tolerated() -> None:
    assert verify(DATA, _sig().replace(b"\n", b"\r\n"), PUB) == COMMENT


def test_untrusted_comment_is_not_authenticated() -> None:
    # By design of minisign: only the trusted comment is signed.
    changed = _replace_line(_sig(), 0, "untrusted comment: anything")
    assert verify(DATA, changed, PUB) == COMMENT


def test_tampered_file_refused() -> None:
    sig = _sig()
    changed = DATA.replace(b"8000", b"8001")
    with pytest.raises(MinisignSignatureError) as exc:
        verify(changed, sig, PUB)
    assert exc.value.code == "minisign_bad_signature"
    assert isinstance(exc.value, UntrustedBlacklistError)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_any_byte_flip_in_file_fails(pos: int, mask: int) -> None:
    i = pos % len(DATA)
    changed = DATA[:i] + bytes([DATA[i] ^ mask]) + DATA[i + 1 :]
    with pytest.raises(MinisignSignatureError):
        verify(changed, _sig(), PUB)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_any_byte_flip_in_signature_fails(pos: int, mask: int) -> None:
    parsed = parse_signature(_sig())
    raw = bytearray(b"ED" + parsed.key_id + parsed.signature + parsed.global_signature)
    i = pos % len(raw)
    raw[i] ^= mask
    sig_line = base64.b64encode(bytes(raw[:74])).decode()
    global_line = base64.b64encode(bytes(raw[74:])).decode()
    bad = _replace_line(_replace_line(_sig(), 1, sig_line), 3, global_line)
    with pytest.raises((MinisignSignatureError, MinisignFormatError, WeakKeyError)):
        verify(DATA, bad, PUB)


def test_tampered_trusted_comment_refused() -> None:
    forged = COMMENT.replace("version=3", "version=4")
    bad = _replace_line(_sig(), 2, "trusted comment: " + forged)
    with pytest.raises(MinisignSignatureError) as exc:
        verify(DATA, bad, PUB)
    assert exc.value.code == "minisign_bad_comment_signature"


def test_wrong_key_refused() -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    other_pub = public_key_file(public_key_bytes(other))
    with pytest.raises(MinisignSignatureError) as exc:
        verify(DATA, _sig(), other_pub)
    assert exc.value.code == "minisign_key_mismatch"
    # Same key id, different key: the signature itself fails.
    forged_pub = public_key_file(public_key_bytes(other), key_id_for(public_key_bytes(SK)))
    with pytest.raises(MinisignSignatureError) as exc:
        verify(DATA, _sig(), forged_pub)
    assert exc.value.code == "minisign_bad_signature"


def test_sign_refuses_bad_comments_and_keys() -> None:
    for comment in ("two\nlines", "cr\rhere", "nul\x00", "x" * 9000, "\ud800"):
        with pytest.raises(MinisignFormatError):
            sign(DATA, SK, trusted_comment=comment)
    with pytest.raises(MinisignFormatError):
        sign(DATA, SK, trusted_comment="ok", untrusted_comment="bad\nline")
    with pytest.raises(MinisignFormatError):
        sign(DATA, SK, trusted_comment="ok", key_id=b"short")
    with pytest.raises(MinisignFormatError):
        sign(DATA, "not a key", trusted_comment="ok")  # type: ignore[arg-type]
    with pytest.raises(MinisignFormatError):
        sign(12345, SK, trusted_comment="ok")  # type: ignore[arg-type]
    # A tab is allowed, as in minisign's own default comment.
    assert verify(DATA, sign(DATA, SK, trusted_comment="a\tb"), PUB) == "a\tb"


def test_bad_public_key_argument() -> None:
    with pytest.raises(MinisignFormatError):
        verify(DATA, _sig(), 42)  # type: ignore[arg-type]
    with pytest.raises(MinisignFormatError):
        MinisignPublicKey(key_id=b"1", public_key=bytes(32))
    with pytest.raises(MinisignFormatError):
        key_id_for(bytes(31))


# -- upstream known-answer vectors ---------------------------------------------------------


@pytest.mark.parametrize("vec", VECTORS["vectors"], ids=lambda v: v["name"])
def test_upstream_vectors(vec: dict[str, str]) -> None:
    pub = VECTORS["public_key"]
    assert parse_public_key(pub).key_id_hex == VECTORS["public_key_id"]
    message = vec["message"].encode()
    legacy = vec["algorithm"] == "Ed"
    assert verify(message, vec["signature"], pub, allow_legacy=legacy) == vec["trusted_comment"]
    with pytest.raises(MinisignSignatureError) as exc:
        verify(vec["wrong_message"].encode(), vec["signature"], pub, allow_legacy=True)
    assert exc.value.code == "minisign_bad_signature"
    if legacy:
        with pytest.raises(MinisignSignatureError) as exc:
            verify(message, vec["signature"], pub)
        assert exc.value.code == "minisign_legacy_refused"


# -- trusted comment -----------------------------------------------------------------------


def test_trusted_comment_round_trip() -> None:
    assert (
        f"antifraud-list issuer=mps list=fraud-phones version=3 "
        f"expires=2026-01-08T00:00:00Z sha256={SHA}"
    ) == COMMENT
    assert parse_trusted_comment(COMMENT) == {
        "issuer": "mps",
        "list_id": "fraud-phones",
        "version": 3,
        "expires": EXPIRES,
        "sha256": SHA,
    }


def test_trusted_comment_for_manifest() -> None:
    m = Manifest(
        issuer="mps",
        list_id="fraud-phones",
        list_type="fraud_numbers",
        version=3,
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires=EXPIRES,
        entry_count=1,
        byte_length=len(DATA),
        sha256=SHA,
    )
    assert minisign.trusted_comment_for_manifest(m) == COMMENT


@pytest.mark.parametrize(
    "args",
    [
        ("MPS", "x", 1, EXPIRES, SHA),
        ("mps", "", 1, EXPIRES, SHA),
        ("mps", "x y", 1, EXPIRES, SHA),
        ("mps", "x", 0, EXPIRES, SHA),
        ("mps", "x", True, EXPIRES, SHA),
        ("mps", "x", 2**53, EXPIRES, SHA),
        ("mps", "x", 1, EXPIRES, SHA.upper()),
        ("mps", "x", 1, EXPIRES, SHA[:-1]),
    ],
)
def test_trusted_comment_for_rejects(args: tuple[object, ...]) -> None:
    with pytest.raises(MinisignFormatError) as exc:
        trusted_comment_for(*args)  # type: ignore[arg-type]
    assert exc.value.code == "minisign_trusted_comment"


def test_trusted_comment_for_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        trusted_comment_for("mps", "x", 1, datetime(2026, 1, 1), SHA)


@pytest.mark.parametrize(
    "text",
    [
        COMMENT.replace(" ", "\t"),
        COMMENT + " ",
        " " + COMMENT,
        COMMENT + " extra=1",
        COMMENT.replace("version=3", "version=03"),
        COMMENT.replace("version=3", "version=9007199254740992"),
        COMMENT.replace("2026-01-08", "2026-02-30"),
        COMMENT.replace("T00:00:00Z", "T00:00:00+08:00"),
        COMMENT.replace("issuer=mps list=fraud-phones", "list=fraud-phones issuer=mps"),
        COMMENT.replace("antifraud-list", "antifraud-lists"),
        "timestamp:1555779966\tfile:test",
        "",
    ],
)
def test_parse_trusted_comment_is_strict(text: str) -> None:
    with pytest.raises(MinisignFormatError) as exc:
        parse_trusted_comment(text)
    assert exc.value.code == "minisign_trusted_comment"


# -- interoperability with the minisign binary -----------------------------------------------


def _minisign() -> str:
    exe = shutil.which("minisign")
    if exe is None:
        if os.environ.get("ANTIFRAUD_REQUIRE_INTEROP") == "1":
            pytest.fail("the minisign binary is required (ANTIFRAUD_REQUIRE_INTEROP=1)")
        pytest.skip("the minisign binary is not installed")
    return exe


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False
    )


@pytest.mark.interop
def test_minisign_binary_verifies_our_signature(tmp_path: Path) -> None:
    exe = _minisign()
    f = tmp_path / "fraud-phones.jsonl"
    f.write_bytes(DATA * 3000)
    comment = trusted_comment_for(
        "mps", "fraud-phones", 3, EXPIRES, hashlib.sha256(f.read_bytes()).hexdigest()
    )
    (tmp_path / "mps.pub").write_bytes(PUB)
    (tmp_path / "fraud-phones.jsonl.minisig").write_bytes(sign(f, SK, trusted_comment=comment))
    done = _run(exe, "-V", "-H", "-p", str(tmp_path / "mps.pub"), "-m", str(f))
    assert done.returncode == 0, done.stderr
    assert f"Trusted comment: {comment}\n" in done.stdout
    quiet = _run(exe, "-V", "-H", "-Q", "-p", str(tmp_path / "mps.pub"), "-m", str(f))
    assert quiet.returncode == 0 and quiet.stdout == comment + "\n"
    # The binary refuses the same signature over a changed file.
    f.write_bytes(DATA * 2999)
    assert _run(exe, "-V", "-H", "-p", str(tmp_path / "mps.pub"), "-m", str(f)).returncode != 0


@pytest.mark.interop
def test_we_verify_minisign_binary_signature(tmp_path: Path) -> None:
    exe = _minisign()
    pub, key = tmp_path / "k.pub", tmp_path / "k.key"
    done = _run(exe, "-G", "-W", "-p", str(pub), "-s", str(key))
    assert done.returncode == 0, done.stderr
    f = tmp_path / "list.jsonl"
    f.write_bytes(DATA * 3000)
    comment = trusted_comment_for("mps", "fraud-phones", 9, EXPIRES, "0" * 64)
    done = _run(exe, "-S", "-s", str(key), "-m", str(f), "-t", comment)
    assert done.returncode == 0, done.stderr
    sig = (tmp_path / "list.jsonl.minisig").read_bytes()
    assert verify(f, sig, pub.read_bytes()) == comment
    assert parse_trusted_comment(verify(f, sig, pub.read_bytes()))["version"] == 9
    with pytest.raises(MinisignSignatureError):
        verify(DATA, sig, pub.read_bytes())
    # A legacy signature from the binary is refused unless asked for.
    done = _run(exe, "-S", "-l", "-s", str(key), "-m", str(f), "-x", str(tmp_path / "l.sig"))
    assert done.returncode == 0, done.stderr
    legacy = (tmp_path / "l.sig").read_bytes()
    with pytest.raises(MinisignSignatureError) as exc:
        verify(f, legacy, pub.read_bytes())
    assert exc.value.code == "minisign_legacy_refused"
    assert verify(f, legacy, pub.read_bytes(), allow_legacy=True).startswith("timestamp:")


#: minisign cases where this library is deliberately stricter than the binary
#: (docs/spec/minisign.md: canonical base64, the first line of a public key file) or
#: reads a form the binary's ``-p`` does not (a bare public key line).
_BINARY_DIFFERS = {
    "minisign/pub-untrusted-prefix-absent",
    "minisign/sig-line-unused-bits",
    "minisign/global-line-unused-bits",
    "minisign/pub-bare-line",
}


@pytest.mark.interop
def test_minisign_binary_agrees_with_the_conformance_cases(tmp_path: Path) -> None:
    """The stock binary refuses every weak key and R the suite refuses, and agrees elsewhere."""
    exe = _minisign()
    cases = [c for c in load_cases() if c.family == "minisign"]
    weak = [c for c in cases if c.expect.get("code") in ("weak_key", "weak_signature")]
    assert len(weak) >= 3
    for case in cases:
        folder = tmp_path / case.id.replace("/", "_")
        folder.mkdir()
        for name, data in case.file_bytes().items():
            (folder / name).write_bytes(data)
        args = [exe, "-V", "-p", str(folder / "pub"), "-m", str(folder / "file")]
        args += ["-x", str(folder / "sig")]
        if not case.data.get("allow_legacy"):
            args.insert(2, "-H")
        accepted = _run(*args).returncode == 0
        if case.id in _BINARY_DIFFERS:
            assert accepted is not case.expect["ok"], case.id
        else:
            assert accepted is case.expect["ok"], case.id
