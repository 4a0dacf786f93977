"""Bank accounts (domestic, IBAN), BICs and third-party payment accounts.

Four identifier families a bank integrator meets when an account must be held,
frozen or screened:

* **Domestic bank account numbers** (对公账户, 存折, 内部户 ... and card-linked
  personal accounts): 8 to 30 ASCII digits. Chinese account numbers have **no
  public checksum** and bank-specific lengths, so only the shape can be checked.
  Canonical form: the digits.
* **IBAN** (ISO 13616) via :mod:`stdnum.iban` (country format and mod-97 check).
  Canonical form: compact upper case (``GB82WEST12345698765432``). China and Hong
  Kong do not use IBANs.
* **BIC** (ISO 9362, SWIFT code) via :mod:`stdnum.bic`. Canonical form: compact
  upper case, and a branch code ``XXX`` (the primary office) is dropped, so
  ``ICBKCNBJXXX`` and ``ICBKCNBJ`` are the same value ``ICBKCNBJ``.
* **Payment accounts** at a wallet provider (支付宝, 微信支付, 云闪付 ...).
  Canonical form ``<provider>:<id>`` where the id is an E.164 phone number, a
  lower-cased e-mail address or a provider account id (see
  :func:`validate_payment_account` and docs/canonical/cards.md).

:func:`validate` takes a bank account: IBAN when the cleaned value starts with two
letters and two digits, a domestic number otherwise.

>>> validate("6222 0211 2345 6789 01")
'622202112345678901'
>>> validate("gb82 west 1234 5698 7654 32")
'GB82WEST12345698765432'
>>> validate_bic("icbk cn bj xxx")
'ICBKCNBJ'
>>> validate_payment_account("alipay", "138 0013 8000")
'alipay:+8613800138000'
>>> validate_payment_account("微信支付：wxid_Abc123")
'wechat_pay:wxid_abc123'
>>> validate_payment_account("paypal:Fraud.Desk@Example.COM")
'paypal:fraud.desk@example.com'
>>> validate("1234567")
Traceback (most recent call last):
...
antifraud_common.errors.InvalidLengthError: a domestic account number has at least 8 digits, got 7
"""

from __future__ import annotations

import enum
import re
import string
from typing import Any, Final

import attrs
from stdnum import bic as _bic
from stdnum import iban as _iban

from antifraud_common import _text
from antifraud_common._stdnum import StdnumError, wrap
from antifraud_common.errors import (
    ConfigurationError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ValidationError,
)

__all__ = [
    "DOMESTIC_MAX_LENGTH",
    "DOMESTIC_MIN_LENGTH",
    "AccountFlag",
    "AccountInfo",
    "AccountType",
    "IdKind",
    "PaymentProvider",
    "compact",
    "display",
    "info",
    "is_valid",
    "is_valid_payment_account",
    "split_payment_account",
    "validate",
    "validate_bic",
    "validate_domestic",
    "validate_iban",
    "validate_payment_account",
]

DOMESTIC_MIN_LENGTH: Final = 8
DOMESTIC_MAX_LENGTH: Final = 30
_MAX_RAW: Final = 80
_MAX_PAYMENT_RAW: Final = 320
_ACCOUNT_SEPARATORS: Final = frozenset(" ") | _text.DASHES
_ALNUM: Final = string.ascii_uppercase + string.digits
_IBAN_SHAPE: Final = re.compile(r"[A-Za-z]{2}[0-9]{2}")


class AccountType(enum.Enum):
    """What kind of account identifier a value is."""

    DOMESTIC = "domestic"
    IBAN = "iban"
    BIC = "bic"
    PAYMENT = "payment"


class AccountFlag(enum.Enum):
    """Facts noticed while validating (reported by :func:`info`)."""

    FULLWIDTH = "fullwidth"
    INVISIBLE = "invisible"
    MAY_BE_CARD = "may_be_card"
    """A domestic account number that is also a valid payment card number."""
    CARD_RANGE = "card_range"
    """A domestic account number with a payment card's length and prefix whose card
    check digit fails: a mistyped card number, or an account numbered in a card range."""
    MAY_BE_IDCARD = "may_be_idcard"
    """A domestic account number that is also a valid resident ID number (18 digits)."""


class PaymentProvider(enum.Enum):
    """Wallet and payment providers (closed list; extended only by a format revision)."""

    ALIPAY = "alipay"
    WECHAT_PAY = "wechat_pay"
    QQ_WALLET = "qq_wallet"
    UNIONPAY_QR = "unionpay_qr"
    JD_PAY = "jd_pay"
    DOUYIN_PAY = "douyin_pay"
    MEITUAN_PAY = "meituan_pay"
    PAYPAL = "paypal"


