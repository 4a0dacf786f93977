"""Chinese identity numbers: resident ID (GB 11643) and unified social credit code (GB 32100).

**Resident identity card number** (居民身份证号码, RIC, GB 11643-1999): 6-digit
address code + 8-digit birth date + 3-digit order code (odd for men) + an
ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``). Checked with
:mod:`stdnum.cn.ric` after this module's own cleaning (stdnum does not remove
spaces or dashes), plus two rules stdnum lacks: the birth date is not in the
future (the current date in China, UTC+8; ``now`` is injectable) and not before
1900-01-01. A lower-case ``x`` becomes ``X``. Canonical form: the 18 characters.

15-digit first-generation numbers (valid documents until 2013) are rejected with
code ``first_generation_id`` unless ``upgrade=True``: then ``19`` is inserted
before the 2-digit birth year and the check character computed (flag
``upgraded_from_15``), giving the 18-character form the holder's second-generation
card carries.

**Unified social credit code** (统一社会信用代码, USCC, GB 32100-2015) of a company
or organisation: 18 characters, checked with :mod:`stdnum.cn.uscc` after folding
full-width letters and digits. Canonical form: the 18 characters in upper case.

An ID number is personal data: :func:`mask` keeps the address code and the last
four characters (``110105********002X``), and :class:`IdInfo` shows only that.

>>> validate_ric("110105 19491231 002x")
'11010519491231002X'
>>> validate_uscc("９１１１００００６０００３７３４１ｌ")
'91110000600037341L'
>>> validate("91110000600037341L"), validate("360426199101010071")
('91110000600037341L', '360426199101010071')
>>> mask("11010519491231002X")
'110105********002X'
>>> validate_ric("110105491231002")
Traceback (most recent call last):
...
antifraud_common.errors.InvalidLengthError: a 15-digit first-generation ID number ...
>>> validate_ric("110105491231002", upgrade=True)
'11010519491231002X'
"""

from __future__ import annotations

import datetime as _dt
import enum
import string
from typing import Any, Final

import attrs
from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

from antifraud_common import _text
from antifraud_common._clock import now_utc
from antifraud_common._stdnum import StdnumError, wrap
from antifraud_common.errors import (
    ConfigurationError,
    InvalidChecksumError,
    InvalidComponentError,
    InvalidLengthError,
    ValidationError,
)

__all__ = [
    "MIN_BIRTH_DATE",
    "IdFlag",
    "IdInfo",
    "IdType",
    "compact",
    "display",
    "info",
    "is_valid",
    "mask",
    "upgrade_ric",
    "validate",
    "validate_ric",
    "validate_uscc",
]

MIN_BIRTH_DATE: Final = _dt.date(1900, 1, 1)
_CHINA_TZ: Final = _dt.timezone(_dt.timedelta(hours=8))
_MAX_RAW: Final = 64
_SEPARATORS: Final = frozenset(" ") | _text.DASHES
_RIC_CHARS: Final = string.digits + "X"
_RIC_SET: Final = frozenset(_RIC_CHARS)
_USCC_CHARS: Final = string.digits + string.ascii_uppercase


class IdType(enum.Enum):
    """Which identity number a value is."""

    RESIDENT_ID = "resident_id"
    USCC = "uscc"


class IdFlag(enum.Enum):
    """Facts noticed while validating an identity number."""

    FULLWIDTH = "fullwidth"
    INVISIBLE = "invisible"
    UPGRADED_FROM_15 = "upgraded_from_15"
    """A 15-digit first-generation number was converted to 18 characters."""


def compact(raw: object) -> str:
    """Clean ``raw`` (spaces, dashes, full-width, invisible characters, upper case).

    >>> compact("110105-19491231-002x")
    '11010519491231002X'
    """
    return _clean(raw)[0]


def _clean(raw: object) -> tuple[str, set[IdFlag]]:
    cleaned = _text.clean(raw, max_length=_MAX_RAW, separators=_SEPARATORS, what="ID number")
    text = cleaned.text
    if text.isascii():
        text = text.upper()
    flags: set[IdFlag] = set()
    if cleaned.fullwidth:
        flags.add(IdFlag.FULLWIDTH)
    if cleaned.invisible:
        flags.add(IdFlag.INVISIBLE)
    return text, flags


