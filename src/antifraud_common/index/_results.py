"""Result types of index lookups (private; re-exported by :mod:`antifraud_common.index`).

:class:`Match`, :class:`Ignored` and :class:`IndexRecord` are immutable named
tuples rather than attrs classes on purpose: a tuple is several times cheaper
to create than a frozen attrs instance while being just as immutable.
:class:`CheckResult` is a slotted class with read-only attributes whose
``matches`` and ``ignored`` are built on first access: a lookup decides
``listed`` and ``action`` itself, and the :class:`Match` objects (with their
datetimes) are only made for the results a caller looks into. Each type has a
JSON-safe ``to_dict`` that masks cards.

>>> r = CheckResult(IdentifierKind.BANK_CARD, "6222021123456789014", True, False, None, (), ())
>>> r.to_dict()["value"], r.listed, r.matches
('622202*********9014', False, ())
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, NamedTuple

from antifraud_common.card import mask_in_text
from antifraud_common.errors import ValidationError
from antifraud_common.models import (
    TLP,
    Action,
    Entry,
    IdentifierKind,
    Reason,
    format_timestamp,
    mask_value,
)

__all__ = ["NOTHING", "CheckResult", "IgnoreReason", "Ignored", "IndexRecord", "Match"]


class IgnoreReason(enum.Enum):
    """Why a listed entry did not count as a match at the time of the check."""

    NOT_YET_VALID = "not_yet_valid"
    VALIDITY_ENDED = "validity_ended"
    LIST_EXPIRED = "list_expired"


class IndexRecord(NamedTuple):
    """One entry of one list, as fed to :meth:`Index.build`.

    ``list_expires`` is the list's signed expiry (None: never expires); an entry
    of an expired list never matches.
    """

    issuer: str
    list_id: str
    list_expires: datetime | None
    entry: Entry


class Match(NamedTuple):
    """One listing of the checked identifier by one list."""

    issuer: str
    list_id: str
    reason: Reason
    action: Action
    case_ref: str
    confidence: int
    valid_from: datetime
    valid_until: datetime | None
    source: str
    tlp: TLP

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={(mask_in_text(str(v)) if name == 'case_ref' else v)!r}"
            for name, v in zip(self._fields, self, strict=True)
        )
        return f"Match({shown})"

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (enum values as strings, RFC 3339 UTC timestamps).

        ``case_ref`` is shown with card-shaped digit runs masked
        (:func:`antifraud_common.card.mask_in_text`); the attribute holds it as listed.
        """
        return {
            "issuer": self.issuer,
            "list_id": self.list_id,
            "reason": self.reason.value,
            "action": self.action.value,
            # Free text: a card number written into it is masked like every card.
            "case_ref": mask_in_text(self.case_ref),
            "confidence": self.confidence,
            "valid_from": format_timestamp(self.valid_from),
            "valid_until": None if self.valid_until is None else format_timestamp(self.valid_until),
            "source": self.source,
            "tlp": self.tlp.value,
        }