class IdKind(enum.Enum):
    """How a payment account id is written."""

    PHONE = "phone"
    EMAIL = "email"
    PROVIDER_ID = "provider_id"


#: Names accepted for each provider besides its enum value (compared after lower-casing).
_PROVIDER_ALIASES: Final[dict[str, PaymentProvider]] = {
    "支付宝": PaymentProvider.ALIPAY,
    "wechat": PaymentProvider.WECHAT_PAY,
    "weixin": PaymentProvider.WECHAT_PAY,
    "微信": PaymentProvider.WECHAT_PAY,
    "微信支付": PaymentProvider.WECHAT_PAY,
    "财付通": PaymentProvider.WECHAT_PAY,
    "tenpay": PaymentProvider.WECHAT_PAY,
    "qq钱包": PaymentProvider.QQ_WALLET,
    "云闪付": PaymentProvider.UNIONPAY_QR,
    "cloud_quickpass": PaymentProvider.UNIONPAY_QR,
    "unionpay": PaymentProvider.UNIONPAY_QR,
    "京东支付": PaymentProvider.JD_PAY,
    "抖音支付": PaymentProvider.DOUYIN_PAY,
    "美团支付": PaymentProvider.MEITUAN_PAY,
}

# Provider account ids (the id shown in the provider's app), per provider.
# Alipay user ids are 16 digits starting 2088; a WeChat ID (微信号) starts with a
# letter, has 6-20 letters, digits, '_' or '-' and ignores letter case (the
# system-assigned ``wxid_...`` ids are also accepted, up to 40 characters);
# a QQ number is 5-11 digits without a leading zero.
_PROVIDER_ID_RULES: Final[dict[PaymentProvider, re.Pattern[str]]] = {
    PaymentProvider.ALIPAY: re.compile(r"2088[0-9]{12}", re.ASCII),
    PaymentProvider.WECHAT_PAY: re.compile(r"(?:[a-z][a-z0-9_-]{5,19}|wxid_[a-z0-9_-]{1,35})"),
    PaymentProvider.QQ_WALLET: re.compile(r"[1-9][0-9]{4,10}", re.ASCII),
}
# Providers whose ids are case-insensitive (lower-cased in the canonical form).
_CASE_FOLDED_IDS: Final = frozenset({PaymentProvider.WECHAT_PAY})

