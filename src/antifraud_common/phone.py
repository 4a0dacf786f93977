"""Phone numbers: strict cleaning, validation, canonical form and classification.

The canonical value of a dialable number is its E.164 form (ITU-T E.164,
``+<country code><national significant number>``). Chinese short codes
(bank and service lines such as 95588, 10086, 12321), emergency numbers
(110, 119, 120, 122) and 106 SMS ports have no E.164 form; their canonical
value is an RFC 3966 local number with a global context:
``tel:<digits>;phone-context=+86``. The API has python-stdnum's shape:
:func:`compact`, :func:`validate`, :func:`is_valid`, :func:`display`, plus
:func:`classify` (a :class:`PhoneInfo`) and the bulk :func:`validate_many`.
The full rules are in ``docs/phone.md``; the canonical-form algorithm, precise
enough to re-implement, is in ``docs/canonical/phone.md``.

Every verdict on a Chinese number is a look-up in the packaged number plan
(``data/cn_number_plan.csv``, version :data:`PLAN_VERSION`, specified in
``docs/spec/number-plan.md``), never in the installed phonenumbers, so
publisher and receiver agree whatever they have installed. A number in a range
the plan does not know as allocated raises ``unknown_range``: a newer plan may
allocate it. Numbers of other countries are decided by phonenumbers.

>>> validate("+86 138 0013 8000")
'+8613800138000'
>>> validate("１３８－００１３－８０００")
'+8613800138000'
>>> validate("010-6234 5678")
'+861062345678'
>>> validate("95588")
'tel:95588;phone-context=+86'
>>> validate("00852 5123 4567")
'+85251234567'
>>> validate("138O0138OOO")
Traceback (most recent call last):
...
antifraud_common.errors.InvalidFormatError: letters are not allowed in a phone number ...
>>> is_valid(13800138000)
False
>>> display("+8613800138000")
'+86 138 0013 8000'
>>> info = classify("+86 170 0123 4567")
>>> info.kind.value, info.host_operator, sorted(f.value for f in info.flags)
('mobile', 'china_telecom', ['virtual_operator'])
>>> [v for v, _ in validate_many(["+8613800138000", "12", "+861062345678"])]
['+8613800138000', None, '+861062345678']
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from antifraud_common import _cn_plan, _text, numberplan
from antifraud_common._cn_plan import CACHE_LIMIT, INVALID, UNDECIDED
from antifraud_common.errors import (
    AntifraudError,
    ConfigurationError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ValidationError,
)

if TYPE_CHECKING:  # pragma: no cover
    import phonenumbers

    from antifraud_common.numberplan import NumberPlan

__all__ = [
    "MAX_DIGITS",
    "MAX_INPUT_LENGTH",
    "PLAN_VERSION",
    "CountryRules",
    "PhoneFlag",
    "PhoneInfo",
    "PhoneKind",
    "ShapePatterns",
    "classify",
    "compact",
    "country_calling_codes",
    "country_rules",
    "decide_many",
    "dialled_refusal",
    "display",
    "info",
    "is_valid",
    "prefix_all_valid",
    "shape_patterns",
    "validate",
    "validate_many",
]

#: The version of the packaged +86 number plan every Chinese verdict is made with.
PLAN_VERSION = 1
#: Inputs longer than this many characters are rejected before any parsing.
MAX_INPUT_LENGTH = 64
#: The most digits (after cleaning, without ``+``) any accepted form can have.
MAX_DIGITS = 20
#: The longest regular (non-SMS-port) Chinese national number: 13-digit IoT numbers.
_MAX_CN_REGULAR = 13
_CONTEXT = ";phone-context=+86"
#: What cleaning deletes from an ASCII value (see _text.clean).
_ASCII_SEPARATORS = dict.fromkeys(map(ord, _text.DEFAULT_SEPARATORS))
_WHAT = "phone number"


class PhoneKind(enum.Enum):
    """What kind of number a canonical value is."""

    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    TOLL_FREE = "toll_free"
    SHARED_COST = "shared_cost"
    PREMIUM = "premium"
    VOIP = "voip"
    SHORT_CODE = "short_code"
    EMERGENCY = "emergency"
    SMS_PORT = "sms_port"
    IOT = "iot"
    SATELLITE = "satellite"
    OTHER = "other"


class PhoneFlag(enum.Enum):
    """Facts about the input or the number worth keeping next to the value."""

    VIRTUAL_OPERATOR = "virtual_operator"
    FOREIGN = "foreign"
    FULLWIDTH = "fullwidth"
    INVISIBLE_CHARS = "invisible_chars"
    TRUNK_PREFIX = "trunk_prefix"
    INTERNATIONAL_PREFIX = "international_prefix"
    BARE_COUNTRY_CODE = "bare_country_code"
    INTERNATIONAL_SHORT_CODE = "international_short_code"
    TEL_URI = "tel_uri"


#: Kinds whose canonical value is ``tel:<digits>;phone-context=+86``.
_LOCAL_KINDS = frozenset({PhoneKind.SHORT_CODE, PhoneKind.EMERGENCY, PhoneKind.SMS_PORT})


@attrs.frozen(kw_only=True)
class PhoneInfo:
    """The classification of one phone number (see :func:`classify`).

    ``allocated_carrier`` and ``allocated_area`` describe the original
    allocation of the number block (号段归属), not the current operator or a
    location: numbers are portable. ``host_operator`` is set for numbers in a
    virtual-operator block (``china_telecom``, ``china_mobile``, ``china_unicom``).
    ``plan_version`` is the number-plan version a ``+86`` verdict was made with
    (None for other countries, which phonenumbers decides).
    """

    value: str
    kind: PhoneKind
    country_code: int
    national_number: str
    region_code: str | None
    allocated_carrier: str | None = None
    allocated_area: str | None = None
    host_operator: str | None = None
    flags: frozenset[PhoneFlag] = frozenset()
    plan_version: int | None = None

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-safe dict; enum values are lowercase strings, flags sorted."""
        return {
            "value": self.value,
            "kind": self.kind.value,
            "country_code": self.country_code,
            "national_number": self.national_number,
            "region_code": self.region_code,
            "allocated_carrier": self.allocated_carrier,
            "allocated_area": self.allocated_area,
            "host_operator": self.host_operator,
            "flags": sorted(f.value for f in self.flags),
            "plan_version": self.plan_version,
        }


class _Analysis(NamedTuple):
    value: str
    kind: PhoneKind
    country_code: int
    nsn: str
    region_code: str | None
    flags: frozenset[PhoneFlag]
    carrier: str | None = None


