"""The +86 number plan as data: range records, and the plan a verdict is made with.

Every verdict on a Chinese number is a look-up in a number plan. The library
ships one (``data/cn_number_plan.csv``, :meth:`NumberPlan.packaged`); the
telecom regulator may publish newer ones as a signed list of **range records**
(list type ``number_plan``, see ``docs/spec/number-plan.md``, "The signed
number plan", and :mod:`antifraud_common.exchange.reference`). A receiver that
holds a newer verified plan hands it to the validators::

    phone.validate(number, plan=held)      # one call
    with numberplan.use(held):             # every validation in the block,
        verify_list(...)                   # list entries included

and :attr:`antifraud_common.phone.PhoneInfo.plan_version` names the plan
version that decided. Without a plan (or with the packaged one) every verdict
and output is the packaged plan's, byte for byte.

A :class:`PlanRange` is one record: the numbers of one ``table`` and ``length``
that start with ``prefix`` are ``allocated`` (with a ``kind`` and the
``carrier`` the block went to), ``reserved`` (kept for a later allocation: a
number there is refused as ``unknown_range``, never accepted) or
``unallocated`` (not a number: ``invalid_number``), since ``date``.

>>> p = NumberPlan.packaged()
>>> p.version == PACKAGED_VERSION, p.source
(True, 'packaged')
>>> r = PlanRange.from_dict({"carrier": "", "date": "2026-12-01", "length": 11,
...                          "prefix": "154", "status": "reserved", "table": "regular"})
>>> r.key, r.row()
(('regular', 11, '154'), ('regular', 11, '154', 'unknown', ''))
>>> a = attrs.evolve(r, status=RangeStatus.ALLOCATED, kind="mobile", carrier="中国移动")
>>> newer = NumberPlan.from_ranges([a if x.key == a.key else x for x in p.ranges()],
...                                version=2, source="miit/cn-number-plan")
>>> from antifraud_common import phone
>>> phone.is_valid("+8615400138000"), phone.is_valid("+8615400138000", plan=newer)
(False, True)
>>> phone.classify("+8615400138000", plan=newer).plan_version
2
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date as _date
from typing import Any, Final

import attrs

from antifraud_common import _cn_plan, _text
from antifraud_common.errors import ConfigurationError, ModelError

__all__ = [
    "LOCAL_KINDS",
    "MAX_CARRIER_LENGTH",
    "PACKAGED_VERSION",
    "REGULAR_KINDS",
    "NumberPlan",
    "PlanRange",
    "RangeStatus",
    "current",
    "in_effect",
    "use",
]

#: Kinds an allocated range of the ``regular`` table may have.
REGULAR_KINDS: Final = _cn_plan.REGULAR_KINDS
#: Kinds an allocated range of the ``local`` table may have.
LOCAL_KINDS: Final = frozenset({"emergency", "sms_port", "short_code"})
#: Longest ``carrier`` (code points).
MAX_CARRIER_LENGTH: Final = 64
_LENGTHS: Final = {"regular": (7, 13), "local": (3, 20)}
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PREFIX_RE: Final = re.compile(r"[0-9]*")


class RangeStatus(enum.Enum):
    """What the numbers of a range are."""

    #: In use: valid numbers of the record's ``kind``.
    ALLOCATED = "allocated"
    #: Kept for a later allocation: refused as ``unknown_range`` (a newer plan may allocate it).
    RESERVED = "reserved"
    #: Not numbers (``invalid_number``); the same as no record, stated explicitly.
    UNALLOCATED = "unallocated"


def _bad(message: str, field: str, code: str = "invalid_range") -> ModelError:
    return ModelError(message, code=code, field=field)


def _check_text(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_CARRIER_LENGTH:
        raise _bad(f"carrier is text of at most {MAX_CARRIER_LENGTH} code points", "carrier")
    if value and (
        value != value.strip(" ")
        or any(
            ch != " "
            and (
                ch in "\u2028\u2029"
                or (not ch.isascii() and _text.char_class(ch) in ("invisible", "space", "control"))
                or (ch.isascii() and not ch.isprintable())
            )
            for ch in value
        )
    ):
        raise _bad("carrier is printable text without outer spaces", "carrier")
    return value


def _check_date(value: object) -> str:
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise _bad("date is YYYY-MM-DD", "date")
    try:
        _date.fromisoformat(value)
    except ValueError as e:
        raise _bad(f"date {value!r} is not a real date", "date") from e
    if value[:4] == "0000":  # pragma: no cover - fromisoformat refuses year 0
        raise _bad("date is not a real date", "date")
    return value


@attrs.frozen(kw_only=True)
class PlanRange:
    """One record of a signed number plan (see the module docstring).

    Build from untrusted data with :meth:`from_dict`, which checks every rule of
    ``docs/spec/number-plan.md``; ``__init__`` checks them too.
    """

    table: str
    length: int
    prefix: str
    status: RangeStatus
    date: str
    #: Only (and always) for an allocated range.
    kind: str | None = None
    #: The carrier the block was allocated (or reserved) to, ``""`` when none.
    carrier: str = ""

    def __attrs_post_init__(self) -> None:
        table: object = self.table
        if not isinstance(table, str) or table not in _LENGTHS:
            raise _bad("table is regular or local", "table")
        lo, hi = _LENGTHS[table]
        if type(self.length) is not int or not lo <= self.length <= hi:
            raise _bad(f"a {table} length is an integer from {lo} to {hi}", "length")
        prefix: object = self.prefix
        if (
            not isinstance(prefix, str)
            or not _PREFIX_RE.fullmatch(prefix)
            or len(prefix) > self.length
        ):
            raise _bad("prefix is at most length ASCII digits", "prefix")
        status: object = self.status
        if not isinstance(status, RangeStatus):
            raise _bad("status is allocated, reserved or unallocated", "status")
        kind: object = self.kind
        if kind is not None and not isinstance(kind, str):
            raise _bad("kind is a string", "kind")
        _check_date(self.date)
        _check_text(self.carrier)
        kinds = REGULAR_KINDS if self.table == "regular" else LOCAL_KINDS
        if self.status is RangeStatus.ALLOCATED:
            if self.kind not in kinds:
                raise _bad(f"kind is one of {', '.join(sorted(kinds))}", "kind")
        elif self.kind is not None:
            raise _bad("only an allocated range has a kind", "kind")
        if self.status is RangeStatus.UNALLOCATED and self.carrier:
            raise _bad("an unallocated range has no carrier", "carrier")

    @property
    def key(self) -> tuple[str, int, str]:
        """``(table, length, prefix)``: records are sorted and unique by it."""
        return (self.table, self.length, self.prefix)

    def row(self) -> tuple[str, int, str, str, str] | None:
        """The packaged-plan row this record stands for (``None``: unallocated)."""
        if self.status is RangeStatus.UNALLOCATED:
            return None
        kind = self.kind if self.status is RangeStatus.ALLOCATED else "unknown"
        assert kind is not None
        return (self.table, self.length, self.prefix, kind, self.carrier)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the record (its canonical JSON is one list line)."""
        out: dict[str, Any] = {
            "carrier": self.carrier,
            "date": self.date,
            "length": self.length,
            "prefix": self.prefix,
            "status": self.status.value,
            "table": self.table,
        }
        if self.kind is not None:
            out["kind"] = self.kind
        return out

    @classmethod
    def from_dict(cls, data: object) -> PlanRange:
        """Build a record from its JSON object; raise :class:`ModelError` naming the field."""
        if not isinstance(data, Mapping):
            raise _bad("a range record is a JSON object", "record")
        status_raw = data.get("status")
        try:
            status = RangeStatus(status_raw)
        except ValueError as e:
            raise _bad("status is allocated, reserved or unallocated", "status") from e
        required = {"carrier", "date", "length", "prefix", "status", "table"}
        if status is RangeStatus.ALLOCATED:
            required.add("kind")
        for name in sorted(set(data) ^ required):
            what = "unknown" if name in data else "missing"
            raise _bad(f"{what} member {name!r}", name)
        kind = data.get("kind")
        if kind is not None and not isinstance(kind, str):
            raise _bad("kind is a string", "kind")
        return cls(
            table=data["table"],
            length=data["length"],
            prefix=data["prefix"],
            status=status,
            date=data["date"],
            kind=kind,
            carrier=data["carrier"],
        )


