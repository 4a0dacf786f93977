"""Signing keys: public JWKs, RFC 7638 key ids, signers and private key files.

Two algorithms are supported, named as in JOSE:

* ``Ed25519`` (RFC 8032; JWK ``kty: OKP``, ``crv: Ed25519`` per RFC 8037; the JWS
  ``alg`` name ``Ed25519`` per RFC 9864; the deprecated ``EdDSA`` is accepted on
  verification for Ed25519 keys) -- required;
* ``ES256`` (ECDSA P-256 with SHA-256, RFC 7518 §3.4; JWK ``kty: EC``,
  ``crv: P-256``; signatures are the 64-byte ``r || s``, not DER) -- for HSMs that
  lack Ed25519.

A :class:`PublicKey` is built only from checked input (:meth:`PublicKey.from_jwk`
is strict: no private members, no unknown members, points on the curve, no
Ed25519 point of small order or with a non-canonical encoding). Its
:meth:`~PublicKey.thumbprint` (RFC 7638, SHA-256, base64url) is the ``kid`` used
everywhere. The verification algorithm comes from the key, never from a header.

Signing goes through the :class:`Signer` protocol, so an HSM or a KMS can sign
without the library touching the private key; :class:`LocalSigner` signs with a
key held in memory. Private keys are stored as passphrase-encrypted PKCS#8 PEM
files with mode 0600 (:func:`save_private_key`, :func:`load_private_key`).

RFC 8037 Appendix A.3 (thumbprint of the A.2 public key):

>>> key = PublicKey.from_jwk(
...     {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
... )
>>> key.thumbprint()
'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
>>> signer = LocalSigner.generate(Algorithm.ES256)
>>> signer.public_key.verify(signer.sign(b"data"), b"data")
True
>>> PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": "AA"})
Traceback (most recent call last):
...
antifraud_common.errors.BlacklistFormatError: Ed25519 'x' must be 32 bytes
"""

from __future__ import annotations

import base64
import enum
import getpass
import hashlib
import json
import os
import re
import secrets
import stat
from collections.abc import Mapping
from typing import Final, Protocol, TypeAlias, cast, runtime_checkable

import attrs
from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from antifraud_common._files import write_output
from antifraud_common.errors import (
    BlacklistFormatError,
    ConfigurationError,
    FileAccessError,
    WeakKeyError,
)
from antifraud_common.format import _ed25519, canonical

__all__ = [
    "KEY_FILE_FORMAT",
    "MAX_KEY_FILE_BYTES",
    "PASSPHRASE_ENV",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "Algorithm",
    "KeyFileFormat",
    "LocalSigner",
    "PrivateKey",
    "PublicKey",
    "Signer",
    "b64url_decode",
    "b64url_encode",
    "check_signature_encoding",
    "generate_private_key",
    "load_private_key",
    "passphrase_from_env",
    "prompt_passphrase",
    "save_private_key",
]

#: Environment variable read by :func:`passphrase_from_env` by default.
PASSPHRASE_ENV = "ANTIFRAUD_PASSPHRASE"  # noqa: S105 - a variable name, not a secret

#: A private key object of ``cryptography``: Ed25519, or ECDSA on P-256.
PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# Members that only a private (or symmetric) JWK has.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# Optional public metadata accepted (and checked) by from_jwk.
_OPTIONAL_MEMBERS = frozenset({"kid", "alg", "use"})