#: Plan kinds -> PhoneKind (``unknown`` is not a kind: it raises ``unknown_range``).
_PLAN_KIND: dict[str, PhoneKind] = {k.value: k for k in PhoneKind if k.value in _cn_plan.KINDS}

_EXTENSION_RE = re.compile(r"(?i)[0-9](?:;?ext(?:ension)?=?|x|#|转|分机号?)[0-9]*$")
_SPREADSHEET_FLOAT_RE = re.compile(r"\s*\+?[0-9]{3,}\.0+\s*")
_SCIENTIFIC_RE = re.compile(r"\s*[+-]?[0-9](?:\.[0-9]+)?[eE][+-]?[0-9]+\s*")

_TYPE_KIND = {
    "premium_rate": PhoneKind.PREMIUM,
    "toll_free": PhoneKind.TOLL_FREE,
    "shared_cost": PhoneKind.SHARED_COST,
    "voip": PhoneKind.VOIP,
    "personal_number": PhoneKind.OTHER,
    "pager": PhoneKind.OTHER,
    "uan": PhoneKind.OTHER,
    "voicemail": PhoneKind.OTHER,
    "fixed_line": PhoneKind.FIXED_LINE,
    "mobile": PhoneKind.MOBILE,
    "fixed_line_or_mobile": PhoneKind.FIXED_LINE_OR_MOBILE,
}
#: phonenumbers.PhoneNumberType integer values -> type names.
_PN_TYPE_NAMES = {
    0: "fixed_line",
    1: "mobile",
    2: "fixed_line_or_mobile",
    3: "toll_free",
    4: "premium_rate",
    5: "shared_cost",
    6: "voip",
    7: "personal_number",
    8: "pager",
    9: "uan",
    10: "voicemail",
}


# --- lazily loaded data -------------------------------------------------------------------


@functools.cache
def _packaged() -> _cn_plan.Plan:
    p = _cn_plan.plan()
    if p.version != PLAN_VERSION:  # pragma: no cover - guards a mixed installation
        raise RuntimeError(
            f"data/cn_number_plan.csv is plan version {p.version}, this code expects "
            f"{PLAN_VERSION}: reinstall antifraud_common"
        )
    return p


_current_plan = numberplan.current


def _plan() -> _cn_plan.Plan:
    """The plan in effect (``numberplan.use``); the fast paths use :func:`_packaged` only."""
    p = _current_plan()
    return _packaged() if p is None else p.table


def _other_plan(plan: NumberPlan | None) -> NumberPlan | None:
    """The non-packaged plan a call must use (given, else in effect), or None."""
    if plan is None:
        return _current_plan()
    if not isinstance(plan, numberplan.NumberPlan):
        raise ConfigurationError("plan must be a numberplan.NumberPlan", code="invalid_plan")
    return None if plan.is_packaged else plan


@functools.cache
def _supported_regions() -> frozenset[str]:
    import phonenumbers

    return frozenset(phonenumbers.SUPPORTED_REGIONS)


@functools.cache
def _mvno_table() -> dict[str, str]:
    """Prefix -> host operator code, from the packaged, dated MVNO table."""
    # Imported here to keep `import antifraud_common.phone` cheap.
    import csv
    import io
    from importlib import resources

    text = (resources.files("antifraud_common") / "data" / "mvno_prefixes.csv").read_text(
        encoding="utf-8"
    )
    rows = csv.DictReader(io.StringIO("".join(ln for ln in text.splitlines(True) if ln[0] != "#")))
    return {row["prefix"]: row["host_operator"] for row in rows}


def _check_region(region: object) -> str:
    if type(region) is str and region == "CN":
        return "CN"
    if type(region) is not str or region not in _supported_regions():
        hint = " (region codes are upper case)" if isinstance(region, str) else ""
        raise ConfigurationError(
            f"unknown region {region!r}{hint}; use an upper-case CLDR region code such as 'CN'",
            code="unknown_region",
        )
    return region


def _regular_ok(nsn: str) -> bool:
    """Whether the plan allocates ``nsn`` (ASCII digits) as a regular +86 number."""
    row = _packaged().regular(nsn)
    return row is not None and row[0] != "unknown"


# --- the bulk fast path ----------------------------------------------------------------
#
# For an input that already is ASCII "+86<digits>", the answer depends only on the
# NSN, and for most prefixes only on its length and first five digits.
# _FAST[len(raw)] maps those digits to: "v" (valid, the input is its own canonical
# value), "x" (invalid: in no range), "u" (in a range the plan does not know as
# allocated), "r" (look the whole number up in the plan) or "g" (take the general path).

_FAST: list[dict[str, str]] = [{} for _ in range(17)]


def _fast_decision(raw: str) -> str:
    nsn = raw[3:]
    if nsn[0] == "0":
        decision = "g"  # a trunk 0 after +86
    else:
        plan = _packaged()
        d = plan.decide_prefix("regular", len(nsn), nsn[:5])
        if d == UNDECIDED:
            decision = "r"
        elif d not in (INVALID, "unknown"):
            decision = "v"
        elif plan.decide_prefix("local", len(nsn), nsn[:5]) != INVALID:
            # After +86 a number outside the regular plan may still be a special number.
            decision = "g"
        else:
            decision = "u" if d == "unknown" else "x"
    table = _FAST[len(raw)]
    if len(table) < CACHE_LIMIT:
        table[raw[3:8]] = decision
    return decision


def _fast_valid(raw: str) -> bool:
    """True if ``raw`` is a canonical, valid E.164 +86 number (decided without parsing)."""
    if raw[:3] != "+86" or not 12 <= len(raw) <= 16 or not raw.isascii() or not raw[1:].isdigit():
        return False
    decision = _FAST[len(raw)].get(raw[3:8]) or _fast_decision(raw)
    return decision == "v" or (decision == "r" and _regular_ok(raw[3:]))


# --- the general path ------------------------------------------------------------------


def _too_short() -> InvalidLengthError:
    return InvalidLengthError("the number is too short", code="too_short")


def _too_long() -> InvalidLengthError:
    return InvalidLengthError("the number is too long", code="too_long")


def _unknown_country_code() -> InvalidComponentError:
    return InvalidComponentError("unknown country calling code", code="unknown_country_code")


def _invalid_number() -> InvalidComponentError:
    return InvalidComponentError("the number is not in any allocated range", code="invalid_number")


def _unknown_range() -> InvalidComponentError:
    return InvalidComponentError(
        f"the number is in a range number plan {_plan().version} does not know as allocated; "
        "a newer plan may allocate it (a newer antifraud_common may accept it)",
        code="unknown_range",
    )


