"""Result types of index lookups (private; re-exported by :mod:`antifraud_common.index`).

They are immutable named tuples rather than attrs classes on purpose: a lookup
on the hot path creates one result (and one :class:`Match` per hit), and a
tuple is several times cheaper to create than a frozen attrs instance while
being just as immutable. Each has a JSON-safe ``to_dict`` that masks cards.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, NamedTuple

from antifraud_common.models import (
    TLP,
    Action,
    Entry,
    IdentifierKind,
    Reason,
    format_timestamp,
    mask_value,
)

__all__ = ["CheckResult", "IgnoreReason", "Ignored", "IndexRecord", "Match"]


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

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (enum values as strings, RFC 3339 UTC timestamps)."""
        return {
            "issuer": self.issuer,
            "list_id": self.list_id,
            "reason": self.reason.value,
            "action": self.action.value,
            "case_ref": self.case_ref,
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


class CheckResult(NamedTuple):
    """The answer to "is this identifier listed, by whom, and what must I do?".

    ``valid`` is False when the input is not a valid identifier (``error`` and
    ``message`` say why); that is never reported as "not listed". ``action`` is
    the strongest action of all ``matches`` (FREEZE > HOLD > BLOCK > WATCH).
    ``ignored`` lists entries outside their validity window or from an expired
    list: they do not count. ``repr`` and :meth:`to_dict` mask card numbers.
    """

    kind: IdentifierKind | None
    value: str | None
    valid: bool
    listed: bool
    action: Action | None
    matches: tuple[Match, ...]
    ignored: tuple[Ignored, ...]
    error: str | None = None
    message: str | None = None

    @property
    def masked_value(self) -> str | None:
        """The canonical value, masked when it is a card number."""
        if self.value is None or self.kind is None:
            return self.value
        return mask_value(self.kind, self.value)

    def __repr__(self) -> str:
        return (
            f"CheckResult(kind={self.kind!r}, value={self.masked_value!r}, valid={self.valid!r}, "
            f"listed={self.listed!r}, action={self.action!r}, matches={self.matches!r}, "
            f"ignored={self.ignored!r}, error={self.error!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict; a card number appears masked only."""
        out: dict[str, Any] = {
            "kind": None if self.kind is None else self.kind.value,
            "value": self.masked_value,
            "valid": self.valid,
            "listed": self.listed,
            "action": None if self.action is None else self.action.value,
            "matches": [m.to_dict() for m in self.matches],
            "ignored": [i.to_dict() for i in self.ignored],
        }
        if not self.valid:
            out["error"] = {"code": self.error, "message": self.message}
        return out
