"""The ``antifraud`` command line.

Contract (docs/cli.md, "Contract"; versioned by ``OUTPUT_VERSION`` for ``--json``):

* with ``--json`` (after the command, or before it: ``antifraud --json check ...``),
  exactly one JSON document is written to stdout, the envelope
  ``{"output_version", "command", "ok", "exit_code", "error", ...payload}``, also for
  usage errors and ``--help``; every message, warning and progress bar goes to stderr;
* exit status: 0 all good, 1 a check failed (invalid value, a listed value, bad
  signature, expired, rollback ...) or a file could not be read or written, 2 usage
  error (bad option, missing input file, an existing output without ``--force``,
  an unusable key or passphrase), 3 internal error (a bug: please report). A typed
  error that reaches :func:`main` is reported with its code, never as exit 3.

Each sub-command lives in its own private module that provides
``register(subparsers)``; :func:`main` is importable so tests and other Python
programs can call it in-process.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from antifraud_common import __version__
from antifraud_common._console import run
from antifraud_common.cli._common import (
    CliParser,
    add_json,
    add_quiet,
    check_outputs,
    leaf_commands,
    vocabularies_epilog,
)

__all__ = ["build_parser", "leaf_commands", "main"]

#: Sub-command modules, in the order they appear in ``--help``.
_COMMAND_MODULES = (
    "_check",
    "_keys",
    "_trust",
    "_lists",
    "_state",
    "_screen",
    "_calls",
    "_dist",
    "_pseudo",
    "_csv",
    "_interchange",
    "_report",
    "_schema",
    "_conformance",
    "_demo",
    "_case",
    "_docgen",
)

#: Leaves that speak another protocol than the envelope (docs/conformance.md).
PROTOCOL_COMMANDS = frozenset({"conformance impl"})


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command registered."""
    parser = CliParser(
        prog="antifraud",
        description="Validate identifiers and sign, verify and screen shared fraud blacklists.",
        epilog=(
            "exit status: 0 ok, 1 a check failed (or a value is listed), 2 usage error, "
            "3 internal error.\nenvironment: ANTIFRAUD_TRUST (--trust), ANTIFRAUD_STATE "
            "(--state), ANTIFRAUD_PASSPHRASE (key files)\n"
            + vocabularies_epilog()
            + "\nexample: antifraud check --json 13800138000"
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}",
        help="print the program's version and exit",
    )  # fmt: skip
    parser.add_argument(
        "--json", dest="global_json", action="store_true",
        help="as the command's --json: one JSON document on stdout",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"antifraud_common.cli.{name}")
        module.register(sub)
    for path, leaf in leaf_commands(parser):
        if path in PROTOCOL_COMMANDS:
            continue
        if "json" not in _dests(leaf):
            add_json(leaf)
        if "quiet" not in _dests(leaf):
            add_quiet(leaf)
    return parser


def _dests(p: argparse.ArgumentParser) -> set[str]:
    return {a.dest for a in p._actions}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["conformance", "impl"]:
        # The protocol speaker parses its own arguments, --help included.
        from antifraud_common.conformance import impl as implementation

        return implementation.main(argv[2:])
    return run(build_parser(), argv, prepare=check_outputs)


def _entry() -> None:  # pragma: no cover - exercised through the console script
    sys.exit(main())
