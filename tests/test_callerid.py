"""Caller-ID checks: named vectors, the rule table, emergency calls, the data seams."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antifraud_common import _cn_plan
from antifraud_common.callerid import (
    RULES,
    RULES_BY_ID,
    CallAction,
    CallChecker,
    CallerRanges,
    Ingress,
    RuleSource,
    check_call,
)
from antifraud_common.errors import ConfigurationError
from antifraud_common.index import Index
from antifraud_common.models import Entry
from antifraud_common.protected import ProtectedList

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "tests" / "vectors" / "callerid.json").read_text(encoding="utf-8"))
CASES = VECTORS["cases"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def run_vector(case: dict) -> object:
    return check_call(
        case["calling"],
        case["called"],
        ingress=case["ingress"],
        trunk_id=case.get("trunk_id"),
        authenticated=case.get("authenticated"),
        roaming=case.get("roaming", False),
        ranges=case.get("ranges"),
        presenters=case.get("presenters"),
        dno=None if "dno" not in case else frozenset(case["dno"]),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_named_vector(case: dict) -> None:
    v = run_vector(case)
    assert v.action.value == case["action"]
    assert list(v.rule_ids) == case["rules"]
    assert v.plan_version == _cn_plan.plan().version


def test_vectors_cover_every_rule_and_action() -> None:
    fired = {r for c in CASES for r in c["rules"]}
    # blacklisted needs an index: tested below.
    assert fired | {"blacklisted"} == set(RULES_BY_ID)
    assert {c["action"] for c in CASES} == {a.value for a in CallAction}
    assert len({c["name"] for c in CASES}) == len(CASES)


def test_rule_table_is_documented() -> None:
    doc = (ROOT / "docs" / "callerid.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| `([a-z_]+)` \| (block|withhold|flag) \| (regulation|practice) \|", doc, re.M
    )
    assert [(r.id, r.action.value, r.source.value) for r in RULES] == rows
    for r in RULES:
        assert r.id == r.id.lower() and r.reference and r.summary


def _index(action: str = "block") -> Index:
    e = Entry(
        kind="phone",
        value="+8613800138000",
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref="A-1",
        confidence=90,
        tlp="amber",
        listed_at=T0,
        valid_from=T0,
    )
    return Index.build([("mps", "fraud-phones", None, e)])


def test_blacklisted_blocks_and_watch_flags() -> None:
    v = check_call("138 0013 8000", "+8613900139000", ingress="subscriber", index=_index(), now=NOW)
    assert v.rule_ids == ("blacklisted",) and v.action is CallAction.BLOCK
    assert "mps" in v.rules[0].detail and v.skipped == ("dno_listed",)
    w = check_call(
        "+8613800138000", "+8613900139000", ingress="subscriber", index=_index("watch"), now=NOW
    )
    assert w.rule_ids == ("blacklisted",) and w.action is CallAction.FLAG
    # Before the entry is in force it does not count.
    before = check_call(
        "+8613800138000",
        "+8613900139000",
        ingress="subscriber",
        index=_index(),
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert before.allowed
    other = check_call(
        "+8613800138001", "+8613900139000", ingress="subscriber", index=_index(), now=NOW
    )
    assert other.allowed


def test_skipped_rules_name_missing_data() -> None:
    v = check_call("+861062345678", "+8613900139000", ingress="voip")
    assert v.skipped == ("dno_listed", "blacklisted", "range_unauthorised")
    assert (
        check_call(
            "+861062345678",
            "+8613900139000",
            ingress="interconnect",
            dno=set(),
            index=_index(),
            now=NOW,
        ).skipped
        == ()
    )


def test_verdict_json_shape() -> None:
    v = check_call("+8613800138000", "+8613800138000", ingress="international", dno=set())
    d = v.to_dict()
    assert list(d) == [
        "action",
        "rules",
        "ingress",
        "calling",
        "called",
        "emergency",
        "plan_version",
        "skipped",
    ]
    assert d["action"] == "block" and d["ingress"] == "international"
    assert [r["id"] for r in d["rules"]] == ["international_domestic_cli", "cli_equals_called"]
    assert set(d["rules"][0]) == {"id", "action", "source", "reference", "detail"}
    assert d["rules"][1]["action"] == "withhold"
    json.dumps(d)


def test_sources_are_regulation_or_practice() -> None:
    assert {r.source for r in RULES} == set(RuleSource)
    v = check_call("106901234567", "+8613900139000", ingress="interconnect")
    assert v.rules[0].rule.source is RuleSource.PRACTICE


def test_bad_options_are_typed_errors() -> None:
    with pytest.raises(ConfigurationError) as e:
        check_call("+8613800138000", "+8613900139000", ingress="satellite")
    assert e.value.code == "invalid_ingress"
    with pytest.raises(ConfigurationError) as e:
        check_call("+8613800138000", "+8613900139000", ingress="voip", ranges=["86138"])
    assert e.value.code == "invalid_ranges"
    with pytest.raises(ConfigurationError) as e:
        check_call("+8613800138000", "x", ingress=Ingress.VOIP, now=datetime(2026, 1, 1))
    assert e.value.code == "naive_datetime"
    with pytest.raises(ConfigurationError):
        CallChecker(index=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        CallChecker(dno=5)  # type: ignore[arg-type]


@given(st.one_of(st.text(max_size=30), st.none(), st.integers(), st.binary(max_size=10)))
@settings(max_examples=300, deadline=None)
def test_check_call_is_total(calling: object) -> None:
    v = check_call(calling, "+8613900139000", ingress="international")
    assert v.action in CallAction
    assert (v.calling is None) == bool(
        {"cli_malformed", "cli_unallocated", "cli_reserved_range"} & set(v.rule_ids)
    )


EMERGENCY_FORMS = [
    "110",
    "119",
    "120",
    "122",
    "+86110",
    "0086 119",
    "tel:120;phone-context=+86",
    "１２２",
    "+86 (122)",
]
_DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=16)


@given(
    calling=st.one_of(
        _DIGITS,
        _DIGITS.map(lambda d: "+86" + d),
        _DIGITS.map(lambda d: "+" + d),
        st.sampled_from(["110", "95588", "96110", "106901234567", "4001234567", "x", ""]),
        st.text(max_size=20),
    ),
    called=st.sampled_from(EMERGENCY_FORMS),
    ingress=st.sampled_from(list(Ingress)),
    trunk=st.one_of(st.none(), st.text(max_size=5)),
    authenticated=st.sampled_from([None, True, False]),
    roaming=st.booleans(),
    ranges=st.one_of(
        st.none(),
        st.lists(
            st.text(alphabet="0123456789", min_size=1, max_size=15).map("+".__add__), max_size=3
        ),
    ),
    listed=st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_emergency_calls_are_never_blocked(
    calling: str,
    called: str,
    ingress: Ingress,
    trunk: str | None,
    authenticated: bool | None,
    roaming: bool,
    ranges: list[str] | None,
    listed: bool,
) -> None:
    v = check_call(
        calling,
        called,
        ingress=ingress,
        trunk_id=trunk,
        authenticated=authenticated,
        roaming=roaming,
        ranges=ranges,
        dno={calling} if listed else None,
        index=_index() if listed else None,
        now=NOW,
    )
    assert v.emergency
    assert v.action in (CallAction.ALLOW, CallAction.FLAG)
    assert v.action is (CallAction.FLAG if v.rules else CallAction.ALLOW)


@given(
    calling=st.sampled_from([c["calling"] for c in CASES]),
    called=st.sampled_from(["+8613900139000", "+861062345678", "95588"]),
    ingress=st.sampled_from(list(Ingress)),
)
@settings(max_examples=200, deadline=None)
def test_action_is_strongest_fired_rule(calling: str, called: str, ingress: Ingress) -> None:
    v = check_call(calling, called, ingress=ingress, ranges=["+86"], dno=set())
    expected = max((f.action for f in v.rules), key=lambda a: a.rank, default=CallAction.ALLOW)
    assert v.action is expected and not v.emergency


class NewerPlan:
    """A plan that allocates the 154 block the packaged plan does not know."""

    version = 99

    def __init__(self) -> None:
        self._base = _cn_plan.plan()

    def regular(self, nsn: str) -> tuple[str, str] | None:
        if len(nsn) == 11 and nsn.startswith("154"):
            return ("mobile", "中国移动")
        return self._base.regular(nsn)

    def local(self, digits: str) -> tuple[str, str] | None:
        return self._base.local(digits)


def test_plan_seam_decides_and_is_reported() -> None:
    newer = NewerPlan()
    for raw in ("+8615400138000", "154 0013 8000", "0086-154-0013-8000"):
        old = check_call(raw, "+8613900139000", ingress="interconnect")
        assert old.rule_ids == ("cli_reserved_range",) and old.plan_version == 1
        new = check_call(raw, "+8613900139000", ingress="interconnect", plan=newer)
        assert new.allowed and new.calling == "+8615400138000" and new.plan_version == 99

    # A plan that withdraws a block turns its numbers unallocated.
    class Withdrawn(NewerPlan):
        def regular(self, nsn: str) -> tuple[str, str] | None:
            return None if nsn.startswith("138") else super().regular(nsn)

    v = check_call("13800138000", "+8613900139000", ingress="interconnect", plan=Withdrawn())
    assert v.rule_ids == ("cli_unallocated",)
    assert CallChecker(plan=newer).plan_version == 99


def test_dno_and_presenters_accept_plain_containers() -> None:
    class Lookup:
        def __contains__(self, value: object) -> bool:
            return value == "+861062345678"

    v = check_call("010 6234 5678", "+8613900139000", ingress="interconnect", dno=Lookup())
    assert v.rule_ids == ("dno_listed",)
    # presenters may be keyed by the area-code form a trunk presents.
    v = check_call(
        "010-95588",
        "+8613900139000",
        ingress="interconnect",
        trunk_id="t1",
        presenters={"+861095588": ("t1",)},
    )
    assert v.allowed


def test_own_protected_table() -> None:
    own = ProtectedList.from_csv_text(
        "kind,value,category,name,source_note\nphone,+861062345678,bank,Our bank,own line\n"
    )
    v = check_call("+861062345678", "+8613900139000", ingress="interconnect", protected=own)
    assert v.rule_ids == ("protected_unauthorised",) and "Our bank" in v.rules[0].detail
    assert check_call("95588", "+8613900139000", ingress="interconnect", protected=own).allowed


def test_ranges() -> None:
    r = CallerRanges.of("+86106234")
    assert r.covers("+861062345678") and not r.covers("+861072345678")
    assert not r.covers("tel:95588;phone-context=+86")
    assert CallerRanges.of([]).prefixes == ()
    assert not CallerRanges.of([]).covers("+861062345678")


@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=3, max_size=13).map("+86".__add__),
        st.sampled_from([n.value for n in ProtectedList.load_default()]),
        st.sampled_from(["+861095588", "+8657196110", "+8675512345", "+8610955880"]),
    )
)
@settings(max_examples=300, deadline=None)
def test_protected_prefilter_never_hides_a_match(value: str) -> None:
    checker = CallChecker()
    if ProtectedList.load_default().match("phone", value) is not None:
        assert checker._may_be_protected(value)


def test_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from antifraud_common.callerid import _check

    monkeypatch.setattr(_check, "_CACHE_LIMIT", 8)
    checker = CallChecker(dno=set())
    for n in range(50):
        v = checker.check(f"+861380013{n:04d}", f"+861390013{n:04d}", ingress="interconnect")
        assert v.allowed
    assert len(checker._calling) <= 8 and len(checker._called) <= 8
    # What stays cached is still right.
    assert checker.check("+8613800130049", "110", ingress="international").rule_ids == (
        "international_domestic_cli",
    )
