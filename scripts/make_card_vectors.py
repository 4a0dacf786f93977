"""Write tests/vectors/cards_cases.json: conformance cases for the non-phone validators.

Usage::

    python scripts/make_card_vectors.py [OUTPUT]

Each case names a function (``card.validate``, ``account.validate_payment_account`` ...),
an input, options, and either the canonical ``value`` (plus ``flags`` from ``info``) or
the error ``code``. Card, ICCID and ID numbers are generated here with their check
digits; none belongs to a real person, card or SIM. Expectations come from the
reference implementation and were reviewed against docs/canonical/cards.md; the unit
tests assert the important ones independently. Output is deterministic.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from stdnum import luhn
from stdnum.cn import ric as stdnum_ric

from antifraud_common import account, card, iccid, idcard, imei
from antifraud_common.errors import AntifraudError

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "cards_cases.json"
NOW = "2026-06-01T00:00:00Z"


def pan(prefix: str, length: int) -> str:
    body = (prefix + "1234567890123456789")[: length - 1]
    return body + luhn.calc_check_digit(body)


def bad(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def ric(body17: str) -> str:
    return body17 + stdnum_ric.calc_check_digit(body17 + "?")


def fw(text: str) -> str:
    return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


ICCID19 = pan("898600123456789012", 19)
ICCID20 = pan("8986011234567890123", 20)

# (name, function, input, options)
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    # ---- card
    ("card_visa_test_pan", "card.validate", "4111 1111 1111 1111", {}),
    ("card_mastercard_2_series", "card.validate", "2223003122003222", {}),
    ("card_amex", "card.validate", "3782-822463-10005", {}),
    ("card_unionpay_icbc_19", "card.validate", pan("622202", 19), {}),
    ("card_unionpay_fullwidth", "card.validate", fw(pan("622848", 19)), {}),
    ("card_unionpay_invisible", "card.validate", "6228\u200b" + pan("622848", 19)[4:], {}),
    ("card_unionpay_81", "card.validate", pan("8110", 16), {}),
    ("card_discover_cobrand_is_unionpay", "card.validate", pan("622126", 16), {}),
    ("card_t_union", "card.validate", pan("31", 19), {}),
    ("card_unknown_scheme", "card.validate", pan("7", 16), {}),
    ("card_legacy_luhn_ok", "card.validate", pan("9558", 19), {}),
    ("card_legacy_luhn_failed", "card.validate", bad(pan("9558", 19)), {}),
    ("card_legacy_strict", "card.validate", bad(pan("9558", 19)), {"strict_luhn": True}),
    ("card_legacy_prefix_wrong_length", "card.validate", bad(pan("9558", 18)), {}),
    ("card_bad_luhn", "card.validate", "4111111111111112", {}),
    ("card_too_short", "card.validate", "41111111111", {}),
    ("card_too_long", "card.validate", "41111111111111111111", {}),
    ("card_amex_16", "card.validate", pan("34", 16), {}),
    ("card_mastercard_19", "card.validate", pan("51", 19), {}),
    ("card_dummy", "card.validate", "0000 0000 0000 0000", {}),
    ("card_iccid_prefix", "card.validate", pan("8986", 19), {}),
    ("card_letter", "card.validate", "4111 1111 1111 111O", {}),
    ("card_dot_separator", "card.validate", "4111.1111.1111.1111", {}),
    ("card_arabic_indic", "card.validate", "٤١١١١١١١١١١١١١١١", {}),
    ("card_tab", "card.validate", "4111\t1111 1111 1111", {}),
    # ---- account: domestic, IBAN, BIC
    ("account_domestic", "account.validate", "1100 6000 0012 346", {}),
    ("account_domestic_short", "account.validate", "1234567", {}),
    ("account_domestic_dummy", "account.validate", "00000000", {}),
    ("account_iban_gb", "account.validate", "gb82 west 1234 5698 7654 32", {}),
    ("account_iban_fullwidth", "account.validate", fw("DE89370400440532013000"), {}),
    ("account_iban_bad_check", "account.validate", "GB82WEST12345698765433", {}),
    ("account_iban_cn", "account.validate", "CN12 3456 7890", {}),
    ("bic_8", "account.validate_bic", "icbk cn bj", {}),
    ("bic_xxx_dropped", "account.validate_bic", "ICBKCNBJXXX", {}),
    ("bic_branch", "account.validate_bic", "BKCHCNBJ300", {}),
    ("bic_bad_country", "account.validate_bic", "ICBKXXBJ", {}),
    # ---- payment accounts
    ("pay_alipay_phone", "account.validate_payment_account", "alipay:138 0013 8000", {}),
    ("pay_alipay_chinese_name", "account.validate_payment_account", "支付宝：13800138000", {}),
    ("pay_alipay_uid", "account.validate_payment_account", "alipay:2088102030405060", {}),
    ("pay_alipay_email", "account.validate_payment_account", "alipay:Fraud@Example.COM", {}),
    ("pay_wechat_id", "account.validate_payment_account", "wechat_pay:Wxid_Abc123", {}),
    ("pay_wechat_alias", "account.validate_payment_account", "微信:fraud_boss-01", {}),
    ("pay_qq_number", "account.validate_payment_account", "qq_wallet:10001", {}),
    ("pay_qq_mobile_like", "account.validate_payment_account", "qq_wallet:13800138000", {}),
    (
        "pay_qq_forced_id",
        "account.validate_payment_account",
        "qq_wallet:13800138000",
        {"id_kind": "provider_id"},
    ),
    ("pay_unionpay_qr", "account.validate_payment_account", "云闪付:+86 138 0013 8000", {}),
    ("pay_paypal_idn", "account.validate_payment_account", "paypal:scam@xn--fiqs8s.com", {}),
    ("pay_short_code", "account.validate_payment_account", "alipay:95588", {}),
    ("pay_unknown_provider", "account.validate_payment_account", "bitcoin:1abc", {}),
    ("pay_no_provider", "account.validate_payment_account", "13800138000", {}),
    ("pay_email_no_tld", "account.validate_payment_account", "alipay:fraud@example", {}),
    ("pay_email_unicode", "account.validate_payment_account", "alipay:fraud@例子.com", {}),
    ("pay_jd_username", "account.validate_payment_account", "jd_pay:some_user", {}),
    # ---- iccid
    ("iccid_19", "iccid.validate", ICCID19, {}),
    (
        "iccid_19_spaced",
        "iccid.validate",
        " ".join(ICCID19[i : i + 4] for i in range(0, 19, 4)),
        {},
    ),
    ("iccid_19_padded", "iccid.validate", ICCID19 + "F", {}),
    ("iccid_20", "iccid.validate", ICCID20, {}),
    ("iccid_20_operator_digit", "iccid.validate", bad(ICCID20), {}),
    ("iccid_20_operator_digit_strict", "iccid.validate", bad(ICCID20), {"strict_luhn": True}),
    ("iccid_19_bad_luhn", "iccid.validate", bad(ICCID19), {}),
    ("iccid_north_america", "iccid.validate", pan("890141032111185107", 19), {}),
    ("iccid_not_89", "iccid.validate", pan("880012345678901234", 19), {}),
    ("iccid_unknown_cc", "iccid.validate", pan("898512345678901234", 19), {}),
    ("iccid_20_padded", "iccid.validate", ICCID20 + "F", {}),
    # ---- imei
    ("imei_15", "imei.validate", "35-417803-685978-9", {}),
    ("imei_14", "imei.validate", "35417803685978", {}),
    ("imei_sv", "imei.validate", "35686800-004141-20", {}),
    ("imei_bad_check", "imei.validate", "354178036859780", {}),
    ("imei_zeros", "imei.validate", "000000000000000", {}),
    ("imei_sequence", "imei.validate", "123456789012345", {}),
    ("imei_emulator", "imei.validate", "004999010640000", {}),
    ("imei_13_digits", "imei.validate", "3541780368597", {}),
    # ---- idcard
    ("ric_example", "idcard.validate_ric", "360426199101010071", {"now": NOW}),
    ("ric_lower_x_spaced", "idcard.validate_ric", "110105 19491231 002x", {"now": NOW}),
    ("ric_fullwidth", "idcard.validate_ric", fw("11010519491231002x"), {"now": NOW}),
    ("ric_bad_check", "idcard.validate_ric", "360426199101010072", {"now": NOW}),
    ("ric_feb_30", "idcard.validate_ric", ric("36042619910230007"), {"now": NOW}),
    ("ric_future", "idcard.validate_ric", ric("36042620990101007"), {"now": NOW}),
    ("ric_before_1900", "idcard.validate_ric", ric("36042618991231007"), {"now": NOW}),
    ("ric_unknown_region", "idcard.validate_ric", ric("00000019910101007"), {"now": NOW}),
    ("ric_15_rejected", "idcard.validate_ric", "110105491231002", {"now": NOW}),
    ("ric_15_upgraded", "idcard.validate_ric", "110105491231002", {"now": NOW, "upgrade": True}),
    ("uscc_example", "idcard.validate_uscc", "9111 0000 6000 3734 1l", {}),
    ("uscc_fullwidth_letter", "idcard.validate_uscc", fw("91110000600037341l"), {}),
    ("uscc_bad_check", "idcard.validate_uscc", "91110000600037341M", {}),
    ("idcard_dispatch_uscc", "idcard.validate", "91110000600037341L", {"now": NOW}),
    ("idcard_dispatch_ric_typo", "idcard.validate", "360426199101010072", {"now": NOW}),
]

MODULES = {"card": card, "account": account, "iccid": iccid, "imei": imei, "idcard": idcard}
INFO = {
    "card.validate": card.info,
    "iccid.validate": iccid.info,
    "imei.validate": imei.info,
    "idcard.validate_ric": idcard.info,
}


def _options(options: dict[str, Any]) -> dict[str, Any]:
    out = dict(options)
    if "now" in out:
        out["now"] = datetime.fromisoformat(out["now"])
    return out


def run_case(function: str, raw: str, options: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"value": ..., "flags": [...]}`` or ``{"error": code}`` for one case."""
    module_name, func_name = function.split(".")
    func = getattr(MODULES[module_name], func_name)
    kwargs = _options(options)
    try:
        value = func(raw, **kwargs)
    except AntifraudError as e:
        return {"error": e.code}
    result: dict[str, Any] = {"value": value}
    describe = INFO.get(function)
    if describe is not None:
        result["flags"] = sorted(f.value for f in describe(raw, **kwargs).flags)
    return result


