"""CSV import and export of blacklist entries, for teams that work in spreadsheets.

The CSV dialect is RFC 4180 (comma, double-quote quoting, CRLF on export),
UTF-8 with an optional byte-order mark (Excel writes one and needs one to show
Chinese text). The header row names :class:`~antifraud_common.models.Entry`
fields (:data:`COLUMNS`, any order). Identifier values are raw: ``138 0013 8000``
is validated and canonicalised like :meth:`Entry.from_raw
<antifraud_common.models.Entry.from_raw>` does. Timestamps are
``YYYY-MM-DDTHH:MM:SSZ`` or a bare date ``YYYY-MM-DD`` (midnight UTC).

Import never drops a bad row silently: :func:`import_csv` returns the good
entries *and* one :class:`CsvRowError` per bad row, with the 1-based physical
line number (the header is line 1), a stable ``code`` and the ``field``.
Problems with the file as a whole (not UTF-8, NUL bytes, bad header, limits)
raise :class:`CsvFormatError`.

Spreadsheet formula injection (OWASP "CSV Injection"): on export every cell
that begins with ``=``, ``+``, ``-``, ``@``, TAB or CR -- or with the escape
character ``'`` itself -- is prefixed with one ``'``; on import exactly one
leading ``'`` is removed, so export then import gives back the same entries.
The same prefix keeps identifiers as text: a cell a spreadsheet would read as
a number or a date (a 19-digit card, an account number with leading zeros, a
case reference ``2024-17``) is written ``'6222021234567890128``, which Excel,
reading each cell as if typed, stores as the text ``6222021234567890128``.
An unescaped cell beginning with one of those characters is refused on import
(``formula_injection``), except a leading ``+`` in the ``value`` column, where it
starts an international phone number. See docs/csv.md.

>>> import io
>>> text = io.StringIO(
...     "kind,value,reason,action,source,case_ref,confidence,tlp,listed_at,valid_from\\r\\n"
...     "phone,138 0013 8000,telecom_fraud,block,mps,A-1,90,amber,2026-01-01,2026-01-01\\r\\n"
...     "phone,12,telecom_fraud,block,mps,A-2,90,amber,2026-01-01,2026-01-01\\r\\n")
>>> result = import_csv(text)
>>> [e.value for e in result.entries]
['+8613800138000']
>>> [(err.line, err.field, err.code) for err in result.errors]
[(3, 'value', 'too_short')]
>>> out = io.StringIO()
>>> export_csv(result.entries, out, bom=False)
1
>>> out.getvalue().splitlines()[1].split(",")[:2]
['phone', "'+8613800138000"]
>>> import_csv(io.StringIO(out.getvalue())).entries == result.entries
True
"""

from __future__ import annotations

import csv
import enum
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import IO, Any, Final

import attrs

from antifraud_common._files import open_input
from antifraud_common.card import mask_in_text
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    ConfigurationError,
    ModelError,
)
from antifraud_common.format.jsonl import write_atomic
from antifraud_common.models import (
    ENTRY_FIELDS,
    Entry,
    format_timestamp,
    mask_value,
    parse_timestamp,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_MAX_FIELD_SIZE",
    "DEFAULT_MAX_LINE_LENGTH",
    "DEFAULT_MAX_ROWS",
    "FORMULA_TRIGGERS",
    "REQUIRED_COLUMNS",
    "CsvFormatError",
    "CsvImportResult",
    "CsvRowError",
    "export_csv",
    "import_csv",
]

#: All columns, in the order :func:`export_csv` writes them.
COLUMNS: Final = ENTRY_FIELDS  # the members of an entry line, in line order
#: Columns that must be present unless ``defaults`` gives a value for them.
REQUIRED_COLUMNS: Final = COLUMNS[:-1]
#: Characters that make a spreadsheet treat a cell as a formula (OWASP list).
FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r")
#: Default maximum number of data rows in one file.
DEFAULT_MAX_ROWS: Final = 1_000_000
#: Default maximum characters in one cell (longer cells are a row error).
DEFAULT_MAX_FIELD_SIZE: Final = 1024
#: Default maximum characters in one physical line (longer lines refuse the file).
DEFAULT_MAX_LINE_LENGTH: Final = 65536

_ESCAPE: Final = "'"
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CONFIDENCE_RE: Final = re.compile(r"0|[1-9][0-9]{0,2}", re.ASCII)
_TIMESTAMP_COLUMNS: Final = frozenset({"listed_at", "valid_from", "valid_until"})
# Cells a spreadsheet reads as a number, a date or a time when it opens a CSV file.
_NUMBER_LIKE: Final = re.compile(r"[0-9 .,/:%eE+-]*[0-9][0-9 .,/:%eE+-]*", re.ASCII)


