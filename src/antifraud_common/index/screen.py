"""Screen a batch of records (CSV, JSON Lines, Parquet, Arrow) against an :class:`Index`.

:func:`screen` reads records, validates the identifier in each named column
with the validators' bulk paths, looks every valid value up, and yields one
:class:`ScreenMatch` per listed value. Nothing is dropped silently: the
:class:`ScreenSummary` counts records, values checked, empty and invalid values
per column, bad rows (unparseable, a CSV record with another cell count than the
header, a JSON object lacking a field) with their line numbers, and matches per
action. Card numbers are masked in every output. Parquet, Arrow tables and
DataFrames, and plain CSV files, are screened by a columnar path when the
``vector`` extra is installed (see :func:`screen`).

CSV follows RFC 4180 (first row = header, UTF-8, an optional BOM is ignored);
JSON Lines has one JSON object per line. ``format="auto"`` picks JSON Lines for
``.jsonl``/``.ndjson`` files or a first character ``{``, else CSV.

>>> import io
>>> from datetime import datetime, UTC
>>> from antifraud_common.index import Index
>>> from antifraud_common.models import Entry
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> e = Entry(kind="phone", value="+8613800138000", reason="telecom_fraud", action="block",
...           source="mps", case_ref="A-1", confidence=90, tlp="amber", listed_at=t,
...           valid_from=t)
>>> index = Index.build([("mps", "fraud-phones", None, e)])
>>> data = io.StringIO("id,caller\\n1,138 0013 8000\\n2,13900139000\\n3,not a number\\n4\\n")
>>> run = screen(data, ["caller"], index, kinds={"caller": "phone"})
>>> [(m.line, m.column, m.value, m.action.value) for m in run]
[(2, 'caller', '+8613800138000', 'block')]
>>> s = run.summary
>>> s.records, s.values_checked, s.invalid["caller"], s.bad_rows
(4, 3, 1, 1)
>>> s.bad_row_samples[0].to_dict()
{'line': 5, 'reason': 'wrong_cell_count', 'detail': '1 cells, the header has 2'}
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final

from antifraud_common._files import open_input
from antifraud_common.errors import BlacklistFormatError, ConfigurationError
from antifraud_common.index._core import Index, clock
from antifraud_common.index._screening import (
    SAMPLE_LIMIT,
    BadRow,
    Chunk,
    InvalidValue,
    Screening,
    ScreenMatch,
    ScreenSummary,
    require_columns,
)
from antifraud_common.kinds import parse_kind
from antifraud_common.models import IdentifierKind

__all__ = [
    "SAMPLE_LIMIT",
    "BadRow",
    "InvalidValue",
    "ScreenMatch",
    "ScreenSummary",
    "Screening",
    "detect_format",
    "read_csv_header",
    "screen",
]

#: Longest record line read from a file, in bytes (LF included); a longer one is
#: never held in memory whole.
MAX_LINE_BYTES: Final = 1 << 20
_CHUNK: Final = 2048
_SKIP: Final = 1 << 20
_BUFFER: Final = 1 << 20


# (line, row or None if unparseable, problem): one record of a source.
_Item = tuple[int, Sequence[object] | None, str]
# What a source hands over per chunk: records read, bad rows (line, reason, detail),
# the lines and rows of the good records, and whether the input is exhausted.
_Chunk = Chunk


class _ItemSource:
    """Records from an iterator of items (JSON Lines), :data:`_CHUNK` at a time."""

    def __init__(self, items: Iterator[_Item], width: int) -> None:
        self._items = items
        #: positions of the named columns in a row.
        self.wanted = list(range(width))

    def take(self) -> _Chunk:
        read = 0
        bad: list[tuple[int, str, str]] = []
        lines: list[int] = []
        rows: list[Sequence[object]] = []
        for line, row, problem in self._items:
            read += 1
            if row is None:
                bad.append((line, "unparseable", problem))
            elif problem:
                bad.append((line, "missing_column", problem))
            else:
                lines.append(line)
                rows.append(row)
            # Bad rows count towards a chunk too: a stream of them is handed
            # over a chunk at a time, never buffered whole.
            if read >= _CHUNK:
                return read, bad, lines, rows, False
        return read, bad, lines, rows, True


class _Unparseable(tuple[str, ...]):
    """The empty row standing for a record the CSV reader refused, with its message.

    Kept in the row buffer itself (not keyed by line: a reader refusing an item
    that is not a string does not advance its line count, so two such records
    can start on the same line).
    """

    problem: str

    def __new__(cls, problem: str) -> _Unparseable:
        self = super().__new__(cls)
        self.problem = problem
        return self


class _CsvSource:
    """CSV records after the header, parsed a block of lines at a time.

    A block is parsed by one ``csv.reader`` call; when it gives one row per line
    (the common case: no quoted line breaks, no syntax errors) row ``i`` is on
    line ``first + i``. Otherwise the block is parsed again record by record with
    ``reader.line_num``, reading on past its end if a quoted field continues there,
    exactly as one reader over the whole input would (a reader starts every record
    afresh, so stopping at a record boundary and going on with a new reader is the
    same). A chunk of :data:`_CHUNK` records without blank or bad rows is then
    handed over with no per-row work; other chunks are assembled row by row.
    """

    def __init__(
        self, lines: Iterator[str], columns: Sequence[str], wanted: list[int], line: int, width: int
    ) -> None:
        self._it = lines
        self._columns = columns
        self.wanted = wanted
        # A record must have exactly the header's cell count: a longer or shorter
        # one is a bad row, never read as if it were whole.
        self._width = width
        self._line = line  # lines consumed so far
        self._rows: list[Sequence[object]] = []  # parsed, not yet handed over from _pos on
        self._lines: list[int] = []  # the line each row starts on
        self._pos = 0
        self._eof = False

    def _refill(self) -> bool:
        """Parse the next block of lines into the buffer; False at the end of the input."""
        if self._eof:
            return False
        block = list(itertools.islice(self._it, _CHUNK))
        if not block:
            self._eof = True
            return False
        if self._pos:
            del self._rows[: self._pos]
            del self._lines[: self._pos]
            self._pos = 0
        base = self._line
        try:
            rows: list[list[str]] | None = list(csv.reader(block, strict=True))
        except csv.Error:
            rows = None
        if rows is not None and len(rows) == len(block):
            # Each row took at least one line, so each took exactly one.
            self._rows += rows
            self._lines += range(base + 1, base + 1 + len(block))
            self._line = base + len(block)
            return True
        reader = csv.reader(itertools.chain(block, self._it), strict=True)
        while reader.line_num < len(block):
            start = base + reader.line_num + 1
            try:
                row: Sequence[object] = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                row = _Unparseable(str(e))
            self._rows.append(row)
            self._lines.append(start)
        self._line = base + reader.line_num
        return True

    def take(self) -> _Chunk:
        while len(self._rows) - self._pos < _CHUNK and self._refill():
            pass
        pos = self._pos
        part = self._rows[pos : pos + _CHUNK]
        if part and min(map(len, part)) == max(map(len, part)) == self._width:
            self._pos = end = pos + len(part)
            return len(part), [], self._lines[pos:end], part, len(part) < _CHUNK
        read = 0
        bad: list[tuple[int, str, str]] = []
        lines: list[int] = []
        rows: list[Sequence[object]] = []
        width = self._width
        while self._pos < len(self._rows) or self._refill():
            i = self._pos
            self._pos = i + 1
            row = self._rows[i]
            line = self._lines[i]
            if len(row) == width:
                read += 1
                lines.append(line)
                rows.append(row)
                if read >= _CHUNK:
                    return read, bad, lines, rows, False
                continue
            if not row:
                if row.__class__ is not _Unparseable:
                    continue  # a blank line is not a record
                read += 1
                bad.append((line, "unparseable", row.problem))
            else:
                read += 1
                bad.append((line, "wrong_cell_count", f"{len(row)} cells, the header has {width}"))
            if read >= _CHUNK:  # bad rows are handed over a chunk at a time too
                return read, bad, lines, rows, False
        return read, bad, lines, rows, True


def _csv_source(lines: Iterator[str], columns: Sequence[str]) -> _CsvSource | _ItemSource:
    """Read the CSV header (so a missing column fails at the call) and return the records."""
    reader = csv.reader(lines, strict=True)
    header = read_csv_header(reader)
    if header is None:
        return _ItemSource(iter(()), len(columns))
    require_columns(header, columns)
    positions = [header.index(c) for c in columns]
    return _CsvSource(lines, columns, positions, reader.line_num, len(header))


def read_csv_header(reader: Any) -> list[str] | None:
    """The first row of a ``csv.reader``, a leading BOM removed; None when there is none.

    A row the reader cannot parse raises
    :class:`~antifraud_common.errors.ConfigurationError` (``bad_header``).
    """
    try:
        header: list[str] = next(reader)
    except StopIteration:
        return None
    except csv.Error as e:
        raise ConfigurationError(f"the CSV header cannot be read: {e}", code="bad_header") from e
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    return header


class _LineTooLong(str):
    """Stands for a JSON Lines record longer than :data:`MAX_LINE_BYTES` (not kept)."""

    __slots__ = ()


def _bounded_lines(f: IO[bytes]) -> Iterator[str]:
    """The lines of ``f`` (LF kept), none longer than :data:`MAX_LINE_BYTES`.

    Undecodable bytes become U+FFFD, which no validator accepts: such a value is
    counted as invalid instead of aborting the whole run. A longer line is read
    past in bounded pieces; for JSON Lines it becomes a bad row, for CSV (where a
    line may be part of a quoted record) it stops the run with
    :class:`~antifraud_common.errors.BlacklistFormatError` ``record_too_long``.
    """
    readline = f.readline
    while line := readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            yield _LineTooLong()  # CSV stops here; JSON Lines reads on past the line
            while (rest := readline(_SKIP)) and not rest.endswith(b"\n"):
                pass
            continue
        yield line.decode("utf-8", "replace")


def _check_csv_line(item: str, n: int) -> str:
    if item.__class__ is _LineTooLong:
        raise BlacklistFormatError(
            f"a CSV line is longer than {MAX_LINE_BYTES} bytes", code="record_too_long", line=n
        )
    return item


def detect_format(first: str, name: str) -> str:
    """``jsonl`` or ``csv`` for ``format="auto"``: by the file ``name``, else the ``first`` line.

    >>> detect_format('{"caller": "1"}', ""), detect_format("caller", "calls.txt")
    ('jsonl', 'csv')
    """
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "jsonl" if first.lstrip("\ufeff").lstrip().startswith("{") else "csv"


def _jsonl_rows(lines: Iterable[str], columns: Sequence[str]) -> Iterator[_Item]:
    for n, text in enumerate(lines, start=1):
        if text.__class__ is _LineTooLong:
            yield n, None, f"line longer than {MAX_LINE_BYTES} bytes"
            continue
        if n == 1:
            text = text.lstrip("\ufeff")  # noqa: PLW2901
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except RecursionError:
            yield n, None, "not JSON: nested too deeply"
            continue
        except ValueError as e:
            yield (
                n,
                None,
                f"not JSON: {e.msg}" if isinstance(e, json.JSONDecodeError) else "not JSON",
            )
            continue
        if not isinstance(obj, dict):
            yield n, None, "not a JSON object"
            continue
        missing = [c for c in columns if c not in obj]
        if missing:
            yield n, (), ",".join(missing)
            continue
        yield n, [obj[c] for c in columns], ""


def screen(
    records: str | os.PathLike[str] | Iterable[str] | Any,
    columns: Sequence[str],
    index: Index,
    *,
    format: str = "auto",
    kinds: Mapping[str, IdentifierKind | str | None] | None = None,
    region: str = "CN",
    now: datetime | None = None,
    engine: str = "auto",
) -> Screening:
    """Screen ``records`` and yield matches.

    ``records`` is a path (CSV, JSON Lines, a Parquet file or a folder of
    Parquet files, Hive-partitioned or not), an iterable of text lines, or an
    Arrow table / record batch / batch reader or a pandas or polars DataFrame.
    ``columns`` names the fields holding identifiers; ``kinds`` maps a column to
    its identifier kind (a column without one is auto-detected per value, in
    :data:`~antifraud_common.index.AUTO_ORDER`: slower, so name the kind when
    you know it). ``now`` (default: the clock, read once) decides validity.
    A missing column raises
    :class:`~antifraud_common.errors.ConfigurationError` (``no_such_column``).

    ``engine="auto"`` takes the columnar path (the ``vector`` extra: pyarrow and
    numpy) for Parquet and Arrow input, and for CSV files that Arrow parses
    exactly like the ``csv`` module (see docs/index-and-screening.md); the
    record-by-record path otherwise. ``"python"`` forces the record-by-record
    path (text input only), ``"vector"`` the columnar one (an error when it
    cannot be used). Both give the same matches and counts. A match's ``line``
    is the physical line for text input, the 1-based row for tables and Parquet.
    """
    if not columns:
        raise ConfigurationError("name at least one column", code="no_columns")
    if format not in ("auto", "csv", "jsonl", "parquet"):
        raise ConfigurationError(f"unknown format {format!r}", code="invalid_format_option")
    if engine not in ("auto", "python", "vector"):
        raise ConfigurationError(f"unknown engine {engine!r}", code="invalid_option")
    kind_list: list[IdentifierKind | None] = []
    for c in columns:
        k = (kinds or {}).get(c)
        if k is None:
            kind_list.append(None)
        else:
            kind_list.append(parse_kind(k))
    now_ts = clock(now)
    columnar = _columnar(records, columns, kind_list, index, region, now_ts, format, engine)
    if columnar is not None:
        return columnar
    closer: IO[Any] | None = None
    name = ""
    if isinstance(records, (str, os.PathLike)):
        path = Path(records)
        name = path.name.lower()
        try:
            closer = open_input(path, buffering=_BUFFER)
        except OSError as e:
            raise ConfigurationError(f"cannot read {path}: {e}", code="unreadable") from e
        lines: Iterator[str] = _bounded_lines(closer)
    else:
        lines = iter(records)
    first = next(lines, None)
    if format == "auto":
        format = detect_format(first if isinstance(first, str) else "", name)
    # An empty first item is a line like any other (an empty CSV header).
    body: Iterator[str] = itertools.chain(() if first is None else (first,), lines)
    source: _CsvSource | _ItemSource
    try:
        if format == "csv":
            if closer is not None:
                body = map(_check_csv_line, body, itertools.count(1))
            source = _csv_source(body, columns)
        else:
            source = _ItemSource(_jsonl_rows(body, columns), len(columns))
    except BaseException:
        if closer is not None:
            closer.close()
        raise
    return Screening(source, columns, kind_list, index, region, now_ts, format, closer)


_PARQUET_SUFFIXES: Final = (".parquet", ".pq", ".parq")


def _columnar(  # noqa: PLR0917 - screen()'s own arguments
    records: object,
    columns: Sequence[str],
    kinds: Sequence[IdentifierKind | None],
    index: Index,
    region: str,
    now_ts: int,
    format: str,
    engine: str,
) -> Screening | None:
    """The columnar screening of ``records``, or None when the text path applies."""
    from antifraud_common.index import _vector

    path = Path(records) if isinstance(records, (str, os.PathLike)) else None
    if format == "parquet" and path is None:
        raise ConfigurationError("Parquet input is a path", code="invalid_format_option")
    parquet = path is not None and (
        format == "parquet"
        or (format == "auto" and (path.suffix.lower() in _PARQUET_SUFFIXES or path.is_dir()))
    )
    if path is None and _vector.is_table(records):
        if engine == "python":
            raise ConfigurationError(
                "tables are screened by the vector engine", code="invalid_option"
            )
        _vector.require()
        batches = _vector.table_batches(records, columns)
        fmt = "arrow"
    elif parquet:
        assert path is not None
        if engine == "python":
            raise ConfigurationError("Parquet is read by the vector engine", code="invalid_option")
        _vector.require()
        batches = _vector.parquet_batches(path, columns)
        fmt = "parquet"
    elif engine == "python" or path is None or format == "jsonl":
        if engine == "vector":
            raise ConfigurationError(
                "the vector engine reads paths of CSV or Parquet files and tables",
                code="invalid_option",
            )
        return None
    else:
        name = path.name.lower()
        if format == "auto" and not name.endswith((".csv", ".tsv", ".txt")):
            if engine == "vector":
                raise ConfigurationError(
                    "name the format (csv) for the vector engine", code="invalid_option"
                )
            return None
        if not _vector.available():
            if engine == "vector":
                _vector.require()
            return None
        try:
            plain, blank = _vector.csv_plain(path, MAX_LINE_BYTES)
        except OSError as e:
            raise ConfigurationError(f"cannot read {path}: {e}", code="unreadable") from e
        if not plain:
            if engine == "vector":
                raise ConfigurationError(
                    "this CSV file has quotes, NUL bytes or lone carriage returns: "
                    "use engine='python'",
                    code="invalid_option",
                )
            return None
        header = _vector.csv_header(path, columns)
        bad: list[tuple[int, str, str]] = []
        batches = _vector.csv_batches(path, header, columns, bad, blank=blank)
        return _vector.make_screening(  # type: ignore[no-any-return]
            batches, bad, columns, kinds, index, region, now_ts, "csv"
        )
    return _vector.make_screening(  # type: ignore[no-any-return]
        batches, [], columns, kinds, index, region, now_ts, fmt
    )