def _cn_national(
    nsn: str, flags: set[PhoneFlag], *, dialled_locally: bool, allow_special: bool = True
) -> _Analysis:
    """Classify a Chinese national significant number.

    ``dialled_locally``: the digits were written without any prefix (or as an RFC
    3966 local number), so 106 ports, emergency numbers and short codes take
    precedence. Otherwise (after ``+86``/``0086``) regular numbers come first and a
    special number gets the INTERNATIONAL_SHORT_CODE flag.
    """
    n = len(nsn)
    if n < 3:
        raise InvalidLengthError("the number is too short", code="too_short")
    if dialled_locally and allow_special:
        special = _cn_special(nsn)
        if special is not None:
            return _local(nsn, special, flags)
    if n > _MAX_CN_REGULAR and not (allow_special and _cn_special(nsn) is PhoneKind.SMS_PORT):
        raise InvalidLengthError("the number is too long", code="too_long")
    row = _plan().regular(nsn)
    if row is not None and row[0] != "unknown":
        return _e164("86", nsn, _PLAN_KIND[row[0]], "CN", flags, carrier=row[1] or None)
    if allow_special and not dialled_locally:
        special = _cn_special(nsn)
        if special is not None:
            flags.add(PhoneFlag.INTERNATIONAL_SHORT_CODE)
            return _local(nsn, special, flags)
    if not allow_special and _cn_special(nsn) is not None:
        raise InvalidComponentError(
            "a short code, emergency number or SMS port cannot follow a trunk 0 or a bare 86",
            code="invalid_number",
        )
    if row is not None:
        raise _unknown_range()
    raise _invalid_number()


def _cn_special(nsn: str) -> PhoneKind | None:
    """Emergency number, SMS port or short code (the plan's ``local`` table), or None."""
    row = _plan().local(nsn)
    return None if row is None else _PLAN_KIND[row[0]]


def _local(nsn: str, kind: PhoneKind, flags: set[PhoneFlag]) -> _Analysis:
    return _Analysis(f"tel:{nsn}{_CONTEXT}", kind, 86, nsn, "CN", frozenset(flags))


def _e164(
    cc: str,
    nsn: str,
    kind: PhoneKind,
    region: str | None,
    flags: set[PhoneFlag],
    *,
    carrier: str | None = None,
) -> _Analysis:
    return _Analysis(f"+{cc}{nsn}", kind, int(cc), nsn, region, frozenset(flags), carrier)


def _wrap_parse_error(e: Exception) -> ValidationError:
    error_type = getattr(e, "error_type", None)
    if error_type == 0:
        return _unknown_country_code()
    if error_type in (2, 3):
        return _too_short()
    if error_type == 4:
        return _too_long()
    return InvalidFormatError("the value is not a phone number", code="not_a_number")


def _from_numobj(num: phonenumbers.PhoneNumber, flags: set[PhoneFlag]) -> _Analysis:
    import phonenumbers

    if num.country_code == 86:
        return _cn_national(
            phonenumbers.national_significant_number(num), flags, dialled_locally=False
        )
    if not phonenumbers.is_valid_number(num):
        raise _invalid_number()
    flags.add(PhoneFlag.FOREIGN)
    type_name = _PN_TYPE_NAMES.get(phonenumbers.number_type(num))
    kind = _TYPE_KIND[type_name] if type_name else PhoneKind.OTHER
    nsn = phonenumbers.national_significant_number(num)
    region = phonenumbers.region_code_for_number(num)
    return _e164(str(num.country_code), nsn, kind, region, flags)


def _international(digits: str, flags: set[PhoneFlag]) -> _Analysis:
    """``digits`` followed a ``+`` (or the ``00`` international prefix)."""
    if digits[:2] == "86":
        nsn = digits[2:]
        if nsn[:1] == "0":
            flags.add(PhoneFlag.TRUNK_PREFIX)
            return _cn_national(nsn[1:], flags, dialled_locally=False, allow_special=False)
        return _cn_national(nsn, flags, dialled_locally=False)
    if len(digits) < 3:
        raise _too_short()
    import phonenumbers

    _keep_patterns()
    try:
        num = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException as e:
        raise _wrap_parse_error(e) from e
    return _from_numobj(num, flags)


def _cn_dialled(digits: str, flags: set[PhoneFlag]) -> _Analysis:
    """Digits without ``+`` written under region CN."""
    if digits[:2] == "00":
        flags.add(PhoneFlag.INTERNATIONAL_PREFIX)
        return _international(digits[2:], flags)
    if digits[:1] == "0":
        flags.add(PhoneFlag.TRUNK_PREFIX)
        return _cn_national(digits[1:], flags, dialled_locally=False, allow_special=False)
    try:
        return _cn_national(digits, flags, dialled_locally=True)
    except ValidationError:
        if digits[:2] != "86" or len(digits) < 5:
            raise
        try:
            return _cn_national(
                digits[2:],
                {*flags, PhoneFlag.BARE_COUNTRY_CODE},
                dialled_locally=False,
                allow_special=False,
            )
        except ValidationError:
            pass
        raise


def _other_region(digits: str, region: str, flags: set[PhoneFlag]) -> _Analysis:
    import phonenumbers

    _keep_patterns()
    try:
        num = phonenumbers.parse(digits, region, keep_raw_input=True)
    except phonenumbers.NumberParseException as e:
        raise _wrap_parse_error(e) from e
    source = num.country_code_source
    if source == phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD:
        flags.add(PhoneFlag.INTERNATIONAL_PREFIX)
    elif source == phonenumbers.CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN:
        flags.add(PhoneFlag.BARE_COUNTRY_CODE)
    elif len(phonenumbers.national_significant_number(num)) < len(digits):
        flags.add(PhoneFlag.TRUNK_PREFIX)
    return _from_numobj(num, flags)


def _split_tel(text: str) -> tuple[str, bool]:
    """Split a cleaned RFC 3966 ``tel:`` URI into (number, has +86 context).

    Cleaning has already removed visual separators, so ``phone-context``
    arrives as ``phonecontext``.
    """
    number, *params = text[4:].split(";")
    context = False
    for param in params:
        key, _, val = param.partition("=")
        key = key.lower()
        if key == "phonecontext" and val == "+86" and not context:
            context = True
        elif key in ("ext", "extension", "isub", "postd"):
            raise InvalidFormatError(
                "extensions and sub-addresses are not allowed", code="extension_not_allowed"
            )
        else:
            raise InvalidFormatError(
                "unsupported tel: URI parameter (only phone-context=+86 is accepted)",
                code="invalid_tel_uri",
            )
    if context and number[:1] == "+":
        raise InvalidFormatError(
            "a global number must not carry a phone-context", code="invalid_tel_uri"
        )
    return number, context