_EMAIL_LOCAL: Final = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD: Final = re.compile(r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")


# ------------------------------------------------------------------ domestic


def _clean_digits(raw: object, what: str) -> _text.Cleaned:
    return _text.digits_only(raw, max_length=_MAX_RAW, separators=_ACCOUNT_SEPARATORS, what=what)


def validate_domestic(raw: object) -> str:
    """Return a domestic bank account number (8-30 ASCII digits) or raise.

    There is no checksum for Chinese bank account numbers, so this checks the
    characters, the length and that the number is not one digit repeated
    (``dummy_number``); it cannot tell a mistyped number from a real one.

    >>> validate_domestic("1001-0012-3456-7890")
    '1001001234567890'
    """
    number = _clean_digits(raw, "domestic account number").text
    n = len(number)
    if n < DOMESTIC_MIN_LENGTH:
        raise InvalidLengthError(
            f"a domestic account number has at least {DOMESTIC_MIN_LENGTH} digits, got {n}",
            code="too_short",
        )
    if n > DOMESTIC_MAX_LENGTH:
        raise InvalidLengthError(
            f"a domestic account number has at most {DOMESTIC_MAX_LENGTH} digits, got {n}",
            code="too_long",
        )
    if number.count(number[0]) == n:
        raise InvalidComponentError(
            "an account number cannot be one digit repeated", code="dummy_number"
        )
    return number


# ---------------------------------------------------------------- IBAN / BIC


def _clean_alnum(raw: object, what: str) -> _text.Cleaned:
    cleaned = _text.clean(raw, max_length=_MAX_RAW, separators=_ACCOUNT_SEPARATORS, what=what)
    text = cleaned.text.upper() if cleaned.text.isascii() else cleaned.text
    if not (text.isascii() and text.isalnum()):
        _text.reject_unexpected(text, allowed=_ALNUM, what=what)
    return cleaned._replace(text=text)


def validate_iban(raw: object) -> str:
    """Return the IBAN in compact upper case, or raise (checked by :mod:`stdnum.iban`).

    >>> validate_iban("DE89 3704 0044 0532 0130 00")
    'DE89370400440532013000'
    """
    text = _clean_alnum(raw, "IBAN").text
    try:
        return str(_iban.validate(text))
    except StdnumError as e:
        raise wrap(e, what="IBAN") from e


def validate_bic(raw: object) -> str:
    """Return the BIC in compact upper case without a ``XXX`` branch code, or raise.

    >>> validate_bic("BKCHCNBJ300"), validate_bic("ICBKCNBJXXX")
    ('BKCHCNBJ300', 'ICBKCNBJ')
    """
    text = _clean_alnum(raw, "BIC").text
    try:
        value = str(_bic.validate(text))
    except StdnumError as e:
        raise wrap(e, what="BIC") from e
    return value[:8] if value.endswith("XXX") else value


# ------------------------------------------------------------ bank accounts


def _account_type(raw: object) -> AccountType:
    text = _text.clean(raw, max_length=_MAX_RAW, separators=_ACCOUNT_SEPARATORS).text
    return AccountType.IBAN if _IBAN_SHAPE.match(text) else AccountType.DOMESTIC


def compact(raw: object) -> str:
    """Clean a bank account number (spaces, dashes, full-width, invisible) without validating.

    >>> compact("ｇｂ82 west-1234")
    'GB82WEST1234'
    """
    text = _text.clean(raw, max_length=_MAX_RAW, separators=_ACCOUNT_SEPARATORS).text
    return text.upper() if text.isascii() else text


def validate(raw: object, *, type: AccountType | str | None = None) -> str:
    """Return the canonical bank account (domestic digits or IBAN), or raise.

    ``type`` forces ``"domestic"``, ``"iban"`` or ``"bic"``; by default a value
    starting with two letters and two digits is an IBAN and anything else a
    domestic number. Payment accounts have their own function
    (:func:`validate_payment_account`) because their canonical form differs.

    >>> validate("DE89370400440532013000"), validate("110 0600 0001 2345", type="domestic")
    ('DE89370400440532013000', '110060000012345')
    """
    kind = _account_type(raw) if type is None else _to_type(type)
    if kind is AccountType.IBAN:
        return validate_iban(raw)
    if kind is AccountType.BIC:
        return validate_bic(raw)
    if kind is AccountType.PAYMENT:
        return validate_payment_account(raw)
    return validate_domestic(raw)


def _to_type(value: AccountType | str) -> AccountType:
    if isinstance(value, AccountType):
        return value
    try:
        return AccountType(value)
    except ValueError:
        allowed = ", ".join(t.value for t in AccountType)
        raise ConfigurationError(
            f"unknown account type; expected one of: {allowed}", code="unknown_account_type"
        ) from None


def is_valid(raw: object, *, type: AccountType | str | None = None) -> bool:
    """Return whether :func:`validate` accepts ``raw``; never raises.

    >>> is_valid("GB82WEST12345698765432"), is_valid("GB82WEST12345698765433"), is_valid(None)
    (True, False, False)
    """
    try:
        validate(raw, type=type)
    except (ValidationError, ConfigurationError):
        return False
    return True


def display(value: object) -> str:
    """Return an account for reading: IBANs and domestic numbers in groups of four.

    >>> display("GB82WEST12345698765432")
    'GB82 WEST 1234 5698 7654 32'
    >>> display("110060000012345")
    '1100 6000 0012 345'

    A payment account's canonical ``<provider>:<id>`` is already its display form.
    """
    v = validate(value)
    return " ".join(v[i : i + 4] for i in range(0, len(v), 4))


# ---------------------------------------------------------- payment accounts


def _to_provider(raw: object) -> PaymentProvider:
    if isinstance(raw, PaymentProvider):
        return raw
    text = _text.clean(raw, max_length=40, separators=frozenset(" "), what="payment provider").text
    name = text.lower()
    try:
        return PaymentProvider(name)
    except ValueError:
        pass
    found = _PROVIDER_ALIASES.get(name)
    if found is None:
        allowed = ", ".join(p.value for p in PaymentProvider)
        raise InvalidComponentError(
            f"unknown payment provider; expected one of: {allowed}", code="unknown_provider"
        )
    return found


def split_payment_account(raw: object) -> tuple[PaymentProvider, str]:
    """Split ``"<provider>:<id>"`` (``:`` or full-width ``：``) into provider and raw id.

    >>> split_payment_account("支付宝：fraud@example.com")
    (<PaymentProvider.ALIPAY: 'alipay'>, 'fraud@example.com')
    """
    text = _text.check_str(raw, max_length=_MAX_PAYMENT_RAW, what="payment account")
    name, sep, rest = text.replace("：", ":").partition(":")
    if not sep:
        raise InvalidFormatError(
            "a payment account is written <provider>:<id>", code="missing_provider"
        )
    return _to_provider(name), rest


def _validate_email(raw: str) -> str:
    cleaned = _text.clean(
        raw, max_length=_MAX_PAYMENT_RAW, separators=frozenset(" "), what="e-mail"
    )
    text = cleaned.text
    if not text.isascii():
        _text.reject_unexpected(
            text, allowed=string.ascii_letters + string.digits + "@.!#$%&'*+/=?^_`{|}~-"
        )
    text = text.lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise InvalidFormatError("an e-mail address needs a local part and a domain")
    if len(local) > 64 or len(domain) > 253:
        raise InvalidLengthError("the e-mail address is too long", code="email_too_long")
    if not _EMAIL_LOCAL.fullmatch(local):
        raise InvalidFormatError(
            "the e-mail local part has characters or dots not allowed in an address",
            code="invalid_email",
        )
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or not _TLD.fullmatch(labels[-1])
    ):
        raise InvalidFormatError("the e-mail domain is not a valid host name", code="invalid_email")
    return f"{local}@{domain}"


