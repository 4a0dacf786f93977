"""Bulk validation for screening: the validators' verdicts, faster (private).

Each function returns, per input, exactly what the validator itself would
return or raise. Shortcuts are taken only where they provably give the
validator's own answer; everything else goes through the validator:

* phones (region CN): :func:`antifraud_common.phone.validate` cleans an ASCII
  input by deleting the separators of :data:`antifraud_common._text.DEFAULT_SEPARATORS`;
  digits that do not start with ``0`` or ``106`` then become the candidate
  ``+86<digits>``, returned as is when the metadata-derived fast path accepts it.
  That decision depends only on the length and the first five national digits,
  so for 11 digits it is memoised per five-digit prefix (at most 100,000 keys):
  an ASCII value whose cleaned form is 11 digits under an accepted prefix is
  ``+86`` followed by them, without any other call. Only prefixes on which every
  11-digit number is valid are accepted (``"v"``, never ``"r"``).
* cards: :func:`antifraud_common.card.validate` decides a plain ASCII digit
  string by its length, "not one digit repeated", the ``89`` telecom prefix,
  the IIN scheme (prefixes of at most 6 digits) with its allowed lengths, and the
  Luhn check (a failed check is tolerated only for some legacy BINs, which the
  shortcut never needs). So for 12-19 ASCII digits, not one digit repeated, with
  a correct Luhn digit (checked on the bytes: one ``bytes.translate`` and a
  ``sum``), the verdict depends only on (first 6 digits, length): it is cached
  per pair, filled by :func:`~antifraud_common.card.is_valid` on the first such
  number.

The per-value work of the common cases is a few string methods and one dict
look-up; the screening loop (:func:`scan`) also counts empty cells without
calling anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

from antifraud_common import kinds
from antifraud_common._text import DEFAULT_SEPARATORS
from antifraud_common.errors import ValidationError
from antifraud_common.models import IdentifierKind, canonical_value

__all__ = ["card_luhn_ok", "scan", "validate_many"]

Verdict = tuple[str | None, ValidationError | None]

_DOUBLE: Final = bytes.maketrans(b"0123456789", b"0246813579")  # digit sum of 2*d
# phone.validate cleans ASCII input by deleting these (see _text.clean).
_PHONE_SEPARATORS: Final = dict.fromkeys(map(ord, DEFAULT_SEPARATORS))
_PHONE_MAX_INPUT: Final = 64  # phone.MAX_INPUT_LENGTH (longer input: the validator's error)
_CARD_MIN: Final = 12  # card.MIN_LENGTH
_CARD_MAX: Final = 19  # card.MAX_LENGTH
#: Upper bound on the entries of each card-prefix cache (the phone one has at most 100,000).
CACHE_LIMIT: Final = 1 << 16


def card_luhn_ok(digits: str) -> bool:
    """Luhn check of an ASCII digit string (ISO/IEC 7812-1 Annex B).

    >>> card_luhn_ok("6222021123456789014"), card_luhn_ok("6222021123456789015")
    (True, False)
    """
    b = digits.encode("ascii")
    return (sum(b[-1::-2] + b[-2::-2].translate(_DOUBLE)) - 48 * len(b)) % 10 == 0


def _one(validate: Callable[[object], str], raw: object) -> Verdict:
    try:
        return validate(raw), None
    except ValidationError as e:
        # Keep the error without its traceback (see phone.validate_many).
        return None, e.with_traceback(None)


# --------------------------------------------------------------------------- phones

#: five national digits -> every 11-digit number starting with them is valid (as +86...).
_MOBILE_OK: dict[str, bool] = {}


def _mobile_prefix_ok(nsn: str) -> bool:
    """Whether every 11-digit national number with ``nsn``'s first five digits is valid."""
    prefix = nsn[:5]
    ok = _MOBILE_OK.get(prefix)
    if ok is None:
        if prefix[:1] == "0" or prefix[:3] == "106":
            ok = False  # a trunk prefix or an SMS port: not the "+86" + digits candidate
        else:
            # The decision phone's fast path takes for "+86" + 11 digits with this prefix
            # (the registry's fast-path slot for phones).
            decide = kinds.fast_path(IdentifierKind.PHONE)
            assert decide is not None
            ok = decide(11, prefix)
        _MOBILE_OK[prefix] = ok  # keys are five ASCII digits: at most 100,000
    return ok


