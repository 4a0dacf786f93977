"""The command-line output contract shared by every command-line front end (private).

Exit statuses, the ``--json`` document's envelope (``output_version``,
``command``, ``ok``) and the rule that every line written is valid UTF-8. The
``antifraud`` CLI (:mod:`antifraud_common.cli`) and ``python -m
antifraud_common.conformance`` both write through here, so the two front ends
of the conformance command cannot drift apart.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from antifraud_common._files import printable_name

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "OUTPUT_VERSION",
    "UsageError",
    "emit_json",
    "err",
    "out",
    "printable",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: Version of the CLI's JSON output; bumped on any incompatible change.
OUTPUT_VERSION = 1


class UsageError(Exception):
    """Bad command-line usage detected after parsing (exit status 2)."""


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
