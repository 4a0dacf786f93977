"""screen_calls and ``antifraud screen-calls``: streaming, bad rows, summary, exit codes."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from antifraud_common import cli
from antifraud_common.callerid import CallChecker, CallerRanges, check_call
from antifraud_common.callerid.screen import MAX_LINE_BYTES, CallSummary, screen_calls
from antifraud_common.errors import ConfigurationError
from antifraud_common.format.canonical import dumps as canonical_json
from antifraud_common.models import Entry

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = "id,caller,callee,via,trunk\n"
ROWS = [
    "1,+8613800138000,+8613900139000,interconnect,t1",  # allow
    "2,+8613800138000,+8613900139000,international,gw",  # block
    "3,95588,110,interconnect,t2",  # flag: emergency call
    "4,x,y",  # wrong_cell_count
    "5,+8613800138000,,voip,t1",  # missing_cell
    "6,+8613800138000,+8613900139000,satellite,t1",  # bad_ingress
    "7,400-123-4567,139 0013 9000,Private-Line,t9",  # block
    "",  # blank: not a record
    "8,+8613900139000,+8613900139000,INTERCONNECT,t1",  # withhold
]


def calls_csv(tmp_path: Path, rows: list[str] = ROWS) -> Path:
    p = tmp_path / "calls.csv"
    p.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_csv_findings_and_summary(tmp_path: Path) -> None:
    run = screen_calls(
        calls_csv(tmp_path), calling="caller", called="callee", ingress="via", trunk="trunk"
    )
    found = [(f.line, f.verdict.action.value, f.verdict.rule_ids) for f in run]
    assert found == [
        (3, "block", ("international_domestic_cli",)),
        (4, "flag", ("protected_unauthorised",)),
        (8, "block", ("cli_inbound_only",)),
        (10, "withhold", ("cli_equals_called",)),
    ]
    s = run.summary
    assert (s.records, s.checked, s.flagged, s.bad_rows, s.emergency_calls) == (8, 5, 4, 3, 1)
    assert s.by_action == {"allow": 1, "flag": 1, "withhold": 1, "block": 2}
    assert s.by_rule["international_domestic_cli"] == 1 and s.by_rule["cli_malformed"] == 0
    assert [(b.line, b.reason) for b in s.bad_row_samples] == [
        (5, "wrong_cell_count"),
        (6, "missing_cell"),
        (7, "bad_ingress"),
    ]
    assert s.skipped == ("dno_listed", "blacklisted", "range_unauthorised")
    assert not s.ok and s.plan_version == 1
    json.dumps(s.to_dict())


def test_findings_equal_check_call(tmp_path: Path) -> None:
    checker = CallChecker(dno={"+8613800138000"})
    run = screen_calls(
        calls_csv(tmp_path), calling="caller", called="callee", ingress="via", checker=checker
    )
    for f in run:
        v = f.verdict
        again = check_call(
            v.calling or "", v.called or "", ingress=v.ingress, dno={"+8613800138000"}
        )
        assert f.verdict.rule_ids == again.rule_ids and f.verdict.action is again.action


def test_jsonl_input_and_bad_rows() -> None:
    lines = [
        json.dumps({"a": "+8613800138000", "b": "+8613900139000", "i": "international"}),
        "{not json",
        "[1, 2]",
        json.dumps({"a": "+8613800138000", "b": "+8613900139000"}),
        json.dumps({"a": 13800138000, "b": "+8613900139000", "i": "subscriber"}),
        "",
        json.dumps({"a": "+86 106 9012 3456", "b": "+8613900139000", "i": "subscriber"}),
    ]
    run = screen_calls(iter(x + "\n" for x in lines), calling="a", called="b", ingress="i")
    assert [f.line for f in run] == [1, 7]
    s = run.summary
    assert s.format == "jsonl" and s.records == 6 and s.checked == 2
    assert s.bad_rows_by_reason["unparseable"] == 2
    assert s.bad_rows_by_reason["missing_column"] == 1
    assert s.bad_rows_by_reason["not_a_string"] == 1


def test_long_lines_and_broken_csv_are_bad_rows(tmp_path: Path) -> None:
    p = tmp_path / "calls.csv"
    with p.open("w", encoding="utf-8") as f:
        f.write("\ufeffcaller,callee,via\n")
        f.write("+8613800138000," + "1" * (MAX_LINE_BYTES * 3) + ",voip\n")
        f.write('"+8613800138000,"x"y,voip\n')
        f.write("+8613800138000,+8613900139000,international\n")
    run = screen_calls(p, calling="caller", called="callee", ingress="via")
    assert [f.line for f in run] == [4]
    s = run.summary
    assert s.bad_rows == 2 and s.bad_rows_by_reason["unparseable"] == 2


def test_bad_options(tmp_path: Path) -> None:
    p = calls_csv(tmp_path)
    with pytest.raises(ConfigurationError) as e:
        screen_calls(p, calling="nope", called="callee", ingress="via")
    assert e.value.code == "no_such_column"
    with pytest.raises(ConfigurationError):
        screen_calls(p, calling="caller", called="callee", ingress="via", format="xml")
    with pytest.raises(ConfigurationError):
        screen_calls(
            p,
            calling="caller",
            called="callee",
            ingress="via",
            ranges={"t1": CallerRanges.of(["+86"])},
        )
    with pytest.raises(ConfigurationError) as e:
        screen_calls(tmp_path / "missing.csv", calling="a", called="b", ingress="c")
    assert e.value.code == "unreadable"
    assert screen_calls(io.StringIO(""), calling="a", called="b", ingress="c").summary.records == 0


def test_ranges_per_trunk(tmp_path: Path) -> None:
    rows = [
        "1,+861062345678,+8613900139000,private_line,pl1",
        "2,+861062345678,+8613900139000,private_line,pl2",
        "3,+861062345678,+8613900139000,voip,unknown",
    ]
    run = screen_calls(
        calls_csv(tmp_path, rows),
        calling="caller",
        called="callee",
        ingress="via",
        trunk="trunk",
        ranges={"pl1": CallerRanges.of(["+86106234"]), "pl2": CallerRanges.of(["+8621"])},
    )
    assert [(f.line, f.verdict.rule_ids) for f in run] == [
        (3, ("range_unauthorised",)),
        (4, ("range_unauthorised",)),
    ]
    assert "range_unauthorised" not in run.summary.skipped


def test_summary_merge() -> None:
    data = HEADER + "\n".join(ROWS) + "\n"
    parts = []
    for _ in range(2):
        run = screen_calls(io.StringIO(data), calling="caller", called="callee", ingress="via")
        list(run)
        parts.append(run.summary)
    total = CallSummary.merge(parts)
    assert total.records == 16 and total.by_action["block"] == 4 and total.bad_rows == 6
    with pytest.raises(ConfigurationError):
        CallSummary.merge([])


# ------------------------------------------------------------------------------- CLI


def _index_file(tmp_path: Path) -> Path:
    e = Entry(
        kind="phone",
        value="+8613700137000",
        reason="telecom_fraud",
        action="block",
        source="mps",
        case_ref="A-1",
        confidence=90,
        tlp="amber",
        listed_at=T0,
        valid_from=T0,
    )
    src = tmp_path / "fraud.jsonl"
    src.write_bytes(canonical_json(e.to_dict()) + b"\n")
    out = tmp_path / "fraud.afidx"
    assert (
        cli.main(["index", "build", "--from", str(src), "--issuer", "mps", "--out", str(out)]) == 0
    )
    return out


def test_cli_clean_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = calls_csv(tmp_path, [ROWS[0]])
    args = [str(p), "--calling", "caller", "--called", "callee", "--ingress", "via"]
    assert cli.main(["screen-calls", *args]) == 0
    out, errout = capsys.readouterr()
    assert out == "" and "checked 1 of 1 calls" in errout


def test_cli_findings_and_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = calls_csv(tmp_path)
    args = [str(p), "--calling", "caller", "--called", "callee", "--ingress", "via"]
    assert cli.main(["screen-calls", *args]) == 1
    out, errout = capsys.readouterr()
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["line"] for x in lines] == [3, 4, 8, 10]
    assert lines[0]["rules"][0]["id"] == "international_domestic_cli"
    assert "bad_ingress" in errout and "international_domestic_cli: 1" in errout
    found = tmp_path / "found.jsonl"
    assert cli.main(["screen-calls", *args, "--out", str(found), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "screen-calls" and doc["ok"] is False
    assert doc["summary"]["bad_rows"] == 3 and doc["summary"]["by_action"]["block"] == 2
    assert len(found.read_text(encoding="utf-8").splitlines()) == 4


def test_cli_data_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        "1,+8613700137000,+8613900139000,interconnect,t1",
        "2,010-6234-5678,+8613900139000,interconnect,t1",
        "3,95588,+8613900139000,private_line,icbc",
        "4,+861062345679,+8613900139000,voip,v1",
    ]
    p = calls_csv(tmp_path, rows)
    dno = tmp_path / "dno.txt"
    dno.write_text("# our DNO list\n+86 10 6234 5678\n", encoding="utf-8")
    presenters = tmp_path / "presenters.csv"
    presenters.write_text("number,trunk\n95588,icbc\n", encoding="utf-8")
    ranges = tmp_path / "ranges.csv"
    ranges.write_text("trunk,range\nicbc,tel:95588;phone-context=+86\nv1,+8621\n", encoding="utf-8")
    args = [
        str(p),
        "--calling",
        "caller",
        "--called",
        "callee",
        "--ingress",
        "via",
        "--trunk",
        "trunk",
        "--dno",
        str(dno),
        "--presenters",
        str(presenters),
        "--ranges",
        str(ranges),
        "--index",
        str(_index_file(tmp_path)),
        "--now",
        "2026-06-01T00:00:00Z",
    ]
    capsys.readouterr()
    assert cli.main(["screen-calls", *args]) == 1
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["line"], [r["id"] for r in x["rules"]]) for x in out] == [
        (2, ["blacklisted"]),
        (3, ["dno_listed"]),
        (5, ["range_unauthorised"]),
    ]


@pytest.mark.parametrize(
    "extra",
    [
        ["--stat", "x"],  # an abbreviation of --state: refused
        ["--ranges", "r.csv"],  # needs --trunk
        ["--calling", "nope"],
        ["--dno", "missing.txt"],
        ["--now", "yesterday"],
    ],
)
def test_cli_usage_errors(tmp_path: Path, extra: list[str]) -> None:
    p = calls_csv(tmp_path)
    (tmp_path / "r.csv").write_text("trunk,range\nt,+86\n", encoding="utf-8")
    args = [str(p), "--calling", "caller", "--called", "callee", "--ingress", "via"]
    extra = [str(tmp_path / x) if x.endswith((".csv", ".txt")) else x for x in extra]
    assert cli.main(["screen-calls", *args, *extra]) == 2


def test_cli_bad_data_files(tmp_path: Path) -> None:
    p = calls_csv(tmp_path)
    args = [
        str(p),
        "--calling",
        "caller",
        "--called",
        "callee",
        "--ingress",
        "via",
        "--trunk",
        "trunk",
    ]
    bad = tmp_path / "bad.txt"
    bad.write_text("not a number\n", encoding="utf-8")
    assert cli.main(["screen-calls", *args, "--dno", str(bad)]) == 2
    assert cli.main(["screen-calls", *args, "--presenters", str(bad)]) == 2
    assert cli.main(["screen-calls", *args, "--ranges", str(bad)]) == 2
    r = tmp_path / "r.csv"
    r.write_text("trunk,range\nt1,86\n", encoding="utf-8")
    assert cli.main(["screen-calls", *args, "--ranges", str(r)]) == 2


def test_index_or_state_are_exclusive(tmp_path: Path) -> None:
    p = calls_csv(tmp_path)
    args = [str(p), "--calling", "caller", "--called", "callee", "--ingress", "via"]
    assert cli.main(["screen-calls", *args, "--index", "a", "--state", "b"]) == 2


def test_progress_only_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from antifraud_common.cli import _calls

    p = calls_csv(tmp_path)
    args = [str(p), "--calling", "caller", "--called", "callee", "--ingress", "via"]
    # The shared progress line of every long command (docs/cli.md, "Progress").
    assert _calls.progress_for is not None
    cli.main(["screen-calls", *args])
    assert "\rscreen-calls:" not in capsys.readouterr().err
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    cli.main(["screen-calls", *args])
    assert "\rscreen-calls:" in capsys.readouterr().err
    cli.main(["screen-calls", *args, "--quiet"])
    assert "\rscreen-calls:" not in capsys.readouterr().err
