"""Tests for antifraud_common.format.jws: the JWS General JSON envelope."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from antifraud_common.errors import (
    BlacklistFormatError,
    ConfigurationError,
    SignatureError,
    ThresholdError,
    UntrustedBlacklistError,
)
from antifraud_common.format import canonical, jws
from antifraud_common.format.jws import (
    DEFAULT_TYP,
    SignatureStatus,
    add_signature,
    parse,
    sign,
    verify,
    verify_signatures,
)
from antifraud_common.format.keys import (
    Algorithm,
    LocalSigner,
    PublicKey,
    b64url_decode,
    b64url_encode,
)

RFC8037 = json.loads((Path(__file__).parent / "vectors" / "rfc8037.json").read_text("utf-8"))
PAYLOAD = b'{"list_id":"demo","version":1}'

ED = LocalSigner.generate(Algorithm.ED25519)
ED2 = LocalSigner.generate(Algorithm.ED25519)
EC = LocalSigner.generate(Algorithm.ES256)
ALL = {s.key_id: s.public_key for s in (ED, ED2, EC)}


def rfc_signer() -> LocalSigner:
    d = b64url_decode(RFC8037["A.1_private_jwk"]["d"])
    return LocalSigner(ed25519.Ed25519PrivateKey.from_private_bytes(d))


def craft(
    payload: bytes,
    header: dict[str, Any],
    signer: LocalSigner,
    *,
    extra_sig_members: dict[str, Any] | None = None,
    header_bytes: bytes | None = None,
) -> bytes:
    """Build an envelope by hand, with any header, for negative tests."""
    protected = b64url_encode(header_bytes if header_bytes is not None else canonical.dumps(header))
    payload_b64 = b64url_encode(payload)
    sig = signer.sign(f"{protected}.{payload_b64}".encode())
    entry: dict[str, Any] = {"protected": protected, "signature": b64url_encode(sig)}
    entry.update(extra_sig_members or {})
    return canonical.dumps({"payload": payload_b64, "signatures": [entry]})


def edit(data: bytes, fn: Callable[[dict[str, Any]], None]) -> bytes:
    doc = json.loads(data)
    fn(doc)
    return json.dumps(doc).encode()


def fmt_code(data: bytes, **kw: Any) -> str:
    with pytest.raises(BlacklistFormatError) as info:
        parse(data, **kw)
    return info.value.code


# ------------------------------------------------------------ happy paths


@pytest.mark.parametrize("signer", [ED, EC], ids=["Ed25519", "ES256"])
def test_sign_parse_verify(signer: LocalSigner) -> None:
    env = sign(PAYLOAD, [signer])
    assert canonical.is_canonical(env)
    doc = json.loads(env)
    assert set(doc) == {"payload", "signatures"}
    assert b64url_decode(doc["payload"]) == PAYLOAD
    [entry] = doc["signatures"]
    assert set(entry) == {"protected", "signature"}
    header = b64url_decode(entry["protected"])
    assert header == canonical.dumps(
        {"alg": signer.algorithm.jws_name, "kid": signer.key_id, "typ": DEFAULT_TYP}
    )
    parsed = parse(env, typ=DEFAULT_TYP)
    assert parsed.payload == PAYLOAD
    assert parsed.kids == (signer.key_id,)
    assert parsed.signatures[0].algorithm is signer.algorithm
    result = verify_signatures(parsed, ALL)
    assert result.valid_kids == {signer.key_id}
    assert result.results[0].status is SignatureStatus.VALID
    assert verify(env, ALL) == PAYLOAD
    assert verify(env, [signer.public_key], typ=DEFAULT_TYP) == PAYLOAD


def test_rfc8037_key_example_is_deterministic() -> None:
    env = sign(b"Example of Ed25519 signing", [rfc_signer()], typ="example")
    assert env == sign(b"Example of Ed25519 signing", [rfc_signer()], typ="example")
    assert verify(env, [PublicKey.from_jwk(RFC8037["A.2_public_jwk"])]) == (
        b"Example of Ed25519 signing"
    )


def test_co_signing_and_thresholds() -> None:
    env = sign(PAYLOAD, [ED, EC])
    env3 = add_signature(env, ED2)
    parsed = parse(env3)
    assert parsed.kids == (ED.key_id, EC.key_id, ED2.key_id)
    assert json.loads(env3)["signatures"][:2] == json.loads(env)["signatures"]
    result = verify_signatures(parsed, ALL)
    assert result.count_valid() == 3
    assert result.meets(3)
    assert not result.meets(4)
    assert result.count_valid(among={ED.key_id, "x"}) == 1
    assert verify(env3, ALL, threshold=3) == PAYLOAD
    with pytest.raises(ThresholdError) as info:
        verify(env3, ALL, threshold=2, among={ED.key_id})
    assert info.value.code == "threshold_not_met"
    with pytest.raises(ConfigurationError):
        result.meets(0)


def test_add_signature_refuses_same_key_and_keeps_typ() -> None:
    env = sign(PAYLOAD, [ED], typ="antifraud-trust+json")
    with pytest.raises(BlacklistFormatError) as info:
        add_signature(env, ED)
    assert info.value.code == "jws_duplicate_kid"
    env2 = add_signature(env, EC)
    assert {s.typ for s in parse(env2).signatures} == {"antifraud-trust+json"}
    with pytest.raises(BlacklistFormatError) as info:
        add_signature(env2, ED2, max_signatures=2)
    assert info.value.code == "jws_too_many_signatures"


def test_sign_argument_errors() -> None:
    for args, kw, code in [
        ((PAYLOAD, []), {}, "no_signers"),
        ((PAYLOAD, [ED, ED]), {}, "duplicate_signer"),
        ((PAYLOAD, [ED]), {"typ": ""}, "typ_invalid"),
        ((PAYLOAD, [ED]), {"typ": "a b"}, "typ_invalid"),
    ]:
        with pytest.raises(ConfigurationError) as info:
            sign(*args, **kw)
        assert info.value.code == code
    with pytest.raises(TypeError):
        sign("text", [ED])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError) as info:
        sign(b"x" * 300, [ED], max_bytes=400)
    assert info.value.code == "jws_too_large"
    env = sign(b"x" * 10, [ED])
    with pytest.raises(ConfigurationError) as info:
        add_signature(env, EC, max_bytes=len(env) + 10)
    assert info.value.code == "jws_too_large"


class _BrokenSigner:
    """A signer (e.g. a misconfigured HSM) returning the wrong key's signatures."""

    def __init__(self, key_of: LocalSigner, signs_with: LocalSigner) -> None:
        self.key_id = key_of.key_id
        self.algorithm = key_of.algorithm
        self.public_key = key_of.public_key
        self._other = signs_with

    def sign(self, data: bytes) -> bytes:
        return self._other.sign(data)


