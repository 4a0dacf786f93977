"""Fuzz the bank card validator.

Properties: ``validate`` raises only ValidationError and its message never
contains the full card number; the result is all digits and a fixed point;
``is_valid`` never raises and agrees with ``validate``.
"""

from __future__ import annotations

import re
import sys

import _harness

with _harness.instrumented(__name__ == "__main__"):
    from antifraud_common import card
    from antifraud_common.errors import ValidationError

_DIGITS = re.compile(r"[0-9]{12,19}")


def seeds() -> list[bytes]:
    return [
        v.encode("utf-8", "surrogatepass") for v in _harness.conformance_values("bank_card")
    ] + [
        b"6222021234567890128",
        b"4111 1111 1111 1111",
        b"6222021234567890129",
    ]


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    try:
        value = card.validate(text)
    except ValidationError as e:
        assert card.is_valid(text) is False
        digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
        for run in {digits, *_DIGITS.findall(text)}:
            if len(run) >= 12:
                assert run not in str(e) and run not in repr(e), "card number echoed"
    else:
        assert value.isdigit() and value.isascii()
        assert card.validate(value) == value
        assert card.is_valid(text) is True


if __name__ == "__main__":
    _harness.main(sys.modules[__name__])
