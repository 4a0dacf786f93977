"""Columnar screening builds each match when it is taken and cleans on the UTF-8 bytes.

A batch keeps its matches as plain values (lines, column numbers, canonical values,
the table rows of common hits) and builds the ScreenMatch -- and, for a common hit,
its CheckResult -- when the match is taken. Whatever the batch size, the columns
(named kinds and auto-detected ones) and the state of the listed rows, the matches,
their results and the counts must be those of the record-by-record path.

Cleaning looks each character up in the per-character table by its code point in the
UTF-8 bytes; the cleaned text must be the shared cleaning rules' own, and a malformed
sequence must leave its value to the validator.
"""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
np = pytest.importorskip("numpy")

from antifraud_common import _text  # noqa: E402
from antifraud_common.index import Index, IndexRecord, _vector  # noqa: E402
from antifraud_common.index.screen import ScreenMatch, screen  # noqa: E402
from antifraud_common.models import Entry, IdentifierKind  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))

from _entry_kit import listed  # noqa: E402

NOW = datetime(2026, 6, 1, tzinfo=UTC)
COLUMNS = ["phone", "card", "other", "phone2"]
KINDS = {"phone": "phone", "card": "bank_card", "phone2": "phone"}  # "other": detected


def _entry(kind: str, value: str, action: str, **times: datetime) -> Entry:
    return listed(kind, value, action, **times)


def _index(pending: bool) -> Index:
    day = timedelta(days=1)
    records = [
        IndexRecord("mps", "p", None, _entry("phone", "+8613800000001", "block")),  # plain hit
        IndexRecord("mps", "p", None, _entry("phone", "+8613800000002", "watch")),
        IndexRecord(  # not yet valid: ignored
            "mps", "p", None, _entry("phone", "+8613800000003", "block", valid_from=NOW + day)
        ),
        IndexRecord(  # validity ended: ignored
            "mps", "p", None, _entry("phone", "+8613800000004", "hold", valid_until=NOW - day)
        ),
        IndexRecord(  # in force until tomorrow
            "mps", "p", None, _entry("phone", "+8613800000005", "hold", valid_until=NOW + day)
        ),
        IndexRecord("mps", "old", NOW - day, _entry("phone", "+8613800000006", "block")),
        IndexRecord("mps", "p", None, _entry("phone", "+8613800000007", "block")),  # two rows
        IndexRecord("bank", "b", None, _entry("phone", "+8613800000007", "freeze")),
        IndexRecord("pboc", "c", None, _entry("bank_card", "6222021123456789014", "freeze")),
        IndexRecord("pboc", "c", None, _entry("bank_card", "4111111111111111", "watch")),
    ]
    index = Index.build(records)
    if pending:
        index.apply_changes(
            "mps",
            "p",
            added=[_entry("phone", "+8613900000009", "hold")],
            removed=[("phone", "+8613800000002")],
        )
    return index


PHONES = [
    "13800000001",
    "138 0000 0002",
    "+86 138-0000-0003",
    "008613800000004",
    "\uff11\uff13\uff18\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff15",  # full-width
    "13800000006",
    "(138)0000-0007",
    "13900000009",
    "13800000008",  # not listed
    "12345",  # invalid
    "",
]
CARDS = ["6222021123456789014", "4111 1111 1111 1111", "6222021123456789015", "", "x"]
OTHER = ["13800000007", "6222021123456789014", "", "not a number", "+8613800000001"]


