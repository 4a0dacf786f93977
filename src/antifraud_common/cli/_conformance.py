"""``antifraud conformance``: the suite's own command line, registered here.

It lives in :mod:`antifraud_common.conformance.command`, below the CLI, so that
``python -m antifraud_common.conformance`` runs it without importing the CLI.
"""

from __future__ import annotations

from antifraud_common.conformance.command import main, register

__all__ = ["main", "register"]