def _validate_phone(raw: str) -> str:
    # Imported on first use: phonenumbers' metadata is only needed for phone ids.
    from antifraud_common import phone

    value: str = phone.validate(raw, region="CN")
    if not value.startswith("+"):
        raise InvalidComponentError(
            "a payment account phone number must be a subscriber number with an E.164 form",
            code="not_a_subscriber_number",
        )
    return value


def _validate_provider_id(provider: PaymentProvider, raw: str) -> str:
    rule = _PROVIDER_ID_RULES.get(provider)
    if rule is None:
        raise InvalidFormatError(
            f"{provider.value} accounts are identified by a phone number or e-mail address",
            code="invalid_account_id",
        )
    text = _text.clean(raw, max_length=64, separators=frozenset(" "), what="account id").text
    if provider in _CASE_FOLDED_IDS and text.isascii():
        text = text.lower()
    if not rule.fullmatch(text):
        raise InvalidFormatError(
            f"not a valid {provider.value} account id", code="invalid_account_id"
        )
    return text


def _guess_kind(provider: PaymentProvider, raw: str) -> IdKind:
    if "@" in raw or "＠" in raw:
        return IdKind.EMAIL
    # Phone numbers never contain ASCII letters: such an id can only be a provider
    # id, and its error (``invalid_account_id``) says more than "letters not allowed".
    has_letters = any(c.isascii() and c.isalpha() for c in raw)
    rule = _PROVIDER_ID_RULES.get(provider)
    if rule is None:
        return IdKind.PROVIDER_ID if has_letters else IdKind.PHONE
    stripped = raw.strip()
    if stripped[:1] in ("+", "＋"):
        return IdKind.PHONE
    try:
        _validate_provider_id(provider, raw)
    except ValidationError:
        return IdKind.PROVIDER_ID if has_letters else IdKind.PHONE
    # A provider id that is also a valid phone number (an 11-digit QQ number
    # such as 13800138000) is read as the phone number.
    try:
        _validate_phone(raw)
    except ValidationError:
        return IdKind.PROVIDER_ID
    return IdKind.PHONE


def _payment(
    provider_or_raw: object, account_id: object, id_kind: IdKind | str | None
) -> tuple[PaymentProvider, IdKind, str]:
    if account_id is None:
        provider, raw_id = split_payment_account(provider_or_raw)
    else:
        provider = _to_provider(provider_or_raw)
        raw_id = _text.check_str(account_id, max_length=_MAX_PAYMENT_RAW, what="account id")
    if id_kind is None:
        kind = _guess_kind(provider, raw_id)
    elif isinstance(id_kind, IdKind):
        kind = id_kind
    else:
        try:
            kind = IdKind(id_kind)
        except ValueError:
            raise ConfigurationError("unknown id kind", code="unknown_id_kind") from None
    if kind is IdKind.EMAIL:
        value = _validate_email(raw_id)
    elif kind is IdKind.PHONE:
        value = _validate_phone(raw_id)
    else:
        value = _validate_provider_id(provider, raw_id)
    return provider, kind, f"{provider.value}:{value}"


def validate_payment_account(
    provider_or_raw: object,
    account_id: object = None,
    *,
    id_kind: IdKind | str | None = None,
) -> str:
    """Return the canonical payment account ``<provider>:<id>``, or raise.

    Call it with one string ``"alipay:13800138000"`` (``：`` also separates) or
    with the provider and the id apart. The id is read as an e-mail address when
    it contains ``@``, as a provider account id when it matches the provider's id
    rule and is not also a valid phone number, as a (rejected) provider id when it
    has ASCII letters but matches no rule, and as a phone number (region CN for
    numbers without ``+``) otherwise; ``id_kind`` forces one reading.

    >>> validate_payment_account("alipay", "2088 1020 3040 5060")
    'alipay:2088102030405060'
    >>> validate_payment_account("qq_wallet:10001")
    'qq_wallet:10001'
    >>> validate_payment_account("jd_pay", "+86 138 0013 8000")
    'jd_pay:+8613800138000'
    """
    return _payment(provider_or_raw, account_id, id_kind)[2]


