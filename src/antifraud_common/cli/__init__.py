"""The ``antifraud`` command line.

Contract (stable, versioned by ``OUTPUT_VERSION`` for ``--json``):

* with ``--json``, exactly one JSON document is written to stdout; every
  message, warning and progress bar goes to stderr;
* exit status: 0 all good, 1 a check failed (invalid value, bad signature,
  expired, rollback ...) or a file could not be read or written (disk full, not
  a regular file, too large ...), 2 usage error (also a missing input file), 3
  internal error (a bug: please report). A typed error that reaches :func:`main`
  is reported with its code, never as exit 3.

Each sub-command lives in its own private module that provides
``register(subparsers)``; :func:`main` is importable so tests and other Python
programs can call it in-process.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from antifraud_common import __version__
from antifraud_common.cli._common import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    err,
    report_error,
)
from antifraud_common.errors import AntifraudError

__all__ = ["main"]

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
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="antifraud",
        description="Validate identifiers and sign, verify and screen shared fraud blacklists.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"antifraud_common.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    try:
        status: int = args.func(args)
    except UsageError as e:
        err(f"antifraud {args.command}: error: {e}")
        return EXIT_USAGE
    except (AntifraudError, OSError) as e:
        return report_error(args, e)
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`antifraud ... | head`): not an error of ours. Point stdout
        # at /dev/null so the interpreter's final flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # noqa: BLE001 - the documented contract: a bug is exit 3, not 1
        err(f"antifraud {args.command}: internal error: {type(e).__name__}: {e}")
        return EXIT_INTERNAL
    return status


def _entry() -> None:  # pragma: no cover - exercised through the console script
    sys.exit(main())
