"""The conformance suite: language-neutral test cases and a runner for any implementation.

The suite checks that an implementation of the signed blacklist format (in any
language) reaches the same verdicts and error codes as the specification, in
the spirit of the TUF conformance suite, NIST PKITS and the RFC 8785 vectors.
Cases are JSON files shipped in this package (:data:`CASES_DIR`), one per
family (``signature``, ``trust-rotation``, ``jcs`` ...); each gives input files
(base64), a fixed time ``now``, optional receiver state, and the expected verdict
and error code. The implementation under test is driven through a small
command-line protocol described in ``docs/conformance.md``; this library's own
adapter is :mod:`antifraud_common.conformance.impl`.

>>> cases = load_cases(families=["jcs"])
>>> len(cases) > 40, cases[0].family, cases[0].command
(True, 'jcs', 'canonicalize')
>>> sorted(c.id for c in cases if c.id.endswith("-weird"))
['jcs/rfc8785-weird']
"""

from __future__ import annotations

from antifraud_common.conformance.runner import (
    CASES_DIR,
    Case,
    CaseResult,
    Outcome,
    SuiteResult,
    build_argv,
    load_cases,
    load_xfails,
    run_suite,
)

__all__ = [
    "CASES_DIR",
    "Case",
    "CaseResult",
    "Outcome",
    "SuiteResult",
    "build_argv",
    "load_cases",
    "load_xfails",
    "run_suite",
]
