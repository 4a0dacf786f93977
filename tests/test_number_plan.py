"""Tests for the packaged +86 number plan (data/cn_number_plan.csv) and its generator."""

from __future__ import annotations

import importlib.util
import random
import re
from importlib import resources
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from antifraud_common import errors, phone
from antifraud_common._cn_plan import Plan, plan

ROOT = Path(__file__).resolve().parent.parent


def _script() -> Any:
    path = ROOT / "scripts" / "build_cn_plan.py"
    spec = importlib.util.spec_from_file_location("build_cn_plan", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _script()
PACKAGED = (resources.files("antifraud_common") / "data" / "cn_number_plan.csv").read_text(
    encoding="utf-8"
)
SAME_SOURCE = phonenumbers.__version__ == GEN.PHONENUMBERS_VERSION
needs_source = pytest.mark.skipif(
    not SAME_SOURCE, reason="the plan is derived from another phonenumbers version"
)


def test_header_says_version_date_and_sources() -> None:
    header = [ln for ln in PACKAGED.splitlines() if ln.startswith("#")]
    assert f"# plan_version: {phone.PLAN_VERSION}" in header
    assert f"# date: {GEN.PLAN_DATE}" in header
    assert any(ln.startswith(f"# phonenumbers: {GEN.PHONENUMBERS_VERSION}") for ln in header)
    assert any("MIIT" in ln for ln in header)
    assert plan().version == phone.PLAN_VERSION == GEN.PLAN_VERSION


@needs_source
def test_packaged_plan_is_what_the_generator_builds() -> None:
    assert GEN.build() == PACKAGED


def test_generator_refuses_another_phonenumbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phonenumbers, "__version__", "0.0.1")
    with pytest.raises(SystemExit):
        GEN.build()


@pytest.mark.parametrize(
    "bad",
    [
        "table,length,prefix,kind,carrier\nregular,11,13,mobile,\nregular,11,138,mobile,\n",
        "table,length,prefix,kind,carrier\nregular,11,13,mobile,\nregular,11,13,iot,\n",
        "table,length,prefix,kind,carrier\nregular,11,13,bogus,\n",
        "table,length,prefix,kind,carrier\nregular,2,138,mobile,\n",
        "table,length,prefix,kind,carrier\nother,11,13,mobile,\n",
        "wrong,header\n",
    ],
)
def test_plan_parser_refuses_ambiguous_or_bad_rows(bad: str) -> None:
    with pytest.raises((ValueError, KeyError)):
        Plan("# plan_version: 1\n# date: x\n" + bad)


def _outside_overrides(nsn: str, table: str) -> bool:
    return not any(
        t == table and len(nsn) in lengths and any(nsn.startswith(p) for p in prefixes)
        for t, lengths, prefixes, *_ in GEN.OVERRIDES
    )


_PN_KIND = {
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.VOIP: "voip",
}


@needs_source
def test_regular_rows_agree_with_phonenumbers_outside_the_library_rules() -> None:
    """An independent check of the derivation: phonenumbers' own is_valid_number/number_type."""
    rng = random.Random(86)
    p = plan()
    checked = 0
    for _ in range(40000):
        length = rng.randrange(7, 13)
        nsn = str(rng.randrange(1, 10)) + "".join(
            rng.choice("0123456789") for _ in range(length - 1)
        )
        if not _outside_overrides(nsn, "regular"):
            continue
        num = phonenumbers.PhoneNumber(country_code=86, national_number=int(nsn))
        theirs = (
            _PN_KIND.get(phonenumbers.number_type(num))
            if phonenumbers.is_valid_number(num)
            else None
        )
        row = p.regular(nsn)
        ours = row[0] if row and row[0] != "unknown" else None
        assert ours == theirs, nsn
        if ours in ("mobile", "fixed_line_or_mobile"):
            from phonenumbers import carrier

            name = carrier.name_for_number(num, "zh") or carrier.name_for_number(num, "en")
            assert row is not None and row[1] == name, nsn
        checked += 1
    assert checked > 30000


@needs_source
def test_local_rows_agree_with_phonenumbers_short_numbers() -> None:
    rng = random.Random(95)
    p = plan()
    for _ in range(20000):
        length = rng.randrange(3, 9)
        digits = str(rng.randrange(10 ** (length - 1), 10**length))
        if not _outside_overrides(digits, "local"):
            continue
        num = phonenumbers.PhoneNumber(country_code=86, national_number=int(digits))
        theirs = phonenumbers.is_valid_short_number_for_region(num, "CN")
        assert (p.local(digits) is not None) == theirs, digits
    for code in ("95588", "10086", "12321", "96110", "12110"):
        assert p.local(code) == ("short_code", "")


@pytest.mark.parametrize(
    ("nsn", "kind"),
    [
        ("14000088285", None),  # no 11-digit 140 block
        ("14412345678", None),
        ("14512345678", "mobile"),
        ("14612345678", "iot"),
        ("14712345678", "mobile"),
        ("14812345678", "iot"),
        ("14912345678", "mobile"),  # China Telecom data card, like 145/147
        ("1410123456789", "iot"),
        ("1440123456789", "iot"),
        ("1441123456789", "iot"),
        ("1411123456789", "unknown"),  # reserved
        ("1442123456789", "unknown"),
        ("1400123456789", "unknown"),
        ("1460123456789", "unknown"),  # 146/148 are 11-digit blocks (MIIT)
        ("1480123456789", "unknown"),
        ("1064812345678", "iot"),  # machine communication, not an SMS port
    ],
)
def test_14x_blocks(nsn: str, kind: str | None) -> None:
    row = plan().regular(nsn)
    assert (row[0] if row else None) == kind
    if len(nsn) == 13 and nsn[:4] == "1064":
        assert plan().local(nsn) is None
        assert plan().local(nsn[:12]) == ("sms_port", "")


def test_unknown_range_is_its_own_code_and_names_the_plan() -> None:
    with pytest.raises(errors.InvalidComponentError) as e:
        phone.validate("1442123456789")
    assert e.value.code == "unknown_range"
    assert f"plan {phone.PLAN_VERSION}" in e.value.message


def test_classify_reports_the_plan_version() -> None:
    assert phone.classify("13800138000", allocation=False).plan_version == phone.PLAN_VERSION
    assert phone.classify("+85251234567", allocation=False).plan_version is None
    assert phone.classify("95588").to_dict()["plan_version"] == phone.PLAN_VERSION


def test_chinese_verdicts_do_not_import_phonenumbers() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from antifraud_common import phone; "
        "[phone.is_valid(x) for x in ('13800138000', '+861062345678', '95588', '1064812345678',"
        " '154 0013 8000', '１３８ 0013 8000', '010-12345')]; "
        "phone.classify('13800138000', allocation=False); "
        "assert not any(m.startswith('phonenumbers') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('phonenumbers'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_expansion_matches_pattern() -> None:
    pattern = r"1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}"
    products = GEN.expand(pattern)
    rx = re.compile(pattern)
    rng = random.Random(3)
    for _ in range(3000):
        s = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        in_products = any(all(c in cls for c, cls in zip(s, p, strict=True)) for p in products)
        assert in_products == (rx.fullmatch(s) is not None)


@pytest.mark.parametrize("bad", [r"1+", r"[^1]", r"(?=1)1", r"a", r"1{2,}"])
def test_unsupported_pattern_syntax_is_refused(bad: str) -> None:
    with pytest.raises(GEN.UnsupportedPatternError):
        GEN.expand(bad)