class _Front(NamedTuple):
    """What :func:`_front` leaves to decide: the digits and how they were written."""

    digits: str
    plus: bool
    context: bool
    tel: bool


#: The refusals of :func:`_front` with a fixed message, by code.
_FRONT_ERRORS: dict[str, Callable[[], ValidationError]] = {
    "spreadsheet_number": lambda: InvalidFormatError(
        "the value looks like a spreadsheet number (trailing .0)", code="spreadsheet_number"
    ),
    "scientific_notation": lambda: InvalidFormatError(
        "the value is in scientific notation; digits were lost", code="scientific_notation"
    ),
    "extension_not_allowed": lambda: InvalidFormatError(
        "extensions are not allowed", code="extension_not_allowed"
    ),
    "empty": lambda: InvalidFormatError("no digits in the phone number", code="empty"),
    "too_long": _too_long,
}


def _front(raw: str, text: str, *, errors: bool) -> _Front | ValidationError | str:
    """The checks made on every value before any number plan: the digits, or the refusal.

    ``text`` is ``raw`` cleaned. A refusal is returned, not raised: as the error
    (``errors=True``) or as its code only (bulk callers that keep codes). Only a
    malformed ``tel:`` URI raises.
    """
    code = None
    if "." in raw and _SPREADSHEET_FLOAT_RE.fullmatch(raw):
        code = "spreadsheet_number"
    elif ("e" in raw or "E" in raw) and _SCIENTIFIC_RE.fullmatch(raw):
        code = "scientific_notation"
    else:
        context = False
        tel = text[:4].lower() == "tel:"
        if tel:
            text, context = _split_tel(text)
        if _EXTENSION_RE.search(text):
            code = "extension_not_allowed"
        else:
            plus = text[:1] == "+"
            digits = text[1:] if plus else text
            if not (digits.isascii() and digits.isdigit()):
                if not digits:
                    code = "empty"
                elif errors:
                    error = _text.unexpected_error(digits, what=_WHAT)
                    assert error is not None  # digits holds a non-digit
                    return error
                else:
                    code = _text.unexpected_code(digits)
                    assert code is not None
            elif len(digits) > MAX_DIGITS:
                code = "too_long"
            else:
                return _Front(digits, plus, context, tel)
    return _FRONT_ERRORS[code]() if errors else code


def _analyse(raw: object, region: str, cleaned: _text.Cleaned | None = None) -> _Analysis:
    """The strict path: every verdict, with kind and flags (phonenumbers for other countries)."""
    if cleaned is None:
        cleaned = _text.clean(raw, max_length=MAX_INPUT_LENGTH, what=_WHAT)
    assert isinstance(raw, str)  # clean() accepted it
    front = _front(raw, cleaned.text, errors=True)
    if not isinstance(front, _Front):
        assert isinstance(front, ValidationError)
        raise front
    flags: set[PhoneFlag] = set()
    if cleaned.fullwidth:
        flags.add(PhoneFlag.FULLWIDTH)
    if cleaned.invisible:
        flags.add(PhoneFlag.INVISIBLE_CHARS)
    if front.tel:
        flags.add(PhoneFlag.TEL_URI)
    digits = front.digits
    if front.context:
        return _cn_national(digits, flags, dialled_locally=True)
    if front.plus:
        return _international(digits, flags)
    if region == "CN":
        return _cn_dialled(digits, flags)
    return _other_region(digits, region, flags)


# --- cheap exact refusals for numbers of other countries ---------------------------------
#
# phonenumbers.parse("+" + digits) costs tens of microseconds, and digits an attacker
# picks at random are nearly all refused. Most refusals follow from phonenumbers' own
# metadata without parsing: no country calling code starts the digits; or the national
# significant number (NSN) the parse would produce -- the digits after the code, or
# those after a national prefix it may strip -- matches the general pattern of no
# region of that code, so is_valid_number is False whichever region it settles on.
# Whatever these rules cannot settle exactly goes to the strict path.


class _Country(NamedTuple):
    #: the national prefix phonenumbers may strip while parsing (main region), or None
    prefix: re.Pattern[str] | None
    #: a prefix match may be transformed rather than stripped
    transform: bool
    #: NSN length -> the general NSN patterns of the code's regions allowing that length,
    #: joined in one alternation (a full match of it is a full match of one of them)
    general: dict[int, re.Pattern[str]]
    #: NSN length -> for each region and number type allowing that length, "the general
    #: pattern and the type's pattern both match": a full match is what
    #: is_valid_number asks of the region it settles on
    valid: dict[int, re.Pattern[str]]
    #: the code has one region, so a full match of ``valid`` is is_valid_number's answer
    single: bool


#: The number types phonenumbers' type test tries (mobile only where its pattern differs).
_PN_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)


@functools.cache
def _country_codes() -> frozenset[int]:
    import phonenumbers

    _keep_patterns()
    return frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


@functools.cache
def _keep_patterns() -> None:
    """Turn on phonenumbers' own cache of compiled metadata patterns where it has one.

    Its metadata has more patterns than the ``re`` module keeps (512), so a stream of
    numbers of many countries recompiles patterns on almost every call: most of the
    time phonenumbers spends on such a stream. The cache holds each metadata pattern
    once (a bounded set); results are unchanged.
    """
    import phonenumbers

    enable = getattr(phonenumbers, "enable_pattern_cache", None)
    if enable is not None:
        enable()


class CountryRules(NamedTuple):
    """What phonenumbers' metadata says of one country calling code, for bulk refusals.

    The first tests :func:`validate` makes of ``"+" + code + rest`` before parsing
    (see ``docs/phone.md``, "Speed"), given as patterns so that a bulk engine (the
    columnar screening path) can apply them to a whole column: when
    ``national_prefix`` does not match at the start of ``rest`` and no region's
    ``general`` pattern fully matches ``rest`` at one of its lengths, the number is
    refused with ``invalid_number``; so it is when the prefix does not match and no
    pattern of ``types`` fully matches ``rest``, and when it does match (and is not
    ``transform``-ed) and no pattern of ``types`` fully matches ``rest`` or what
    follows the prefix (at least two digits). Anything else is for :func:`validate`
    to decide.
    """

    #: the country calling code
    code: int
    #: the national prefix phonenumbers may strip while parsing, as a pattern matched
    #: at the start of the national digits, or None
    national_prefix: str | None
    #: per region of the code: (the national-number lengths it allows, the pattern of
    #: its general description)
    general: tuple[tuple[tuple[int, ...], str], ...]
    #: the patterns of every number type of every region of the code: a valid number
    #: fully matches one of them
    types: tuple[str, ...]
    #: phonenumbers may transform the national prefix rather than strip it
    transform: bool


