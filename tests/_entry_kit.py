"""A listed entry in one line, for the index and screening tests (not a test module)."""

from __future__ import annotations

from datetime import UTC, datetime

from antifraud_common.models import Entry

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def listed(
    kind: str,
    value: str,
    action: str = "block",
    *,
    case_ref: str | None = None,
    listed_at: datetime = T0,
    valid_from: datetime = T0,
    valid_until: datetime | None = None,
) -> Entry:
    """An entry of ``kind`` and ``value`` (mps, telecom fraud, confidence 80, amber)."""
    return Entry(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref=case_ref if case_ref is not None else f"C-{value[-4:]}",
        confidence=80,
        tlp="amber",
        listed_at=listed_at,
        valid_from=valid_from,
        valid_until=valid_until,
    )
