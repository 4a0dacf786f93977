"""Tests for antifraud_common.index: lookups against a naive reference, validity,
precedence, incremental updates, saved files."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antifraud_common.errors import BlacklistFormatError, ConfigurationError
from antifraud_common.index import (
    AUTO_ORDER,
    CheckResult,
    IgnoreReason,
    Index,
    IndexRecord,
    Match,
)
from antifraud_common.index._keys import exact_key, table_and_key, unmix
from antifraud_common.models import Action, Entry, IdentifierKind

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
PHONE = "+8613800138000"
CARD = "6222021123456789014"


def entry(
    value: str = PHONE,
    *,
    kind: str = "phone",
    action: str = "block",
    case_ref: str = "A-1",
    valid_from: datetime = T0,
    valid_until: datetime | None = None,
    source: str = "mps",
    confidence: int = 90,
) -> Entry:
    return Entry(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source=source,
        case_ref=case_ref,
        confidence=confidence,
        tlp="amber",
        listed_at=T0,
        valid_from=valid_from,
        valid_until=valid_until,
    )


# --------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        (IdentifierKind.PHONE, "+8613800138000", "tel:8613800138000;phone-context=+86"),
        (IdentifierKind.BANK_CARD, "6222021123456789014", "0622202112345678901"),
        (IdentifierKind.IMEI, "012345678901234", "12345678901234"),
        (IdentifierKind.ICCID, "8986001234567890120", "89860012345678901200"),
        (IdentifierKind.BANK_ACCOUNT, "6222021123456789014", "06222021123456789014"),
    ],
)
def test_keys_of_different_values_differ(kind: IdentifierKind, a: str, b: str) -> None:
    assert table_and_key(kind, a) != table_and_key(kind, b)


def test_short_codes_go_to_a_separate_table() -> None:
    tid_e164, _ = table_and_key(IdentifierKind.PHONE, "+8695588")
    tid_short, _ = table_and_key(IdentifierKind.PHONE, "tel:95588;phone-context=+86")
    assert tid_e164 == 0
    assert tid_short == 1


@given(st.text(alphabet="0123456789", min_size=1, max_size=18))
def test_length_prefixed_encoding_is_injective(digits: str) -> None:
    k = exact_key(IdentifierKind.IMEI, digits)
    assert k is not None
    assert str(k)[1:] == digits and str(k)[0] == "1"


@given(st.integers(min_value=10**11, max_value=10**19 - 1))
def test_card_keys_round_trip(n: int) -> None:
    _, h = table_and_key(IdentifierKind.BANK_CARD, str(n))
    assert unmix(h) == n


# ------------------------------------------------------------ basic lookups


def test_raw_forms_hit_the_same_entry() -> None:
    index = Index.build([("mps", "fraud", None, entry())])
    for raw in ("138 0013 8000", "+86 13800138000", "１３８００１３８０００", "0086-138-0013-8000"):
        r = index.check(raw, kind="phone", now=NOW)
        assert r.valid and r.listed, raw
        assert r.value == PHONE
        assert r.matches[0].case_ref == "A-1"
    assert index.check("138 0013 8000", now=NOW).kind is IdentifierKind.PHONE


def test_invalid_input_is_invalid_not_unlisted() -> None:
    index = Index.build([("mps", "fraud", None, entry())])
    r = index.check("138O0138OOO", kind="phone", now=NOW)
    assert not r.valid and not r.listed
    assert r.error == "letters_not_allowed"
    assert r.to_dict()["error"]["code"] == "letters_not_allowed"
    r = index.check("4111 1111 1111 1112", kind="bank_card", now=NOW)
    assert not r.valid and r.error == "invalid_checksum"


def test_auto_detection_order_is_documented() -> None:
    assert AUTO_ORDER[:4] == (
        IdentifierKind.PHONE,
        IdentifierKind.BANK_CARD,
        IdentifierKind.ICCID,
        IdentifierKind.IMEI,
    )
    index = Index.build([("pboc", "cards", None, entry(CARD, kind="bank_card", action="freeze"))])
    r = index.check("6222 0211 2345 6789 014", now=NOW)
    assert r.kind is IdentifierKind.BANK_CARD and r.listed and r.action is Action.FREEZE


def test_card_is_masked_in_repr_and_dict() -> None:
    index = Index.build([("pboc", "cards", None, entry(CARD, kind="bank_card"))])
    r = index.check_key("bank_card", CARD, now=NOW)
    assert r.listed
    assert CARD not in repr(r)
    assert CARD not in json.dumps(r.to_dict())
    assert r.to_dict()["value"] == "622202*********9014"


def test_check_key_never_matches_non_canonical_values() -> None:
    index = Index.build([("mps", "fraud", None, entry())])
    assert index.check_key("phone", PHONE, now=NOW).listed
    for near in ("8613800138000", " +8613800138000", "+86_13800138000", "+８613800138000", "x"):
        assert not index.check_key("phone", near, now=NOW).listed, near
    with pytest.raises(ConfigurationError) as e:
        index.check_key("nonsense", PHONE)
    assert e.value.code == "invalid_kind"


def test_check_many_preserves_order_and_clock() -> None:
    index = Index.build([("mps", "fraud", None, entry())])
    inputs = ["138 0013 8000", "nonsense", "+8613800138001", CARD, PHONE]
    results = list(index.check_many(inputs, now=NOW))
    assert [r.listed for r in results] == [True, False, False, False, True]
    assert [r.valid for r in results] == [True, False, True, True, True]
    assert results[3].kind is IdentifierKind.BANK_CARD
    single = [index.check(x, now=NOW) for x in inputs]
    assert results == single
    cards = list(index.check_many([CARD, "12"], kind="bank_card", now=NOW))
    assert cards[0].valid and not cards[1].valid


def test_naive_now_is_rejected() -> None:
    index = Index.build([("mps", "fraud", None, entry())])
    with pytest.raises(ConfigurationError):
        index.check(PHONE, now=datetime(2026, 1, 1))


# ------------------------------------------------- validity and precedence


def test_validity_windows_and_expired_lists() -> None:
    later = T0 + timedelta(days=400)
    index = Index.build(
        [
            ("a", "future", None, entry(valid_from=later, case_ref="F")),
            ("b", "ended", None, entry(valid_until=T0 + timedelta(days=10), case_ref="E")),
            ("c", "expired", T0 + timedelta(days=30), entry(case_ref="X")),
            ("d", "live", None, entry(action="watch", case_ref="L")),
        ]
    )
    r = index.check_key("phone", PHONE, now=NOW)
    assert r.listed and [m.case_ref for m in r.matches] == ["L"]
    assert r.action is Action.WATCH
    reasons = {i.match.case_ref: i.reason for i in r.ignored}
    assert reasons == {
        "F": IgnoreReason.NOT_YET_VALID,
        "E": IgnoreReason.VALIDITY_ENDED,
        "X": IgnoreReason.LIST_EXPIRED,
    }
    assert r.to_dict()["ignored"][0]["ignored_because"] in {x.value for x in IgnoreReason}
    # Boundaries: valid_from inclusive, valid_until exclusive.
    end = T0 + timedelta(days=10)
    assert index.check_key("phone", PHONE, now=end - timedelta(seconds=1)).matches[0].list_id in {
        "ended",
        "live",
    }
    at_end = index.check_key("phone", PHONE, now=end)
    assert "ended" not in [m.list_id for m in at_end.matches]
    at_start = index.check_key("phone", PHONE, now=later)
    assert "future" in [m.list_id for m in at_start.matches]


def test_only_ignored_entries_means_not_listed() -> None:
    index = Index.build([("a", "l", T0 + timedelta(days=1), entry())])
    r = index.check_key("phone", PHONE, now=NOW)
    assert not r.listed and r.action is None and len(r.ignored) == 1


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["watch", "block", "hold", "freeze"]))
)
def test_precedence_freeze_hold_block_watch(order: tuple[str, ...]) -> None:
    index = Index.build([(f"org{i}", "l", None, entry(action=a)) for i, a in enumerate(order)])
    r = index.check_key("phone", PHONE, now=NOW)
    assert r.action is Action.FREEZE
    assert len(r.matches) == 4
    index = Index.build([(f"org{i}", "l", None, entry(action=a)) for i, a in enumerate(order[:2])])
    best = max(order[:2], key=lambda a: Action(a).severity)
    assert index.check_key("phone", PHONE, now=NOW).action is Action(best)


def test_hit_cache_respects_the_clock() -> None:
    end = T0 + timedelta(days=10)
    index = Index.build([("b", "ended", None, entry(valid_until=end))])
    assert index.check_key("phone", PHONE, now=end - timedelta(seconds=1)).listed
    assert not index.check_key("phone", PHONE, now=end).listed
    assert index.check_key("phone", PHONE, now=end - timedelta(seconds=1)).listed


def test_inconsistent_list_expiry_is_refused() -> None:
    with pytest.raises(ConfigurationError) as e:
        Index.build([("a", "l", None, entry()), ("a", "l", NOW, entry("+8613800138001"))])
    assert e.value.code == "inconsistent_list_expiry"
    with pytest.raises(ConfigurationError):
        Index.build([("a", "l", None)])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError):
        Index.build([("a", "l", None, "not an entry")])  # type: ignore[list-item]


# ------------------------------------------------------- reference model

PHONES = [f"+86{13800138000 + i * 7919}" for i in range(12)] + [
    "+85251234567",
    "tel:95588;phone-context=+86",
    "tel:10086;phone-context=+86",
]
CARDS = ["6222021123456789014", "4111111111111111", "0123456789012", "622202112345"]
ACCOUNTS = ["alipay:fraud@example.com", "wx_12345", "6222021123456789014"]
ICCIDS = ["8986001234567890120", "89860012345678901234", "8910000000000000000"]
IMEIS = ["356868000041418", "012345678901234"]
POOL = (
    [("phone", v) for v in PHONES]
    + [("bank_card", v) for v in CARDS]
    + [("bank_account", v) for v in ACCOUNTS]
    + [("payment_account", v) for v in ACCOUNTS]
    + [("iccid", v) for v in ICCIDS]
    + [("imei", v) for v in IMEIS]
)
LISTS = [("mps", "a", None), ("mps", "b", T0 + timedelta(days=200)), ("pboc", "a", None)]

record_st = st.builds(
    lambda lst, key, action, start, length, case: IndexRecord(
        lst[0],
        lst[1],
        lst[2],
        entry(
            key[1],
            kind=key[0],
            action=action,
            valid_from=T0 + timedelta(days=start),
            valid_until=None if length == 0 else T0 + timedelta(days=start + length),
            case_ref=f"C{case}",
        ),
    ),
    st.sampled_from(LISTS),
    st.sampled_from(POOL),
    st.sampled_from(["block", "hold", "freeze", "watch"]),
    st.integers(0, 300),
    st.integers(0, 300),
    st.integers(0, 3),
)


def reference(records: list[IndexRecord], kind: str, value: str, now: datetime) -> tuple:
    matches, ignored = [], []
    for issuer, list_id, expires, e in records:
        if (e.kind.value, e.value) != (kind, value):
            continue
        key = (issuer, list_id, e.case_ref, e.action, e.valid_from, e.valid_until)
        if expires is not None and now >= expires:
            ignored.append((key, IgnoreReason.LIST_EXPIRED))
        elif not e.is_active(now):
            why = "not_yet_valid" if now < e.valid_from else "validity_ended"
            ignored.append((key, IgnoreReason(why)))
        else:
            matches.append(key)
    best = max((m[3] for m in matches), key=lambda a: a.severity, default=None)
    return sorted(matches, key=repr), sorted(ignored, key=repr), best


def observed(r: CheckResult) -> tuple:
    def key(m: Match) -> tuple:
        return (m.issuer, m.list_id, m.case_ref, m.action, m.valid_from, m.valid_until)

    return (
        sorted((key(m) for m in r.matches), key=repr),
        sorted(((key(i.match), i.reason) for i in r.ignored), key=repr),
        r.action,
    )


def unique(records: list[IndexRecord]) -> list[IndexRecord]:
    # An entries file has one entry per key: keep the last per (list, key).
    seen: dict[tuple, IndexRecord] = {}
    for rec in records:
        seen[(rec.issuer, rec.list_id, rec.entry.key)] = rec
    return list(seen.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record_st, max_size=40), st.integers(0, 600))
def test_matches_the_naive_reference(records: list[IndexRecord], day: int) -> None:
    records = unique(records)
    index = Index.build(records)
    now = T0 + timedelta(days=day)
    for kind, value in POOL:
        got = observed(index.check_key(kind, value, now=now))
        assert got == reference(records, kind, value, now), (kind, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(record_st, max_size=30),
    st.lists(record_st, max_size=15),
    st.lists(st.sampled_from(POOL), max_size=10),
    st.integers(0, 600),
    st.booleans(),
)
def test_incremental_updates_match_a_rebuild(
    base: list[IndexRecord],
    added: list[IndexRecord],
    removed: list[tuple[str, str]],
    day: int,
    compact: bool,
) -> None:
    base = unique(base)
    index = Index.build(base)
    target = "mps", "a"
    expected = [r for r in base if (r.issuer, r.list_id) != target or r.entry.key not in removed]
    index.apply_changes(*target, removed=removed)
    new = unique([IndexRecord(*target, None, r.entry) for r in added])
    index.apply_changes(*target, added=[r.entry for r in new])
    new_keys = {r.entry.key for r in new}
    expected = [
        r for r in expected if (r.issuer, r.list_id) != target or r.entry.key not in new_keys
    ] + new
    if compact:
        index.compact()
    now = T0 + timedelta(days=day)
    for kind, value in POOL:
        got = observed(index.check_key(kind, value, now=now))
        assert got == reference(expected, kind, value, now), (kind, value)


def test_replace_and_remove_list() -> None:
    index = Index.build(
        [("mps", "a", None, entry(case_ref="old")), ("pboc", "a", None, entry(case_ref="keep"))]
    )
    index.replace_list("mps", "a", [entry("+8613800138001", case_ref="new")], list_expires=None)
    assert [m.case_ref for m in index.check_key("phone", PHONE, now=NOW).matches] == ["keep"]
    assert index.check_key("phone", "+8613800138001", now=NOW).listed
    index.remove_list("pboc", "a")
    assert not index.check_key("phone", PHONE, now=NOW).listed
    index.compact()
    assert index.check_key("phone", "+8613800138001", now=NOW).listed
    assert len(index) == 1
    assert [x[:2] for x in index.lists] == [("mps", "a")]


def test_set_list_expiry() -> None:
    index = Index.build([("mps", "a", None, entry())])
    index.set_list_expiry("mps", "a", T0 + timedelta(days=1))
    r = index.check_key("phone", PHONE, now=NOW)
    assert not r.listed and r.ignored[0].reason is IgnoreReason.LIST_EXPIRED


# ------------------------------------------------------------- saved files


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record_st, max_size=40), st.integers(0, 600))
def test_save_open_round_trip(
    tmp_path_factory: pytest.TempPathFactory, records: list, day: int
) -> None:
    records = unique(records)
    path = tmp_path_factory.mktemp("idx") / "x.afidx"
    Index.build(records).save(path)
    opened = Index.open(path)
    now = T0 + timedelta(days=day)
    for kind, value in POOL:
        assert observed(opened.check_key(kind, value, now=now)) == reference(
            records, kind, value, now
        )


def test_saved_index_can_be_updated_and_saved_again(tmp_path: Path) -> None:
    path = tmp_path / "x.afidx"
    Index.build(
        [("mps", "a", None, entry()), ("mps", "a", None, entry(CARD, kind="bank_card"))]
    ).save(path)
    opened = Index.open(path)
    opened.apply_changes("mps", "a", added=[entry("+8613800138001", case_ref="B-2")])
    opened.apply_changes("mps", "a", removed=[("phone", PHONE)])
    assert opened.check_key("phone", "+8613800138001", now=NOW).matches[0].case_ref == "B-2"
    assert not opened.check_key("phone", PHONE, now=NOW).listed
    opened.save(path)
    again = Index.open(path)
    assert again.check_key("phone", "+8613800138001", now=NOW).listed
    assert again.check_key("bank_card", CARD, now=NOW).listed
    assert not again.check_key("phone", PHONE, now=NOW).listed
    assert again.stats()["rows"] == 2
    assert not list(tmp_path.glob(".tmp-*"))


def test_empty_index_round_trip(tmp_path: Path) -> None:
    Index().save(tmp_path / "e.afidx")
    assert not Index.open(tmp_path / "e.afidx").check_key("phone", PHONE).listed


@pytest.mark.parametrize("damage", ["flip", "truncate", "magic", "empty", "version"])
def test_corrupt_files_are_refused(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "x.afidx"
    Index.build(
        [("mps", "a", None, entry()), ("x", "y", None, entry(CARD, kind="bank_card"))]
    ).save(path)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) - 9]
    elif damage == "magic":
        data[0:8] = b"NOTINDEX"
    elif damage == "empty":
        data = bytearray()
    elif damage == "version":
        data[8] = 99
    path.write_bytes(bytes(data))
    with pytest.raises(BlacklistFormatError) as e:
        Index.open(path)
    assert e.value.code in {"index_corrupt", "unsupported_index_version"}


@pytest.mark.parametrize("verify", ["crc32", "sha256"])
def test_every_byte_flip_is_detected(tmp_path: Path, verify: str) -> None:
    path = tmp_path / "x.afidx"
    Index.build([("mps", "a", None, entry()), ("b", "c", NOW, entry(CARD, kind="bank_card"))]).save(
        path
    )
    good = path.read_bytes()
    assert Index.open(path, verify=verify).check_key("phone", PHONE, now=NOW).listed
    for pos in range(len(good)):
        bad = bytearray(good)
        bad[pos] ^= 0x01
        path.write_bytes(bytes(bad))
        with pytest.raises(BlacklistFormatError):
            Index.open(path, verify=verify)


def test_block_checksums_streamed_equal_threaded() -> None:
    # The writer streams sections; the reader checks 4 MiB blocks on several threads.
    import os

    from antifraud_common.index._file import block_crcs as _block_crcs
    from antifraud_common.index._file import stream_block_crcs as _stream_block_crcs

    data = os.urandom((18 << 20) + 12345)
    cuts = [0, 7, 4 << 20, (4 << 20) + 1, 9_999_999, len(data)]
    chunks = [data[a:b] for a, b in itertools.pairwise(cuts)]
    assert _stream_block_crcs(chunks) == _block_crcs(data)
    assert len(_block_crcs(data)) == 5


def test_unknown_verify_mode(tmp_path: Path) -> None:
    Index().save(tmp_path / "e.afidx")
    with pytest.raises(ConfigurationError):
        Index.open(tmp_path / "e.afidx", verify="maybe")
    assert not Index.open(tmp_path / "e.afidx", verify="none").check_key("phone", PHONE).listed


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as e:
        Index.open(tmp_path / "missing.afidx")
    assert e.value.code == "index_unreadable"


def test_stats_report_key_and_provenance_sizes() -> None:
    index = Index.build(
        [
            ("mps", "a", None, entry(f"+86{13800138000 + i}", case_ref=f"C{i % 3}"))
            for i in range(1000)
        ]
    )
    s = index.stats()
    assert s["rows"] == 1000
    assert s["provenance_tuples"] == 1
    assert s["case_refs"] == 3
    assert 8000 <= s["key_bytes"] <= 16 * 1000 + 64


def test_settled_rows_skip_the_window_only_when_that_is_exact(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Rows open-ended and begun by the build's clock carry the "settled" bit;
    # a lookup at or after that clock decides them without their window. Every
    # other row, and every lookup before the clock, reads the window.
    import antifraud_common.index._core as core

    clock = T0 + timedelta(days=100)
    monkeypatch.setattr(core.time, "time", clock.timestamp)
    built = Index.build(
        [
            ("a", "settled", None, entry(case_ref="S")),
            ("b", "later", None, entry(CARD, kind="bank_card", valid_from=T0 + timedelta(200))),
            ("c", "ends", None, entry("+8613900139000", valid_until=T0 + timedelta(days=300))),
        ]
    )
    monkeypatch.undo()
    bits = sorted(sorted(p & 1 for p in t.prov) for t in built._tables.values())
    assert bits == [[0], [0, 1]]
    built.save(tmp_path / "i.afidx")
    opened = Index.open(tmp_path / "i.afidx")
    for index in (built, opened):
        for day, phone, card, other in [
            (50, True, False, True),
            (150, True, False, True),
            (250, True, True, True),
            (350, True, True, False),
        ]:
            now = T0 + timedelta(days=day)
            assert index.check_key("phone", PHONE, now=now).listed is phone
            assert index.check_key("bank_card", CARD, now=now).listed is card
            assert index.check_key("phone", "+8613900139000", now=now).listed is other
        # Before the build's clock, the settled row's own window still counts.
        early = index.check_key("phone", PHONE, now=T0 - timedelta(seconds=1))
        assert not early.listed
        assert early.ignored[0].reason is IgnoreReason.NOT_YET_VALID
        assert index.check_key("phone", PHONE, now=T0).listed


def test_a_saved_file_of_another_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "i.afidx"
    Index.build([("a", "l", None, entry())]).save(path)
    data = bytearray(path.read_bytes())
    data[8:12] = (1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(BlacklistFormatError) as e:
        Index.open(path, verify="none")
    assert e.value.code == "unsupported_index_version"
