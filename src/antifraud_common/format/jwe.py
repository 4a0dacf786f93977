"""Encryption to one recipient: JWE (RFC 7516) with ECDH-ES (RFC 7518 §4.6) and A256GCM.

Case messages carry personal data (holder names, balances, transactions) over
channels the library does not control, so they are signed first (a JWS, see
:mod:`antifraud_common.format.jws`) and the signed envelope is then encrypted
to the recipient's *encryption* key, which is separate from its signing keys.

Profile (``docs/spec/cases.md``, "Encryption"):

* ``alg`` ``ECDH-ES`` (direct key agreement; no key wrapping, so the JWE
  Encrypted Key is empty), ``enc`` ``A256GCM`` (96-bit IV, 128-bit tag);
* the recipient key is X25519 (RFC 8037 §3.2, ``kty: OKP``) or P-256
  (``kty: EC``); the protected header carries the ephemeral public key
  ``epk``, the recipient key's RFC 7638 thumbprint as ``kid`` and
  ``cty`` (the media type of the plaintext);
* the content key is the Concat KDF of RFC 7518 §4.6.2 (SHA-256, AlgorithmID
  ``A256GCM``, empty PartyUInfo and PartyVInfo, 256 bits);
* the Additional Authenticated Data is the ASCII of the base64url protected
  header; compact serialization (five parts) is written, and the flattened
  JSON serialization is read as well.

Any failure to decrypt -- a wrong key, a changed byte, a malformed token --
raises one opaque :class:`~antifraud_common.errors.DecryptionError` that names
no part of the plaintext (as pyca/cryptography's Fernet does).

>>> key = EncryptionPrivateKey.generate()
>>> token = encrypt(b"secret", key.public_key)
>>> token.count(b".")
4
>>> decrypt(token, key)
b'secret'
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import struct
from collections.abc import Mapping
from typing import Any, Final

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from antifraud_common.errors import BlacklistFormatError, DecryptionError
from antifraud_common.format import canonical
from antifraud_common.format.keys import b64url_decode, b64url_encode, p256_public_key

__all__ = [
    "DEFAULT_CTY",
    "JWE_ALG",
    "JWE_ENC",
    "MAX_JWE_BYTES",
    "EncryptionCurve",
    "EncryptionKey",
    "EncryptionPrivateKey",
    "decrypt",
    "encrypt",
    "header",
]

#: The only key management algorithm.
JWE_ALG: Final = "ECDH-ES"
#: The only content encryption algorithm.
JWE_ENC: Final = "A256GCM"
#: ``cty`` written by :func:`encrypt` unless told otherwise: a signed case message.
DEFAULT_CTY: Final = "antifraud-case+jws"
#: Largest accepted token, in bytes.
MAX_JWE_BYTES: Final = 8 * 1024 * 1024

_HEADER_MEMBERS: Final = frozenset({"alg", "enc", "epk", "kid", "cty"})
_CTY: Final = re.compile(r"[\x21-\x7e]{1,255}")
_MAX_HEADER_BYTES: Final = 2048


class EncryptionCurve(enum.Enum):
    """The curve of an encryption key (its JWK ``crv``)."""

    X25519 = "X25519"
    P256 = "P-256"


def _jwk_members(curve: EncryptionCurve, x: bytes, y: bytes | None) -> dict[str, str]:
    if curve is EncryptionCurve.X25519:
        return {"crv": "X25519", "kty": "OKP", "x": b64url_encode(x)}
    assert y is not None
    return {"crv": "P-256", "kty": "EC", "x": b64url_encode(x), "y": b64url_encode(y)}


def _coord(jwk: Mapping[str, object], name: str) -> bytes:
    raw = b64url_decode(jwk.get(name), code="jwk_invalid")  # type: ignore[arg-type]
    if len(raw) != 32:
        raise BlacklistFormatError(f"JWK {name!r} must be 32 bytes", code="jwk_invalid")
    return raw


@attrs.frozen(kw_only=True)
class EncryptionKey:
    """A recipient's public encryption key (X25519 or P-256), validated.

    Build with :meth:`from_jwk`; ``key_id`` is the RFC 7638 thumbprint.
    """

    curve: EncryptionCurve
    x: bytes = attrs.field(repr=False)
    y: bytes | None = attrs.field(default=None, repr=False)
    key_id: str = attrs.field(init=False, eq=False)
    _key: x25519.X25519PublicKey | ec.EllipticCurvePublicKey = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        key: x25519.X25519PublicKey | ec.EllipticCurvePublicKey
        if self.curve is EncryptionCurve.X25519:
            if len(self.x) != 32 or self.y is not None:
                raise BlacklistFormatError("X25519 'x' must be 32 bytes", code="jwk_invalid")
            key = x25519.X25519PublicKey.from_public_bytes(self.x)
        else:
            key = p256_public_key(self.x, self.y)
        members = _jwk_members(self.curve, self.x, self.y)
        thumb = b64url_encode(hashlib.sha256(canonical.dumps(members)).digest())
        object.__setattr__(self, "key_id", thumb)
        object.__setattr__(self, "_key", key)

    @classmethod
    def from_jwk(cls, jwk: object) -> EncryptionKey:
        """Build a key from a public JWK, strictly.

        ``kty: OKP, crv: X25519, x`` or ``kty: EC, crv: P-256, x, y``; optional
        ``kid`` must be the thumbprint and optional ``use`` must be ``enc``.
        Private members (``d``) are refused. Errors are
        :class:`~antifraud_common.errors.BlacklistFormatError` ``jwk_invalid``.
        """
        if not isinstance(jwk, Mapping):
            raise BlacklistFormatError("a JWK is a JSON object", code="jwk_invalid")
        if "d" in jwk:
            raise BlacklistFormatError(
                "private key material in a public JWK", code="jwk_private_material"
            )
        kty, crv = jwk.get("kty"), jwk.get("crv")
        if kty == "OKP" and crv == "X25519":
            allowed = {"kty", "crv", "x"}
            key = cls(curve=EncryptionCurve.X25519, x=_coord(jwk, "x"))
        elif kty == "EC" and crv == "P-256":
            allowed = {"kty", "crv", "x", "y"}
            key = cls(curve=EncryptionCurve.P256, x=_coord(jwk, "x"), y=_coord(jwk, "y"))
        else:
            raise BlacklistFormatError(
                "an encryption key is X25519 (OKP) or P-256 (EC)", code="jwk_unsupported"
            )
        extra = set(jwk) - allowed - {"kid", "use"}
        if extra:
            raise BlacklistFormatError(
                f"unsupported JWK member {sorted(map(str, extra))[0]!r}", code="jwk_invalid"
            )
        if "kid" in jwk and jwk["kid"] != key.key_id:
            raise BlacklistFormatError("JWK 'kid' is not its thumbprint", code="jwk_invalid")
        if "use" in jwk and jwk["use"] != "enc":
            raise BlacklistFormatError("an encryption JWK has 'use' 'enc'", code="jwk_invalid")
        return key

    def to_jwk(self) -> dict[str, str]:
        """Return the public JWK (required members and ``use: enc``)."""
        return {**_jwk_members(self.curve, self.x, self.y), "use": "enc"}

    def to_cryptography(self) -> x25519.X25519PublicKey | ec.EllipticCurvePublicKey:
        """Return the ``cryptography`` public key."""
        return self._key


class EncryptionPrivateKey:
    """A recipient's private encryption key. Its ``repr`` shows only the key id."""

    def __init__(self, private_key: x25519.X25519PrivateKey | ec.EllipticCurvePrivateKey) -> None:
        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            if not isinstance(private_key.curve, ec.SECP256R1):
                raise BlacklistFormatError("only P-256 EC keys", code="jwk_unsupported")
        elif not isinstance(private_key, x25519.X25519PrivateKey):
            raise BlacklistFormatError(
                "an encryption key is X25519 or P-256", code="jwk_unsupported"
            )
        self._private = private_key
        self.public_key = _public_of(private_key.public_key())

    @classmethod
    def generate(cls, curve: EncryptionCurve = EncryptionCurve.X25519) -> EncryptionPrivateKey:
        """Return a new random key."""
        if curve is EncryptionCurve.X25519:
            return cls(x25519.X25519PrivateKey.generate())
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, data: bytes, *, passphrase: bytes | None = None) -> EncryptionPrivateKey:
        """Load a PKCS#8 PEM key (X25519 or P-256)."""
        try:
            key = serialization.load_pem_private_key(data, password=passphrase)
        except (ValueError, TypeError) as e:
            raise BlacklistFormatError("not a usable PEM private key", code="key_invalid") from e
        if not isinstance(key, x25519.X25519PrivateKey | ec.EllipticCurvePrivateKey):
            raise BlacklistFormatError("an encryption key is X25519 or P-256", code="key_invalid")
        return cls(key)

    def to_pem(self, *, passphrase: bytes | None = None) -> bytes:
        """Return PKCS#8 PEM (encrypted when ``passphrase`` is given)."""
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
        )

    @property
    def key_id(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        return self.public_key.key_id

    def exchange(self, peer: EncryptionKey) -> bytes:
        """The ECDH shared secret with ``peer`` (same curve)."""
        theirs = peer.to_cryptography()
        if isinstance(self._private, x25519.X25519PrivateKey):
            if not isinstance(theirs, x25519.X25519PublicKey):
                raise DecryptionError()
            try:
                secret = self._private.exchange(theirs)
            except ValueError as e:  # RFC 7748 §6.1: a small-order point (all-zero output)
                raise DecryptionError() from e
            if secret == bytes(32):  # pragma: no cover - OpenSSL refuses it first
                raise DecryptionError()
            return secret
        if not isinstance(theirs, ec.EllipticCurvePublicKey):
            raise DecryptionError()
        return self._private.exchange(ec.ECDH(), theirs)

    def __repr__(self) -> str:
        return f"EncryptionPrivateKey(key_id={self.key_id!r})"


def _public_of(key: x25519.X25519PublicKey | ec.EllipticCurvePublicKey) -> EncryptionKey:
    if isinstance(key, x25519.X25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return EncryptionKey(curve=EncryptionCurve.X25519, x=raw)
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return EncryptionKey(curve=EncryptionCurve.P256, x=point[1:33], y=point[33:])


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _concat_kdf(secret: bytes, enc: str) -> bytes:
    # RFC 7518 §4.6.2 with NIST SP 800-56A's single-step KDF: one SHA-256 round
    # gives the 256 bits A256GCM needs. PartyUInfo and PartyVInfo are empty.
    other = (
        _length_prefixed(enc.encode("ascii"))
        + _length_prefixed(b"")
        + _length_prefixed(b"")
        + struct.pack(">I", 256)
    )
    return hashlib.sha256(struct.pack(">I", 1) + secret + other).digest()


def encrypt(
    plaintext: bytes,
    recipient: EncryptionKey,
    *,
    cty: str = DEFAULT_CTY,
) -> bytes:
    """Encrypt ``plaintext`` to ``recipient``; return the JWE compact serialization (ASCII)."""
    untyped: object = plaintext
    if not isinstance(untyped, bytes):
        raise TypeError("the plaintext must be bytes")
    if _CTY.fullmatch(cty) is None:
        raise ValueError("cty must be 1-255 printable ASCII characters")
    if recipient.curve is EncryptionCurve.X25519:
        ephemeral = EncryptionPrivateKey(x25519.X25519PrivateKey.generate())
    else:
        ephemeral = EncryptionPrivateKey(ec.generate_private_key(ec.SECP256R1()))
    epk = _jwk_members(ephemeral.public_key.curve, ephemeral.public_key.x, ephemeral.public_key.y)
    protected = {
        "alg": JWE_ALG,
        "cty": cty,
        "enc": JWE_ENC,
        "epk": epk,
        "kid": recipient.key_id,
    }
    protected_b64 = b64url_encode(canonical.dumps(protected))
    cek = _concat_kdf(ephemeral.exchange(recipient), JWE_ENC)
    iv = os.urandom(12)
    sealed = AESGCM(cek).encrypt(iv, plaintext, protected_b64.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return ".".join(
        [protected_b64, "", b64url_encode(iv), b64url_encode(ciphertext), b64url_encode(tag)]
    ).encode("ascii")


def _split(token: bytes) -> tuple[str, str, str, str, str, dict[str, Any]]:
    if len(token) > MAX_JWE_BYTES:
        raise DecryptionError()
    stripped = token.strip()
    if stripped.startswith(b"{"):
        # Flattened JSON serialization (RFC 7516 §7.2.2); the per-recipient
        # unprotected ``header`` may carry ``epk`` and ``kid`` (as joserfc
        # writes them). Changing either only yields another key: the tag fails.
        try:
            doc = canonical.loads(stripped, max_bytes=MAX_JWE_BYTES, max_depth=4)
        except BlacklistFormatError as e:
            raise DecryptionError() from e
        if not isinstance(doc, dict) or not {"protected", "iv", "ciphertext", "tag"} <= set(doc):
            raise DecryptionError()
        if set(doc) - {"protected", "iv", "ciphertext", "tag", "encrypted_key", "header"}:
            raise DecryptionError()
        extra = doc.get("header", {})
        if not isinstance(extra, dict) or set(extra) - {"epk", "kid"}:
            raise DecryptionError()
        parts = [doc.get(k, "") for k in ("protected", "encrypted_key", "iv", "ciphertext", "tag")]
        if not all(isinstance(p, str) for p in parts):
            raise DecryptionError()
        p0, p1, p2, p3, p4 = parts
        return str(p0), str(p1), str(p2), str(p3), str(p4), extra
    try:
        text = stripped.decode("ascii")
    except UnicodeDecodeError as e:
        raise DecryptionError() from e
    pieces = text.split(".")
    if len(pieces) != 5:
        raise DecryptionError()
    return pieces[0], pieces[1], pieces[2], pieces[3], pieces[4], {}


def _protected(protected_b64: str) -> dict[str, Any]:
    try:
        value = canonical.loads(
            b64url_decode(protected_b64, code="jwe_invalid"),
            max_bytes=_MAX_HEADER_BYTES,
            max_depth=3,
        )
    except BlacklistFormatError as e:
        raise DecryptionError() from e
    if not isinstance(value, dict):
        raise DecryptionError()
    return value


def header(token: bytes) -> dict[str, Any]:
    """Return the header of ``token`` (protected and unprotected; not authenticated yet)."""
    protected_b64, *_, extra = _split(token)
    hdr = _protected(protected_b64)
    if any(hdr[name] != extra[name] for name in set(hdr) & set(extra)):
        raise DecryptionError()
    return {**hdr, **extra}


def decrypt(token: bytes, key: EncryptionPrivateKey, *, cty: str | None = DEFAULT_CTY) -> bytes:
    """Decrypt a JWE (compact or flattened JSON) made for ``key``; return the plaintext.

    The header must be exactly this profile (``alg`` ``ECDH-ES``, ``enc``
    ``A256GCM``, ``epk`` on the key's curve, ``kid`` when present equal to the
    key's thumbprint, ``cty`` when present equal to ``cty`` unless ``cty`` is
    ``None``) and the Encrypted Key empty. Every failure raises the same
    :class:`~antifraud_common.errors.DecryptionError` (``decryption_failed``).
    """
    protected_b64, encrypted_key, iv_b64, ct_b64, tag_b64, _ = _split(token)
    hdr = header(token)
    if set(hdr) - _HEADER_MEMBERS or hdr.get("alg") != JWE_ALG or hdr.get("enc") != JWE_ENC:
        raise DecryptionError()
    if "kid" in hdr and hdr["kid"] != key.key_id:
        raise DecryptionError()
    if cty is not None and hdr.get("cty", cty) != cty:
        raise DecryptionError()
    if encrypted_key != "":
        raise DecryptionError()
    try:
        epk = EncryptionKey.from_jwk(hdr.get("epk"))
        iv = b64url_decode(iv_b64, code="jwe_invalid")
        ciphertext = b64url_decode(ct_b64, code="jwe_invalid")
        tag = b64url_decode(tag_b64, code="jwe_invalid")
    except BlacklistFormatError as e:
        raise DecryptionError() from e
    if epk.curve is not key.public_key.curve or len(iv) != 12 or len(tag) != 16:
        raise DecryptionError()
    cek = _concat_kdf(key.exchange(epk), JWE_ENC)
    try:
        return AESGCM(cek).decrypt(iv, ciphertext + tag, protected_b64.encode("ascii"))
    except InvalidTag as e:
        raise DecryptionError() from e
