"""The conformance command line: run the suite, or act as an implementation under test.

The same command is ``antifraud conformance ...`` (registered by the CLI) and
``python -m antifraud_common.conformance ...`` (:func:`main`); it writes through
the command-line output contract of ``antifraud_common._console``.

* ``antifraud conformance run --implementation "CMD" [--cases DIR] [--xfail FILE]
  [--family F ...] [--list]`` runs every case against ``CMD`` (started once per
  case with the protocol arguments of docs/conformance.md), prints a summary
  table per family and the unexpected failures; exit 1 if any case failed
  unexpectedly, 0 otherwise. With ``--json`` the summary is one JSON document.
* ``antifraud conformance impl <command> ...`` is this library speaking the
  protocol (see :mod:`antifraud_common.conformance.impl`).
"""

from __future__ import annotations

import argparse
from typing import Any

from antifraud_common._console import (
    EXIT_FAILED,
    EXIT_OK,
    CliParser,
    UsageError,
    emit_json,
    err,
    out,
)
from antifraud_common._console import run as run_command

__all__ = ["main", "register"]


def register(sub: Any) -> None:
    """Add the ``conformance`` command to the top-level parser."""
    p = sub.add_parser(
        "conformance",
        help="run the language-neutral conformance suite against an implementation",
        description="Run the conformance suite (docs/conformance.md) against an implementation.",
        epilog='example: antifraud conformance run --implementation "node verifier.js"',
    )
    csub = p.add_subparsers(dest="conformance_command", metavar="SUBCOMMAND", required=True)
    r = csub.add_parser(
        "run",
        help="run the cases against an implementation command",
        description="Run every case against CMD; exit 1 if a case failed unexpectedly.",
        epilog='example: antifraud conformance run --implementation "antifraud conformance impl"',
    )
    r.add_argument(
        "--implementation",
        required=True,
        metavar="CMD",
        help='command line of the implementation, e.g. "antifraud conformance impl"',
    )
    r.add_argument("--cases", metavar="DIR", help="case directory (default: the packaged cases)")
    r.add_argument("--xfail", metavar="FILE", help="expected failures: one case id per line")
    r.add_argument(
        "--family", action="append", metavar="F", help="run only this family (repeatable)"
    )
    r.add_argument("--list", action="store_true", help="list the selected cases and exit")
    r.add_argument("--verbose", "-v", action="store_true", help="print every case's outcome")
    r.add_argument(
        "--json",
        action="store_true",
        help="write exactly one JSON document (the envelope of docs/cli.md) to stdout",
    )
    r.set_defaults(func=run)
    i = csub.add_parser(
        "impl",
        help="this library as an implementation under test (protocol commands)",
        description="Speak the conformance protocol (docs/conformance.md): one JSON line.",
        epilog="example: antifraud conformance impl canonicalize --in record.json",
        add_help=False,
    )
    i.add_argument("rest", nargs=argparse.REMAINDER)
    i.set_defaults(func=impl)


def impl(args: argparse.Namespace) -> int:
    """Run one protocol command with this library."""
    from antifraud_common.conformance import impl as implementation

    return implementation.main(args.rest)


def run(args: argparse.Namespace) -> int:
    """Run the suite and print the summary table."""
    from antifraud_common.conformance import runner
    from antifraud_common.errors import ConfigurationError

    try:
        cases = runner.load_cases(args.cases, families=args.family)
        xfails = runner.load_xfails(args.xfail) if args.xfail else frozenset()
    except (ConfigurationError, OSError, ValueError) as e:
        raise UsageError(str(e), code=getattr(e, "code", None) or "usage_error") from e
    if args.family and not cases:
        raise UsageError(f"no cases in the families {', '.join(args.family)}")
    if args.list:
        for case in cases:
            out(f"{case.id}\t{case.command}\t{case.description}")
        return EXIT_OK

    def progress(result: runner.CaseResult) -> None:
        if args.verbose:
            err(f"{result.outcome.value:11} {result.case_id} {result.detail}".rstrip())

    result = runner.run_suite(args.implementation, cases=cases, xfails=xfails, progress=progress)
    failures = result.failures()
    if args.json:
        emit_json(
            "conformance run",
            result.ok,
            {
                "summary": result.summary(),
                "failures": [{"id": f.case_id, "detail": f.detail, "got": f.got} for f in failures],
                "xpassed": [
                    r.case_id for r in result.results if r.outcome is runner.Outcome.XPASSED
                ],
            },
        )
    else:
        out(result.table())
        for f in failures:
            out(f"FAILED {f.case_id}: {f.detail}")
        for r in result.results:
            if r.outcome is runner.Outcome.XPASSED:
                out(f"XPASS  {r.case_id} (remove it from the expected failures)")
    return EXIT_OK if result.ok else EXIT_FAILED


def main(argv: list[str]) -> int:
    """Run ``conformance <argv>`` without the rest of the CLI (``python -m ...conformance``).

    The same contract as ``antifraud conformance``: one JSON document with ``--json``,
    usage errors included, and the same exit statuses.
    """
    if argv[:1] == ["impl"]:
        from antifraud_common.conformance import impl as implementation

        return implementation.main(argv[1:])
    parser = CliParser(prog="python -m antifraud_common.conformance")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register(sub)
    return run_command(parser, ["conformance", *argv])