def country_calling_codes() -> frozenset[int]:
    """Every country calling code phonenumbers' metadata knows.

    >>> 1 in country_calling_codes(), 86 in country_calling_codes(), 999 in country_calling_codes()
    (True, True, False)
    """
    return _country_codes()


@functools.cache
def country_rules(code: int) -> CountryRules:
    """The :class:`CountryRules` of a country calling code (``ValueError`` if unknown).

    >>> r = country_rules(44)
    >>> r.code, bool(r.national_prefix), all(lengths for lengths, _ in r.general)
    (44, True, True)
    """
    import phonenumbers

    if code not in _country_codes():
        raise ValueError(f"unknown country calling code: {code!r}")
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code
    md = metadata(code, phonenumbers.region_code_for_country_code(code))
    npp = md.national_prefix_for_parsing if md is not None else None
    general = []
    types: list[str] = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code]:
        m = metadata(code, region)
        desc = m.general_desc if m is not None else None
        if m is None or desc is None or not desc.national_number_pattern:
            continue  # phonenumbers: such a description matches nothing
        # An empty length list means "any length" to phonenumbers; NSNs have 2-17 digits.
        lengths = tuple(desc.possible_length or range(2, 18))
        general.append((lengths, desc.national_number_pattern))
        for t in _region_types(m):
            if t.national_number_pattern not in types:
                types.append(t.national_number_pattern)
    transform = bool(md is not None and md.national_prefix_transform_rule)
    return CountryRules(code, npp or None, tuple(general), tuple(types), transform)


def _region_types(m: Any) -> list[Any]:
    """The number-type descriptions phonenumbers' type test tries for one region."""
    types = [getattr(m, t, None) for t in _PN_TYPES]
    if not m.same_mobile_and_fixed_line_pattern:
        types.append(m.mobile)
    return [t for t in types if t is not None and t.national_number_pattern]


@functools.cache
def _country(cc: int) -> _Country:
    import phonenumbers

    rules = country_rules(cc)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc]
    by_length: dict[int, list[str]] = {}
    for lengths, pattern in rules.general:
        for n in lengths:
            by_length.setdefault(n, []).append(pattern)
    valid: dict[int, list[str]] = {}
    for region in regions:
        m = metadata(cc, region)
        desc = m.general_desc if m is not None else None
        if m is None or desc is None or not desc.national_number_pattern:
            continue  # as in country_rules
        types = _region_types(m)
        for n in desc.possible_length or range(2, 18):
            for t in types:
                if t.possible_length and n not in t.possible_length:
                    continue
                valid.setdefault(n, []).append(
                    f"(?=(?:{desc.national_number_pattern})\\Z)(?:{t.national_number_pattern})"
                )
    return _Country(
        re.compile(rules.national_prefix) if rules.national_prefix else None,
        rules.transform,
        {n: re.compile("|".join(f"(?:{p})" for p in ps)) for n, ps in by_length.items()},
        {n: re.compile("|".join(f"(?:{p})" for p in ps)) for n, ps in valid.items()},
        len(regions) == 1,
    )


def _valid_match(country: _Country, nsn: str) -> bool:
    """Whether ``nsn`` passes phonenumbers' type test for some region of the code."""
    p = country.valid.get(len(nsn))
    return p is not None and p.fullmatch(nsn) is not None


def _general_match(country: _Country, nsn: str) -> bool:
    """phonenumbers' general-description test of ``nsn``, true for some region of the code."""
    p = country.general.get(len(nsn))
    return p is not None and p.fullmatch(nsn) is not None


_UNDECIDED: tuple[None, None] = (None, None)


def _foreign_verdict(intl: str) -> tuple[str | None, str | None]:
    """The verdict on ``"+" + intl`` (ASCII digits, not starting with 86) where it is
    cheap to reach exactly: ``(canonical, None)``, ``(None, error code)``, or
    ``(None, None)`` (ask the strict path).
    """
    if len(intl) < 3:
        return None, "too_short"
    if intl[0] == "0":
        return None, "unknown_country_code"
    codes = _country_codes()
    for width in (1, 2, 3):
        cc = int(intl[:width])
        if cc in codes:
            break
    else:
        return None, "unknown_country_code"
    rest = intl[width:]
    if len(rest) < 2:
        return None, "too_short"
    country = _country(cc)
    m = country.prefix.match(rest) if country.prefix is not None else None
    if m is None:
        if len(rest) > 17:
            return None, "too_long"
        if not (_general_match(country, rest) and _valid_match(country, rest)):
            return None, "invalid_number"
        if country.single:
            return "+" + intl, None
        import phonenumbers

        # The number parse() builds: the NSN's leading zeros are kept as its flags.
        num = phonenumbers.PhoneNumber(country_code=cc, national_number=int(rest))
        if rest[0] == "0":
            zeros = len(rest) - len(rest.lstrip("0"))
            num.italian_leading_zero = True
            if zeros == len(rest):
                zeros -= 1  # parse() counts all but the last digit of an all-zero NSN
            if zeros != 1:
                num.number_of_leading_zeros = zeros
        if phonenumbers.national_significant_number(num) != rest:  # pragma: no cover
            return _UNDECIDED  # never expected: the strict path decides
        return ("+" + intl, None) if phonenumbers.is_valid_number(num) else (None, "invalid_number")
    groups = m.groups()
    stripped = rest[m.end() :]
    if (
        len(rest) > 17
        or len(stripped) < 2
        or (country.transform and (not groups or groups[-1] is not None))
        or _valid_match(country, rest)
        or _valid_match(country, stripped)
    ):
        return _UNDECIDED
    return None, "invalid_number"


#: The errors :func:`_foreign_verdict` decides, as the strict path raises them.
_FOREIGN_ERRORS: dict[str, Callable[[], ValidationError]] = {
    "too_short": _too_short,
    "too_long": _too_long,
    "unknown_country_code": _unknown_country_code,
    "invalid_number": _invalid_number,
}


def _intl_digits(front: _Front, region: str) -> str | None:
    """The digits after ``+`` or the ``00`` prefix when they are not +86's, else None."""
    if front.context:
        return None
    digits = front.digits
    intl = digits if front.plus else digits[2:] if region == "CN" and digits[:2] == "00" else None
    return intl if intl is not None and intl[:2] != "86" else None


