"""Tests for antifraud_common.format.canonical (RFC 8785, float-free profile)."""

from __future__ import annotations

import contextlib
import json
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antifraud_common.errors import BlacklistFormatError
from antifraud_common.format import canonical
from antifraud_common.format.canonical import (
    MAX_SAFE_INTEGER,
    check_canonical,
    dumps,
    is_canonical,
    loads,
)

VECTORS = sorted((Path(__file__).parent / "vectors" / "jcs").glob("*.json"))


def _code(data: bytes, **kw: int) -> str:
    with pytest.raises(BlacklistFormatError) as info:
        loads(data, **kw)
    return info.value.code


# ------------------------------------------------------------ RFC 8785 vectors


def test_vectors_present() -> None:
    assert {p.stem for p in VECTORS} >= {"arrays", "french", "unicode", "weird", "structures"}


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_rfc8785_vector(path: Path) -> None:
    vec = json.loads(path.read_text(encoding="utf-8"))
    assert vec["source"]
    expected = bytes.fromhex(vec["expected_hex"])
    assert expected == vec["expected"].encode("utf-8")
    value = loads(vec["input"].encode("utf-8"))
    assert dumps(value) == expected
    assert check_canonical(expected) == value
    assert is_canonical(expected)
    if vec["input"].encode("utf-8") != expected:
        assert not is_canonical(vec["input"].encode("utf-8"))


def test_upstream_structures_input_with_float_is_refused() -> None:
    upstream = b'{\n  "1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0},\n  "10": { }\n}'
    assert _code(upstream) == "json_float"


# -------------------------------------------------------------------- dumps


def test_key_order_is_utf16_code_units() -> None:
    # U+FB33 (one UTF-16 unit 0xFB33) sorts after U+1F602 (surrogates 0xD83D...),
    # although its code point is smaller: code-point sorting would get this wrong.
    out = dumps({"\ufb33": 1, "\U0001f602": 2})
    assert out == '{"\U0001f602":2,"\ufb33":1}'.encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"', b'"\\""'),
        ("\\", b'"\\\\"'),
        ("\b\f\n\r\t", b'"\\b\\f\\n\\r\\t"'),
        ("\x00\x1f", b'"\\u0000\\u001f"'),
        ("\x0b", b'"\\u000b"'),
        ("\x7f\x80/", '"\x7f\x80/"'.encode()),
        ("</script>", b'"</script>"'),
        ("\u2028\u2029", '"\u2028\u2029"'.encode()),
        ("é€😂", '"é€😂"'.encode()),
    ],
)
def test_string_escaping(value: str, expected: bytes) -> None:
    assert dumps(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, b"null"),
        (True, b"true"),
        (False, b"false"),
        (0, b"0"),
        (-1, b"-1"),
        (MAX_SAFE_INTEGER, b"9007199254740991"),
        (-MAX_SAFE_INTEGER, b"-9007199254740991"),
        ([], b"[]"),
        ({}, b"{}"),
        ((1, "a"), b'[1,"a"]'),
        (OrderedDict([("b", 1), ("a", 2)]), b'{"a":2,"b":1}'),
        ({"a": [{"c": 1, "b": [True]}]}, b'{"a":[{"b":[true],"c":1}]}'),
    ],
)
def test_dumps_values(value: object, expected: bytes) -> None:
    assert dumps(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (1.0, "json_float"),
        (float("nan"), "json_float"),
        ([0.5], "json_float"),
        (MAX_SAFE_INTEGER + 1, "json_integer_range"),
        (-MAX_SAFE_INTEGER - 1, "json_integer_range"),
        ({1: "a"}, "json_key_type"),
        ({("a",): 1}, "json_key_type"),
        (b"bytes", "json_type"),
        ({1, 2}, "json_type"),
        (object(), "json_type"),
        ("\ud800", "json_lone_surrogate"),
        ({"\udc00": 1}, "json_lone_surrogate"),
        ([[[[1]]]], "json_too_deep"),
    ],
)
def test_dumps_refuses(value: object, code: str) -> None:
    with pytest.raises(BlacklistFormatError) as info:
        dumps(value, max_depth=3)
    assert info.value.code == code


