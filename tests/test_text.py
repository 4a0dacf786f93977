"""Tests for the shared input cleaning rules (antifraud_common._text)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antifraud_common import _text
from antifraud_common.errors import InvalidFormatError, InvalidLengthError, ValidationError


@pytest.mark.parametrize(
    ("raw", "text", "fullwidth", "invisible"),
    [
        ("13800138000", "13800138000", False, False),
        ("138 0013 8000", "13800138000", False, False),
        ("138-0013-8000", "13800138000", False, False),
        ("(010)6234.5678/9", "01062345678" + "9", False, False),
        ("１３８００１３８０００", "13800138000", True, False),
        ("138\u30000013\u30008000", "13800138000", True, False),
        ("138\u200b0013\u200d8000", "13800138000", False, True),
        ("\u202e13800138000\u202c", "13800138000", False, True),
        ("\ufeff13800138000", "13800138000", False, True),
        ("138\u00ad00138000", "13800138000", False, True),
        ("138\u00a00013\u202f8000", "13800138000", False, False),
        ("138\u20140013\u20138000", "13800138000", False, False),
        ("＋８６ 138", "+86138", True, False),
    ],
)
def test_clean(raw: str, text: str, fullwidth: bool, invisible: bool) -> None:
    assert _text.clean(raw) == _text.Cleaned(text, fullwidth, invisible)


@pytest.mark.parametrize("bad", [None, 13800138000, 1.5, b"138", bytearray(b"1"), ["1"]])
def test_only_str(bad: object) -> None:
    with pytest.raises(InvalidFormatError) as e:
        _text.clean(bad)
    assert e.value.code == "not_a_string"


def test_length_gate_before_work() -> None:
    with pytest.raises(InvalidLengthError) as e:
        _text.clean("1" * 10_000_000)
    assert e.value.code == "input_too_long"
    assert isinstance(e.value, InvalidFormatError)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("138O0138OOO", "letters_not_allowed"),
        ("一三八", "letters_not_allowed"),
        ("\u0661\u0663\u0668", "foreign_digits"),
        ("\U0001d7cf\U0001d7d1", "foreign_digits"),
        ("¹³⁸", "foreign_digits"),
        ("①③⑧", "foreign_digits"),
        ("138\x00", "control_characters"),
        ("138\t0", "control_characters"),
        ("\ud800", "control_characters"),
        ("138,139", "unexpected_character"),
        ("138#1", "unexpected_character"),
    ],
)
def test_reject_unexpected(text: str, code: str) -> None:
    with pytest.raises(InvalidFormatError) as e:
        _text.reject_unexpected(text)
    assert e.value.code == code


def test_digits_only_accepts_clean_digits() -> None:
    assert _text.digits_only("6222 0212-3456").text == "622202123456"


@given(st.text(max_size=80))
def test_clean_is_total_and_typed(raw: str) -> None:
    try:
        cleaned = _text.digits_only(raw)
    except ValidationError as e:
        assert e.code
    else:
        assert cleaned.text == "" or (cleaned.text.isascii() and cleaned.text.isdigit())


# --- the packaged character classes (data/unicode_classes.txt) ----------------------


def _load_script(name: str):  # type: ignore[no-untyped-def]
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        # Egyptian hieroglyph format controls: Cf only from Unicode 15.0. Under the pinned
        # Unicode 14.0 they are unassigned, so refused whatever the interpreter says.
        ("138\U00013439 0013\U00013439 8000", "control_characters"),
        ("138\U0001343f0013\U0001343f8000", "control_characters"),
        # Kawi digits (Unicode 15.0 Nd): unassigned in 14.0.
        ("138\U00011f50 0013 8000", "control_characters"),
        # Unicode 14.0 Cf, deleted: the Arabic pound mark above U+0890 is new in 14.0.
        ("138\u0890 0013 8000", None),
    ],
)
def test_classes_are_pinned_to_unicode_14(raw: str, code: str | None) -> None:
    from antifraud_common import phone

    if code is None:
        assert phone.validate(raw) == "+8613800138000"
        assert _text.clean(raw).invisible
    else:
        with pytest.raises(InvalidFormatError) as e:
            phone.validate(raw)
        assert e.value.code == code


def test_packaged_table_header_and_coverage() -> None:
    from importlib import resources

    text = (resources.files("antifraud_common") / "data" / "unicode_classes.txt").read_text(
        encoding="ascii"
    )
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    assert f"# unicode_version: {_text.UNICODE_VERSION}" in header
    assert any(ln.startswith("# source: Unicode Character Database") for ln in header)
    rows = [ln.split(" ") for ln in text.splitlines() if not ln.startswith("#")]
    expected = 0
    for first, last, name in rows:
        assert int(first, 16) == expected
        assert name in {"invisible", "space", "letter", "digit", "control", "other"}
        expected = int(last, 16) + 1
    assert expected == 0x110000


def test_packaged_table_is_what_the_generator_builds() -> None:
    import unicodedata

    module = _load_script("build_unicode_tables")
    if unicodedata.unidata_version != module.UNICODE_VERSION:
        # The generator refuses other Unicode versions; the verdict comparison across
        # interpreters (scripts/identifier_verdicts.py in CI) covers them.
        with pytest.raises(SystemExit):
            module.build()
        return
    from importlib import resources

    packaged = (resources.files("antifraud_common") / "data" / "unicode_classes.txt").read_text(
        encoding="ascii"
    )
    assert module.build() == packaged


@pytest.mark.parametrize(
    ("ch", "cls"),
    [
        ("\u200b", "invisible"),
        ("\U000e0001", "invisible"),
        ("\u3000", "space"),
        ("\u00a0", "space"),
        ("a", "letter"),
        ("电", "letter"),
        ("\u0661", "digit"),
        ("\u00b9", "digit"),
        ("\u2460", "digit"),
        ("\x00", "control"),
        ("\ud800", "control"),
        ("\ue000", "control"),
        ("\U0010ffff", "control"),
        ("*", "other"),
        ("\u0301", "other"),
    ],
)
def test_char_class(ch: str, cls: str) -> None:
    assert _text.char_class(ch) == cls
