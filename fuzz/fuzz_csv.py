"""Fuzz CSV import (and the export -> import round trip of what it accepts).

Properties: only typed errors escape ``import_csv``; every entry it returns
survives ``export_csv`` then ``import_csv`` unchanged (formula escaping is
reversible), and no exported cell starts with a formula character.
"""

from __future__ import annotations

import csv
import io
import sys

import _harness

with _harness.instrumented(__name__ == "__main__"):
    from antifraud_common.errors import AntifraudError
    from antifraud_common.format.csvio import export_csv, import_csv

_HEADER = "kind,value,reason,action,source,case_ref,confidence,tlp,listed_at,valid_from\r\n"


def seeds() -> list[bytes]:
    rows = [
        "phone,138 0013 8000,telecom_fraud,block,mps,A-1,90,amber,2026-01-01,2026-01-01",
        "phone,+8613800138001,telecom_fraud,block,mps,=HYPERLINK(1),90,amber,2026-01-01,2026-01-01",
        "bank_card,6222021234567890128,mule_account,hold,cbank,'@x,50,red,2026-01-01,2026-01-01",
        'phone,"13800138002",telecom_fraud,watch,mps,"a,""b""",1,clear,2026-01-01,2026-01-01',
    ]
    return [(_HEADER + r + "\r\n").encode() for r in rows] + [
        b"\xef\xbb\xbf" + _HEADER.encode(),
        b"",
    ]


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    try:
        result = import_csv(io.StringIO(text, newline=""), max_rows=200)
    except AntifraudError:
        return
    if not result.entries:
        return
    out = io.StringIO(newline="")
    export_csv(result.entries, out, bom=False)
    for row in csv.reader(io.StringIO(out.getvalue(), newline="")):
        for cell in row:
            assert not cell[:1] or cell[0] not in "=+-@\t\r", cell
    again = import_csv(io.StringIO(out.getvalue(), newline=""))
    assert not again.errors, again.errors
    assert list(again.entries) == list(result.entries)


if __name__ == "__main__":
    _harness.main(sys.modules[__name__])