def is_valid_payment_account(
    provider_or_raw: object,
    account_id: object = None,
    *,
    id_kind: IdKind | str | None = None,
) -> bool:
    """Return whether :func:`validate_payment_account` accepts the arguments; never raises."""
    try:
        _payment(provider_or_raw, account_id, id_kind)
    except (ValidationError, ConfigurationError):
        return False
    return True


# --------------------------------------------------------------------- info


@attrs.frozen(kw_only=True)
class AccountInfo:
    """What :func:`info` found about an account identifier.

    ``masked`` equals ``value`` except for a domestic number that is also a valid
    card number (flag ``may_be_card``) or has a card's length and prefix but fails
    its check digit (flag ``card_range``, see :func:`.card.in_card_range`): it is
    then masked like a card (first 6 and last 4 digits); one that is also a valid
    resident ID number (flag ``may_be_idcard``) is masked as :func:`.idcard.mask`
    does. ``repr`` and :meth:`to_dict` show only ``masked``.
    """

    value: str = attrs.field(repr=False)
    masked: str
    type: AccountType
    country: str | None = None
    provider: PaymentProvider | None = None
    id_kind: IdKind | None = None
    flags: frozenset[AccountFlag] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (used by ``antifraud check``)."""
        return {
            "value": self.masked,
            "masked": self.masked != self.value,
            "type": self.type.value,
            "country": self.country,
            "provider": None if self.provider is None else self.provider.value,
            "id_kind": None if self.id_kind is None else self.id_kind.value,
            "flags": sorted(f.value for f in self.flags),
        }


_BIC_SHAPE: Final = re.compile(r"[A-Za-z]{6}[A-Za-z0-9]{2}(?:[A-Za-z0-9]{3})?")


def info(raw: object) -> AccountInfo:
    """Validate and describe any account identifier: payment, IBAN, BIC or domestic.

    ``provider:id`` is a payment account, ``AA00...`` an IBAN, 8 or 11 characters
    starting with six letters a BIC, and anything else a domestic account number.

    >>> info("alipay:fraud@example.com").to_dict()["id_kind"]
    'email'
    >>> info("ICBKCNBJ").type
    <AccountType.BIC: 'bic'>
    """
    text = _text.check_str(raw, max_length=_MAX_PAYMENT_RAW, what="account")
    if ":" in text or "：" in text:
        provider, kind, value = _payment(text, None, None)
        return AccountInfo(
            value=value, masked=value, type=AccountType.PAYMENT, provider=provider, id_kind=kind
        )
    cleaned = _text.clean(text, max_length=_MAX_RAW, separators=_ACCOUNT_SEPARATORS)
    flags: set[AccountFlag] = set()
    if cleaned.fullwidth:
        flags.add(AccountFlag.FULLWIDTH)
    if cleaned.invisible:
        flags.add(AccountFlag.INVISIBLE)
    if _IBAN_SHAPE.match(cleaned.text):
        value = validate_iban(text)
        return AccountInfo(
            value=value,
            masked=value,
            type=AccountType.IBAN,
            country=value[:2],
            flags=frozenset(flags),
        )
    if _BIC_SHAPE.fullmatch(cleaned.text):
        value = validate_bic(text)
        return AccountInfo(
            value=value,
            masked=value,
            type=AccountType.BIC,
            country=value[4:6],
            flags=frozenset(flags),
        )
    value = validate_domestic(text)
    from antifraud_common import card

    masked = value
    if card.is_valid(value, strict_luhn=True):
        flags.add(AccountFlag.MAY_BE_CARD)
        masked = card.mask(value)
    elif card.in_card_range(value):
        flags.add(AccountFlag.CARD_RANGE)
        masked = card.mask(value)
    elif len(value) == 18:
        from antifraud_common import idcard

        if idcard.is_valid(value, type=idcard.IdType.RESIDENT_ID):
            flags.add(AccountFlag.MAY_BE_IDCARD)  # personal data: shown as ID numbers are
            masked = idcard.mask(value)
    return AccountInfo(
        value=value, masked=masked, type=AccountType.DOMESTIC, flags=frozenset(flags)
    )
