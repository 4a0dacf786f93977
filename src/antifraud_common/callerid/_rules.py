"""The caller-ID rule table (private; exported by :mod:`antifraud_common.callerid`).

Each rule has a stable id, the action it asks for, and where it comes from: a
regulation or a documented practice, with the reference. ``docs/callerid.md``
prints this table; ``tests/test_callerid.py`` checks the two agree.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs

__all__ = ["RULES", "CallAction", "Rule", "RuleSource"]


class CallAction(enum.Enum):
    """What a gateway does with a call, weakest first.

    ``ALLOW`` connects it as presented; ``FLAG`` connects it and marks it for
    review (or for a warning to the called party); ``WITHHOLD`` connects it without
    presenting the caller ID; ``BLOCK`` refuses it.
    """

    ALLOW = "allow"
    FLAG = "flag"
    WITHHOLD = "withhold"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        """Precedence: BLOCK 3 > WITHHOLD 2 > FLAG 1 > ALLOW 0."""
        return _RANK[self]


_RANK: Final = {
    CallAction.ALLOW: 0,
    CallAction.FLAG: 1,
    CallAction.WITHHOLD: 2,
    CallAction.BLOCK: 3,
}


class RuleSource(enum.Enum):
    """Whether a rule is required by a regulation or follows a documented practice."""

    REGULATION = "regulation"
    PRACTICE = "practice"


@attrs.frozen(kw_only=True)
class Rule:
    """One caller-ID rule: stable ``id``, default ``action``, what it checks, its source."""

    id: str
    action: CallAction
    summary: str
    source: RuleSource
    reference: str


def _rule(id: str, action: CallAction, source: RuleSource, summary: str, reference: str) -> Rule:
    return Rule(id=id, action=action, summary=summary, source=source, reference=reference)


_B, _W, _F = CallAction.BLOCK, CallAction.WITHHOLD, CallAction.FLAG
_REG, _PRA = RuleSource.REGULATION, RuleSource.PRACTICE

#: Every rule, in the order they are evaluated and reported.
RULES: Final[tuple[Rule, ...]] = (
    _rule(
        "cli_malformed",
        _B,
        _REG,
        "the caller ID is not a phone number (letters, no digits, bad length, bad tel: URI)",
        "FCC 17-151 (invalid numbers); Ofcom GC C6 (invalid CLI); India DoT (malformed CLI)",
    ),
    _rule(
        "cli_unallocated",
        _B,
        _REG,
        "the caller ID is in no allocated block of the number plan (or its country code "
        "is unassigned)",
        "FCC 17-151 (unallocated numbers); Ofcom GC C6 (number-allocation data)",
    ),
    _rule(
        "cli_reserved_range",
        _B,
        _REG,
        "the caller ID is in a reserved range, or one the deciding plan version does not "
        "know as allocated",
        "FCC 17-151 (unallocated and unused numbers); MIIT network-code table (March 2023)",
    ),
    _rule(
        "cli_not_dialable",
        _W,
        _REG,
        "the caller ID is a machine-communication (IoT) number, which cannot be called back",
        "Ofcom GC C6 (CLI must be dialable); zh.wikipedia 中国内地移动终端通讯号段 (2024)",
    ),
    _rule(
        "international_domestic_cli",
        _B,
        _REG,
        "a +86 caller ID on a call that entered through an international gateway (except a "
        "domestic mobile the gateway reports as roaming abroad)",
        "Anti-Telecom and Online Fraud Law (2022): international calls keep the international "
        "prefix, gateways intercept false caller IDs; Ofcom GC C6 and its January 2025 "
        "guidance (roaming exception); India DoT international spoof-blocking (October 2024)",
    ),
    _rule(
        "cli_inbound_only",
        _B,
        _REG,
        "the caller ID is a 400 or 800 service number, which only receives calls",
        "FCC 17-151 (inbound-only numbers on the Do-Not-Originate list); Ofcom GC C6 "
        "(Do-Not-Originate list)",
    ),
    _rule(
        "cli_sms_port",
        _B,
        _PRA,
        "the caller ID is a 106 SMS port, which sends messages and never originates calls",
        "docs/phone.md (106 SMS ports); the Do-Not-Originate practice of FCC 17-151 and "
        "Ofcom GC C6",
    ),
    _rule(
        "cli_emergency_number",
        _B,
        _PRA,
        "the caller ID is an emergency number (110, 119, 120, 122), which never originates "
        "calls through a gateway",
        "docs/spec/protected-numbers.md; the Do-Not-Originate practice of FCC 17-151 and "
        "Ofcom GC C6",
    ),
    _rule(
        "protected_unauthorised",
        _B,
        _REG,
        "a protected number (96110 warning calls, 95xxx bank lines, 12xxx government lines "
        "...) presented from a trunk not authorised to present it",
        "Anti-Telecom and Online Fraud Law (2022): carriers intercept false caller IDs; "
        "docs/spec/protected-numbers.md",
    ),
    _rule(
        "dno_listed",
        _B,
        _REG,
        "the caller ID is on a Do-Not-Originate list",
        "FCC 17-151 (83 FR 1566); FCC gateway DNO blocking (since 19 December 2022) and its "
        "2025 extension to all providers; Ofcom GC C6",
    ),
    _rule(
        "blacklisted",
        _B,
        _REG,
        "the caller ID is listed on a blacklist the receiver accepted (a watch entry flags)",
        "Anti-Telecom and Online Fraud Law (2022), the shared fraud-number lists",
    ),
    _rule(
        "range_unauthorised",
        _B,
        _REG,
        "a private line or VoIP trunk presents a number outside the ranges it is authorised for",
        "MIIT 2016 opinions: private lines must authenticate the calling party; Ofcom GC C6",
    ),
    _rule(
        "trunk_unauthenticated",
        _B,
        _REG,
        "a private line or VoIP trunk that did not authenticate the calling party",
        "MIIT 2016 opinions: private lines must authenticate the calling party",
    ),
    _rule(
        "cli_equals_called",
        _W,
        _PRA,
        "the caller ID is the called number (a call that did not start at the subscriber's "
        "own line)",
        "Ofcom GC C6 (CLI must identify the caller); documented spoofing pattern",
    ),
    _rule(
        "cli_international_short_code",
        _F,
        _PRA,
        "a short code, emergency number or SMS port written in international form "
        "(+86 95588): no real service line presents that",
        "docs/phone.md (international_short_code)",
    ),
)

#: Rule id -> rule.
RULES_BY_ID: Final = {r.id: r for r in RULES}