# ------------------------------------------------------------------ base64url


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding (RFC 7515 §2).

    >>> b64url_encode(b"\\xfb\\xff")
    '-_8'
    """
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, code: str = "base64url") -> bytes:
    """Decode strict base64url without padding; raise :class:`BlacklistFormatError`.

    Refused: padding ``=``, characters outside ``A-Z a-z 0-9 - _`` (including
    whitespace), an impossible length, and non-zero unused trailing bits (so each
    byte string has exactly one accepted encoding). ``code`` is the error code.

    >>> b64url_decode("-_8")
    b'\\xfb\\xff'
    >>> b64url_decode("-_9")
    Traceback (most recent call last):
    ...
    antifraud_common.errors.BlacklistFormatError: non-canonical base64url (unused bits set)
    """
    untyped: object = text  # callers pass parsed JSON: check the type at run time
    if not isinstance(untyped, str) or _B64URL.fullmatch(untyped) is None:
        raise BlacklistFormatError("invalid base64url characters or padding", code=code)
    if len(text) % 4 == 1:
        raise BlacklistFormatError("invalid base64url length", code=code)
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(raw) != text:
        raise BlacklistFormatError("non-canonical base64url (unused bits set)", code=code)
    return raw


# ------------------------------------------------------------------ algorithm


class Algorithm(enum.Enum):
    """A signature algorithm; :attr:`jws_name` is its JWS ``alg`` value.

    >>> Algorithm.ED25519.jws_name, Algorithm.from_jws_name("EdDSA")
    ('Ed25519', <Algorithm.ED25519: 'ed25519'>)
    """

    ED25519 = "ed25519"
    ES256 = "es256"

    @property
    def jws_name(self) -> str:
        """The fully specified JWS ``alg`` name written in headers."""
        return _JWS_NAMES[self]

    @property
    def signature_size(self) -> int:
        """Length of a signature in bytes (64 for both)."""
        return 64

    @classmethod
    def from_jws_name(cls, name: str) -> Algorithm:
        """Map a JWS ``alg`` (``Ed25519``, legacy ``EdDSA``, ``ES256``) to an algorithm.

        Anything else, including ``none`` and the HMAC algorithms, raises
        :class:`BlacklistFormatError` (``jws_alg_none`` or ``jws_alg_unsupported``).
        """
        if name == "none":
            raise BlacklistFormatError("alg 'none' is not allowed", code="jws_alg_none")
        try:
            return _FROM_JWS[name]
        except (KeyError, TypeError):
            raise BlacklistFormatError(
                "unsupported JWS alg (allowed: Ed25519, EdDSA, ES256)", code="jws_alg_unsupported"
            ) from None


_JWS_NAMES = {Algorithm.ED25519: "Ed25519", Algorithm.ES256: "ES256"}
_FROM_JWS = {"Ed25519": Algorithm.ED25519, "EdDSA": Algorithm.ED25519, "ES256": Algorithm.ES256}


def generate_private_key(alg: Algorithm) -> PrivateKey:
    """Generate a new private key for ``alg`` (a ``cryptography`` key object)."""
    if alg is Algorithm.ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def _algorithm_of(key: object) -> Algorithm:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return Algorithm.ED25519
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return Algorithm.ES256
        raise ConfigurationError(
            f"unsupported elliptic curve {key.curve.name} (only P-256)", code="key_unsupported"
        )
    raise ConfigurationError(
        f"unsupported key type {type(key).__name__} (Ed25519 or P-256 only)",
        code="key_unsupported",
    )


# ----------------------------------------------------------------- public key


def _jwk_bytes(jwk: Mapping[str, object], name: str, size: int, what: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise BlacklistFormatError(f"{what} {name!r} must be a string", code="jwk_invalid")
    raw = b64url_decode(value, code="jwk_invalid")
    if len(raw) != size:
        raise BlacklistFormatError(f"{what} {name!r} must be {size} bytes", code="jwk_invalid")
    return raw


def _check_ed25519_key(x: bytes) -> None:
    problem = _ed25519.key_problem(x)
    if problem == "not-on-curve":
        raise BlacklistFormatError(
            "the Ed25519 'x' is not a point of the curve", code="jwk_invalid"
        )
    if problem is not None:
        raise WeakKeyError(
            f"refused Ed25519 public key: the point is {problem} "
            "(a signature with it could be forged)",
            code="weak_key",
        )


def p256_public_key(x: bytes, y: bytes | None) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of the JWK coordinates ``x`` and ``y`` (32 bytes each, a point
    of the curve); raise ``jwk_invalid`` otherwise. Signing and encryption keys alike."""
    if len(x) != 32 or y is None or len(y) != 32:
        raise BlacklistFormatError("P-256 'x' and 'y' must be 32 bytes", code="jwk_invalid")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except ValueError as e:
        raise BlacklistFormatError("the point is not on the P-256 curve", code="jwk_invalid") from e