def _decide(raw: object, region: str) -> tuple[str | None, str | None]:
    """:func:`validate`'s verdict where it is cheap to reach exactly, without error objects:
    ``(canonical, None)``, ``(None, error code)`` or ``(None, None)`` (ask :func:`_analyse`).

    ``region`` must be known to be good. Raises what cleaning refuses (not a string,
    too long) and for a malformed ``tel:`` URI.
    """
    cleaned = _text.clean(raw, max_length=MAX_INPUT_LENGTH, what=_WHAT)
    assert isinstance(raw, str)  # clean() accepted it
    return _decide_text(raw, cleaned.text, region)


def _decide_text(raw: str, text: str, region: str) -> tuple[str | None, str | None]:
    """:func:`_decide` once ``raw`` is cleaned to ``text``."""
    # The +86 candidate can only pass _fast_valid when the text is (+)digits.
    if text.isascii() and (text.isdigit() or (text[:1] == "+" and text[1:].isdigit())):
        candidate = _e164_candidate(text, region)
        if (
            candidate is not None
            and _fast_valid(candidate)
            and ("." not in raw or not _SPREADSHEET_FLOAT_RE.fullmatch(raw))
        ):
            return candidate, None
    front = _front(raw, text, errors=False)
    if isinstance(front, str):
        return None, front
    assert isinstance(front, _Front)
    intl = _intl_digits(front, region)
    if intl is not None:
        return _foreign_verdict(intl)
    return _UNDECIDED


def _verdict(raw: object, region: str) -> str | ValidationError:
    """:func:`validate`'s answer once ``region`` is known to be good: the canonical value
    or the error (returned where :func:`_decide` settles it without the strict path).
    """
    value, code = _decide(raw, region)
    if value is not None:
        return value
    assert code is None or isinstance(code, str)
    if code in _FOREIGN_ERRORS:
        return _FOREIGN_ERRORS[code]()
    # Refusals of _front are rebuilt (with their message) by the strict path itself.
    return _analyse(raw, region).value


# --- public API ------------------------------------------------------------------------


def compact(raw: object) -> str:
    """Clean ``raw`` only (fold full-width, drop invisible characters and separators).

    No validation: the result may still contain letters or other characters.

    >>> compact(" +86 (0)10-6234 5678 ")
    '+8601062345678'
    """
    return _text.clean(raw, max_length=MAX_INPUT_LENGTH, what=_WHAT).text


def validate(raw: object, *, region: str = "CN", plan: NumberPlan | None = None) -> str:
    """Return the canonical value of ``raw`` or raise a :class:`ValidationError`.

    ``region`` is the upper-case region the number was written in (used only for
    numbers without ``+``); an unknown region raises :class:`ConfigurationError`.
    ``plan`` (a :class:`~antifraud_common.numberplan.NumberPlan`, such as a
    newer signed plan the receiver holds) decides Chinese numbers instead of the
    plan in effect (:func:`antifraud_common.numberplan.use`; by default the
    packaged one).

    >>> validate("0086 13800138000")
    '+8613800138000'
    >>> validate("tel:95588;phone-context=+86")
    'tel:95588;phone-context=+86'
    """
    if plan is not None or _current_plan() is not None:
        other = _other_plan(plan)
        if other is not None:
            with numberplan.use(other):
                return _analyse(raw, _check_region(region)).value
    if type(raw) is str and raw[:3] == "+86" and _fast_valid(raw):
        return raw
    return _validate_checked(raw, _check_region(region))


def _e164_candidate(text: str, region: str) -> str | None:
    """The +86 form cleaned digits would have if they are a regular Chinese number.

    Only a candidate: :func:`_fast_valid` must still accept it. Inputs whose
    meaning depends on rules the fast path does not model (106 SMS ports dialled
    nationally, ``00`` + another country, other regions) give None.
    """
    if text[:1] == "+":
        return text if text[:3] == "+86" else None
    if region != "CN":
        return None
    if text[:4] == "0086":
        return "+86" + text[4:]
    if text[:2] == "00":
        return None
    if text[:1] == "0":
        return "+86" + text[1:]
    if text[:3] == "106":
        return None
    return "+86" + text


def _validate_checked(raw: object, region: str) -> str:
    """:func:`validate` once ``region`` is known to be good."""
    value, _ = _decide(raw, region)
    if value is not None:
        return value
    # A refusal is raised by the strict path itself, so that one that came from
    # phonenumbers carries its exception as the cause.
    return _analyse(raw, region).value


def is_valid(raw: object, *, region: str = "CN", plan: NumberPlan | None = None) -> bool:
    """Return whether ``raw`` is a valid phone number; never raises.

    An unknown ``region`` (or a ``plan`` that is not a plan) makes every value
    invalid; ``plan`` as for :func:`validate`.

    >>> is_valid("13800138000"), is_valid("1380013800"), is_valid(None)
    (True, False, False)
    """
    try:
        validate(raw, region=region, plan=plan)
    except AntifraudError:
        return False
    return True


def validate_many(
    values: Iterable[object], *, region: str = "CN", plan: NumberPlan | None = None
) -> Iterator[tuple[str | None, ValidationError | None]]:
    """Validate many values; yield ``(canonical, None)`` or ``(None, error)`` per item, in order.

    Never stops at a bad item. Values already in canonical ``+86`` E.164 form are
    decided without parsing, and so are the refusals of :func:`decide_many` (see
    ``docs/phone.md``, "Speed"): each error has the class, code and message
    :func:`validate` raises, but one decided without calling phonenumbers has no
    phonenumbers exception as its ``__cause__``. ``plan`` as for :func:`validate`
    (the plan in effect when iteration starts is used throughout).

    >>> [(v, e.code if e else None) for v, e in validate_many(["+8613800138000", None])]
    [('+8613800138000', None), (None, 'not_a_string')]
    """
    region = _check_region(region)
    other = _other_plan(plan)
    if other is not None:
        yield from _validate_many_with(values, region, other)
        return
    fast = _FAST
    regular_ok = _regular_ok
    for raw in values:
        if (
            type(raw) is str
            and raw[:3] == "+86"
            and 12 <= len(raw) <= 16
            and raw.isascii()
            and raw[1:].isdigit()
        ):
            decision = fast[len(raw)].get(raw[3:8]) or _fast_decision(raw)
            if decision == "v" or (decision == "r" and regular_ok(raw[3:])):
                yield raw, None
                continue
            if decision == "x":
                yield None, _invalid_number()
                continue
            if decision == "u":
                yield None, _unknown_range()
                continue
        try:
            verdict = _verdict(raw, region)
        except ValidationError as e:
            # The caller keeps the error, not the frames it was raised through: a
            # traceback per bad value would hold every frame alive and make a stream
            # of distinct bad values cost several times a stream of good ones.
            yield None, e.with_traceback(None)
            continue
        if isinstance(verdict, str):
            yield verdict, None
        else:
            yield None, verdict


