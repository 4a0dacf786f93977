"""The one aware-UTC clock check: every ``now``, expiry and timestamp argument passes here.

The library compares instants only in UTC and refuses naive datetimes (they
name no instant: a receiver in Beijing and one in Berlin would read the same
value eight hours apart). Each function that takes a datetime from its caller
calls :func:`aware_utc`; the ones whose clock is injectable call
:func:`now_utc`. Both raise :class:`~antifraud_common.errors.NaiveDatetimeError`
(code ``naive_datetime``), which derives from every error type these checks
raised before (``ConfigurationError``, ``ModelError``, ``StateError``).

>>> from datetime import datetime, timedelta, timezone
>>> aware_utc(datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))))
datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
>>> try:
...     aware_utc(datetime(2026, 1, 1), field="expires")
... except NaiveDatetimeError as e:
...     print(e.code, "--", e.message)
naive_datetime -- expires must be an aware datetime (UTC); naive datetimes are not accepted
"""

from __future__ import annotations

from datetime import UTC, datetime

from antifraud_common.errors import NaiveDatetimeError

__all__ = ["aware_utc", "now_utc"]


def aware_utc(
    value: object, *, field: str = "now", error: type[NaiveDatetimeError] = NaiveDatetimeError
) -> datetime:
    """Return ``value`` converted to UTC; refuse anything but an aware :class:`datetime`.

    ``field`` names the argument in the message. A ``tzinfo`` whose
    ``utcoffset`` is ``None`` counts as naive, like no ``tzinfo`` at all.
    ``error`` is the subclass of :class:`NaiveDatetimeError` to raise (one that
    also derives from the error a module raised for this before).
    """
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC)
    what = "naive datetimes" if isinstance(value, datetime) else f"{type(value).__name__} values"
    message = f"{field} must be an aware datetime (UTC); {what} are not accepted"
    raise error(message, code=NaiveDatetimeError.code)


def now_utc(
    now: object | None = None,
    *,
    field: str = "now",
    error: type[NaiveDatetimeError] = NaiveDatetimeError,
) -> datetime:
    """The injectable clock: the current UTC time, or ``now`` checked by :func:`aware_utc`."""
    return datetime.now(UTC) if now is None else aware_utc(now, field=field, error=error)
