"""Excel workbooks (``.xlsx``) of blacklist entries, with every cell typed as text.

A CSV file has no cell types, so a spreadsheet guesses them; a workbook says
them. :func:`export_xlsx` writes one sheet ``entries`` with the CSV columns
(:data:`~antifraud_common.format.csvio.COLUMNS`), every cell a text cell
(``confidence`` a number) in columns formatted as Text (``@``), so a
19-digit card stays ``6222021234567890128`` and a value typed in later stays
text too. Formula injection is neutralised as in CSV: a text cell that begins
with ``=``, ``+``, ``-``, ``@``, TAB, CR or ``'`` gets one leading ``'``.

:func:`import_xlsx` reads the first sheet with the rules of
:func:`~antifraud_common.format.csvio.import_csv` (header of column names,
``defaults``, one leading ``'`` removed, every bad row reported by its row
number) and refuses, per row, a formula cell (``formula_injection``) and a
number cell in a text column (``not_text``: a card typed into a General
column has already lost its last digits). Date cells are read as UTC.

Needs the ``xlsx`` extra (openpyxl); without it both functions raise
:class:`~antifraud_common.errors.ConfigurationError` ``missing_extra``.
"""

from __future__ import annotations

import functools
import importlib
import io
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Final

from antifraud_common._files import read_input, write_output
from antifraud_common.card import mask_in_text
from antifraud_common.errors import ConfigurationError
from antifraud_common.format import csvio
from antifraud_common.interchange._records import (
    Collector,
    ImportResult,
    InterchangeFormatError,
    RecordRefusedError,
)
from antifraud_common.models import Entry, format_timestamp, mask_value

__all__ = ["MAX_WORKBOOK_BYTES", "export_xlsx", "import_xlsx"]

#: Largest workbook :func:`import_xlsx` reads.
MAX_WORKBOOK_BYTES: Final = 256 * 1024 * 1024
_SHEET: Final = "entries"


def _openpyxl() -> Any:
    try:
        return importlib.import_module("openpyxl")
    except ImportError as e:
        raise ConfigurationError(
            "XLSX needs the xlsx extra: pip install 'antifraud_common[xlsx]'",
            code="missing_extra",
        ) from e


def _cell_text(entry: Entry, name: str, mask_cards: bool) -> str | int:
    data = entry.to_dict()
    if name == "confidence":
        return entry.confidence
    text = str(data.get(name, ""))
    if mask_cards and name == "value":
        text = mask_value(entry.kind, entry.value)
    elif mask_cards and name == "case_ref":
        text = mask_in_text(text)
    if text and (text[0] in csvio.FORMULA_TRIGGERS or text[0] == "'"):
        text = "'" + text
    return text


def export_xlsx(
    entries: Iterable[Entry], destination: str | os.PathLike[str], *, mask_cards: bool = False
) -> int:
    """Write ``entries`` as a workbook with text-typed cells; return the row count.

    The file is replaced atomically, readable by its owner only (``0600``): it
    holds full identifiers unless ``mask_cards`` (then it cannot be imported).
    """
    openpyxl = _openpyxl()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _SHEET
    sheet.append(list(csvio.COLUMNS))
    count = 0
    for entry in entries:
        count += 1
        for col, name in enumerate(csvio.COLUMNS, start=1):
            cell = sheet.cell(row=count + 1, column=col)
            value = _cell_text(entry, name, mask_cards)
            cell.value = value
            if isinstance(value, str):
                # openpyxl would type a string starting with "=" as a formula.
                cell.data_type = "s"
                cell.number_format = "@"
    for col in range(1, len(csvio.COLUMNS) + 1):
        letter = openpyxl.utils.get_column_letter(col)
        sheet.column_dimensions[letter].width = 24
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_output(destination, [buffer.getvalue()], mode=0o600)
    return count


def _as_text(value: object, name: str, data_type: str | None) -> str:
    if value is None:
        return ""
    if data_type == "f":
        raise RecordRefusedError("formula_injection", name, f"{name} is a formula cell")
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise RecordRefusedError("not_text", name, f"{name} is a TRUE/FALSE cell")
    if isinstance(value, int) and name == "confidence":
        return str(value)
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return format_timestamp(stamp)
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_timestamp(datetime.combine(value, time(), tzinfo=UTC))
    raise RecordRefusedError(
        "not_text",
        name,
        f"{name} is a number cell (format the column as Text before typing identifiers)",
    )


def import_xlsx(
    source: str | os.PathLike[str],
    *,
    defaults: Mapping[str, object] | None = None,
    max_rows: int = csvio.DEFAULT_MAX_ROWS,
    max_bytes: int = MAX_WORKBOOK_BYTES,
) -> ImportResult:
    """Read entries from the first sheet of the workbook ``source`` (see the module docs).

    Records are numbered by worksheet row (the header is row 1); rows whose
    cells are all empty are skipped.
    """
    openpyxl = _openpyxl()
    data = read_input(source, limit=max_bytes, what="workbook")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as e:
        raise InterchangeFormatError(
            f"not an XLSX workbook: {type(e).__name__}", code="not_a_workbook"
        ) from e
    norm = csvio.normalise_defaults(defaults)
    collector = Collector()
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows()
        header_cells = next(rows, None)
        if header_cells is None:
            raise InterchangeFormatError("the sheet is empty (no header row)", code="csv_empty")
        header = [str(c.value) if c.value is not None else "" for c in header_cells]
        while header and header[-1] == "":
            header.pop()
        try:
            csvio.check_header(header, norm, 1)
        except csvio.CsvFormatError as e:
            raise InterchangeFormatError(e.message, code=e.code, field=e.field) from None
        for number, cells in enumerate(rows, start=2):
            values = [(c.value, getattr(c, "data_type", None)) for c in cells]
            if all(v is None or v == "" for v, _ in values):
                continue
            if collector.records >= max_rows:
                raise InterchangeFormatError(f"more than {max_rows} rows", code="too_many_records")
            collector.add(number, None, functools.partial(_row_entry, values, header, norm))
    finally:
        workbook.close()
    return collector.result()


def _row_entry(
    values: list[tuple[object, str | None]], header: list[str], defaults: Mapping[str, str]
) -> Entry:
    extra = values[len(header) :]
    if any(v not in (None, "") for v, _ in extra):
        raise RecordRefusedError(
            "wrong_cell_count", None, f"cells beyond the {len(header)} named columns"
        )
    cells = [_as_text(v, name, t) for (v, t), name in zip(values, header, strict=False)]
    cells += [""] * (len(header) - len(cells))
    try:
        return csvio.import_row(cells, header, defaults, csvio.DEFAULT_MAX_FIELD_SIZE)
    except csvio.RowRefusedError as p:
        raise RecordRefusedError(p.code, p.field, p.message) from None
