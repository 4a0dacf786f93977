"""Fuzz the JWS envelope parser, signature verification and the manifest parsers.

Properties: only typed errors escape ``jws.parse``, ``verify_signatures``,
``read_manifest``, ``Manifest.from_dict`` and ``PublicKey.from_jwk``; a parsed
envelope re-encodes to base64url that decodes to the same bytes; no signature of
random input verifies with the fixed test key.
"""

from __future__ import annotations

import sys

import _harness

with _harness.instrumented(__name__ == "__main__"):
    from antifraud_common.errors import AntifraudError
    from antifraud_common.exchange.signing import read_manifest
    from antifraud_common.format import canonical, jws
    from antifraud_common.format.keys import PublicKey, b64url_decode
    from antifraud_common.models import Manifest

# RFC 8037 A.2 public key (a published test key).
_KEY = PublicKey.from_jwk(
    {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
)


def seeds() -> list[bytes]:
    return [b"{}", b'{"payload":"","signatures":[]}'] + list(
        _harness.conformance_files("sig", "trust_sig", "jws", "bundle_1_sig", "jwk")
    )


def test_one_input(data: bytes) -> None:
    try:
        parsed = jws.parse(data)
    except AntifraudError:
        parsed = None
    if parsed is not None:
        assert b64url_decode(parsed.payload_b64) == parsed.payload
        result = jws.verify_signatures(parsed, [_KEY])
        assert result.count_valid() <= 1
        try:
            read_manifest(data)
        except AntifraudError:
            pass
    try:
        value = canonical.loads(data)
    except AntifraudError:
        return
    for parse in (Manifest.from_dict, PublicKey.from_jwk):
        try:
            parse(value)
        except AntifraudError:
            pass


if __name__ == "__main__":
    _harness.main(sys.modules[__name__])