def test_signer_is_checked_before_publishing() -> None:
    with pytest.raises(ConfigurationError) as info:
        sign(PAYLOAD, [_BrokenSigner(ED, ED2)])
    assert info.value.code == "signer_failed"
    liar = _BrokenSigner(ED, ED)
    liar.key_id = ED2.key_id
    with pytest.raises(ConfigurationError) as info:
        sign(PAYLOAD, [liar])
    assert info.value.code == "signer_mismatch"


# ------------------------------------------------------------ attacks


def test_unknown_key_and_key_substitution() -> None:
    env = sign(PAYLOAD, [ED2])
    result = verify_signatures(parse(env), {ED.key_id: ED.public_key})
    assert result.unknown_kids == {ED2.key_id}
    assert not result.valid_kids
    with pytest.raises(SignatureError) as info:
        verify(env, [ED.public_key])
    assert info.value.code == "signature_invalid"
    # An attacker signs with his key but claims the trusted key's kid.
    forged = craft(PAYLOAD, {"alg": "Ed25519", "kid": ED.key_id, "typ": DEFAULT_TYP}, ED2)
    result = verify_signatures(parse(forged), ALL)
    assert result.results[0].status is SignatureStatus.INVALID
    assert result.invalid_kids == {ED.key_id}
    # A key map whose kid is not the key's thumbprint is a caller bug.
    with pytest.raises(ConfigurationError) as cinfo:
        verify_signatures(parse(env), {ED2.key_id: ED.public_key})
    assert cinfo.value.code == "key_id_mismatch"


def test_algorithm_comes_from_the_key() -> None:
    lying = craft(PAYLOAD, {"alg": "ES256", "kid": ED.key_id, "typ": DEFAULT_TYP}, ED)
    result = verify_signatures(parse(lying), ALL)
    assert result.results[0].status is SignatureStatus.ALG_MISMATCH
    assert result.invalid_kids == {ED.key_id}
    lying = craft(PAYLOAD, {"alg": "Ed25519", "kid": EC.key_id, "typ": DEFAULT_TYP}, EC)
    assert verify_signatures(parse(lying), ALL).results[0].status is SignatureStatus.ALG_MISMATCH


def test_legacy_eddsa_header_accepted_for_ed25519() -> None:
    env = craft(PAYLOAD, {"alg": "EdDSA", "kid": ED.key_id, "typ": DEFAULT_TYP}, ED)
    assert verify(env, ALL) == PAYLOAD


