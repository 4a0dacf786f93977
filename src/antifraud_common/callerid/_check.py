"""check_call and the verdict it returns (private; exported by :mod:`antifraud_common.callerid`).

The rules are evaluated in the order of :data:`~._rules.RULES`; each that fires
is reported with its effective action, and the call's action is the strongest
of them (BLOCK > WITHHOLD > FLAG > ALLOW), except that a call to an emergency
number is never blocked and never loses its caller ID: its action is at most
FLAG. The algorithm is specified in ``docs/spec/callerid.md``.
"""

from __future__ import annotations

import enum
import functools
import itertools
from collections.abc import Collection, Container, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Protocol

import attrs

from antifraud_common import _cn_plan, numberplan, phone
from antifraud_common._clock import aware_utc
from antifraud_common.callerid._rules import RULES_BY_ID, CallAction, Rule
from antifraud_common.errors import ConfigurationError, ValidationError
from antifraud_common.protected import ProtectedList, ProtectedNumber

__all__ = [
    "CallChecker",
    "CallVerdict",
    "CallerRanges",
    "FiredRule",
    "Ingress",
    "NumberPlan",
    "check_call",
]

_CONTEXT: Final = ";phone-context=+86"
#: Destinations whose calls are never blocked (docs/callerid.md, "Emergency calls").
EMERGENCY_DIGITS: Final = frozenset({"110", "119", "120", "122"})
_EMERGENCY_VALUES: Final = frozenset(f"tel:{d}{_CONTEXT}" for d in EMERGENCY_DIGITS)
#: Validation error codes -> the rule that reports them (others: cli_malformed).
_ERROR_RULE: Final = {
    "invalid_number": "cli_unallocated",
    "unknown_country_code": "cli_unallocated",
    "unknown_range": "cli_reserved_range",
}
#: Plan kinds -> the rule a caller ID of that kind fires.
_KIND_RULE: Final = {
    "toll_free": "cli_inbound_only",
    "shared_cost": "cli_inbound_only",
    "sms_port": "cli_sms_port",
    "emergency": "cli_emergency_number",
    "iot": "cli_not_dialable",
}
_MOBILE_KINDS: Final = frozenset({"mobile", "satellite"})


#: Distinct cells whose facts a checker keeps (then it starts over): bounded memory.
_CACHE_LIMIT: Final = 1 << 18
#: (value, plan kind, error code, protected record, short code in international form)
_CallingInfo = tuple[str | None, str | None, str, ProtectedNumber | None, bool]


class Ingress(enum.Enum):
    """Where a call entered the carrier's network."""

    #: an international gateway (a call from abroad)
    INTERNATIONAL = "international"
    #: another domestic carrier's interconnect
    INTERCONNECT = "interconnect"
    #: one of the carrier's own subscribers (the network knows the line)
    SUBSCRIBER = "subscriber"
    #: an enterprise private line / trunk (专线)
    PRIVATE_LINE = "private_line"
    #: a VoIP platform's trunk
    VOIP = "voip"


INGRESS_BY_VALUE: Final = {i.value: i for i in Ingress}
# Module constants: comparing with these avoids the enum class's attribute look-up.
_INTERNATIONAL: Final = Ingress.INTERNATIONAL
_SUBSCRIBER: Final = Ingress.SUBSCRIBER
_PRIVATE_LINE: Final = Ingress.PRIVATE_LINE
_VOIP: Final = Ingress.VOIP
_ALLOW: Final = CallAction.ALLOW


class NumberPlan(Protocol):
    """What check_call needs of a +86 number plan (the packaged plan has it).

    ``regular(nsn)`` and ``local(digits)`` return ``(kind, carrier)`` or None, as
    specified in ``docs/spec/number-plan.md``; ``version`` is the plan version.
    """

    @property
    def version(self) -> int: ...  # pragma: no cover - a protocol

    def regular(self, nsn: str) -> tuple[str, str] | None: ...  # pragma: no cover

    def local(self, digits: str) -> tuple[str, str] | None: ...  # pragma: no cover


class _Lookup(Protocol):
    def check_key(self, kind: str, value: str, *, now: datetime | None = None) -> Any: ...