def check_signature_encoding(algorithm: Algorithm, signature: bytes) -> None:
    """Refuse a signature no honest signer produces, before any key is consulted.

    Ed25519 ``R || S``: ``R`` canonical and not of small order (``S < L`` is part
    of :meth:`PublicKey.verify`: that check needs the key's algorithm, which
    for a signature not yet matched to a key is only the header's claim);
    ES256 ``r || s``: ``0 < r, s < n``. Raises
    :class:`~antifraud_common.errors.WeakKeyError` (``weak_signature``); the
    length must already be 64 bytes.

    >>> check_signature_encoding(Algorithm.ED25519, bytes([1]) + bytes(63))
    Traceback (most recent call last):
    ...
    antifraud_common.errors.WeakKeyError: weak Ed25519 signature: R is small-order
    """
    if algorithm is Algorithm.ED25519:
        problem = _ed25519.signature_problem(signature)
        if problem is not None:
            raise WeakKeyError(f"weak Ed25519 signature: {problem}", code="weak_signature")
        return
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        raise WeakKeyError(
            "weak ES256 signature: r and s must be in 1 .. n-1", code="weak_signature"
        )


@attrs.frozen(kw_only=True)
class PublicKey:
    """A validated Ed25519 or P-256 public key.

    ``x`` (and ``y`` for P-256) are the raw JWK coordinates. Build one with
    :meth:`from_jwk` or :meth:`from_cryptography`; direct construction validates too.
    Equality compares algorithm and coordinates.
    """

    algorithm: Algorithm
    x: bytes = attrs.field(repr=False)
    y: bytes | None = attrs.field(default=None, repr=False)
    _key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey = attrs.field(
        init=False, eq=False, repr=False
    )
    key_id: str = attrs.field(init=False, eq=False)

    def __attrs_post_init__(self) -> None:
        key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
        if self.algorithm is Algorithm.ED25519:
            if len(self.x) != 32 or self.y is not None:
                raise BlacklistFormatError("Ed25519 'x' must be 32 bytes", code="jwk_invalid")
            _check_ed25519_key(self.x)
            key = ed25519.Ed25519PublicKey.from_public_bytes(self.x)
            members = {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(self.x)}
        else:
            key = p256_public_key(self.x, self.y)
            assert self.y is not None  # refused above when missing
            members = {
                "crv": "P-256",
                "kty": "EC",
                "x": b64url_encode(self.x),
                "y": b64url_encode(self.y),
            }
        object.__setattr__(self, "_key", key)
        thumb = b64url_encode(hashlib.sha256(canonical.dumps(members)).digest())
        object.__setattr__(self, "key_id", thumb)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, object]) -> PublicKey:
        """Build a key from a public JWK (RFC 7517/7518/8037), strictly.

        Required: ``kty: OKP, crv: Ed25519, x`` or ``kty: EC, crv: P-256, x, y``.
        Optional and checked: ``kid`` (must equal the thumbprint), ``alg`` (must
        match the key), ``use`` (must be ``sig``). Refused with
        :class:`BlacklistFormatError`: private members (``jwk_private_member``),
        any other member or unknown ``kty``/``crv`` (``jwk_unsupported``), bad
        coordinates or a point off the curve (``jwk_invalid``), an Ed25519 point
        of small order or with a non-canonical encoding
        (:class:`~antifraud_common.errors.WeakKeyError`, ``weak_key``), a
        mismatching ``kid``/``alg``/``use`` (``jwk_mismatch``). The input is not
        modified.
        """
        if not isinstance(jwk, Mapping):
            raise BlacklistFormatError("a JWK must be a JSON object", code="jwk_invalid")
        names = set(jwk)
        if names & _PRIVATE_MEMBERS:
            raise BlacklistFormatError(
                "the JWK holds private key material", code="jwk_private_member"
            )
        kty, crv = jwk.get("kty"), jwk.get("crv")
        if kty == "OKP" and crv == "Ed25519":
            required = {"kty", "crv", "x"}
            key = cls(algorithm=Algorithm.ED25519, x=_jwk_bytes(jwk, "x", 32, "Ed25519"))
        elif kty == "EC" and crv == "P-256":
            required = {"kty", "crv", "x", "y"}
            key = cls(
                algorithm=Algorithm.ES256,
                x=_jwk_bytes(jwk, "x", 32, "P-256"),
                y=_jwk_bytes(jwk, "y", 32, "P-256"),
            )
        else:
            raise BlacklistFormatError(
                "unsupported key type (OKP/Ed25519 or EC/P-256 only)", code="jwk_unsupported"
            )
        missing = required - names
        if missing:  # pragma: no cover - _jwk_bytes already refused a missing member
            raise BlacklistFormatError("missing JWK member", code="jwk_invalid")
        unknown = names - required - _OPTIONAL_MEMBERS
        if unknown:
            raise BlacklistFormatError(
                f"unsupported JWK members: {', '.join(sorted(map(str, unknown)))}",
                code="jwk_unsupported",
            )
        if "kid" in jwk and jwk["kid"] != key.key_id:
            raise BlacklistFormatError(
                "the JWK 'kid' is not its RFC 7638 thumbprint", code="jwk_mismatch"
            )
        if "alg" in jwk:
            alg = jwk["alg"]
            ok = (
                alg in ("Ed25519", "EdDSA")
                if key.algorithm is Algorithm.ED25519
                else alg == "ES256"
            )
            if not ok:
                raise BlacklistFormatError(
                    "the JWK 'alg' does not fit the key", code="jwk_mismatch"
                )
        if "use" in jwk and jwk["use"] != "sig":
            raise BlacklistFormatError("the JWK 'use' must be 'sig'", code="jwk_mismatch")
        return key

    @classmethod
    def from_cryptography(
        cls, key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | PrivateKey
    ) -> PublicKey:
        """Build from a ``cryptography`` public (or private) key object."""
        if isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
            key = key.public_key()
        alg = _algorithm_of(key)
        if isinstance(key, ed25519.Ed25519PublicKey):
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return cls(algorithm=alg, x=raw)
        point = key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return cls(algorithm=alg, x=point[1:33], y=point[33:65])

    def to_jwk(self, *, include_kid: bool = False) -> dict[str, str]:
        """Return the public JWK: required members only (plus ``kid`` if asked).

        >>> k = PublicKey.from_jwk(
        ...     {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        ... )
        >>> k.to_jwk()
        {'crv': 'Ed25519', 'kty': 'OKP', 'x': '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'}
        """
        if self.algorithm is Algorithm.ED25519:
            jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(self.x)}
        else:
            assert self.y is not None
            jwk = {
                "crv": "P-256",
                "kty": "EC",
                "x": b64url_encode(self.x),
                "y": b64url_encode(self.y),
            }
        if include_kid:
            jwk["kid"] = self.key_id
        return jwk

    def thumbprint(self) -> str:
        """Return the RFC 7638 JWK thumbprint (SHA-256, base64url): the ``kid``."""
        return self.key_id

    def to_cryptography(self) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
        """Return the ``cryptography`` public key object."""
        return self._key

    def to_pem(self) -> bytes:
        """Return the SubjectPublicKeyInfo PEM (for OpenSSL and other tools)."""
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Return whether ``signature`` is valid over ``data``; never raises.

        The algorithm is this key's own. A signature that
        :func:`check_signature_encoding` refuses (an Ed25519 ``R`` of small order
        or non-canonical; an ES256 ``r`` or ``s`` outside ``1 .. n-1``) never
        verifies, nor does an Ed25519 signature with ``S >= L``.
        """
        untyped: object = signature
        if not isinstance(untyped, bytes) or len(untyped) != 64:
            return False
        try:
            check_signature_encoding(self.algorithm, signature)
            if isinstance(self._key, ed25519.Ed25519PublicKey):
                if not _ed25519.scalar_is_reduced(signature[32:]):
                    return False
                self._key.verify(signature, data)
            else:
                r = int.from_bytes(signature[:32], "big")
                s = int.from_bytes(signature[32:], "big")
                self._key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError, TypeError, WeakKeyError):
            return False
        return True


# -------------------------------------------------------------------- signers


@runtime_checkable
class Signer(Protocol):
    """Anything that signs with one key: a local key, an HSM, a KMS.

    ``sign`` returns the raw JWS signature: 64 bytes for Ed25519, ``r || s``
    (32 + 32 bytes, big-endian) for ES256 -- not DER.
    """

    @property
    def key_id(self) -> str:
        """The RFC 7638 thumbprint of :attr:`public_key`."""
        ...

    @property
    def algorithm(self) -> Algorithm:
        """The signature algorithm."""
        ...

    @property
    def public_key(self) -> PublicKey:
        """The public half of the signing key."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Return the signature over ``data``."""
        ...


