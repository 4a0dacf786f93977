"""Screening results and the record-by-record screening loop (private).

:mod:`antifraud_common.index.screen` reads records into chunks; a
:class:`Screening` validates, looks up and counts them, and yields one
:class:`ScreenMatch` per listed value. The columnar path (``._vector``)
subclasses it for Arrow batches. The public names are re-exported by
:mod:`antifraud_common.index.screen`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, Final, Protocol

import attrs

from antifraud_common.errors import ConfigurationError
from antifraud_common.index._bulk import scan
from antifraud_common.index._core import Index
from antifraud_common.index._results import CheckResult
from antifraud_common.kinds import AUTO_ORDER, detect
from antifraud_common.models import Action, IdentifierKind, mask_value

__all__ = [
    "SAMPLE_LIMIT",
    "BadRow",
    "Chunk",
    "InvalidValue",
    "ScreenMatch",
    "ScreenSummary",
    "Screening",
    "Source",
    "count_members",
    "require_columns",
]

#: At most this many bad rows and invalid values are kept as samples (all are counted).
SAMPLE_LIMIT: Final = 1000

# What a source hands over per chunk: records read, bad rows (line, reason, detail),
# the lines and rows of the good records, and whether the input is exhausted.
Chunk = tuple[int, list[tuple[int, str, str]], Sequence[int], list[Sequence[object]], bool]


class Source(Protocol):
    """Where a :class:`Screening` gets its records: chunks, and each column's position."""

    @property
    def wanted(self) -> Sequence[int]:
        """The position of each screened column in a record's row."""
        ...

    def take(self) -> Chunk:
        """The next chunk of records."""
        ...


@attrs.frozen(kw_only=True)
class BadRow:
    """A record that could not be screened.

    ``reason`` is ``unparseable``, ``wrong_cell_count`` (a CSV record whose cell
    count differs from the header's) or ``missing_column`` (a JSON Lines object
    without a named field).
    """

    line: int
    reason: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {"line": self.line, "reason": self.reason, "detail": self.detail}


@attrs.frozen(kw_only=True)
class InvalidValue:
    """A value that is not a valid identifier (the raw value is not kept: it may be a card)."""

    line: int
    column: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {"line": self.line, "column": self.column, "code": self.code}


def _mask_repr(inst: ScreenMatch) -> str:
    return (
        f"ScreenMatch(line={inst.line!r}, column={inst.column!r}, kind={inst.kind!r}, "
        f"value={inst.masked_value!r}, action={inst.action!r})"
    )