def _today(now: _dt.datetime | None) -> _dt.date:
    return now_utc(now).astimezone(_CHINA_TZ).date()


def upgrade_ric(number15: str) -> str:
    """Return the 18-character form of a 15-digit first-generation ID number (not validated).

    >>> upgrade_ric("110105491231002")
    '11010519491231002X'
    """
    body = number15[:6] + "19" + number15[6:]
    return body + _ric.calc_check_digit(body + "?")


def _check_ric(raw: object, now: _dt.datetime | None, upgrade: bool) -> tuple[str, set[IdFlag]]:
    text, flags = _clean(raw)
    if not set(text) <= _RIC_SET:
        _text.reject_unexpected(text, allowed=_RIC_CHARS, what="ID number")
    n = len(text)
    if n == 15 and text.isdigit():
        if not upgrade:
            raise InvalidLengthError(
                "a 15-digit first-generation ID number is not accepted; "
                "pass upgrade=True to convert it to 18 characters",
                code="first_generation_id",
            )
        text = upgrade_ric(text)
        flags.add(IdFlag.UPGRADED_FROM_15)
    elif n != 18:
        raise InvalidLengthError(
            f"a resident ID number has 18 characters, got {n}",
            code="too_short" if n < 18 else "too_long",
        )
    if not text[:17].isdigit():
        _text.reject_unexpected(text[:17], what="ID number")
    if _ric.calc_check_digit(text) != text[17]:
        raise InvalidChecksumError("the ID number's check character does not match")
    try:
        birth = _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InvalidComponentError(
            "the birth date in the ID number does not exist", code="invalid_birth_date"
        ) from None
    if birth < MIN_BIRTH_DATE:
        raise InvalidComponentError(
            "the birth date in the ID number is before 1900", code="birth_date_too_early"
        )
    if birth > _today(now):
        raise InvalidComponentError(
            "the birth date in the ID number is in the future", code="birth_date_in_future"
        )
    try:
        _ric.validate(text)
    except StdnumError as e:
        err = wrap(e, what="ID number")
        if isinstance(err, InvalidComponentError):
            err = InvalidComponentError(
                "the address code is unknown or was not in use in the birth year",
                code="unknown_region",
            )
        raise err from e
    return text, flags


def _check_uscc(raw: object) -> tuple[str, set[IdFlag]]:
    text, flags = _clean(raw)
    if not (text.isascii() and text.isalnum()):
        _text.reject_unexpected(text, allowed=_USCC_CHARS, what="credit code")
    try:
        return _uscc.validate(text), flags
    except StdnumError as e:
        raise wrap(e, what="unified social credit code") from e


def validate_ric(raw: object, *, now: _dt.datetime | None = None, upgrade: bool = False) -> str:
    """Return the canonical 18-character resident ID number, or raise.

    >>> from datetime import datetime, UTC
    >>> validate_ric("360426209901010076", now=datetime(2026, 1, 1, tzinfo=UTC))
    Traceback (most recent call last):
    ...
    antifraud_common.errors.InvalidComponentError: the birth date in the ID number is in the future
    """
    return _check_ric(raw, now, upgrade)[0]


def validate_uscc(raw: object) -> str:
    """Return the canonical unified social credit code, or raise.

    >>> validate_uscc("9111 0000 6000 3734 1L")
    '91110000600037341L'
    """
    return _check_uscc(raw)[0]


def _looks_like_ric(text: str) -> bool:
    # 15 digits, or 17 digits + digit/X whose birth-date part is a real date
    # from 1900 on: a typo in such a number must be reported as a resident ID
    # error, not accepted as a credit code that happens to have a valid check.
    if len(text) == 15:
        return text.isascii() and text.isdigit()
    if len(text) != 18 or not (text.isascii() and text[:17].isdigit()):
        return False
    try:
        birth = _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return birth >= MIN_BIRTH_DATE