def _scan_phones_cn(values: Sequence[object]) -> tuple[list[int], list[str], list[int]]:
    """Split ``values``: (positions decided valid, their canonical values, the rest)."""
    good_at: list[int] = []
    good: list[str] = []
    rest: list[int] = []
    ok_get = _MOBILE_OK.get
    seps = _PHONE_SEPARATORS
    for i, r in enumerate(values):
        if r.__class__ is str and r.isascii():
            if len(r) != 11 or not r.isdigit():
                if "." in r or len(r) > _PHONE_MAX_INPUT:
                    rest.append(i)
                    continue
                r = r.translate(seps)  # noqa: PLW2901
                if len(r) != 11 or not r.isdigit():
                    rest.append(i)
                    continue
            ok = ok_get(r[:5])
            if ok or (ok is None and _mobile_prefix_ok(r)):
                good_at.append(i)
                good.append("+86" + r)
                continue
        rest.append(i)
    return good_at, good, rest


def _phones(raws: Sequence[object], region: str) -> list[Verdict]:
    from antifraud_common import phone

    if region != "CN":
        return list(phone.validate_many(raws, region=region))
    out: list[Verdict] = [(None, None)] * len(raws)
    good_at, good, rest = _scan_phones_cn(raws)
    for i, v in zip(good_at, good, strict=True):
        out[i] = (v, None)
    for i, verdict in zip(rest, phone.validate_many([raws[i] for i in rest]), strict=True):
        out[i] = verdict
    return out


# --------------------------------------------------------------------------- cards

#: per length: first six digits -> card.is_valid of a plain, Luhn-correct number.
_CARD_OK: list[dict[str, bool]] = [{} for _ in range(20)]


def _card_prefix_ok(number: str) -> bool:
    from antifraud_common import card

    table = _CARD_OK[len(number)]
    if len(table) >= CACHE_LIMIT:
        table.clear()
    ok = table[number[:6]] = card.is_valid(number)
    return ok


def _scan_cards(values: Sequence[object]) -> tuple[list[int], list[str], list[int]]:
    """Split ``values``: (positions decided valid, their canonical values, the rest)."""
    good_at: list[int] = []
    good: list[str] = []
    rest: list[int] = []
    tables = _CARD_OK
    double = _DOUBLE
    for i, r in enumerate(values):
        if r.__class__ is str and r.isdigit() and r.isascii():
            n = len(r)
            b = r.encode()
            if (
                _CARD_MIN <= n <= _CARD_MAX
                and (sum(b[-1::-2] + b[-2::-2].translate(double)) - 48 * n) % 10 == 0
                and r.count(r[0]) != n
            ):
                ok = tables[n].get(r[:6])
                if ok or (ok is None and _card_prefix_ok(r)):
                    good_at.append(i)
                    good.append(r)
                    continue
        rest.append(i)
    return good_at, good, rest


def _cards(raws: Sequence[object]) -> list[Verdict]:
    from antifraud_common import card

    out: list[Verdict] = [(None, None)] * len(raws)
    good_at, good, rest = _scan_cards(raws)
    for i, v in zip(good_at, good, strict=True):
        out[i] = (v, None)
    for i in rest:
        out[i] = _one(card.validate, raws[i])
    return out


# --------------------------------------------------------------------------- API


def validate_many(
    kind: IdentifierKind, raws: Sequence[object], *, region: str = "CN"
) -> list[Verdict]:
    """Validate ``raws`` as ``kind``; one verdict per input, in order.

    >>> [v for v, _ in validate_many(IdentifierKind.PHONE, ["13800138000", "12"])]
    ['+8613800138000', None]
    >>> [e.code if e else v for v, e in validate_many(IdentifierKind.BANK_CARD,
    ...                                              ["6222021123456789014", "4111111111111112"])]
    ['6222021123456789014', 'invalid_checksum']
    """
    if kind is IdentifierKind.PHONE:
        return _phones(raws, region)
    if kind is IdentifierKind.BANK_CARD:
        return _cards(raws)
    return [_one(lambda r: canonical_value(kind, r), r) for r in raws]


