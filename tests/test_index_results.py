"""Tests for CheckResult: lazily built matches, immutability, value semantics."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from antifraud_common.errors import ConfigurationError
from antifraud_common.index import CheckResult, Ignored, IgnoreReason, Index, Match
from antifraud_common.models import Action, Entry, IdentifierKind, Reason

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
) -> Entry:
    return Entry(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref=case_ref,
        confidence=90,
        tlp="amber",
        listed_at=T0,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def sample_index() -> Index:
    return Index.build(
        [
            ("mps", "a", None, entry(case_ref="A-1")),
            ("pboc", "b", None, entry(action="freeze", case_ref="B-1")),
            ("mps", "old", None, entry(case_ref="O-1", valid_until=T0 + timedelta(days=1))),
            ("mps", "a", None, entry(CARD, kind="bank_card", action="hold", case_ref="C-1")),
        ]
    )


def built(r: CheckResult) -> bool:
    """Whether the result holds its Match objects (rather than row references)."""
    return len(r._lazy) == 2


def eager(r: CheckResult) -> CheckResult:
    """The same result built through the public constructor (nothing lazy)."""
    return CheckResult(
        r.kind, r.value, r.valid, r.listed, r.action, r.matches, r.ignored, r.error, r.message
    )


def test_a_hit_decides_listed_and_action_but_builds_matches_on_first_read() -> None:
    r = sample_index().check_key("phone", PHONE, now=NOW)
    assert r.listed and r.action is Action.FREEZE
    assert not built(r)
    matches = r.matches
    assert built(r)  # once: the row references are dropped
    assert r.matches is matches  # and kept
    assert sorted(m.case_ref for m in matches) == ["A-1", "B-1"]
    assert [(i.match.case_ref, i.reason) for i in r.ignored] == [
        ("O-1", IgnoreReason.VALIDITY_ENDED)
    ]
    m = next(m for m in matches if m.case_ref == "B-1")
    assert m == Match(
        issuer="pboc",
        list_id="b",
        reason=Reason.TELECOM_FRAUD,
        action=Action.FREEZE,
        case_ref="B-1",
        confidence=90,
        valid_from=T0,
        valid_until=None,
        source="mps",
        tlp=m.tlp,
    )
    assert m.valid_from.tzinfo is UTC
    old = r.ignored[0].match
    assert old.valid_until == T0 + timedelta(days=1)


def test_reading_ignored_first_gives_the_same_result() -> None:
    index = sample_index()
    a = index.check_key("phone", PHONE, now=NOW)
    b = index.check_key("phone", PHONE, now=NOW)
    assert len(b.ignored) == 1  # ignored first
    assert a.matches == b.matches and a.ignored == b.ignored
    assert a == b == eager(a)


def test_lazy_and_constructed_results_agree_everywhere() -> None:
    index = sample_index()
    for kind, value in (("phone", PHONE), ("bank_card", CARD), ("phone", "+8613900139000")):
        lazy = index.check_key(kind, value, now=NOW)
        twin = index.check_key(kind, value, now=NOW)
        built = eager(twin)
        assert lazy.to_dict() == built.to_dict()
        assert repr(lazy) == repr(built)
        assert lazy == built and hash(lazy) == hash(built)
        assert (lazy != built) is False


def test_a_result_is_fixed_at_the_time_of_the_lookup() -> None:
    index = sample_index()
    before = index.check_key("phone", PHONE, now=NOW)
    expected = eager(index.check_key("phone", PHONE, now=NOW))
    # Every kind of update, then a compaction that replaces the main arrays.
    index.apply_changes("mps", "a", removed=[("phone", PHONE)])
    index.replace_list("pboc", "b", [entry(action="watch", case_ref="B-2")], list_expires=None)
    index.set_list_expiry("mps", "old", T0)
    index.remove_list("mps", "old")
    index.compact()
    after = index.check_key("phone", PHONE, now=NOW)
    assert [m.case_ref for m in after.matches] == ["B-2"]
    # The result taken before the updates still reports what was true then.
    assert before == expected
    assert before.action is Action.FREEZE
    assert sorted(m.case_ref for m in before.matches) == ["A-1", "B-1"]


def test_overlay_rows_are_reported_lazily_too() -> None:
    index = sample_index()
    later = NOW + timedelta(days=1)
    index.apply_changes("mps", "a", added=[entry("+8613900139000", case_ref="N-1")])
    index.apply_changes(
        "pboc", "b", added=[entry("+8613900139000", case_ref="N-2", valid_from=later)]
    )
    r = index.check_key("phone", "+8613900139000", now=NOW)
    assert r.listed and r.action is Action.BLOCK
    assert not built(r)
    index.remove_list("mps", "a")
    assert [m.case_ref for m in r.matches] == ["N-1"]
    assert [(i.match.list_id, i.reason) for i in r.ignored] == [("b", IgnoreReason.NOT_YET_VALID)]


def test_misses_and_invalid_inputs_have_nothing_to_build() -> None:
    index = sample_index()
    miss = index.check_key("phone", "+8613900139000", now=NOW)
    assert (miss.listed, miss.action, miss.matches, miss.ignored) == (False, None, (), ())
    assert built(miss)  # nothing to build
    bad = index.check("138 0013 800", kind="phone", now=NOW)
    assert not bad.valid and bad.error == "invalid_number" and bad.matches == ()
    assert bad.to_dict()["error"]["code"] == "invalid_number"


def test_check_result_is_immutable() -> None:
    r = sample_index().check_key("phone", PHONE, now=NOW)
    for name in ("kind", "value", "valid", "listed", "action", "matches", "ignored", "error"):
        with pytest.raises(AttributeError):
            setattr(r, name, None)
    with pytest.raises(AttributeError):
        r.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del r.listed  # type: ignore[misc]


def test_pickle_and_copy_give_equal_materialised_results() -> None:
    r = sample_index().check_key("bank_card", CARD, now=NOW)
    for clone in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
        assert clone == r
        assert clone.matches[0].case_ref == "C-1"
        assert built(clone)


def test_constructor_keeps_the_named_field_order() -> None:
    m = Match(
        "mps", "a", Reason.TELECOM_FRAUD, Action.BLOCK, "A-1", 90, T0, None, "mps", entry().tlp
    )
    r = CheckResult(
        kind=IdentifierKind.PHONE,
        value=PHONE,
        valid=True,
        listed=False,
        action=None,
        matches=[],  # type: ignore[arg-type]
        ignored=[Ignored(m, IgnoreReason.LIST_EXPIRED)],  # type: ignore[arg-type]
    )
    assert r.matches == () and r.ignored[0].reason is IgnoreReason.LIST_EXPIRED
    assert r.error is None and r.message is None
    match r:
        case CheckResult(kind, value, valid, listed):
            assert (kind, value, valid, listed) == (IdentifierKind.PHONE, PHONE, True, False)
    assert r != (IdentifierKind.PHONE, PHONE, True, False, None, (), r.ignored, None, None)
    assert r.to_dict()["ignored"][0]["ignored_because"] == "list_expired"


def test_values_beyond_the_exact_key_range_never_match() -> None:
    # mix() is a bijection on 64-bit keys only: int(value) + 2**64 would land on
    # the key of a listed value. Such strings are not canonical phones or cards.
    index = sample_index()
    assert index.check_key("phone", PHONE, now=NOW).listed
    assert index.check_key("bank_card", CARD, now=NOW).listed
    for kind, value in (
        ("phone", "+" + str(int(PHONE[1:]) + 2**64)),
        ("bank_card", str(int(CARD) + 2**64)),
        ("phone", "+0"),
        ("bank_card", "0"),
    ):
        r = index.check_key(kind, value, now=NOW)
        assert not r.listed and r.matches == () and r.ignored == (), value


def test_the_single_row_fast_path_and_the_general_path_agree() -> None:
    # One row in force (fast path), one row ignored, two rows, an overlay row,
    # a dead list: each compared with the same lookup after a rebuild.
    records = [
        ("mps", "a", None, entry("+8613800000001", case_ref="one")),
        ("mps", "a", None, entry("+8613800000002", valid_from=NOW + timedelta(days=1))),
        ("mps", "a", None, entry("+8613800000003", case_ref="x")),
        ("pboc", "b", None, entry("+8613800000003", action="freeze", case_ref="y")),
        ("pboc", "exp", T0 + timedelta(days=2), entry("+8613800000004", case_ref="gone")),
    ]
    index = Index.build(records)
    fresh = Index.build(records)
    for v in ("+8613800000001", "+8613800000002", "+8613800000003", "+8613800000004"):
        assert eager(index.check_key("phone", v, now=NOW)) == fresh.check_key("phone", v, now=NOW)
    r = index.check_key("phone", "+8613800000004", now=NOW)
    assert not r.listed and r.ignored[0].reason is IgnoreReason.LIST_EXPIRED
    index.remove_list("mps", "a")
    assert not index.check_key("phone", "+8613800000001", now=NOW).listed
    assert index.check_key("phone", "+8613800000003", now=NOW).action is Action.FREEZE
    index.apply_changes("mps", "c", added=[entry("+8613800000009", case_ref="new")])
    assert [m.case_ref for m in index.check_key("phone", "+8613800000009", now=NOW).matches] == [
        "new"
    ]
    with pytest.raises(ConfigurationError) as e:
        index.check_key("phone", "+8613800000003", now=datetime(2026, 6, 1))
    assert e.value.code == "naive_datetime"


def test_overlay_rows_of_a_table_the_main_arrays_lack() -> None:
    index = Index.build([("pboc", "cards", None, entry(CARD, kind="bank_card"))])
    assert not index.check_key("phone", PHONE, now=NOW).listed
    index.apply_changes("mps", "a", added=[entry(case_ref="late")])
    r = index.check_key("phone", PHONE, now=NOW)
    assert r.listed and [m.case_ref for m in r.matches] == ["late"]
    assert not index.check_key("phone", PHONE[1:], now=NOW).listed  # not canonical
    index.compact()
    assert index.check_key("phone", PHONE, now=NOW) == r
