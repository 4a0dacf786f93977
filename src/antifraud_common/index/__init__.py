"""Merged multi-issuer blacklist index: instant lookups and bulk screening.

An :class:`Index` holds the entries of every loaded list (many issuers, many
lists) in compact sorted arrays of 64-bit keys with a parallel provenance
structure, and answers "is this identifier listed, by whom, and what must I
do?". The design, memory layout, precedence rules and measured numbers are in
``docs/index-and-screening.md``.

* Raw input is validated first (``138 0013 8000``, ``+86 13800138000`` and
  full-width digits all find the same entry); an invalid input is reported as
  invalid, never as "not listed".
* Every matching entry is returned; ``action`` is the strongest of them:
  FREEZE > HOLD > BLOCK > WATCH (:attr:`antifraud_common.models.Action.severity`).
* Entries outside their validity window or from an expired list do not match;
  they are listed in ``ignored`` with the reason.
* Updates of one list (:meth:`Index.apply_changes`, :meth:`Index.replace_list`) go
  to a small overlay; nothing is rebuilt from scratch. :meth:`Index.save` and
  :meth:`Index.open` give a checked, memory-mapped file.
* :class:`StateIndex` holds every list a receiver state accepted and follows each
  accepted snapshot or delta (only the changed keys are touched), saved beside
  the state as ``index.afi``.
* :func:`antifraud_common.index.screen.screen` screens CSV / JSON Lines records.
* :class:`antifraud_common.index.pseudonym.PseudonymIndex` answers the same
  questions against pseudonymised (keyed-hash) lists.

>>> from datetime import datetime, UTC
>>> from antifraud_common.models import Entry
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> e = Entry(kind="phone", value="+8613800138000", reason="telecom_fraud", action="block",
...           source="mps", case_ref="A-1", confidence=90, tlp="amber", listed_at=t,
...           valid_from=t)
>>> index = Index.build([("mps", "fraud-phones", None, e)])
>>> r = index.check("138 0013 8000", now=datetime(2026, 6, 1, tzinfo=UTC))
>>> r.listed, r.action.value, r.matches[0].issuer
(True, 'block', 'mps')
>>> index.check("138 0013 800", kind="phone").error
'invalid_number'
>>> index.check_key("phone", "+8613800138001").listed
False
"""

from __future__ import annotations

from antifraud_common.index._core import INDEX_FORMAT_VERSION, Index
from antifraud_common.index._results import (
    CheckResult,
    Ignored,
    IgnoreReason,
    IndexRecord,
    Match,
)
from antifraud_common.index._state import INDEX_FILE, StateIndex
from antifraud_common.kinds import AUTO_ORDER

__all__ = [
    "AUTO_ORDER",
    "INDEX_FILE",
    "INDEX_FORMAT_VERSION",
    "CheckResult",
    "IgnoreReason",
    "Ignored",
    "Index",
    "IndexRecord",
    "Match",
    "StateIndex",
]
