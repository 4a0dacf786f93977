"""Caller-ID spoofing checks for carriers' call gateways.

:func:`check_call` decides what a gateway does with one call -- allow it, flag
it, connect it without its caller ID, or block it -- from the caller ID it
presents, the number it calls, where it entered the network (:class:`Ingress`)
and what the gateway knows about the trunk. Every rule that fires is reported
with its stable id, its action and its source (a regulation or a documented
practice); the call's action is the strongest of them, and a call to an
emergency number (110, 119, 120, 122) is never blocked. The rules, their
sources and the precedence are in ``docs/callerid.md``; the verdict's JSON
shape, for other languages, in ``docs/spec/callerid.md``.

The data a verdict depends on comes in through small typed inputs: ``plan``
(the +86 number plan, default the packaged one), ``protected`` and
``presenters`` (the protected numbers and the trunks that may present them),
``dno`` (a Do-Not-Originate list) and ``index`` (the blacklists a receiver
accepted). Build a :class:`CallChecker` once to check many calls;
:func:`antifraud_common.callerid.screen.screen_calls` screens files of call
records.

>>> v = check_call("+86 95588", "+8613800138000", ingress="interconnect", trunk_id="t9")
>>> v.action.value, v.rule_ids
('block', ('protected_unauthorised', 'cli_international_short_code'))
>>> v.rules[0].rule.source.value, v.calling
('regulation', 'tel:95588;phone-context=+86')
>>> check_call("+8613800138000", "+8613800138000", ingress="interconnect").action.value
'withhold'
"""

from __future__ import annotations

from antifraud_common.callerid._check import (
    EMERGENCY_DIGITS,
    CallChecker,
    CallerRanges,
    CallVerdict,
    FiredRule,
    Ingress,
    NumberPlan,
    check_call,
)
from antifraud_common.callerid._rules import RULES, RULES_BY_ID, CallAction, Rule, RuleSource

__all__ = [
    "EMERGENCY_DIGITS",
    "RULES",
    "RULES_BY_ID",
    "CallAction",
    "CallChecker",
    "CallVerdict",
    "CallerRanges",
    "FiredRule",
    "Ingress",
    "NumberPlan",
    "Rule",
    "RuleSource",
    "check_call",
]
