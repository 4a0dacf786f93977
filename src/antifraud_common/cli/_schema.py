"""``antifraud schema NAME``: print a shipped JSON Schema of the file format."""

from __future__ import annotations

import argparse
import json
from typing import Any

from antifraud_common import schemas
from antifraud_common.cli._common import EXIT_OK, add_command, emit_json, out


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "schema",
        run,
        help="print the JSON Schema of an entry, manifest, trust bundle or delta line",
        description=(
            "Print one of the shipped JSON Schemas (draft 2020-12) of format v1; with "
            "--json it is the document's schema member."
        ),
        epilog="example: antifraud schema entry > entry.schema.json",
    )
    p.add_argument(
        "name", choices=schemas.names(), help=f"the schema: {', '.join(schemas.names())}"
    )


def run(args: argparse.Namespace) -> int:
    schema = schemas.load(args.name)
    if args.json:
        emit_json("schema", True, {"name": args.name, "schema": schema})
    else:
        out(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK
