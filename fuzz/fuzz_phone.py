"""Fuzz the phone validator.

Properties: ``validate`` raises only ValidationError; its result is a fixed
point (``validate(validate(x)) == validate(x)``) and ASCII; ``is_valid`` never
raises and agrees with ``validate``; ``compact`` raises only typed errors.
"""

from __future__ import annotations

import sys

import _harness

with _harness.instrumented(__name__ == "__main__"):
    from antifraud_common import phone
    from antifraud_common.errors import AntifraudError, ValidationError


def seeds() -> list[bytes]:
    return [v.encode("utf-8", "surrogatepass") for v in _harness.conformance_values("phone")] + [
        b"+8613800138000",
        b"tel:95588;phone-context=+86",
        b"010-6234 5678",
    ]


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    try:
        value = phone.validate(text)
    except ValidationError:
        assert phone.is_valid(text) is False
    else:
        assert value.isascii()
        assert phone.validate(value) == value
        assert phone.is_valid(text) is True
    try:
        phone.compact(text)
    except AntifraudError:
        pass


if __name__ == "__main__":
    _harness.main(sys.modules[__name__])
