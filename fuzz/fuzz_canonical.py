"""Fuzz the strict canonical JSON parser and writer (RFC 8785 profile).

Properties: only BlacklistFormatError escapes ``loads``; whatever it accepts,
``dumps`` writes, and the result parses back to the same value and is
canonical; ``is_canonical(data)`` holds exactly when ``dumps(loads(data)) == data``.
"""

from __future__ import annotations

import sys

import _harness

with _harness.instrumented(__name__ == "__main__"):
    from antifraud_common.errors import BlacklistFormatError
    from antifraud_common.format import canonical


def seeds() -> list[bytes]:
    out = [
        b'{"a":[1,true,null,"x"]}',
        b'"\\ud83d\\ude02"',
        b"[1.5]",
        b'{"a":1,"a":2}',
        b"\xef\xbb\xbf1",
    ]
    out += list(_harness.conformance_files("in", "jwk"))
    return out


def test_one_input(data: bytes) -> None:
    try:
        value = canonical.loads(data)
    except BlacklistFormatError:
        assert not canonical.is_canonical(data)
        return
    out = canonical.dumps(value)
    assert canonical.loads(out) == value
    assert canonical.is_canonical(out)
    assert canonical.is_canonical(data) == (out == data)


if __name__ == "__main__":
    _harness.main(sys.modules[__name__])