class Ignored(NamedTuple):
    """A listing that exists but did not count, and why."""

    match: Match
    reason: IgnoreReason

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape: the match plus ``ignored_because``."""
        out = self.match.to_dict()
        out["ignored_because"] = self.reason.value
        return out


_object_new = object.__new__


class CheckResult:
    """The answer to "is this identifier listed, by whom, and what must I do?".

    ``valid`` is False when the input is not a valid identifier (``error`` and
    ``message`` say why); that is never reported as "not listed". ``action`` is
    the strongest action of all ``matches`` (FREEZE > HOLD > BLOCK > WATCH).
    ``ignored`` lists entries outside their validity window or from an expired
    list: they do not count. ``repr`` and :meth:`to_dict` mask card numbers.

    Immutable: every attribute is read-only. A lookup decides ``listed`` and
    ``action`` at once (which rows count is fixed at the time of the check, so
    later updates of the index do not change a result), but builds the
    :class:`Match` objects of ``matches`` and ``ignored`` only when one of them
    is first read. Two results are equal when all their fields are equal.

    >>> r = CheckResult(None, "+8613800138000", True, False, None, (), ())
    >>> r.listed, r.matches, r.to_dict()["value"]
    (False, (), '+8613800138000')
    >>> r == CheckResult(None, "+8613800138000", True, False, None, (), ())
    True
    """

    # Six slots, so that a lookup fills a result with few stores:
    # _lazy is (matches, ignored), or a plan tuple whose first item builds that
    # pair from the rest (see Index._evaluate); _invalid is None for a valid
    # input (no error), else (valid, error, message).
    __slots__ = ("_action", "_invalid", "_kind", "_lazy", "_listed", "_value")

    #: Field names, in the order of the constructor's arguments.
    __match_args__ = (
        "kind",
        "value",
        "valid",
        "listed",
        "action",
        "matches",
        "ignored",
        "error",
        "message",
    )

    _kind: IdentifierKind | None
    _value: str | None
    _listed: bool
    _action: Action | None
    _lazy: tuple[Any, ...]
    _invalid: tuple[bool, str | None, str | None] | None

    def __init__(  # noqa: PLR0917 - the fields, in their documented order
        self,
        kind: IdentifierKind | None,
        value: str | None,
        valid: bool,
        listed: bool,
        action: Action | None,
        matches: tuple[Match, ...],
        ignored: tuple[Ignored, ...],
        error: str | None = None,
        message: str | None = None,
    ) -> None:
        self._kind = kind
        self._value = value
        self._listed = listed
        self._action = action
        self._lazy = (tuple(matches), tuple(ignored))
        ok = valid is True and error is None and message is None
        self._invalid = None if ok else (valid, error, message)

    @classmethod
    def not_listed(cls, kind: IdentifierKind, value: str) -> CheckResult:
        """A valid value that no listing names.

        >>> CheckResult.not_listed(IdentifierKind.PHONE, "+8613800138000").listed
        False
        """
        r = _object_new(cls)
        r._kind = kind
        r._value = value
        r._listed = False
        r._action = r._invalid = None
        r._lazy = NOTHING
        return r

    @classmethod
    def invalid(cls, kind: IdentifierKind | None, error: ValidationError) -> CheckResult:
        """An input no validator accepted: ``valid=False`` with ``error``'s code and message.

        >>> from antifraud_common.errors import InvalidLengthError
        >>> r = CheckResult.invalid(IdentifierKind.PHONE, InvalidLengthError(code="too_short"))
        >>> r.valid, r.error
        (False, 'too_short')
        """
        return cls(kind, None, False, False, None, (), (), error.code, error.message)

    @classmethod
    def deferred(
        cls,
        kind: IdentifierKind,
        value: str,
        listed: bool,
        action: Action | None,
        plan: tuple[Any, ...],
    ) -> CheckResult:
        """A lookup's result whose :class:`Match` objects are built when first read.

        ``listed`` and ``action`` are decided by the lookup. ``plan`` is a tuple
        of three or more items whose first item, called with the whole tuple,
        returns the pair
        ``(matches, ignored)``; it is called at most once per result (by
        :attr:`matches` or :attr:`ignored`), so it must depend only on data that
        never changes. Lookups that found nothing use :meth:`not_listed`.

        >>> def build(plan):
        ...     return plan[1], plan[2]
        >>> r = CheckResult.deferred(IdentifierKind.PHONE, "+8613800138000", False, None,
        ...                          (build, (), ()))
        >>> r.matches, r.valid
        ((), True)
        """
        r = _object_new(cls)
        r._kind = kind
        r._value = value
        r._listed = listed
        r._action = action
        r._invalid = None
        r._lazy = plan
        return r

    @property
    def kind(self) -> IdentifierKind | None:
        """The identifier kind (None when no validator accepted the input)."""
        return self._kind

    @property
    def value(self) -> str | None:
        """The canonical value (None when the input is invalid)."""
        return self._value

    @property
    def valid(self) -> bool:
        """Whether the input is a valid identifier."""
        invalid = self._invalid
        return True if invalid is None else invalid[0]

    @property
    def listed(self) -> bool:
        """Whether at least one listing counts at the time of the check."""
        return self._listed

    @property
    def action(self) -> Action | None:
        """The strongest action of the matches (None when not listed)."""
        return self._action

    @property
    def error(self) -> str | None:
        """The validator's stable error code when the input is invalid."""
        invalid = self._invalid
        return None if invalid is None else invalid[1]

    @property
    def message(self) -> str | None:
        """The validator's message when the input is invalid."""
        invalid = self._invalid
        return None if invalid is None else invalid[2]

    @property
    def matches(self) -> tuple[Match, ...]:
        """Every listing that counts, as :class:`Match` objects (built on first access)."""
        lazy = self._lazy
        if len(lazy) != 2:
            lazy = self._materialize()
        return lazy[0]

    @property
    def ignored(self) -> tuple[Ignored, ...]:
        """Listings that exist but do not count, with the reason (built on first access)."""
        lazy = self._lazy
        if len(lazy) != 2:
            lazy = self._materialize()
        return lazy[1]

    def _materialize(self) -> tuple[tuple[Match, ...], tuple[Ignored, ...]]:
        plan = self._lazy
        pair: tuple[tuple[Match, ...], tuple[Ignored, ...]] = plan[0](plan)
        # Two threads may both get here: they store equal pairs.
        self._lazy = pair
        return pair

    def _fields(self) -> tuple[Any, ...]:
        return (
            self._kind,
            self._value,
            self.valid,
            self._listed,
            self._action,
            self.matches,
            self.ignored,
            self.error,
            self.message,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CheckResult):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> tuple[type[CheckResult], tuple[Any, ...]]:
        return CheckResult, self._fields()

    @property
    def masked_value(self) -> str | None:
        """The canonical value, masked when it is a card number."""
        if self._value is None or self._kind is None:
            return self._value
        return mask_value(self._kind, self._value)

    def __repr__(self) -> str:
        return (
            f"CheckResult(kind={self._kind!r}, value={self.masked_value!r}, "
            f"valid={self.valid!r}, listed={self._listed!r}, action={self._action!r}, "
            f"matches={self.matches!r}, ignored={self.ignored!r}, error={self.error!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict; a card number appears masked only."""
        out: dict[str, Any] = {
            "kind": None if self._kind is None else self._kind.value,
            "value": self.masked_value,
            "valid": self.valid,
            "listed": self._listed,
            "action": None if self._action is None else self._action.value,
            "matches": [m.to_dict() for m in self.matches],
            "ignored": [i.to_dict() for i in self.ignored],
        }
        if not self.valid:
            out["error"] = {"code": self.error, "message": self.message}
        return out


#: The ``_lazy`` of a result without listings.
NOTHING: tuple[tuple[Match, ...], tuple[Ignored, ...]] = ((), ())