def test_dumps_default_depth_limit_matches_loads() -> None:
    deep: object = 1
    for _ in range(canonical.DEFAULT_MAX_DEPTH):
        deep = [deep]
    assert loads(dumps(deep)) == deep
    with pytest.raises(BlacklistFormatError):
        dumps([deep])


# -------------------------------------------------------------------- loads


def test_loads_accepts_whitespace_and_escapes() -> None:
    assert loads(b' { "a" : [ 1 , "\\u00e9\\n" ] }\r\n\t') == {"a": [1, "é\n"]}
    assert loads(b'"\\ud83d\\ude02"') == "😂"
    assert loads(bytearray(b"[]")) == []
    assert loads(memoryview(b"7")) == 7


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'{"a":1,"a":2}', "json_duplicate_key"),
        (b'{"a":1,"\\u0061":2}', "json_duplicate_key"),
        (b'[{"x":{"k":1,"k":1}}]', "json_duplicate_key"),
        (b"1.0", "json_float"),
        (b"[1.5]", "json_float"),
        (b"1e3", "json_float"),
        (b"1E3", "json_float"),
        (b"-0.0", "json_float"),
        (b"NaN", "json_nonfinite"),
        (b"[Infinity]", "json_nonfinite"),
        (b"-Infinity", "json_nonfinite"),
        (b"-0", "json_negative_zero"),
        (b"9007199254740992", "json_integer_range"),
        (b"-9007199254740992", "json_integer_range"),
        (b"1" * 5000, "json_integer_range"),
        (b"\xef\xbb\xbf{}", "json_bom"),
        (b"\xff\xfe{\x00}\x00", "json_bom"),
        (b"\xfe\xff\x00{\x00}", "json_bom"),
        (b'"\xff"', "json_invalid_utf8"),
        (b'"\xc0\xaf"', "json_invalid_utf8"),  # overlong "/"
        (b'"\xed\xa0\x80"', "json_invalid_utf8"),  # raw UTF-8 surrogate
        (b'"\xf4\x90\x80\x80"', "json_invalid_utf8"),  # above U+10FFFF
        (b'"\\ud800"', "json_lone_surrogate"),
        (b'"\\uDFFF"', "json_lone_surrogate"),
        (b'{"\\ud83d":1}', "json_lone_surrogate"),
        (b'["a\\ude02b"]', "json_lone_surrogate"),
        (b"", "json_syntax"),
        (b" ", "json_syntax"),
        (b"[1,]", "json_syntax"),
        (b"{'a':1}", "json_syntax"),
        (b"01", "json_syntax"),
        (b"+1", "json_syntax"),
        (b"[1] [2]", "json_syntax"),
        (b'"a\tb"', "json_syntax"),  # raw control character in a string
        (b'"\\x41"', "json_syntax"),
        (b"\x0c[]", "json_syntax"),  # form feed is not JSON whitespace
        (b"\xc2\xa0[]", "json_syntax"),  # nor is NBSP
        (b"true false", "json_syntax"),
        (b"[" * 33 + b"]" * 33, "json_too_deep"),
        (b'{"a":' * 33 + b"1" + b"}" * 33, "json_too_deep"),
        (b"[" * 100000, "json_too_deep"),
    ],
)
def test_loads_refuses(data: bytes, code: str) -> None:
    assert _code(data) == code


def test_loads_depth_limit_boundary_and_brackets_in_strings() -> None:
    assert loads(b"[" * 32 + b"]" * 32) is not None
    assert loads(b'["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]') == ["[" * 42]
    assert _code(b"[[[1]]]", max_depth=2) == "json_too_deep"
    assert loads(b"[[1]]", max_depth=2) == [[1]]


def test_loads_size_limit() -> None:
    assert _code(b"[" + b"1," * 10 + b"1]", max_bytes=10) == "json_too_large"
    assert loads(b"[1,2]", max_bytes=5) == [1, 2]


def test_loads_rejects_str_input() -> None:
    with pytest.raises(TypeError):
        loads("{}")  # type: ignore[arg-type]


def test_loads_accepts_edge_integers() -> None:
    assert loads(b"[9007199254740991,-9007199254740991,0]") == [
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
        0,
    ]


def test_errors_are_value_errors_with_context() -> None:
    with pytest.raises(ValueError, match="line 1 column 4"):
        loads(b"[1,]")


