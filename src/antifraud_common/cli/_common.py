"""Helpers shared by the CLI sub-commands (private)."""

from __future__ import annotations

import json
import sys
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: Version of the CLI's JSON output; bumped on any incompatible change.
OUTPUT_VERSION = 1


class UsageError(Exception):
    """Bad command-line usage detected after parsing (exit status 2)."""


def err(message: str) -> None:
    """Write one line to stderr."""
    print(message, file=sys.stderr, flush=True)


def emit_json(command: str, ok: bool, payload: dict[str, Any]) -> None:
    """Write the single JSON document of a ``--json`` run to stdout."""
    doc: dict[str, Any] = {"output_version": OUTPUT_VERSION, "command": command, "ok": ok}
    doc.update(payload)
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


def out(line: str) -> None:
    """Write one line of human-readable output to stdout."""
    sys.stdout.write(line + "\n")