def _sort_key(key: tuple[str, int, str]) -> tuple[bytes, int, bytes]:
    return (key[0].encode(), key[1], key[2].encode())


class NumberPlan:
    """A complete +86 number plan: the packaged one, or a signed one a receiver holds.

    ``version`` is the plan version (for a signed plan, the version of the
    ``number_plan`` list that carried it); ``source`` says where it came from
    (``"packaged"`` or ``"ISSUER/LIST_ID"``); ``date`` is the packaged file's
    date or, for a signed plan, the latest ``date`` of its records. Immutable.
    """

    __slots__ = ("_ranges", "date", "source", "table", "version")

    def __init__(
        self, table: _cn_plan.Plan, *, source: str, ranges: tuple[PlanRange, ...] | None
    ) -> None:
        #: The low-level look-up table the validators consult.
        self.table = table
        self.version: int = table.version
        self.date: str = table.date
        self.source = source
        self._ranges = ranges

    @classmethod
    def packaged(cls) -> NumberPlan:
        """The plan shipped with the library (``data/cn_number_plan.csv``)."""
        return _packaged()

    @classmethod
    def from_ranges(cls, ranges: Iterable[PlanRange], *, version: int, source: str) -> NumberPlan:
        """A plan from its complete set of range records (any order).

        Raises :class:`ModelError` (``plan_overlap``: two records of one table
        and length whose prefixes start one another, or the same key twice;
        ``invalid_plan_version``).
        """
        if type(version) is not int or not 1 <= version <= 2**53 - 1:
            raise ModelError("a plan version is an integer from 1", code="invalid_plan_version")
        items = tuple(sorted(ranges, key=lambda r: _sort_key(r.key)))
        check_order(items)
        rows = [row for r in items if (row := r.row()) is not None]
        day = max((r.date for r in items), default="0001-01-01")
        try:
            table = _cn_plan.Plan.from_rows(rows, version=version, date=day)
        except ValueError as e:  # pragma: no cover - check_order and PlanRange rule it out
            raise ModelError(str(e), code="plan_overlap") from e
        return cls(table, source=source, ranges=items)

    def ranges(self) -> tuple[PlanRange, ...]:
        """Every record, sorted by key (the packaged plan's rows as records dated its date)."""
        if self._ranges is None:
            self._ranges = tuple(
                PlanRange(
                    table=t,
                    length=n,
                    prefix=p,
                    status=RangeStatus.RESERVED if k == "unknown" else RangeStatus.ALLOCATED,
                    kind=None if k == "unknown" else k,
                    carrier=c,
                    date=self.date,
                )
                for t, n, p, k, c in self.table.rows()
            )
        return self._ranges

    def regular(self, nsn: str) -> tuple[str, str] | None:
        """``(kind, carrier)`` of a national significant number after +86, or None.

        ``kind`` is ``unknown`` for a reserved range (the packaged file's word).
        """
        return self.table.regular(nsn)

    def local(self, digits: str) -> tuple[str, str] | None:
        """``(kind, carrier)`` of digits dialled inside China without prefix, or None."""
        return self.table.local(digits)

    @property
    def is_packaged(self) -> bool:
        """Whether this is the packaged plan."""
        return self.table is _cn_plan.plan()

    def __repr__(self) -> str:
        return f"NumberPlan(version={self.version}, source={self.source!r})"


