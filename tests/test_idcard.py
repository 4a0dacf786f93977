"""Tests for antifraud_common.idcard (GB 11643 resident ID, GB 32100 credit code).

360426199101010071 and 11010519491231002X are python-stdnum's documented examples;
91110000600037341L is stdnum's USCC example. Other numbers are generated with the
check character computed by stdnum (address codes from stdnum's cn/loc data).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric

from antifraud_common import idcard
from antifraud_common.errors import (
    ConfigurationError,
    InvalidChecksumError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ValidationError,
)
from antifraud_common.idcard import IdFlag, IdType

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ric(body17: str) -> str:
    return body17 + stdnum_ric.calc_check_digit(body17 + "?")


def fullwidth(s: str) -> str:
    return s.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


# ----------------------------------------------------------- resident ID


@pytest.mark.parametrize(
    ("raw", "canonical", "flags"),
    [
        ("360426199101010071", "360426199101010071", set()),
        ("11010519491231002X", "11010519491231002X", set()),
        ("11010519491231002x", "11010519491231002X", set()),
        ("110105 19491231 002X", "11010519491231002X", set()),
        ("110105-19491231-002X", "11010519491231002X", set()),
        (fullwidth("11010519491231002x"), "11010519491231002X", {IdFlag.FULLWIDTH}),
        ("110105\u200b19491231002X", "11010519491231002X", {IdFlag.INVISIBLE}),
        (" 360426199101010071\u00a0", "360426199101010071", set()),
    ],
)
def test_ric_valid(raw: str, canonical: str, flags: set[IdFlag]) -> None:
    assert idcard.validate_ric(raw, now=NOW) == canonical
    assert idcard.validate(raw, now=NOW) == canonical
    i = idcard.info(raw, now=NOW)
    assert i.type is IdType.RESIDENT_ID
    assert i.flags == flags


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        ("360426199101010072", InvalidChecksumError, "invalid_checksum"),
        ("36042619910101007", InvalidLengthError, "too_short"),
        ("3604261991010100712", InvalidLengthError, "too_long"),
        ("110105491231002", InvalidLengthError, "first_generation_id"),
        (ric("36042619910230007"), InvalidComponentError, "invalid_birth_date"),  # Feb 30
        (ric("36042618991231007"), InvalidComponentError, "birth_date_too_early"),
        (ric("36042620990101007"), InvalidComponentError, "birth_date_in_future"),
        (ric("36042620260602007"), InvalidComponentError, "birth_date_in_future"),
        (ric("00000019910101007"), InvalidComponentError, "unknown_region"),
        ("3604261991010100Y1", InvalidFormatError, "letters_not_allowed"),
        ("36042619910101007.", InvalidFormatError, "unexpected_character"),
        ("X60426199101010071", InvalidFormatError, "letters_not_allowed"),
        ("٣٦٠٤٢٦١٩٩١٠١٠١٠٠٧١", InvalidFormatError, "foreign_digits"),
        (None, InvalidFormatError, "not_a_string"),
        (360426199101010071, InvalidFormatError, "not_a_string"),
        ("3" * 65, InvalidLengthError, "input_too_long"),
    ],
)
def test_ric_invalid(raw: object, error: type[ValidationError], code: str) -> None:
    with pytest.raises(error) as e:
        idcard.validate_ric(raw, now=NOW)
    assert e.value.code == code
    assert not idcard.is_valid(raw, now=NOW, type="resident_id")


def test_ric_birth_date_boundary_in_china_time() -> None:
    # Born 2026-06-02 (China date). At 2026-06-01T16:00Z it is already 06-02 in China.
    number = ric("36042620260602007")
    assert not idcard.is_valid(number, now=datetime(2026, 6, 1, 15, 59, tzinfo=UTC))
    assert idcard.is_valid(number, now=datetime(2026, 6, 1, 16, 0, tzinfo=UTC))
    assert idcard.is_valid(
        number, now=datetime(2026, 6, 2, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    )


def test_ric_now_must_be_aware() -> None:
    with pytest.raises(ConfigurationError) as e:
        idcard.validate_ric("360426199101010071", now=datetime(2026, 1, 1))
    assert e.value.code == "naive_datetime"
    assert idcard.is_valid("360426199101010071", now=datetime(2026, 1, 1)) is False


def test_ric_now_must_be_a_datetime() -> None:
    with pytest.raises(ConfigurationError) as e:
        idcard.validate_ric("360426199101010071", now="2026-01-01")  # type: ignore[arg-type]
    assert e.value.code == "naive_datetime"  # the one clock check refuses non-datetimes too
    assert idcard.is_valid("360426199101010071", now=1) is False  # type: ignore[arg-type]


def test_ric_default_now_is_today() -> None:
    assert idcard.is_valid("360426199101010071")
    assert not idcard.is_valid(ric("36042620990101007"))


def test_first_generation_upgrade() -> None:
    assert idcard.upgrade_ric("110105491231002") == "11010519491231002X"
    assert idcard.validate_ric("110105491231002", upgrade=True) == "11010519491231002X"
    assert idcard.validate("110105 491231 002", upgrade=True) == "11010519491231002X"
    i = idcard.info("110105491231002", upgrade=True)
    assert i.flags == {IdFlag.UPGRADED_FROM_15}
    assert i.value == "11010519491231002X"


def test_stdnum_errors_are_wrapped() -> None:
    from stdnum.exceptions import ValidationError as StdnumValidationError

    with pytest.raises(InvalidComponentError) as e:
        idcard.validate_ric(ric("00000019910101007"), now=NOW)
    assert isinstance(e.value.__cause__, StdnumValidationError)


# ------------------------------------------------------------------ USCC


@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037341L",
        "91110000600037341l",
        "9111 0000 6000 3734 1L",
        "9111-0000-6000-3734-1L",
        fullwidth("91110000600037341l"),
    ],
)
def test_uscc_valid(raw: str) -> None:
    assert idcard.validate_uscc(raw) == "91110000600037341L"
    assert idcard.validate(raw) == "91110000600037341L"
    i = idcard.info(raw)
    assert i.type is IdType.USCC
    assert i.masked == i.value == "91110000600037341L"
    assert i.to_dict()["masked"] is False


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        ("91110000600037341M", InvalidChecksumError, "invalid_checksum"),
        ("9111000060003734IL", InvalidFormatError, "invalid_format"),
        ("91110000600037341", InvalidLengthError, "invalid_length"),
        ("91110000600037341Ł", InvalidFormatError, "letters_not_allowed"),
        ("9111000060003734.L", InvalidFormatError, "unexpected_character"),
    ],
)
def test_uscc_invalid(raw: str, error: type[ValidationError], code: str) -> None:
    with pytest.raises(error) as e:
        idcard.validate_uscc(raw)
    assert e.value.code == code


def test_dispatch_and_forced_type() -> None:
    # a mistyped resident ID stays a resident ID error, never a credit code
    with pytest.raises(InvalidChecksumError):
        idcard.validate("360426199101010072", now=NOW)
    assert idcard.validate("91110000600037341L", type="uscc") == "91110000600037341L"
    with pytest.raises(ValidationError):
        idcard.validate("91110000600037341L", type=IdType.RESIDENT_ID)
    with pytest.raises(ConfigurationError):
        idcard.validate("91110000600037341L", type="passport")
    assert not idcard.is_valid("91110000600037341L", type="passport")


# ------------------------------------------------------------ masking/info


def test_mask() -> None:
    assert idcard.mask("11010519491231002X") == "110105********002X"
    assert idcard.mask("110105491231002") == "110105******002"
    assert idcard.mask("91110000600037341L") == "91110000600037341L"


@pytest.mark.parametrize("number", ["360426199101010071", "11010519491231002X"])
def test_info_hides_number_and_birth_date(number: str) -> None:
    i = idcard.info(number, now=NOW)
    assert i.value == number
    assert i.birth_date is not None
    for text in (repr(i), str(i), json.dumps(i.to_dict(), ensure_ascii=False)):
        assert number not in text
        assert number[6:14] not in text
    d = i.to_dict()
    assert d["value"] == idcard.mask(number)
    assert d["masked"] is True
    assert "birth_date" not in d


def test_info_place_and_sex() -> None:
    i = idcard.info("360426199101010071", now=NOW)
    assert (i.province, i.county, i.sex) == ("江西省", "德安县", "male")
    assert i.birth_date is not None
    assert i.birth_date.isoformat() == "1991-01-01"
    assert idcard.info("11010519491231002X", now=NOW).sex == "female"


def test_display() -> None:
    assert idcard.display("11010519491231002x") == "110105 19491231 002X"
    assert idcard.validate(idcard.display("11010519491231002X")) == "11010519491231002X"
    assert idcard.display("91110000600037341l") == "91110000600037341L"


# -------------------------------------------------------------- properties


@given(
    st.sampled_from(["110105", "360426", "440305", "310101"]),
    st.dates(min_value=datetime(1950, 1, 1).date(), max_value=datetime(2020, 12, 31).date()),
    st.integers(0, 999),
)
def test_generated_ric_roundtrip(region: str, birth: object, seq: int) -> None:
    number = ric(f"{region}{birth:%Y%m%d}{seq:03d}")
    try:
        stdnum_ric.validate(number)
    except Exception:
        return  # county not in use in that year: stdnum decides
    v = idcard.validate(number, now=NOW)
    assert v == number
    assert idcard.validate(v, now=NOW) == v
    assert idcard.validate(idcard.display(v), now=NOW) == v
    assert idcard.validate(v.lower(), now=NOW) == v


@given(st.text(max_size=30))
def test_is_valid_total_over_text(raw: str) -> None:
    if idcard.is_valid(raw, now=NOW):
        v = idcard.validate(raw, now=NOW)
        assert idcard.validate(v, now=NOW) == v


@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.text())))
def test_is_valid_total_over_objects(raw: object) -> None:
    assert idcard.is_valid(raw) is False


@pytest.mark.parametrize(
    "raw",
    [None, 1.5, b"360426199101010071", "3604\x0026199101010071", "\ud800" * 18, "3" * 10_000_000],
)
def test_bad_inputs_fast(raw: object) -> None:
    start = time.perf_counter()
    assert idcard.is_valid(raw) is False
    assert time.perf_counter() - start < 0.5
