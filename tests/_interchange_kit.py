"""Entries of every identifier kind, shared by the interchange and report tests."""

from __future__ import annotations

from datetime import UTC, datetime

from antifraud_common.models import Entry

CARD = "6222021234567890128"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def sample_entries() -> list[Entry]:
    common = {"confidence": 90, "listed_at": T0, "valid_from": T0}
    rows = [
        ("phone", "138 0013 8000", "telecom_fraud", "block", "mps", "A-1", "amber", None),
        (
            "phone",
            "tel:12345;phone-context=+86",
            "caller_id_spoofing",
            "watch",
            "miit",
            "S-1",
            "clear",
            None,
        ),
        ("bank_card", CARD, "card_trafficking", "freeze", "pboc", f"seized {CARD}", "red", T1),
        (
            "bank_account",
            "DE89370400440532013000",
            "mule_account",
            "hold",
            "pboc",
            "B-2",
            "green",
            None,
        ),
        (
            "bank_account",
            "6228480402564890018",
            "mule_account",
            "freeze",
            "pboc",
            "B-3",
            "amber",
            T1,
        ),
        (
            "payment_account",
            "alipay:13800138000",
            "investment_fraud",
            "hold",
            "mps",
            "P-1",
            "amber",
            None,
        ),
        ("iccid", "89860012345678901234", "telecom_fraud", "block", "miit", "I-1", "amber", None),
        ("imei", "490154203237518", "telecom_fraud", "watch", "miit", "M-1", "green", None),
    ]
    out = []
    for kind, value, reason, action, source, case_ref, tlp, until in rows:
        out.append(
            Entry.from_raw(
                kind=kind,
                value=value,
                reason=reason,
                action=action,
                source=source,
                case_ref=case_ref,
                tlp=tlp,
                valid_until=until,
                **common,
            )
        )
    return out