def test_duplicate_kid_counts_once() -> None:
    env = sign(PAYLOAD, [ED])
    doubled = edit(env, lambda d: d["signatures"].append(dict(d["signatures"][0])))
    parsed = parse(doubled)
    assert parsed.duplicate_kids == {ED.key_id}
    result = verify_signatures(parsed, ALL)
    assert result.duplicate_kids == {ED.key_id}
    assert result.count_valid() == 1
    with pytest.raises(UntrustedBlacklistError) as info:
        verify(doubled, ALL, threshold=2)
    assert info.value.code == "threshold_not_met"


def test_stripping_and_mix_and_match() -> None:
    env = sign(PAYLOAD, [ED, EC])
    stripped = edit(env, lambda d: d["signatures"].pop())
    assert verify(stripped, ALL) == PAYLOAD
    with pytest.raises(UntrustedBlacklistError):
        verify(stripped, ALL, threshold=2)
    other = sign(b'{"list_id":"demo","version":2}', [ED])
    swapped = edit(env, lambda d: d.update(payload=json.loads(other)["payload"]))
    with pytest.raises(UntrustedBlacklistError):
        verify(swapped, ALL)


# ------------------------------------------------------------ structure

_GOOD = sign(PAYLOAD, [ED])
_HDR = {"alg": "Ed25519", "kid": ED.key_id, "typ": DEFAULT_TYP}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"eyJhbGciOiJFZERTQSJ9.RXhh.hgyY", "json_syntax"),
        (b"\xef\xbb\xbf" + _GOOD, "json_bom"),
        (_GOOD[:-1] + b',"payload":"AA"}', "json_duplicate_key"),
        (b"[]", "jws_members"),
        (edit(_GOOD, lambda d: d.update(extra=1)), "jws_members"),
        (edit(_GOOD, lambda d: d.pop("payload")), "jws_members"),
        (edit(_GOOD, lambda d: d.update(payload=5)), "jws_members"),
        (edit(_GOOD, lambda d: d.update(signatures={})), "jws_members"),
        (edit(_GOOD, lambda d: d.update(signatures=[])), "jws_no_signatures"),
        (edit(_GOOD, lambda d: d.update(signatures=["x"])), "jws_members"),
        (edit(_GOOD, lambda d: d["signatures"][0].update(x=1)), "jws_members"),
        (edit(_GOOD, lambda d: d["signatures"][0].update(signature=1)), "jws_members"),
        (
            edit(_GOOD, lambda d: d["signatures"][0].update(header={"kid": ED.key_id})),
            "jws_unprotected_header",
        ),
        (  # flattened serialization
            edit(_GOOD, lambda d: d.update(d.pop("signatures")[0])),
            "jws_members",
        ),
        (edit(_GOOD, lambda d: d.update(payload=d["payload"] + "=")), "jws_base64"),
        (edit(_GOOD, lambda d: d.update(payload=d["payload"] + "+")), "jws_base64"),
        (edit(_GOOD, lambda d: d.update(payload=" " + d["payload"])), "jws_base64"),
        (
            edit(_GOOD, lambda d: d["signatures"][0].update(signature="AA")),
            "jws_signature_length",
        ),
        (
            edit(
                _GOOD,
                lambda d: d["signatures"][0].update(
                    signature=d["signatures"][0]["signature"] + "="
                ),
            ),
            "jws_base64",
        ),
        (craft(PAYLOAD, {**_HDR, "alg": "none"}, ED), "jws_alg_none"),
        (craft(PAYLOAD, {**_HDR, "alg": "HS256"}, ED), "jws_alg_unsupported"),
        (craft(PAYLOAD, {**_HDR, "alg": "RS256"}, ED), "jws_alg_unsupported"),
        (craft(PAYLOAD, {**_HDR, "alg": 1}, ED), "jws_header"),
        (craft(PAYLOAD, {**_HDR, "crit": ["b64"], "b64": False}, ED), "jws_crit"),
        (craft(PAYLOAD, {**_HDR, "b64": False}, ED), "jws_header_member"),
        (craft(PAYLOAD, {**_HDR, "jwk": ED.public_key.to_jwk()}, ED), "jws_header_member"),
        (craft(PAYLOAD, {**_HDR, "jku": "https://example.invalid/"}, ED), "jws_header_member"),
        (craft(PAYLOAD, {k: v for k, v in _HDR.items() if k != "typ"}, ED), "jws_header"),
        (craft(PAYLOAD, {k: v for k, v in _HDR.items() if k != "kid"}, ED), "jws_header"),
        (craft(PAYLOAD, {**_HDR, "kid": "key-1"}, ED), "jws_kid"),
        (craft(PAYLOAD, {**_HDR, "typ": "a\nb"}, ED), "jws_header"),
        (craft(PAYLOAD, {}, ED, header_bytes=b"[]"), "jws_header"),
        (
            craft(PAYLOAD, {}, ED, header_bytes=b'{"alg":"Ed25519","alg":"none"}'),
            "json_duplicate_key",
        ),
        (craft(PAYLOAD, {}, ED, header_bytes=b'{"alg":1.0}'), "json_float"),
        (craft(PAYLOAD, {}, ED, header_bytes=b"\xff"), "json_invalid_utf8"),
    ],
)
def test_parse_refuses(data: bytes, code: str) -> None:
    assert fmt_code(data) == code


