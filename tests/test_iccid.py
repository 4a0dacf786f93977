"""Tests for antifraud_common.iccid (ITU-T E.118 SIM serial numbers).

Vectors are generated here with stdnum.luhn.calc_check_digit from made-up bodies:
no real SIM numbers are used.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from antifraud_common import iccid
from antifraud_common.errors import (
    InvalidChecksumError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ValidationError,
)
from antifraud_common.iccid import IccidFlag


def make(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def wrong(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


ICCID19 = make("898600123456789012")  # 18 + check digit
ICCID20 = make("8986011234567890123")  # 19 + check digit
ICCID20_AT19 = make("898603123456789012") + "7"  # check digit at 19, operator digit at 20


@pytest.mark.parametrize(
    ("raw", "canonical", "flags"),
    [
        (ICCID19, ICCID19, set()),
        (ICCID20, ICCID20, set()),
        (" ".join(ICCID19[i : i + 4] for i in range(0, 19, 4)), ICCID19, set()),
        ("-".join(ICCID20[i : i + 5] for i in range(0, 20, 5)), ICCID20, set()),
        (ICCID19 + "F", ICCID19, {IccidFlag.PADDING_REMOVED}),
        (ICCID19 + "f", ICCID19, {IccidFlag.PADDING_REMOVED}),
        (
            ICCID19.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)}),
            ICCID19,
            {IccidFlag.FULLWIDTH},
        ),
        (ICCID19[:5] + "\u200b" + ICCID19[5:], ICCID19, {IccidFlag.INVISIBLE}),
        (wrong(ICCID20), wrong(ICCID20), {IccidFlag.LUHN_FAILED}),
    ],
)
def test_valid(raw: str, canonical: str, flags: set[IccidFlag]) -> None:
    assert iccid.validate(raw) == canonical
    assert iccid.compact(raw) == canonical
    assert iccid.info(raw).flags == flags


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        (wrong(ICCID19), InvalidChecksumError, "invalid_checksum"),
        (ICCID19[:-1], InvalidLengthError, "too_short"),
        (ICCID20 + "1", InvalidLengthError, "too_long"),
        ("", InvalidLengthError, "too_short"),
        (ICCID20 + "F", InvalidFormatError, "unexpected_padding"),
        (make("880012345678901234"), InvalidComponentError, "not_telecom"),
        (make("890012345678901234"), InvalidComponentError, "unknown_country_code"),
        (make("898512345678901234"), InvalidComponentError, "unknown_country_code"),  # +851
        (
            make("892812345678901234"),
            InvalidComponentError,
            "unknown_country_code",
        ),  # +28 unassigned
        (ICCID19[:-3] + "A12", InvalidFormatError, "letters_not_allowed"),
        (ICCID19[:-3] + "/12", InvalidFormatError, "unexpected_character"),
        (None, InvalidFormatError, "not_a_string"),
        (int(ICCID19), InvalidFormatError, "not_a_string"),
        ("8" * 65, InvalidLengthError, "input_too_long"),
    ],
)
def test_invalid(raw: object, error: type[ValidationError], code: str) -> None:
    with pytest.raises(error) as e:
        iccid.validate(raw)
    assert e.value.code == code
    assert not iccid.is_valid(raw)


def test_strict_luhn_on_20_digits() -> None:
    assert iccid.is_valid(ICCID20, strict_luhn=True)
    assert iccid.is_valid(wrong(ICCID20))
    assert not iccid.is_valid(wrong(ICCID20), strict_luhn=True)
    with pytest.raises(InvalidChecksumError):
        iccid.validate(wrong(ICCID20), strict_luhn=True)


def test_check_digit_position() -> None:
    assert iccid.info(ICCID19).check_digit_position == 19
    assert iccid.info(ICCID20).check_digit_position == 20
    at19 = iccid.info(ICCID20_AT19)
    if luhn.checksum(ICCID20_AT19) == 0:  # pragma: no cover - depends on the generated digit
        assert at19.check_digit_position == 20
    else:
        assert at19.check_digit_position == 19
        assert IccidFlag.LUHN_FAILED in at19.flags


@pytest.mark.parametrize(
    ("body", "cc", "country", "issuer", "operator"),
    [
        ("898600123456789012", "86", "CN", "00", "china_mobile"),
        ("898601123456789012", "86", "CN", "01", "china_unicom"),
        ("898603123456789012", "86", "CN", "03", "china_telecom"),
        ("898611123456789012", "86", "CN", "11", "china_telecom"),
        ("898615123456789012", "86", "CN", "15", "china_broadnet"),
        ("898699123456789012", "86", "CN", "99", None),
        ("898521234567890123", "852", "HK", None, None),
        ("894412345678901234", "44", None, None, None),  # +44 is shared (GB, GG, IM, JE)
        ("890141032111185107", "1", None, None, None),
        ("897012345678901234", "7", None, None, None),
    ],
)
def test_info_country(
    body: str, cc: str, country: str | None, issuer: str | None, operator: str | None
) -> None:
    i = iccid.info(make(body))
    assert (i.country_code, i.country, i.issuer_code, i.operator) == (cc, country, issuer, operator)
    d = i.to_dict()
    assert d["value"] == make(body)
    assert d["country_code"] == cc


def test_display_roundtrip() -> None:
    assert iccid.display(ICCID20) == " ".join(ICCID20[i : i + 4] for i in range(0, 20, 4))
    assert iccid.validate(iccid.display(ICCID19)) == ICCID19


@given(st.sampled_from(["898600", "898601", "89852", "8944", "891", "8901"]), st.data())
def test_generated_roundtrip(prefix: str, data: st.DataObject) -> None:
    length = data.draw(st.sampled_from([19, 20]))
    body = prefix + data.draw(st.text("0123456789", min_size=19, max_size=19))
    v = make(body[: length - 1])
    assert iccid.validate(v) == v
    assert iccid.validate(iccid.display(v)) == v
    assert iccid.is_valid(v, strict_luhn=True)


@given(st.text(max_size=30))
def test_is_valid_total_over_text(raw: str) -> None:
    result = iccid.is_valid(raw)
    if result:
        v = iccid.validate(raw)
        assert iccid.validate(v) == v


@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.text())))
def test_is_valid_total_over_objects(raw: object) -> None:
    assert iccid.is_valid(raw) is False


@pytest.mark.parametrize(
    "raw", [None, 1.5, b"8986", "8986\x00" * 4, "\udc00" * 19, "8" * 10_000_000, object()]
)
def test_bad_inputs_fast(raw: object) -> None:
    start = time.perf_counter()
    assert iccid.is_valid(raw) is False
    assert time.perf_counter() - start < 0.5
