"""JWE (RFC 7516) ECDH-ES + A256GCM: our tokens open with joserfc, theirs with ours."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from antifraud_common.cases import (
    Account,
    CaseBook,
    CaseMessage,
    MessageType,
    Money,
    QueryResponse,
    QueryResult,
    QueryStatus,
    StopPaymentOrder,
    Subject,
)
from antifraud_common.cases._kit import federation
from antifraud_common.errors import AntifraudError, CaseError, DecryptionError
from antifraud_common.format import jwe
from antifraud_common.format.jwe import EncryptionCurve, EncryptionKey, EncryptionPrivateKey
from antifraud_common.format.keys import b64url_decode, b64url_encode

joserfc_jwe = pytest.importorskip("joserfc.jwe")
joserfc_jwk = pytest.importorskip("joserfc.jwk")
joserfc_jws = pytest.importorskip("joserfc.jws")

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CURVES = [EncryptionCurve.X25519, EncryptionCurve.P256]


def _their_key(key: EncryptionPrivateKey) -> Any:
    x25519 = key.public_key.curve is EncryptionCurve.X25519
    cls = joserfc_jwk.OKPKey if x25519 else joserfc_jwk.ECKey
    return cls.import_key(key.to_pem())


@pytest.mark.parametrize("curve", CURVES)
def test_round_trip(curve: EncryptionCurve) -> None:
    key = EncryptionPrivateKey.generate(curve)
    token = jwe.encrypt(b"\x00secret\xff", key.public_key)
    assert jwe.decrypt(token, key) == b"\x00secret\xff"
    hdr = jwe.header(token)
    assert (hdr["alg"], hdr["enc"], hdr["kid"]) == ("ECDH-ES", "A256GCM", key.key_id)


@pytest.mark.parametrize("curve", CURVES)
def test_joserfc_decrypts_ours(curve: EncryptionCurve) -> None:
    key = EncryptionPrivateKey.generate(curve)
    token = jwe.encrypt(b"payload bytes", key.public_key)
    out = joserfc_jwe.decrypt_compact(token, _their_key(key))
    assert out.plaintext == b"payload bytes"
    assert out.protected["kid"] == key.key_id


@pytest.mark.parametrize("curve", CURVES)
def test_we_decrypt_joserfc(curve: EncryptionCurve) -> None:
    key = EncryptionPrivateKey.generate(curve)
    cls = joserfc_jwk.OKPKey if curve is EncryptionCurve.X25519 else joserfc_jwk.ECKey
    public = cls.import_key(key.public_key.to_jwk())
    header = {"alg": "ECDH-ES", "enc": "A256GCM", "cty": jwe.DEFAULT_CTY}
    header_json = dict(header)
    token = joserfc_jwe.encrypt_compact(header, b"from joserfc", public)
    assert jwe.decrypt(token.encode("ascii"), key) == b"from joserfc"
    # The flattened JSON serialization too.
    # (joserfc writes the ephemeral key into the header dict it is given: a fresh one.)
    flattened = joserfc_jwe.FlattenedJSONEncryption(dict(header_json), b"json form")
    flattened.add_recipient(None, public)
    flat = joserfc_jwe.encrypt_json(flattened, None)
    assert jwe.decrypt(json.dumps(flat).encode(), key) == b"json form"


def test_thumbprint_agrees_with_joserfc() -> None:
    for curve in CURVES:
        key = EncryptionPrivateKey.generate(curve)
        assert _their_key(key).thumbprint() == key.key_id


def test_signed_then_encrypted_message_opens_with_joserfc(tmp_path: Path) -> None:
    """Sign, encrypt to the bank; joserfc decrypts the JWE and verifies the JWS inside."""
    fed = federation(T0)
    order = CaseMessage.build(
        type=MessageType.STOP_PAYMENT_ORDER,
        message_id="m-1",
        case_id="mps:1",
        sender="mps",
        recipient="icbc",
        issued_at=T0,
        body=StopPaymentOrder(
            account=Account(bank="icbc", number="6222021234567890128", name="张三"),
            amount=Money(amount=1000),
            transfer_time=T0,
            sequence=1,
            term_hours=48,
            legal_basis="Art. 20",
        ),
    )
    with CaseBook.open(tmp_path / "mps", me="mps") as book:
        envelope = book.send(order, fed.signers["mps"][:1], trust=fed.trust, now=T0)
        sealed = book.seal(envelope, trust=fed.trust)
    assert b"6222021234567890128" not in sealed
    opened = joserfc_jwe.decrypt_compact(sealed, _their_key(fed.decryption["icbc"]))
    signer = fed.signers["mps"][0]
    keyset = joserfc_jwk.KeySet(
        [joserfc_jwk.OKPKey.import_key(signer.public_key.to_jwk(include_kid=True))]
    )
    verified = joserfc_jws.deserialize_json(
        json.loads(opened.plaintext), keyset, algorithms=["Ed25519"]
    )
    assert verified.payload == order.to_payload()
    # And the bank's own book accepts the same bytes.
    with CaseBook.open(tmp_path / "icbc", me="icbc") as bank:
        got = bank.receive(sealed, trust=fed.trust, now=T0, decryption_key=fed.decryption["icbc"])
        assert got.hash == order.hash


@pytest.mark.parametrize("curve", CURVES)
def test_every_failure_is_one_opaque_error(curve: EncryptionCurve) -> None:
    key = EncryptionPrivateKey.generate(curve)
    other = EncryptionPrivateKey.generate(curve)
    token = jwe.encrypt("holder name 张三".encode(), key.public_key)
    parts = token.decode().split(".")

    def other_char(c: str) -> str:  # a base64url character that is surely a change
        return "B" if c == "A" else "A"

    tag, ciphertext = parts[4], parts[3]
    bad_tag = tag[:-2] + other_char(tag[-2]) + tag[-1]
    variants = [
        jwe.encrypt(b"x", other.public_key),  # another recipient
        b".".join(p.encode() for p in [parts[0], "", parts[2], parts[3], bad_tag]),
        b".".join(
            p.encode()
            for p in [parts[0], "", parts[2], other_char(ciphertext[0]) + ciphertext[1:], tag]
        ),
        b".".join(p.encode() for p in [parts[0], "AAAA", parts[2], parts[3], parts[4]]),
        b".".join(p.encode() for p in parts[:4]),
        b"garbage",
        b"{}",
        "é".encode(),
    ]
    hdr = json.loads(b64url_decode(parts[0]))
    for change in ({"alg": "ECDH-ES+A256KW"}, {"enc": "A128GCM"}, {"zip": "DEF"}, {"kid": "x"}):
        forged = b64url_encode(json.dumps({**hdr, **change}).encode())
        variants.append(".".join([forged, *parts[1:]]).encode())
    for bad in variants:
        with pytest.raises(DecryptionError) as info:
            jwe.decrypt(bad, key)
        assert info.value.code == "decryption_failed"
        assert str(info.value) == DecryptionError.default_message


def test_encryption_key_jwk_strict() -> None:
    key = EncryptionPrivateKey.generate()
    jwk = key.public_key.to_jwk()
    assert EncryptionKey.from_jwk(jwk) == key.public_key
    for bad in (
        {**jwk, "d": jwk["x"]},
        {**jwk, "use": "sig"},
        {**jwk, "crv": "Ed25519"},
        {**jwk, "kid": "nope"},
        {**jwk, "x": jwk["x"][:-2]},
        "not a jwk",
    ):
        with pytest.raises(AntifraudError):
            EncryptionKey.from_jwk(bad)
    assert key.key_id in repr(key) and "PRIVATE" not in repr(key)


def test_small_order_x25519_point_refused() -> None:
    key = EncryptionPrivateKey.generate()
    zero = EncryptionKey(curve=EncryptionCurve.X25519, x=bytes(32))
    with pytest.raises(DecryptionError):
        key.exchange(zero)


def test_no_personal_data_in_logs_errors_or_repr(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A decrypted query response never appears in a repr, an error or a log line."""
    caplog.set_level(logging.DEBUG)
    fed = federation(T0)
    secret_name, secret_number = "王小明", "6217000010001234567"
    response = CaseMessage.build(
        type=MessageType.QUERY_RESPONSE,
        message_id="r-1",
        case_id="mps:1",
        sender="icbc",
        recipient="mps",
        issued_at=T0,
        in_reply_to="ab" * 32,
        body=QueryResponse(
            status=QueryStatus.COMPLETE,
            results=(
                QueryResult(
                    subject=Subject(kind="bank_account", value=secret_number),
                    account_status="active",
                    holder_name=secret_name,
                    balance=Money(amount=987654321),
                ),
            ),
        ),
    )
    from antifraud_common.format import jws as ours

    envelope = ours.sign(response.to_payload(), fed.signers["icbc"][:1], typ="antifraud-case+json")
    sealed = jwe.encrypt(envelope, fed.decryption["mps"].public_key)
    texts = [repr(response), repr(response.body), str(response.summary())]
    with CaseBook.open(tmp_path / "mps", me="mps") as book:
        # A reply to nothing: refused after decryption, at the binding step.
        with pytest.raises(CaseError) as info:
            book.receive(sealed, trust=fed.trust, now=T0, decryption_key=fed.decryption["mps"])
        texts += [str(info.value), repr(info.value), json.dumps(info.value.to_dict())]
        # The wrong key: the opaque error.
        with pytest.raises(CaseError) as info2:
            book.receive(sealed, trust=fed.trust, now=T0, decryption_key=fed.decryption["icbc"])
        texts += [str(info2.value), repr(info2.value)]
    texts += [r.getMessage() for r in caplog.records]
    for text in texts:
        for secret in (secret_name, secret_number, "987654321"):
            assert secret not in text