# ---------------------------------------------------------------- canonical


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":1} ',
        b'{"a":1}\n',
        b'{"b":1,"a":2}',
        b'{ "a":1}',
        b'"\\u00e9"',
        b'"\\/"',
        b'"\\u007f"',
        b'"\\u001F"',
        b'"\\u000a"',
    ],
)
def test_not_canonical(data: bytes) -> None:
    assert not is_canonical(data)
    with pytest.raises(BlacklistFormatError) as info:
        check_canonical(data)
    assert info.value.code == "json_not_canonical"


def test_is_canonical_never_raises() -> None:
    assert not is_canonical(b"\xff")
    assert not is_canonical(b"[1.0]")
    assert not is_canonical("[]")  # type: ignore[arg-type]
    assert is_canonical('"é\\n"'.encode())


# --------------------------------------------------------------- properties

_keys = st.text(max_size=8)
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=20,
)


@given(_values)
def test_round_trip(value: object) -> None:
    data = dumps(value)
    assert loads(data) == value
    assert dumps(loads(data)) == data
    assert is_canonical(data)


@given(_values)
def test_python_json_reads_our_bytes(value: object) -> None:
    assert json.loads(dumps(value).decode("utf-8")) == value


@given(st.dictionaries(_keys, st.integers(0, 9), max_size=6))
def test_python_json_agrees_on_order_for_bmp_keys(value: dict[str, int]) -> None:
    # Outside the astral-versus-U+E000 corner, code points and UTF-16 agree.
    if all(ord(c) < 0xD800 for k in value for c in k):
        expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert dumps(value) == expected.encode("utf-8")


@given(st.binary(max_size=64))
def test_loads_raises_only_typed_errors(data: bytes) -> None:
    with contextlib.suppress(BlacklistFormatError):
        loads(data)


def test_depth_limit_applies_to_objects_and_mixed_surrogate_scan() -> None:
    with pytest.raises(BlacklistFormatError) as info:
        dumps({"a": {"b": {}}}, max_depth=2)
    assert info.value.code == "json_too_deep"
    # An escaped pair next to scalars: the surrogate scan must walk past them.
    assert loads(b'[1,true,null,{"k":"\\ud83d\\ude02"}]') == [1, True, None, {"k": "😂"}]


@given(_values)
def test_fast_path_equals_reference_serialiser(value: object) -> None:
    out: list[str] = []
    canonical._dump(value, out, 0, canonical.DEFAULT_MAX_DEPTH)
    assert dumps(value) == "".join(out).encode("utf-8")


@given(
    st.dictionaries(st.text(alphabet="a\ue000\uffff\U0001f602\U00010000", max_size=3), st.none())
)
def test_key_order_with_astral_and_high_bmp_names(value: dict[str, None]) -> None:
    data = dumps(value)
    keys = list(json.loads(data))
    assert keys == sorted(value, key=lambda k: k.encode("utf-16-be"))


def test_enum_values_are_written_as_their_values() -> None:
    import enum

    class Kind(enum.StrEnum):
        PHONE = "phone"

    class Level(enum.IntEnum):
        HIGH = 3

    assert dumps({"k": Kind.PHONE, "l": Level.HIGH}) == b'{"k":"phone","l":3}'
    assert dumps({"k": Kind.PHONE, "\U0001f602": Level.HIGH}) == (
        '{"k":"phone","\U0001f602":3}'.encode()
    )


def test_unterminated_string_full_of_escaped_quotes_is_cheap() -> None:
    # Many brackets plus an unterminated string of escaped quotes: a bracket scan
    # run before the parser would backtrack for minutes on this; it must not run.
    data = b"[" * 40 + b'"' + b'\\"' * 20000
    assert _code(data) == "json_syntax"
    assert _code(memoryview(data), max_bytes=10) == "json_too_large"


@given(_values, st.integers(min_value=0), st.binary(min_size=1, max_size=3))
def test_mutated_documents_raise_only_typed_errors(value: object, at: int, junk: bytes) -> None:
    data = dumps(value)
    i = at % (len(data) + 1)
    for mutated in (data[:i] + junk + data[i:], data[:i] + junk + data[i + len(junk) :]):
        try:
            again = loads(mutated)
        except BlacklistFormatError:
            continue
        assert loads(dumps(again)) == again
