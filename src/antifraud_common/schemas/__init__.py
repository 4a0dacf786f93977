"""JSON Schemas (draft 2020-12) of the blacklist file format, version 1.

The schemas describe the shape of every JSON document the format defines, for
implementations in other languages and for tooling. They are shipped inside the
package; a given ``$id`` is never edited after release (a change means a new
version). Runtime validation in this library is done by the attrs models, which
are stricter (canonical identifier values, validity windows, sorted lists); the
test suite checks that the two agree on the shapes the schemas cover.

>>> sorted(names())[:6]
['case-message', 'delta-op', 'dno-record', 'entry', 'manifest', 'plan-range']
>>> load("manifest")["$id"]
'urn:antifraud-common:schema:manifest:1'
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from antifraud_common.errors import ConfigurationError

__all__ = ["load", "names"]

_NAMES = (
    "entry",
    "manifest",
    "trust-bundle",
    "delta-op",
    "pseudonymised-entry",
    "case-message",
    "plan-range",
    "dno-record",
    "presenter-record",
    "reference-delta-op",
)


def names() -> tuple[str, ...]:
    """Return the names of the shipped schemas."""
    return _NAMES


@cache
def _text(name: str) -> str:
    return (resources.files(__package__) / f"{name}-v1.schema.json").read_text(encoding="utf-8")


def load(name: str) -> dict[str, Any]:
    """Return a fresh copy of the schema ``name`` (one of :func:`names`)."""
    if name not in _NAMES:
        raise ConfigurationError(
            f"unknown schema {name!r}; one of: {', '.join(_NAMES)}", code="unknown_schema"
        )
    doc: dict[str, Any] = json.loads(_text(name))
    return doc
