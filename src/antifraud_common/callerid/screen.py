"""Screen files of call records with the caller-ID checks, in bounded memory.

:func:`screen_calls` reads call records (CSV with a header row, or JSON Lines),
takes the calling number, the called number and the ingress from the named
columns (and optionally the trunk id), checks every call with one
:class:`~antifraud_common.callerid.CallChecker`, and yields a
:class:`CallFinding` for every call whose action is not ``allow``. Nothing is
dropped silently: :class:`CallSummary` counts records, calls checked, calls per
action and per rule, calls to emergency numbers, and bad rows by reason
(``wrong_cell_count``, ``unparseable``, ``missing_column``, ``missing_cell``,
``bad_ingress``, ``not_a_string``) with samples of their line numbers.

Records are read a line at a time (no line longer than :data:`MAX_LINE_BYTES`
is held; a CSV field is at most that long too) and repeated cells are decided
from a bounded cache, so memory does not grow with the input.

>>> import io
>>> data = io.StringIO(
...     "caller,callee,via\\n"
...     "+8613800138000,+8613900139000,interconnect\\n"
...     "+8613800138000,+8613900139000,international\\n"
...     "95588,110,interconnect\\n"
...     "+8613800138000,+8613900139000,satellite\\n"
... )
>>> run = screen_calls(data, calling="caller", called="callee", ingress="via")
>>> [(f.line, f.verdict.action.value, f.verdict.rule_ids) for f in run]
[(3, 'block', ('international_domestic_cli',)), (4, 'flag', ('protected_unauthorised',))]
>>> s = run.summary
>>> s.records, s.checked, s.by_action["block"], s.emergency_calls, s.bad_rows
(4, 3, 1, 1, 1)
>>> s.bad_row_samples[0].to_dict()
{'line': 5, 'reason': 'bad_ingress', 'detail': "'satellite'"}
"""

from __future__ import annotations

import collections
import csv
import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final

import attrs

from antifraud_common._files import open_input
from antifraud_common.callerid._check import (
    INGRESS_BY_VALUE,
    CallChecker,
    CallerRanges,
    CallVerdict,
    FiredRule,
    Ingress,
    with_rule,
)
from antifraud_common.callerid._rules import RULES, CallAction
from antifraud_common.errors import ConfigurationError
from antifraud_common.index.screen import BadRow, detect_format, read_csv_header

__all__ = [
    "MAX_LINE_BYTES",
    "BadCallRow",
    "CallFinding",
    "CallScreening",
    "CallSummary",
    "screen_calls",
]

#: Longest record line read, in characters (a longer one is a bad row, never held whole).
MAX_LINE_BYTES: Final = 1 << 16
#: At most this many bad rows are kept as samples (all are counted).
SAMPLE_LIMIT: Final = 1000
_NO_RANGES: Final = CallerRanges.of(())
#: Rows checked together (one bulk probe of the blacklist per batch).
_BATCH: Final = 1024
_BAD_REASONS: Final = (
    "wrong_cell_count",
    "unparseable",
    "missing_column",
    "missing_cell",
    "bad_ingress",
    "not_a_string",
)


@attrs.frozen(kw_only=True)
class BadCallRow(BadRow):
    """A record that could not be checked: its line, why, and a short detail.

    The same fields and JSON shape as screening's :class:`~antifraud_common.index.screen.BadRow`.
    """


@attrs.frozen(kw_only=True)
class CallFinding:
    """A call whose action is not ``allow``: its line and its verdict."""

    line: int
    verdict: CallVerdict

    def to_dict(self) -> dict[str, Any]:
        """One output line: the line, the action, the fired rules, the call's values."""
        v = self.verdict
        return {
            "line": self.line,
            "action": v.action.value,
            "rules": [
                {"id": f.rule.id, "action": f.action.value, "detail": f.detail} for f in v.rules
            ],
            "ingress": v.ingress.value,
            "calling": v.calling,
            "called": v.called,
            "emergency": v.emergency,
            "plan_version": v.plan_version,
        }