class CsvFormatError(BlacklistFormatError):
    """The CSV file as a whole cannot be imported (encoding, NUL, header, limits).

    Codes: ``csv_empty``, ``csv_not_utf8``, ``csv_nul_byte``, ``csv_missing_column``,
    ``csv_unknown_column``, ``csv_duplicate_column``, ``csv_too_many_rows``,
    ``csv_field_too_large``, ``csv_syntax``; ``csv_row_errors`` from
    :meth:`CsvImportResult.raise_for_errors`.
    """

    code = "csv_format"
    default_message = "the CSV file cannot be imported"


@attrs.frozen(kw_only=True)
class CsvRowError:
    """One refused data row: where (``line``, ``field``), why (``code``) and a message."""

    line: int
    code: str
    field: str | None
    message: str

    def to_dict(self) -> dict[str, object]:
        """The JSON shape the CLI prints: ``{"line", "code", "field"?, "message"}``."""
        out: dict[str, object] = {"line": self.line, "code": self.code}
        if self.field is not None:
            out["field"] = self.field
        out["message"] = self.message
        return out


@attrs.frozen(kw_only=True)
class CsvImportResult:
    """What :func:`import_csv` read: the good entries (file order) and every refused row."""

    entries: tuple[Entry, ...]
    errors: tuple[CsvRowError, ...]
    rows: int
    blank_rows: int = 0

    @property
    def ok(self) -> bool:
        """Whether every data row was imported."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`CsvFormatError` (``csv_row_errors``) naming the first bad row."""
        if self.errors:
            first = self.errors[0]
            raise CsvFormatError(
                f"{len(self.errors)} row(s) refused; first: {first.message} ({first.code})",
                code="csv_row_errors",
                field=first.field,
                line=first.line,
            )


