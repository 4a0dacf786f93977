"""``antifraud screen-calls``: caller-ID checks over files of call records.

One JSON line per call whose action is not ``allow`` (its line, action, fired
rules and values) goes to ``--out`` or stdout; the summary by action and rule
goes to stderr, or is the single JSON document on stdout with ``--json`` (the
findings under ``findings`` when there is no ``--out``). A progress line is
drawn on stderr when it is a terminal. Exit status, as for ``screen``: 0 every
call allowed and every row read, 1 a call was flagged, withheld or blocked, or
a row could not be checked, 2 usage (a bad option, a missing column, an
unreadable DNO or presenters file), 3 internal error.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from antifraud_common._files import read_input
from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_command,
    add_output,
    emit_json,
    err,
    progress_for,
    state_option,
)
from antifraud_common.errors import AntifraudError, ConfigurationError, ValidationError

_MAX_DATA_BYTES = 64 * 1024 * 1024


def register(sub: Any) -> None:
    s = add_command(
        sub,
        "screen-calls",
        run_screen_calls,
        help="check caller IDs in call records (CSV, JSON Lines) for spoofing",
        description=(
            "Check every call in RECORDS with the caller-ID rules (docs/callerid.md): "
            "one JSON line per call that is not allowed, a summary by rule. Exit 1 if any "
            "call is flagged, withheld or blocked (error.code call_not_allowed), or any "
            "row could not be checked (bad_rows)."
        ),
        epilog="example: antifraud screen-calls cdr.csv --calling caller --called callee "
        "--ingress via --state /srv/state --out findings.jsonl",
    )
    s.add_argument("records", type=Path, metavar="RECORDS", help="a CSV or JSON Lines file")
    s.add_argument("--calling", required=True, metavar="COL", help="column of the caller ID")
    s.add_argument("--called", required=True, metavar="COL", help="column of the called number")
    s.add_argument(
        "--ingress",
        required=True,
        metavar="COL",
        help="column of the ingress: international, interconnect, subscriber, private_line or voip",
    )
    s.add_argument("--trunk", metavar="COL", help="column of the trunk / operator id")
    lists = s.add_mutually_exclusive_group()
    state_option(
        lists,
        required=False,
        help="the lists a receiver accepted: blacklists, and its signed number plan, "
        "Do-Not-Originate and presenters lists",
    )
    lists.add_argument("--index", type=Path, metavar="FILE", help="a saved index (index build)")
    s.add_argument(
        "--dno", type=Path, metavar="FILE", help="a Do-Not-Originate list: one number a line"
    )
    s.add_argument(
        "--presenters",
        type=Path,
        metavar="FILE",
        help="CSV number,trunk: the trunks authorised to present each protected number",
    )
    s.add_argument(
        "--format", choices=("auto", "csv", "jsonl"), default="auto", help="default: by suffix"
    )
    s.add_argument("--now", help="check listings as of YYYY-MM-DDTHH:MM:SSZ (default: now)")
    s.add_argument(
        "--ranges",
        type=Path,
        metavar="FILE",
        help="CSV trunk,range: the numbers each private line / VoIP trunk may present "
        "(E.164 prefixes); needs --trunk",
    )
    add_output(s, "--out", metavar="FILE", help="findings as JSON Lines (default stdout)")


def _lines(path: Path, what: str) -> Iterator[tuple[int, str]]:
    data = read_input(path, limit=_MAX_DATA_BYTES, what=what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: the {what} is not UTF-8") from e
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield n, stripped


def _number(text: str, path: Path, line: int) -> str:
    from antifraud_common import phone

    try:
        return phone.validate(text)
    except ValidationError as e:
        raise UsageError(f"{path} line {line}: {e.code}: not a phone number") from e


def load_dno(path: Path) -> frozenset[str]:
    """A DNO file: one number a line (any form the phone validator accepts), ``#`` comments."""
    return frozenset(_number(text, path, n) for n, text in _lines(path, "DNO list"))


def load_presenters(path: Path) -> dict[str, frozenset[str]]:
    """A presenters file: CSV with the header ``number,trunk``, one authorisation a row."""
    rows = [text for _, text in _lines(path, "presenters file")]
    reader = csv.reader(io.StringIO("\n".join(rows)))
    header = next(reader, None)
    if header != ["number", "trunk"]:
        raise UsageError(f"{path}: the header must be number,trunk")
    out: dict[str, set[str]] = {}
    for n, row in enumerate(reader, start=2):
        if len(row) != 2 or not row[1].strip():
            raise UsageError(f"{path} row {n}: expected number,trunk")
        out.setdefault(_number(row[0], path, n), set()).add(row[1].strip())
    return {k: frozenset(v) for k, v in out.items()}


