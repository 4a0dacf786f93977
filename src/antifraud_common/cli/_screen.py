"""``antifraud screen`` and ``antifraud index build``: bulk screening against a saved index.

``screen`` writes one JSON line per listed value (cards masked) to ``--out`` or
stdout; the summary goes to stderr, or is the single JSON document on stdout
with ``--json`` when ``--out`` names a file. Exit status: 0 nothing listed and
every row read, 1 a listed value was found or a row could not be screened,
2 usage, 3 internal error.

``index build`` builds a saved index from entries files *without verifying any
signature*: it is a low-level tool for files already verified (or for tests).
Use ``--state`` with ``screen`` to screen against the lists a receiver accepted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from antifraud_common._files import file_error
from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    KIND_ALIASES,
    KINDS,
    UsageError,
    add_command,
    add_output,
    emit_json,
    err,
    failed,
    file_size,
    need_input,
    parse_kind,
    progress_for,
    state_option,
    usage_error,
)
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    ConfigurationError,
    ModelError,
)
from antifraud_common.models import Entry, IdentifierKind, parse_timestamp

KIND_NAMES = {k.value: k for k in IdentifierKind} | {
    a: IdentifierKind(k) for a, k in KIND_ALIASES.items()
}


def register(sub: Any) -> None:
    s = add_command(
        sub,
        "screen",
        run_screen,
        help="screen records (CSV, JSON Lines, Parquet) against blacklists",
        description=(
            "Check the identifiers in the named columns of RECORDS against a saved index "
            "(--index) or the lists a receiver accepted (--state). One JSON line per "
            "listed value (in the JSON document with --json and no --out); exit 1 if any "
            "value is listed (error.code listed) or any row could not be read (bad_rows)."
        ),
        epilog=(
            "example: antifraud screen calls.csv --column caller:phone --column "
            "card:bank_card --state /var/lib/antifraud --out hits.jsonl"
        ),
    )
    s.add_argument(
        "records", type=Path, metavar="RECORDS", help="a file, or a folder of Parquet files"
    )
    src = s.add_mutually_exclusive_group()
    src.add_argument("--index", type=Path, metavar="FILE", help="a saved index (index build)")
    state_option(src, required=False, help="a receiver state directory")
    s.add_argument(
        "--column",
        action="append",
        required=True,
        metavar="NAME[:KIND]",
        help=f"a column holding identifiers, optionally with its kind ({', '.join(KINDS)}; "
        "card = bank_card); repeatable",
    )
    s.add_argument(
        "--format",
        choices=("auto", "csv", "jsonl", "parquet"),
        default="auto",
        help="format of RECORDS: auto (by suffix, default), csv, jsonl or parquet",
    )
    s.add_argument(
        "--engine",
        choices=("auto", "python", "vector"),
        default="auto",
        help="vector: the columnar path (needs the vector extra); auto picks it by input",
    )
    s.add_argument("--region", default="CN", help="region of national phone numbers")
    s.add_argument("--now", help="screen as of YYYY-MM-DDTHH:MM:SSZ (default: now)")
    add_output(s, "--out", metavar="FILE", help="matches as JSON Lines (default stdout)")
    s.add_argument(
        "--out-format",
        choices=("jsonl", "csv", "parquet"),
        help="format of --out (default: by its suffix, else jsonl); parquet needs a file",
    )

    ix = sub.add_parser(
        "index", help="build a saved lookup index", description="Build a saved lookup index."
    )
    ixs = ix.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    b = add_command(
        ixs,
        "build",
        run_index_build,
        help="build a saved index from entries files (signatures are NOT verified)",
        description=(
            "Build a memory-mapped index file from entries files (JSON Lines). The files' "
            "signatures are not verified: use it only on files you have verified."
        ),
        epilog="example: antifraud index build --from fraud.jsonl --out fraud.afi",
    )
    b.add_argument("--from", dest="sources", nargs="+", type=Path, required=True,
                   metavar="JSONL", help="entries files")  # fmt: skip
    b.add_argument("--issuer", default="local", help="issuer id recorded for every file")
    b.add_argument("--expires", help="list expiry YYYY-MM-DDTHH:MM:SSZ (default: none)")
    add_output(b, "--out", required=True, metavar="FILE", help="the index file to write")


def parse_columns(specs: list[str]) -> tuple[list[str], dict[str, IdentifierKind | None]]:
    names: list[str] = []
    kinds: dict[str, IdentifierKind | None] = {}
    for spec in specs:
        name, _, kind = spec.rpartition(":") if ":" in spec else (spec, "", "")
        if not name:
            raise UsageError(f"bad --column {spec!r}: NAME or NAME:KIND")
        if kind:
            kind = parse_kind(kind, option=f"--column {spec}")
        if name in kinds:
            raise UsageError(f"column {name!r} given twice")
        names.append(name)
        kinds[name] = KIND_NAMES[kind] if kind else None
    return names, kinds


def parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_timestamp(text, field="now")
    except ModelError as e:
        raise UsageError(f"bad time {text!r}: expected YYYY-MM-DDTHH:MM:SSZ") from e


def load_index(args: argparse.Namespace) -> Any:
    from antifraud_common.index import Index

    if args.index is not None:
        return Index.open(args.index)
    from antifraud_common.cli._state import open_for_lookup
    from antifraud_common.index import StateIndex

    # The index saved beside the state when it is current; otherwise built and saved.
    with open_for_lookup(args.state) as state, StateIndex.follow(state) as followed:
        return followed.index


def run_screen(args: argparse.Namespace) -> int:
    from antifraud_common.index.screen import screen

    names, kinds = parse_columns(args.column)
    now = parse_now(args.now)
    if args.index is None and args.state is None:
        raise UsageError("give --index FILE or --state DIR (or set $ANTIFRAUD_STATE)")
    need_input(args.records, "records file")
    try:
        index = load_index(args)
        run = screen(
            args.records,
            names,
            index,
            format=args.format,
            kinds=kinds,
            region=args.region,
            now=now,
            engine=args.engine,
        )
    except AntifraudError as e:
        return screening_failed(args, e)
    progress = progress_for(args, "screen", unit="records")
    out_format = args.out_format or _out_format(args.out)
    if out_format != "jsonl":
        return _write_other(args, run, out_format)
    with json_lines_sink(args) as (sink, collected):
        try:
            with progress.watch(lambda: int(run.records)):
                for m in run:
                    sink.write(json.dumps(m.to_dict(), ensure_ascii=False) + "\n")
        finally:
            progress.close()
            run.close()
    return _report(args, run, collected)


@contextlib.contextmanager
def json_lines_sink(
    args: argparse.Namespace,
) -> Iterator[tuple[IO[str], list[dict[str, Any]] | None]]:
    """Where a screening run writes its JSON lines, and the list that collects them.

    ``--out`` (streamed, as the lines may be many, and never renamed: a FIFO or
    device stays one; closed at the end); else with ``--json`` the lines are
    collected for the document; else stdout (flushed at the end).
    """
    if args.out is None:
        collected: list[dict[str, Any]] | None = [] if args.json else None
        sink: IO[str] = sys.stdout if collected is None else MatchCollector(collected)
        try:
            yield sink, collected
        finally:
            sink.flush()
        return
    try:
        file = args.out.open("w", encoding="utf-8", newline="\n")
    except OSError as e:
        raise file_error(e, args.out, writing=True) from e
    with file:
        yield file, None


class MatchCollector(io.StringIO):
    """A text sink keeping each JSON line as an object (``--json`` without ``--out``)."""

    def __init__(self, into: list[dict[str, Any]]) -> None:
        super().__init__()
        self.into = into

    def write(self, text: str, /) -> int:
        self.into.append(json.loads(text))
        return len(text)


def _report(args: argparse.Namespace, run: Any, matches: list[dict[str, Any]] | None = None) -> int:
    summary = run.summary
    ok = summary.listed_values == 0 and summary.bad_rows == 0
    if args.json:
        payload = summary_payload(args, summary, "matches", matches)
        if summary.listed_values:
            payload["error"] = {
                "code": "listed",
                "message": f"{summary.listed_values} listed value(s)",
            }
        elif summary.bad_rows:
            payload["error"] = {"code": "bad_rows", "message": f"{summary.bad_rows} bad row(s)"}
        emit_json("screen", ok, payload)
    else:
        invalid = sum(summary.invalid.values())
        err(
            f"screened {summary.records:,} records, {summary.values_checked:,} values: "
            f"{summary.listed_values:,} listed, {invalid:,} invalid, "
            f"{summary.bad_rows:,} bad rows"
        )
        for b in summary.bad_row_samples[:20]:
            err(f"  line {b.line}: {b.reason} {b.detail}".rstrip())
    return EXIT_OK if ok else EXIT_FAILED


def summary_payload(
    args: argparse.Namespace, summary: Any, name: str, lines: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """The ``--json`` document of a screening run (before its ``error``).

    The summary, ``--out`` if given and, without ``--out``, the JSON lines
    collected (under ``name``).
    """
    payload: dict[str, Any] = {"summary": summary.to_dict()}
    if args.out is not None:
        payload["out"] = str(args.out)
    if lines is not None:
        payload[name] = lines
    return payload


def _out_format(out: Path | None) -> str:
    suffix = "" if out is None else out.suffix.lower()
    return {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "jsonl")


def _write_other(args: argparse.Namespace, run: Any, fmt: str) -> int:
    """Matches as CSV (stdout or --out) or Parquet (--out only)."""
    from antifraud_common.index._vector import write_matches

    if fmt == "parquet" and args.out is None:
        run.close()
        raise UsageError("--out-format parquet needs --out FILE")
    if args.json and args.out is None:
        run.close()
        raise UsageError(f"--json with --out-format {fmt} needs --out FILE")
    try:
        write_matches(run, sys.stdout if args.out is None else args.out, fmt)
    except OSError as e:
        raise file_error(e, args.out or "stdout", writing=True) from e
    except ConfigurationError as e:
        raise usage_error(e) from e
    finally:
        run.close()
    return _report(args, run)


def screening_failed(args: argparse.Namespace, e: AntifraudError) -> int:
    """Report an error met opening the index or screening: exit 1 (the run failed).

    A :class:`ConfigurationError` (an unusable option, a missing extra) is a usage
    error instead, raised; a :class:`BlacklistFormatError` (a damaged index) is not.
    """
    if isinstance(e, ConfigurationError) and not isinstance(e, BlacklistFormatError):
        raise usage_error(e) from e
    return failed(args, e)


def _entries(
    path: Path, issuer: str, expires: datetime | None
) -> Iterator[tuple[tuple[Any, ...], int]]:
    from antifraud_common.format.jsonl import iter_lines

    list_id = path.name.removesuffix(".jsonl").lower()
    for lineno, line in iter_lines(path):
        try:
            entry = Entry.from_dict(json.loads(line))
        except ValueError as e:
            if isinstance(e, AntifraudError):
                e.line = lineno
                raise
            raise BlacklistFormatError(f"not JSON: {e}", code="not_json", line=lineno) from e
        yield (issuer, list_id, expires, entry), len(line) + 1


def run_index_build(args: argparse.Namespace) -> int:
    from antifraud_common.index import Index

    expires = parse_now(args.expires)
    for path in args.sources:
        need_input(path, "entries file")  # a FIFO or device is refused, typed, by the reader

    sizes = [file_size(p) for p in args.sources]
    total = None if None in sizes else sum(s or 0 for s in sizes)
    progress = progress_for(args, "index build", total=total, unit="B")

    def records() -> Iterator[tuple[Any, ...]]:
        for path in args.sources:
            for record, size in _entries(path, args.issuer, expires):
                progress.advance(size)
                yield record

    try:
        index = Index.build(records())
        index.save(args.out)
    except (BlacklistFormatError, ModelError) as e:
        return failed(args, e)
    except ConfigurationError as e:
        raise usage_error(e) from e
    finally:
        progress.close()
    stats = index.stats()
    if args.json:
        emit_json("index build", True, {"out": str(args.out), "stats": stats})
    else:
        err(f"wrote {args.out}: {stats['rows']:,} entries from {len(args.sources)} file(s)")
    return EXIT_OK
