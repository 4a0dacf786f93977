"""SIM card serial numbers (ICCID, ITU-T E.118): validation and issuer country.

An ICCID is ``89`` (the telecommunications major industry identifier) + the E.164
country code of the issuer (``86`` for China) + the issuer code + the card's
account number + a Luhn check digit. Two lengths are in use:

* **19 digits** = 18 digits + Luhn check digit. A mismatch is an error.
* **20 digits** = 19 digits + Luhn check digit (E.118 puts the check digit last).
  Operators also print 20-digit ICCIDs whose last digit is an operator-specific
  digit rather than a check digit (common on Chinese SIMs), so a Luhn mismatch on
  a 20-digit ICCID is *accepted* with the flag ``luhn_failed`` unless
  ``strict_luhn=True``. :func:`info` also reports whether the first 19 digits
  carry a valid check digit (``check_digit_position`` 20, 19 or ``None``).

The country code is read by E.164 prefix match (country codes are prefix-free) after ``89``; a
zero-padded code (``8901...`` for North America) is read without the zero.
A trailing ``F`` (the padding nibble of a 19-digit ICCID read from the SIM's
EF_ICCID file) is removed and flagged. The canonical value is the digit string.

>>> validate("8986 0012 3456 7890 120")
'8986001234567890120'
>>> validate("8986001234567890120F")
'8986001234567890120'
>>> info("89860318640220133897").country
'CN'
>>> validate("8986001234567890121")
Traceback (most recent call last):
...
antifraud_common.errors.InvalidChecksumError: the ICCID's Luhn check digit does not match
"""

from __future__ import annotations

import enum
from typing import Any, Final

import attrs
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from stdnum import luhn

from antifraud_common import _text
from antifraud_common.errors import (
    InvalidChecksumError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ValidationError,
)

__all__ = [
    "CN_OPERATORS",
    "IccidFlag",
    "IccidInfo",
    "compact",
    "display",
    "info",
    "is_valid",
    "validate",
]

_MAX_RAW: Final = 64
_SEPARATORS: Final = frozenset(" ") | _text.DASHES

#: Probable operator of a Chinese ICCID by the two digits after ``8986``. The codes
#: follow the operators' mobile network codes (MNC of MCC 460); SIMs issued by
#: resellers may differ, so this is a hint, not a fact.
CN_OPERATORS: Final[dict[str, str]] = {
    "00": "china_mobile",
    "02": "china_mobile",
    "07": "china_mobile",
    "08": "china_mobile",
    "01": "china_unicom",
    "06": "china_unicom",
    "09": "china_unicom",
    "03": "china_telecom",
    "05": "china_telecom",
    "11": "china_telecom",
    "15": "china_broadnet",
}


class IccidFlag(enum.Enum):
    """Facts noticed while validating an ICCID."""

    FULLWIDTH = "fullwidth"
    INVISIBLE = "invisible"
    PADDING_REMOVED = "padding_removed"
    """A trailing ``F`` padding nibble was removed."""
    LUHN_FAILED = "luhn_failed"
    """A 20-digit ICCID whose last digit is not a Luhn check digit (tolerated)."""


def compact(raw: object) -> str:
    """Clean ``raw`` (spaces, dashes, full-width, invisible, ``F`` padding) without validating.

    >>> compact("8986-0012-3456-7890-120f")
    '8986001234567890120'
    """
    return _clean(raw)[0]


def _clean(raw: object) -> tuple[str, set[IccidFlag]]:
    cleaned = _text.clean(raw, max_length=_MAX_RAW, separators=_SEPARATORS, what="ICCID")
    text = cleaned.text
    flags: set[IccidFlag] = set()
    if cleaned.fullwidth:
        flags.add(IccidFlag.FULLWIDTH)
    if cleaned.invisible:
        flags.add(IccidFlag.INVISIBLE)
    if text[-1:] in ("F", "f"):
        text = text[:-1]
        flags.add(IccidFlag.PADDING_REMOVED)
    return text, flags


def _country_code(number: str) -> str | None:
    # North American issuers write country code 1 as "01" (ICCIDs starting 8901):
    # one leading zero is padding.
    start = 3 if number[2:3] == "0" else 2
    for width in (1, 2, 3):
        cc = number[start : start + width]
        if cc[:1] != "0" and int(cc) in COUNTRY_CODE_TO_REGION_CODE:
            return cc
    return None