def _rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        quiet = 30 <= i < 50  # a stretch of batches without matches
        rows.append(
            [
                str(i),
                "13800000008" if quiet else PHONES[i % len(PHONES)],
                "" if quiet else CARDS[i % len(CARDS)],
                "" if quiet else OTHER[(i // 2) % len(OTHER)],
                "" if quiet else PHONES[(i * 3 + 1) % len(PHONES)],
            ]
        )
    return rows


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", *COLUMNS])
        w.writerows(rows)


def _counts(run: Any) -> dict[str, Any]:
    d = run.summary.to_dict()
    return {k: d[k] for k in ("records", "values_checked", "listed_values", "empty", "invalid")} | {
        "by_action": d["matches_by_action"]
    }


@pytest.mark.parametrize("pending", [False, True])
@pytest.mark.parametrize("batch", [1, 7, 64, 65_536])
def test_lazy_matches_equal_the_text_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pending: bool, batch: int
) -> None:
    monkeypatch.setattr(_vector, "BATCH_ROWS", batch)
    index = _index(pending)
    rows = _rows(71)  # the last batch of 7 has one row, and a match
    path = tmp_path / "r.csv"
    _write(path, rows)
    python = screen(path, COLUMNS, index, kinds=KINDS, now=NOW, engine="python")
    want = list(python)
    assert len(want) > 40
    assert {m.column for m in want} == set(COLUMNS)
    assert {m.action.value for m in want} == {"block", "watch", "hold", "freeze"}
    # Rows of an Arrow table, numbered from 1 (the CSV file's lines: from 2).
    table = pa.table({c: [r[i + 1] for r in rows] for i, c in enumerate(COLUMNS)})
    vector = screen(table, COLUMNS, index, kinds=KINDS, now=NOW, engine="vector")
    got = list(vector)
    assert got == [attrs.evolve(m, line=m.line - 1) for m in want]
    assert [m.result.matches for m in got] == [m.result.matches for m in want]
    assert [m.result.ignored for m in got] == [m.result.ignored for m in want]
    assert [m.to_dict() for m in got] == [m.to_dict() | {"line": m.line - 1} for m in want]
    assert _counts(vector) == _counts(python)
    assert next(vector, None) is None  # exhausted stays exhausted
    csv_run = screen(path, COLUMNS, index, kinds=KINDS, now=NOW, engine="vector")
    assert list(csv_run) == want
    assert csv_run.summary.to_dict() == python.summary.to_dict()


def test_a_taken_match_is_built_from_the_index_as_it_was(tmp_path: Path) -> None:
    """Matches taken after the index changed keep the results of the time of the batch."""
    index = _index(False)
    rows = _rows(11)
    path = tmp_path / "r.csv"
    _write(path, rows)
    want = list(screen(path, COLUMNS, index, kinds=KINDS, now=NOW, engine="python"))
    run = screen(path, COLUMNS, index, kinds=KINDS, now=NOW, engine="vector")
    first = next(run)
    index.apply_changes("mps", "p", removed=[("phone", "+8613800000001")])
    index.apply_changes("mps", "p", added=[_entry("phone", "+8613800000002", "freeze")])
    index.compact()
    rest: list[ScreenMatch] = list(run)
    assert [first, *rest] == want


# ------------------------------------------------------------ cleaning on the UTF-8 bytes

# The characters the table decides, and some it does not (CJK, an emoji, NUL, Latin-1).
CHARS = st.sampled_from(_vector._ALPHABET + "\u4e2d\u6587\U0001f600\0\u00e9\u0101\uffff")


def _reference(value: str, kind: IdentifierKind) -> str | None:
    """The cleaned text by the shared cleaning rules, one character at a time."""
    if any(ch not in _vector._ALPHABET for ch in value):
        return None
    out = []
    for ch in value:
        cleaned = _text.clean(ch, separators=_vector._separators(kind)).text
        if len(cleaned) > 1 or not cleaned.isascii() or cleaned == "\0":
            return None
        out.append(cleaned)
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(CHARS, min_size=1, max_size=20), min_size=1, max_size=30))
def test_cleaning_on_bytes_applies_the_table(values: list[str]) -> None:
    for kind in (IdentifierKind.PHONE, IdentifierKind.BANK_CARD):
        arr = pa.array(values, type=pa.string())
        for sub in (arr, arr.slice(1)):  # an offset into the buffers, too
            good, text = _vector._clean_codes(sub, _vector.char_table(kind))
            got = text.to_pylist()
            for j, v in enumerate(sub.to_pylist()):
                want = _reference(v, kind)
                assert bool(good[j]) is (want is not None), v
                if want is not None:
                    assert got[j] == want, v


@pytest.mark.parametrize(
    "bad",
    [
        b"\xc0\xb1",  # overlong "1"
        b"\xe0\x80\xb1",  # overlong "1", three bytes
        b"\x81",  # a lone continuation byte
        b"\xef\xbc",  # truncated
        b"\xed\xa0\x80",  # a surrogate
        b"\xf4\x90\x80\x80",  # past U+10FFFF
        b"\xf8\x88\x80\x80",  # no such lead
        b"1\xef\xbc\x91\xbc",  # a full-width "1", then a stray byte
    ],
)
def test_malformed_utf8_is_not_decided(bad: bytes) -> None:
    values = [b"138 0013 8000", b"1" + bad + b"38", b"\xef\xbc\x91", b"(0)"]
    data = b"".join(values)
    ends = np.cumsum([0] + [len(v) for v in values]).astype(np.int32)
    arr = pa.Array.from_buffers(
        pa.string(), len(values), [None, pa.py_buffer(ends.tobytes()), pa.py_buffer(data)]
    )
    good, text = _vector._clean_codes(arr, _vector.char_table(IdentifierKind.PHONE))
    assert not good[1]
    assert good[0] and good[3]
    assert text[0].as_py() == "13800138000" and text[3].as_py() == "0"


def test_new_match_is_the_constructors_match() -> None:
    from antifraud_common.index._screening import new_match

    for field in attrs.fields(ScreenMatch):
        assert field.default is attrs.NOTHING
        assert field.validator is None and field.converter is None
    r = _index(False).check_key("phone", "+8613800000001", now=NOW)
    a = new_match(3, "phone", r.kind, "+8613800000001", r)
    b = ScreenMatch(line=3, column="phone", kind=r.kind, value="+8613800000001", result=r)
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)
    assert attrs.asdict(a, recurse=False) == attrs.asdict(b, recurse=False)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.line = 4  # type: ignore[misc]
