"""64-bit lookup keys for canonical identifiers (private).

Every canonical value maps to a *table* (one per identifier kind and encoding)
and a 64-bit *key* inside it:

* an **exact** table holds an injective integer encoding of a digit string,
  mixed by multiplication with an odd constant modulo 2**64 (a bijection, so
  still injective, but the high bits are spread evenly, which lets a small
  directory on the top bits find a key's neighbourhood in one step);
* a **hashed** table holds the first 8 bytes of SHA-256 of the UTF-8 value; the
  full value is kept beside the key and compared on every hit, so a hash
  collision can never produce a false match.

Exact encodings (``P[n] = 10**n``):

* phone, ``+`` and 1-15 digits not starting with 0 (E.164): ``int(digits)``;
* bank card, 12-19 digits not starting with 0: ``int(digits)`` (< 10**19 < 2**64);
* ICCID ``89`` + 17-18 digits: ``P[n] + int(rest)`` over the digits after ``89``;
* IMEI and other digit strings of n <= 18 digits: ``P[n] + int(digits)``, which
  lies in ``[10**n, 2*10**n)``, so different lengths (and leading zeros) never
  collide.

Everything else (short codes ``tel:95588;phone-context=+86``, accounts, any
value an exact encoder refuses) goes to the kind's hashed table.

>>> table_and_key(IdentifierKind.PHONE, "+8613800138000")[0]
0
>>> table_and_key(IdentifierKind.PHONE, "tel:95588;phone-context=+86")[0]
1
>>> unmix(table_and_key(IdentifierKind.BANK_CARD, "6222021123456789014")[1])
6222021123456789014
"""

from __future__ import annotations

import hashlib
from typing import Final

from antifraud_common.models import IdentifierKind

__all__ = [
    "INT_KEY_TABLE",
    "KIND_CODE",
    "KIND_OF_CODE",
    "MASK64",
    "MIX",
    "exact_key",
    "hashed_key",
    "is_hashed_table",
    "kind_of_table",
    "mix",
    "table_and_key",
    "unmix",
    "value_of_key",
]

MASK64: Final = (1 << 64) - 1
#: Odd, so multiplication modulo 2**64 is a bijection (2**64 / golden ratio).
MIX: Final = 0x9E3779B97F4A7C15
_UNMIX: Final = pow(MIX, -1, 1 << 64)
_P: Final[tuple[int, ...]] = tuple(10**n for n in range(20))

#: Stable small integer per kind (part of the saved file format: never renumber).
KIND_CODE: Final = {
    IdentifierKind.PHONE: 0,
    IdentifierKind.BANK_CARD: 1,
    IdentifierKind.BANK_ACCOUNT: 2,
    IdentifierKind.PAYMENT_ACCOUNT: 3,
    IdentifierKind.ICCID: 4,
    IdentifierKind.IMEI: 5,
}
KIND_OF_CODE: Final = {v: k for k, v in KIND_CODE.items()}
#: Kinds whose canonical value (nearly) is its exact key, ``int(value)``: their exact table.
INT_KEY_TABLE: Final = {IdentifierKind.PHONE: 0, IdentifierKind.BANK_CARD: 2}


def mix(k: int) -> int:
    """Spread an exact encoding over 64 bits (a bijection).

    >>> unmix(mix(8613800138000))
    8613800138000
    """
    return (k * MIX) & MASK64


def unmix(h: int) -> int:
    """Invert :func:`mix`."""
    return (h * _UNMIX) & MASK64


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def exact_key(kind: IdentifierKind, value: str) -> int | None:
    """Return the unmixed exact encoding of ``value``, or None if it needs hashing."""
    if kind is IdentifierKind.PHONE:
        d = value[1:]
        if value[:1] == "+" and 1 <= len(d) <= 15 and d[0] != "0" and _digits(d):
            return int(d)
        return None
    if kind is IdentifierKind.BANK_CARD:
        if 12 <= len(value) <= 19 and value[0] != "0" and _digits(value):
            return int(value)
        return None
    if kind is IdentifierKind.ICCID:
        rest = value[2:]
        if value[:2] == "89" and 1 <= len(rest) <= 18 and _digits(rest):
            return _P[len(rest)] + int(rest)
        return None
    if kind is IdentifierKind.IMEI and 1 <= len(value) <= 18 and _digits(value):
        return _P[len(value)] + int(value)
    return None


def hashed_key(value: str) -> int:
    """Return the first 8 bytes of SHA-256 of ``value`` as a little-endian integer."""
    return int.from_bytes(hashlib.sha256(value.encode("utf-8")).digest()[:8], "little")


def table_and_key(kind: IdentifierKind, value: str) -> tuple[int, int]:
    """Return ``(table id, 64-bit key)``; table id = 2 * kind code + (1 if hashed)."""
    k = exact_key(kind, value)
    if k is None:
        return 2 * KIND_CODE[kind] + 1, hashed_key(value)
    return 2 * KIND_CODE[kind], (k * MIX) & MASK64


def is_hashed_table(table: int) -> bool:
    """Whether a table id names a hashed table (values compared on hit)."""
    return bool(table & 1)


def kind_of_table(table: int) -> IdentifierKind:
    """The identifier kind a table id belongs to."""
    return KIND_OF_CODE[table >> 1]


def value_of_key(table: int, h: int) -> str:
    """Recover the canonical value of an exact table's key (the inverse of the encoding).

    >>> value_of_key(*table_and_key(IdentifierKind.ICCID, "8986001234567890123"))
    '8986001234567890123'
    """
    k = unmix(h)
    kind = kind_of_table(table)
    if kind is IdentifierKind.PHONE:
        return f"+{k}"
    if kind is IdentifierKind.BANK_CARD:
        return str(k)
    s = str(k)[1:]  # drop the length marker 10**n
    return "89" + s if kind is IdentifierKind.ICCID else s
