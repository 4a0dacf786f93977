"""Suite-wide guard: no full card number and no private key material in any output.

Every test's captured stdout, stderr and log records are scanned. A Luhn-valid
number in a payment-card IIN range (UnionPay 62, Visa 4, Mastercard 51-55 and
2221-2720, Amex 34/37) of 13-19 digits, a PEM private key block or a JWK private
member ``"d"`` in any of them fails the run at the end, naming the test. Tests that
must show such material on purpose (none today) would have to say so explicitly.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from stdnum import luhn

_CARD = re.compile(r"(?<![\d*])(?:62|4|5[1-5]|2[2-7]|3[47])\d{11,17}(?!\d)")
_PRIVATE = re.compile(r"PRIVATE KEY-----|\"d\"\s*:\s*\"[A-Za-z0-9_-]{20,}")
_leaks: list[str] = []


def find_leaks(text: str) -> list[str]:
    """Return the suspicious pieces of ``text`` (masked, so this report leaks nothing)."""
    found = []
    for m in _CARD.finditer(text):
        digits = m.group(0)
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            found.append(f"card {digits[:6]}...{digits[-4:]}")
    found += [f"private key material ({m.group(0)[:16]}...)" for m in _PRIVATE.finditer(text)]
    return found


@pytest.fixture
def leak_finder() -> Any:
    """The scanner the guard uses, for tests that check outputs directly."""
    return find_leaks


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, content in report.sections:
        if not name.startswith("Captured"):
            continue
        for leak in find_leaks(content):
            _leaks.append(f"{report.nodeid} [{name}]: {leak}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: Any) -> None:
    if _leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = ["secret-leak guard: full card numbers or private keys in test output:"]
        lines += [f"  {leak}" for leak in sorted(set(_leaks))[:50]]
        if reporter is not None:
            reporter.write_line("\n".join(lines), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
