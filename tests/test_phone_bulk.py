"""The bulk and cheap paths of antifraud_common.phone give the strict path's verdicts.

``phone._analyse`` is the strict path: every number of another country goes through
``phonenumbers.parse`` and ``is_valid_number``. :func:`phone.validate`,
:func:`phone.validate_many` and :func:`phone.decide_many` decide many refusals (unknown
country calling codes, impossible lengths, national numbers no region's pattern
admits, letters and other junk) without it; these tests hold them to the strict
path's value, error class, code and message.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antifraud_common import _text, phone
from antifraud_common.errors import ConfigurationError, ValidationError

VECTORS = json.loads((Path(__file__).parent / "vectors" / "phone_cases.json").read_text("utf-8"))

Verdict = tuple[str | None, tuple[str, str, str] | None]


def strict(raw: object, region: str = "CN") -> Verdict:
    try:
        return phone._analyse(raw, region).value, None
    except ValidationError as e:
        return None, (type(e).__name__, e.code, str(e))


def via_validate(raw: object, region: str = "CN") -> Verdict:
    try:
        return phone.validate(raw, region=region), None
    except ValidationError as e:
        return None, (type(e).__name__, e.code, str(e))


def via_validate_many(raw: object, region: str = "CN") -> Verdict:
    [(value, error)] = list(phone.validate_many([raw], region=region))
    if error is None:
        return value, None
    return None, (type(error).__name__, error.code, str(error))


def check_all_paths(raw: object, region: str = "CN") -> None:
    expected = strict(raw, region)
    assert via_validate(raw, region) == expected, raw
    assert via_validate_many(raw, region) == expected, raw
    [(value, code)] = phone.decide_many([raw], region=region)
    assert (value, code) == (expected[0], expected[1][1] if expected[1] else None), raw


_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
digits_st = st.text(alphabet="0123456789", min_size=0, max_size=22)
#: A real country calling code followed by random digits: past the code check.
coded_st = st.builds(
    lambda cc, rest: f"{cc}{rest}", st.sampled_from(_CODES), st.text("0123456789", max_size=18)
)
separated_st = st.builds(
    lambda d, seps: "".join(c + s for c, s in zip(d, seps, strict=False)),
    digits_st | coded_st,
    st.lists(st.sampled_from(["", "", "", " ", "-", ".", "(", ")", "/", "\u2013"]), max_size=22),
)
foreign_st = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["+", "+", "00", "+0", "+ ", "＋", "tel:+", "0"]),
    digits_st | coded_st | separated_st,
)
junk_st = st.text(alphabet="0123456789+-. ()/xXeE#;=abctl:转\x07\u200b", max_size=24)


@settings(max_examples=600, deadline=None)
@given(foreign_st | junk_st | st.text(max_size=20))
def test_cheap_paths_equal_the_strict_path(raw: str) -> None:
    check_all_paths(raw)


@settings(max_examples=150, deadline=None)
@given(foreign_st | junk_st, st.sampled_from(["US", "DE", "GB", "HK"]))
def test_cheap_paths_equal_the_strict_path_in_other_regions(raw: str, region: str) -> None:
    check_all_paths(raw, region)


def test_a_seeded_sample_of_foreign_looking_values() -> None:
    """Random "+" + digits (the shape an attacker sprays): nearly all decided cheaply, exactly."""
    rnd = random.Random(5)
    decided = 0
    values = [f"{rnd.randrange(10**7, 10**13)}" for _ in range(3000)]
    values += [f"{cc}{rnd.randrange(10**9)}" for cc in _CODES for _ in range(3)]
    values = [v for v in values if v[:2] != "86"]
    for digits in values:
        value, code = phone._foreign_verdict(digits)
        expected = strict("+" + digits)
        if value is None and code is None:
            continue
        decided += 1
        assert (value, code) == (expected[0], expected[1][1] if expected[1] else None), digits
        if code is not None:
            # The error built for that code is the strict path's, message included.
            assert via_validate("+" + digits) == expected, digits
    assert decided > 0.9 * len(values)


@pytest.mark.parametrize(
    "raw",
    [
        "+1 415 555 0100",  # valid, NANPA (25 regions)
        "+44 20 7946 0958",
        "+39 06 6982 1234",  # Italian leading zero kept in the NSN
        "+39 0000",
        "+7 495 123 45 67",
        "+54 9 11 2345 6789",  # Argentina: prefix transform rule
        "+52 1 55 1234 5678",  # Mexico: national prefix for parsing
        "+800 1234 5678",  # non-geographic entity
        "+882 1234 5678",
        "+999 123 456",  # no such country calling code
        "+0 123 456",
        "+28 1234",
        "+1 12",
        "+12",
        "+1",
        "+44 1",
        "+1234567890123456789",
        "+12345678901234567890",
        "+123456789012345678901",
        "0044 20 7946 0958",
        "00 1 415 555 0100",
        "001",
        "+1 415 555 0100.0",
        "+1415e5550100",
        "+1 415 555 0100 x12",
        "tel:+1-415-555-0100",
        "tel:+14155550100;phone-context=+86",
        "x0",
        "N/A",
        "-",
        "+",
        "++1 415 555 0100",
        "1e5",
        "\x07",
        "1\u200b2",
    ],
)
def test_named_values(raw: str) -> None:
    check_all_paths(raw)


@pytest.mark.parametrize("case", VECTORS["valid"] + VECTORS["invalid"], ids=lambda c: c["name"])
def test_named_vectors_keep_their_verdicts(case: dict[str, str]) -> None:
    [(value, code)] = phone.decide_many([case["input"]])
    if "value" in case:
        assert (value, code) == (case["value"], None)
    else:
        assert (value, code) == (None, case["code"])
    check_all_paths(case["input"])


def test_decide_many_keeps_order_and_types() -> None:
    raws: list[object] = ["+8613800138000", None, 13800138000, "x" * 65, "", "+8614000088285"]
    assert phone.decide_many(raws) == [
        ("+8613800138000", None),
        (None, "not_a_string"),
        (None, "not_a_string"),
        (None, "input_too_long"),
        (None, "empty"),
        (None, "invalid_number"),
    ]
    with pytest.raises(ConfigurationError) as e:
        phone.decide_many(["1"], region="cn")
    assert e.value.code == "unknown_region"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_unexpected_code_is_the_code_of_unexpected_error(text: str) -> None:
    error = _text.unexpected_error(text)
    assert _text.unexpected_code(text) == (None if error is None else error.code)


def test_prefix_all_valid_is_the_fast_decision() -> None:
    rnd = random.Random(2)
    for _ in range(300):
        n = rnd.randrange(9, 14)
        prefix = f"{rnd.randrange(10**5):05d}"
        ok = phone.prefix_all_valid(n, prefix)
        if ok:
            for _ in range(3):
                nsn = prefix + "".join(rnd.choice("0123456789") for _ in range(n - 5))
                assert phone._analyse("+86" + nsn, "CN").value == "+86" + nsn
    for args in [(11, "1380"), (11, "138000"), (4, "13800"), (14, "13800"), (11, "１３８００")]:
        assert phone.prefix_all_valid(*args) is False  # type: ignore[arg-type]


def test_decide_many_under_another_plan_is_validate_many_under_it() -> None:
    from antifraud_common import numberplan

    packaged = numberplan.NumberPlan.packaged()
    plan = numberplan.NumberPlan.from_ranges(packaged.ranges(), version=2, source="copy")
    raws: list[object] = ["+8613800138000", "+8615400138000", "x1", "+1 100 555 0100", None]
    expected = [(v, None if e is None else e.code) for v, e in phone.validate_many(raws, plan=plan)]
    assert phone.decide_many(raws, plan=plan) == expected
    with numberplan.use(plan):
        assert phone.decide_many(raws) == expected
    assert expected[1] == (None, "unknown_range")


def _examples() -> list[str]:
    """phonenumbers' example number of every region and type, and near misses of each."""
    out: set[str] = set()
    rnd = random.Random(8)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS | {"001"})
    for region in regions:
        for t in range(11):
            if region == "001":
                nums = [
                    phonenumbers.example_number_for_non_geo_entity(cc)
                    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
                ]
            else:
                nums = [phonenumbers.example_number_for_type(region, t)]
            for num in nums:
                if num is None or num.country_code == 86:
                    continue
                digits = f"{num.country_code}{phonenumbers.national_significant_number(num)}"
                out.add(digits)
                for _ in range(2):
                    i = rnd.randrange(len(digits))
                    out.add(digits[:i] + rnd.choice("0123456789") + digits[i + 1 :])
                out.add(digits[:-1])
                out.add(digits + rnd.choice("0123456789"))
    return sorted(out)


def test_every_example_number_and_its_near_misses() -> None:
    """Valid numbers of every region and type (the cheap acceptance), and one-digit changes."""
    examples = _examples()
    assert len(examples) > 1000
    for digits in examples:
        check_all_paths("+" + digits)
