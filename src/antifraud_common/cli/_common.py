"""Helpers shared by the CLI sub-commands (private)."""

from __future__ import annotations

import argparse
import contextlib
import os

from antifraud_common._console import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    OUTPUT_VERSION,
    UsageError,
    emit_json,
    err,
    out,
    printable,
)
from antifraud_common._files import file_error, read_input
from antifraud_common.errors import AntifraudError, ConfigurationError

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "OUTPUT_VERSION",
    "UsageError",
    "emit_json",
    "err",
    "exit_status",
    "out",
    "printable",
    "read_sig",
    "read_trust",
    "report_error",
]


def read_sig(path: str | os.PathLike[str]) -> bytes:
    """Read a signature file: a regular file of at most 1 MiB (the library's limit)."""
    from antifraud_common.exchange.signing import MAX_SIGNATURE_FILE_BYTES

    return read_input(path, limit=MAX_SIGNATURE_FILE_BYTES, what="signature file")


def read_trust(path: str | os.PathLike[str]) -> bytes:
    """Read a trust bundle: a regular file of at most 4 MiB (the library's limit)."""
    from antifraud_common.exchange.trust import MAX_BUNDLE_BYTES

    return read_input(path, limit=MAX_BUNDLE_BYTES, what="trust bundle")


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
