"""Tests for antifraud_common.imei (3GPP TS 23.003 device identities)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from antifraud_common import imei
from antifraud_common.errors import (
    InvalidChecksumError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ValidationError,
)
from antifraud_common.imei import ImeiFlag

# 354178036859789 and 35686800-004141-20 are python-stdnum's documented examples.
IMEI = "354178036859789"


@pytest.mark.parametrize(
    ("raw", "canonical", "flags", "sv"),
    [
        (IMEI, IMEI, set(), None),
        ("35-417803-685978-9", IMEI, set(), None),
        ("35 417803 685978 9", IMEI, set(), None),
        ("３５４１７８０３６８５９７８９", IMEI, {ImeiFlag.FULLWIDTH}, None),
        ("3541\u200b78036859789", IMEI, {ImeiFlag.INVISIBLE}, None),
        ("35417803685978", IMEI, {ImeiFlag.CHECK_DIGIT_ADDED}, None),
        ("3541780368597801", IMEI, {ImeiFlag.SOFTWARE_VERSION_REMOVED}, "01"),
        ("35686800-004141-20", "356868000041418", {ImeiFlag.SOFTWARE_VERSION_REMOVED}, "20"),
        ("356868000041418", "356868000041418", set(), None),
    ],
)
def test_valid(raw: str, canonical: str, flags: set[ImeiFlag], sv: str | None) -> None:
    assert imei.validate(raw) == canonical
    i = imei.info(raw)
    assert i.flags == flags
    assert i.software_version == sv
    assert (i.tac, i.serial, i.check_digit) == (canonical[:8], canonical[8:14], canonical[14])
    assert i.to_dict()["value"] == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "000000000000000",
        "00000000000000",
        "0000000000000000",
        "111111111111111"[:14],
        "999999999999994",
        "123456789012345",  # the classic placeholder (its Luhn digit would be 7)
        "123456789012347",
        "12345678901234",
        "01234567890123",
        "98765432109876",
        "121212121212121",
        "00000000123456",  # TAC 00000000
        "004999010640000",  # Android emulator
        "358240051111110",  # Android emulator
    ],
)
def test_dummy_numbers(raw: str) -> None:
    with pytest.raises(InvalidComponentError) as e:
        imei.validate(raw)
    assert e.value.code == "dummy_number"
    assert not imei.is_valid(raw)


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        ("354178036859780", InvalidChecksumError, "invalid_checksum"),
        ("3541780368597", InvalidLengthError, "too_short"),
        ("35417803685978901", InvalidLengthError, "too_long"),
        ("", InvalidLengthError, "too_short"),
        ("35417803685978A", InvalidFormatError, "letters_not_allowed"),
        ("354178036859789/01", InvalidFormatError, "unexpected_character"),
        ("٣٥٤١٧٨٠٣٦٨٥٩٧٨٩", InvalidFormatError, "foreign_digits"),
        (None, InvalidFormatError, "not_a_string"),
        (354178036859789, InvalidFormatError, "not_a_string"),
        ("3" * 65, InvalidLengthError, "input_too_long"),
    ],
)
def test_invalid(raw: object, error: type[ValidationError], code: str) -> None:
    with pytest.raises(error) as e:
        imei.validate(raw)
    assert e.value.code == code
    assert not imei.is_valid(raw)


def test_stdnum_error_is_wrapped() -> None:
    from stdnum.exceptions import ValidationError as StdnumValidationError

    with pytest.raises(InvalidChecksumError) as e:
        imei.validate("354178036859780")
    assert isinstance(e.value.__cause__, StdnumValidationError)


def test_display() -> None:
    assert imei.display(IMEI) == "35-417803-685978-9"
    assert imei.display("35417803685978") == "35-417803-685978-9"
    assert imei.validate(imei.display(IMEI)) == IMEI


@given(st.text("0123456789", min_size=14, max_size=14), st.sampled_from(["", "check", "sv"]))
def test_generated_roundtrip(body: str, form: str) -> None:
    if imei.is_dummy(body):
        assert not imei.is_valid(body)
        return
    canonical = body + luhn.calc_check_digit(body)
    raw = {"": body, "check": canonical, "sv": body + "07"}[form]
    v = imei.validate(raw)
    assert v == canonical
    assert imei.validate(v) == v
    assert imei.validate(imei.display(v)) == v


@given(st.text(max_size=30))
def test_is_valid_total_over_text(raw: str) -> None:
    if imei.is_valid(raw):
        v = imei.validate(raw)
        assert imei.validate(v) == v


@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.text())))
def test_is_valid_total_over_objects(raw: object) -> None:
    assert imei.is_valid(raw) is False


@pytest.mark.parametrize(
    "raw", [None, 1.5, b"354178036859789", "3541\x0078036859789", "\ud800" * 15, "3" * 10_000_000]
)
def test_bad_inputs_fast(raw: object) -> None:
    start = time.perf_counter()
    assert imei.is_valid(raw) is False
    assert time.perf_counter() - start < 0.5
