"""Hypothesis properties of antifraud_common.phone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from antifraud_common import errors, phone

_MOBILE = st.builds(
    lambda p, rest: f"{p}{rest:08d}",
    st.sampled_from(["130", "138", "145", "150", "162", "166", "170", "171", "186", "199"]),
    st.integers(0, 10**8 - 1),
)
_FIXED = st.builds(
    lambda a, rest: f"0{a}{rest}",
    st.sampled_from(["10", "21", "755", "571", "898"]),
    st.integers(2 * 10**7, 10**8 - 1),
)
_SHORT = st.sampled_from(["95588", "96110", "10086", "12321", "110", "1069012345678"])
_DECORATED = st.builds(
    lambda n, pre, sep: pre + sep.join([n[:3], n[3:7], n[7:]]),
    st.one_of(_MOBILE, _FIXED, _SHORT),
    st.sampled_from(["", " ", "\u200b", "\ufeff"]),
    st.sampled_from(["", " ", "-", ".", "\u3000", "\u00a0"]),
)
_ANY = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789+-() .#x转tel:;", max_size=30),
    st.none(),
    st.integers(),
    st.floats(),
    st.binary(max_size=20),
    st.lists(st.text(max_size=3), max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(_ANY)
def test_is_valid_is_total(raw: object) -> None:
    result = phone.is_valid(raw)
    assert isinstance(result, bool)
    ((value, error),) = list(phone.validate_many([raw]))
    assert (value is not None) is result
    assert (error is None) is result
    if error is not None:
        assert isinstance(error, errors.ValidationError)
        assert error.code


@settings(max_examples=300, deadline=None)
@given(st.one_of(_DECORATED, _ANY))
def test_validate_is_idempotent_and_display_round_trips(raw: object) -> None:
    try:
        value = phone.validate(raw)
    except errors.ValidationError:
        return
    assert phone.validate(value) == value
    assert phone.validate(phone.display(value)) == value
    assert phone.validate(phone.display(raw)) == value
    assert value.startswith(("+", "tel:"))


@settings(max_examples=200, deadline=None)
@given(_DECORATED)
def test_decorations_do_not_change_the_value(raw: str) -> None:
    plain = "".join(ch for ch in raw if ch.isdigit())
    assert phone.validate(raw) == phone.validate(plain)


@settings(max_examples=200, deadline=None)
@given(st.integers(10**10, 10**13 - 1))
def test_fast_and_general_paths_agree(n: int) -> None:
    raw = f"+86{n}"
    try:
        general: str | None = phone._analyse(raw, "CN").value
    except errors.ValidationError:
        general = None
    ((value, _),) = list(phone.validate_many([raw]))
    assert value == general