def check_order(ranges: Iterable[PlanRange]) -> None:
    """Check records given in key order: strictly increasing, no prefix inside another.

    Raises :class:`ModelError` with code ``not_sorted``, ``duplicate_key`` or
    ``plan_overlap`` and ``line`` the 1-based position of the offending record.
    In key order a prefix and every prefix it starts are adjacent, so comparing
    each record with the one before decides it.
    """
    prev: PlanRange | None = None
    for n, r in enumerate(ranges, 1):
        if prev is not None:
            a, b = _sort_key(prev.key), _sort_key(r.key)
            if b == a:
                raise ModelError("two records for one range", code="duplicate_key", line=n)
            if b < a:
                raise ModelError(
                    "records not sorted by (table, length, prefix)", code="not_sorted", line=n
                )
            if prev.key[:2] == r.key[:2] and r.prefix.startswith(prev.prefix):
                raise ModelError(
                    f"prefix {r.prefix!r} lies inside the range of {prev.prefix!r}",
                    code="plan_overlap",
                    line=n,
                )
        prev = r


@functools.cache
def _packaged() -> NumberPlan:
    return NumberPlan(_cn_plan.plan(), source="packaged", ranges=None)


#: The packaged plan's version (``phone.PLAN_VERSION``).
PACKAGED_VERSION: Final = 1

_ACTIVE: contextvars.ContextVar[NumberPlan | None] = contextvars.ContextVar(
    "antifraud_common_number_plan", default=None
)


#: ``current()``: the plan :func:`use` put in effect here, or ``None`` (the packaged plan
#: decides). The context variable's own ``get``, so the validators' default path asks it
#: without a Python call frame.
current: Final[Callable[[], NumberPlan | None]] = _ACTIVE.get


def in_effect() -> NumberPlan:
    """The plan validations here are made with: :func:`current` or the packaged plan."""
    p = _ACTIVE.get()
    return _packaged() if p is None else p


@contextlib.contextmanager
def use(plan: NumberPlan | None) -> Iterator[NumberPlan]:
    """Make every validation inside the block use ``plan`` (``None``: the packaged one).

    Context-local (threads and asyncio tasks each see their own), so one
    receiver's plan never leaks into another's validations.

    >>> from antifraud_common import phone
    >>> with use(NumberPlan.packaged()) as p:
    ...     phone.classify("13800138000").plan_version == p.version
    True
    """
    if plan is not None and not isinstance(plan, NumberPlan):
        raise ConfigurationError("plan must be a NumberPlan or None", code="invalid_plan")
    token = _ACTIVE.set(None if plan is None or plan.is_packaged else plan)
    try:
        yield in_effect()
    finally:
        _ACTIVE.reset(token)
