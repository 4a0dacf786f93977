"""Tests for antifraud_common.phone: every documented rule, table-driven."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from antifraud_common import errors, phone
from antifraud_common.phone import PhoneFlag, PhoneInfo, PhoneKind

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "phone_cases.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: c["name"])
def test_valid_vectors(case: dict[str, object]) -> None:
    info = phone.classify(case["input"], allocation=False)
    assert info.value == case["value"]
    assert phone.validate(case["input"]) == case["value"]
    assert phone.is_valid(case["input"])
    assert info.kind.value == case["kind"]
    assert sorted(f.value for f in info.flags) == case["flags"]
    if "host_operator" in case:
        assert info.host_operator == case["host_operator"]
    if "carrier" in case:
        full = phone.classify(case["input"])
        assert full.allocated_carrier == case["carrier"]
        assert full.plan_version == phone.PLAN_VERSION
    # Idempotence and the display round trip.
    assert phone.validate(info.value) == info.value
    assert phone.validate(phone.display(case["input"])) == info.value


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["name"])
def test_invalid_vectors(case: dict[str, object]) -> None:
    with pytest.raises(getattr(errors, str(case["error"]))) as exc_info:
        phone.validate(case["input"])
    assert exc_info.value.code == case["code"]
    assert type(exc_info.value).__name__ == case["error"]
    assert not phone.is_valid(case["input"])
    ((value, error),) = list(phone.validate_many([case["input"]]))
    assert value is None
    assert error is not None
    assert error.code == case["code"]


@pytest.mark.parametrize(
    "raw", [None, 13800138000, b"13800138000", 13800138000.0, ["13800138000"], object()]
)
def test_only_str_accepted(raw: object) -> None:
    with pytest.raises(errors.InvalidFormatError) as exc_info:
        phone.validate(raw)
    assert exc_info.value.code == "not_a_string"
    assert phone.is_valid(raw) is False
    ((value, error),) = list(phone.validate_many([raw]))
    assert value is None
    assert error is not None
    assert error.code == "not_a_string"


def test_huge_input_rejected_quickly() -> None:
    big = "1" * (10 * 1024 * 1024)
    t0 = time.perf_counter()
    with pytest.raises(errors.InvalidLengthError) as exc_info:
        phone.validate(big)
    assert exc_info.value.code == "input_too_long"
    assert phone.is_valid(big) is False
    assert phone.is_valid("+86" + big) is False
    assert time.perf_counter() - t0 < 1.0


def test_length_gate_is_64_characters() -> None:
    padded = " " * (64 - 11) + "13800138000"
    assert phone.validate(padded) == "+8613800138000"
    with pytest.raises(errors.InvalidLengthError):
        phone.validate(" " + padded)


def test_errors_are_value_errors_and_parse_errors_are_wrapped() -> None:
    with pytest.raises(ValueError, match="unknown country calling code") as exc_info:
        phone.validate("+999 1234567")
    assert isinstance(exc_info.value, errors.ValidationError)
    # The phonenumbers exception is chained, never leaked.
    import phonenumbers

    assert isinstance(exc_info.value.__cause__, phonenumbers.NumberParseException)


def test_compact_only_cleans() -> None:
    assert phone.compact("１３８ 0013-8000") == "13800138000"
    assert phone.compact("138O0138OOO") == "138O0138OOO"
    assert phone.compact("+86 (0)10 6234\u200b5678") == "+8601062345678"
    with pytest.raises(errors.InvalidFormatError):
        phone.compact(None)


class TestRegions:
    def test_national_number_in_other_region(self) -> None:
        assert phone.validate("5123 4567", region="HK") == "+85251234567"
        info = phone.classify("5123 4567", region="HK", allocation=False)
        assert info.region_code == "HK"
        assert PhoneFlag.FOREIGN in info.flags

    def test_us_trunk_and_idd(self) -> None:
        assert phone.validate("(650) 253-0000", region="US") == "+16502530000"
        info = phone.classify("011 86 138 0013 8000", region="US", allocation=False)
        assert info.value == "+8613800138000"
        assert PhoneFlag.INTERNATIONAL_PREFIX in info.flags
        assert PhoneFlag.FOREIGN not in info.flags

    def test_plus_number_ignores_region(self) -> None:
        assert phone.validate("+86 138 0013 8000", region="HK") == "+8613800138000"

    def test_chinese_mobile_under_hk_is_not_guessed(self) -> None:
        assert not phone.is_valid("13800138000", region="HK")

    @pytest.mark.parametrize("region", ["cn", "ZZ", "", "china", None, 86, "001"])
    def test_unknown_region_is_a_configuration_error(self, region: object) -> None:
        with pytest.raises(errors.ConfigurationError) as exc_info:
            phone.validate("13800138000", region=region)  # type: ignore[arg-type]
        assert exc_info.value.code == "unknown_region"
        with pytest.raises(errors.ConfigurationError):
            list(phone.validate_many(["13800138000"], region=region))  # type: ignore[arg-type]
        # is_valid never raises: a bad region makes every value invalid.
        assert phone.is_valid("13800138000", region=region) is False  # type: ignore[arg-type]


class TestClassify:
    def test_allocation_facts(self) -> None:
        info = phone.classify("13800138000")
        assert info.allocated_carrier == "中国移动"
        assert info.allocated_area == "北京市"
        assert info.region_code == "CN"
        assert info.country_code == 86
        assert info.national_number == "13800138000"

    def test_unknown_allocation_is_none(self) -> None:
        info = phone.classify("16212345678")
        assert info.allocated_carrier is None
        assert info.host_operator == "china_telecom"

    def test_english_fallback_for_foreign_carrier(self) -> None:
        info = phone.classify("+886 912 345 678")
        assert info.allocated_carrier == "Chunghwa Telecom"
        assert info.allocated_area == "台湾地区"

    def test_short_codes_have_no_allocation(self) -> None:
        info = phone.classify("95588")
        assert info.allocated_carrier is None
        assert info.allocated_area is None
        assert info.kind is PhoneKind.SHORT_CODE

    def test_to_dict_is_json_safe(self) -> None:
        info = phone.classify("+86 170 0123 4567")
        d = info.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert d["kind"] == "mobile"
        assert d["flags"] == ["virtual_operator"]
        assert d["host_operator"] == "china_telecom"

    def test_phone_info_is_frozen_and_kw_only(self) -> None:
        info = phone.classify("13800138000", allocation=False)
        with pytest.raises(AttributeError):
            info.value = "x"  # type: ignore[misc]
        with pytest.raises(TypeError):
            PhoneInfo("+8613800138000")  # type: ignore[misc]

    def test_info_alias(self) -> None:
        assert phone.info is phone.classify

    def test_premium(self) -> None:
        # 16[08] + 5 digits is premium rate in the CN metadata.
        assert phone.classify("16012345", allocation=False).kind is PhoneKind.PREMIUM


class TestMvnoTable:
    def test_every_row_matches_documented_allocation(self) -> None:
        table = phone._mvno_table()
        expected = {
            "china_telecom": {"1700", "1701", "1702", "162"},
            "china_mobile": {"1703", "1705", "1706", "165"},
            "china_unicom": {"1704", "1707", "1708", "1709", "171", "167"},
        }
        for host, prefixes in expected.items():
            assert {p for p, h in table.items() if h == host} == prefixes

    def test_table_ships_inside_the_package_with_source_and_date(self) -> None:
        from importlib import resources

        text = (resources.files("antifraud_common") / "data" / "mvno_prefixes.csv").read_text(
            encoding="utf-8"
        )
        header = [ln for ln in text.splitlines() if ln.startswith("#")]
        assert any("Source" in ln for ln in header)
        assert any("2026-" in ln for ln in header)

    def test_non_virtual_170_block_is_not_flagged(self) -> None:
        # 1740x is satellite, not an MVNO block.
        info = phone.classify("17400012345", allocation=False)
        assert PhoneFlag.VIRTUAL_OPERATOR not in info.flags


class TestFastPath:
    def test_fast_and_general_paths_agree(self) -> None:
        rng = random.Random(5)
        for _ in range(8000):
            nsn = str(rng.randrange(100, 1000)) + "".join(
                rng.choice("0123456789") for _ in range(rng.randrange(6, 11))
            )
            raw = "+86" + nsn
            try:
                general: str | None = phone._analyse(raw, "CN").value
            except errors.ValidationError:
                general = None
            if nsn[0] != "0":
                # Outside the trunk-0 prefixes left to the general path, the fast path
                # decides exactly the regular numbers, whose value is the input itself.
                assert phone._fast_valid(raw) == (general == raw), raw
            ((value, _),) = list(phone.validate_many([raw]))
            assert value == general, raw
            assert phone.is_valid(raw) == (general is not None)

    def test_cleaned_input_shortcut_agrees_with_general_path(self) -> None:
        # validate() sends cleaned +86 / 0086 / trunk-0 / national digits through the
        # fast path; it must give exactly what the general path gives.
        rng = random.Random(8)
        prefixes = ["", "", "+86", "0086", "0", "00", "86", "+86 0", "+852", "tel:", "106"]
        seps = ["", " ", "-", ".", "\u3000", "\u200b", "(", ")"]
        for _ in range(8000):
            digits = str(rng.randrange(10, 200)) + "".join(
                rng.choice("0123456789") for _ in range(rng.randrange(0, 12))
            )
            raw = rng.choice(prefixes) + "".join(
                ch + (rng.choice(seps) if rng.random() < 0.2 else "") for ch in digits
            )
            if rng.random() < 0.05:
                raw += ".0"
            try:
                general: str | None = phone._analyse(raw, "CN").value
                general_code = None
            except errors.ValidationError as e:
                general, general_code = None, e.code
            try:
                ours: str | None = phone.validate(raw)
                ours_code = None
            except errors.ValidationError as e:
                ours, ours_code = None, e.code
            assert (ours, ours_code) == (general, general_code), raw

    def test_prefix_decisions_match_whole_number_lookups(self) -> None:
        from antifraud_common._cn_plan import UNDECIDED, plan

        p = plan()
        rng = random.Random(11)
        for _ in range(20000):
            nsn = str(rng.randrange(10, 200)) + "".join(
                rng.choice("0123456789") for _ in range(rng.randrange(3, 12))
            )
            for table, lookup in (("regular", p.regular), ("local", p.local)):
                decision = p.decide_prefix(table, len(nsn), nsn[:5])
                if decision != UNDECIDED:
                    row = lookup(nsn)
                    assert (decision or None) == (row[0] if row else None), (table, nsn)

    def test_unknown_range_is_distinct_on_every_path(self) -> None:
        raw = "+8615400138000"
        assert phone._fast_decision(raw) == "u"
        for value in (raw, "154 0013 8000", "015400138000"):
            with pytest.raises(errors.InvalidComponentError) as e:
                phone.validate(value)
            assert e.value.code == "unknown_range"
            ((_, error),) = list(phone.validate_many([value]))
            assert error is not None
            assert error.code == "unknown_range"

    def test_validate_many_never_stops_and_keeps_order(self) -> None:
        items: list[object] = ["+8613800138000", None, "138O0138OOO", "95588", "+8615400138000"]
        out = list(phone.validate_many(items))
        assert [v for v, _ in out] == [
            "+8613800138000",
            None,
            None,
            "tel:95588;phone-context=+86",
            None,
        ]
        assert [e.code if e else None for _, e in out] == [
            None,
            "not_a_string",
            "letters_not_allowed",
            None,
            "unknown_range",
        ]

    def test_validate_many_is_lazy(self) -> None:
        def gen():  # type: ignore[no-untyped-def]
            yield "+8613800138000"
            raise RuntimeError("consumed too far")

        it = phone.validate_many(gen())
        assert next(it) == ("+8613800138000", None)


def test_import_is_cheap() -> None:
    code = (
        "import sys, antifraud_common.phone as p; "
        "assert 'phonenumbers.geocoder' not in sys.modules; "
        "assert 'phonenumbers.carrier' not in sys.modules; "
        "p.validate('13800138000'); p.classify('13800138000', allocation=False); "
        "assert 'phonenumbers.geocoder' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_validate_many_errors_hold_no_frames() -> None:
    # A stream of distinct bad values must not keep every raising frame alive: that
    # made screening bad values cost over ten times screening good ones.
    verdicts = list(phone.validate_many(["x1", "12", "+999", "138001380001"]))
    assert all(v is None and e is not None for v, e in verdicts)
    assert all(e.__traceback__ is None for _, e in verdicts if e is not None)


def test_bulk_errors_hold_no_frames() -> None:
    from antifraud_common.index import _bulk
    from antifraud_common.models import IdentifierKind

    for kind in (IdentifierKind.PHONE, IdentifierKind.BANK_CARD, IdentifierKind.IMEI):
        verdicts = _bulk.validate_many(kind, ["x1", "12"])
        assert all(e is not None and e.__traceback__ is None for _, e in verdicts), kind
