"""``antifraud import-csv | export-csv``: spreadsheets in, canonical entries files out."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Any

from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    CountingReader,
    Progress,
    UsageError,
    add_command,
    add_output,
    emit_json,
    err,
    fail,
    file_size,
    need_input,
    out,
    progress_for,
)
from antifraud_common.errors import AntifraudError
from antifraud_common.exchange.entries import EntriesSummary, write_entries
from antifraud_common.format import canonical
from antifraud_common.format.csvio import export_csv, import_csv
from antifraud_common.format.jsonl import iter_lines
from antifraud_common.models import Entry


def register(sub: Any) -> None:
    i = add_command(
        sub,
        "import-csv",
        run_import,
        help="turn a spreadsheet CSV into a canonical entries file (every bad row reported)",
        description=(
            "Read CSV rows (header: Entry field names), validate and canonicalise every row. "
            "Every bad row is reported with its line number; the entries file is written only "
            "when all rows are good, so no row is ever dropped silently. Dates are "
            "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ."
        ),
        epilog=(
            "example: antifraud import-csv fraud.csv --out fraud.jsonl "
            "--default reason=telecom_fraud --default action=block"
        ),
    )
    i.add_argument("csv", type=Path, metavar="FILE.csv", help="the spreadsheet (UTF-8 CSV)")
    import_options(
        i, default_help=f"value for a column the CSV lacks or leaves empty (repeatable); {_vocab()}"
    )

    e = add_command(
        sub,
        "export-csv",
        run_export,
        help="write an entries file as CSV for spreadsheets (formula injection neutralised)",
        description=(
            "Read a canonical entries file and write CSV. Cells that a spreadsheet would run "
            "as a formula are prefixed with a single quote; import-csv strips it again. "
            "A CSV written to --out holds full card numbers (in values and case references) "
            "unless --mask-cards is given: handle it under the list's TLP marking. CSV "
            "written to stdout is always masked. A masked CSV cannot be imported back."
        ),
    )
    e.add_argument("entries", type=Path, metavar="ENTRIES.jsonl", help="the entries file")
    add_output(e, "--out", metavar="FILE.csv",
               help="default: stdout (masked; in the JSON document with --json)")  # fmt: skip
    e.add_argument(
        "--mask-cards",
        action="store_true",
        help=(
            "show cards, and card-shaped digit runs in case references, as first 6 + last 4 "
            "(import-csv then refuses the file)"
        ),
    )
    e.epilog = "example: antifraud export-csv fraud.jsonl --out fraud.csv"


def import_options(p: argparse.ArgumentParser, *, default_help: str) -> None:
    """The options every import command shares: ``--out ENTRIES.jsonl`` and ``--default``."""
    add_output(p, "--out", required=True, metavar="ENTRIES.jsonl", help="the entries file")
    p.add_argument(
        "--default", action="append", default=[], metavar="FIELD=VALUE", help=default_help
    )


def _vocab() -> str:
    from antifraud_common.models import Action, Reason

    return (
        f"reasons: {', '.join(r.value for r in Reason)}; "
        f"actions: {', '.join(a.value for a in Action)}"
    )


def _source(path: Path, progress: Progress) -> Any:
    """``path``, or with a progress display the same text stream counting bytes read."""
    if not progress.enabled:
        return path
    from antifraud_common._files import open_input

    raw = CountingReader(open_input(path), progress)
    # As import_csv opens a path: UTF-8 with an optional BOM, strict, no newline mapping.
    return io.TextIOWrapper(
        io.BufferedReader(raw), encoding="utf-8-sig", errors="strict", newline=""
    )


def parse_defaults(pairs: list[str]) -> dict[str, str]:
    out_: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--default takes FIELD=VALUE, not {pair!r}")
        out_[name.strip()] = value
    return out_


def run_import(args: argparse.Namespace) -> int:
    need_input(args.csv, "CSV file")
    progress = progress_for(args, "import-csv", total=file_size(args.csv))
    try:
        result = import_csv(
            _source(args.csv, progress), defaults=parse_defaults(args.default) or None
        )
    except AntifraudError as e:
        return fail(args, e)
    finally:
        progress.close()
    written = None
    if result.ok:
        try:
            summary = write_entries(args.out, result.entries)
        except AntifraudError as e:
            return fail(args, e)
        written = written_info(args.out, summary)
    errors = [row.to_dict() for row in result.errors]
    if args.json:
        emit_json(
            "import-csv",
            result.ok,
            {
                "rows": result.rows,
                "blank_rows": result.blank_rows,
                "imported": len(result.entries),
                "problems": errors,
                "written": written,
                "error": None
                if result.ok
                else {
                    "code": errors[0]["code"] if errors else "check_failed",
                    "message": f"{len(errors)} bad row(s) of {result.rows}; nothing written",
                },
            },
        )
    else:
        for row in result.errors:
            where = f"line {row.line}" + (f", field {row.field}" if row.field else "")
            err(f"{where}: [{row.code}] {row.message}")
        if written:
            out(
                f"wrote {written['entry_count']} entries to {args.out} (sha256 {written['sha256']})"
            )
        else:
            err(f"{len(errors)} bad row(s) of {result.rows}; nothing written")
    return EXIT_OK if result.ok else EXIT_FAILED


def written_info(path: Path, summary: EntriesSummary) -> dict[str, Any]:
    """The ``written`` member of an import's ``--json`` document."""
    return {
        "out": str(path),
        "entry_count": summary.entry_count,
        "byte_length": summary.byte_length,
        "sha256": summary.sha256,
    }


def read_entries(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    for lineno, line in iter_lines(path):
        try:
            entries.append(Entry.from_dict(canonical.loads(line)))
        except AntifraudError as e:
            e.line = lineno
            raise
    return entries


def run_export(args: argparse.Namespace) -> int:
    need_input(args.entries, "entries file")
    text = io.StringIO() if args.json and args.out is None else None
    try:
        entries = read_entries(args.entries)
        # Terminal output never shows a full card number; only a file can hold one.
        mask = args.mask_cards or args.out is None
        sink = args.out if args.out else (text if text is not None else sys.stdout)
        rows = export_csv(entries, sink, mask_cards=mask, bom=bool(args.out))
    except AntifraudError as e:
        return fail(args, e)
    if args.json:
        payload: dict[str, Any] = {
            "rows": rows,
            "out": None if args.out is None else str(args.out),
            "masked_cards": mask,
        }
        if text is not None:
            payload["csv"] = text.getvalue()
        emit_json("export-csv", True, payload)
    elif args.out:
        err(f"wrote {rows} rows to {args.out}")
    return EXIT_OK
