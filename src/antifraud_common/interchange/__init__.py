"""Blacklist entries in the formats threat-intelligence tools and spreadsheets already read.

* :mod:`~antifraud_common.interchange.stix`: STIX 2.1 bundles (indicators with
  TLP 2.0 markings and the issuer as an identity);
* :mod:`~antifraud_common.interchange.misp`: MISP feeds (``manifest.json`` and
  one event per list) and the protected numbers as a MISP warninglist;
* :mod:`~antifraud_common.interchange.xlsx`: Excel workbooks with text-typed
  cells (needs the ``xlsx`` extra, openpyxl).

The library writes STIX and MISP JSON itself; no third-party library is needed
at run time. Every import returns an :class:`ImportResult`: the good entries and
one :class:`RecordError` per bad record (its 1-based position, a stable code,
the field), never dropping a record silently.
"""

from __future__ import annotations

from antifraud_common.interchange._records import (
    ImportResult,
    InterchangeFormatError,
    RecordError,
)

__all__ = ["ImportResult", "InterchangeFormatError", "RecordError"]
