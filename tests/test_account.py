"""Tests for antifraud_common.account: domestic accounts, IBAN, BIC, payment accounts."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antifraud_common import account
from antifraud_common.account import AccountFlag, AccountType, IdKind, PaymentProvider
from antifraud_common.errors import (
    ConfigurationError,
    InvalidChecksumError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ValidationError,
)

# ------------------------------------------------------------------ domestic


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("12345678", "12345678"),
        ("1100 6000 0012 345", "110060000012345"),
        ("4000-0231-0900-1234-567", "40000231090012345" + "67"),
        ("１２３４５６７８９０", "1234567890"),
        ("3" + "1" * 29, "3" + "1" * 29),
        ("1234\u200b5678", "12345678"),
    ],
)
def test_domestic_valid(raw: str, canonical: str) -> None:
    assert account.validate_domestic(raw) == canonical
    assert account.validate(raw) == canonical
    assert account.validate(raw, type="domestic") == canonical
    assert account.validate(raw, type=AccountType.DOMESTIC) == canonical


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        ("1234567", InvalidLengthError, "too_short"),
        ("", InvalidLengthError, "too_short"),
        ("1" + "2" * 30, InvalidLengthError, "too_long"),
        ("00000000", InvalidComponentError, "dummy_number"),
        ("1234.5678", InvalidFormatError, "unexpected_character"),
        ("1234567A", InvalidFormatError, "letters_not_allowed"),
        ("١٢٣٤٥٦٧٨٩", InvalidFormatError, "foreign_digits"),
        (12345678, InvalidFormatError, "not_a_string"),
        ("1" * 81, InvalidLengthError, "input_too_long"),
    ],
)
def test_domestic_invalid(raw: object, error: type[ValidationError], code: str) -> None:
    with pytest.raises(error) as e:
        account.validate_domestic(raw)
    assert e.value.code == code
    assert not account.is_valid(raw, type="domestic")


# ---------------------------------------------------------------------- IBAN


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("gb82west12345698765432", "GB82WEST12345698765432"),
        ("ＧＢ８２ＷＥＳＴ１２３４５６９８７６５４３２", "GB82WEST12345698765432"),
        ("DE89-3704-0044-0532-0130-00", "DE89370400440532013000"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
        ("DE89370400440532013000\u200b", "DE89370400440532013000"),
    ],
)
def test_iban_valid(raw: str, canonical: str) -> None:
    assert account.validate_iban(raw) == canonical
    assert account.validate(raw) == canonical
    assert account.info(raw).type is AccountType.IBAN
    assert account.info(raw).country == canonical[:2]


@pytest.mark.parametrize(
    ("raw", "error", "code"),
    [
        ("GB82WEST12345698765433", InvalidChecksumError, "invalid_checksum"),
        ("CN12 3456 7890", InvalidChecksumError, "invalid_checksum"),
        ("GB82WEST.12345698765432", InvalidFormatError, "unexpected_character"),
        ("GB82WЕST12345698765432", InvalidFormatError, "letters_not_allowed"),  # Cyrillic Е
        (None, InvalidFormatError, "not_a_string"),
    ],
)
def test_iban_invalid(raw: object, error: type[ValidationError], code: str) -> None:
    with pytest.raises(error) as e:
        account.validate_iban(raw)
    assert e.value.code == code
    assert e.value.__cause__ is None or not isinstance(e.value.__cause__, ValidationError)


def test_iban_errors_wrap_stdnum() -> None:
    from stdnum.exceptions import ValidationError as StdnumValidationError

    with pytest.raises(InvalidChecksumError) as e:
        account.validate("GB82WEST12345698765433")
    assert isinstance(e.value.__cause__, StdnumValidationError)
    assert not isinstance(e.value, StdnumValidationError)


# ----------------------------------------------------------------------- BIC


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("ICBKCNBJ", "ICBKCNBJ"),
        ("icbkcnbj", "ICBKCNBJ"),
        ("ICBKCNBJXXX", "ICBKCNBJ"),
        ("BKCH CN BJ 300", "BKCHCNBJ300"),
        ("ＩＣＢＫＣＮＢＪ", "ICBKCNBJ"),
    ],
)
def test_bic_valid(raw: str, canonical: str) -> None:
    assert account.validate_bic(raw) == canonical
    assert account.validate(raw, type="bic") == canonical
    assert account.info(raw).type is AccountType.BIC


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("ICBKCNBJ1", "invalid_length"),
        ("ICBK1NBJ", "invalid_format"),
        ("ICBKXXBJ", "invalid_component"),
    ],
)
def test_bic_invalid(raw: str, code: str) -> None:
    with pytest.raises(ValidationError) as e:
        account.validate_bic(raw)
    assert e.value.code == code


def test_unknown_type() -> None:
    with pytest.raises(ConfigurationError) as e:
        account.validate("12345678", type="savings")
    assert e.value.code == "unknown_account_type"
    assert account.is_valid("12345678", type="savings") is False


# ---------------------------------------------------------- payment accounts


@pytest.mark.parametrize(
    ("args", "canonical", "kind"),
    [
        (("alipay:13800138000",), "alipay:+8613800138000", IdKind.PHONE),
        (("alipay", "138 0013 8000"), "alipay:+8613800138000", IdKind.PHONE),
        (("支付宝：１３８００１３８０００",), "alipay:+8613800138000", IdKind.PHONE),
        (("ALIPAY", "+86 138-0013-8000"), "alipay:+8613800138000", IdKind.PHONE),
        ((" Alipay : 13800138000",), "alipay:+8613800138000", IdKind.PHONE),
        (
            (PaymentProvider.ALIPAY, "2088102030405060"),
            "alipay:2088102030405060",
            IdKind.PROVIDER_ID,
        ),
        (("alipay", " Fraud@Example.COM "), "alipay:fraud@example.com", IdKind.EMAIL),
        (("wechat_pay:wxid_abc123",), "wechat_pay:wxid_abc123", IdKind.PROVIDER_ID),
        (("微信", "Fraud_Boss-01"), "wechat_pay:fraud_boss-01", IdKind.PROVIDER_ID),
        (("wechat:13912345678",), "wechat_pay:+8613912345678", IdKind.PHONE),
        (("qq_wallet", "10001"), "qq_wallet:10001", IdKind.PROVIDER_ID),
        (("qq钱包", "13800138000"), "qq_wallet:+8613800138000", IdKind.PHONE),
        (("云闪付", "13800138000"), "unionpay_qr:+8613800138000", IdKind.PHONE),
        (("cloud_quickpass", "13800138000"), "unionpay_qr:+8613800138000", IdKind.PHONE),
        (("jd_pay", "a.b+tag@jd.com"), "jd_pay:a.b+tag@jd.com", IdKind.EMAIL),
        (("douyin_pay", "+852 5123 4567"), "douyin_pay:+85251234567", IdKind.PHONE),
        (("meituan_pay", "13800138000"), "meituan_pay:+8613800138000", IdKind.PHONE),
        (("paypal", "scam@xn--fiqs8s.com"), "paypal:scam@xn--fiqs8s.com", IdKind.EMAIL),
        (("paypal", "x＠example.org"), "paypal:x@example.org", IdKind.EMAIL),
    ],
)
def test_payment_valid(args: tuple[object, ...], canonical: str, kind: IdKind) -> None:
    assert account.validate_payment_account(*args) == canonical
    assert account.validate_payment_account(canonical) == canonical
    assert account.is_valid_payment_account(*args)
    i = account.info(canonical)
    assert i.type is AccountType.PAYMENT
    assert i.id_kind is kind
    assert i.value == canonical


def test_qq_number_forced_as_provider_id() -> None:
    assert (
        account.validate_payment_account("qq_wallet", "13800138000", id_kind="provider_id")
        == "qq_wallet:13800138000"
    )
    assert (
        account.validate_payment_account("alipay", "13800138000", id_kind=IdKind.PHONE)
        == "alipay:+8613800138000"
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("13800138000",), "missing_provider"),
        (("bitcoin:1abc",), "unknown_provider"),
        (("other", "13800138000"), "unknown_provider"),
        (("alipay", "95588"), "not_a_subscriber_number"),
        (("alipay", "fraud@example"), "invalid_email"),
        (("alipay", "fraud..x@example.com"), "invalid_email"),
        (("alipay", ".fraud@example.com"), "invalid_email"),
        (("alipay", "fraud@-example.com"), "invalid_email"),
        (("alipay", "fraud@example.c0m"), "invalid_email"),
        (("alipay", "@example.com"), "invalid_format"),
        (("alipay", "用户@example.com"), "letters_not_allowed"),
        (("alipay", "fraud@例子.com"), "letters_not_allowed"),
        (("alipay", "a" * 65 + "@example.com"), "email_too_long"),
        (("jd_pay", "some_user"), "invalid_account_id"),
        (("wechat_pay", "1abcdef"), "invalid_account_id"),  # starts with a digit: not an id
        (("alipay", "abc"), "invalid_account_id"),
        (("qq_wallet", "0123"), "invalid_number"),  # no QQ number, so read as a phone number
        (("alipay", "2088"), "invalid_number"),
        (("alipay", None), "missing_provider"),  # one argument: "<provider>:<id>"
        ((None,), "not_a_string"),
    ],
)
def test_payment_invalid(args: tuple[object, ...], code: str) -> None:
    with pytest.raises(ValidationError) as e:
        account.validate_payment_account(*args)
    assert e.value.code == code
    assert not account.is_valid_payment_account(*args)


@pytest.mark.parametrize(("provider", "raw"), [("qq_wallet", "0123"), ("alipay", "2088")])
def test_payment_forced_provider_id_invalid(provider: str, raw: str) -> None:
    with pytest.raises(InvalidFormatError) as e:
        account.validate_payment_account(provider, raw, id_kind="provider_id")
    assert e.value.code == "invalid_account_id"


def test_payment_unknown_id_kind() -> None:
    with pytest.raises(ConfigurationError):
        account.validate_payment_account("alipay", "x", id_kind="fax")
    assert not account.is_valid_payment_account("alipay", "x", id_kind="fax")


def test_payment_account_is_not_a_bank_account() -> None:
    assert not account.is_valid("alipay:+8613800138000")
    assert account.validate("alipay:13800138000", type="payment") == "alipay:+8613800138000"


# ---------------------------------------------------------------- info/display


def test_info_domestic_card_like_is_masked() -> None:
    pan = "6222021123456789014"
    i = account.info(pan)
    assert i.type is AccountType.DOMESTIC
    assert AccountFlag.MAY_BE_CARD in i.flags
    assert i.value == pan
    assert i.masked == "622202*********9014"
    for text in (repr(i), json.dumps(i.to_dict(), ensure_ascii=False)):
        assert pan not in text
    assert i.to_dict()["masked"] is True


def test_info_domestic_plain() -> None:
    i = account.info("１１００ 6000 0012 346")
    assert i.to_dict() == {
        "value": "110060000012346",
        "masked": False,
        "type": "domestic",
        "country": None,
        "provider": None,
        "id_kind": None,
        "flags": ["fullwidth"],
    }


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32"),
        ("110060000012345", "1100 6000 0012 345"),
    ],
)
def test_display(value: str, shown: str) -> None:
    assert account.display(value) == shown
    assert account.validate(shown) == value


def test_compact() -> None:
    assert account.compact("ｇｂ82 west-1234") == "GB82WEST1234"
    assert account.compact("1234 5678") == "12345678"


# -------------------------------------------------------------- properties


@given(st.text("0123456789 -", min_size=8, max_size=40))
def test_domestic_idempotent(raw: str) -> None:
    if account.is_valid(raw):
        v = account.validate(raw)
        assert account.validate(v) == v
        assert account.validate(account.display(v)) == v


@given(st.text(max_size=60))
def test_is_valid_total_over_text(raw: str) -> None:
    assert isinstance(account.is_valid(raw), bool)
    assert isinstance(account.is_valid_payment_account(raw), bool)
    assert isinstance(account.is_valid_payment_account("alipay", raw), bool)


@given(
    st.one_of(
        st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.integers()), st.booleans()
    )
)
def test_is_valid_total_over_objects(raw: object) -> None:
    assert account.is_valid(raw) is False
    assert account.is_valid_payment_account(raw) is False
    assert account.is_valid_payment_account("alipay", raw) is False
    assert account.is_valid_payment_account(raw, "13800138000") is False


@given(
    st.from_regex(
        r"[a-z0-9]{1,10}(\.[a-z0-9_+-]{1,5}){0,2}@[a-z0-9]{1,10}\.(com|cn|org)", fullmatch=True
    )
)
def test_email_idempotent(email: str) -> None:
    v = account.validate_payment_account("paypal", email.upper())
    assert v == f"paypal:{email}"
    assert account.validate_payment_account(v) == v


@pytest.mark.parametrize(
    "raw",
    [None, 1.0, b"12345678", "1234\x005678", "\ud800" * 10, "1" * 10_000_000, "a:" * 5_000_000],
)
def test_bad_inputs_fast(raw: object) -> None:
    start = time.perf_counter()
    assert account.is_valid(raw) is False
    assert account.is_valid_payment_account(raw) is False
    with pytest.raises(ValidationError):
        account.info(raw)
    assert time.perf_counter() - start < 0.5
