"""The columnar path's bulk refusals of phone values are phone's own verdicts.

``_vector.phone_refusals`` refuses, a whole column at once, the values phone refuses on
their shape (a letter or other character, an impossible length), their country calling
code (none, or a national number no pattern of the code admits) or their +86 block
alone. Every value it decides must get exactly the code the strict path
(``phone._analyse``) gives, and a value it leaves undecided goes to the validator; these
tests hold it to that on random and adversarial values, and check that it does decide
the shapes it is there for.
"""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")

from antifraud_common import _text, numberplan, phone  # noqa: E402
from antifraud_common.errors import ValidationError  # noqa: E402
from antifraud_common.index import Index, _vector  # noqa: E402
from antifraud_common.index.screen import screen  # noqa: E402


def strict_code(raw: str) -> str | None:
    """The strict path's error code for ``raw`` (None: valid)."""
    try:
        phone._analyse(raw, "CN")
    except ValidationError as e:
        return e.code
    return None


def check(values: list[str]) -> int:
    """Assert every decided value gets the strict code; return how many were decided."""
    at, codes = _vector.phone_refusals(pa.array(values, type=pa.string()))
    for i, code in zip(at.tolist(), codes, strict=True):
        assert strict_code(values[i]) == code, (values[i], code)
        assert code is not None
    return len(codes)


# Characters the rules turn on: digits, "+", separators, the extension and
# scientific markers, ":" (tel: URIs), "." (spreadsheet floats), control
# characters, full-width digits and letters, invisible characters, Unicode
# spaces, ideographs (and the two that mark extensions).
_ALPHABET = (
    "0123456789" * 4
    + "+ .-/()"
    + "eExX#;:=tel"
    + "abzAZ,*_!?"
    + "\t\n\x07"
    + "０１２８６＋ａ－"
    + "\u200b\u3000\u00a0"
    + "张三电话转分机号\u3400"
)
values_st = st.text(alphabet=_ALPHABET, min_size=0, max_size=30)
digits_st = st.text(alphabet="0123456789", min_size=0, max_size=24)
shaped_st = st.one_of(
    values_st,
    digits_st,
    digits_st.map(lambda d: "+" + d),
    digits_st.map(lambda d: "00" + d),
    digits_st.map(lambda d: "+86" + d),
    digits_st.map(lambda d: "0086" + d),
    digits_st.map(lambda d: "0" + d),
    st.tuples(digits_st, values_st).map("".join),
    st.tuples(values_st, digits_st).map("".join),
    st.integers(10**6, 10**17).map(lambda n: f"+{n}"),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(shaped_st, min_size=1, max_size=40))
def test_every_bulk_refusal_is_the_strict_verdict(values: list[str]) -> None:
    check(values)


def _shapes(n: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    return {
        "letters": [f"x{i}" for i in range(n)],
        "short digits": [str(rng.randrange(10 ** rng.randrange(1, 9))) for _ in range(n)],
        "long digits": [str(rng.randrange(10**12, 10**19)) for _ in range(n)],
        "11-digit blocks": [f"1{rng.choice('0249')}{rng.randrange(10**9):09d}" for _ in range(n)],
        "trunk zero": [f"0{rng.randrange(10 ** rng.randrange(6, 11))}" for _ in range(n)],
        "+86": [f"+86{rng.randrange(10 ** rng.randrange(1, 16))}" for _ in range(n)],
        "+ foreign": [f"+{rng.randrange(10**6, 10**15)}" for _ in range(n)],
        "00 foreign": [f"00{rng.randrange(10**6, 10**15)}" for _ in range(n)],
        "printable": [
            "".join(rng.choice(string.printable[:94]) for _ in range(rng.randrange(1, 16)))
            for _ in range(n)
        ],
        "ideographs": [
            "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(rng.randrange(1, 5)))
            + str(rng.randrange(100))
            for _ in range(n)
        ],
    }


@pytest.mark.parametrize("shape", sorted(_shapes(1, 0)))
def test_random_values_of_each_shape_agree_and_most_are_decided(shape: str) -> None:
    values = _shapes(3_000, 11)[shape]
    decided = check(values)
    refused = sum(strict_code(v) is not None for v in values)
    # The bulk path is there for these shapes: it must take most of their refusals.
    assert decided >= 0.75 * refused, (shape, decided, refused)


def test_valid_values_are_never_refused() -> None:
    rng = random.Random(5)
    values = [f"138{rng.randrange(10**8):08d}" for _ in range(2_000)]
    values += ["+14155550100", "+442079460000", "110", "95588", "10086", "+8613800138000"]
    values += ["138 0013 8000", "(010) 6234-5678", "+1 415 555 0100", "0086 138 0013 8000"]
    at, _ = _vector.phone_refusals(pa.array(values))
    assert at.tolist() == []


def test_the_ideographs_taken_are_kept_by_cleaning() -> None:
    # The bulk path treats these characters as cleaning leaves them: check it.
    for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF)):
        for c in range(lo, hi + 1):
            assert _text.clean(chr(c)).text == chr(c)
    assert _vector._KEPT_WIDE == r"\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}"


def test_another_number_plan_turns_the_block_rules_off() -> None:
    # +86 blocks are refused in bulk from the packaged plan only; under another plan
    # the validator decides them (shape and foreign refusals stay: no plan changes them).
    packaged = numberplan.NumberPlan.packaged()
    other = numberplan.NumberPlan.from_ranges(
        packaged.ranges(), version=packaged.version + 1, source="issuer/plan"
    )
    values = ["15400138000", "+8615400138000", "x1", "+999123"]
    with numberplan.use(other):
        at, codes = _vector.phone_refusals(pa.array(values))
    assert dict(zip(at.tolist(), codes, strict=True)) == {
        2: "letters_not_allowed",
        3: "unknown_country_code",
    }
    at, codes = _vector.phone_refusals(pa.array(values))
    assert dict(zip(at.tolist(), codes, strict=True)) == {
        0: "unknown_range",
        1: "unknown_range",
        2: "letters_not_allowed",
        3: "unknown_country_code",
    }


def test_screening_reports_the_same_invalid_values_on_both_paths(tmp_path: Path) -> None:
    values = [v for shape in _shapes(300, 3).values() for v in shape]
    values = [v for v in values if not set(v) & set(',"\r\n')]  # one cell per line
    random.Random(1).shuffle(values)
    path = tmp_path / "calls.csv"
    path.write_text("tel\n" + "".join(v + "\n" for v in values), encoding="utf-8")
    index = Index.build([])

    def run(engine: str) -> tuple[int, list[tuple[int, str]]]:
        s = screen(path, ["tel"], index, kinds={"tel": "phone"}, engine=engine)
        list(s)
        summary = s.summary
        return summary.invalid["tel"], [(i.line, i.code) for i in summary.invalid_samples]

    assert run("vector") == run("python")