@attrs.frozen(kw_only=True)
class CallerRanges:
    """The numbers a private line or VoIP trunk may present, checked once.

    Each item is an E.164 prefix (``+8610623456`` covers every number starting
    with it; a whole number is a range of one) or the exact canonical value of a
    Chinese short code (``tel:95588;phone-context=+86``).

    >>> r = CallerRanges.of(["+8610623456", "tel:95588;phone-context=+86"])
    >>> r.covers("+861062345678"), r.covers("+861062345778")
    (True, False)
    >>> r.covers("tel:95588;phone-context=+86")
    True
    """

    prefixes: tuple[str, ...]
    exact: frozenset[str]

    @classmethod
    def of(cls, items: Iterable[str]) -> CallerRanges:
        """Check ``items`` and build the ranges; a bad item raises ``invalid_ranges``."""
        if isinstance(items, str):
            items = (items,)
        prefixes: list[str] = []
        exact: set[str] = set()
        for item in items:
            if (
                type(item) is str
                and item[:1] == "+"
                and 2 <= len(item) <= 16
                and item.isascii()
                and item[1:].isdigit()
            ):
                prefixes.append(item)
            elif type(item) is str and item.startswith("tel:") and item.endswith(_CONTEXT):
                exact.add(item)
            else:
                raise ConfigurationError(
                    f"an authorised range is an E.164 prefix (+86...) or a tel: short code, "
                    f"not {item!r}",
                    code="invalid_ranges",
                )
        return cls(prefixes=tuple(sorted(set(prefixes))), exact=frozenset(exact))

    def covers(self, value: str) -> bool:
        """Whether the canonical ``value`` lies in one of the ranges."""
        if value[:1] == "+":
            return value.startswith(self.prefixes)
        return value in self.exact