def _check(raw: object, strict_luhn: bool) -> tuple[str, str, set[IccidFlag]]:
    number, flags = _clean(raw)
    if not (number.isascii() and number.isdigit()):
        _text.reject_unexpected(number, what="ICCID")
    n = len(number)
    if n not in (19, 20):
        raise InvalidLengthError(
            f"an ICCID has 19 or 20 digits, got {n}",
            code="too_short" if n < 19 else "too_long",
        )
    if IccidFlag.PADDING_REMOVED in flags and n != 19:
        raise InvalidFormatError(
            "only a 19-digit ICCID is padded with F", code="unexpected_padding"
        )
    if not number.startswith("89"):
        raise InvalidComponentError(
            "an ICCID starts with 89 (telecommunications)", code="not_telecom"
        )
    cc = _country_code(number)
    if cc is None:
        raise InvalidComponentError(
            "the digits after 89 are not an E.164 country code", code="unknown_country_code"
        )
    if luhn.checksum(number) != 0:
        if n == 19 or strict_luhn:
            raise InvalidChecksumError("the ICCID's Luhn check digit does not match")
        flags.add(IccidFlag.LUHN_FAILED)
    return number, cc, flags


def validate(raw: object, *, strict_luhn: bool = False) -> str:
    """Return the canonical ICCID (19 or 20 ASCII digits) or raise a :class:`ValidationError`.

    ``strict_luhn=True`` also requires the last digit of a 20-digit ICCID to be
    its Luhn check digit.

    >>> validate("89860012345678901234")  # operator-specific last digit
    '89860012345678901234'
    >>> is_valid("89860012345678901234", strict_luhn=True)
    False
    """
    return _check(raw, strict_luhn)[0]


def is_valid(raw: object, *, strict_luhn: bool = False) -> bool:
    """Return whether :func:`validate` accepts ``raw``; never raises.

    >>> is_valid("8986001234567890120"), is_valid("8986"), is_valid(None)
    (True, False, False)
    """
    try:
        _check(raw, strict_luhn)
    except ValidationError:
        return False
    return True


def display(value: object) -> str:
    """Return the validated ICCID in groups of four digits.

    >>> display("89860012345678901234")
    '8986 0012 3456 7890 1234'
    """
    number = validate(value)
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


@attrs.frozen(kw_only=True)
class IccidInfo:
    """What :func:`info` found about an ICCID."""

    value: str
    country_code: str
    country: str | None
    issuer_code: str | None
    operator: str | None
    check_digit_position: int | None
    flags: frozenset[IccidFlag]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (used by ``antifraud check``)."""
        return {
            "value": self.value,
            "country_code": self.country_code,
            "country": self.country,
            "issuer_code": self.issuer_code,
            "operator": self.operator,
            "check_digit_position": self.check_digit_position,
            "flags": sorted(f.value for f in self.flags),
        }


def info(raw: object, *, strict_luhn: bool = False) -> IccidInfo:
    """Validate ``raw`` and describe it: country, issuer code, check digit, flags.

    ``country`` is the ISO 3166 region of the country code when it has exactly
    one (``86`` is ``CN``; ``1`` is shared and gives ``None``). For China the two
    digits after ``8986`` are the ``issuer_code`` and ``operator`` is the probable
    operator (:data:`CN_OPERATORS`).

    >>> i = info("89860012345678901234")
    >>> i.operator, i.check_digit_position, sorted(f.value for f in i.flags)
    ('china_mobile', None, ['luhn_failed'])
    """
    number, cc, flags = _check(raw, strict_luhn)
    regions = COUNTRY_CODE_TO_REGION_CODE.get(int(cc), ())
    country = regions[0] if len(regions) == 1 and regions[0] != "001" else None
    issuer_code = number[4:6] if cc == "86" else None
    if IccidFlag.LUHN_FAILED not in flags:
        position: int | None = len(number)
    elif luhn.checksum(number[:19]) == 0:
        position = 19
    else:
        position = None
    return IccidInfo(
        value=number,
        country_code=cc,
        country=country,
        issuer_code=issuer_code,
        operator=None if issuer_code is None else CN_OPERATORS.get(issuer_code),
        check_digit_position=position,
        flags=frozenset(flags),
    )