@attrs.frozen(kw_only=True, repr=False)
class ScreenMatch:
    """One listed value found in one record.

    ``line`` is the 1-based line where the record starts (CSV, JSON Lines) or the
    1-based row (Arrow tables, DataFrames, Parquet).
    """

    line: int
    column: str
    kind: IdentifierKind
    value: str
    result: CheckResult

    __repr__ = _mask_repr

    @property
    def masked_value(self) -> str:
        """The canonical value, masked if it is a card number."""
        return mask_value(self.kind, self.value)

    @property
    def action(self) -> Action:
        """The strongest action of the matches (FREEZE > HOLD > BLOCK > WATCH)."""
        assert self.result.action is not None
        return self.result.action

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON Lines shape (cards masked)."""
        return {
            "line": self.line,
            "column": self.column,
            "kind": self.kind.value,
            "value": self.masked_value,
            "action": self.action.value,
            "matches": [m.to_dict() for m in self.result.matches],
        }


_new_object = object.__new__
_set_line, _set_column, _set_kind, _set_value, _set_result = (
    ScreenMatch.__dict__[name].__set__ for name in ("line", "column", "kind", "value", "result")
)


def new_match(
    line: int, column: str, kind: IdentifierKind, value: str, result: CheckResult
) -> ScreenMatch:
    """``ScreenMatch(line=line, ...)`` without the keyword call, for many matches at once.

    The same object the constructor makes: its fields have no defaults, validators
    or converters (tests hold both).
    """
    m = _new_object(ScreenMatch)
    _set_line(m, line)
    _set_column(m, column)
    _set_kind(m, kind)
    _set_value(m, value)
    _set_result(m, result)
    return m


@attrs.frozen(kw_only=True)
class ScreenSummary:
    """Counts of one screening run (see the module docstring)."""

    format: str
    records: int
    values_checked: int
    listed_values: int
    empty: Mapping[str, int]
    invalid: Mapping[str, int]
    bad_rows: int
    matches_by_action: Mapping[str, int]
    bad_row_samples: tuple[BadRow, ...]
    invalid_samples: tuple[InvalidValue, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {
            "format": self.format,
            **count_members(self),
            "bad_row_samples": [b.to_dict() for b in self.bad_row_samples],
            "invalid_samples": [i.to_dict() for i in self.invalid_samples],
        }


def count_members(summary: Any) -> dict[str, Any]:
    """The counts of a screening summary, one run's or a distributed run's, as JSON members.

    ``records`` .. ``matches_by_action``, in the order of the summaries' ``to_dict``.
    """
    return {
        "records": summary.records,
        "values_checked": summary.values_checked,
        "listed_values": summary.listed_values,
        "empty": dict(summary.empty),
        "invalid": dict(summary.invalid),
        "bad_rows": summary.bad_rows,
        "matches_by_action": dict(summary.matches_by_action),
    }


def require_columns(header: Sequence[str], columns: Sequence[str]) -> None:
    """Raise ``ConfigurationError`` (``no_such_column``) for the first column not in ``header``."""
    for name in columns:
        if name not in header:
            raise ConfigurationError(
                f"the CSV header has no column {name!r}; its columns: "
                + ", ".join(repr(h) for h in header[:50]),
                code="no_such_column",
            )


class Screening(Iterator[ScreenMatch]):
    """An iterator of matches; :attr:`summary` is complete once it is exhausted."""

    def __init__(  # noqa: PLR0917 - built only by screen()
        self,
        source: Source,
        columns: Sequence[str],
        kinds: Sequence[IdentifierKind | None],
        index: Index,
        region: str,
        now_ts: int,
        fmt: str,
        closer: IO[Any] | None,
    ) -> None:
        self._source = source
        self._columns = columns
        self._kinds = kinds
        self._index = index
        self._region = region
        self._now = now_ts
        self._format = fmt
        self._closer = closer
        self._pending: list[ScreenMatch] = []
        self._done = False
        self.records = 0
        self.values_checked = 0
        self.listed_values = 0
        self.empty = dict.fromkeys(columns, 0)
        self.invalid = dict.fromkeys(columns, 0)
        self.by_action = {a.value: 0 for a in sorted(Action, key=lambda a: -a.severity)}
        self.bad_rows = 0
        self.bad_samples: list[BadRow] = []
        self.invalid_samples: list[InvalidValue] = []

    @property
    def summary(self) -> ScreenSummary:
        """The counts so far (final once iteration has finished)."""
        return ScreenSummary(
            format=self._format,
            records=self.records,
            values_checked=self.values_checked,
            listed_values=self.listed_values,
            empty=dict(self.empty),
            invalid=dict(self.invalid),
            bad_rows=self.bad_rows,
            matches_by_action=dict(self.by_action),
            bad_row_samples=tuple(self.bad_samples),
            invalid_samples=tuple(self.invalid_samples),
        )

    def __iter__(self) -> Screening:
        return self

    def __next__(self) -> ScreenMatch:
        while not self._pending:
            if self._done:
                raise StopIteration
            self._fill()
        return self._pending.pop()

    def close(self) -> None:
        """Close the input file if :func:`screen` opened it."""
        self._done = True
        if self._closer is not None:
            self._closer.close()
            self._closer = None

    def _bad(self, line: int, reason: str, detail: str) -> None:
        self.bad_rows += 1
        if len(self.bad_samples) < SAMPLE_LIMIT:
            self.bad_samples.append(BadRow(line=line, reason=reason, detail=detail))

    def _fill(self) -> None:
        read, bad, lines, rows, exhausted = self._source.take()
        for line, reason, detail in bad:
            self._bad(line, reason, detail)
        self.records += read
        if exhausted:
            self.close()
        if not rows:
            return
        found: list[ScreenMatch] = []
        index = self._index
        now = self._now
        region = self._region
        for column, kind, p in zip(self._columns, self._kinds, self._source.wanted, strict=True):
            values: list[object] = [row[p] for row in rows]
            if kind is None:
                self._fill_detected(values, lines, column, found)
                continue
            good_at, good, invalid, empty = scan(kind, values, region=region)
            self.empty[column] += empty
            self.values_checked += len(values) - empty
            for i, code in invalid:
                self._invalid(lines[i], column, code)
            # Only values some row names come back; the rest are misses.
            for j, r in index.probe_many(kind, good, now):
                if r.listed:
                    found.append(self._match(lines[good_at[j]], column, kind, good[j], r))
        if len(found) > 1:
            found.sort(key=lambda m: (m.line, self._columns.index(m.column)), reverse=True)
        self._pending = found

    def _fill_detected(
        self, raws: list[object], lines: Sequence[int], column: str, found: list[ScreenMatch]
    ) -> None:
        """Screen a column without a kind: each value is auto-detected."""
        present = [i for i, r in enumerate(raws) if r is not None and r != ""]
        self.empty[column] += len(raws) - len(present)
        self.values_checked += len(present)
        index = self._index
        now = self._now
        for i in present:
            k, value, error = detect(raws[i], AUTO_ORDER, region=self._region)
            if value is None:
                assert error is not None
                self._invalid(lines[i], column, error.code)
                continue
            assert k is not None
            probed = index.probe(k, value, now)
            if probed is not None and probed.listed:
                found.append(self._match(lines[i], column, k, value, probed))

    def _invalid_many(
        self, lines: Sequence[int], column: str, invalid: Sequence[tuple[int, str]]
    ) -> None:
        """:meth:`_invalid` for each ``(i, code)``, the value at ``lines[i]``."""
        self.invalid[column] += len(invalid)
        room = SAMPLE_LIMIT - len(self.invalid_samples)
        if room > 0:
            self.invalid_samples.extend(
                InvalidValue(line=lines[i], column=column, code=code or "invalid")
                for i, code in invalid[:room]
            )

    def _invalid(self, line: int, column: str, code: str | None) -> None:
        self.invalid[column] += 1
        if len(self.invalid_samples) < SAMPLE_LIMIT:
            self.invalid_samples.append(
                InvalidValue(line=line, column=column, code=code or "invalid")
            )

    def _match(
        self, line: int, column: str, kind: IdentifierKind, value: str, r: CheckResult
    ) -> ScreenMatch:
        assert r.action is not None
        self.listed_values += 1
        self.by_action[r.action.value] += 1
        return ScreenMatch(line=line, column=column, kind=kind, value=value, result=r)
