"""Tests for the one aware-UTC clock check and the error every public API raises through it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

import pytest

from antifraud_common import _clock, errors, idcard
from antifraud_common.cases.policy import DEFAULT_POLICY
from antifraud_common.exchange.pseudonym import DomainKey, PseudonymIndex
from antifraud_common.index import Index
from antifraud_common.models import Entry, format_timestamp

NAIVE = datetime(2026, 1, 1, 8, 0)
AWARE = datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))


class _NoOffset(tzinfo):
    """A tzinfo that knows no offset: as naive as no tzinfo at all."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_aware_values_are_converted_to_utc() -> None:
    got = _clock.aware_utc(AWARE)
    assert got == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert got.utcoffset() == timedelta(0)
    assert _clock.now_utc(AWARE) == got


def test_now_defaults_to_the_current_utc_time() -> None:
    before = datetime.now(UTC)
    got = _clock.now_utc()
    assert before <= got <= datetime.now(UTC)
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    "value", [NAIVE, NAIVE.replace(tzinfo=_NoOffset()), "2026-01-01T00:00:00Z", 0, None]
)
def test_anything_but_an_aware_datetime_is_refused(value: object) -> None:
    with pytest.raises(errors.NaiveDatetimeError) as e:
        _clock.aware_utc(value, field="expires")
    assert e.value.code == "naive_datetime"
    assert e.value.message.startswith("expires must be an aware datetime (UTC)")


def test_the_error_is_every_type_raised_before() -> None:
    for base in (errors.ConfigurationError, errors.ModelError, errors.StateError, ValueError):
        assert issubclass(errors.NaiveDatetimeError, base)
    # Not a list verdict: a caller's clock bug must not read as "the list is untrusted".
    assert not issubclass(errors.NaiveDatetimeError, errors.BlacklistError)


def _entry(listed_at: datetime) -> object:
    return Entry.from_raw(
        kind="phone",
        value="13800138000",
        reason="telecom_fraud",
        action="block",
        source="mps",
        case_ref="A-1",
        confidence=90,
        tlp="amber",
        listed_at=listed_at,
        valid_from=AWARE,
    )


@pytest.mark.parametrize(
    ("call", "old_type"),
    [
        (lambda: format_timestamp(NAIVE), errors.ModelError),
        (lambda: _entry(NAIVE), errors.ModelError),
        (lambda: idcard.validate_ric("360426199101010071", now=NAIVE), errors.ConfigurationError),
        (lambda: Index.build([]).check("13800138000", now=NAIVE), errors.ConfigurationError),
        (
            lambda: PseudonymIndex(DomainKey.generate(domain="test")).check(
                "13800138000", now=NAIVE
            ),
            errors.ConfigurationError,
        ),
        (lambda: DEFAULT_POLICY.stop_end(NAIVE, 24), ValueError),
    ],
)
def test_public_apis_raise_it_with_their_old_type(
    call: Callable[[], object], old_type: type[Exception]
) -> None:
    with pytest.raises(errors.NaiveDatetimeError) as e:
        call()
    assert isinstance(e.value, old_type)
    assert e.value.code == "naive_datetime"


def test_receiver_side_clocks_refuse_a_naive_now(tmp_path: Path) -> None:
    # A naive "now" names no instant: the drop-folder sync and the report used to read it
    # as local time, a state record's expiry check failed comparing it, and the reference
    # lists had a clock check of their own. Each asks the one check now.
    from antifraud_common import report
    from antifraud_common.exchange.reference import NUMBER_PLAN, verify_reference
    from antifraud_common.exchange.state import ReceiverState, StateRecord
    from antifraud_common.exchange.sync import sync

    record = StateRecord(
        issuer="mps",
        list_id="l",
        list_type="fraud_numbers",
        version=1,
        state_sha256="0" * 64,
        entry_count=0,
        expires=AWARE,
        manifest_json="{}",
        accepted_at=AWARE,
    )
    assert record.is_expired(AWARE + timedelta(seconds=1))
    assert not record.is_expired(AWARE - timedelta(seconds=1))
    (tmp_path / "drop").mkdir()
    with ReceiverState.open(tmp_path / "state") as state:
        calls: list[Callable[[], object]] = [
            lambda: record.is_expired(NAIVE),
            lambda: sync(tmp_path / "drop", state, None, now=NAIVE),  # type: ignore[arg-type]
            lambda: report.collect(state, now=NAIVE),
            lambda: verify_reference(
                tmp_path / "none.jsonl",
                b"",
                trust=None,  # type: ignore[arg-type]
                list_type=NUMBER_PLAN,
                now=NAIVE,
            ),
        ]
        for call in calls:
            with pytest.raises(errors.NaiveDatetimeError) as e:
                call()
            assert e.value.code == "naive_datetime"
            # The types these raised before, where they raised one.
            assert isinstance(e.value, (errors.ConfigurationError, errors.StateError))
        # An aware now in another zone is the same instant in UTC.
        assert report.collect(state, now=AWARE).generated_at == datetime(2026, 1, 1, tzinfo=UTC)
