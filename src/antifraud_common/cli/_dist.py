"""``antifraud screen-dist``: screen partitioned records on a Dask cluster (``dask`` extra).

Each file matched by ``RECORDS`` (glob patterns, quoted so the shell leaves them
alone, or plain paths) is one partition, screened on a worker by the same code as
``antifraud screen``. Matches go to ``--out DIR`` as one JSON Lines file per
partition (``00000-<name>.jsonl`` ...) plus ``summary.json``; the summary goes to
stderr, or is the single JSON document on stdout with ``--json``. Exit status:
0 nothing listed and every row read, 1 a listed value was found, a row could not
be screened or the index file is damaged, 2 usage (including a missing ``dask``
extra), 3 internal error.

``--scheduler ADDRESS`` uses an existing cluster (files and ``--out`` must be on
storage every worker can reach); without it a local cluster of ``--workers``
processes is started for the run.

>>> _paths(["calls-2026-06-01.csv", "calls-2026-06-02.csv"])
['calls-2026-06-01.csv', 'calls-2026-06-02.csv']
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_command,
    add_json,
    add_output,
    emit_json,
    err,
    usage_error,
)
from antifraud_common.cli._screen import parse_columns, parse_now, screening_failed
from antifraud_common.errors import AntifraudError, ConfigurationError


def register(sub: Any) -> None:
    s = add_command(
        sub,
        "screen-dist",
        run_screen_dist,
        help="screen partitioned records on a Dask cluster (needs the dask extra)",
        description=(
            "Screen every CSV or JSON Lines file matched by RECORDS against a saved index "
            "on a Dask cluster: the index is sent to each worker once, each file is screened "
            "with the same code as 'antifraud screen'. Matches go to --out DIR, one JSON "
            "Lines file per partition, with summary.json. Exit 1 if any value is listed "
            "or any row could not be read."
        ),
        epilog="example: antifraud screen-dist 'calls-*.csv' --index fraud.afi --column "
        "caller:phone --out hits/ --workers 4",
    )
    s.add_argument("records", nargs="+", metavar="RECORDS", help="files or quoted glob patterns")
    s.add_argument("--index", type=Path, required=True, metavar="FILE", help="a saved index")
    s.add_argument(
        "--column",
        action="append",
        required=True,
        metavar="NAME[:KIND]",
        help="a column holding identifiers, optionally with its kind; repeatable",
    )
    add_output(s, "--out", required=True, metavar="DIR", folder=True,
               help="output directory (new, or empty without --force)")  # fmt: skip
    where = s.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="e.g. tcp://10.0.0.5:8786")
    where.add_argument(
        "--workers", type=int, default=None, metavar="N", help="local worker processes"
    )
    s.add_argument(
        "--format",
        choices=("auto", "csv", "jsonl", "parquet"),
        default="auto",
        help="format of RECORDS: auto (by suffix, default), csv, jsonl or parquet",
    )
    s.add_argument("--region", default="CN", help="region of national phone numbers")
    s.add_argument("--now", help="screen as of YYYY-MM-DDTHH:MM:SSZ (default: now)")
    add_json(s)


def _paths(specs: list[str]) -> list[str]:
    from antifraud_common.index.distributed import expand_paths

    found: list[str] = []
    for spec in specs:
        try:
            found += expand_paths(spec)
        except ConfigurationError as e:
            raise usage_error(e) from e
    if len(set(found)) != len(found):
        raise UsageError("a partition is named twice")
    return found


def run_screen_dist(args: argparse.Namespace) -> int:
    from antifraud_common.index.distributed import require_dask, screen_partitions_to_dir

    names, kinds = parse_columns(args.column)
    now = parse_now(args.now)
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    paths = _paths(args.records)
    try:
        distributed = require_dask()
    except ConfigurationError as e:
        raise usage_error(e) from e
    try:
        if args.scheduler is not None:
            client = distributed.Client(args.scheduler)
            cluster = None
        else:
            cluster = distributed.LocalCluster(
                n_workers=args.workers, threads_per_worker=1, dashboard_address=":0"
            )
            client = distributed.Client(cluster)
    except OSError as e:
        raise UsageError(f"cannot reach the Dask scheduler: {e}") from e
    try:
        result = screen_partitions_to_dir(
            args.index,
            paths,
            args.out,
            columns=names,
            kinds=kinds,
            region=args.region,
            now=now,
            fmt=args.format,
            client=client,
        )
    except AntifraudError as e:
        return screening_failed(args, e)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    summary = result.summary
    if args.json:
        emit_json(
            "screen-dist",
            summary.ok,
            {
                "out": str(args.out),
                "index_sha256": result.index_digest,
                **summary.to_dict(),
                "error": None
                if summary.ok
                else {
                    "code": "listed" if summary.listed_values else "bad_rows",
                    "message": f"{summary.listed_values} listed, {summary.bad_rows} bad rows",
                },
            },
        )
    else:
        invalid = sum(summary.invalid.values())
        err(
            f"screened {summary.records:,} records in {summary.partitions} partitions, "
            f"{summary.values_checked:,} values: {summary.listed_values:,} listed, "
            f"{invalid:,} invalid, {summary.bad_rows:,} bad rows; matches in {args.out}"
        )
        for part, b in summary.bad_row_samples[:20]:
            err(f"  {part} line {b.line}: {b.reason} {b.detail}".rstrip())
    return EXIT_OK if summary.ok else EXIT_FAILED
