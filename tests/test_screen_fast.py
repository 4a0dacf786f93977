"""screen()'s block-parsed CSV and bulk shortcuts against a plain reference.

The reference reads the CSV with one ``csv.reader`` record by record (line
numbers from ``reader.line_num``), cuts chunks by the same rule and checks every
value with the public ``Index.check``. ``screen()`` must agree on everything: the
matches, every count and every sample, in order -- on inputs made to hit quoted
line breaks, syntax errors, blank lines, short rows and chunk boundaries.
"""

from __future__ import annotations

import csv
import io
import random
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antifraud_common import card, phone
from antifraud_common.errors import ConfigurationError
from antifraud_common.index import Index, _bulk
from antifraud_common.index import screen as screen_mod
from antifraud_common.index.screen import screen
from antifraud_common.models import Entry, IdentifierKind

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
LISTED_PHONES = ["+8613800138000", "+8613900139000", "+8618912345678"]
LISTED_CARDS = ["6222021123456789014", "4111111111111111"]


def _entry(value: str, kind: str, action: str) -> Entry:
    return Entry(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref="A-1",
        confidence=90,
        tlp="amber",
        listed_at=T0,
        valid_from=T0,
    )


@pytest.fixture(scope="module")
def index() -> Index:
    return Index.build(
        [("mps", "p", None, _entry(v, "phone", "block")) for v in LISTED_PHONES]
        + [("pboc", "c", None, _entry(v, "bank_card", "freeze")) for v in LISTED_CARDS]
    )


KINDS = {"phone": "phone", "card": "bank_card"}


