"""The signature envelope: JWS (RFC 7515) General JSON Serialization, attached payload.

One envelope carries one payload (the exact bytes that were signed, base64url) and
one or more signatures, so k-of-n co-signing needs no other format::

    {"payload":"<b64url>","signatures":[{"protected":"<b64url>","signature":"<b64url>"}, ...]}

Each protected header is the canonical JSON ``{"alg":…,"kid":…,"typ":…}`` with
``alg`` ``Ed25519`` (RFC 9864) or ``ES256`` and ``kid`` the RFC 7638 thumbprint of
the signing key. The signing input is RFC 7515's ``protected || "." || payload``
(both base64url, ASCII). No unprotected ``header``, no ``crit``, no ``b64``.

Verification is split the way python-tuf splits it: :func:`parse` checks the
structure strictly (raising :class:`~antifraud_common.errors.BlacklistFormatError`),
:func:`verify_signatures` returns a :class:`VerificationResult` that never raises,
and :func:`verify` applies a threshold and returns the payload only when it is met
(raising :class:`~antifraud_common.errors.SignatureError` or
:class:`~antifraud_common.errors.ThresholdError`). The verifying
algorithm is always the trusted key's; the header's ``alg`` must agree with it.
Format specification: ``docs/spec/envelope.md``.

>>> from antifraud_common.format.keys import LocalSigner
>>> alice, bob = LocalSigner.generate(), LocalSigner.generate()
>>> env = sign(b'{"version":1}', [alice])
>>> env = add_signature(env, bob)
>>> keys = {k.key_id: k for k in (alice.public_key, bob.public_key)}
>>> verify(env, keys, threshold=2)
b'{"version":1}'
>>> verify_signatures(parse(env), {alice.key_id: alice.public_key}).valid_kids == {alice.key_id}
True
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Mapping, Sequence

import attrs

from antifraud_common.errors import (
    BlacklistFormatError,
    ConfigurationError,
    SignatureError,
    ThresholdError,
)
from antifraud_common.format import canonical
from antifraud_common.format.keys import (
    Algorithm,
    PublicKey,
    Signer,
    b64url_decode,
    b64url_encode,
    check_signature_encoding,
)

__all__ = [
    "DEFAULT_MAX_JWS_BYTES",
    "DEFAULT_MAX_SIGNATURES",
    "DEFAULT_TYP",
    "ParsedJWS",
    "ParsedSignature",
    "SignatureResult",
    "SignatureStatus",
    "VerificationResult",
    "add_signature",
    "parse",
    "sign",
    "verify",
    "verify_signatures",
]

#: ``typ`` written by :func:`sign` unless told otherwise.
DEFAULT_TYP = "antifraud-manifest+json"
#: Default size limit of an envelope, in bytes (8 MiB).
DEFAULT_MAX_JWS_BYTES = 8 * 1024 * 1024
#: Default limit on the number of signatures in one envelope.
DEFAULT_MAX_SIGNATURES = 32

_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
_REQUIRED_HEADER = ("alg", "kid", "typ")
_KID = re.compile(r"[A-Za-z0-9_-]{43}")
_TYP = re.compile(r"[\x21-\x7e]{1,255}")
_MAX_HEADER_BYTES = 1024


def _bad(message: str, code: str) -> BlacklistFormatError:
    return BlacklistFormatError(message, code=code)


# --------------------------------------------------------------------- models


@attrs.frozen(kw_only=True)
class ParsedSignature:
    """One signature of an envelope, structurally valid but not yet verified."""

    #: Position in the ``signatures`` array (0-based).
    index: int
    #: The protected header exactly as it appears (base64url).
    protected: str
    #: Header ``alg`` as written (``Ed25519``, ``EdDSA`` or ``ES256``).
    alg: str
    #: Header ``kid``: the RFC 7638 thumbprint of the claimed key.
    kid: str
    #: Header ``typ``.
    typ: str
    #: The raw signature bytes (64).
    signature: bytes = attrs.field(repr=False)

    @property
    def algorithm(self) -> Algorithm:
        """The algorithm named by the header."""
        return Algorithm.from_jws_name(self.alg)


@attrs.frozen(kw_only=True)
class ParsedJWS:
    """A structurally valid envelope. Nothing in :attr:`payload` is trusted yet."""

    #: The payload bytes (decoded).
    payload: bytes = attrs.field(repr=False)
    #: The payload as it appears in the envelope (base64url), part of every signing input.
    payload_b64: str = attrs.field(repr=False)
    signatures: tuple[ParsedSignature, ...]
    #: Key ids that appear on more than one signature (each key still counts once).
    duplicate_kids: frozenset[str]

    def signing_input(self, signature: ParsedSignature) -> bytes:
        """RFC 7515 §5.1 signing input: ``protected || '.' || payload`` (ASCII)."""
        return f"{signature.protected}.{self.payload_b64}".encode("ascii")

    @property
    def kids(self) -> tuple[str, ...]:
        """The key ids of the signatures, in order (duplicates kept)."""
        return tuple(s.kid for s in self.signatures)


class SignatureStatus(enum.Enum):
    """What verifying one signature found."""

    VALID = "valid"
    #: The key is trusted but the signature does not verify.
    INVALID = "invalid"
    #: The header ``alg`` does not fit the trusted key's algorithm.
    ALG_MISMATCH = "alg_mismatch"
    #: No trusted key has this ``kid``.
    UNKNOWN_KEY = "unknown_key"


@attrs.frozen(kw_only=True)
class SignatureResult:
    """The verdict on one signature."""

    index: int
    kid: str
    status: SignatureStatus


@attrs.frozen(kw_only=True)
class VerificationResult:
    """The verdict on every signature of an envelope; never raises.

    Each key counts once, however often it signed. The threshold policy is the
    caller's: use :meth:`count_valid`, :meth:`meets` or :meth:`require`.
    """

    results: tuple[SignatureResult, ...]
    #: Trusted keys with at least one valid signature.
    valid_kids: frozenset[str]
    #: Trusted keys with no valid signature (bad signature or ``alg`` mismatch).
    invalid_kids: frozenset[str]
    #: Key ids with no trusted key.
    unknown_kids: frozenset[str]
    #: Key ids used by more than one signature.
    duplicate_kids: frozenset[str]

    def count_valid(self, among: Collection[str] | None = None) -> int:
        """Number of distinct valid keys, optionally only those in ``among``."""
        if among is None:
            return len(self.valid_kids)
        return len(self.valid_kids & frozenset(among))

    def meets(self, threshold: int, among: Collection[str] | None = None) -> bool:
        """Whether at least ``threshold`` (>= 1) distinct keys signed validly."""
        if threshold < 1:
            raise ConfigurationError("a threshold must be at least 1", code="threshold_invalid")
        return self.count_valid(among) >= threshold

    def require(self, threshold: int, among: Collection[str] | None = None) -> None:
        """Raise unless :meth:`meets` holds.

        :class:`~antifraud_common.errors.SignatureError` (``signature_invalid``)
        when no trusted key verified at all, else
        :class:`~antifraud_common.errors.ThresholdError` (``threshold_not_met``).
        Both are :class:`~antifraud_common.errors.UntrustedBlacklistError`.
        """
        if self.meets(threshold, among):
            return
        found = self.count_valid(among)
        if found == 0:
            raise SignatureError("no valid signature from a trusted key")
        raise ThresholdError(
            f"{found} valid signature(s) from distinct trusted keys, {threshold} required"
        )


# -------------------------------------------------------------------- signing


def _sign_one(payload_b64: str, signer: Signer, typ: str) -> dict[str, str]:
    alg = signer.algorithm
    public = signer.public_key
    if public.algorithm is not alg or public.key_id != signer.key_id:
        raise ConfigurationError(
            "the signer's key id or algorithm does not match its public key",
            code="signer_mismatch",
        )
    header = {"alg": alg.jws_name, "kid": signer.key_id, "typ": typ}
    protected = b64url_encode(canonical.dumps(header))
    signing_input = f"{protected}.{payload_b64}".encode("ascii")
    signature = signer.sign(signing_input)
    # Check before publishing: a faulty HSM or a wrong key must not ship a
    # signature that every receiver will reject.
    if not public.verify(signature, signing_input):
        raise ConfigurationError(
            "the signer produced a signature that does not verify with its public key",
            code="signer_failed",
        )
    return {"protected": protected, "signature": b64url_encode(signature)}


def _check_typ(typ: str) -> None:
    untyped: object = typ
    if not isinstance(untyped, str) or _TYP.fullmatch(untyped) is None:
        raise ConfigurationError("typ must be 1-255 printable ASCII characters", code="typ_invalid")


def _finish(doc: dict[str, object], max_bytes: int) -> bytes:
    out = canonical.dumps(doc)
    if len(out) > max_bytes:
        raise ConfigurationError(
            f"the envelope would exceed {max_bytes} bytes and be refused by readers",
            code="jws_too_large",
        )
    return out


def sign(
    payload: bytes,
    signers: Sequence[Signer],
    *,
    typ: str = DEFAULT_TYP,
    max_bytes: int = DEFAULT_MAX_JWS_BYTES,
) -> bytes:
    """Sign ``payload`` with every signer; return the canonical JSON envelope.

    The payload is signed as given (callers pass canonical JSON). Signers must
    have distinct key ids. Each signature is verified before the envelope is
    returned. Errors are :class:`~antifraud_common.errors.ConfigurationError`
    (``no_signers``, ``duplicate_signer``, ``signer_mismatch``, ``signer_failed``,
    ``typ_invalid``, ``jws_too_large`` when the envelope would be larger than
    ``max_bytes``, which readers refuse by default).
    """
    untyped: object = payload
    if not isinstance(untyped, bytes):
        raise TypeError("the payload must be bytes")
    _check_typ(typ)
    if not signers:
        raise ConfigurationError("at least one signer is needed", code="no_signers")
    kids = [s.key_id for s in signers]
    if len(set(kids)) != len(kids):
        raise ConfigurationError("the same key signs twice", code="duplicate_signer")
    payload_b64 = b64url_encode(payload)
    sigs = [_sign_one(payload_b64, s, typ) for s in signers]
    return _finish({"payload": payload_b64, "signatures": sigs}, max_bytes)


def add_signature(
    jws: bytes,
    signer: Signer,
    *,
    typ: str | None = None,
    max_bytes: int = DEFAULT_MAX_JWS_BYTES,
    max_signatures: int = DEFAULT_MAX_SIGNATURES,
) -> bytes:
    """Co-sign: return ``jws`` with one more signature over the same payload.

    Existing signatures are kept byte for byte (they are not verified here: the
    co-signer should verify the payload first). ``typ`` defaults to the first
    signature's. A key that already signed is refused (``jws_duplicate_kid``), as
    is exceeding ``max_signatures`` (``jws_too_many_signatures``).
    """
    parsed = parse(jws, max_bytes=max_bytes, max_signatures=max_signatures)
    if signer.key_id in parsed.kids:
        raise BlacklistFormatError("this key has already signed", code="jws_duplicate_kid")
    if len(parsed.signatures) >= max_signatures:
        raise BlacklistFormatError(
            f"more than {max_signatures} signatures", code="jws_too_many_signatures"
        )
    use_typ = parsed.signatures[0].typ if typ is None else typ
    _check_typ(use_typ)
    sigs = [
        {"protected": s.protected, "signature": b64url_encode(s.signature)}
        for s in parsed.signatures
    ]
    sigs.append(_sign_one(parsed.payload_b64, signer, use_typ))
    return _finish({"payload": parsed.payload_b64, "signatures": sigs}, max_bytes)


# -------------------------------------------------------------------- parsing


def _parse_header(protected: str, index: int) -> tuple[str, str, str]:
    raw = b64url_decode(protected, code="jws_base64")
    header = canonical.loads(raw, max_bytes=_MAX_HEADER_BYTES, max_depth=2)
    if not isinstance(header, dict):
        raise _bad(f"signature {index}: the protected header is not an object", "jws_header")
    if "crit" in header:
        raise _bad(f"signature {index}: 'crit' is not supported", "jws_crit")
    unknown = set(header) - _HEADER_MEMBERS
    if unknown:
        raise _bad(
            f"signature {index}: unsupported header members: {', '.join(sorted(unknown))}",
            "jws_header_member",
        )
    for name in _REQUIRED_HEADER:
        if not isinstance(header.get(name), str):
            raise _bad(f"signature {index}: header {name!r} missing or not a string", "jws_header")
    alg, kid, typ = header["alg"], header["kid"], header["typ"]
    Algorithm.from_jws_name(alg)  # raises jws_alg_none / jws_alg_unsupported
    if _KID.fullmatch(kid) is None:
        raise _bad(f"signature {index}: 'kid' is not an RFC 7638 SHA-256 thumbprint", "jws_kid")
    if _TYP.fullmatch(typ) is None:
        raise _bad(f"signature {index}: invalid 'typ'", "jws_header")
    return alg, kid, typ


def parse(
    jws: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_JWS_BYTES,
    max_signatures: int = DEFAULT_MAX_SIGNATURES,
    typ: str | None = None,
) -> ParsedJWS:
    """Parse an envelope strictly; nothing is verified yet.

    ``jws`` must be strict profile JSON (see :func:`canonical.loads`; it need not be
    canonical) with exactly the members ``payload`` and ``signatures``; each
    signature exactly ``protected`` and ``signature``. All base64url is unpadded
    and canonical. Each protected header has exactly ``alg``, ``kid``, ``typ``;
    when ``typ`` is given every header must carry it. Raises
    :class:`~antifraud_common.errors.BlacklistFormatError` with a ``json_*`` code
    or one of ``jws_members``, ``jws_unprotected_header``, ``jws_no_signatures``,
    ``jws_too_many_signatures``, ``jws_base64``, ``jws_header``,
    ``jws_header_member``, ``jws_crit``, ``jws_alg_none``, ``jws_alg_unsupported``,
    ``jws_kid``, ``jws_typ``, ``jws_signature_length``; and
    :class:`~antifraud_common.errors.WeakKeyError` (``weak_signature``) for an
    Ed25519 signature whose ``R`` is of small order or non-canonical or whose
    ``S`` is not below ``L``, or an ES256 signature with ``r`` or ``s`` outside
    ``1 .. n-1`` (whatever key it claims, trusted or not).
    """
    doc = canonical.loads(jws, max_bytes=max_bytes, max_depth=4)
    if not isinstance(doc, dict) or set(doc) != {"payload", "signatures"}:
        raise _bad(
            "the envelope must be an object with exactly 'payload' and 'signatures'",
            "jws_members",
        )
    payload_b64, sig_list = doc["payload"], doc["signatures"]
    if not isinstance(payload_b64, str):
        raise _bad("'payload' must be a string", "jws_members")
    payload = b64url_decode(payload_b64, code="jws_base64")
    if not isinstance(sig_list, list):
        raise _bad("'signatures' must be an array", "jws_members")
    if not sig_list:
        raise _bad("no signatures", "jws_no_signatures")
    if len(sig_list) > max_signatures:
        raise _bad(f"more than {max_signatures} signatures", "jws_too_many_signatures")
    parsed: list[ParsedSignature] = []
    seen: set[str] = set()
    dups: set[str] = set()
    for index, item in enumerate(sig_list):
        if not isinstance(item, dict):
            raise _bad(f"signature {index} is not an object", "jws_members")
        if "header" in item:
            raise _bad(f"signature {index}: unprotected 'header' refused", "jws_unprotected_header")
        if set(item) != {"protected", "signature"}:
            raise _bad(
                f"signature {index} must have exactly 'protected' and 'signature'", "jws_members"
            )
        protected, sig_b64 = item["protected"], item["signature"]
        if not isinstance(protected, str) or not isinstance(sig_b64, str):
            raise _bad(f"signature {index}: members must be strings", "jws_members")
        alg, kid, sig_typ = _parse_header(protected, index)
        if typ is not None and sig_typ != typ:
            raise _bad(f"signature {index}: typ is not {typ!r}", "jws_typ")
        signature = b64url_decode(sig_b64, code="jws_base64")
        algorithm = Algorithm.from_jws_name(alg)
        if len(signature) != algorithm.signature_size:
            raise _bad(f"signature {index}: wrong signature length", "jws_signature_length")
        # Before any key is consulted: R = identity, S = 0 "verifies" every
        # message under a small-order key, and r = s = 0 fools some ECDSA code.
        check_signature_encoding(algorithm, signature)
        if kid in seen:
            dups.add(kid)
        seen.add(kid)
        parsed.append(
            ParsedSignature(
                index=index, protected=protected, alg=alg, kid=kid, typ=sig_typ, signature=signature
            )
        )
    return ParsedJWS(
        payload=payload,
        payload_b64=payload_b64,
        signatures=tuple(parsed),
        duplicate_kids=frozenset(dups),
    )


# --------------------------------------------------------------- verification


def _key_map(keys: Mapping[str, PublicKey] | Iterable[PublicKey]) -> dict[str, PublicKey]:
    if isinstance(keys, Mapping):
        out: dict[str, PublicKey] = {}
        for kid, key in keys.items():
            if key.key_id != kid:
                raise ConfigurationError(
                    "a trusted key is filed under a kid that is not its thumbprint",
                    code="key_id_mismatch",
                )
            out[kid] = key
        return out
    return {key.key_id: key for key in keys}


def verify_signatures(
    parsed: ParsedJWS, keys: Mapping[str, PublicKey] | Iterable[PublicKey]
) -> VerificationResult:
    """Check every signature of ``parsed`` against the trusted ``keys``; never raises.

    ``keys`` maps kid to key (each kid must be its key's thumbprint, else
    :class:`~antifraud_common.errors.ConfigurationError` ``key_id_mismatch``,
    a caller bug) or is an iterable of keys. A signature verifies only when a
    trusted key has its ``kid``, the header ``alg`` names that key's algorithm
    (``EdDSA`` is accepted for Ed25519) and the signature is valid with it.
    """
    trusted = _key_map(keys)
    results: list[SignatureResult] = []
    for sig in parsed.signatures:
        key = trusted.get(sig.kid)
        if key is None:
            status = SignatureStatus.UNKNOWN_KEY
        elif Algorithm.from_jws_name(sig.alg) is not key.algorithm:
            status = SignatureStatus.ALG_MISMATCH
        elif key.verify(sig.signature, parsed.signing_input(sig)):
            status = SignatureStatus.VALID
        else:
            status = SignatureStatus.INVALID
        results.append(SignatureResult(index=sig.index, kid=sig.kid, status=status))
    valid = frozenset(r.kid for r in results if r.status is SignatureStatus.VALID)
    known = frozenset(r.kid for r in results if r.status is not SignatureStatus.UNKNOWN_KEY)
    unknown = frozenset(r.kid for r in results if r.status is SignatureStatus.UNKNOWN_KEY)
    return VerificationResult(
        results=tuple(results),
        valid_kids=valid,
        invalid_kids=known - valid,
        unknown_kids=unknown,
        duplicate_kids=parsed.duplicate_kids,
    )


def verify(
    jws: bytes,
    keys: Mapping[str, PublicKey] | Iterable[PublicKey],
    *,
    threshold: int = 1,
    among: Collection[str] | None = None,
    typ: str | None = None,
    max_bytes: int = DEFAULT_MAX_JWS_BYTES,
    max_signatures: int = DEFAULT_MAX_SIGNATURES,
) -> bytes:
    """Parse, verify, require ``threshold`` distinct valid keys; return the payload.

    Raises :class:`~antifraud_common.errors.BlacklistFormatError` for a malformed
    envelope, :class:`~antifraud_common.errors.SignatureError`
    (``signature_invalid``) when no trusted key signed validly and
    :class:`~antifraud_common.errors.ThresholdError` (``threshold_not_met``) when
    too few did. Signatures by unknown keys are ignored.
    """
    parsed = parse(jws, max_bytes=max_bytes, max_signatures=max_signatures, typ=typ)
    verify_signatures(parsed, keys).require(threshold, among)
    return parsed.payload