class RowRefusedError(Exception):
    """Why one row was refused: an error ``code``, the column (``field``) and a message.

    Raised by :func:`import_row`; the CSV and spreadsheet importers report it per row.
    """

    def __init__(self, code: str, field: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


def _physical_lines(
    lines: Iterable[str], *, max_line_length: int, first_line: int = 1
) -> Iterator[str]:
    """Yield lines, refusing NUL, undecodable bytes and over-long lines by line number."""
    lineno = first_line - 1
    readline = getattr(lines, "readline", None)
    if readline is not None:
        # A stream is read a bounded piece at a time: an endless line (a file of
        # zeros, no LF) is refused after max_line_length + 1 characters, not
        # after filling memory.
        def bounded() -> Iterator[str]:
            while piece := readline(max_line_length + 1):
                yield piece

        it: Iterator[str] = bounded()
    else:
        it = iter(lines)
    while True:
        try:
            line = next(it)
        except StopIteration:
            return
        except UnicodeDecodeError as e:
            raise CsvFormatError(
                "the file is not UTF-8", code="csv_not_utf8", line=lineno + 1
            ) from e
        lineno += 1
        if lineno == 1:
            line = line.removeprefix("\ufeff")
        if len(line) > max_line_length:
            raise CsvFormatError(
                f"a line is longer than {max_line_length} characters",
                code="csv_field_too_large",
                line=lineno,
            )
        if "\x00" in line:
            raise CsvFormatError(
                "NUL byte in the file (is it UTF-16? save it as CSV UTF-8)",
                code="csv_nul_byte",
                line=lineno,
            )
        yield line


def normalise_defaults(defaults: Mapping[str, object] | None) -> dict[str, str]:
    """The column defaults as cell text; a default for an unknown column, for ``value``
    or of an unusable type is a :class:`~antifraud_common.errors.ConfigurationError`."""
    out: dict[str, str] = {}
    for name, value in (defaults or {}).items():
        if name not in COLUMNS or name == "value":
            raise ConfigurationError(
                f"no default can be given for {name!r}", code="invalid_default", field=name
            )
        if isinstance(value, datetime):
            out[name] = format_timestamp(value)
        elif isinstance(value, enum.Enum):
            out[name] = str(value.value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[name] = str(value)
        elif isinstance(value, str):
            out[name] = value
        else:
            raise ConfigurationError(
                f"unusable default for {name!r}", code="invalid_default", field=name
            )
    return out


def check_header(header: list[str], defaults: Mapping[str, str], line: int) -> None:
    """Refuse a header with an unknown or repeated column, or without a required column
    that no default fills (:class:`CsvFormatError`)."""
    seen: set[str] = set()
    for name in header:
        if name not in COLUMNS:
            raise CsvFormatError(
                f"unknown column {name[:40]!r}; columns are: {', '.join(COLUMNS)}",
                code="csv_unknown_column",
                field=name[:40],
                line=line,
            )
        if name in seen:
            raise CsvFormatError(
                f"column {name!r} appears twice", code="csv_duplicate_column", field=name, line=line
            )
        seen.add(name)
    if "value" not in seen:
        raise CsvFormatError(
            "the value column is required", code="csv_missing_column", field="value", line=line
        )
    for name in REQUIRED_COLUMNS:
        if name not in seen and name not in defaults:
            raise CsvFormatError(
                f"column {name!r} is missing (and has no default)",
                code="csv_missing_column",
                field=name,
                line=line,
            )


def _unescape(name: str, cell: str) -> str:
    if cell.startswith(_ESCAPE):
        return cell[1:]
    if cell and cell[0] in FORMULA_TRIGGERS and not (name == "value" and cell[0] == "+"):
        raise RowRefusedError(
            "formula_injection",
            name,
            "a cell starting with = + - @ TAB or CR is refused (prefix it with ' to keep it)",
        )
    return cell


def _timestamp(text: str, name: str) -> datetime:
    if _DATE_RE.fullmatch(text):
        text += "T00:00:00Z"
    try:
        return parse_timestamp(text, field=name)
    except ModelError as e:
        # A spreadsheet cell may hold a bare date too: say so.
        e.message = f"{e.message} or YYYY-MM-DD"
        e.args = (e.message,)
        raise


def _build_entry(cells: Mapping[str, str], defaults: Mapping[str, str]) -> Entry:
    fields: dict[str, Any] = {}
    for name in COLUMNS:
        text = cells.get(name, "")
        if text == "":
            text = defaults.get(name, "")
        if text == "":
            if name == "valid_until":
                continue
            raise RowRefusedError("missing_value", name, f"{name} is empty")
        if name in _TIMESTAMP_COLUMNS:
            fields[name] = _timestamp(text, name)
        elif name == "confidence":
            if not _CONFIDENCE_RE.fullmatch(text):
                raise RowRefusedError(
                    "invalid_confidence", name, "confidence is an integer from 0 to 100"
                )
            fields[name] = int(text)
        else:
            fields[name] = text
    kind = fields.pop("kind")
    value = fields.pop("value")
    return Entry.from_raw(kind=kind, value=value, **fields)


def _open_text(source: str | os.PathLike[str]) -> IO[str]:
    try:
        return io.TextIOWrapper(
            open_input(source), encoding="utf-8-sig", errors="strict", newline=""
        )
    except OSError as e:
        raise ConfigurationError(
            f"cannot open the CSV file: {e.strerror}", code="cannot_read_file"
        ) from e


def import_csv(
    source: str | os.PathLike[str] | IO[str],
    *,
    defaults: Mapping[str, object] | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_field_size: int = DEFAULT_MAX_FIELD_SIZE,
    max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
) -> CsvImportResult:
    """Read entries from a CSV file (a path) or an open text stream.

    ``defaults`` fills columns the header lacks and empty cells, e.g.
    ``{"source": "mps", "tlp": "amber", "listed_at": now}`` (strings as in a cell,
    or datetimes, enums and integers). Rows whose cells are all empty are skipped
    and counted in ``blank_rows``. A key ``(kind, canonical value)`` seen before
    makes the later row an error (``duplicate_key``); the first one is kept.

    Row error codes: ``wrong_cell_count``, ``field_too_large``,
    ``formula_injection``, ``missing_value``, ``invalid_confidence``,
    ``duplicate_key``, and the codes of the identifier validators and of
    :class:`~antifraud_common.models.Entry` (``invalid_enum``,
    ``invalid_timestamp``, ``invalid_case_ref`` ...).
    """
    norm_defaults = normalise_defaults(defaults)
    if isinstance(source, str | os.PathLike):
        with _open_text(source) as f:
            return _import(f, norm_defaults, max_rows, max_field_size, max_line_length)
    return _import(source, norm_defaults, max_rows, max_field_size, max_line_length)


def _import(
    stream: Iterable[str],
    defaults: Mapping[str, str],
    max_rows: int,
    max_field_size: int,
    max_line_length: int,
) -> CsvImportResult:
    reader = csv.reader(_physical_lines(stream, max_line_length=max_line_length), strict=True)
    entries: list[Entry] = []
    errors: list[CsvRowError] = []
    first_seen: dict[tuple[str, str], int] = {}
    rows = blank = 0
    try:
        header = next(reader, None)
        if header is None or not any(header):
            raise CsvFormatError("the file is empty (no header row)", code="csv_empty", line=1)
        check_header(header, defaults, reader.line_num)
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(row):
                blank += 1
                continue
            rows += 1
            if rows > max_rows:
                raise CsvFormatError(
                    f"more than {max_rows} rows", code="csv_too_many_rows", line=line
                )
            try:
                entry = import_row(row, header, defaults, max_field_size)
            except RowRefusedError as p:
                errors.append(CsvRowError(line=line, code=p.code, field=p.field, message=p.message))
                continue
            if entry.key in first_seen:
                errors.append(
                    CsvRowError(
                        line=line,
                        code="duplicate_key",
                        field="value",
                        message=f"same {entry.kind.value} {entry.masked_value} as line "
                        f"{first_seen[entry.key]}",
                    )
                )
                continue
            first_seen[entry.key] = line
            entries.append(entry)
    except csv.Error as e:
        code = "csv_field_too_large" if "field larger" in str(e) else "csv_syntax"
        raise CsvFormatError(f"not valid CSV: {e}", code=code, line=reader.line_num or 1) from e
    return CsvImportResult(
        entries=tuple(entries), errors=tuple(errors), rows=rows, blank_rows=blank
    )


# What mask_in_text leaves of a card: digits next to a run of masked digits.
_MASKED: Final = re.compile(r"\d[ \-]?\*|\*[ \-]?\d")


def import_row(
    row: list[str], header: list[str], defaults: Mapping[str, str], max_field_size: int
) -> Entry:
    """The entry of one row of cells under ``header`` (the rules of :func:`import_csv`);
    a refused row raises :class:`RowRefusedError`."""
    if len(row) != len(header):
        raise RowRefusedError(
            "wrong_cell_count", None, f"expected {len(header)} cells, found {len(row)}"
        )
    cells: dict[str, str] = {}
    for name, cell in zip(header, row, strict=True):
        if len(cell) > max_field_size:
            raise RowRefusedError(
                "field_too_large", name, f"a cell is longer than {max_field_size} characters"
            )
        cells[name] = _unescape(name, cell)
    if _MASKED.search(cells.get("case_ref", "")):
        # A masked export read back would change the case reference silently.
        raise RowRefusedError(
            "masked_value",
            "case_ref",
            "the case reference holds a masked card number (a masked export cannot be "
            "imported; export without --mask-cards to a file)",
        )
    try:
        return _build_entry(cells, defaults)
    except AntifraudError as e:
        # Validator errors carry no field: they are about the identifier value.
        field = e.field or "value"
        raise RowRefusedError(e.code, field, e.message) from None


def escape_cell(cell: str) -> str:
    if cell and (cell[0] in FORMULA_TRIGGERS or cell[0] == _ESCAPE):
        return _ESCAPE + cell
    return cell


def _escape_as_text(cell: str, name: str) -> str:
    if cell and (cell[0] in FORMULA_TRIGGERS or cell[0] == _ESCAPE):
        return _ESCAPE + cell
    if name != "confidence" and _NUMBER_LIKE.fullmatch(cell):
        # A spreadsheet would read it as a number (a 19-digit card becomes
        # 6.22202E+18, its last digits lost) or a date: the apostrophe keeps it text.
        return _ESCAPE + cell
    return cell


def _row(entry: Entry, mask_cards: bool) -> list[str]:
    data = entry.to_dict()
    if mask_cards:
        data["value"] = mask_value(entry.kind, entry.value)
        data["case_ref"] = mask_in_text(entry.case_ref)
    return [_escape_as_text(str(data.get(name, "")), name) for name in COLUMNS]


def export_csv(
    entries: Iterable[Entry],
    destination: str | os.PathLike[str] | IO[str],
    *,
    mask_cards: bool = False,
    bom: bool = True,
) -> int:
    """Write ``entries`` as CSV (header :data:`COLUMNS`, CRLF) and return the row count.

    A path is replaced atomically with a file readable by its owner only
    (``0600``): the export holds full identifiers. ``bom`` writes the UTF-8
    byte-order mark Excel needs to show Chinese text; it is ignored for a stream.
    Cells are neutralised against formula injection (see the module docs).

    ``mask_cards=True`` shows bank cards as first 6 and last 4 digits, for
    people who must not see full numbers; such a file can no longer be
    imported. The default writes full values so the export can be re-imported:
    handle the file like the list itself (its TLP marking applies).
    """
    if isinstance(destination, str | os.PathLike):
        buffer = io.StringIO()
        count = _write(entries, buffer, mask_cards)
        data = buffer.getvalue().encode("utf-8")
        write_atomic(destination, (b"\xef\xbb\xbf" if bom else b"") + data, mode=0o600)
        return count
    return _write(entries, destination, mask_cards)


def _write(entries: Iterable[Entry], out: IO[str], mask_cards: bool) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for entry in entries:
        writer.writerow(_row(entry, mask_cards))
        count += 1
    return count
