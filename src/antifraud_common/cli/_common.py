"""Helpers shared by the CLI sub-commands (private)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Any

from antifraud_common._files import file_error, printable_name, read_input
from antifraud_common.errors import AntifraudError, ConfigurationError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: Version of the CLI's JSON output; bumped on any incompatible change.
OUTPUT_VERSION = 1


class UsageError(Exception):
    """Bad command-line usage detected after parsing (exit status 2)."""


def read_sig(path: str | os.PathLike[str]) -> bytes:
    """Read a signature file: a regular file of at most 1 MiB (the library's limit)."""
    from antifraud_common.exchange.signing import MAX_SIGNATURE_FILE_BYTES

    return read_input(path, limit=MAX_SIGNATURE_FILE_BYTES, what="signature file")


def read_trust(path: str | os.PathLike[str]) -> bytes:
    """Read a trust bundle: a regular file of at most 4 MiB (the library's limit)."""
    from antifraud_common.exchange.trust import MAX_BUNDLE_BYTES

    return read_input(path, limit=MAX_BUNDLE_BYTES, what="trust bundle")


def printable(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes of a file name) shown as ``\\xNN``.

    The result encodes as strict UTF-8, so no output can fail on a file name.

    >>> printable("list-\\udcff.jsonl")
    'list-\\\\xff.jsonl'
    """
    return printable_name(text)


def err(message: str) -> None:
    """Write one line to stderr."""
    print(printable(message), file=sys.stderr, flush=True)


def emit_json(command: str, ok: bool, payload: dict[str, Any]) -> None:
    """Write the single JSON document of a ``--json`` run to stdout.

    The document is valid UTF-8 whatever it holds: a string with lone surrogates
    (a file name that is not UTF-8) is written with ``\\uXXXX`` escapes.
    """
    doc: dict[str, Any] = {"output_version": OUTPUT_VERSION, "command": command, "ok": ok}
    doc.update(payload)
    text = json.dumps(doc, ensure_ascii=False, sort_keys=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc, ensure_ascii=True, sort_keys=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def out(line: str) -> None:
    """Write one line of human-readable output to stdout."""
    sys.stdout.write(printable(line) + "\n")


def report_error(args: argparse.Namespace, e: AntifraudError | OSError) -> int:
    """Report a typed error (or an :class:`OSError`, typed here) that reached ``main``.

    Exit 2 for a usage problem (a bad option value, a missing input file), else
    1. With ``--json`` the single document carries ``{"code", "message"}``.
    """
    if not isinstance(e, AntifraudError):
        e = file_error(e, e.filename if e.filename is not None else "a file")
    command = getattr(args, "command", "antifraud")
    sub = getattr(args, f"{command}_command", None)
    if isinstance(sub, str):
        command = f"{command} {sub}"
    if getattr(args, "json", False):
        # stdout itself may be gone or full: the message on stderr remains.
        with contextlib.suppress(OSError, ValueError):
            emit_json(command, False, {"error": e.to_dict()})
    err(f"antifraud {command}: {e.code}: {e}")
    return exit_status(e)


def exit_status(e: AntifraudError) -> int:
    """2 for a usage problem (a bad option value, a missing input file), else 1."""
    usage = isinstance(e, ConfigurationError) or e.code == "file_not_found"
    return EXIT_USAGE if usage else EXIT_FAILED