def reference(
    lines: Iterable[str], columns: Sequence[str], index: Index, chunk: int
) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Screen ``lines`` (CSV) the slow, obvious way."""
    reader = csv.reader(iter(lines), strict=True)
    header = next(reader)
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    wanted = [header.index(c) for c in columns]
    width = len(header)
    items: list[tuple[int, list[str] | None, str]] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            line = reader.line_num
            items.append((start, None, str(e)))
            continue
        line = reader.line_num
        if not row:
            continue
        if len(row) != width:
            # Any other cell count than the header's: a bad row, never read.
            items.append((start, [], f"{len(row)} cells, the header has {width}"))
            continue
        items.append((start, [row[p] for p in wanted], ""))
    s: dict[str, Any] = {
        "records": 0,
        "values_checked": 0,
        "listed_values": 0,
        "empty": dict.fromkeys(columns, 0),
        "invalid": dict.fromkeys(columns, 0),
        "bad_rows": 0,
        "bad_row_samples": [],
        "invalid_samples": [],
    }
    matches: list[tuple[Any, ...]] = []
    good: list[tuple[int, list[str]]] = []

    def flush() -> None:
        for c, column in enumerate(columns):
            for ln, row in good:
                raw = row[c]
                if raw == "":
                    s["empty"][column] += 1
                    continue
                s["values_checked"] += 1
                r = index.check(raw, kind=KINDS[column], now=NOW)
                if not r.valid:
                    s["invalid"][column] += 1
                    s["invalid_samples"].append(
                        {"line": ln, "column": column, "code": r.error or "invalid"}
                    )
                elif r.listed:
                    assert r.action is not None
                    s["listed_values"] += 1
                    matches.append((ln, c, column, r.value, r.action.value))
        good.clear()

    read = 0
    for ln, row, problem in items:
        read += 1
        s["records"] += 1
        if row is None or problem:
            s["bad_rows"] += 1
            reason = "unparseable" if row is None else "wrong_cell_count"
            s["bad_row_samples"].append({"line": ln, "reason": reason, "detail": problem})
        else:
            good.append((ln, row))
        if read >= chunk:  # bad rows count towards a chunk: they are never buffered whole
            flush()
            read = 0
    flush()
    for key in ("bad_row_samples", "invalid_samples"):
        del s[key][screen_mod.SAMPLE_LIMIT :]
    matches.sort()
    return [(m[0], m[2], m[3], m[4]) for m in matches], s


def ours(
    lines: Iterable[str] | Path, columns: Sequence[str], index: Index, engine: str = "auto"
) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    run = screen(lines, columns, index, kinds=KINDS, now=NOW, format="csv", engine=engine)
    found = [(m.line, m.column, m.value, m.action.value) for m in run]
    d = run.summary.to_dict()
    for key in ("format", "matches_by_action"):
        del d[key]
    return found, d


def unordered(result: tuple[list[tuple[Any, ...]], dict[str, Any]]) -> Any:
    """The columnar path takes whole Arrow batches: its samples come in another order."""
    found, d = result
    return found, {**d, "invalid_samples": sorted(d["invalid_samples"], key=repr)}


FIELDS = [
    "13800138000",
    "13900139000",
    "18912345678",
    "138 0013 8000",
    "139-0013-9000",
    "(189) 1234 5678",
    "+8613800138000",
    "0086 138 0013 8000",
    "013800138000",
    "1380013800.0",
    "10655",
    "12",
    "95588",
    "14012345678",
    "１３８００１３８０００",
    "",
    "abc",
    "6222021123456789014",
    "6222 0211 2345 6789 014",
    "4111111111111111",
    "4111111111111112",
    "8911111111111111116",
    "0000000000000",
    '"13800138000"',
    '"quoted, comma"',
    '"a\nquoted line break"',
    '"unterminated',
    '"bad"x',
    "x",
]
field_st = st.sampled_from(FIELDS) | st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
row_st = st.lists(field_st, min_size=0, max_size=4).map(",".join)
text_st = st.tuples(
    st.lists(row_st, max_size=14), st.sampled_from(["\n", "\r\n"]), st.booleans()
).map(lambda t: "\ufeffid,phone,card\n" * t[2] + "phone,card\n" * (not t[2]) + t[1].join(t[0]))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=text_st, chunk=st.sampled_from([1, 2, 3, 5, 2048]))
def test_screen_equals_the_reference(
    text: str, chunk: int, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screen_mod, "_CHUNK", chunk)
    expected = reference(io.StringIO(text, newline=""), ["phone", "card"], index, chunk)
    assert ours(io.StringIO(text, newline=""), ["phone", "card"], index) == expected
    assert ours(text.splitlines(keepends=True), ["phone", "card"], index) == expected
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.csv"
        path.write_text(text, encoding="utf-8", newline="")
        assert ours(path, ["phone", "card"], index, "python") == expected
        assert unordered(ours(path, ["phone", "card"], index)) == unordered(expected)
        # Columns in another order than in the header.
        swapped = reference(io.StringIO(text, newline=""), ["card", "phone"], index, chunk)
        assert ours(path, ["card", "phone"], index, "python") == swapped
        assert unordered(ours(path, ["card", "phone"], index)) == unordered(swapped)


def test_large_input_with_irregular_rows_across_blocks(index: Index) -> None:
    rnd = random.Random(5)
    lines = ["id,phone,card\n"]
    for i in range(9000):
        pick = rnd.random()
        if pick < 0.001:
            lines.append(f'{i},"13800138000\n",x\n')  # a quoted line break
        elif pick < 0.002:
            lines.append("\n")
        elif pick < 0.003:
            lines.append(f"{i}\n")  # short row
        elif pick < 0.004:
            lines.append(f'{i},"bad"x,1\n')  # a syntax error
        else:
            lines.append(f"{i},{rnd.choice(FIELDS[:14])},{rnd.choice(FIELDS[16:23])}\n")
    # A quoted field open across the end of the first block of lines.
    lines[2048] = '9,"13900139000\n'
    lines[2049] = '",4111111111111111\n'
    expected = reference(lines, ["phone", "card"], index, 2048)
    assert ours(lines, ["phone", "card"], index) == expected
    assert expected[1]["bad_rows"] > 10
    assert expected[0]


def test_records_that_end_inside_a_quoted_field(index: Index) -> None:
    text = 'phone,card\n13800138000,\n"13900139000,\n'
    expected = reference(io.StringIO(text), ["phone", "card"], index, 2048)
    assert ours(io.StringIO(text), ["phone", "card"], index) == expected
    assert expected[1]["bad_row_samples"][0]["reason"] == "unparseable"


def test_input_without_records(index: Index) -> None:
    for text in ("phone,card\n", "phone,card\n\n\n", "phone,card"):
        found, s = ours(io.StringIO(text), ["phone", "card"], index)
        assert found == [] and s["records"] == 0


def test_the_file_is_closed_at_the_end(tmp_path: Path, index: Index) -> None:
    path = tmp_path / "r.csv"
    path.write_text("phone\n13800138000\n", encoding="utf-8")
    run = screen(path, ["phone"], index, kinds=KINDS, now=NOW)
    assert [m.line for m in run] == [2]
    assert run._closer is None


def test_other_regions_and_an_unknown_region(index: Index) -> None:
    data = "phone\n020 7946 0958\n\n"
    run = screen(io.StringIO(data), ["phone"], index, kinds=KINDS, region="GB", now=NOW)
    assert list(run) == [] and run.summary.values_checked == 1
    assert run.summary.invalid == {"phone": 0}
    for text in ('phone\n""\n', "phone\n13800138000\n"):
        run = screen(io.StringIO(text), ["phone"], index, kinds=KINDS, region="XX", now=NOW)
        with pytest.raises(ConfigurationError) as e:
            list(run)
        assert e.value.code == "unknown_region"


# --------------------------------------------------- phone shortcut = validator

mobile_st = st.from_regex(r"1[0-9]{10}", fullmatch=True)
spaced_st = st.builds(
    lambda d, seps: "".join(ch + sep for ch, sep in zip(d, seps, strict=False)),
    st.from_regex(r"[01][0-9]{10}", fullmatch=True),
    st.lists(st.sampled_from(["", "", " ", "-", ".", "(", ")", "/", "\u2013"]), min_size=11),
)


def expected_verdict(validate: Any, raw: object) -> tuple[str | None, str | None]:
    try:
        return validate(raw), None
    except Exception as e:
        return None, e.code  # type: ignore[attr-defined]


def got_verdicts(kind: IdentifierKind, raws: list[object]) -> list[tuple[str | None, str | None]]:
    good_at, good, bad, empty = _bulk.scan(kind, raws)
    out: list[tuple[str | None, str | None]] = [(None, "") for _ in raws]
    for i, v in zip(good_at, good, strict=True):
        out[i] = (v, None)
    for i, code in bad:
        out[i] = (None, code)
    assert sorted([*good_at, *(i for i, _ in bad)]) == [
        i for i, r in enumerate(raws) if r is not None and r != ""
    ]
    assert empty == sum(1 for r in raws if r is None or r == "")
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(mobile_st | spaced_st | st.text(max_size=16) | st.none(), max_size=25))
def test_phone_scan_equals_the_validator(raws: list[object]) -> None:
    got = got_verdicts(IdentifierKind.PHONE, raws)
    for raw, verdict in zip(raws, got, strict=True):
        if raw is None or raw == "":
            continue
        assert verdict == expected_verdict(phone.validate, raw), raw


def test_every_accepted_prefix_is_valid_in_the_number_plan() -> None:
    """Each five-digit prefix the shortcut accepts: random numbers agree with the general path."""
    rnd = random.Random(11)
    accepted = 0
    for p in range(10_000, 100_000):
        prefix = str(p)
        if not _bulk._mobile_prefix_ok(prefix + "000000"):
            continue
        accepted += 1
        tail = f"{rnd.randrange(10**6):06d}"
        for national in (prefix + tail, prefix + tail[::-1]):
            general = phone._analyse(national, "CN").value
            assert phone.validate(national) == general == "+86" + national, national
    # The mainland mobile ranges: thousands of prefixes.
    assert accepted > 3000


def test_prefixes_the_shortcut_never_takes() -> None:
    for nsn in ("01380013800", "10655012345", "14012345678", "12345678901"):
        assert not _bulk._mobile_prefix_ok(nsn)
    assert _bulk._PHONE_MAX_INPUT == phone.MAX_INPUT_LENGTH


# ---------------------------------------------------- card shortcut = validator


def with_luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body + "0")):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


card_st = st.from_regex(r"[0-9]{11,18}", fullmatch=True).map(with_luhn)


@settings(max_examples=150, deadline=None)
@given(st.lists(card_st | st.from_regex(r"[0-9 -]{0,22}", fullmatch=True), max_size=20))
def test_card_scan_equals_the_validator(raws: list[object]) -> None:
    for _ in range(2):  # the second pass reads the prefix cache
        got = got_verdicts(IdentifierKind.BANK_CARD, raws)
        for raw, verdict in zip(raws, got, strict=True):
            if raw == "":
                continue
            assert verdict == expected_verdict(card.validate, raw), raw


def test_card_verdict_is_decided_by_six_digits_and_length() -> None:
    """Valid and invalid prefixes alike: numbers sharing (6 digits, length) share the verdict."""
    assert max(card._IIN_WIDTHS) <= 6
    assert (card.MIN_LENGTH, card.MAX_LENGTH) == (_bulk._CARD_MIN, _bulk._CARD_MAX)
    rnd = random.Random(3)
    for _ in range(400):
        prefix = f"{rnd.randrange(10**6):06d}"
        n = rnd.randrange(12, 20)
        numbers = [
            with_luhn(prefix + "".join(rnd.choice("0123456789") for _ in range(n - 7)))
            for _ in range(4)
        ]
        numbers = [x for x in numbers if x.count(x[0]) != n]
        verdicts = {card.is_valid(x) for x in numbers}
        assert len(verdicts) <= 1, numbers
        got = got_verdicts(IdentifierKind.BANK_CARD, list(numbers))
        assert [v is not None for v, _ in got] == [card.is_valid(x) for x in numbers]


def test_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_bulk, "CACHE_LIMIT", 50)
    rnd = random.Random(9)
    numbers = [with_luhn(f"{rnd.randrange(10**17):017d}") for _ in range(500)]
    got = got_verdicts(IdentifierKind.BANK_CARD, list(numbers))
    assert [v for v, _ in got] == [x if card.is_valid(x) else None for x in numbers]
    assert len(_bulk._CARD_OK[18]) <= 50
    assert len(_bulk._MOBILE_OK) <= 100_000


def test_items_the_csv_reader_refuses_are_each_a_bad_row(index: Index) -> None:
    # A reader refusing a non-string item does not advance its line count, so two
    # such records start on the same line: both must still be reported.
    lines: list[Any] = ["id,phone\n", b"1,13800138000\n", b"2,13900139000\n", '3,"a"b\n']
    lines += ["4,13800138000\n"]
    s = screen(lines, ["phone"], index, kinds={"phone": "phone"}, format="csv", now=NOW)
    list(s)
    samples = [(b.line, b.reason) for b in s.summary.bad_row_samples]
    assert s.summary.records == 4
    assert s.summary.bad_rows == 3
    # The line numbers are those one reader over the whole input gives.
    assert samples == [(2, "unparseable")] * 3
    _, expected = reference(lines, ["phone"], index, 2048)
    assert [(b["line"], b["reason"]) for b in expected["bad_row_samples"]] == samples
    assert "strings" in s.summary.bad_row_samples[0].detail
    assert "expected" in s.summary.bad_row_samples[2].detail


def test_an_empty_first_item_is_an_empty_header(index: Index) -> None:
    with pytest.raises(ConfigurationError) as e:
        list(screen(["", "id,phone\n", "1,13800138000\n"], ["phone"], index, now=NOW))
    assert e.value.code == "no_such_column"
    with pytest.raises(ConfigurationError) as e:
        list(screen([b"id,phone\n"], ["phone"], index, now=NOW))  # type: ignore[list-item]
    assert e.value.code == "bad_header"