def _check(
    raw: object, now: _dt.datetime | None, upgrade: bool, id_type: IdType | str | None
) -> tuple[str, IdType, set[IdFlag]]:
    if id_type is None:
        kind = IdType.RESIDENT_ID if _looks_like_ric(_clean(raw)[0]) else IdType.USCC
    else:
        try:
            kind = IdType(id_type)
        except ValueError:
            raise ConfigurationError("unknown ID type", code="unknown_id_type") from None
    if kind is IdType.RESIDENT_ID:
        value, flags = _check_ric(raw, now, upgrade)
    else:
        value, flags = _check_uscc(raw)
    return value, kind, flags


def validate(
    raw: object,
    *,
    now: _dt.datetime | None = None,
    upgrade: bool = False,
    type: IdType | str | None = None,
) -> str:
    """Return a canonical resident ID number or credit code, whichever ``raw`` is.

    Without ``type``, 15 digits, or 17 digits plus a digit or ``X`` whose birth
    date part (characters 7-14) is a date from 1900 on, are a resident ID number;
    anything else is a credit code. ``type="resident_id"`` or ``"uscc"`` forces one.
    """
    return _check(raw, now, upgrade, type)[0]


def is_valid(
    raw: object,
    *,
    now: _dt.datetime | None = None,
    upgrade: bool = False,
    type: IdType | str | None = None,
) -> bool:
    """Return whether :func:`validate` accepts ``raw``; never raises.

    >>> is_valid("11010519491231002X"), is_valid("11010519491231002Y"), is_valid(None)
    (True, False, False)
    """
    try:
        _check(raw, now, upgrade, type)
    except (ValidationError, ConfigurationError):
        return False
    return True


def mask(value: object) -> str:
    """Mask a resident ID number: address code and last four kept, birth date hidden.

    Other values (a credit code identifies an organisation) are returned cleaned.

    >>> mask("110105 19491231 002X")
    '110105********002X'
    """
    text = compact(value)
    if len(text) == 18 and text[:17].isdigit() and text[17] in _RIC_SET:
        return text[:6] + "*" * 8 + text[14:]
    if len(text) == 15 and text.isdigit():
        return text[:6] + "*" * 6 + text[12:]
    return text


def display(value: object) -> str:
    """Return the validated number for reading (resident ID as 6-8-4 groups).

    >>> display("11010519491231002x")
    '110105 19491231 002X'
    """
    v, kind, _ = _check(value, None, False, None)
    return f"{v[:6]} {v[6:14]} {v[14:]}" if kind is IdType.RESIDENT_ID else v


@attrs.frozen(kw_only=True)
class IdInfo:
    """What :func:`info` found. ``repr`` and :meth:`to_dict` show the masked number only."""

    value: str = attrs.field(repr=False)
    masked: str
    type: IdType
    province: str | None = None
    county: str | None = None
    sex: str | None = None
    birth_date: _dt.date | None = attrs.field(default=None, repr=False)
    flags: frozenset[IdFlag] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict without the birth date or full number."""
        return {
            "value": self.masked,
            "masked": self.masked != self.value,
            "type": self.type.value,
            "province": self.province,
            "county": self.county,
            "sex": self.sex,
            "flags": sorted(f.value for f in self.flags),
        }


def info(
    raw: object,
    *,
    now: _dt.datetime | None = None,
    upgrade: bool = False,
    type: IdType | str | None = None,
) -> IdInfo:
    """Validate and describe an ID number: type, birth place, sex (RIC), flags.

    >>> i = info("360426199101010071")
    >>> i.masked, i.province, i.county, i.sex
    ('360426********0071', '江西省', '德安县', 'male')
    """
    value, kind, flags = _check(raw, now, upgrade, type)
    if kind is IdType.USCC:
        return IdInfo(value=value, masked=value, type=kind, flags=frozenset(flags))
    place = _ric.get_birth_place(value)
    return IdInfo(
        value=value,
        masked=mask(value),
        type=kind,
        province=place.get("province"),
        county=place.get("county"),
        sex="male" if int(value[16]) % 2 else "female",
        birth_date=_ric.get_birth_date(value),
        flags=frozenset(flags),
    )
