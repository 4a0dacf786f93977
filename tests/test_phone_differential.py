"""Differential test: antifraud_common.phone against phonenumbers on a large seeded sample.

Verdicts and canonical values must agree, except where this library deliberately
differs. Each difference falls in a named category; the same list is in
docs/phone.md, "Deliberate differences from phonenumbers".

The packaged number plan is derived from one phonenumbers version (its header
says which); the comparison runs against that version, since another one is
expected to differ.
"""

from __future__ import annotations

import random
from collections import Counter

import phonenumbers
import pytest

from antifraud_common import phone

#: Category -> one-line description (mirrors docs/phone.md).
DELIBERATE_DIFFERENCES = {
    "short_code": "valid short codes (95xxx, 96xxx, 100xx, 123xx ...) are accepted as tel: values",
    "emergency": "110, 119, 120, 122 are accepted as tel: values",
    "sms_port": "106 + 2..17 digits dialled nationally is an SMS port, not a Beijing line",
    "iot": "13-digit 1410/1440/1441/1064 and 11-digit 146/148 are IoT numbers",
    "data_card_149": "11-digit 149 is a China Telecom data-card block (mobile)",
    "carrier_selection_prefix": "17951/12593/179xx/1[12]xx dialling prefixes are not stripped",
}

AREA_CODES = [
    "10",
    "20",
    "21",
    "22",
    "23",
    "24",
    "25",
    "27",
    "28",
    "29",
    "311",
    "351",
    "371",
    "431",
    "451",
    "531",
    "551",
    "571",
    "591",
    "731",
    "755",
    "769",
    "851",
    "871",
    "898",
    "931",
    "951",
    "991",
    "335",
    "349",
    "470",
    "482",
    "580",
    "662",
    "692",
    "701",
    "812",
]


def _sample(seed: int = 20261127) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    for prefix in range(130, 200):  # every Chinese 3-digit mobile-style prefix
        out += [f"{prefix}{rng.randrange(10**8):08d}" for _ in range(250)]
    for _ in range(4000):  # fixed lines, with trunk 0, 7/8-digit subscriber numbers
        sub = rng.choice([7, 8])
        out.append("0" + rng.choice(AREA_CODES) + f"{rng.randrange(10**sub):0{sub}d}")
    for _ in range(1500):  # 400 / 800 and 12-digit 10800 / 21800 toll-free
        out.append(rng.choice(["400", "800"]) + f"{rng.randrange(10**7):07d}")
        out.append(rng.choice(["10800", "21800"]) + f"{rng.randrange(10**7):07d}")
    for _ in range(2000):  # short numbers of every length 3..8
        length = rng.randrange(3, 9)
        out.append(str(rng.randrange(10 ** (length - 1), 10**length)))
    out += ["95588", "95533", "96110", "10086", "12321", "12110", "110", "119", "120", "122"]
    for _ in range(800):  # SMS ports
        out.append("106" + f"{rng.randrange(10**8):08d}"[: rng.randrange(2, 11)])
    for _ in range(800):  # 13-digit IoT
        out.append("14" + rng.choice("0123456789") + f"{rng.randrange(10**10):010d}")
    for _ in range(300):  # carrier-selection (IP dialling) prefixes before a mobile
        prefix = rng.choice(["17951", "12593", "17909", "17911", "11808"])
        out.append(prefix + rng.choice(["138", "139", "186"]) + f"{rng.randrange(10**8):08d}")
    for _ in range(1000):  # the same numbers in international form
        out.append("+86" + rng.choice(out)[0:].lstrip("0"))
    return out


def _theirs(raw: str) -> str | None:
    try:
        num = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return str(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))


def _category(raw: str, ours: str | None, theirs: str | None) -> str | None:
    """Name the deliberate difference explaining a disagreement (None: unexplained)."""
    digits = raw.removeprefix("+86")
    if ours is not None:
        kind = phone.classify(raw, allocation=False).kind
        if kind in (phone.PhoneKind.SHORT_CODE, phone.PhoneKind.EMERGENCY):
            return kind.value if theirs is None else None
        if kind is phone.PhoneKind.SMS_PORT and not raw.startswith("+"):
            return "sms_port"
        if kind is phone.PhoneKind.SMS_PORT and theirs is None:
            return "sms_port"
        if kind is phone.PhoneKind.IOT and theirs is None:
            return "iot"
        if kind is phone.PhoneKind.MOBILE and digits[:3] == "149" and theirs is None:
            return "data_card_149"
        return None
    if theirs is not None and len(digits) > 13 and digits[:5] != theirs[3:8]:
        num = phonenumbers.parse(raw, "CN")
        if num.preferred_domestic_carrier_code or digits.endswith(theirs[3:]):
            return "carrier_selection_prefix"
    return None


def _plan_source_version() -> str:
    from importlib import resources

    text = (resources.files("antifraud_common") / "data" / "cn_number_plan.csv").read_text(
        encoding="utf-8"
    )
    line = next(ln for ln in text.splitlines() if ln.startswith("# phonenumbers: "))
    return line.split()[2]


@pytest.mark.slow
@pytest.mark.skipif(
    phonenumbers.__version__ != _plan_source_version(),
    reason="the number plan was derived from another phonenumbers version",
)
def test_differential_against_phonenumbers() -> None:
    sample = _sample()
    assert len(sample) > 25000
    seen: Counter[str] = Counter()
    unexplained = []
    values = [v for v, _ in phone.validate_many(sample)]
    for raw, ours in zip(sample, values, strict=True):
        assert ours == (phone.validate(raw) if phone.is_valid(raw) else None)
        theirs = _theirs(raw)
        if ours == theirs:
            continue
        category = _category(raw, ours, theirs)
        if category is None:
            unexplained.append((raw, ours, theirs))
        else:
            seen[category] += 1
    assert unexplained == []
    # Every documented category is exercised by the sample (the list stays honest).
    assert set(seen) == set(DELIBERATE_DIFFERENCES), seen


def test_documented_list_matches_docs() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "phone.md").read_text(encoding="utf-8")
    section = doc.split("## Deliberate differences from phonenumbers", 1)[1].split("\n## ", 1)[0]
    for name in DELIBERATE_DIFFERENCES:
        assert f"`{name}`" in section, name
