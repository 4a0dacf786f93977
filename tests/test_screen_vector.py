"""The columnar screening path (the ``vector`` extra) against the record-by-record reference.

The reference is ``Index.check`` on every cell; the columnar path must give the
same matches (line or row, column, canonical value, action) and the same counts
on clean, messy and Parquet files, on Arrow tables and DataFrames, and on cells
drawn by Hypothesis from the characters cleaning folds, deletes or refuses.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
np = pytest.importorskip("numpy")
pq = pytest.importorskip("pyarrow.parquet")

from antifraud_common.errors import ConfigurationError  # noqa: E402
from antifraud_common.index import Index, IndexRecord, _vector  # noqa: E402
from antifraud_common.index.screen import screen  # noqa: E402
from antifraud_common.models import Entry  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import _screen_data  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
KINDS = {"phone": "phone", "card": "bank_card"}
COLUMNS = ["phone", "card"]


def entry(kind: str, value: str, action: str, **kw: Any) -> Entry:
    return Entry(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref="T-1",
        confidence=80,
        tlp="amber",
        listed_at=T0,
        valid_from=kw.pop("valid_from", T0),
        **kw,
    )


def build(phones: list[str], cards: list[str]) -> Index:
    records = [IndexRecord("mps", "p", None, entry("phone", v, "block")) for v in phones]
    records += [IndexRecord("pboc", "c", None, entry("bank_card", v, "freeze")) for v in cards]
    return Index.build(records)


def reference_rows(rows: Iterator[tuple[int, dict[str, object]]], index: Index) -> dict[str, Any]:
    """Screen rows cell by cell with Index.check (the definition of a match)."""
    matches = []
    checked = 0
    empty = dict.fromkeys(COLUMNS, 0)
    invalid = dict.fromkeys(COLUMNS, 0)
    for line, row in rows:
        for column in COLUMNS:
            raw = row[column]
            if raw is None or raw == "":
                empty[column] += 1
                continue
            checked += 1
            r = index.check(raw, kind=KINDS[column], now=NOW)
            if not r.valid:
                invalid[column] += 1
            elif r.listed:
                assert r.action is not None
                matches.append((line, column, r.value, r.action.value))
    return {"matches": matches, "checked": checked, "empty": empty, "invalid": invalid}


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        for i, row in enumerate(reader):
            yield i + 2, row  # the generators write one record per line


def ours(records: object, index: Index, **kw: Any) -> dict[str, Any]:
    run = screen(records, COLUMNS, index, kinds=KINDS, now=NOW, **kw)
    matches = [(m.line, m.column, m.value, m.action.value) for m in run]
    s = run.summary
    return {
        "matches": matches,
        "checked": s.values_checked,
        "empty": dict(s.empty),
        "invalid": dict(s.invalid),
        "records": s.records,
        "bad_rows": s.bad_rows,
        "format": s.format,
    }


def same(got: dict[str, Any], want: dict[str, Any]) -> None:
    for key in ("matches", "checked", "empty", "invalid"):
        assert got[key] == want[key], key


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("screen-files")
    clean = d / "clean.csv"
    messy = d / "messy.csv"
    lp, lc = _screen_data.write_clean(clean, 3000, seed=3)
    mp, mc = _screen_data.write_messy(messy, 3000, seed=5, listed_share=0.05)
    _screen_data.write_parquet(messy, d / "messy.parquet")
    return {"dir": d, "clean": (clean, build(lp, lc)), "messy": (messy, build(mp, mc))}


@pytest.mark.parametrize("name", ["clean", "messy"])
def test_csv_files_match_the_reference(files: dict[str, Any], name: str) -> None:
    path, index = files[name]
    want = reference_rows(csv_rows(path), index)
    assert len(want["matches"]) > 30  # the file does exercise matching
    got = ours(path, index)
    assert got["format"] == "csv" and got["records"] == 3000 and got["bad_rows"] == 0
    same(got, want)
    same(ours(path, index, engine="python"), want)
    same(ours(path, index, engine="vector"), want)


def test_parquet_file_matches_the_reference(files: dict[str, Any]) -> None:
    csv_path, index = files["messy"]
    want = reference_rows(((line - 1, row) for line, row in csv_rows(csv_path)), index)
    got = ours(files["dir"] / "messy.parquet", index)
    assert got["format"] == "parquet" and got["records"] == 3000
    same(got, want)


def test_messy_file_is_mostly_decided_in_bulk(files: dict[str, Any]) -> None:
    # The shortcut must fire on messy data, not only on clean 11-digit mobiles.
    table = pq.read_table(files["dir"] / "messy.parquet")
    phones = table.column("phone").combine_chunks()
    at, _keys = _vector.decide_phones(phones)
    separated = [v for v in phones.to_pylist() if not (v.isascii() and v.isdigit())]
    assert len(separated) > 700
    assert len(at) > 0.85 * len(phones)


# ------------------------------------------------------------ Hypothesis: messy cells

BASES = ["+8613800138000", "+8618912345678", "+861064123456", "+8675512345678"]
CARDS = ["6222021123456789014", "4111111111111111", "6212261202000000015"]
PIECES = st.sampled_from(
    [
        *(" ", "-", ".", "(", ")", "/", "\u3000", "\u00a0", "\u200b", "\ufeff", "\u2013"),
        *("\u00ad", "O", "a", "e", "\u0663", "\u00b2", "\t", "'", "+", "\u200e", "\u2060"),
        "\uff0d",
    ]
)


def _fw(text: str) -> str:
    return text.translate(str.maketrans("0123456789+", "０１２３４５６７８９＋"))


@st.composite
def phone_cells(draw: st.DrawFn) -> str | None:
    if draw(st.integers(0, 20)) == 0:
        return draw(st.sampled_from([None, ""]))
    nsn = draw(st.sampled_from([b[3:] for b in BASES] + ["13800138", "1380013800012"]))
    prefix = draw(st.sampled_from(["", "", "+86", "0086", "86", "0", "00", "+1", "106", "+86 "]))
    digits = prefix + nsn
    if draw(st.booleans()):
        digits = digits[:-1] + draw(st.sampled_from("0123456789"))
    out = []
    for ch in digits:
        out.append(_fw(ch) if draw(st.integers(0, 9)) == 0 else ch)
        if draw(st.integers(0, 6)) == 0:
            out.append(draw(PIECES))
    return "".join(out)


@st.composite
def card_cells(draw: st.DrawFn) -> str | None:
    if draw(st.integers(0, 10)) == 0:
        return draw(st.sampled_from([None, ""]))
    number = draw(st.sampled_from(CARDS))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(number) - 1))
        number = number[:i] + draw(st.sampled_from("0123456789")) + number[i + 1 :]
    out = []
    for ch in number:
        out.append(_fw(ch) if draw(st.integers(0, 9)) == 0 else ch)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(PIECES))
    return "".join(out)


HYPO_INDEX = build([*BASES, "+868613800138000"], CARDS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    phones=st.lists(phone_cells(), min_size=1, max_size=60),
    cards=st.lists(card_cells(), min_size=1, max_size=60),
)
def test_messy_cells_equal_the_reference(phones: list[str | None], cards: list[str | None]) -> None:
    n = min(len(phones), len(cards))
    rows = [{"phone": phones[i], "card": cards[i]} for i in range(n)]
    table = pa.table({"phone": pa.array(phones[:n], pa.string()), "card": cards[:n]})
    want = reference_rows(enumerate(rows, start=1), HYPO_INDEX)
    same(ours(table, HYPO_INDEX), want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(phone_cells(), card_cells()), min_size=1, max_size=40))
def test_cleaning_table_is_the_validators_cleaning(cells: list[str | None]) -> None:
    from antifraud_common import _text
    from antifraud_common.models import IdentifierKind

    texts = [c for c in cells if c]
    if not texts:
        return
    arr = pa.array(texts, pa.string())
    for kind, seps in (
        (IdentifierKind.PHONE, _vector._separators(IdentifierKind.PHONE)),
        (IdentifierKind.BANK_CARD, _vector._separators(IdentifierKind.BANK_CARD)),
    ):
        for at, cleaned, _raw in _vector._cleaned(arr, kind):
            for i, text in zip(at.tolist(), cleaned.to_pylist(), strict=True):
                want = _text.clean(texts[i], separators=seps).text
                # A value keeping a non-ASCII character is left to the validator.
                if text.isascii():
                    assert text == want


# ------------------------------------------------------------ inputs and outputs


def small_index() -> Index:
    return build(["+8613800138000"], ["6222021123456789014"])


DATA = {
    "phone": ["138 0013 8000", "13900139000", None, "+86１３８００１３８０００", "x"],
    "card": ["", "6222 0211 2345 6789 014", "6222021123456789014", None, "4111111111111112"],
}
WANT = [
    (1, "phone", "+8613800138000", "block"),
    (2, "card", "6222021123456789014", "freeze"),
    (3, "card", "6222021123456789014", "freeze"),
    (4, "phone", "+8613800138000", "block"),
]


@pytest.mark.parametrize(
    "make",
    [
        lambda: pa.table(DATA),
        lambda: pa.table(DATA).to_batches()[0],
        lambda: pa.RecordBatchReader.from_batches(
            pa.table(DATA).schema, pa.table(DATA).to_batches()
        ),
        lambda: pa.table(
            {"phone": pa.array(DATA["phone"], pa.large_string()), "card": DATA["card"]}
        ),
        lambda: pa.table(
            {"phone": pa.array(DATA["phone"]).dictionary_encode(), "card": DATA["card"]}
        ),
    ],
    ids=["table", "batch", "reader", "large_string", "dictionary"],
)
def test_arrow_inputs(make: Any) -> None:
    got = ours(make(), small_index())
    assert got["format"] == "arrow" and got["records"] == 5
    assert got["matches"] == WANT
    assert got["invalid"] == {"phone": 1, "card": 1} and got["empty"] == {"phone": 1, "card": 2}


def test_pandas_dataframe() -> None:
    pd = pytest.importorskip("pandas")
    got = ours(pd.DataFrame(DATA), small_index())
    assert got["matches"] == WANT


def test_polars_dataframe() -> None:
    polars = pytest.importorskip("polars")
    assert ours(polars.DataFrame(DATA), small_index())["matches"] == WANT


def test_non_text_columns_are_invalid_not_guessed() -> None:
    # A phone stored as an integer is not a phone number string (as in JSON Lines).
    table = pa.table({"phone": [13800138000, None], "card": ["6222021123456789014", ""]})
    got = ours(table, small_index())
    assert got["matches"] == [(1, "card", "6222021123456789014", "freeze")]
    assert got["invalid"] == {"phone": 1, "card": 0}


def test_missing_column_and_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as e:
        screen(pa.table({"phone": ["1"]}), COLUMNS, small_index(), kinds=KINDS)
    assert e.value.code == "no_such_column"
    with pytest.raises(ConfigurationError) as e:
        screen(pa.table(DATA), COLUMNS, small_index(), kinds=KINDS, engine="python")
    assert e.value.code == "invalid_option"
    with pytest.raises(ConfigurationError) as e:
        screen(iter(["phone,card"]), COLUMNS, small_index(), format="parquet")
    assert e.value.code == "invalid_format_option"
    with pytest.raises(ConfigurationError) as e:
        screen(tmp_path / "nothing.parquet", COLUMNS, small_index(), kinds=KINDS)
    assert e.value.code == "unreadable"
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(ConfigurationError) as e:
        screen(tmp_path / "bad.parquet", COLUMNS, small_index(), kinds=KINDS)
    assert e.value.code == "unreadable"


def test_hive_partitioned_folder(tmp_path: Path) -> None:
    table = pa.table({**DATA, "day": ["2026-01-01"] * 3 + ["2026-01-02"] * 2})
    pq.write_to_dataset(table, tmp_path / "calls", partition_cols=["day"])
    got = ours(tmp_path / "calls", small_index())
    assert got["format"] == "parquet" and got["records"] == 5
    assert sorted(m[1:] for m in got["matches"]) == sorted(m[1:] for m in WANT)
    assert sorted(m[0] for m in got["matches"]) == [1, 2, 3, 4]


def test_auto_detected_column_in_a_table() -> None:
    run = screen(pa.table(DATA), ["phone"], small_index(), now=NOW)
    assert [(m.line, m.kind.value) for m in run] == [(1, "phone"), (4, "phone")]


def test_outputs_csv_and_parquet(tmp_path: Path) -> None:
    def run() -> Any:
        return screen(pa.table(DATA), COLUMNS, small_index(), kinds=KINDS, now=NOW)

    out = tmp_path / "m.csv"
    assert _vector.write_matches(run(), out, "csv") == 4
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert [(int(r["line"]), r["column"], r["value"], r["action"]) for r in rows] == [
        (1, "phone", "+8613800138000", "block"),
        (2, "card", "622202*********9014", "freeze"),
        (3, "card", "622202*********9014", "freeze"),
        (4, "phone", "+8613800138000", "block"),
    ]
    assert json.loads(rows[0]["matches"])[0]["issuer"] == "mps"
    out = tmp_path / "m.parquet"
    assert _vector.write_matches(run(), out, "parquet") == 4
    t = pq.read_table(out)
    assert t.column("line").to_pylist() == [1, 2, 3, 4]
    assert "6222021123456789014" not in str(t.to_pydict())
    sink = io.StringIO()
    assert _vector.write_matches(run(), sink, "jsonl") == 4
    assert json.loads(sink.getvalue().splitlines()[1])["value"] == "622202*********9014"


def test_csv_output_neutralises_formulas(tmp_path: Path) -> None:
    from antifraud_common.index.screen import ScreenMatch

    index = small_index()
    r = index.check_key("phone", "+8613800138000", now=NOW)
    m = ScreenMatch(line=1, column="=cmd|' /C calc'!A0", kind=r.kind, value=r.value, result=r)
    out = tmp_path / "m.csv"
    _vector.write_matches(iter([m]), out, "csv")
    row = next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert row["column"].startswith("'=") and row["value"] == "+8613800138000"


def test_cli_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from antifraud_common.cli import main

    index = small_index()
    index.save(tmp_path / "i.afidx")
    pq.write_table(pa.table(DATA), tmp_path / "r.parquet")
    base = ["screen", str(tmp_path / "r.parquet"), "--index", str(tmp_path / "i.afidx")]
    base += ["--column", "phone:phone", "--column", "card:card", "--now", "2026-06-01T00:00:00Z"]
    assert main([*base, "--out", str(tmp_path / "o.parquet")]) == 1
    assert pq.read_table(tmp_path / "o.parquet").num_rows == 4
    assert main([*base, "--out-format", "csv"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "line,column,kind,value,action,matches"
    assert len(out.splitlines()) == 5
    assert main([*base, "--out-format", "parquet"]) == 2


# ------------------------------------------------------------ CSV records and bad rows


@pytest.mark.parametrize(
    "text",
    [
        "id,phone,card\n1,13800138000,x\n2,139\n\n3,13800138000,y,z\n4,13800138000,\n\n",
        "\ufeffid,phone,card\r\n1,13800138000,x\r\n\r\n2,13800138000\r\n5,138 0013 8000,\r\n",
        "id,phone,card\n1,13800138000,6222021123456789014",
        "phone,card,id\n13800138000,,\n,,,\n,\n\n\n13800138000,6222021123456789014,1\n",
    ],
)
@pytest.mark.parametrize("step", [64 << 20, 1, 5, 7])
def test_plain_csv_bad_rows_and_lines_equal_the_text_path(
    tmp_path: Path, text: str, step: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_vector, "SCAN_STEP", step)  # blank lines found across scan blocks
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode())
    assert _vector.csv_plain(path, 1 << 20)[0]
    index = small_index()
    vector = screen(path, COLUMNS, index, kinds=KINDS, now=NOW, engine="vector")
    python = screen(path, COLUMNS, index, kinds=KINDS, now=NOW, engine="python")
    got = [m.to_dict() for m in vector]
    want = [m.to_dict() for m in python]
    assert got == want
    assert vector.summary.to_dict() == python.summary.to_dict()


def test_wrong_cell_counts_are_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,phone,card\n1,13800138000,,extra\n2,13800138000\n3,13800138000,\n")
    run = screen(path, COLUMNS, small_index(), kinds=KINDS, now=NOW)
    assert [m.line for m in run] == [4]
    s = run.summary
    assert s.records == 3 and s.bad_rows == 2 and s.values_checked == 1
    assert [b.to_dict() for b in s.bad_row_samples] == [
        {"line": 2, "reason": "wrong_cell_count", "detail": "4 cells, the header has 3"},
        {"line": 3, "reason": "wrong_cell_count", "detail": "2 cells, the header has 3"},
    ]


def test_one_column_csv_with_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("phone\n\n13800138000\n\n\n138 0013 8000\n")
    got = [(m.line, m.value) for m in screen(path, ["phone"], small_index(), kinds=KINDS, now=NOW)]
    assert got == [(3, "+8613800138000"), (6, "+8613800138000")]


def test_quoted_csv_takes_the_text_path(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('id,phone,card\n1,"138 0013\n8000",\n2,13800138000,\n')
    assert not _vector.csv_plain(path, 1 << 20)[0]
    with pytest.raises(ConfigurationError):
        screen(path, COLUMNS, small_index(), kinds=KINDS, engine="vector")
    run = screen(path, COLUMNS, small_index(), kinds=KINDS, now=NOW)
    assert [m.line for m in run] == [4]


def test_long_lines_and_special_files_take_the_text_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from antifraud_common.errors import BlacklistFormatError
    from antifraud_common.index import screen as screen_mod

    monkeypatch.setattr(screen_mod, "MAX_LINE_BYTES", 64)
    path = tmp_path / "r.csv"
    path.write_text("phone,card\n13800138000,\n" + "1" * 80 + ",\n")
    assert not _vector.csv_plain(path, 64)[0]
    assert _vector.csv_plain(path, 82)[0]
    run = screen(path, COLUMNS, small_index(), kinds=KINDS, now=NOW)
    with pytest.raises(BlacklistFormatError) as e:
        list(run)
    run.close()
    assert e.value.code == "record_too_long"
    path.write_text("phone,card\n13800138000,\n" + "1" * 80)  # no final line feed
    assert not _vector.csv_plain(path, 64)[0] and _vector.csv_plain(path, 80)[0]
    fifo = tmp_path / "calls.csv"
    os.mkfifo(fifo)
    with pytest.raises(ConfigurationError) as e:
        screen(fifo, COLUMNS, small_index(), kinds=KINDS)
    assert e.value.code == "unreadable"
    os.mkfifo(tmp_path / "calls.parquet")
    with pytest.raises(ConfigurationError) as e:
        screen(tmp_path / "calls.parquet", COLUMNS, small_index(), kinds=KINDS)
    assert e.value.code == "unreadable"


def test_undecodable_bytes_are_invalid_values(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"phone,card\n138\xff00138000,\n13800138000,\n")
    a = screen(path, COLUMNS, small_index(), kinds=KINDS, now=NOW, engine="vector")
    b = screen(path, COLUMNS, small_index(), kinds=KINDS, now=NOW, engine="python")
    assert [m.to_dict() for m in a] == [m.to_dict() for m in b]
    assert a.summary.to_dict() == b.summary.to_dict()
    assert a.summary.invalid["phone"] == 1


# ------------------------------------------------------------ the bulk probe


def test_probe_keys_equals_check_key(tmp_path: Path) -> None:
    index = build(
        ["+8613800138000", "+8613900139000", "+442079460958"],
        ["6222021123456789014", "4111111111111111"],
    )
    index.apply_changes("mps", "p", added=[entry("phone", "+8618912345678", "watch")])
    index.apply_changes("mps", "p", removed=[("phone", "+8613900139000")])
    index.save(tmp_path / "i.afidx")
    for ix in (index, Index.open(tmp_path / "i.afidx")):
        phones = [8613800138000, 8613900139000, 442079460958, 8618912345678, 8613700137000]
        cards = [6222021123456789014, 4111111111111111, 4111111111111112]
        for kind, keys, prefix in (("phone", phones, "+"), ("bank_card", cards, "")):
            want = [
                (j, ix.check_key(kind, f"{prefix}{k}", now=NOW))
                for j, k in enumerate(keys)
                if ix.check_key(kind, f"{prefix}{k}", now=NOW).listed
            ]
            for got in (
                ix.probe_keys(kind, keys, now=NOW),
                ix.probe_keys(kind, np.array(keys, dtype=np.uint64), now=NOW),
            ):
                listed = [(j, r) for j, r in got if r.listed]
                assert [(j, r.value, r.action) for j, r in listed] == [
                    (j, r.value, r.action) for j, r in want
                ]
                assert [m.to_dict() for _, r in listed for m in r.matches] == [
                    m.to_dict() for _, r in want for m in r.matches
                ]
    with pytest.raises(ConfigurationError):
        index.probe_keys("phone", [0])
    with pytest.raises(ConfigurationError):
        index.probe_keys("bank_card", np.array([10**19], dtype=np.uint64))
    with pytest.raises(ConfigurationError):
        index.probe_keys("iccid", [1])


def test_find_rows_on_random_keys() -> None:
    rng = np.random.default_rng(5)
    values = sorted({int(x) for x in rng.integers(13_000_000_000, 19_999_999_999, 5000)})
    index = build([f"+86{v}" for v in values], [])
    t = index._tables[0]
    queries = np.array([86 * 10**11 + v for v in values[:50]] + [8613000000001], np.uint64)
    from antifraud_common.index._keys import MIX

    with np.errstate(over="ignore"):
        rows = _vector.find_rows(t, queries * np.uint64(MIX))
    assert (rows[:50] >= 0).all() and rows[50] == -1
    assert all(
        t.keys[int(r)] == int(q) * MIX % 2**64 for r, q in zip(rows[:50], queries, strict=False)
    )


# ------------------------------------------------------------ without the extra


def test_without_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert not _vector.available()
    path = tmp_path / "r.csv"
    path.write_text("phone,card\n138 0013 8000,\n13800138000,6222021123456789014\n")
    run = screen(path, COLUMNS, small_index(), kinds=KINDS, now=NOW)
    assert [(m.line, m.column) for m in run] == [(2, "phone"), (3, "phone"), (3, "card")]
    assert run.summary.format == "csv"
    (tmp_path / "r.parquet").write_bytes(b"PAR1")
    with pytest.raises(ConfigurationError) as e:
        screen(tmp_path / "r.parquet", COLUMNS, small_index(), kinds=KINDS)
    assert e.value.code == "missing_extra"
    with pytest.raises(ConfigurationError) as e:
        screen(path, COLUMNS, small_index(), kinds=KINDS, engine="vector")
    assert e.value.code == "missing_extra"
    index = small_index()
    assert [j for j, r in index.probe_keys("phone", [8613800138000, 1], now=NOW)] == [0]