@attrs.frozen(kw_only=True)
class CallSummary:
    """The counts of one screening run (complete once the run is exhausted)."""

    format: str
    records: int
    checked: int
    by_action: dict[str, int]
    by_rule: dict[str, int]
    emergency_calls: int
    bad_rows: int
    bad_rows_by_reason: dict[str, int]
    bad_row_samples: tuple[BadCallRow, ...]
    plan_version: int
    skipped: tuple[str, ...]

    @property
    def flagged(self) -> int:
        """Calls whose action is not ``allow``."""
        return self.checked - self.by_action["allow"]

    @property
    def ok(self) -> bool:
        """Every call allowed and every row read."""
        return self.flagged == 0 and self.bad_rows == 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the summary (``antifraud screen-calls --json``)."""
        return {
            "format": self.format,
            "records": self.records,
            "checked": self.checked,
            "flagged": self.flagged,
            "by_action": dict(self.by_action),
            "by_rule": dict(self.by_rule),
            "emergency_calls": self.emergency_calls,
            "bad_rows": self.bad_rows,
            "bad_rows_by_reason": dict(self.bad_rows_by_reason),
            "bad_row_samples": [b.to_dict() for b in self.bad_row_samples],
            "plan_version": self.plan_version,
            "skipped": list(self.skipped),
        }

    @classmethod
    def merge(cls, parts: Iterable[CallSummary]) -> CallSummary:
        """Add up the summaries of several runs (partitions); samples keep their order."""
        items = list(parts)
        if not items:
            raise ConfigurationError("nothing to merge", code="no_partitions")

        def add(name: str) -> dict[str, int]:
            out: dict[str, int] = {}
            for p in items:
                for k, n in getattr(p, name).items():
                    out[k] = out.get(k, 0) + n
            return out

        samples = tuple(b for p in items for b in p.bad_row_samples)[:SAMPLE_LIMIT]
        skipped = dict.fromkeys(r for p in items for r in p.skipped)
        return cls(
            format=items[0].format if len({p.format for p in items}) == 1 else "mixed",
            records=sum(p.records for p in items),
            checked=sum(p.checked for p in items),
            by_action=add("by_action"),
            by_rule=add("by_rule"),
            emergency_calls=sum(p.emergency_calls for p in items),
            bad_rows=sum(p.bad_rows for p in items),
            bad_rows_by_reason=add("bad_rows_by_reason"),
            bad_row_samples=samples,
            plan_version=items[0].plan_version,
            skipped=tuple(skipped),
        )


#: Stands for a line longer than MAX_LINE_BYTES: one cell no number or ingress can be.
_TOO_LONG: Final = "\ufffe\uffff too long\n"


def _bounded_lines(text: IO[str]) -> Iterator[str]:
    """The lines of ``text``; a line over :data:`MAX_LINE_BYTES` characters is skipped in pieces."""
    readline = text.readline
    while line := readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and line[-1] != "\n":
            while (rest := readline(MAX_LINE_BYTES)) and rest[-1] != "\n":
                pass
            yield _TOO_LONG
            continue
        yield line


# A row as the checker sees it: (line, calling, called, ingress text, trunk) or a bad row.
_Row = tuple[int, object, object, object, object]


def _csv_rows(
    lines: Iterator[str], fields: tuple[str, ...], bad: list[tuple[int, str, str]]
) -> Iterator[_Row]:
    """Read the CSV header (a missing column fails here) and return the rows.

    Bad rows are appended to ``bad`` and yield nothing.
    """
    reader = csv.reader(lines, strict=True)
    header = read_csv_header(reader)
    if header is None:
        return iter(())
    positions = []
    for name in fields:
        if name not in header:
            raise ConfigurationError(
                f"the CSV header has no column {name!r}", code="no_such_column"
            )
        positions.append(header.index(name))
    return _csv_body(reader, positions, len(header), bad)


def _csv_body(
    reader: Any, positions: list[int], width: int, bad: list[tuple[int, str, str]]
) -> Iterator[_Row]:
    a, b, c = positions[0], positions[1], positions[2]
    t = positions[3] if len(positions) > 3 else -1
    too_long = _TOO_LONG[:-1]
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            bad.append((start, "unparseable", str(e)))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if len(row) == width:
            yield line, row[a], row[b], row[c], row[t] if t >= 0 else None
        elif row and row[-1] == too_long:
            bad.append((line, "unparseable", f"a line longer than {MAX_LINE_BYTES} characters"))
        elif row:  # a blank line is not a record
            bad.append((line, "wrong_cell_count", f"{len(row)} cells, the header has {width}"))


def _jsonl_rows(
    lines: Iterator[str], fields: tuple[str, ...], bad: list[tuple[int, str, str]]
) -> Iterator[_Row]:
    for n, text in enumerate(lines, start=1):
        if text is _TOO_LONG:
            bad.append((n, "unparseable", f"a line longer than {MAX_LINE_BYTES} characters"))
            continue
        if n == 1:
            text = text.lstrip("\ufeff")  # noqa: PLW2901
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as e:
            msg = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deeply"
            bad.append((n, "unparseable", f"not JSON: {msg}"))
            continue
        if not isinstance(obj, dict):
            bad.append((n, "unparseable", "not a JSON object"))
            continue
        missing = [f for f in fields if f not in obj]
        if missing:
            bad.append((n, "missing_column", ",".join(missing)))
            continue
        yield (
            n,
            obj[fields[0]],
            obj[fields[1]],
            obj[fields[2]],
            (obj[fields[3]] if len(fields) > 3 else None),
        )


def _ingress_of(text: str) -> Ingress | None:
    found = INGRESS_BY_VALUE.get(text)
    if found is None:
        found = INGRESS_BY_VALUE.get(text.strip().lower().replace("-", "_").replace(" ", "_"))
    return found


def _first_bad(calling: object, called: object, ingress: object, types: bool) -> str:
    for name, v in (("calling", calling), ("called", called), ("ingress", ingress)):
        if (type(v) is not str) if types else not v:
            return name
    return ""  # pragma: no cover - called only when one is bad


class CallScreening(Iterator[CallFinding]):
    """An iterator of findings; :attr:`summary` is complete once it is exhausted."""

    def __init__(  # noqa: PLR0917 - built only by screen_calls()
        self,
        rows: Iterator[_Row],
        bad: list[tuple[int, str, str]],
        checker: CallChecker,
        fmt: str,
        closer: IO[Any] | None,
        ranges: Mapping[str, CallerRanges] | None = None,
    ) -> None:
        self._ranges = ranges
        self._rows = rows
        self._bad = bad
        self._checker = checker
        self._format = fmt
        self._closer = closer
        self._records = 0
        self._checked = 0
        self._by_action = {a.value: 0 for a in CallAction}
        self._by_rule = {r.id: 0 for r in RULES}
        self._emergency = 0
        self._allowed = 0  # counted apart: the common case costs no enum look-up
        self._out: collections.deque[CallFinding] = collections.deque()
        self._exhausted = False
        self._seen_skipped: tuple[str, ...] | None = None
        self._bad_count = 0
        self._bad_reasons = dict.fromkeys(_BAD_REASONS, 0)
        self._samples: list[BadCallRow] = []
        self._skipped: dict[str, None] = {}
        self._done = False

    def __iter__(self) -> CallScreening:
        return self

    def _drain_bad(self) -> None:
        for line, reason, detail in self._bad:
            self._bad_row(line, reason, detail)
        self._bad.clear()

    def _bad_row(self, line: int, reason: str, detail: str) -> None:
        self._records += 1
        self._bad_count += 1
        self._bad_reasons[reason] += 1
        if len(self._samples) < SAMPLE_LIMIT:
            self._samples.append(BadCallRow(line=line, reason=reason, detail=detail[:200]))

    def __next__(self) -> CallFinding:
        while not self._out:
            if self._exhausted:
                self._drain_bad()
                self._finish()
                raise StopIteration
            self._fill()
        return self._out.popleft()

    def _fill(self) -> None:
        """Check the next batch of rows; queue their findings in order."""
        checker = self._checker
        decide = checker._decide
        bulk = checker._index is not None
        ranges = self._ranges
        ingress_get = INGRESS_BY_VALUE.get
        batch: list[tuple[int, Ingress, Any]] = []
        for line, calling, called, ingress, trunk in self._rows:
            if self._bad:
                self._drain_bad()
            if not (type(calling) is str and type(called) is str and type(ingress) is str):
                self._bad_row(line, "not_a_string", _first_bad(calling, called, ingress, True))
                continue
            if not calling or not called or not ingress:
                self._bad_row(line, "missing_cell", _first_bad(calling, called, ingress, False))
                continue
            where = ingress_get(ingress) or _ingress_of(ingress)
            if where is None:
                self._bad_row(line, "bad_ingress", repr(ingress[:40]))
                continue
            trunk_id = trunk if type(trunk) is str and trunk else None
            trunk_ranges = None if ranges is None else ranges.get(trunk_id or "", _NO_RANGES)
            batch.append(
                (
                    line,
                    where,
                    decide(calling, called, where, trunk_id, None, False, trunk_ranges, not bulk),
                )
            )
            if len(batch) >= _BATCH:
                break
        else:
            self._exhausted = True
        listed: dict[int, FiredRule] = {}
        if bulk:
            values = [d[2] for _, _, d in batch]
            present = [n for n, v in enumerate(values) if v is not None]
            hits = checker._listed_many([values[n] for n in present])
            listed = {present[k]: rule for k, rule in hits.items()}
        self._records += len(batch)
        self._checked += len(batch)
        by_action = self._by_action
        by_rule = self._by_rule
        allow = CallAction.ALLOW
        plan_version = checker.plan_version
        for n, (line, where, decision) in enumerate(batch):
            action, fired, value, called_value, emergency, skipped = decision
            if emergency:
                self._emergency += 1
            if skipped is not self._seen_skipped:
                self._seen_skipped = skipped
                for r in skipped:
                    self._skipped.setdefault(r, None)
            if listed and n in listed:
                action, fired = with_rule(fired, listed[n], emergency)
            if action is allow:
                self._allowed += 1
                continue
            by_action[action.value] += 1
            for f in fired:
                by_rule[f.rule.id] += 1
            verdict = CallVerdict(
                action=action,
                rules=tuple(fired),
                ingress=where,
                calling=value,
                called=called_value,
                emergency=emergency,
                plan_version=plan_version,
                skipped=skipped,
            )
            self._out.append(CallFinding(line=line, verdict=verdict))

    def _finish(self) -> None:
        if not self._done:
            self._done = True
            self.close()

    def close(self) -> None:
        """Close the input file (if :func:`screen_calls` opened it)."""
        if self._closer is not None:
            self._closer.close()
            self._closer = None

    @property
    def records(self) -> int:
        """Records read so far (checked calls and bad rows)."""
        return self._records

    @property
    def summary(self) -> CallSummary:
        """The counts so far (complete once the iterator is exhausted)."""
        return CallSummary(
            format=self._format,
            records=self._records,
            checked=self._checked,
            by_action={**self._by_action, "allow": self._allowed},
            by_rule=dict(self._by_rule),
            emergency_calls=self._emergency,
            bad_rows=self._bad_count,
            bad_rows_by_reason=dict(self._bad_reasons),
            bad_row_samples=tuple(self._samples),
            plan_version=self._checker.plan_version,
            skipped=tuple(self._skipped),
        )


def screen_calls(
    records: str | os.PathLike[str] | Iterable[str],
    *,
    calling: str,
    called: str,
    ingress: str,
    trunk: str | None = None,
    ranges: Mapping[str, CallerRanges] | None = None,
    checker: CallChecker | None = None,
    format: str = "auto",
) -> CallScreening:
    """Check every call in ``records`` and yield the calls that are not allowed.

    ``records`` is a path (CSV or JSON Lines) or an iterable of text lines.
    ``calling``, ``called`` and ``ingress`` name the columns (JSON members)
    holding the caller ID, the called number and the ingress (an
    :class:`~antifraud_common.callerid.Ingress` value; case, spaces and hyphens
    are forgiven: ``Private-Line``); ``trunk`` optionally the column with the
    trunk id. ``ranges`` maps a trunk id to the numbers it may present
    (:class:`~antifraud_common.callerid.CallerRanges`); with it, a private line
    or VoIP call from a trunk it does not name may present no number.
    ``checker`` holds the data (default: a
    :class:`~antifraud_common.callerid.CallChecker` with the packaged plan and
    protected table only). ``format`` is ``auto`` (JSON Lines for ``.jsonl`` /
    ``.ndjson`` or a first character ``{``, else CSV), ``csv`` or ``jsonl``.
    A missing column raises :class:`~antifraud_common.errors.ConfigurationError`
    (``no_such_column``); an unreadable file ``unreadable``.
    """
    if format not in ("auto", "csv", "jsonl"):
        raise ConfigurationError(f"unknown format {format!r}", code="invalid_format_option")
    fields = (calling, called, ingress) if trunk is None else (calling, called, ingress, trunk)
    if any(type(f) is not str or not f for f in fields):
        raise ConfigurationError("column names are non-empty strings", code="no_columns")
    if ranges is not None:
        if trunk is None:
            raise ConfigurationError(
                "ranges are given per trunk: name the trunk column", code="invalid_option"
            )
        if not all(isinstance(r, CallerRanges) for r in ranges.values()):
            raise ConfigurationError("ranges maps trunk ids to CallerRanges", code="invalid_ranges")
    if checker is None:
        checker = CallChecker()
    elif not isinstance(checker, CallChecker):
        raise ConfigurationError("checker must be a CallChecker", code="invalid_option")
    closer: IO[Any] | None = None
    name = ""
    lines: Iterator[str]
    if isinstance(records, (str, os.PathLike)):
        path = Path(records)
        name = path.name.lower()
        try:
            raw = open_input(path, buffering=1 << 20)
        except OSError as e:
            raise ConfigurationError(f"cannot read {path}: {e}", code="unreadable") from e
        # Undecodable bytes become U+FFFD: the number then fails validation, counted.
        closer = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
        lines = _bounded_lines(closer)
    elif isinstance(records, io.TextIOBase) or hasattr(records, "__iter__"):
        lines = iter(records)
    else:
        raise ConfigurationError("records is a path or lines of text", code="invalid_option")
    first = next(lines, None)
    if format == "auto":
        format = detect_format(first if isinstance(first, str) else "", name)
    body: Iterator[str] = iter(()) if first is None else itertools.chain((first,), lines)
    bad: list[tuple[int, str, str]] = []
    try:
        rows = _csv_rows(body, fields, bad) if format == "csv" else _jsonl_rows(body, fields, bad)
    except BaseException:
        if closer is not None:
            closer.close()
        raise
    return CallScreening(rows, bad, checker, format, closer, ranges)