@attrs.frozen(kw_only=True)
class FiredRule:
    """A rule that fired on a call, with the action it asks for and why."""

    rule: Rule
    action: CallAction
    detail: str = ""

    @property
    def id(self) -> str:
        """The rule's stable id."""
        return self.rule.id

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``docs/spec/callerid.md``."""
        return {
            "id": self.rule.id,
            "action": self.action.value,
            "source": self.rule.source.value,
            "reference": self.rule.reference,
            "detail": self.detail,
        }


@attrs.frozen(kw_only=True)
class CallVerdict:
    """What a gateway should do with one call, and every rule that says so.

    ``calling`` / ``called`` are the canonical values (None when not a valid
    number); ``rules`` the fired rules in table order; ``skipped`` the ids of
    rules not evaluated for lack of data (no DNO list, no index, no ranges);
    ``emergency`` whether the call goes to an emergency number (never blocked);
    ``plan_version`` the number-plan version that decided.
    """

    action: CallAction
    rules: tuple[FiredRule, ...]
    ingress: Ingress
    calling: str | None
    called: str | None
    emergency: bool
    plan_version: int
    skipped: tuple[str, ...] = ()

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the fired rules, in table order."""
        return tuple(f.rule.id for f in self.rules)

    @property
    def allowed(self) -> bool:
        """Whether the call is connected as presented (action ALLOW)."""
        return self.action is CallAction.ALLOW

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``docs/spec/callerid.md`` (members in this order)."""
        return {
            "action": self.action.value,
            "rules": [f.to_dict() for f in self.rules],
            "ingress": self.ingress.value,
            "calling": self.calling,
            "called": self.called,
            "emergency": self.emergency,
            "plan_version": self.plan_version,
            "skipped": list(self.skipped),
        }


def _ingress(value: object) -> Ingress:
    if isinstance(value, Ingress):
        return value
    found = INGRESS_BY_VALUE.get(value) if isinstance(value, str) else None
    if found is None:
        names = ", ".join(INGRESS_BY_VALUE)
        raise ConfigurationError(
            f"ingress is one of {names}, not {value!r}", code="invalid_ingress"
        )
    return found


#: (no DNO list, no index) -> the rules skipped for lack of data.
_SKIPPED: Final = {
    (False, False): (),
    (True, False): ("dno_listed",),
    (False, True): ("blacklisted",),
    (True, True): ("dno_listed", "blacklisted"),
}
_PREFILTERS: dict[int, tuple[ProtectedList, frozenset[str], frozenset[str]]] = {}


def _prefilter(protected: ProtectedList) -> tuple[frozenset[str], frozenset[str]]:
    """The phone values of ``protected`` and its short codes of five or more digits.

    Kept for the last few tables (the table itself is kept with them, so its id
    is not reused while cached): check_call builds a checker per call.
    """
    cached = _PREFILTERS.get(id(protected))
    if cached is not None and cached[0] is protected:
        return cached[1], cached[2]
    values = frozenset(n.value for n in protected if n.kind.value == "phone")
    short = frozenset(
        v[4 : -len(_CONTEXT)]
        for v in values
        if v[:4] == "tel:" and v.endswith(_CONTEXT) and len(v) - 4 - len(_CONTEXT) >= 5
    )
    if len(_PREFILTERS) >= 8:
        _PREFILTERS.clear()
    _PREFILTERS[id(protected)] = (protected, values, short)
    return values, short


@functools.cache
def _default_protected() -> ProtectedList:
    return ProtectedList.load_default()


def _packaged_plan() -> NumberPlan:
    return _cn_plan.plan()


def _plan_kind(value: str, plan: NumberPlan) -> str | None:
    """The plan kind of a canonical +86 value (None: the plan has no allocated row)."""
    if value[:3] == "+86":
        row = plan.regular(value[3:])
    elif value[:4] == "tel:":
        row = plan.local(value[4 : -len(_CONTEXT)])
    else:
        return "foreign"
    if row is None or row[0] == "unknown":
        return None if row is None else "unknown"
    return row[0]


def _candidate(raw: str) -> str | None:
    """The +86 E.164 form cleaned input would have as a regular Chinese number, if any.

    Used only with a plan other than the packaged one, for input the packaged plan
    refuses as unallocated: a newer plan may allocate it.
    """
    try:
        text = phone.compact(raw)
    except ValidationError:
        return None
    if text[:3] == "+86" or text[:4] == "0086":
        digits = text[3:] if text[0] == "+" else text[4:]
        digits = digits[1:] if digits[:1] == "0" else digits
    elif text[:1] == "+" or text[:2] == "00":
        return None
    else:
        digits = text[1:] if text[:1] == "0" else text
    if digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 13:
        return "+86" + digits
    return None


def _canonical(raw: object, plan: NumberPlan, packaged: bool) -> tuple[str | None, str | None, str]:
    """(canonical value, plan kind, error code): one of value / error is None.

    Clean ``+86`` E.164 input is decided by two dictionary look-ups in ``plan``;
    anything else goes through :func:`antifraud_common.phone.validate`, and the
    result is re-decided by ``plan``.
    """
    if type(raw) is str and raw[:3] == "+86" and raw.isascii() and raw[1:].isdigit():
        row = plan.regular(raw[3:]) if raw[3:4] != "0" else None
        if row is not None and row[0] != "unknown":
            return raw, row[0], ""
    try:
        value = phone.validate(raw)
    except ValidationError as e:
        code = e.code
        if packaged or code not in _ERROR_RULE or type(raw) is not str:
            return None, None, code
        # A newer plan may allocate what the packaged plan refuses.
        candidate = _candidate(raw)
        kind = None if candidate is None else _plan_kind(candidate, plan)
        if candidate is None or kind is None or kind == "unknown":
            return None, None, "unknown_range" if kind == "unknown" else code
        return candidate, kind, ""
    kind = _plan_kind(value, plan)
    if kind is None or kind == "unknown":
        return None, None, "invalid_number" if kind is None else "unknown_range"
    return value, kind, ""


def _is_emergency(called: object, value: str | None) -> bool:
    if value is not None:
        return value in _EMERGENCY_VALUES
    if type(called) is not str:
        return False
    # Fail safe: an unparseable destination whose digits are an emergency number is
    # treated as one (a call is never blocked because its destination was messy).
    try:
        text = phone.compact(called)
    except ValidationError:
        return False
    for lead in ("+86", "0086", ""):
        if text.startswith(lead) and text[len(lead) :] in EMERGENCY_DIGITS:
            return True
    return False


def _listed_rule(result: Any) -> FiredRule | None:
    """The ``blacklisted`` rule for an index answer, or None when not listed."""
    if not result.listed:
        return None
    issuers = sorted({m.issuer for m in result.matches})
    listed = result.action.value
    action = CallAction.FLAG if listed == "watch" else CallAction.BLOCK
    return FiredRule(rule=_BLACKLISTED, action=action, detail=f"{listed} ({', '.join(issuers)})")


_BLACKLISTED: Final = RULES_BY_ID["blacklisted"]
_POSITION: Final = {rule_id: n for n, rule_id in enumerate(RULES_BY_ID)}


def with_rule(
    fired: list[FiredRule], rule: FiredRule, emergency: bool
) -> tuple[CallAction, list[FiredRule]]:
    """Insert ``rule`` at its table position; return the new action and the rules."""
    at = _POSITION[rule.rule.id]
    n = 0
    while n < len(fired) and _POSITION[fired[n].rule.id] < at:
        n += 1
    fired.insert(n, rule)
    return _verdict_action(fired, emergency), fired


def _typed(name: str, value: object, kinds: type | tuple[type, ...]) -> None:
    if value is not None and not isinstance(value, kinds):
        raise ConfigurationError(f"{name} has the wrong type", code="invalid_option")


class CallChecker:
    """The data check_call decides with, resolved once for many calls.

    ``check_call(calling, called, ingress=..., **facts, **data)`` is
    ``CallChecker(**data).check(calling, called, ingress=..., **facts)``; build
    one checker to screen many calls (see :func:`check_call` for the arguments).

    >>> checker = CallChecker(dno={"+8613800138000"})
    >>> checker.check("+8613800138000", "+8613900139000", ingress="interconnect").rule_ids
    ('dno_listed',)
    """

    __slots__ = (
        "_called",
        "_calling",
        "_dno",
        "_index",
        "_now",
        "_packaged",
        "_plan",
        "_presenters",
        "_protected",
        "_protected_short",
        "_protected_values",
        "_skipped",
    )

    def __init__(
        self,
        *,
        plan: NumberPlan | None = None,
        protected: ProtectedList | None = None,
        presenters: Mapping[str, Collection[str]] | None = None,
        dno: Container[str] | None = None,
        index: _Lookup | None = None,
        now: datetime | None = None,
    ) -> None:
        _typed("protected", protected, ProtectedList)
        _typed("presenters", presenters, Mapping)
        _typed("dno", dno, Container)
        if now is not None:
            now = aware_utc(now)
        if index is not None and not callable(getattr(index, "check_key", None)):
            raise ConfigurationError("index needs a check_key method", code="invalid_option")
        packaged = _cn_plan.plan()
        if isinstance(plan, numberplan.NumberPlan):
            plan = plan.table  # a held signed plan, or the packaged one (kept on its fast path)
        self._plan: NumberPlan = packaged if plan is None else plan
        self._packaged = self._plan is packaged
        self._protected = _default_protected() if protected is None else protected
        self._presenters = presenters
        self._dno = dno
        self._index = index
        self._now = now
        self._protected_values, self._protected_short = _prefilter(self._protected)
        self._calling: dict[str, _CallingInfo] = {}
        self._called: dict[str, tuple[str | None, bool]] = {}
        self._skipped = _SKIPPED[dno is None, index is None]

    @property
    def plan_version(self) -> int:
        """The version of the number plan this checker decides with."""
        return self._plan.version

    def check(
        self,
        calling: object,
        called: object,
        *,
        ingress: Ingress | str,
        trunk_id: str | None = None,
        authenticated: bool | None = None,
        roaming: bool = False,
        ranges: CallerRanges | Iterable[str] | None = None,
    ) -> CallVerdict:
        """The verdict on one call (see :func:`check_call`)."""
        where = _ingress(ingress)
        if ranges is not None and not isinstance(ranges, CallerRanges):
            ranges = CallerRanges.of(ranges)
        action, fired, value, called_value, emergency, skipped = self._decide(
            calling, called, where, trunk_id, authenticated, roaming, ranges
        )
        return CallVerdict(
            action=action,
            rules=tuple(fired),
            ingress=where,
            calling=value,
            called=called_value,
            emergency=emergency,
            plan_version=self._plan.version,
            skipped=skipped,
        )

    def _decide(  # noqa: PLR0917 - the bulk screening's inner call: positional is faster
        self,
        calling: object,
        called: object,
        where: Ingress,
        trunk_id: str | None,
        authenticated: bool | None,
        roaming: bool,
        ranges: CallerRanges | None,
        probe: bool = True,
    ) -> tuple[CallAction, list[FiredRule], str | None, str | None, bool, tuple[str, ...]]:
        """(action, fired rules, calling value, called value, emergency, skipped).

        ``probe=False`` leaves the blacklist to the caller (:meth:`_listed_many`).
        """
        fired: list[FiredRule] = []
        skipped: tuple[str, ...] = ()
        # Both numbers' facts depend only on their text: decided once per distinct cell.
        info = self._calling.get(calling) if type(calling) is str else None
        if info is None:
            info = self._calling_info(calling)
        value, kind, error, hit, international_form = info
        called_info = self._called.get(called) if type(called) is str else None
        if called_info is None:
            called_info = self._called_info(called)
        called_value, emergency = called_info
        if value is None:
            _fire(fired, _ERROR_RULE.get(error, "cli_malformed"), error)
        else:
            skipped = self._skipped
            if kind == "iot":
                _fire(fired, "cli_not_dialable", "iot")
            if (
                where is _INTERNATIONAL
                and kind != "foreign"
                and not (roaming and kind in _MOBILE_KINDS)
            ):
                _fire(fired, "international_domestic_cli", kind or "")
            rule_id = _KIND_RULE.get(kind or "")
            if rule_id is not None and rule_id != "cli_not_dialable":
                _fire(fired, rule_id, kind or "")
            if hit is not None and not self._may_present(hit.value, value, trunk_id, authenticated):
                _fire(fired, "protected_unauthorised", f"{hit.category.value}: {hit.name}")
            if self._dno is not None and value in self._dno:
                _fire(fired, "dno_listed")
            if probe and self._index is not None:
                listed = _listed_rule(self._index.check_key("phone", value, now=self._now))
                if listed is not None:
                    fired.append(listed)
            # Identity, not set membership: an enum's hash is a Python-level call.
            if where is _PRIVATE_LINE or where is _VOIP:
                skipped = _trunk_rules(fired, skipped, value, ranges, authenticated)
            if where is not _SUBSCRIBER and value == called_value:
                _fire(fired, "cli_equals_called")
            if international_form:
                _fire(fired, "cli_international_short_code")
        action = _verdict_action(fired, emergency) if fired else _ALLOW
        return action, fired, value, called_value, emergency, skipped

    def _listed_many(self, values: list[str]) -> dict[int, FiredRule]:
        """The ``blacklisted`` rule of each listed value, by position (one bulk probe)."""
        index = self._index
        out: dict[int, FiredRule] = {}
        if index is None:
            return out
        probe = getattr(index, "probe_keys", None)
        keys: list[int] = []
        where: list[int] = []
        for n, value in enumerate(values):
            if probe is not None and value[:1] == "+":
                keys.append(int(value))
                where.append(n)
            else:
                hit = _listed_rule(index.check_key("phone", value, now=self._now))
                if hit is not None:
                    out[n] = hit
        if keys and probe is not None:
            for pos, result in probe("phone", keys, now=self._now):
                hit = _listed_rule(result)
                if hit is not None:
                    out[where[pos]] = hit
        return out

    def _calling_info(self, calling: object) -> _CallingInfo:
        value, kind, error = _canonical(calling, self._plan, self._packaged)
        hit = None
        if value is not None and self._may_be_protected(value):
            hit = self._protected.match("phone", value)
        international = (
            value is not None and value[:4] == "tel:" and _written_international(calling)
        )
        info = (value, kind, error, hit, international)
        if type(calling) is str:
            if len(self._calling) >= _CACHE_LIMIT:
                _evict(self._calling)
            self._calling[calling] = info
        return info

    def _may_be_protected(self, value: str) -> bool:
        """A necessary condition for ``protected.match``: the value itself, or an area
        code followed by a protected short code of five or more digits (the one
        widening of docs/spec/protected-numbers.md). Cheaper than the match."""
        if value in self._protected_values:
            return True
        if value[:3] != "+86":
            return False
        short = self._protected_short
        return value[5:] in short or value[6:] in short

    def _called_info(self, called: object) -> tuple[str | None, bool]:
        called_value: str | None
        try:
            called_value = phone.validate(called)
        except ValidationError:
            called_value = None
        info = (called_value, _is_emergency(called, called_value))
        if type(called) is str:
            if len(self._called) >= _CACHE_LIMIT:
                _evict(self._called)
            self._called[called] = info
        return info

    def _may_present(
        self, protected_value: str, value: str, trunk_id: str | None, authenticated: bool | None
    ) -> bool:
        presenters = self._presenters
        if presenters is None or trunk_id is None or authenticated is False:
            return False
        for key in (protected_value, value):
            allowed = presenters.get(key)
            if allowed is not None and trunk_id in allowed:
                return True
        return False


def _trunk_rules(
    fired: list[FiredRule],
    skipped: tuple[str, ...],
    value: str,
    ranges: CallerRanges | None,
    authenticated: bool | None,
) -> tuple[str, ...]:
    """The rules of a call arriving on a trunk; the rules skipped for want of ranges."""
    if ranges is None:
        skipped = (*skipped, "range_unauthorised")
    elif not ranges.covers(value):
        _fire(fired, "range_unauthorised")
    if authenticated is False:
        _fire(fired, "trunk_unauthenticated")
    return skipped


def _verdict_action(fired: list[FiredRule], emergency: bool) -> CallAction:
    """The strongest action of the rules fired; a call to an emergency number is never blocked."""
    action = CallAction.ALLOW
    for f in fired:
        if f.action.rank > action.rank:
            action = f.action
    if emergency and action.rank > CallAction.FLAG.rank:
        action = CallAction.FLAG
    return action


def _evict(cache: dict[str, Any]) -> None:
    """Drop the oldest quarter of a full cache (insertion order), keeping the rest.

    Clearing it whole would make every frequent number pay its decision again.
    """
    for key in list(itertools.islice(cache, len(cache) // 4)):
        del cache[key]


def _written_international(raw: object) -> bool:
    """Whether a number that is a short code was written after +86 / 0086."""
    try:
        text = phone.compact(raw)
    except ValidationError:  # pragma: no cover - it was valid a moment ago
        return False
    return text[:3] == "+86" or text[:4] == "0086"


def _fire(
    fired: list[FiredRule], rule_id: str, detail: str = "", action: CallAction | None = None
) -> None:
    rule = RULES_BY_ID[rule_id]
    fired.append(
        FiredRule(rule=rule, action=rule.action if action is None else action, detail=detail)
    )


def check_call(
    calling: object,
    called: object,
    *,
    ingress: Ingress | str,
    now: datetime | None = None,
    trunk_id: str | None = None,
    authenticated: bool | None = None,
    roaming: bool = False,
    ranges: CallerRanges | Iterable[str] | None = None,
    plan: NumberPlan | None = None,
    protected: ProtectedList | None = None,
    presenters: Mapping[str, Collection[str]] | None = None,
    dno: Container[str] | None = None,
    index: _Lookup | None = None,
) -> CallVerdict:
    """Decide what a gateway does with a call presenting ``calling`` to ``called``.

    ``ingress`` is where the call entered (:class:`Ingress` or its value). The
    facts the gateway knows: ``trunk_id`` (the trunk or operator the call came
    from), ``authenticated`` (False: the trunk did not authenticate the calling
    party; None: not known), ``roaming`` (the international gateway reports the
    caller as a domestic mobile roaming abroad), ``ranges`` (the numbers a
    private line / VoIP trunk may present, see :class:`CallerRanges`).

    The data: ``plan`` (default: the packaged +86 plan; anything with
    ``version``, ``regular`` and ``local``, see :class:`NumberPlan`),
    ``protected`` (default: the packaged protected-numbers table),
    ``presenters`` (protected value -> ids of the trunks authorised to present
    it; None: no trunk is), ``dno`` (canonical values on a Do-Not-Originate
    list), ``index`` (an :class:`~antifraud_common.index.Index` or
    :class:`~antifraud_common.index.StateIndex`; ``now``, default the clock,
    decides which entries are in force). Rules whose data is missing (no
    ``dno``, ``index`` or ``ranges``) are listed in ``skipped``. A bad option
    raises :class:`~antifraud_common.errors.ConfigurationError`; a bad number
    never raises, it fires a rule.

    >>> v = check_call("+8613800138000", "+8613900139000", ingress="international")
    >>> v.action.value, v.rule_ids
    ('block', ('international_domestic_cli',))
    >>> check_call("+8613800138000", "+8613900139000", ingress="international",
    ...            roaming=True).action.value
    'allow'
    >>> v = check_call("4001234567", "110", ingress="interconnect")
    >>> v.rule_ids, v.action.value, v.emergency
    (('cli_inbound_only',), 'flag', True)
    """
    checker = CallChecker(
        plan=plan, protected=protected, presenters=presenters, dno=dno, index=index, now=now
    )
    return checker.check(
        calling,
        called,
        ingress=ingress,
        trunk_id=trunk_id,
        authenticated=authenticated,
        roaming=roaming,
        ranges=ranges,
    )
