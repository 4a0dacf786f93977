"""Bulk validation for screening: the validators' verdicts, faster (private).

Each function returns, per input and in order, ``(canonical, None)`` or
``(None, error)`` -- exactly what the validator itself would return or raise.
Shortcuts are taken only where they provably give the validator's own answer:

* phones: an 11-digit national mobile ``1[3-9]XXXXXXXXX`` written under region
  CN is the same number as ``+86`` followed by it, so it is sent to
  :func:`antifraud_common.phone.validate_many` in that form, which decides
  canonical ``+86`` numbers from the metadata without parsing. Anything the
  shortcut would reject is re-validated from the raw input, so error codes are
  the validator's own.
* cards: :func:`antifraud_common.card.validate` is decided by the length, the
  IIN prefix (at most 6 digits), "not one digit repeated" and the Luhn check.
  For plain ASCII digits with a correct Luhn digit, the verdict depends only on
  (first 8 digits, length) and is cached per pair; every other input goes
  through :func:`~antifraud_common.card.validate` itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Final

from antifraud_common.errors import ValidationError
from antifraud_common.models import IdentifierKind, canonical_value

__all__ = ["card_luhn_ok", "validate_many"]

Verdict = tuple[str | None, ValidationError | None]

_CN_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
_DOUBLE: Final = str.maketrans("0123456789", "0246813579")  # digit sum of 2*d
_CACHE_LIMIT: Final = 100_000


def card_luhn_ok(digits: str) -> bool:
    """Luhn check of an ASCII digit string (ISO/IEC 7812-1 Annex B).

    >>> card_luhn_ok("6222021123456789014"), card_luhn_ok("6222021123456789015")
    (True, False)
    """
    t = digits[-1::-2] + digits[-2::-2].translate(_DOUBLE)
    return (sum(t.encode("ascii")) - 48 * len(t)) % 10 == 0


def _phones(raws: Sequence[object], region: str) -> list[Verdict]:
    from antifraud_common import phone

    if region == "CN":
        prepared: list[object] = [
            "+86" + r if type(r) is str and len(r) == 11 and _CN_MOBILE.fullmatch(r) else r
            for r in raws
        ]
    else:
        prepared = list(raws)
    out = list(phone.validate_many(prepared, region=region))
    for i, (value, _error) in enumerate(out):
        if value is None and prepared[i] is not raws[i]:
            out[i] = _one(lambda r: phone.validate(r, region=region), raws[i])
    return out


def _one(validate: Callable[[object], str], raw: object) -> Verdict:
    try:
        return validate(raw), None
    except ValidationError as e:
        return None, e


class _CardChecker:
    def __init__(self) -> None:
        from antifraud_common import card

        self.card = card
        self.prefix_ok: dict[tuple[str, int], bool] = {}

    def __call__(self, raw: object) -> Verdict:
        if (
            type(raw) is str
            and 12 <= len(raw) <= 19
            and raw.isascii()
            and raw.isdigit()
            and raw.count(raw[0]) != len(raw)
            and card_luhn_ok(raw)
        ):
            key = (raw[:8], len(raw))
            ok = self.prefix_ok.get(key)
            if ok is None:
                if len(self.prefix_ok) >= _CACHE_LIMIT:
                    self.prefix_ok.clear()
                ok = self.prefix_ok[key] = self.card.is_valid(raw)
            if ok:
                return raw, None
        return _one(self.card.validate, raw)


_CARD_CHECKER: _CardChecker | None = None


def _cards(raws: Sequence[object]) -> list[Verdict]:
    global _CARD_CHECKER  # noqa: PLW0603 - one lazily built, process-wide cache
    if _CARD_CHECKER is None:
        _CARD_CHECKER = _CardChecker()
    return [_CARD_CHECKER(r) for r in raws]


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
