"""Tests for the attrs models: Entry and Manifest."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from antifraud_common.errors import ModelError, ValidationError
from antifraud_common.models import (
    TLP,
    Action,
    ContentType,
    Entry,
    IdentifierKind,
    Manifest,
    Reason,
    format_timestamp,
    parse_timestamp,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CARD = "6222021234567890128"  # Luhn-valid UnionPay test number


def entry_fields(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "phone",
        "value": "+8613800138000",
        "reason": "telecom_fraud",
        "action": "block",
        "source": "mps",
        "case_ref": "2026-A-0001",
        "confidence": 90,
        "tlp": "amber",
        "listed_at": "2026-01-01T00:00:00Z",
        "valid_from": "2026-01-01T00:00:00Z",
    }
    base.update(over)
    return base


def test_from_raw_canonicalises() -> None:
    e = Entry.from_raw(
        kind="phone",
        value="＋８６ 138-0013-8000",
        reason=Reason.TELECOM_FRAUD,
        action="hold",
        source="pboc",
        case_ref="X",
        confidence=100,
        tlp=TLP.RED,
        listed_at=T0,
        valid_from=T0,
    )
    assert e.value == "+8613800138000"
    assert e.kind is IdentifierKind.PHONE
    assert e.action is Action.HOLD
    assert e.key == ("phone", "+8613800138000")


def test_from_raw_rejects_bad_identifier() -> None:
    with pytest.raises(ValidationError):
        Entry.from_raw(kind="phone", value="138O0138OOO", **_typed_rest())


def _typed_rest() -> dict[str, Any]:
    return {
        "reason": "telecom_fraud",
        "action": "block",
        "source": "mps",
        "case_ref": "c",
        "confidence": 1,
        "tlp": "clear",
        "listed_at": T0,
        "valid_from": T0,
    }


def test_round_trip_dict() -> None:
    d = entry_fields(valid_until="2027-01-01T00:00:00Z")
    before = copy.deepcopy(d)
    e = Entry.from_dict(d)
    assert d == before, "from_dict must not mutate its input"
    assert e.to_dict() == d
    assert e.valid_until == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("over", "field", "code"),
    [
        ({"extra": 1}, "extra", "unknown_field"),
        ({"confidence": "90"}, "confidence", "wrong_type"),
        ({"confidence": 101}, "confidence", "invalid_confidence"),
        ({"confidence": True}, "confidence", "wrong_type"),
        ({"value": "13800138000"}, "value", "non_canonical_value"),
        ({"value": "+86 138 0013 8000"}, "value", "non_canonical_value"),
        ({"value": 13800138000}, "value", "wrong_type"),
        ({"kind": "fax"}, "kind", "invalid_enum"),
        ({"reason": "spam"}, "reason", "invalid_enum"),
        ({"action": "BLOCK"}, "action", "invalid_enum"),
        ({"tlp": "white"}, "tlp", "invalid_enum"),
        ({"source": "MPS"}, "source", "invalid_agency_id"),
        ({"case_ref": ""}, "case_ref", "invalid_case_ref"),
        ({"case_ref": " x"}, "case_ref", "invalid_case_ref"),
        ({"case_ref": "a\nb"}, "case_ref", "invalid_case_ref"),
        ({"listed_at": "2026-01-01"}, "listed_at", "invalid_timestamp"),
        ({"listed_at": "2026-01-01T00:00:00.5Z"}, "listed_at", "invalid_timestamp"),
        ({"listed_at": "2026-02-30T00:00:00Z"}, "listed_at", "invalid_timestamp"),
        ({"valid_until": "2025-01-01T00:00:00Z"}, "valid_until", "invalid_validity_window"),
        ({"valid_until": None}, "valid_until", "wrong_type"),
    ],
)
def test_from_dict_strict(over: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(ModelError) as e:
        Entry.from_dict(entry_fields(**over))
    assert e.value.field == field
    assert e.value.code == code


def test_from_dict_missing_field() -> None:
    d = entry_fields()
    del d["tlp"]
    with pytest.raises(ModelError) as e:
        Entry.from_dict(d)
    assert (e.value.field, e.value.code) == ("tlp", "missing_field")


@pytest.mark.parametrize("bad", [None, [], "x", 1])
def test_from_dict_not_an_object(bad: object) -> None:
    with pytest.raises(ModelError):
        Entry.from_dict(bad)


def test_card_masked_in_repr_and_errors() -> None:
    e = Entry.from_raw(kind="bank_card", value=CARD, **_typed_rest())
    assert CARD not in repr(e)
    assert "622202*********0128" in repr(e)
    assert e.masked_value == "622202*********0128"
    with pytest.raises(ModelError) as err:
        Entry.from_dict(entry_fields(kind="bank_card", value=CARD[:-1] + "9"))
    assert CARD[:-1] + "9" not in str(err.value)


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ModelError) as e:
        Entry.from_raw(
            kind="phone",
            value="13800138000",
            **{**_typed_rest(), "listed_at": datetime(2026, 1, 1)},
        )
    assert e.value.code == "naive_datetime"


def test_timezones_normalised_to_utc_seconds() -> None:
    cst = timezone(timedelta(hours=8))
    e = Entry.from_raw(
        kind="phone",
        value="13800138000",
        **{**_typed_rest(), "listed_at": datetime(2026, 1, 1, 8, 0, 0, 999, tzinfo=cst)},
    )
    assert e.listed_at == T0
    assert e.to_dict()["listed_at"] == "2026-01-01T00:00:00Z"


def test_frozen_and_evolve() -> None:
    e = Entry.from_dict(entry_fields())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        e.confidence = 1  # type: ignore[misc]
    e2 = attrs.evolve(e, action=Action.FREEZE)
    assert e2.action is Action.FREEZE and e.action is Action.BLOCK


def test_is_active() -> None:
    e = Entry.from_dict(entry_fields(valid_until="2026-02-01T00:00:00Z"))
    assert not e.is_active(T0 - timedelta(seconds=1))
    assert e.is_active(T0)
    assert not e.is_active(datetime(2026, 2, 1, tzinfo=UTC))


def test_action_precedence() -> None:
    order = sorted(Action, key=lambda a: a.severity, reverse=True)
    assert order == [Action.FREEZE, Action.HOLD, Action.BLOCK, Action.WATCH]


def test_timestamp_years_before_1000_are_zero_padded() -> None:
    dt = datetime(758, 1, 1, tzinfo=UTC)
    assert format_timestamp(dt) == "0758-01-01T00:00:00Z"
    assert parse_timestamp("0758-01-01T00:00:00Z") == dt


@given(
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
    )
)
def test_timestamp_round_trip(dt: datetime) -> None:
    text = format_timestamp(dt)
    assert parse_timestamp(text) == dt.replace(microsecond=0)


EMPTY = hashlib.sha256(b"").hexdigest()


def manifest_fields(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "issuer": "mps",
        "list_id": "fraud-phones",
        "list_type": "fraud_numbers",
        "version": 7,
        "issued_at": T0,
        "expires": T0 + timedelta(days=7),
        "entry_count": 0,
        "byte_length": 0,
        "sha256": EMPTY,
    }
    base.update(over)
    return base


def test_manifest_round_trip() -> None:
    m = Manifest(**manifest_fields())
    d = m.to_dict()
    assert d["format"] == "antifraud-manifest"
    assert d["content"] == "snapshot"
    assert "base_version" not in d
    assert Manifest.from_dict(d) == m


def test_delta_manifest() -> None:
    m = Manifest(
        **manifest_fields(
            content=ContentType.DELTA,
            base_version=6,
            base_sha256=EMPTY,
            result_sha256=EMPTY,
            result_count=0,
        )
    )
    assert m.is_delta
    assert Manifest.from_dict(m.to_dict()) == m
    with pytest.raises(ModelError) as e:
        Manifest(**manifest_fields(content="delta"))
    assert e.value.code == "missing_field"
    with pytest.raises(ModelError) as e:
        Manifest(**manifest_fields(base_version=3))
    with pytest.raises(ModelError) as e:
        Manifest(
            **manifest_fields(
                content="delta",
                base_version=7,
                base_sha256=EMPTY,
                result_sha256=EMPTY,
                result_count=0,
            )
        )
    assert e.value.code == "invalid_base_version"


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"format": "antifraud-trust"}, "wrong_payload_type"),
        ({"format_version": 2}, "unsupported_format_version"),
        ({"version": 0}, "invalid_integer"),
        ({"version": 2**53}, "invalid_integer"),
        ({"version": "7"}, "invalid_integer"),
        ({"sha256": EMPTY.upper()}, "invalid_sha256"),
        ({"issuer": "M"}, "invalid_id"),
        ({"expires": "2026-01-01T00:00:00Z"}, "invalid_validity"),
        ({"surprise": True}, "unknown_field"),
        ({"allow_protected": []}, "non_canonical"),
    ],
)
def test_manifest_from_dict_strict(over: dict[str, Any], code: str) -> None:
    d = Manifest(**manifest_fields()).to_dict()
    d.update(over)
    with pytest.raises(ModelError) as e:
        Manifest.from_dict(d)
    assert e.value.code == code


def test_manifest_allow_protected_sorted() -> None:
    keys = [("phone", "tel:110;phone-context=+86"), ("phone", "tel:95588;phone-context=+86")]
    m = Manifest(**manifest_fields(allow_protected=keys))
    assert Manifest.from_dict(m.to_dict()).allow_protected == tuple(keys)
    with pytest.raises(ModelError):
        Manifest(**manifest_fields(allow_protected=list(reversed(keys))))


def test_the_first_wrong_member_named_is_the_alphabetically_first() -> None:
    from antifraud_common.models import check_entry_object

    good = {
        "kind": "phone", "value": "+8613800138000", "reason": "telecom_fraud",
        "action": "block", "source": "mps", "case_ref": "A-1", "confidence": 90,
        "tlp": "amber", "listed_at": "2026-01-01T00:00:00Z", "valid_from": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    assert check_entry_object(good) is good
    for bad, field in (
        ({"confidence": "90", "valid_from": 5}, "confidence"),
        ({"case_ref": 1, "confidence": "90"}, "case_ref"),
        ({"valid_from": 5, "valid_until": 6}, "valid_from"),
    ):
        with pytest.raises(ModelError) as e:
            check_entry_object({**good, **bad})
        assert (e.value.code, e.value.field) == ("wrong_type", field)