def _codes(
    kind: IdentifierKind, raws: Sequence[object], region: str
) -> list[tuple[str | None, str | None]]:
    """:func:`validate_many` with each error given by its code (no error object kept:
    a stream of distinct bad values must not grow the heap the collector walks)."""
    if kind is IdentifierKind.PHONE:
        from antifraud_common import phone

        return phone.decide_many(raws, region=region)
    return [(v, None if e is None else e.code) for v, e in validate_many(kind, raws, region=region)]


#: Verdicts of the full validators per (kind, region): raw string -> (canonical or
#: None, error code). Bounded by CACHE_LIMIT entries each, strings up to
#: _CACHED_MAX_LEN characters.
_SLOW_VERDICTS: dict[tuple[IdentifierKind, str], dict[object, tuple[str | None, str | None]]] = {}
_CACHED_MAX_LEN = 64


def _to_validate(
    values: Sequence[object], rest: list[int], cache: Mapping[object, tuple[str | None, str | None]]
) -> tuple[int, list[str], list[int]]:
    """Of ``values[i]`` for ``i`` in ``rest``: how many are empty, the distinct strings
    without a kept verdict (each validated once) and the positions of non-strings."""
    empty = 0
    need: dict[str, None] = {}
    unhashable: list[int] = []
    for i in rest:
        r = values[i]
        if r.__class__ is str:
            if r == "":
                empty += 1
            elif r not in cache:
                need[r] = None
        elif r is None:
            empty += 1
        else:
            unhashable.append(i)
    return empty, list(need), unhashable


def scan(
    kind: IdentifierKind, values: Sequence[object], *, region: str = "CN", shortcut: bool = True
) -> tuple[list[int], list[str], list[tuple[int, str]], int]:
    """Screen one column: ``(valid positions, canonical values, (position, error code), empties)``.

    A value is empty if it is None or ``""`` (not validated, not invalid). Every
    other value is valid exactly when the validator accepts it, with the
    validator's canonical value, or invalid with the validator's error code.

    ``shortcut=False`` skips the per-value shortcuts (for callers that have already
    decided every value they would take, such as the columnar path).

    >>> scan(IdentifierKind.PHONE, ["138 0013 8000", "", "12", None])
    ([0], ['+8613800138000'], [(2, 'too_short')], 2)
    """
    good_at: list[int]
    good: list[str]
    if not shortcut:
        good_at, good, rest = [], [], list(range(len(values)))
    elif kind is IdentifierKind.PHONE and region == "CN":
        good_at, good, rest = _scan_phones_cn(values)
    elif kind is IdentifierKind.BANK_CARD:
        good_at, good, rest = _scan_cards(values)
    else:
        good_at, good, rest = [], [], list(range(len(values)))
    if not rest:
        return good_at, good, [], 0
    bad: list[tuple[int, str]] = []
    extra_at: list[int] = []
    # Values the fast paths could not decide take the full validator, which costs
    # many times a fast-path value. Its verdicts on short strings are kept (the
    # validators are pure), so input repeating the same bad value -- "1", "N/A",
    # "-" a million times -- costs a lookup per row, not a validation.
    cache = _SLOW_VERDICTS.setdefault((kind, region), {})
    empty, first, unhashable = _to_validate(values, rest, cache)
    # Called even with nothing left to validate, so that an unknown region is
    # reported as soon as a phone column has rows, empty or not.
    verdicts = _codes(kind, first + [values[i] for i in unhashable], region)
    local = dict(zip(first, verdicts, strict=False))
    odd = dict(zip(unhashable, verdicts[len(first) :], strict=True))
    for i in rest:
        r = values[i]
        if r.__class__ is str:
            if r == "":
                continue
            hit = local.get(r) or cache[r]
        elif r is None:
            continue
        else:
            hit = odd[i]
        if hit[0] is not None:
            extra_at.append(i)
            good.append(hit[0])
        else:
            bad.append((i, hit[1] or "invalid"))
    if len(cache) + len(local) > CACHE_LIMIT:
        cache.clear()
    cache.update((r, v) for r, v in local.items() if len(r) <= _CACHED_MAX_LEN)
    if extra_at:
        # Keep positions ascending: merge the few late-decided values in.
        merged = sorted(zip(good_at + extra_at, good, strict=True))
        good_at = [i for i, _ in merged]
        good = [v for _, v in merged]
    return good_at, good, bad, empty
