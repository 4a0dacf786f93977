"""Deadlines and limits of the case flows: one pure policy, with documented defaults.

Every number here is a default an operator may change (build another
:class:`CasePolicy` with :func:`attrs.evolve`); the defaults and where they come
from are listed in ``docs/cases.md`` ("Policy"). Nothing in this module reads
the clock: functions that depend on time take ``now``.

* a stop-payment lasts :attr:`~CasePolicy.stop_term` (48 hours) and an account
  is stopped at most :attr:`~CasePolicy.max_stops` times (twice);
* a freeze lasts :attr:`~CasePolicy.freeze_months` (6 months) or
  :attr:`~CasePolicy.major_freeze_months` (12 months, a major case) from the
  moment it takes effect, and lapses at its end unless a renewal arrives
  *before* the end; a renewal adds one more term to the current end;
* each request has a response due time (:meth:`CasePolicy.response_due`).

>>> from datetime import datetime, UTC
>>> p = CasePolicy()
>>> add_months(datetime(2026, 8, 31, tzinfo=UTC), 6)
datetime.datetime(2027, 2, 28, 0, 0, tzinfo=datetime.timezone.utc)
>>> p.freeze_end(datetime(2026, 1, 15, tzinfo=UTC), major=False).isoformat()
'2026-07-15T00:00:00+00:00'
>>> p.stop_end(datetime(2026, 1, 1, tzinfo=UTC), 48).isoformat()
'2026-01-03T00:00:00+00:00'
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

import attrs

from antifraud_common._clock import aware_utc
from antifraud_common.cases.messages import MessageType

__all__ = ["DEFAULT_POLICY", "CasePolicy", "add_months"]

_DUE: Final = MappingProxyType(
    {
        # Answered at once or "pending" with a time to poll (auth.002; Finnish Customs'
        # register answers within about 5 s): a complete or pending answer in 10 minutes.
        MessageType.QUERY_REQUEST: timedelta(minutes=10),
        # The stop protects money still moving: police enter a case within 30
        # minutes, and the bank's result is due on the same scale.
        MessageType.STOP_PAYMENT_ORDER: timedelta(minutes=30),
        MessageType.FREEZE_ORDER: timedelta(hours=24),
        MessageType.FREEZE_RENEWAL: timedelta(hours=24),
        MessageType.FREEZE_RELEASE: timedelta(hours=24),
        # Frozen funds are returned within 3 working days; counted here as 3
        # calendar days (no holiday calendar in the library).
        MessageType.RETURN_ORDER: timedelta(days=3),
    }
)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months, clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _frozen_map(value: Mapping[MessageType, timedelta]) -> Mapping[MessageType, timedelta]:
    return MappingProxyType(dict(value))


def _utc(value: datetime) -> datetime:
    return aware_utc(value, field="time")


@attrs.frozen(kw_only=True)
class CasePolicy:
    """The limits and deadlines applied when a case message is sent or received."""

    #: How long an emergency stop-payment lasts at most.
    stop_term: timedelta = timedelta(hours=48)
    #: How many times one account may be stopped (counted per bank and account number).
    max_stops: int = 2
    #: Freeze term in months.
    freeze_months: int = 6
    #: Freeze term in months for a major case.
    major_freeze_months: int = 12
    #: Tolerated clock skew for ``issued_at`` in the future.
    clock_skew: timedelta = timedelta(minutes=5)
    #: Longest accepted ``expires - issued_at`` of a message.
    max_lifetime: timedelta = timedelta(days=7)
    #: Time allowed for the answer to each request type.
    due: Mapping[MessageType, timedelta] = attrs.field(default=_DUE, converter=_frozen_map)

    def stop_end(self, stopped_at: datetime, term_hours: int) -> datetime:
        """When a stop that took effect at ``stopped_at`` for ``term_hours`` ends (capped)."""
        return _utc(stopped_at) + min(timedelta(hours=term_hours), self.stop_term)

    def freeze_term(self, *, major: bool) -> int:
        """The freeze term in months."""
        return self.major_freeze_months if major else self.freeze_months

    def freeze_end(self, start: datetime, *, major: bool) -> datetime:
        """When a freeze starting (or renewed from) ``start`` ends."""
        return add_months(_utc(start), self.freeze_term(major=major))

    def response_due(self, request: MessageType, issued_at: datetime) -> datetime | None:
        """When the answer to a ``request`` issued at ``issued_at`` is due (``None``: no answer)."""
        delta = self.due.get(request)
        return None if delta is None else _utc(issued_at) + delta

    def is_fresh(self, issued_at: datetime, expires: datetime, now: datetime) -> str | None:
        """``None`` when a message is fresh at ``now``, else the refusal code."""
        if expires - issued_at > self.max_lifetime:
            return "case_lifetime"
        if issued_at > now + self.clock_skew:
            return "case_not_yet_valid"
        if now >= expires:
            return "case_expired"
        return None


#: The defaults.
DEFAULT_POLICY: Final = CasePolicy()
