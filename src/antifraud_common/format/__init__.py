"""The format layer: canonical JSON, JWS envelope, keys, JSONL files with limits.

Low-level building blocks with no knowledge of blacklist semantics:

* :mod:`~antifraud_common.format.canonical` -- RFC 8785 (JCS) canonical JSON, float-free;

>>> from antifraud_common import format as fmt
>>> fmt.dumps({"b": 1, "a": [True, None]})
b'{"a":[true,null],"b":1}'
"""

from __future__ import annotations

from antifraud_common.format.canonical import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    MAX_SAFE_INTEGER,
    check_canonical,
    dumps,
    is_canonical,
    loads,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "check_canonical",
    "dumps",
    "is_canonical",
    "loads",
]
