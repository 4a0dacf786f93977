"""Round trips hold for any entry: STIX, MISP, XLSX and CSV give back what they were given."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antifraud_common.format.csvio import export_csv, import_csv
from antifraud_common.interchange import misp, stix
from antifraud_common.models import TLP, Action, Entry, Reason

VALUES = [
    ("phone", "+8613800138000"),
    ("phone", "tel:12345;phone-context=+86"),
    ("bank_card", "6222021234567890128"),
    ("bank_account", "DE89370400440532013000"),
    ("bank_account", "6228480402564890018"),
    ("payment_account", "alipay:+8613800138000"),
    ("iccid", "89860012345678901234"),
    ("imei", "490154203237518"),
]
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)

case_refs = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(lambda t: t and t.isprintable())
)


# CSV and XLSX import refuse a case reference holding a digit next to "*": it looks like
# a masked card from a masked export (see docs/csv.md), so those tests leave "*" out.
spreadsheet_case_refs = case_refs.filter(lambda t: "*" not in t)


@st.composite
def entries(draw: st.DrawFn, refs: st.SearchStrategy[str] = case_refs) -> list[Entry]:
    picked = draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=8, unique=True))
    out = []
    for kind, value in picked:
        start = EPOCH + timedelta(seconds=draw(st.integers(0, 10**9)))
        until = draw(st.none() | st.integers(1, 10**8))
        out.append(
            Entry(
                kind=kind,
                value=value,
                reason=draw(st.sampled_from(Reason)),
                action=draw(st.sampled_from(Action)),
                source=draw(st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,10}", fullmatch=True)),
                case_ref=draw(refs),
                confidence=draw(st.integers(0, 100)),
                tlp=draw(st.sampled_from(TLP)),
                listed_at=start - timedelta(seconds=draw(st.integers(0, 10**6))),
                valid_from=start,
                valid_until=None if until is None else start + timedelta(seconds=until),
            )
        )
    return out


def _key(e: Entry) -> tuple[str, str]:
    return e.key


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries())
def test_stix_round_trip(items: list[Entry]) -> None:
    result = stix.import_bundle(stix.export_bundle(items))
    assert result.errors == () and list(result.entries) == items


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries())
def test_misp_round_trip(items: list[Entry]) -> None:
    with TemporaryDirectory() as d:
        misp.export_feed({"l": items}, Path(d) / "feed")
        result = misp.import_feed(Path(d) / "feed")
    assert result.errors == ()
    assert sorted(result.entries, key=_key) == sorted(items, key=_key)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries(spreadsheet_case_refs))
def test_csv_round_trip(items: list[Entry]) -> None:
    buffer = io.StringIO()
    export_csv(items, buffer)
    result = import_csv(io.StringIO(buffer.getvalue()))
    assert result.errors == () and list(result.entries) == items


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries(spreadsheet_case_refs))
def test_xlsx_round_trip(items: list[Entry]) -> None:
    from antifraud_common.interchange import xlsx

    with TemporaryDirectory() as d:
        path = Path(d) / "e.xlsx"
        xlsx.export_xlsx(items, path)
        result = xlsx.import_xlsx(path)
    assert result.errors == () and list(result.entries) == items
