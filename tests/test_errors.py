"""Tests for the exception tree: stable codes, ValueError compatibility, JSON shape."""

from __future__ import annotations

import pytest

from antifraud_common import errors


def test_tree() -> None:
    assert issubclass(errors.ValidationError, errors.AntifraudError)
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.InvalidLengthError, errors.InvalidFormatError)
    for cls in (
        errors.InvalidFormatError,
        errors.InvalidChecksumError,
        errors.InvalidComponentError,
    ):
        assert issubclass(cls, errors.ValidationError)
    assert issubclass(errors.BlacklistFormatError, errors.BlacklistError)
    assert issubclass(errors.UntrustedBlacklistError, errors.BlacklistError)
    assert not issubclass(errors.UntrustedBlacklistError, ValueError)


def test_every_class_has_a_distinct_default_code() -> None:
    classes = [
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, errors.AntifraudError)
    ]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), codes
    assert all(c and c == c.lower() and " " not in c for c in codes)


def test_instance_code_and_location() -> None:
    e = errors.BlacklistFormatError("not sorted", code="not_sorted", line=7)
    assert e.code == "not_sorted"
    assert type(e).code == "format_error"
    assert str(e) == "line 7: not sorted"
    assert e.to_dict() == {"code": "not_sorted", "message": "not sorted", "line": 7}
    m = errors.ModelError("bad", field="value")
    assert str(m) == "field 'value': bad"
    assert m.to_dict()["field"] == "value"


def test_default_message() -> None:
    with pytest.raises(errors.InvalidChecksumError, match="check digit"):
        raise errors.InvalidChecksumError
