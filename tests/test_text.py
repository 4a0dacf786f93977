"""Tests for the shared input cleaning rules (antifraud_common._text)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antifraud_common import _text
from antifraud_common.errors import InvalidFormatError, InvalidLengthError, ValidationError


@pytest.mark.parametrize(
    ("raw", "text", "fullwidth", "invisible"),
    [
        ("13800138000", "13800138000", False, False),
        ("138 0013 8000", "13800138000", False, False),
        ("138-0013-8000", "13800138000", False, False),
        ("(010)6234.5678/9", "01062345678" + "9", False, False),
        ("１３８００１３８０００", "13800138000", True, False),
        ("138\u30000013\u30008000", "13800138000", True, False),
        ("138\u200b0013\u200d8000", "13800138000", False, True),
        ("\u202e13800138000\u202c", "13800138000", False, True),
        ("\ufeff13800138000", "13800138000", False, True),
        ("138\u00ad00138000", "13800138000", False, True),
        ("138\u00a00013\u202f8000", "13800138000", False, False),
        ("138\u20140013\u20138000", "13800138000", False, False),
        ("＋８６ 138", "+86138", True, False),
    ],
)
def test_clean(raw: str, text: str, fullwidth: bool, invisible: bool) -> None:
    assert _text.clean(raw) == _text.Cleaned(text, fullwidth, invisible)


@pytest.mark.parametrize("bad", [None, 13800138000, 1.5, b"138", bytearray(b"1"), ["1"]])
def test_only_str(bad: object) -> None:
    with pytest.raises(InvalidFormatError) as e:
        _text.clean(bad)
    assert e.value.code == "not_a_string"


def test_length_gate_before_work() -> None:
    with pytest.raises(InvalidLengthError) as e:
        _text.clean("1" * 10_000_000)
    assert e.value.code == "input_too_long"
    assert isinstance(e.value, InvalidFormatError)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("138O0138OOO", "letters_not_allowed"),
        ("一三八", "letters_not_allowed"),
        ("\u0661\u0663\u0668", "foreign_digits"),
        ("\U0001d7cf\U0001d7d1", "foreign_digits"),
        ("¹³⁸", "foreign_digits"),
        ("①③⑧", "foreign_digits"),
        ("138\x00", "control_characters"),
        ("138\t0", "control_characters"),
        ("\ud800", "control_characters"),
        ("138,139", "unexpected_character"),
        ("138#1", "unexpected_character"),
    ],
)
def test_reject_unexpected(text: str, code: str) -> None:
    with pytest.raises(InvalidFormatError) as e:
        _text.reject_unexpected(text)
    assert e.value.code == code


def test_digits_only_accepts_clean_digits() -> None:
    assert _text.digits_only("6222 0212-3456").text == "622202123456"


@given(st.text(max_size=80))
def test_clean_is_total_and_typed(raw: str) -> None:
    try:
        cleaned = _text.digits_only(raw)
    except ValidationError as e:
        assert e.code
    else:
        assert cleaned.text == "" or (cleaned.text.isascii() and cleaned.text.isdigit())
