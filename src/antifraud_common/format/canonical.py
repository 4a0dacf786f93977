"""Canonical JSON: RFC 8785 (JCS) in a strict, float-free profile.

Every byte that antifraud_common signs or hashes is JSON in this profile, so that two
implementations in different languages produce the same bytes for the same value.
The profile is RFC 8785 restricted to the I-JSON values that need no number
formatting (see ``docs/spec/jcs-profile.md``):

* values: objects (``str`` keys), arrays, strings, integers within
  ±(2**53 − 1), ``true``, ``false``, ``null``. No floats, no exponents, no ``-0``.
* object members sorted by the UTF-16 code units of their names; no whitespace;
* strings: only ``"``, ``\\`` and the control characters below U+0020 are escaped
  (``\\b \\f \\n \\r \\t`` or ``\\u00xx`` in lowercase hex); everything else is
  written as raw UTF-8. Lone surrogates are refused.

:func:`dumps` writes the canonical bytes. :func:`loads` is a strict parser for
untrusted input: it refuses what the profile forbids and everything JSON leaves
ambiguous (duplicate names, a BOM, invalid UTF-8, lone surrogates, deep nesting,
oversized input), each with its own error code. :func:`check_canonical` also
requires the input to be byte-for-byte canonical.

>>> dumps({"b": [1, True, None], "a": "é\\n"})
b'{"a":"\\xc3\\xa9\\\\n","b":[1,true,null]}'
>>> loads(b'{"a": [1, 2]}')
{'a': [1, 2]}
>>> loads(b'{"a": 1.5}')
Traceback (most recent call last):
...
antifraud_common.errors.BlacklistFormatError: floats are not allowed ...
>>> is_canonical(b'{"a":1}'), is_canonical(b'{ "a": 1 }')
(True, False)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any, NoReturn

from antifraud_common.errors import BlacklistFormatError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "check_canonical",
    "dumps",
    "is_canonical",
    "loads",
]

#: Largest integer magnitude allowed: 2**53 − 1 (I-JSON, RFC 7493 §2.2).
MAX_SAFE_INTEGER = 2**53 - 1
#: Default input size limit of :func:`loads`, in bytes (8 MiB).
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
#: Default nesting limit of :func:`loads` and :func:`dumps` (arrays and objects).
DEFAULT_MAX_DEPTH = 32

# Byte sequences that start a file in another encoding or with a UTF-8 BOM.
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# Optional sign, then digits: the longest in-range integer has 16 digits.
_MAX_INT_TEXT = len(str(MAX_SAFE_INTEGER)) + 1
# An escaped surrogate in the raw text; only then can a parsed string hold one.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")
_BRACKETS = re.compile(r"[\[\]{}]")


def _fail(message: str, code: str) -> NoReturn:
    raise BlacklistFormatError(message, code=code)


# ---------------------------------------------------------------- serialising


def _sort_key(name: str) -> bytes:
    # RFC 8785 §3.2.3 sorts by UTF-16 code units; big-endian UTF-16 bytes compare
    # in the same order. (Plain ``sorted`` would order by code points, which
    # differs for names mixing U+E000..U+FFFF with characters above U+FFFF.)
    return name.encode("utf-16-be", "surrogatepass")


def _dump(obj: object, out: list[str], depth: int, max_depth: int) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, str):
        out.append(encode_basestring(obj))
    elif isinstance(obj, int):
        if not -MAX_SAFE_INTEGER <= obj <= MAX_SAFE_INTEGER:
            _fail("integer outside ±(2**53 - 1)", "json_integer_range")
        out.append(str(int(obj)))
    elif isinstance(obj, float):
        _fail("floats are not allowed in canonical JSON", "json_float")
    elif isinstance(obj, Mapping):
        if depth >= max_depth:
            _fail(f"nesting deeper than {max_depth}", "json_too_deep")
        for key in obj:
            if not isinstance(key, str):
                _fail("object keys must be strings", "json_key_type")
        out.append("{")
        first = True
        for key in sorted(obj, key=_sort_key):
            if not first:
                out.append(",")
            first = False
            out.append(encode_basestring(key))
            out.append(":")
            _dump(obj[key], out, depth + 1, max_depth)
        out.append("}")
    elif isinstance(obj, list | tuple):
        if depth >= max_depth:
            _fail(f"nesting deeper than {max_depth}", "json_too_deep")
        out.append("[")
        for i, item in enumerate(obj):
            if i:
                out.append(",")
            _dump(item, out, depth + 1, max_depth)
        out.append("]")
    else:
        _fail(f"type {type(obj).__name__} cannot be written as JSON", "json_type")


_FAST = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"))
# Below U+E000 (surrogates excluded), code-point order is UTF-16 code-unit order.
_ORDER_SAFE_MAX = "\ue000"


def _plain(obj: object, depth: int, max_depth: int) -> bool:
    """Whether ``obj`` is valid and may go through the C encoder unchanged.

    False means "take the slow path", which also raises the precise error.
    """
    if obj is None or isinstance(obj, str):
        return True
    if isinstance(obj, int):
        return obj is True or obj is False or -MAX_SAFE_INTEGER <= obj <= MAX_SAFE_INTEGER
    if depth >= max_depth:
        return False
    if isinstance(obj, dict):
        for key, value in obj.items():
            # str.isascii() is O(1) in CPython; max() only for non-ASCII keys.
            if type(key) is not str or not (key.isascii() or max(key) < _ORDER_SAFE_MAX):
                return False
            # Inline the common leaves: entries are flat objects of strings.
            kind = type(value)
            if kind is str or value is None or kind is bool:
                continue
            if kind is int:
                if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                    continue
                return False
            if not _plain(value, depth + 1, max_depth):
                return False
        return True
    if isinstance(obj, list | tuple):
        return all(_plain(v, depth + 1, max_depth) for v in obj)
    return False


def dumps(obj: object, *, max_depth: int = DEFAULT_MAX_DEPTH) -> bytes:
    """Return the canonical UTF-8 bytes of ``obj``.

    Accepted types: ``dict`` (any mapping) with ``str`` keys, ``list`` and ``tuple``
    (written as arrays), ``str``, ``int`` within ±(2**53 − 1), ``bool`` and ``None``.
    Anything else raises :class:`BlacklistFormatError` (codes ``json_float``,
    ``json_integer_range``, ``json_key_type``, ``json_type``, ``json_too_deep``,
    ``json_lone_surrogate``).

    >>> dumps({"€": 1, "1": [], "a": {"z": None, "A": False}})
    b'{"1":[],"a":{"A":false,"z":null},"\\xe2\\x82\\xac":1}'
    >>> dumps("tab\\tand \\x7f and \\x01")
    b'"tab\\\\tand \\x7f and \\\\u0001"'
    >>> dumps(2**53)
    Traceback (most recent call last):
    ...
    antifraud_common.errors.BlacklistFormatError: integer outside ±(2**53 - 1)
    """
    if _plain(obj, 0, max_depth):
        # Every key sorts the same by code point as by UTF-16 code unit, and the
        # types are checked: the C encoder writes exactly the canonical bytes
        # (its string escaping is the one RFC 8785 prescribes).
        text = _FAST.encode(obj)
    else:
        out: list[str] = []
        _dump(obj, out, 0, max_depth)
        text = "".join(out)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise BlacklistFormatError("lone surrogate in a string", code="json_lone_surrogate") from e


# ------------------------------------------------------------------- parsing


def _parse_int(text: str) -> int:
    if len(text) > _MAX_INT_TEXT:
        _fail("integer outside ±(2**53 - 1)", "json_integer_range")
    if text == "-0":
        # -0 is a distinct float in JavaScript and is written as 0 by JCS:
        # refusing it keeps one spelling per value.
        _fail("-0 is not allowed", "json_negative_zero")
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        _fail("integer outside ±(2**53 - 1)", "json_integer_range")
    return value


def _parse_float(_text: str) -> NoReturn:
    _fail("floats are not allowed (number with '.', 'e' or 'E')", "json_float")


def _parse_constant(_text: str) -> NoReturn:
    _fail("NaN and Infinity are not JSON", "json_nonfinite")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        _fail("duplicate object member name", "json_duplicate_key")
    return out


def _has_surrogate(obj: object) -> bool:
    if isinstance(obj, str):
        return not obj.isascii() and _SURROGATE.search(obj) is not None
    if isinstance(obj, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in obj.items())
    if isinstance(obj, list):
        return any(_has_surrogate(v) for v in obj)
    return False


def _depth_exceeds(text: str, max_depth: int) -> bool:
    """Whether syntactically valid JSON ``text`` nests deeper than ``max_depth``.

    Only called on text that parsed: every string then closes, so the string
    pattern matches each one once, left to right, in linear time.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth = 0
    for m in _BRACKETS.finditer(_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def loads(
    data: bytes | bytearray | memoryview,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Parse untrusted JSON bytes in the strict profile and return the value.

    Objects become ``dict``, arrays ``list``. Whitespace between tokens is allowed
    (use :func:`check_canonical` to require canonical bytes). Every refusal is a
    :class:`BlacklistFormatError` whose ``code`` says why: ``json_too_large``,
    ``json_bom``, ``json_invalid_utf8``, ``json_syntax``, ``json_duplicate_key``,
    ``json_float``, ``json_nonfinite``, ``json_negative_zero``,
    ``json_integer_range``, ``json_lone_surrogate``, ``json_too_deep``.

    >>> loads(b'{"a":1,"a":2}')
    Traceback (most recent call last):
    ...
    antifraud_common.errors.BlacklistFormatError: duplicate object member name
    >>> loads(b'"\\\\ud800"')
    Traceback (most recent call last):
    ...
    antifraud_common.errors.BlacklistFormatError: lone surrogate in a string
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"loads() needs bytes, not {type(data).__name__}")
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > max_bytes:
        _fail(f"input larger than {max_bytes} bytes", "json_too_large")
    raw = bytes(data)
    if raw.startswith(_BOMS):
        _fail("byte order mark at the start of the input", "json_bom")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BlacklistFormatError(
            f"invalid UTF-8 at byte {e.start}", code="json_invalid_utf8"
        ) from e
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as e:
        raise BlacklistFormatError(
            f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}", code="json_syntax"
        ) from e
    except RecursionError as e:
        # The C scanner's own guard (sys.getrecursionlimit() levels) tripped
        # first: far deeper than any limit.
        raise BlacklistFormatError(f"nesting deeper than {max_depth}", code="json_too_deep") from e
    # Checked after parsing: a bracket scan of text that is not valid JSON
    # could take quadratic time (unterminated strings full of escaped quotes).
    if _depth_exceeds(text, max_depth):
        _fail(f"nesting deeper than {max_depth}", "json_too_deep")
    if _ESCAPED_SURROGATE.search(text) and _has_surrogate(value):
        _fail("lone surrogate in a string", "json_lone_surrogate")
    return value


def check_canonical(
    data: bytes | bytearray | memoryview,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Parse ``data`` strictly, require it to be canonical, and return the value.

    Raises :class:`BlacklistFormatError` with any :func:`loads` code, or
    ``json_not_canonical`` when the value is fine but the bytes are not exactly
    ``dumps(value)`` (whitespace, member order, escapes, a trailing newline ...).

    >>> check_canonical(b'{"b":1,"a":2}')
    Traceback (most recent call last):
    ...
    antifraud_common.errors.BlacklistFormatError: the JSON is valid but not canonical (RFC 8785)
    """
    value = loads(data, max_bytes=max_bytes, max_depth=max_depth)
    if dumps(value, max_depth=max_depth) != bytes(data):
        _fail("the JSON is valid but not canonical (RFC 8785)", "json_not_canonical")
    return value


def is_canonical(data: bytes | bytearray | memoryview) -> bool:
    """Return whether ``data`` is valid profile JSON in canonical form; never raises.

    >>> is_canonical(b'[1,2]'), is_canonical(b'[1, 2]'), is_canonical(b'[1.0]')
    (True, False, False)
    """
    try:
        check_canonical(data)
    except (BlacklistFormatError, TypeError):
        return False
    return True
