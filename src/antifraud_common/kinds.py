"""The identifier registry: which kinds exist and which validator decides each.

This module is the one place that knows, for every :class:`IdentifierKind`,

* which validator turns raw input into the canonical value
  (:func:`validate`, :func:`validator`);
* in which order a kind is guessed when the caller does not name one
  (:data:`AUTO_ORDER`, :func:`detect`): the first kind whose validator accepts
  the input wins; when none does, a checksum or component error is reported in
  preference to a format error of a kind tried earlier, because the input had
  the shape of that kind;
* which bulk path validates a whole column of one kind at once
  (:func:`validate_many`; :attr:`KindSpec.bulk` names it), with the verdicts
  of the single-value validator, and which block decision the validator's fast
  path and screening's bulk paths share (:func:`fast_path`).

The models (:func:`antifraud_common.models.canonical_value`), the index
(:meth:`antifraud_common.index.Index.check`), screening and the pseudonymised
index all ask this module; none of them keeps its own table of kinds.
Validators are imported on first use, so importing the registry stays cheap.

>>> validate("phone", "138 0013 8000")
'+8613800138000'
>>> detect("6222021123456789014")
Detection(kind=<IdentifierKind.BANK_CARD: 'bank_card'>, value='6222021123456789014', error=None)
>>> d = detect("6222021123456789015", (IdentifierKind.PHONE, IdentifierKind.BANK_CARD))
>>> d.kind.value, d.value, d.error.code
('bank_card', None, 'invalid_checksum')
>>> [v for v, _ in validate_many(IdentifierKind.PHONE, ["13800138000", "12"])]
['+8613800138000', None]
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Iterable, Sequence
from typing import Final, NamedTuple

import attrs

from antifraud_common.errors import ConfigurationError, InvalidFormatError, ValidationError

__all__ = [
    "AUTO_ORDER",
    "Detection",
    "IdentifierKind",
    "KindSpec",
    "Verdict",
    "candidate_kinds",
    "detect",
    "fast_path",
    "find_kind",
    "parse_kind",
    "spec",
    "validate",
    "validate_many",
    "validator",
]


class IdentifierKind(enum.Enum):
    """What a listed identifier is. The value is the string written to files."""

    PHONE = "phone"
    BANK_CARD = "bank_card"
    BANK_ACCOUNT = "bank_account"
    PAYMENT_ACCOUNT = "payment_account"
    ICCID = "iccid"
    IMEI = "imei"


#: One bulk verdict: ``(canonical value, None)`` or ``(None, the validator's error)``.
Verdict = tuple[str | None, ValidationError | None]


@attrs.frozen
class KindSpec:
    """How one kind is validated: ``module.function(raw)`` gives the canonical value.

    ``regional`` says the validator takes ``region=`` (phone numbers written
    without a country code depend on it). ``bulk`` names the function of the
    same module that validates many values at once with the same verdicts
    (``function(values, region=...)`` yielding :data:`Verdict` pairs), or is
    None when values are validated one by one. ``fast_path`` names the block
    decision the validator's own fast path takes and screening's bulk paths
    reuse (:func:`~antifraud_common.kinds.fast_path`), or is None.
    """

    kind: IdentifierKind
    module: str
    function: str
    regional: bool = False
    bulk: str | None = None
    fast_path: str | None = None


_PKG: Final = "antifraud_common"

_SPECS: Final = {
    s.kind: s
    for s in (
        KindSpec(
            IdentifierKind.PHONE,
            f"{_PKG}.phone",
            "validate",
            regional=True,
            bulk="validate_many",
            fast_path="prefix_all_valid",
        ),
        KindSpec(IdentifierKind.BANK_CARD, f"{_PKG}.card", "validate"),
        KindSpec(IdentifierKind.BANK_ACCOUNT, f"{_PKG}.account", "validate"),
        KindSpec(IdentifierKind.PAYMENT_ACCOUNT, f"{_PKG}.account", "validate_payment_account"),
        KindSpec(IdentifierKind.ICCID, f"{_PKG}.iccid", "validate"),
        KindSpec(IdentifierKind.IMEI, f"{_PKG}.imei", "validate"),
    )
}

#: The order ``kind=None`` tries; the first kind whose validator accepts the input wins.
AUTO_ORDER: Final = (
    IdentifierKind.PHONE,
    IdentifierKind.BANK_CARD,
    IdentifierKind.ICCID,
    IdentifierKind.IMEI,
    IdentifierKind.BANK_ACCOUNT,
    IdentifierKind.PAYMENT_ACCOUNT,
)

_BY_NAME: Final[dict[object, IdentifierKind]] = {
    **{k: k for k in IdentifierKind},
    **{k.value: k for k in IdentifierKind},
}

# id(kind) -> (the validator function, whether it takes region=), resolved (and its
# module imported) on first use. Keyed by id: an enum member's own hash is a Python-level
# call, and validation of every entry line goes through here.
_RESOLVED: dict[int, tuple[Callable[..., str], bool]] = {}


def spec(kind: IdentifierKind) -> KindSpec:
    """The registry entry of ``kind``.

    >>> spec(IdentifierKind.PHONE).bulk
    'validate_many'
    """
    return _SPECS[kind]


def find_kind(kind: object) -> IdentifierKind | None:
    """The :class:`IdentifierKind` named by a member or its string value, else None.

    >>> find_kind("phone"), find_kind("fax")
    (<IdentifierKind.PHONE: 'phone'>, None)
    """
    try:
        return _BY_NAME.get(kind)
    except TypeError:  # unhashable: no kind
        return None


def parse_kind(kind: object) -> IdentifierKind:
    """Return the :class:`IdentifierKind` named by a member or its string value.

    An unknown kind raises :class:`~antifraud_common.errors.ConfigurationError`
    ``invalid_kind``.

    >>> parse_kind("bank_card")
    <IdentifierKind.BANK_CARD: 'bank_card'>
    """
    k = find_kind(kind)
    if k is None:
        raise ConfigurationError(f"unknown identifier kind {kind!r}", code="invalid_kind")
    return k


def candidate_kinds(kind: IdentifierKind | str | None) -> tuple[IdentifierKind, ...]:
    """The kinds a lookup tries: the one named, or :data:`AUTO_ORDER` for None.

    >>> candidate_kinds("imei")
    (<IdentifierKind.IMEI: 'imei'>,)
    """
    if kind is None:
        return AUTO_ORDER
    return (parse_kind(kind),)


def _resolve(kind: IdentifierKind) -> tuple[Callable[..., str], bool]:
    got = _RESOLVED.get(id(kind))
    if got is None:
        s = _SPECS[kind]
        fn = getattr(importlib.import_module(s.module), s.function)
        got = _RESOLVED[id(kind)] = (fn, s.regional)
    return got


def validator(kind: IdentifierKind, *, region: str = "CN") -> Callable[[object], str]:
    """The validator of ``kind`` as a one-argument function (``region`` bound for phones).

    >>> validator(IdentifierKind.IMEI)("35-209900-176148-1")
    '352099001761481'
    """
    fn, regional = _resolve(kind)
    if regional:
        return lambda raw: fn(raw, region=region)
    return fn


def validate(kind: IdentifierKind | str, raw: object, *, region: str = "CN") -> str:
    """Validate ``raw`` as ``kind``: its canonical value, or the validator's error.

    >>> validate(IdentifierKind.BANK_ACCOUNT, "6217 0000 1000 0000 001")
    '6217000010000000001'
    """
    got = _RESOLVED.get(id(kind))
    if got is None:
        got = _resolve(parse_kind(kind))
    fn, regional = got
    return fn(raw, region=region) if regional else fn(raw)


def validate_many(
    kind: IdentifierKind, raws: Iterable[object], *, region: str = "CN"
) -> list[Verdict]:
    """Validate many values of one kind: one :data:`Verdict` per value, in order.

    Uses the kind's bulk path when it has one (its verdicts are the validator's
    own), else the validator value by value. An error is kept without its
    traceback, so a column of distinct bad values costs no more than good ones.
    """
    s = _SPECS[kind]
    if s.bulk is not None:
        bulk = getattr(importlib.import_module(s.module), s.bulk)
        return list(bulk(raws, region=region))
    check = validator(kind, region=region)
    out: list[Verdict] = []
    for raw in raws:
        try:
            out.append((check(raw), None))
        except ValidationError as e:
            out.append((None, e.with_traceback(None)))
    return out


def fast_path(kind: IdentifierKind) -> Callable[[int, str], bool] | None:
    """The block decision of ``kind``'s fast path, shared by the validator and screening.

    For phones, ``decide(nsn_length, prefix)`` says whether every ``+86`` number
    of that many national digits starting with the five digits ``prefix`` is
    valid and its own canonical value
    (:func:`antifraud_common.phone.prefix_all_valid`); the bulk screening paths
    accept a whole block of numbers on that answer. None for kinds without one.

    >>> fast_path(IdentifierKind.PHONE)(11, "13800"), fast_path(IdentifierKind.IMEI)
    (True, None)
    """
    name = _SPECS[kind].fast_path
    if name is None:
        return None
    decide: Callable[[int, str], bool] = getattr(importlib.import_module(_SPECS[kind].module), name)
    return decide


class Detection(NamedTuple):
    """The outcome of :func:`detect`: a kind and its canonical value, or the error to report.

    ``kind`` is None only when no validator could be run at all.
    """

    kind: IdentifierKind | None
    value: str | None
    error: ValidationError | None


def detect(
    raw: object,
    kinds: Sequence[IdentifierKind] = AUTO_ORDER,
    *,
    region: str = "CN",
    first: tuple[IdentifierKind, ValidationError | None] | None = None,
) -> Detection:
    """Try ``kinds`` in turn on ``raw``; the first validator that accepts it wins.

    When none accepts, the error reported is the first that is not a format
    error (a checksum or component error: the input had that kind's shape),
    else the first error. ``first`` is a verdict already reached for a kind
    tried before ``kinds`` (a bulk path's), counted as the first error. A
    validator whose module cannot be imported is skipped; when it was the only
    kind asked for, :class:`~antifraud_common.errors.ConfigurationError`
    ``validator_unavailable`` is raised.
    """
    errors: list[tuple[IdentifierKind | None, ValidationError]] = []
    if first is not None and first[1] is not None:
        errors.append((first[0], first[1]))
    for k in kinds:
        try:
            return Detection(k, validate(k, raw, region=region), None)
        except ValidationError as e:
            errors.append((k, e))
        except ImportError:
            if len(kinds) == 1:
                raise ConfigurationError(
                    f"no validator is installed for {k.value}", code="validator_unavailable"
                ) from None
    if not errors:  # pragma: no cover - every validator missing
        errors.append((None, InvalidFormatError("no validator accepted the value")))
    best_kind, best = next(
        ((k, e) for k, e in errors if not isinstance(e, InvalidFormatError)), errors[0]
    )
    return Detection(best_kind, None, best)
