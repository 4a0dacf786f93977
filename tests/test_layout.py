"""The entry-line byte layout (exchange/layout.py): the fast line parsers against the strict
model path, and the key readers against a full parse.

The contract: a fast parser accepts a line exactly when the strict path (framing,
canonical JSON, the model's ``from_dict``) does and the line holds no backslash (an
escape always sends a line to the strict path), and then gives the same key, action
and value.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from antifraud_common.errors import BlacklistFormatError
from antifraud_common.exchange import layout
from antifraud_common.exchange.pseudonym import PseudonymisedEntry
from antifraud_common.format import canonical
from antifraud_common.format.jsonl import DEFAULT_LIMITS, check_line
from antifraud_common.models import TLP, Action, Entry, IdentifierKind, Reason


def _load_realistic() -> ModuleType:
    path = Path(__file__).parents[1] / "benchmarks" / "_realistic.py"
    spec = importlib.util.spec_from_file_location("_bench_realistic_layout", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


R = _load_realistic()
# Real lines of every kind (phones, cards, accounts, IMEIs ...) as the base of the examples.
_LINES = [x[:-1] for x in R.realistic_lines(400, mix="mixed", seed=11)]
_BASES = [json.loads(x) for x in _LINES[::7]]
_VALUES = sorted({(d["kind"], d["value"]) for d in _BASES})
MAX = DEFAULT_LIMITS.max_line_bytes


def _strict(line: bytes, parse: object = Entry.from_dict) -> layout.Fields | None:
    try:
        check_line(line, 1, DEFAULT_LIMITS)
        got = layout.parse_line(line, 1, parse)  # type: ignore[call-overload]
    except BlacklistFormatError:
        return None
    if isinstance(got, PseudonymisedEntry):
        return got.kind.value.encode(), got.action.value.encode(), got.hmac.encode(), ""
    value = got.value
    return got.kind.value.encode(), got.action.value.encode(), value.encode(), value


def _agrees(line: bytes) -> None:
    fast = layout.scan_entry_lines([line], MAX)[0]
    strict = _strict(line)
    event("accepted" if strict is not None else "refused")
    if fast is not None:
        assert fast == strict, line
    elif b"\\" not in line:
        assert strict is None, line


_stamp = st.builds(
    lambda y, mo, d, h, mi, s: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
    st.sampled_from([0, 1, 1900, 2000, 2024, 2025, 2026, 2100, 9999]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
)
_real_stamp = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).map(lambda t: f"{t.year:04d}-{t:%m-%dT%H:%M:%S}Z")
_text = st.text(st.characters(codec="utf-8"), min_size=0, max_size=20)


def _mostly(
    good: st.SearchStrategy[object], bad: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    # Seven in eight draws valid, so that accepted lines are common, not rare.
    return st.integers(0, 7).flatmap(lambda i: bad if i == 0 else good)


def _vocab(values: list[str]) -> st.SearchStrategy[object]:
    return _mostly(st.sampled_from(values), _text)


_entry_dict = st.fixed_dictionaries(
    {
        "action": _vocab([a.value for a in Action]),
        "case_ref": _mostly(
            st.sampled_from(["A-1", "粤公刑〔2025〕0012345号", "𠀀号", "x" * 128]),
            st.one_of(
                st.sampled_from([" A", "A ", "案\u3000", "x" * 129, "A\x7f"]),
                st.text(st.characters(codec="utf-8"), min_size=0, max_size=130),
            ),
        ),
        "confidence": _mostly(st.integers(0, 100), st.one_of(st.integers(-2, 102), st.booleans())),
        "listed_at": _mostly(_real_stamp, st.one_of(_stamp, _text)),
        "reason": _vocab([r.value for r in Reason]),
        "source": _mostly(
            st.sampled_from(["mps", "gd.gat", "a_b-c"]), st.sampled_from(["MPS", "-x", ""])
        ),
        "tlp": _vocab([t.value for t in TLP]),
        "valid_from": _mostly(_real_stamp, _stamp),
    },
    optional={"valid_until": _mostly(_real_stamp, st.one_of(_stamp, st.none()))},
)
_key = st.one_of(
    st.sampled_from(_VALUES),
    st.tuples(st.sampled_from([k.value for k in IdentifierKind]), st.sampled_from(_VALUES)).map(
        lambda kv: (kv[0], kv[1][1])  # a value of another kind
    ),
    st.tuples(st.sampled_from([k.value for k in IdentifierKind] + ["phones"]), _text),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=_entry_dict, key=_mostly(st.sampled_from(_VALUES), _key))
def test_fast_entry_parser_is_the_strict_model(
    fields: dict[str, object], key: tuple[str, str]
) -> None:
    d = {**fields, "kind": key[0], "value": key[1]}
    _agrees(canonical.dumps(d))


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(_LINES),
    st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), min_size=1, max_size=3),
)
@example(_LINES[0], [(1, ord("{"))])
def test_fast_entry_parser_agrees_on_changed_bytes(
    line: bytes, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(line)
    for pos, byte in edits:
        data[pos % len(data)] = byte
    _agrees(bytes(data).replace(b"\n", b" "))


def test_every_realistic_line_is_decided_by_the_fast_parser() -> None:
    scanned = layout.scan_entry_lines(_LINES, MAX)
    for line, fast in zip(_LINES, scanned, strict=True):
        if b"\\" not in line:
            assert fast is not None and fast == _strict(line), line
            assert fast[0::2][:2] == layout.entry_key(line)
            assert layout.stored_line_key(line + b"\n") == layout.entry_key(line)


def test_a_line_longer_than_the_limit_is_left_to_the_strict_path() -> None:
    line = _LINES[0]
    assert layout.scan_entry_lines([line], len(line))[0] is not None
    assert layout.scan_entry_lines([line], len(line) - 1)[0] is None


_hmac = st.one_of(
    st.text("0123456789abcdef", min_size=64, max_size=64),
    st.text("0123456789abcdefABCDEF", min_size=63, max_size=65),
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=_entry_dict, kind=st.sampled_from([k.value for k in IdentifierKind]), mac=_hmac)
def test_fast_pseudonymised_parser_is_the_strict_model(
    fields: dict[str, object], kind: str, mac: str
) -> None:
    line = canonical.dumps({**fields, "kind": kind, "hmac": mac})
    fast = layout.scan_pseudonymised_lines([line], MAX)[0]
    strict = _strict(line, PseudonymisedEntry.from_dict)
    if fast is not None:
        assert fast == strict, line
    elif b"\\" not in line:
        assert strict is None, line


@given(st.sampled_from(_LINES), st.text(min_size=1, max_size=12))
def test_key_readers_agree_with_a_full_parse(line: bytes, value: str) -> None:
    d = json.loads(line)
    d["value"] = value  # any text, escapes included
    changed = canonical.dumps(d)
    want = (d["kind"].encode(), value.encode("utf-8", "surrogatepass"))
    assert layout.entry_key(changed) == want
    assert layout.stored_line_key(changed + b"\n") == want


def test_find_line_finds_only_the_line_of_its_key() -> None:
    run = b"".join(x + b"\n" for x in _LINES[:40])
    for line in _LINES[:40]:
        key = layout.entry_key(line)
        if layout.needs_escape(key[1]):
            continue
        start, end = layout.find_line(run, key) or (-1, -1)
        assert run[start:end] == line + b"\n"
        assert layout.find_line(run, (b"imei" if key[0] != b"imei" else b"phone", key[1])) is None
        assert layout.find_line(run, key, end) is None
