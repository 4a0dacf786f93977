"""Ed25519 encodings a verifier must refuse before it trusts a key or a signature.

Stock Ed25519 verification (RFC 8032 §5.1.7 without the cofactor, as in OpenSSL,
and so in ``cryptography`` and Node.js) accepts the 64-byte signature
``R = identity, S = 0`` over *every* message for the public key ``identity``, and
similar forgeries for every public key of small order. This module holds the
exact checks the specification (``docs/spec/envelope.md``, "Ed25519 keys and
signatures") asks of every implementation:

* an encoding is 32 bytes, little-endian ``y`` with the sign of ``x`` in the top
  bit; it is **non-canonical** when ``y >= p`` (``p = 2^255 - 19``) or when it
  names ``x = 0`` with the sign bit set (RFC 8032 §5.1.3 step 4 refuses that);
* it is of **small order** when it is one of the eight points of the torsion
  subgroup (``[8]P`` is the identity), whose canonical encodings are
  :data:`SMALL_ORDER_ENCODINGS`;
* a public key must moreover decode to a point of the curve (:func:`decode_point`);
* a signature ``R || S`` needs a canonical ``R`` that is not of small order
  (:func:`signature_problem`, checked while parsing) and ``S < L``
  (:func:`scalar_is_reduced`, part of verification).

The set is checked against the curve arithmetic by ``tests/test_ed25519_weak.py``
(every member has ``[8]P = identity``, and the eight are closed under addition).

>>> key_problem(bytes([1]) + bytes(31))
'small-order'
>>> key_problem(bytes.fromhex("ee" + "ff" * 30 + "7f"))
'non-canonical'
>>> signature_problem(bytes([1]) + bytes(63))
'R is small-order'
>>> scalar_is_reduced(ORDER.to_bytes(32, "little"))
False
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ORDER",
    "SMALL_ORDER_ENCODINGS",
    "SMALL_ORDER_HEX",
    "P",
    "decode_point",
    "encoding_problem",
    "key_problem",
    "scalar_is_reduced",
    "signature_problem",
]

#: The field prime ``2^255 - 19``.
P: Final = 2**255 - 19
#: The order ``L`` of the prime-order subgroup (RFC 8032 §5.1).
ORDER: Final = 2**252 + 27742317777372353535851937790883648493
_D: Final = (-121665 * pow(121666, P - 2, P)) % P
_SQRT_M1: Final = pow(2, (P - 1) // 4, P)
_Y_MASK: Final = (1 << 255) - 1

#: The canonical encodings of the eight points of small order (hex, as stored).
SMALL_ORDER_HEX: Final = (
    # order 1: the identity (0, 1)
    "0100000000000000000000000000000000000000000000000000000000000000",
    # order 2: (0, -1)
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    # order 4: (sqrt(-1), 0) and (-sqrt(-1), 0)
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    # order 8: four points, two values of y, both signs of x
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
)
#: The same eight encodings as bytes.
SMALL_ORDER_ENCODINGS: Final = frozenset(bytes.fromhex(h) for h in SMALL_ORDER_HEX)


def encoding_problem(encoding: bytes) -> str | None:
    """Return ``'non-canonical'``, ``'small-order'`` or ``None`` for a 32-byte point.

    Only the encoding is examined (no square root): ``y >= p``, ``x = 0`` with the
    sign bit set, or membership of :data:`SMALL_ORDER_ENCODINGS`.
    """
    if len(encoding) != 32:
        raise ValueError("an Ed25519 point is 32 bytes")
    y = int.from_bytes(encoding, "little") & _Y_MASK
    if y >= P:
        return "non-canonical"
    if encoding in SMALL_ORDER_ENCODINGS:
        return "small-order"
    if y in (1, P - 1) and encoding[31] & 0x80:
        # x = 0 here, and 0 has no negative: RFC 8032 decoding fails.
        return "non-canonical"
    return None


def decode_point(encoding: bytes) -> tuple[int, int] | None:
    """Decode a canonical 32-byte encoding to affine ``(x, y)`` (RFC 8032 §5.1.3).

    Returns ``None`` when no point of the curve has this encoding (``y >= p`` is
    refused too).
    """
    if len(encoding) != 32:
        return None
    y = int.from_bytes(encoding, "little") & _Y_MASK
    sign = encoding[31] >> 7
    if y >= P:
        return None
    u = (y * y - 1) % P
    v = (_D * y * y + 1) % P
    x = (u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P)) % P
    vx2 = (v * x * x) % P
    if vx2 == (-u) % P:
        x = (x * _SQRT_M1) % P
    elif vx2 != u:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return x, y


def key_problem(encoding: bytes) -> str | None:
    """Why a 32-byte Ed25519 public key must be refused, or ``None``.

    ``'non-canonical'`` and ``'small-order'`` as :func:`encoding_problem`;
    ``'not-on-curve'`` when no point has this encoding.
    """
    problem = encoding_problem(encoding)
    if problem is None and decode_point(encoding) is None:
        return "not-on-curve"
    return problem


def signature_problem(signature: bytes) -> str | None:
    """Why the ``R`` of a 64-byte Ed25519 signature ``R || S`` must be refused, or ``None``.

    ``R`` must be canonical and not of small order (``'R is non-canonical'``,
    ``'R is small-order'``). Whether ``R`` is a curve point is left to the
    verification itself (no point of the curve other than the one it computes
    can match), and so is ``S < L`` (:func:`scalar_is_reduced`).
    """
    if len(signature) != 64:
        raise ValueError("an Ed25519 signature is 64 bytes")
    problem = encoding_problem(signature[:32])
    return None if problem is None else f"R is {problem}"


def scalar_is_reduced(s: bytes) -> bool:
    """Whether the 32-byte little-endian scalar ``S`` is below the group order ``L``."""
    return int.from_bytes(s, "little") < ORDER
