"""``antifraud export-stix | import-stix | export-misp | import-misp | export-warninglist |
export-xlsx | import-xlsx``: the formats threat-intelligence tools and spreadsheets read."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from antifraud_common._files import write_output
from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_command,
    add_output,
    emit_json,
    err,
    need_input,
    out,
)
from antifraud_common.cli._csv import import_options, parse_defaults, read_entries, written_info
from antifraud_common.exchange.entries import write_entries
from antifraud_common.interchange import ImportResult, misp, stix, xlsx
from antifraud_common.models import Entry
from antifraud_common.protected import ProtectedList

_FULL_CARDS = (
    "The file holds full card numbers (they are the data being shared): handle it under "
    "the entries' TLP marking; it is written readable by its owner only."
)


def _json_flag(p: argparse.ArgumentParser) -> None:
    del p  # every command gets --json from build_parser


def _import_options(p: argparse.ArgumentParser) -> None:
    import_options(
        p,
        default_help="value for a field a record does not carry, e.g. reason=telecom_fraud "
        "(repeatable)",
    )
    _json_flag(p)


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "export-stix",
        run_export_stix,
        help="write entries files as one STIX 2.1 bundle (indicators, TLP 2.0, issuer identity)",
        description="Write one STIX 2.1 bundle: an indicator per entry with its TLP 2.0 "
        "marking, validity window and issuing agency as created_by_ref. " + _FULL_CARDS,
    )
    p.epilog = "example: antifraud export-stix fraud.jsonl --out bundle.json"
    p.add_argument("entries", nargs="+", type=Path, metavar="ENTRIES.jsonl", help="entries files")
    add_output(p, "--out", required=True, metavar="BUNDLE.json", help="the STIX bundle")
    _json_flag(p)

    p = add_command(
        sub,
        "import-stix",
        run_import_stix,
        help="turn a STIX 2.1 bundle's indicators into an entries file (every bad one reported)",
        description="Read the indicators of a STIX 2.1 bundle. Every refused indicator is "
        "reported with its position in the bundle and a code; the entries file is written "
        "only when all are good.",
    )
    p.epilog = "example: antifraud import-stix bundle.json --out fraud.jsonl"
    p.add_argument("bundle", type=Path, metavar="BUNDLE.json", help="a STIX 2.1 bundle")
    _import_options(p)

    p = add_command(
        sub,
        "export-misp",
        run_export_misp,
        help="write entries files as a MISP feed (manifest.json + one event per list and issuer)",
        description="Write a MISP feed folder a MISP instance can subscribe to. Each entries "
        "file is one list, named after the file. " + _FULL_CARDS,
    )
    p.epilog = "example: antifraud export-misp fraud.jsonl --out feed/"
    p.add_argument("entries", nargs="+", type=Path, metavar="ENTRIES.jsonl", help="entries files")
    add_output(p, "--out", required=True, metavar="FOLDER", folder=True,
               help="the feed folder (new, or empty without --force)")  # fmt: skip
    _json_flag(p)

    p = add_command(
        sub,
        "import-misp",
        run_import_misp,
        help="turn a MISP feed folder's attributes into an entries file (every bad one reported)",
        description="Read every attribute of every event of a MISP feed folder. Every refused "
        "attribute is reported with its number and a code; the entries file is written only "
        "when all are good.",
    )
    p.epilog = "example: antifraud import-misp feed/ --out fraud.jsonl"
    p.add_argument("feed", type=Path, metavar="FOLDER", help="a MISP feed folder")
    _import_options(p)

    p = add_command(
        sub,
        "export-warninglist",
        run_warninglist,
        help="write the protected numbers as a MISP warninglist",
        description="Write the protected-numbers table (the packaged one, or --protected) as "
        "a MISP warninglist, so MISP warns when one of them is added as an indicator.",
    )
    p.epilog = "example: antifraud export-warninglist --out list.json"
    add_output(p, "--out", required=True, metavar="list.json", help="the warninglist")
    p.add_argument("--protected", type=Path, metavar="FILE.csv", help="another table to use")
    _json_flag(p)

    p = add_command(
        sub,
        "export-xlsx",
        run_export_xlsx,
        help="write an entries file as an Excel workbook with text-typed cells (xlsx extra)",
        description="Write an .xlsx workbook whose cells are text, so identifiers stay exact. "
        "Holds full card numbers unless --mask-cards.",
    )
    p.epilog = "example: antifraud export-xlsx fraud.jsonl --out fraud.xlsx"
    p.add_argument("entries", type=Path, metavar="ENTRIES.jsonl", help="the entries file")
    add_output(p, "--out", required=True, metavar="FILE.xlsx", help="the workbook")
    p.add_argument("--mask-cards", action="store_true", help="first 6 + last 4 (not importable)")
    _json_flag(p)

    p = add_command(
        sub,
        "import-xlsx",
        run_import_xlsx,
        help="turn an Excel workbook into an entries file (every bad row reported; xlsx extra)",
        description="Read the first sheet of an .xlsx workbook with import-csv's rules. Every "
        "bad row is reported with its row number; formula and number cells are refused.",
    )
    p.epilog = "example: antifraud import-xlsx fraud.xlsx --out fraud.jsonl"
    p.add_argument("workbook", type=Path, metavar="FILE.xlsx", help="the workbook")
    _import_options(p)


def _entries(paths: list[Path]) -> list[Entry]:
    items: list[Entry] = []
    for path in paths:
        need_input(path, "entries file")
    for path in paths:
        items.extend(read_entries(path))
    return items


def _typed_defaults(pairs: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = dict(parse_defaults(pairs))
    if "confidence" in values:
        text = values["confidence"]
        if not text.isdigit() or int(text) > 100:
            raise UsageError(f"--default confidence takes 0 to 100, not {text!r}")
        values["confidence"] = int(text)
    allowed = {"reason", "action", "source", "case_ref", "confidence", "tlp"}
    for name in values:
        if name not in allowed:
            raise UsageError(f"--default takes one of {', '.join(sorted(allowed))}, not {name!r}")
    return values


def _finish_export(args: argparse.Namespace, payload: dict[str, Any], text: str) -> int:
    if args.json:
        emit_json(args.command, True, {"out": str(args.out), **payload})
    else:
        err(text)
    return EXIT_OK


def run_export_stix(args: argparse.Namespace) -> int:
    count = stix.export_stix(_entries(args.entries), args.out)
    return _finish_export(args, {"indicators": count}, f"wrote {count} indicators to {args.out}")


def run_export_misp(args: argparse.Namespace) -> int:
    lists = {}
    for path in args.entries:
        name = path.name.removesuffix(".jsonl")
        if name in lists:
            raise UsageError(f"two entries files are named {name!r}")
        need_input(path, "entries file")
        lists[name] = read_entries(path)
    events = misp.export_feed(lists, args.out)
    return _finish_export(args, {"events": events}, f"wrote {events} events to {args.out}")


def run_warninglist(args: argparse.Namespace) -> int:
    table = ProtectedList.load(args.protected) if args.protected else None
    doc = misp.warninglist(table)
    data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    write_output(args.out, [data])
    count = len(doc["list"])
    return _finish_export(args, {"values": count}, f"wrote {count} values to {args.out}")


def run_export_xlsx(args: argparse.Namespace) -> int:
    need_input(args.entries, "entries file")
    rows = xlsx.export_xlsx(read_entries(args.entries), args.out, mask_cards=args.mask_cards)
    return _finish_export(
        args, {"rows": rows, "masked_cards": args.mask_cards}, f"wrote {rows} rows to {args.out}"
    )


def _finish_import(args: argparse.Namespace, result: ImportResult) -> int:
    written = None
    if result.ok:
        summary = write_entries(args.out, result.entries)
        written = written_info(args.out, summary)
    if args.json:
        emit_json(
            args.command,
            result.ok,
            {
                "records": result.records,
                "imported": len(result.entries),
                "problems": [e.to_dict() for e in result.errors],
                "ignored": dict(result.ignored),
                "written": written,
                "error": None
                if result.ok
                else {
                    "code": result.errors[0].code if result.errors else "check_failed",
                    "message": f"{len(result.errors)} bad record(s) of {result.records}; "
                    "nothing written",
                },
            },
        )
    else:
        for e in result.errors:
            where = f"record {e.record}" + (f" ({e.ref})" if e.ref else "")
            where += f", field {e.field}" if e.field else ""
            err(f"{where}: [{e.code}] {e.message}")
        if written:
            out(
                f"wrote {written['entry_count']} entries to {args.out} (sha256 {written['sha256']})"
            )
        else:
            err(f"{len(result.errors)} bad record(s) of {result.records}; nothing written")
    return EXIT_OK if result.ok else EXIT_FAILED


def run_import_stix(args: argparse.Namespace) -> int:
    defaults = _typed_defaults(args.default)
    need_input(args.bundle, "STIX bundle")
    return _finish_import(args, stix.import_stix(args.bundle, defaults=defaults))


def run_import_misp(args: argparse.Namespace) -> int:
    defaults = _typed_defaults(args.default)
    need_input(args.feed, "MISP feed folder")
    return _finish_import(args, misp.import_feed(args.feed, defaults=defaults))


def run_import_xlsx(args: argparse.Namespace) -> int:
    defaults = _typed_defaults(args.default)
    need_input(args.workbook, "workbook")
    return _finish_import(args, xlsx.import_xlsx(args.workbook, defaults=defaults))