def decide_many(
    values: Iterable[object], *, region: str = "CN", plan: NumberPlan | None = None
) -> list[tuple[str | None, str | None]]:
    """Validate many values; return ``(canonical, None)`` or ``(None, error code)`` per item.

    The verdicts of :func:`validate_many`, each error given by its ``code`` alone:
    the bulk entry point for callers that keep only codes (screening), so that no
    error object is built for a bad value. Numbers of other countries that
    phonenumbers' metadata refuses without parsing (no such country calling code,
    an impossible length, a national number no region's pattern admits) are
    decided without it (see ``docs/phone.md``, "Speed"). ``plan`` as for
    :func:`validate`.

    >>> decide_many(["+8613800138000", "+1 415 555 0100", "x1"])
    [('+8613800138000', None), ('+14155550100', None), (None, 'letters_not_allowed')]
    >>> decide_many([None, 13800138000])
    [(None, 'not_a_string'), (None, 'not_a_string')]
    >>> decide_many(["+999 123 456", "+1 100 555 0100"])
    [(None, 'unknown_country_code'), (None, 'invalid_number')]
    """
    region = _check_region(region)
    other = _other_plan(plan)
    if other is not None:
        return [
            (value, None if error is None else error.code)
            for value, error in _validate_many_with(values, region, other)
        ]
    fast = _FAST
    regular_ok = _regular_ok
    separators = _ASCII_SEPARATORS
    out: list[tuple[str | None, str | None]] = []
    append = out.append
    verdict: tuple[str | None, str | None]
    for raw in values:
        if (
            type(raw) is str
            and raw[:3] == "+86"
            and 12 <= len(raw) <= 16
            and raw.isascii()
            and raw[1:].isdigit()
        ):
            decision = fast[len(raw)].get(raw[3:8]) or _fast_decision(raw)
            if decision == "v" or (decision == "r" and regular_ok(raw[3:])):
                append((raw, None))
                continue
            if decision == "x":
                append((None, "invalid_number"))
                continue
            if decision == "u":
                append((None, "unknown_range"))
                continue
        try:
            if type(raw) is str and raw.isascii() and len(raw) <= MAX_INPUT_LENGTH:
                # _text.clean of an ASCII value, in line.
                text = raw.translate(separators)
                if text[:1] == "+" and text[1:].isdigit() and text[1:3] != "86" and "." not in raw:
                    # What _decide_text does with "+" and digits and no "." (no
                    # spreadsheet float, so no letters, tel: URI or extension to refuse
                    # first, and no +86 candidate): the foreign verdict alone decides.
                    if len(text) > MAX_DIGITS + 1:
                        verdict = (None, "too_long")
                    else:
                        verdict = _foreign_verdict(text[1:])
                else:
                    verdict = _decide_text(raw, text, region)
                    if verdict is _UNDECIDED and region == "CN":
                        verdict = _block_verdict(text)
            else:
                verdict = _decide(raw, region)
            if verdict is _UNDECIDED:
                verdict = (_analyse(raw, region).value, None)
        except ValidationError as e:
            verdict = (None, e.code)
        append(verdict)
    return out


#: (after +86, length, head) -> dialled_refusal, for :func:`_block_verdict`.
_BLOCK_REFUSALS: dict[tuple[bool, int, str], str | None] = {}


def _block_verdict(text: str) -> tuple[str | None, str | None]:
    """The refusal of cleaned ASCII ``text`` (region CN, the packaged plan) that
    :func:`dialled_refusal` knows from its +86 block, else :data:`_UNDECIDED`.

    Only for text :func:`_decide_text` left undecided (so no shape refusal applies),
    and only for more than six national digits (shorter numbers are decided whole by
    the strict path, which :func:`dialled_refusal` itself asks for them).
    """
    if text[:3] == "+86" and text[3:].isdigit():
        after_86, digits = True, text[3:]
    elif text.isdigit():
        after_86, digits = False, text
    else:
        return _UNDECIDED
    n = len(digits)
    if n <= 6:
        return _UNDECIDED
    head = digits[:6] if digits[0] == "0" else digits[:5]
    key = (after_86, n, head)
    if key in _BLOCK_REFUSALS:
        code = _BLOCK_REFUSALS[key]
    else:
        code = dialled_refusal(n, head, after_86=after_86)
        if len(_BLOCK_REFUSALS) >= CACHE_LIMIT:
            _BLOCK_REFUSALS.clear()
        _BLOCK_REFUSALS[key] = code
    return _UNDECIDED if code is None else (None, code)


def prefix_all_valid(nsn_length: int, prefix: str) -> bool:
    """Whether every ``+86`` number of ``nsn_length`` national digits starting with the
    five ASCII digits ``prefix`` is valid, each being its own canonical value.

    The bulk fast paths (screening, columnar screening) accept a whole block of
    numbers on this answer: ``"+86" + digits`` is then the verdict of
    :func:`validate` for every such national number, without looking at the other
    digits. It is the decision :func:`validate` itself takes on a canonical ``+86``
    input under the packaged number plan (which its fast path uses), worked out once
    per (length, prefix) and kept. Any other argument gives False.

    >>> prefix_all_valid(11, "13800"), prefix_all_valid(11, "15400"), prefix_all_valid(11, "0138")
    (True, False, False)
    """
    if not (
        type(prefix) is str
        and len(prefix) == 5
        and prefix.isascii()
        and prefix.isdigit()
        and type(nsn_length) is int
        and 5 <= nsn_length <= _MAX_CN_REGULAR
    ):
        return False
    probe = "+86" + prefix + "0" * (nsn_length - 5)
    return (_FAST[len(probe)].get(prefix) or _fast_decision(probe)) == "v"


