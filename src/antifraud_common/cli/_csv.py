"""``antifraud import-csv | export-csv``: spreadsheets in, canonical entries files out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    emit_json,
    err,
    exit_status,
    out,
)
from antifraud_common.errors import AntifraudError
from antifraud_common.exchange.entries import write_entries
from antifraud_common.format import canonical
from antifraud_common.format.csvio import export_csv, import_csv
from antifraud_common.format.jsonl import iter_lines
from antifraud_common.models import Entry


def register(sub: Any) -> None:
    i = sub.add_parser(
        "import-csv",
        help="turn a spreadsheet CSV into a canonical entries file (every bad row reported)",
        description=(
            "Read CSV rows (header: Entry field names), validate and canonicalise every row. "
            "Every bad row is reported with its line number; the entries file is written only "
            "when all rows are good, so no row is ever dropped silently."
        ),
    )
    i.add_argument("csv", type=Path, metavar="FILE.csv")
    i.add_argument("--out", required=True, type=Path, metavar="ENTRIES.jsonl")
    i.add_argument(
        "--default",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="value for a column the CSV lacks or leaves empty (repeatable)",
    )
    i.add_argument("--json", action="store_true", help="one JSON document on stdout")
    i.set_defaults(func=run_import)

    e = sub.add_parser(
        "export-csv",
        help="write an entries file as CSV for spreadsheets (formula injection neutralised)",
        description=(
            "Read a canonical entries file and write CSV. Cells that a spreadsheet would run "
            "as a formula are prefixed with a single quote; import-csv strips it again. "
            "A CSV written to --out holds full card numbers (in values and case references) "
            "unless --mask-cards is given: handle it under the list's TLP marking. CSV "
            "written to stdout is always masked. A masked CSV cannot be imported back."
        ),
    )
    e.add_argument("entries", type=Path, metavar="ENTRIES.jsonl")
    e.add_argument("--out", type=Path, metavar="FILE.csv", help="default: stdout")
    e.add_argument(
        "--mask-cards",
        action="store_true",
        help=(
            "show cards, and card-shaped digit runs in case references, as first 6 + last 4 "
            "(import-csv then refuses the file)"
        ),
    )
    e.add_argument("--json", action="store_true", help="summary as JSON on stdout (needs --out)")
    e.set_defaults(func=run_export)


def parse_defaults(pairs: list[str]) -> dict[str, str]:
    out_: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--default takes FIELD=VALUE, not {pair!r}")
        out_[name.strip()] = value
    return out_


def run_import(args: argparse.Namespace) -> int:
    try:
        result = import_csv(args.csv, defaults=parse_defaults(args.default) or None)
    except AntifraudError as e:
        if args.json:
            emit_json("import-csv", False, {"error": e.to_dict()})
        else:
            err(f"antifraud import-csv: {e}")
        return exit_status(e)
    written = None
    if result.ok:
        try:
            summary = write_entries(args.out, result.entries)
        except AntifraudError as e:
            if args.json:
                emit_json("import-csv", False, {"error": e.to_dict()})
            else:
                err(f"antifraud import-csv: {e}")
            return exit_status(e)
        written = {
            "path": str(args.out),
            "entry_count": summary.entry_count,
            "byte_length": summary.byte_length,
            "sha256": summary.sha256,
        }
    errors = [row.to_dict() for row in result.errors]
    if args.json:
        emit_json(
            "import-csv",
            result.ok,
            {
                "rows": result.rows,
                "blank_rows": result.blank_rows,
                "imported": len(result.entries),
                "errors": errors,
                "written": written,
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
    if args.json and args.out is None:
        raise UsageError("--json needs --out (the CSV itself goes to stdout otherwise)")
    try:
        entries = read_entries(args.entries)
        # Terminal output never shows a full card number; only a file can hold one.
        mask = args.mask_cards or args.out is None
        rows = export_csv(
            entries, args.out if args.out else sys.stdout, mask_cards=mask, bom=bool(args.out)
        )
    except AntifraudError as e:
        if args.json:
            emit_json("export-csv", False, {"error": e.to_dict()})
        else:
            err(f"antifraud export-csv: {e}")
        return exit_status(e)
    if args.json:
        emit_json(
            "export-csv",
            True,
            {"rows": rows, "path": str(args.out), "masked_cards": mask},
        )
    elif args.out:
        err(f"wrote {rows} rows to {args.out}")
    return EXIT_OK