def load_ranges(path: Path) -> dict[str, Any]:
    """A ranges file: CSV with the header ``trunk,range``, one E.164 prefix a row."""
    from antifraud_common.callerid import CallerRanges

    rows = [text for _, text in _lines(path, "ranges file")]
    reader = csv.reader(io.StringIO("\n".join(rows)))
    if next(reader, None) != ["trunk", "range"]:
        raise UsageError(f"{path}: the header must be trunk,range")
    items: dict[str, list[str]] = {}
    for n, row in enumerate(reader, start=2):
        if len(row) != 2 or not row[0].strip():
            raise UsageError(f"{path} row {n}: expected trunk,range")
        items.setdefault(row[0].strip(), []).append(row[1].strip())
    try:
        return {trunk: CallerRanges.of(r) for trunk, r in items.items()}
    except ConfigurationError as e:
        raise UsageError(f"{path}: {e}") from e


def _index(args: argparse.Namespace) -> Any:
    if args.index is None and args.state is None:
        return None
    from antifraud_common.cli._screen import load_index

    return load_index(args)


def _held_reference(args: argparse.Namespace, dno: Any, presenters: Any) -> tuple[Any, Any, Any]:
    """With ``--state``: the newest signed plan, DNO and presenters lists the receiver holds.

    ``--dno`` and ``--presenters`` files take precedence over held lists; without
    ``--state`` (or with nothing held) the packaged plan decides.
    """
    if args.state is None:
        return None, dno, presenters
    from antifraud_common.exchange.reference import (
        DO_NOT_ORIGINATE,
        PRESENTERS,
        ReferenceStore,
    )

    with ReferenceStore.open(args.state, create=False) as store:
        plan = store.number_plan()
        if dno is None and store.lists(DO_NOT_ORIGINATE):
            dno = store.do_not_originate()
        if presenters is None and store.lists(PRESENTERS):
            presenters = store.presenters()
    return (None if plan.is_packaged else plan), dno, presenters


def run_screen_calls(args: argparse.Namespace) -> int:
    from antifraud_common.callerid import CallChecker
    from antifraud_common.callerid.screen import screen_calls
    from antifraud_common.cli._screen import json_lines_sink, parse_now, screening_failed

    now = parse_now(args.now)
    dno = None if args.dno is None else load_dno(args.dno)
    presenters = None if args.presenters is None else load_presenters(args.presenters)
    if args.ranges is not None and args.trunk is None:
        raise UsageError("--ranges needs --trunk COL (ranges are given per trunk)")
    ranges = None if args.ranges is None else load_ranges(args.ranges)
    with ExitStack() as stack:
        try:
            plan, dno, presenters = _held_reference(args, dno, presenters)
            checker = CallChecker(
                plan=plan, dno=dno, presenters=presenters, index=_index(args), now=now
            )
            run = screen_calls(
                args.records,
                calling=args.calling,
                called=args.called,
                ingress=args.ingress,
                trunk=args.trunk,
                ranges=ranges,
                checker=checker,
                format=args.format,
            )
        except AntifraudError as e:
            return screening_failed(args, e)
        stack.callback(run.close)
        sink, findings = stack.enter_context(json_lines_sink(args))
        progress = progress_for(args, "screen-calls", unit="calls")
        write = sink.write
        try:
            with progress.watch(lambda: int(run.records)):
                for finding in run:
                    write(json.dumps(finding.to_dict(), ensure_ascii=False) + "\n")
        finally:
            progress.close()
    return _report(args, run.summary, findings)


def _report(
    args: argparse.Namespace, summary: Any, findings: list[dict[str, Any]] | None = None
) -> int:
    if args.json:
        from antifraud_common.cli._screen import summary_payload

        payload = summary_payload(args, summary, "findings", findings)
        if not summary.ok:
            a = summary.by_action
            stopped = a["block"] + a["withhold"] + a["flag"]
            payload["error"] = (
                {"code": "call_not_allowed", "message": f"{stopped} call(s) not allowed"}
                if stopped
                else {"code": "bad_rows", "message": f"{summary.bad_rows} bad row(s)"}
            )
        emit_json("screen-calls", summary.ok, payload)
    else:
        a = summary.by_action
        err(
            f"checked {summary.checked:,} of {summary.records:,} calls: {a['block']:,} block, "
            f"{a['withhold']:,} withhold, {a['flag']:,} flag, {a['allow']:,} allow; "
            f"{summary.emergency_calls:,} to emergency numbers; {summary.bad_rows:,} bad rows"
        )
        for rule, n in summary.by_rule.items():
            if n:
                err(f"  {rule}: {n:,}")
        if summary.skipped:
            err(f"  not checked (no data): {', '.join(summary.skipped)}")
        for b in summary.bad_row_samples[:20]:
            err(f"  line {b.line}: {b.reason} {b.detail}".rstrip())
    return EXIT_OK if summary.ok else EXIT_FAILED
