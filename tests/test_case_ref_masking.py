"""Card numbers written into free text (``case_ref``) are masked on output.

``screen``, ``check --state`` and ``export-csv`` to a terminal showed a card
number held in a case reference in full. The rule (``card.mask_in_text``): a
run of 12-19 digits, optionally grouped by single spaces or hyphens, that
passes the Luhn check or is a valid card number, keeps its first 6 and last 4
digits. Stored data and an export to a file keep the case reference as
listed, so a re-import is exact; a masked export is refused by ``import-csv``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common import cli
from antifraud_common.card import mask_in_text

CARD = "6222021123456789014"  # Luhn-valid UnionPay test number
MASKED = "622202*********9014"


def _kit() -> ModuleType:
    name = "_exchange_kit"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).with_name("_exchange_kit.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


K = _kit()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"seized card {CARD}", f"seized card {MASKED}"),
        ("6222 0211 2345 6789 014", "6222 02** **** ***9 014"),
        ("6222-0211-2345-6789-014", "6222-02**-****-***9-014"),
        (f"A{CARD}B", f"A{MASKED}B"),
        ("６２２２０２１１２３４５６７８９０１４", "６２２２０２*********９０１４"),  # full-width
        # A legacy domestic BIN whose number fails Luhn is still a card.
        ("9558 8010 0111 4990 000", "9558 80** **** ***0 000"),
        ("4111111111111111 and 5500000000000004", "411111******1111 and 550000******0004"),
    ],
)
def test_card_shaped_runs_are_masked(text: str, shown: str) -> None:
    assert mask_in_text(text) == shown
    assert mask_in_text(shown) == shown  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "A-2024-0117",
        "tel 13800138000",
        "+86 138 0013 8000",
        "file 20240101000123",  # 14 digits, fails Luhn, not a card
        "A4403055000002024010001",  # a 22-digit case number
        "",
    ],
)
def test_other_text_is_unchanged(text: str) -> None:
    assert mask_in_text(text) == text


@pytest.fixture
def state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """A receiver state whose one list has an entry with a card in its case reference."""
    kit = K.Kit()
    pub = tmp_path / "pub"
    pub.mkdir()
    kit.write_trust(pub)
    entries = [K.phone_entry(1), K.phone_entry(2, case=f"card {CARD} seized")]
    path, _ = kit.snapshot(pub, "l", entries, 1)
    st = tmp_path / "st"
    code = cli.main(["apply", str(path), "--trust", str(pub / "trust.json"), "--state", str(st)])
    assert code == 0
    capsys.readouterr()
    return st, entries[1].value


def test_check_state_masks_the_case_reference(
    state: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    st, value = state
    assert cli.main(["check", "--state", str(st), value, "--json"]) == 1  # 1: listed
    out = capsys.readouterr().out
    assert CARD not in out
    match = json.loads(out)["results"][0]["lookup"]["matches"][0]
    assert match["case_ref"] == f"card {MASKED} seized"


def test_screen_masks_the_case_reference(
    state: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    st, value = state
    records = tmp_path / "calls.csv"
    records.write_text(f"a\n{value}\n", encoding="utf-8")
    code = cli.main(["screen", str(records), "--state", str(st), "--column", "a:phone"])
    assert code == 1  # a listed value
    out = capsys.readouterr().out
    assert CARD not in out
    assert json.loads(out)["matches"][0]["case_ref"] == f"card {MASKED} seized"


def test_export_masks_on_a_terminal_keeps_a_file_exact_and_import_refuses_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from antifraud_common.exchange.entries import write_entries

    entries_file = tmp_path / "l.jsonl"
    write_entries(entries_file, [K.phone_entry(2, case=f"card {CARD} seized")])
    assert cli.main(["export-csv", str(entries_file)]) == 0
    out = capsys.readouterr().out
    assert CARD not in out and MASKED in out
    # To a file, the default is exact, and the file imports back to the same bytes.
    full = tmp_path / "full.csv"
    assert cli.main(["export-csv", str(entries_file), "--out", str(full)]) == 0
    assert CARD in full.read_text(encoding="utf-8-sig")
    back = tmp_path / "back.jsonl"
    assert cli.main(["import-csv", str(full), "--out", str(back)]) == 0
    assert back.read_bytes() == entries_file.read_bytes()
    # A masked file cannot be imported back by mistake.
    masked = tmp_path / "masked.csv"
    assert cli.main(["export-csv", str(entries_file), "--out", str(masked), "--mask-cards"]) == 0
    assert CARD not in masked.read_text(encoding="utf-8-sig")
    capsys.readouterr()
    assert cli.main(["import-csv", str(masked), "--out", str(tmp_path / "x.jsonl"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert "masked_value" in json.dumps(doc)
    assert not (tmp_path / "x.jsonl").exists()


def test_reprs_mask_the_case_reference(state: tuple[Path, str]) -> None:
    from antifraud_common.exchange.state import ReceiverState
    from antifraud_common.index import StateIndex

    st, value = state
    with ReceiverState.open(st, create=False) as s, StateIndex.follow(s, persist=False) as si:
        result = si.check_key("phone", value, now=K.NOW)
        entry = next(e for e in s.iter_entries() if e.value == value)
    assert CARD not in repr(result.matches[0]) and MASKED in repr(result.matches[0])
    assert CARD not in repr(entry) and MASKED in repr(entry)
    assert result.matches[0].case_ref == f"card {CARD} seized"  # the data itself is as listed
