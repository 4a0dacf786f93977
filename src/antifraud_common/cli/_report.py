"""``antifraud report``: one self-contained HTML page of the lists a receiver holds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from antifraud_common._files import read_input
from antifraud_common.cli._common import (
    EXIT_OK,
    UsageError,
    add_command,
    add_output,
    emit_json,
    err,
    state_option,
)
from antifraud_common.exchange.state import ReceiverState
from antifraud_common.interchange._records import loads_json
from antifraud_common.models import parse_timestamp
from antifraud_common.report import collect, render_report, write_report

_MAX_SUMMARY_BYTES = 64 * 1024 * 1024


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "report",
        run,
        help="write one self-contained HTML page with charts of the lists held",
        description=(
            "Draw the receiver state as one HTML page (no script, no network, no external "
            "asset): lists held, entries by list, issuer, list type, reason and action, "
            "additions and removals per day from the accepted versions, entries expiring "
            "soon and, with --screening, hits by action. Card numbers are masked."
        ),
        epilog="example: antifraud report --state /var/lib/antifraud --out report.html "
        "--screening summary.json",
    )
    state_option(p, help="the receiver state")
    add_output(p, "--out", required=True, metavar="report.html", help="the HTML page to write")
    p.add_argument(
        "--screening",
        type=Path,
        metavar="SUMMARY.json",
        help="the JSON document of `antifraud screen --json` (or its summary object)",
    )
    p.add_argument(
        "--expiring-days",
        type=int,
        default=30,
        metavar="N",
        help="entries whose validity ends within N days are listed (default 30)",
    )
    p.add_argument("--now", metavar="YYYY-MM-DDTHH:MM:SSZ", help="the report's clock")


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.expiring_days <= 3660:
        raise UsageError("--expiring-days takes 0 to 3660")
    now = parse_timestamp(args.now, field="--now") if args.now else None
    screening = None
    if args.screening is not None:
        data = read_input(args.screening, limit=_MAX_SUMMARY_BYTES, what="screening summary")
        screening = loads_json(data, "the screening summary")
    with ReceiverState.open(args.state, create=False) as state:
        data_ = collect(state, now=now, screening=screening, expiring_days=args.expiring_days)
    write_report(render_report(data_), args.out)
    total = sum(r.entry_count for r in data_.lists)
    if args.json:
        emit_json(
            "report",
            True,
            {
                "out": str(args.out),
                "lists": len(data_.lists),
                "entries": total,
                "expiring": data_.expiring_count,
            },
        )
    else:
        err(f"wrote the report of {len(data_.lists)} lists ({total} entries) to {args.out}")
    return EXIT_OK
