"""Fuzz the JSON Lines reader and the streaming entries-file checker.

Properties: only typed errors escape; a file the checker accepts has as many
lines as LF bytes, its SHA-256 matches, and its lines are strictly sorted keys.
"""

from __future__ import annotations

import hashlib
import io
import sys

import _harness

with _harness.instrumented(__name__ == "__main__"):
    from antifraud_common.errors import AntifraudError
    from antifraud_common.exchange.entries import NO_PROTECTED, check_entries, iter_verified_entries
    from antifraud_common.format.jsonl import Limits, iter_lines

_LIMITS = Limits(max_line_bytes=4096, max_entries=10_000, max_total_bytes=1 << 20)


def seeds() -> list[bytes]:
    return [b"", b"{}\n", b"\n", b"a\r\n"] + list(
        _harness.conformance_files("entries", "base", "delta")
    )


def test_one_input(data: bytes) -> None:
    try:
        n = sum(1 for _ in iter_lines(io.BytesIO(data), limits=_LIMITS))
    except AntifraudError:
        n = -1
    if n >= 0:
        assert n == data.count(b"\n")
    try:
        summary = check_entries(io.BytesIO(data), protected=NO_PROTECTED, limits=_LIMITS)
    except AntifraudError:
        return
    assert summary.entry_count == data.count(b"\n")
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    keys = [e.key for e in iter_verified_entries(io.BytesIO(data))]
    assert keys == sorted(set(keys))


if __name__ == "__main__":
    _harness.main(sys.modules[__name__])
