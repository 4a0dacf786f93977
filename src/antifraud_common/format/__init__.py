"""The format layer: canonical JSON, JWS envelope, keys, JSONL files with limits.

Low-level building blocks with no knowledge of blacklist semantics. **Signatures only,
no blacklist checks**: nothing here decides whether a list may be trusted (issuer scope,
threshold, expiry, rollback, the entries' hash). Verify a list with
:func:`antifraud_common.exchange.signing.verify_list`.


* :mod:`~antifraud_common.format.canonical` -- RFC 8785 (JCS) canonical JSON, float-free;
* :mod:`~antifraud_common.format.keys` -- Ed25519 / ES256 public JWKs, RFC 7638 key ids,
  signers and encrypted private key files;
* :mod:`~antifraud_common.format.jws` -- the JWS (RFC 7515) General JSON envelope with
  one or more signatures; strict parsing and non-raising verification of the signatures
  alone (import ``sign``, ``parse`` and ``verify`` from there: they are not offered here,
  where they could be taken for a list's verification);
* :mod:`~antifraud_common.format.jsonl` -- streaming entries-file reader and atomic
  writer with limits, hashing while reading.

>>> from antifraud_common import format as fmt
>>> fmt.dumps({"b": 1, "a": [True, None]})
b'{"a":[true,null],"b":1}'
"""

from __future__ import annotations

import warnings
from typing import Any

from antifraud_common.format.canonical import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    MAX_SAFE_INTEGER,
    check_canonical,
    dumps,
    is_canonical,
    loads,
)
from antifraud_common.format.jsonl import (
    DEFAULT_LIMITS,
    Limits,
    StreamDigest,
    iter_lines,
    write_atomic,
    write_lines,
)
from antifraud_common.format.jws import (
    DEFAULT_MAX_JWS_BYTES,
    DEFAULT_MAX_SIGNATURES,
    DEFAULT_TYP,
    ParsedJWS,
    ParsedSignature,
    SignatureResult,
    SignatureStatus,
    VerificationResult,
    add_signature,
    verify_signatures,
)
from antifraud_common.format.keys import (
    PASSPHRASE_ENV,
    Algorithm,
    LocalSigner,
    PrivateKey,
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

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_JWS_BYTES",
    "DEFAULT_MAX_SIGNATURES",
    "DEFAULT_TYP",
    "MAX_SAFE_INTEGER",
    "PASSPHRASE_ENV",
    "Algorithm",
    "Limits",
    "LocalSigner",
    "ParsedJWS",
    "ParsedSignature",
    "PrivateKey",
    "PublicKey",
    "SignatureResult",
    "SignatureStatus",
    "Signer",
    "StreamDigest",
    "VerificationResult",
    "add_signature",
    "b64url_decode",
    "b64url_encode",
    "check_canonical",
    "dumps",
    "generate_private_key",
    "is_canonical",
    "iter_lines",
    "load_private_key",
    "loads",
    "passphrase_from_env",
    "prompt_passphrase",
    "save_private_key",
    "verify_signatures",
    "write_atomic",
    "write_lines",
]

#: Signature primitives no longer offered at this level, with their home.
_MOVED = {"sign": "jws.sign", "parse": "jws.parse", "verify": "jws.verify"}


def __getattr__(name: str) -> Any:
    # format.sign / format.parse / format.verify read like a list's signing and
    # verification but check signatures only; the old names still work, with a warning.
    if name in _MOVED:
        from antifraud_common.format import jws

        warnings.warn(
            f"antifraud_common.format.{name} checks JWS signatures only (no scope, expiry or "
            f"rollback); import it as antifraud_common.format.{_MOVED[name]}, and verify "
            "lists with antifraud_common.exchange.signing.verify_list",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(jws, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