class LocalSigner:
    """A :class:`Signer` holding a ``cryptography`` private key in memory.

    The repr shows the key id only.

    >>> s = LocalSigner.generate(Algorithm.ED25519)
    >>> len(s.sign(b"x")), s.algorithm
    (64, <Algorithm.ED25519: 'ed25519'>)
    """

    __slots__ = ("_algorithm", "_private_key", "_public_key")

    def __init__(self, private_key: PrivateKey) -> None:
        self._algorithm = _algorithm_of(private_key)
        self._private_key = private_key
        self._public_key = PublicKey.from_cryptography(private_key.public_key())

    @classmethod
    def generate(cls, alg: Algorithm = Algorithm.ED25519) -> LocalSigner:
        """Return a signer with a freshly generated key."""
        return cls(generate_private_key(alg))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, passphrase: bytes | None) -> LocalSigner:
        """Return a signer for the key in a key file (see :func:`load_private_key`).

        ``passphrase`` is ``bytes`` (or ``None`` for a clear key); a ``str`` raises
        :class:`TypeError`, never a misleading ``key_wrong_passphrase``.
        """
        return cls(load_private_key(path, passphrase=passphrase))

    @property
    def key_id(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        return self._public_key.key_id

    @property
    def algorithm(self) -> Algorithm:
        """The signature algorithm of the key."""
        return self._algorithm

    @property
    def public_key(self) -> PublicKey:
        """The public half of the key."""
        return self._public_key

    @property
    def private_key(self) -> PrivateKey:
        """The ``cryptography`` private key (for saving it)."""
        return self._private_key

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``: Ed25519, or ES256 as 64-byte ``r || s``."""
        key = self._private_key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self) -> str:
        return f"LocalSigner(algorithm={self._algorithm.jws_name}, key_id={self.key_id!r})"


# ------------------------------------------------------------ key file storage


#: ``format`` of the scrypt + AES-256-GCM key file (``docs/spec/key-file.md``).
KEY_FILE_FORMAT: Final = "antifraud-encrypted-key"
#: scrypt cost parameters written into new key files: N = 2**17, r = 8, p = 1
#: (128 MiB of memory per derivation).
SCRYPT_N: Final = 2**17
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
_SALT_BYTES: Final = 16
_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
# What a key file may ask of the reader: at least N = 2**14, at most 256 MiB of memory.
_SCRYPT_MIN_N: Final = 2**14
_SCRYPT_MAX_MEMORY: Final = 256 * 1024 * 1024
_SEALED_MEMBERS: Final = frozenset(
    {
        "alg",
        "cipher",
        "ciphertext",
        "format",
        "format_version",
        "kdf",
        "key_id",
        "nonce",
        "salt",
        "scrypt_n",
        "scrypt_p",
        "scrypt_r",
    }
)


class KeyFileFormat(enum.Enum):
    """How :func:`save_private_key` encrypts a private key file."""

    #: The library's key file: scrypt (memory-hard) and AES-256-GCM, in JSON
    #: (``docs/spec/key-file.md``). The default.
    SCRYPT = "scrypt"
    #: Encrypted PKCS#8 PEM as ``cryptography`` writes it (PBKDF2-HMAC-SHA256
    #: with 2,048 iterations and AES-256-CBC): readable by OpenSSL, far cheaper
    #: to attack. For tools that need PKCS#8.
    PKCS8 = "pkcs8"


def _scrypt(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def _seal(key: PrivateKey, passphrase: bytes) -> bytes:
    """The scrypt + AES-256-GCM key file of ``key`` (see ``docs/spec/key-file.md``)."""
    public = PublicKey.from_cryptography(key)
    salt = secrets.token_bytes(_SALT_BYTES)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    header: dict[str, object] = {
        "alg": public.algorithm.jws_name,
        "cipher": "A256GCM",
        "format": KEY_FILE_FORMAT,
        "format_version": 1,
        "kdf": "scrypt",
        "key_id": public.key_id,
        "nonce": b64url_encode(nonce),
        "salt": b64url_encode(salt),
        "scrypt_n": SCRYPT_N,
        "scrypt_p": SCRYPT_P,
        "scrypt_r": SCRYPT_R,
    }
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    secret = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    sealed = AESGCM(secret).encrypt(nonce, der, canonical.dumps(header))
    return canonical.dumps({**header, "ciphertext": b64url_encode(sealed)}) + b"\n"


def _sealed_doc(data: bytes) -> dict[str, object] | None:
    """The parsed document if ``data`` is a scrypt key file, else ``None``."""
    if not data.lstrip().startswith(b"{"):
        return None
    try:
        doc = canonical.loads(data, max_bytes=MAX_KEY_FILE_BYTES)
    except BlacklistFormatError:
        return None
    if isinstance(doc, dict) and doc.get("format") == KEY_FILE_FORMAT:
        return doc
    return None


def _open_sealed(doc: dict[str, object], passphrase: bytes) -> PrivateKey:
    """Decrypt a scrypt key file; every refusal is a :class:`ConfigurationError`."""

    def bad(why: str) -> ConfigurationError:
        return ConfigurationError(f"damaged key file: {why}", code="key_file_invalid")

    if set(doc) != _SEALED_MEMBERS:
        raise bad("unexpected or missing members")
    if doc["format_version"] != 1:
        raise ConfigurationError(
            f"key file format version {doc['format_version']!r} is not supported",
            code="key_unsupported",
        )
    if doc["kdf"] != "scrypt" or doc["cipher"] != "A256GCM":
        raise ConfigurationError("unsupported key file encryption", code="key_unsupported")
    n, r, p = doc["scrypt_n"], doc["scrypt_r"], doc["scrypt_p"]
    if not all(type(v) is int for v in (n, r, p)):
        raise bad("scrypt parameters must be integers")
    assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
    if (
        n < _SCRYPT_MIN_N
        or n & (n - 1)
        or not 1 <= r <= 32
        or not 1 <= p <= 16
        or 128 * n * r > _SCRYPT_MAX_MEMORY
    ):
        raise ConfigurationError(
            f"scrypt parameters N={n}, r={r}, p={p} are outside what is accepted "
            f"(N a power of two of at least {_SCRYPT_MIN_N}, 128*N*r at most 256 MiB)",
            code="key_unsupported",
        )
    try:
        alg = Algorithm.from_jws_name(str(doc["alg"]))
        salt = b64url_decode(cast(str, doc["salt"]))
        nonce = b64url_decode(cast(str, doc["nonce"]))
        sealed = b64url_decode(cast(str, doc["ciphertext"]))
    except BlacklistFormatError as e:
        raise bad(e.message) from None
    if not 16 <= len(salt) <= 64 or len(nonce) != _NONCE_BYTES or len(sealed) <= _TAG_BYTES:
        raise bad("salt, nonce or ciphertext of the wrong length")
    header = {k: v for k, v in doc.items() if k != "ciphertext"}
    secret = _scrypt(passphrase, salt, n, r, p)
    try:
        der = AESGCM(secret).decrypt(nonce, sealed, canonical.dumps(header))
    except InvalidTag:
        raise ConfigurationError(
            "wrong passphrase or damaged key file", code="key_wrong_passphrase"
        ) from None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise bad("the decrypted key is not PKCS#8") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise ConfigurationError("unsupported key type", code="key_unsupported")
    public = PublicKey.from_cryptography(key)
    if public.algorithm is not alg or public.key_id != doc["key_id"]:
        raise bad("the key does not match its 'alg' and 'key_id'")
    return key


def save_private_key(
    path: str | os.PathLike[str],
    key: PrivateKey,
    *,
    passphrase: bytes | None,
    allow_unencrypted: bool = False,
    overwrite: bool = False,
    key_format: KeyFileFormat | str = KeyFileFormat.SCRYPT,
) -> None:
    """Write ``key`` encrypted with ``passphrase``, mode 0600.

    ``key_format`` :attr:`KeyFileFormat.SCRYPT` (the default) writes the
    library's key file: scrypt with N = 2**17, r = 8, p = 1 and AES-256-GCM
    (``docs/spec/key-file.md``); :attr:`KeyFileFormat.PKCS8` writes encrypted
    PKCS#8 PEM for tools that need it (its PBKDF2 has only 2,048 iterations).
    An unencrypted key is always PKCS#8 PEM.

    The file is written to a new temporary file in the same directory (created
    with ``O_CREAT | O_EXCL`` and mode 0600), flushed to disk and then moved into
    place, so a crash never leaves a partial key. An existing file is kept
    (``key_file_exists``) unless ``overwrite``. Without a passphrase the key is
    refused (``key_unencrypted_refused``) unless ``allow_unencrypted=True``. Errors
    are :class:`~antifraud_common.errors.ConfigurationError`.
    """
    _algorithm_of(key)
    if passphrase is None:
        if not allow_unencrypted:
            raise ConfigurationError(
                "refusing to store a private key unencrypted (pass allow_unencrypted=True)",
                code="key_unencrypted_refused",
            )
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    elif not isinstance(untyped := cast(object, passphrase), bytes) or not untyped:
        raise ConfigurationError("the passphrase must be non-empty bytes", code="key_passphrase")
    else:
        try:
            chosen = KeyFileFormat(key_format)
        except ValueError:
            raise ConfigurationError(
                f"unknown key file format {key_format!r}", code="key_unsupported"
            ) from None
        if chosen is KeyFileFormat.SCRYPT:
            write_secret_file(path, _seal(key, passphrase), overwrite=overwrite)
            return
        encryption = serialization.BestAvailableEncryption(passphrase)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    write_secret_file(path, pem, overwrite=overwrite)


def write_secret_file(path: str | os.PathLike[str], data: bytes, *, overwrite: bool) -> None:
    """Write a secret (a private or domain key) with mode 0600, atomically.

    A new temporary file in the same directory, created with ``O_CREAT |
    O_EXCL`` and mode 0600, is flushed to disk and then linked into place (so an
    existing file is never replaced unless ``overwrite``: ``key_file_exists``),
    and the directory entry is made durable. A FIFO, device or any other
    non-regular path is refused, never renamed over
    (:class:`~antifraud_common.errors.FileAccessError` ``not_a_regular_file``).
    """
    try:
        write_output(path, [data], mode=0o600, streams=False, exclusive=not overwrite)
    except FileAccessError as e:
        if e.code == "file_exists":
            raise ConfigurationError(f"{path} already exists", code="key_file_exists") from None
        raise


#: Largest private key file read (an encrypted P-256 PKCS#8 PEM is under 1 KiB).
MAX_KEY_FILE_BYTES: Final = 64 * 1024


def _read_key_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a key file: a regular file of at most :data:`MAX_KEY_FILE_BYTES`.

    Opened without blocking (a FIFO given by mistake must not hang) and checked
    with ``fstat`` on the opened file, so a directory, a device or a FIFO is
    refused (``key_file_invalid``) before anything is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise ConfigurationError(f"no key file at {path}", code="key_file_missing") from None
    except OSError as e:
        raise ConfigurationError(
            f"cannot open the key file {path}: {e.strerror}", code="key_file_unreadable"
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigurationError(
                f"{path} is not a regular file (a directory, device or FIFO)",
                code="key_file_invalid",
            )
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as e:
        raise ConfigurationError(
            f"cannot read the key file {path}: {e.strerror}", code="key_file_unreadable"
        ) from None
    finally:
        os.close(fd)
    if len(data) > MAX_KEY_FILE_BYTES:
        raise ConfigurationError(
            f"{path} is larger than a key file can be ({MAX_KEY_FILE_BYTES} bytes)",
            code="key_file_invalid",
        )
    return data


def _is_public_key(data: bytes) -> bool:
    """Whether ``data`` is a public key: a PEM public key, or a JWK without private members."""
    if b"-----BEGIN PUBLIC KEY-----" in data:
        return True
    try:
        doc = json.loads(data)
    except ValueError:
        return False
    if isinstance(doc, dict) and isinstance(doc.get("keys"), list):
        return True  # a JWK set: public keys are exchanged that way
    return isinstance(doc, dict) and "kty" in doc and not set(doc) & _PRIVATE_MEMBERS


def _check_passphrase_type(passphrase: object) -> None:
    if passphrase is not None and not isinstance(passphrase, bytes):
        hint = ' (encode it: "secret".encode())' if isinstance(passphrase, str) else ""
        raise TypeError(f"passphrase must be bytes or None, not {type(passphrase).__name__}{hint}")


def load_private_key(path: str | os.PathLike[str], *, passphrase: bytes | None) -> PrivateKey:
    """Read a private key file written by :func:`save_private_key` (or OpenSSL).

    Both the scrypt key file (``docs/spec/key-file.md``) and PKCS#8 PEM
    (encrypted or not, as OpenSSL and earlier releases write it) are read.

    Raises :class:`~antifraud_common.errors.ConfigurationError`: ``key_file_missing``,
    ``key_file_unreadable``, ``key_file_invalid`` (also: not a regular file, or
    larger than :data:`MAX_KEY_FILE_BYTES`), ``key_is_public`` (a public PEM or
    JWK given where the private key is needed), ``key_passphrase_required``
    (encrypted, no passphrase), ``key_wrong_passphrase``, ``key_not_encrypted``
    (a passphrase was given for a clear key: it should be encrypted),
    ``key_unsupported``. Messages never include
    key material, and the underlying exception is not chained.

    A passphrase that is not ``bytes`` (a ``str`` in particular) raises
    :class:`TypeError` before the file is read: it is a programming error, not a
    wrong passphrase.

    >>> load_private_key("mps.pem", passphrase="secret")
    Traceback (most recent call last):
    TypeError: passphrase must be bytes or None, not str (encode it: "secret".encode())
    """
    _check_passphrase_type(passphrase)
    data = _read_key_file(path)
    sealed = _sealed_doc(data)
    if sealed is not None:
        if passphrase is None:
            raise ConfigurationError(
                "the key file is encrypted: a passphrase is needed",
                code="key_passphrase_required",
            )
        return _open_sealed(sealed, passphrase)
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    if not encrypted and _is_public_key(data):
        raise ConfigurationError(
            f"{path} holds a public key; a private key file is needed here",
            code="key_is_public",
        )
    if encrypted and passphrase is None:
        raise ConfigurationError(
            "the key file is encrypted: a passphrase is needed", code="key_passphrase_required"
        )
    if not encrypted and passphrase is not None:
        raise ConfigurationError(
            "a passphrase was given but the key file is not encrypted", code="key_not_encrypted"
        )
    # ``from None``: the library's own exception adds nothing and must not drag
    # parsing state of a key file into logs.
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError):
        if encrypted:
            raise ConfigurationError(
                "wrong passphrase or damaged key file", code="key_wrong_passphrase"
            ) from None
        raise ConfigurationError("not a PEM private key", code="key_file_invalid") from None
    except UnsupportedAlgorithm:
        raise ConfigurationError(
            "unsupported key encryption or type", code="key_unsupported"
        ) from None
    _algorithm_of(key)
    assert isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey)
    return key


def passphrase_from_env(var: str = PASSPHRASE_ENV) -> bytes | None:
    """Return the passphrase in environment variable ``var`` (UTF-8), or ``None``.

    An empty value counts as unset.

    >>> passphrase_from_env("ANTIFRAUD_SURELY_UNSET_VARIABLE") is None
    True
    """
    value = os.environ.get(var)
    return value.encode("utf-8") if value else None


def prompt_passphrase(prompt: str = "Passphrase: ", *, confirm: bool = False) -> bytes:
    """Ask for a passphrase on the terminal (no echo); optionally ask twice.

    Raises :class:`~antifraud_common.errors.ConfigurationError` for an empty
    passphrase (``key_passphrase``) or a mismatch (``passphrase_mismatch``).
    """
    first = getpass.getpass(prompt)
    if not first:
        raise ConfigurationError("empty passphrase", code="key_passphrase")
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise ConfigurationError("the passphrases differ", code="passphrase_mismatch")
    return first.encode("utf-8")
