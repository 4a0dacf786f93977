"""No full card number and no private key material in reprs, errors, logs or CLI output."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from antifraud_common import card
from antifraud_common.cli import main
from antifraud_common.errors import AntifraudError
from antifraud_common.format.keys import Algorithm, LocalSigner, generate_private_key
from antifraud_common.index import Index
from antifraud_common.models import Entry

PAN = "6222021234567890128"
BAD_PAN = "6222021234567890129"
T = datetime(2026, 1, 1, tzinfo=UTC)


Finder = Callable[[str], list[str]]


def test_guard_detects_what_it_should(leak_finder: Finder) -> None:
    find_leaks = leak_finder
    assert find_leaks(f"x {PAN} y")
    assert find_leaks('{"kty":"OKP","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}')
    assert find_leaks("-----BEGIN PRIVATE KEY-----")
    assert not find_leaks("622202*********0128 +8613800138000 354178036859789")
    assert not find_leaks(BAD_PAN)  # not Luhn-valid: not a card


def test_reprs_errors_and_logs(caplog: pytest.LogCaptureFixture, leak_finder: Finder) -> None:
    find_leaks = leak_finder
    caplog.set_level(logging.DEBUG)
    entry = Entry.from_raw(
        kind="bank_card",
        value=PAN,
        reason="card_trafficking",
        action="freeze",
        source="pboc",
        case_ref="C",
        confidence=90,
        tlp="red",
        listed_at=T,
        valid_from=T,
    )
    texts = [repr(entry), str(entry), repr(card.info(PAN)), json.dumps(card.info(PAN).to_dict())]
    index = Index.build([("pboc", "stop", None, entry)])
    result = index.check(PAN, now=T)
    assert result.listed
    texts += [repr(result), json.dumps(result.to_dict())]
    for bad in (BAD_PAN, PAN + "0", PAN[:-1] + "X"):
        with pytest.raises(AntifraudError) as e:
            card.validate(bad)
        texts += [str(e.value), repr(e.value), json.dumps(e.value.to_dict())]
    signer = LocalSigner(generate_private_key(Algorithm.ED25519))
    texts += [repr(signer), str(signer)]
    texts += [r.getMessage() for r in caplog.records]
    for text in texts:
        assert not find_leaks(text), text
        assert PAN not in text


def test_cli_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], leak_finder: Finder
) -> None:
    find_leaks = leak_finder
    outputs = []
    for argv in (
        ["check", PAN],
        ["check", "--json", PAN, BAD_PAN],
        ["check", "--kind", "card", BAD_PAN],
        ["keygen", "--out", str(tmp_path / "k.pem"), "--unencrypted", "--json"],
        ["demo", "--entries", "100", "--json"],
    ):
        main(argv)
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
    for text in outputs:
        assert not find_leaks(text), text
        assert PAN not in text
