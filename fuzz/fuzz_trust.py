"""Fuzz the trust bundle loader, its signature check and the rotation walk.

Properties: only typed errors escape ``TrustBundle.from_bytes``,
``verify_trust_signatures`` and ``walk_trust_chain``; a bundle that loads
re-serialises to exactly the input bytes (it is canonical).
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime

import _harness

with _harness.instrumented(__name__ == "__main__"):
    from antifraud_common.errors import AntifraudError
    from antifraud_common.exchange.trust import (
        TrustBundle,
        verify_trust_signatures,
        walk_trust_chain,
    )

_NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _anchor() -> tuple[bytes, bytes]:
    doc = json.loads((_harness.CASES / "trust-rotation.json").read_text(encoding="utf-8"))
    files = doc["cases"][0]["files"]
    return base64.b64decode(files["trusted"]["base64"]), base64.b64decode(
        files["trusted_sig"]["base64"]
    )


_TRUSTED_BYTES, _TRUSTED_SIG = _anchor()
_TRUSTED = verify_trust_signatures(_TRUSTED_BYTES, _TRUSTED_SIG)


def seeds() -> list[bytes]:
    out = list(_harness.conformance_files("trust", "trusted", "bundle_1", "bundle_2"))
    return out + [_TRUSTED_SIG]


def test_one_input(data: bytes) -> None:
    try:
        bundle = TrustBundle.from_bytes(data)
    except AntifraudError:
        bundle = None
    if bundle is not None:
        assert bundle.to_bytes() == data
    # data as a signature file of the trusted bundle, and as the next bundle
    try:
        verify_trust_signatures(_TRUSTED_BYTES, data)
    except AntifraudError:
        pass
    try:
        walk_trust_chain(_TRUSTED, [(data, _TRUSTED_SIG)], now=_NOW)
    except AntifraudError:
        pass


if __name__ == "__main__":
    _harness.main(sys.modules[__name__])
