"""Mobile device identities (IMEI, 3GPP TS 23.003): validation, dummy rejection, TAC.

An IMEI is an 8-digit Type Allocation Code (TAC), a 6-digit serial number (SNR)
and a Luhn check digit: 15 digits. The canonical value is that 15-digit form:

* **15 digits**: the check digit must match (checked with :mod:`stdnum.imei`);
* **14 digits** (TAC + SNR, as some systems store it): the check digit is
  computed and appended, flag ``check_digit_added``;
* **16 digits** (IMEISV: TAC + SNR + 2-digit software version): the software
  version is dropped and the check digit computed, flag ``software_version_removed``
  (the version changes with every firmware update; the device stays the same).

Dummy values that devices, emulators and forms report instead of a real IMEI are
rejected with code ``dummy_number``: a TAC of ``00000000``, a TAC + SNR that is
one digit repeated, a 1- or 2-digit pattern repeated (``12121212121212``), an
ascending or descending digit run (``123456789012345``), and the Android
emulator IMEIs in :data:`DUMMY_IMEIS`.

>>> validate("35-417803-685978-9")
'354178036859789'
>>> validate("35417803685978")          # 14 digits: check digit appended
'354178036859789'
>>> validate("3541780368597801")        # IMEISV: software version 01 removed
'354178036859789'
>>> validate("000000000000000")
Traceback (most recent call last):
...
antifraud_common.errors.InvalidComponentError: the IMEI is a known dummy or placeholder value
>>> info("354178036859789").tac
'35417803'
"""

from __future__ import annotations

import enum
from typing import Any, Final

import attrs
from stdnum import imei as _imei
from stdnum import luhn

from antifraud_common import _text
from antifraud_common._stdnum import StdnumError, wrap
from antifraud_common.errors import (
    InvalidComponentError,
    InvalidLengthError,
    ValidationError,
)

__all__ = [
    "DUMMY_IMEIS",
    "ImeiFlag",
    "ImeiInfo",
    "compact",
    "display",
    "info",
    "is_dummy",
    "is_valid",
    "validate",
]

_MAX_RAW: Final = 64
_SEPARATORS: Final = frozenset(" ") | _text.DASHES

#: Specific placeholder IMEIs (besides the pattern rules): reported by Android emulators.
DUMMY_IMEIS: Final = frozenset({"004999010640000", "358240051111110"})

_ASCENDING: Final = "0123456789" * 3
_DESCENDING: Final = "9876543210" * 3


class ImeiFlag(enum.Enum):
    """Facts noticed while validating an IMEI."""

    FULLWIDTH = "fullwidth"
    INVISIBLE = "invisible"
    CHECK_DIGIT_ADDED = "check_digit_added"
    """The input had 14 digits; the Luhn check digit was computed."""
    SOFTWARE_VERSION_REMOVED = "software_version_removed"
    """The input was a 16-digit IMEISV; its software version was dropped."""


def compact(raw: object) -> str:
    """Clean ``raw`` (spaces, dashes, full-width, invisible characters) without validating.

    >>> compact("35 417803 685978 9")
    '354178036859789'
    """
    return _text.clean(raw, max_length=_MAX_RAW, separators=_SEPARATORS, what="IMEI").text


def is_dummy(body: str) -> bool:
    """Return whether the 14-digit TAC + SNR ``body`` is a placeholder, not a device.

    >>> is_dummy("12345678901234"), is_dummy("35417803685978")
    (True, False)
    """
    return (
        body[:8] == "00000000"
        or body == body[0] * 14
        or body == (body[:2] * 7)
        or body in _ASCENDING
        or body in _DESCENDING
        or body + luhn.calc_check_digit(body) in DUMMY_IMEIS
    )


def _check(raw: object) -> tuple[str, str | None, set[ImeiFlag]]:
    cleaned = _text.digits_only(raw, max_length=_MAX_RAW, separators=_SEPARATORS, what="IMEI")
    digits = cleaned.text
    flags: set[ImeiFlag] = set()
    if cleaned.fullwidth:
        flags.add(ImeiFlag.FULLWIDTH)
    if cleaned.invisible:
        flags.add(ImeiFlag.INVISIBLE)
    n = len(digits)
    if n not in (14, 15, 16):
        raise InvalidLengthError(
            f"an IMEI has 15 digits (14 without check digit, 16 as IMEISV), got {n}",
            code="too_short" if n < 14 else "too_long",
        )
    body = digits[:14]
    if is_dummy(body):
        raise InvalidComponentError(
            "the IMEI is a known dummy or placeholder value", code="dummy_number"
        )
    software_version = None
    if n == 15:
        try:
            _imei.validate(digits)
        except StdnumError as e:
            raise wrap(e, what="IMEI") from e
        return digits, None, flags
    if n == 14:
        flags.add(ImeiFlag.CHECK_DIGIT_ADDED)
    else:
        flags.add(ImeiFlag.SOFTWARE_VERSION_REMOVED)
        software_version = digits[14:]
    return body + luhn.calc_check_digit(body), software_version, flags


def validate(raw: object) -> str:
    """Return the canonical 15-digit IMEI or raise a :class:`ValidationError`.

    >>> validate("354178036859780")
    Traceback (most recent call last):
    ...
    antifraud_common.errors.InvalidChecksumError: the IMEI's check digits do not match
    """
    return _check(raw)[0]


def is_valid(raw: object) -> bool:
    """Return whether :func:`validate` accepts ``raw``; never raises.

    >>> is_valid("354178036859789"), is_valid("123456789012347"), is_valid(None)
    (True, False, False)
    """
    try:
        _check(raw)
    except ValidationError:
        return False
    return True


def display(value: object) -> str:
    """Return the validated IMEI in the ``AA-BBBBBB-CCCCCC-D`` presentation form.

    >>> display("354178036859789")
    '35-417803-685978-9'
    """
    v = validate(value)
    return f"{v[:2]}-{v[2:8]}-{v[8:14]}-{v[14]}"


@attrs.frozen(kw_only=True)
class ImeiInfo:
    """What :func:`info` found about an IMEI."""

    value: str
    tac: str
    serial: str
    check_digit: str
    software_version: str | None
    flags: frozenset[ImeiFlag]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (used by ``antifraud check``)."""
        return {
            "value": self.value,
            "tac": self.tac,
            "serial": self.serial,
            "check_digit": self.check_digit,
            "software_version": self.software_version,
            "flags": sorted(f.value for f in self.flags),
        }


def info(raw: object) -> ImeiInfo:
    """Validate ``raw`` and split it into TAC, serial number and check digit.

    >>> i = info("35417803685978 01")
    >>> i.value, i.software_version, sorted(f.value for f in i.flags)
    ('354178036859789', '01', ['software_version_removed'])
    """
    value, software_version, flags = _check(raw)
    return ImeiInfo(
        value=value,
        tac=value[:8],
        serial=value[8:14],
        check_digit=value[14],
        software_version=software_version,
        flags=frozenset(flags),
    )
