"""Tests for ``antifraud check`` and the CLI's general contract (exit codes, JSON on stdout)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from antifraud_common.cli import main
from antifraud_common.cli._check import describe, mask_input

CARD = "6222021234567890128"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    ("value", "kind", "canonical"),
    [
        ("138 0013 8000", "phone", "+8613800138000"),
        ("95588", "phone", "tel:95588;phone-context=+86"),
        ("+852 5123 4567", "phone", "+85251234567"),
        ("89860012345678901203", "iccid", None),
        ("354178036859789", "imei", "354178036859789"),
        ("11010519491231002X", "idcard", "110105********002X"),  # ID numbers shown masked
        ("DE89 3704 0044 0532 0130 00", "bank_account", "DE89370400440532013000"),
    ],
)
def test_auto_detects_every_kind(value: str, kind: str, canonical: str | None) -> None:
    r = describe(value, "auto")
    if canonical is None:  # ICCID check digit: accept whichever verdict, but the kind must fit
        assert r["kind"] in {"iccid", "bank_account"}
        return
    assert r["valid"], r
    assert r["kind"] == kind
    assert r["info"]["value"] == canonical


def test_explicit_kind_for_each_identifier(capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "phone": "13800138000",
        "card": CARD,
        "account": "6228480402564890018",
        "imei": "354178036859789",
        "idcard": "11010519491231002X",
    }
    # The old spellings card and account are accepted; output names the entries-file kind.
    canonical = {"card": "bank_card", "account": "bank_account"}
    for kind, value in cases.items():
        for spelling in {kind, canonical.get(kind, kind)}:
            status, out, _ = run(capsys, "check", "--kind", spelling, "--json", value)
            doc = json.loads(out)
            assert status == 0, doc
            assert doc["results"][0]["kind"] == canonical.get(kind, kind)


def test_json_document_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "--json", "13800138000", "138O0138OOO")
    assert status == 1
    doc = json.loads(out)
    assert doc["output_version"] == 2
    assert doc["command"] == "check"
    assert doc["ok"] is False
    good, bad = doc["results"]
    assert good["valid"] and good["info"]["kind"] == "mobile"
    assert not bad["valid"]
    assert bad["error"]["code"] == "letters_not_allowed"


def test_all_valid_exits_zero_text_mode(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "13800138000", "110")
    assert status == 0
    assert "+8613800138000" in out
    assert "tel:110;phone-context=+86" in out


def test_card_is_masked_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    bad = CARD[:-1] + "9"  # wrong check digit
    for argv in (
        ["check", CARD],
        ["check", "--json", CARD],
        ["check", "--json", bad],
        ["check", bad],
    ):
        _, out, err = run(capsys, *argv)
        assert CARD not in out + err
        assert bad not in out + err
    # Auto-detection reads it as the lookups do (a bank account: no checksum), and
    # says that as a card it is mistyped; named as a card it is an invalid card.
    _, out, _ = run(capsys, "check", "--json", bad)
    result = json.loads(out)["results"][0]
    assert (result["valid"], result["kind"]) == (True, "bank_account")
    assert result["info"]["flags"] == ["card_range"]
    assert result["info"]["value"] == "622202*********0129"
    _, out, _ = run(capsys, "check", bad)
    assert "card range" in out
    _, out, _ = run(capsys, "check", "--json", "--kind", "bank_card", bad)
    result = json.loads(out)["results"][0]
    assert result["kind"] == "bank_card"
    assert result["error"]["code"] == "invalid_checksum"


def test_auto_kind_is_the_lookup_kind() -> None:
    """``--kind auto`` names the kind that a ``--state`` lookup searches (kinds.detect)."""
    from antifraud_common import kinds

    for value in (
        "6222021123456789015",  # card range, Luhn fails: a bank account to the lists
        "1202020309900012345",  # 19-digit corporate account
        "110101199003077774",  # all-digit resident ID number: no list holds ID numbers
        "alipay:2088102030405060",
        "13800138000",
        CARD,
    ):
        found = kinds.detect(value)
        assert found.kind is not None
        assert describe(value, "auto")["kind"] == found.kind.value, value
    r = describe("110101199003077774", "auto")
    assert r["info"]["value"] == "110101********7774"  # masked as ID numbers are
    assert describe("11010519491231002X", "auto")["kind"] == "idcard"  # no list kind fits


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check")[0] == 2
    assert run(capsys, "check", "--kind", "fax", "1")[0] == 2
    assert run(capsys, "no-such-command")[0] == 2
    assert run(capsys)[0] == 2


def test_version_and_help_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version")[0] == 0
    assert run(capsys, "check", "--help")[0] == 0


def test_internal_error_exit_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from antifraud_common.cli import _check

    def boom(*_a: object, **_k: object) -> object:
        raise RuntimeError("bug")

    monkeypatch.setattr(_check, "describe", boom)
    status, out, err = run(capsys, "check", "1")
    assert status == 3
    assert out == ""
    assert "internal error" in err


def test_mask_input() -> None:
    assert mask_input(CARD) == "622202*********0128"
    assert mask_input("138 0013 8000") == "138 0013 8000"


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "antifraud_common", "check", "--json", "13800138000"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"] is True


def test_check_against_a_receiver_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--entries", "150", "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    line = (tmp_path / "mps-fraud-phones.v2.jsonl").read_text().splitlines()[3]
    listed = json.loads(line)["value"]
    messy = f"{listed[:3]} {listed[3:6]} {listed[6:10]} {listed[10:]}"
    state = str(tmp_path / "state")
    status, out, _ = run(capsys, "check", "--state", state, "--json", messy, "13800138000")
    assert status == 1 and json.loads(out)["error"]["code"] == "listed"  # one rule with screen
    hit, miss = (r["lookup"] for r in json.loads(out)["results"])
    assert hit["listed"] and hit["value"] == listed
    assert hit["matches"][0]["issuer"] == "mps"
    assert not miss["listed"]
    status, out, _ = run(capsys, "check", "--state", state, messy)
    assert "LISTED" in out
    assert run(capsys, "check", "--state", str(tmp_path / "nope"), "1")[0] == 1
    assert not (tmp_path / "nope").exists()