def dialled_refusal(length: int, head: str, *, after_86: bool = False) -> str | None:
    """The error code :func:`validate` (region CN, the packaged plan) gives every value
    of ``length`` ASCII digits, written without ``+`` or separators, that starts with
    ``head``; None when the verdict is not a refusal or depends on more digits.

    ``after_86``: the digits are the national number after ``+86`` (the value is
    ``"+86"`` and them), not digits dialled in China. ``head`` is the whole number
    when it has at most six digits; else its first six digits when it starts with
    ``0``, its first five when it does not (all the verdict can depend on).

    The refusing counterpart of :func:`prefix_all_valid`: what :func:`validate`
    decides from the plan's rows for the block, worked out once per (length, head)
    by bulk callers. Dialled values starting ``00`` (international) or ``86`` (a
    bare country code is tried) give None; any other argument gives None.

    >>> dialled_refusal(11, "15400"), dialled_refusal(11, "13800"), dialled_refusal(2, "12")
    ('unknown_range', None, 'too_short')
    >>> dialled_refusal(11, "15400", after_86=True)
    'unknown_range'
    """
    if not (
        type(head) is str
        and type(length) is int
        and 1 <= length <= MAX_INPUT_LENGTH
        and head.isascii()
        and head.isdigit()
        and len(head) == (length if length <= 6 else 6 if head[:1] == "0" else 5)
    ):
        return None
    if length <= 6:
        value = "+86" + head if after_86 else head
        return decide_many([value], plan=numberplan.NumberPlan.packaged())[0][1]
    if length > MAX_DIGITS - (2 if after_86 else 0):
        return "too_long"
    if not after_86 and head[:2] in ("00", "86"):
        return None
    plan = _packaged()
    trunk = head[0] == "0"
    n, prefix = (length - 1, head[1:6]) if trunk else (length, head[:5])
    special = plan.decide_prefix("local", n, prefix)
    if special == _cn_plan.UNDECIDED:
        return None
    if trunk or not after_86:
        if special != _cn_plan.INVALID and not trunk:
            return None  # a special number, dialled locally: valid
        if n > _MAX_CN_REGULAR:
            return "too_long"
    elif n > _MAX_CN_REGULAR and special != "sms_port":
        return "too_long"
    regular = plan.decide_prefix("regular", n, prefix)
    if regular == _cn_plan.UNDECIDED or regular not in (_cn_plan.INVALID, "unknown"):
        return None
    if special != _cn_plan.INVALID:
        # After a trunk 0 a special number is refused; after +86 it is valid.
        return "invalid_number" if trunk else None
    return "unknown_range" if regular == "unknown" else "invalid_number"


class ShapePatterns(NamedTuple):
    """The patterns of the checks :func:`validate` makes on a value's shape, before
    any number plan (Python :mod:`re` syntax, each also valid in RE2 on ASCII text).
    """

    #: searched in the cleaned text: an extension (refused: ``extension_not_allowed``)
    extension: str
    #: fully matched against the raw value: ``spreadsheet_number``
    spreadsheet: str
    #: fully matched against the raw value: ``scientific_notation``
    scientific: str


def shape_patterns() -> ShapePatterns:
    """The :class:`ShapePatterns` of the shape checks, for bulk engines that apply them.

    >>> import re
    >>> bool(re.fullmatch(shape_patterns().scientific, "1.38E+10"))
    True
    """
    return ShapePatterns(
        _EXTENSION_RE.pattern, _SPREADSHEET_FLOAT_RE.pattern, _SCIENTIFIC_RE.pattern
    )


def _validate_many_with(
    values: Iterable[object], region: str, plan: NumberPlan
) -> Iterator[tuple[str | None, ValidationError | None]]:
    """:func:`validate_many` under another plan: each value on the general path.

    The plan is put in effect around each value only, never across a ``yield``,
    so the caller's own validations between items keep their plan.
    """
    for raw in values:
        with numberplan.use(plan):
            try:
                value: str | None = _analyse(raw, region).value
                error: ValidationError | None = None
            except ValidationError as e:
                value, error = None, e.with_traceback(None)
        yield value, error


def classify(
    raw: object, *, region: str = "CN", allocation: bool = True, plan: NumberPlan | None = None
) -> PhoneInfo:
    """Validate ``raw`` and describe it (kind, flags, allocation facts).

    ``allocation=False`` skips the carrier and area look-ups (and their imports).
    ``plan`` as for :func:`validate`; ``plan_version`` of the result names the
    plan that decided a ``+86`` number.

    >>> i = classify("0755-8234 5678")
    >>> i.value, i.kind.value, i.allocated_area, sorted(f.value for f in i.flags)
    ('+8675582345678', 'fixed_line', '广东省深圳市', ['trunk_prefix'])
    """
    other = _other_plan(plan)
    if other is not None:
        with numberplan.use(other):
            return _classify(raw, region, allocation)
    return _classify(raw, region, allocation)


def _classify(raw: object, region: str, allocation: bool) -> PhoneInfo:
    a = _analyse(raw, _check_region(region))
    flags = set(a.flags)
    host = None
    if a.country_code == 86 and a.kind is PhoneKind.MOBILE:
        table = _mvno_table()
        host = table.get(a.nsn[:4]) or table.get(a.nsn[:3])
        if host is not None:
            flags.add(PhoneFlag.VIRTUAL_OPERATOR)
    carrier_name = area = None
    if allocation and a.kind not in _LOCAL_KINDS:
        carrier_name, area = _allocation(a.country_code, a.nsn)
        if a.country_code == 86:
            carrier_name = a.carrier  # the plan's, never the installed phonenumbers'
    return PhoneInfo(
        value=a.value,
        kind=a.kind,
        country_code=a.country_code,
        national_number=a.nsn,
        region_code=a.region_code,
        allocated_carrier=carrier_name,
        allocated_area=area,
        host_operator=host,
        flags=frozenset(flags),
        plan_version=_plan().version if a.country_code == 86 else None,
    )


#: ``info`` is an alias of :func:`classify`.
info = classify


def _numobj(cc: int, nsn: str) -> Any:
    import phonenumbers

    num = phonenumbers.PhoneNumber(country_code=cc, national_number=int(nsn))
    zeros = len(nsn) - len(nsn.lstrip("0"))
    if zeros:
        num.italian_leading_zero = True
        num.number_of_leading_zeros = zeros
    return num


def _allocation(cc: int, nsn: str) -> tuple[str | None, str | None]:
    # Imported here: the geocoder alone costs about 0.2 s and 100 MiB.
    from phonenumbers import geocoder

    num = _numobj(cc, nsn)
    name = None
    if cc != 86:
        from phonenumbers import carrier

        name = carrier.name_for_number(num, "zh") or carrier.name_for_number(num, "en")
    area = geocoder.description_for_number(num, "zh") or geocoder.description_for_number(num, "en")
    return name or None, area or None


def display(value: object, *, region: str = "CN") -> str:
    """Return the human form of a phone number; ``validate(display(x)) == validate(x)``.

    >>> display("010 62345678"), display("tel:95588;phone-context=+86")
    ('+86 10 6234 5678', '95588')
    """
    a = _analyse(value, _check_region(region))
    if a.kind in _LOCAL_KINDS:
        return a.nsn
    import phonenumbers

    return str(
        phonenumbers.format_number(
            _numobj(a.country_code, a.nsn), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    )