def build() -> dict[str, Any]:
    cases = []
    for name, function, raw, options in CASES:
        case: dict[str, Any] = {"name": name, "function": function, "input": raw}
        if options:
            case["options"] = options
        case.update(run_case(function, raw, options))
        cases.append(case)
    return {
        "description": (
            "Conformance cases for antifraud_common's card, account, payment-account, "
            "ICCID, IMEI and ID-number validators: input, options and the canonical value "
            "(with info flags) or the error code, as specified in docs/canonical/cards.md. "
            "Numbers are generated with valid or deliberately wrong check digits and "
            "belong to no real card, SIM, device or person; 4111111111111111, "
            "2223003122003222 and 378282246310005 are published test card numbers, "
            "354178036859789 and 35686800-004141-20 python-stdnum's IMEI examples, "
            "360426199101010071, 11010519491231002X and 91110000600037341L "
            "python-stdnum's cn.ric and cn.uscc examples, GB82WEST12345698765432 the "
            "ISO 13616 example IBAN."
        ),
        "generated_by": "scripts/make_card_vectors.py",
        "cases": cases,
    }


def render() -> str:
    data = build()
    lines = ["{"]
    lines.append(f'  "description": {json.dumps(data["description"])},')
    lines.append(f'  "generated_by": {json.dumps(data["generated_by"])},')
    lines.append('  "cases": [')
    # ASCII escapes: the inputs hold invisible and look-alike characters on purpose.
    body = [f"    {json.dumps(c, ensure_ascii=True)}" for c in data["cases"]]
    lines.append(",\n".join(body))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    output.write_text(render(), encoding="utf-8", newline="\n")
    print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