def test_parse_limits_and_typ() -> None:
    assert fmt_code(_GOOD, max_bytes=len(_GOOD) - 1) == "json_too_large"
    assert parse(_GOOD, max_bytes=len(_GOOD)).payload == PAYLOAD
    two = sign(PAYLOAD, [ED, EC])
    assert fmt_code(two, max_signatures=1) == "jws_too_many_signatures"
    assert fmt_code(_GOOD, typ="antifraud-trust+json") == "jws_typ"
    with pytest.raises(BlacklistFormatError) as info:
        verify(_GOOD, ALL, typ="antifraud-trust+json")
    assert info.value.code == "jws_typ"


def test_non_canonical_but_valid_envelope_is_accepted() -> None:
    # Other JOSE libraries write their own JSON; only the signed bytes matter.
    pretty = json.dumps(json.loads(_GOOD), indent=2).encode()
    assert verify(pretty, ALL) == PAYLOAD


def test_repr_hides_bytes() -> None:
    parsed = parse(_GOOD)
    assert "signature=" not in repr(parsed.signatures[0])
    assert "payload=" not in repr(parsed)


# ------------------------------------------------------------ tampering


@pytest.mark.parametrize("signer", [ED, EC], ids=["Ed25519", "ES256"])
def test_every_byte_flip_is_refused_with_a_typed_error(signer: LocalSigner) -> None:
    env = sign(b'{"v":1}', [signer])
    keys = [signer.public_key]
    assert verify(env, keys) == b'{"v":1}'
    for i in range(len(env)):
        for mask in (0x01, 0x20, 0x80):
            tampered = env[:i] + bytes([env[i] ^ mask]) + env[i + 1 :]
            try:
                verify(tampered, keys)
            except (BlacklistFormatError, UntrustedBlacklistError):
                continue
            raise AssertionError(f"flip {mask:#x} at byte {i} still verifies: {tampered!r}")


def test_module_exports() -> None:
    for name in jws.__all__:
        assert hasattr(jws, name)


def test_golden_envelope_with_rfc8037_key() -> None:
    path = Path(__file__).parent / "vectors" / "jws" / "envelope_rfc8037_key.json"
    vec = json.loads(path.read_text("utf-8"))
    signer = rfc_signer()
    assert signer.key_id == vec["kid"]
    env = sign(vec["payload"].encode(), [signer], typ=vec["typ"])
    assert env.decode() == vec["envelope"]
    assert hashlib.sha256(env).hexdigest() == vec["envelope_sha256"]
    parsed = parse(env)
    sig = parsed.signatures[0]
    assert sig.protected == vec["protected_b64"]
    assert b64url_decode(sig.protected).decode() == vec["protected_header"]
    assert parsed.payload_b64 == vec["payload_b64"]
    assert parsed.signing_input(sig).decode() == vec["signing_input"]
    assert sig.signature.hex() == vec["signature_hex"]
    assert b64url_encode(sig.signature) == vec["signature_b64"]
    assert verify(env, [PublicKey.from_jwk(vec["public_jwk"])]) == vec["payload"].encode()


def test_the_format_package_offers_no_verification_lookalikes() -> None:
    # format is fenced like a hazmat layer: sign, parse and verify check signatures only,
    # so they are offered by format.jws, not beside the package's other names. The old
    # names still resolve, with a warning that says what they do not check.
    import antifraud_common.format as fmt
    from antifraud_common.format import jws as jws_module

    for name in ("sign", "parse", "verify"):
        assert name not in fmt.__all__
        with pytest.warns(DeprecationWarning, match="signatures only"):
            assert getattr(fmt, name) is getattr(jws_module, name)
    with pytest.raises(AttributeError):
        _ = fmt.no_such_name
