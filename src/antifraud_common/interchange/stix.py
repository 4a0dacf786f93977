"""STIX 2.1 export and import of blacklist entries.

Each entry becomes one STIX 2.1 ``indicator``:

* ``pattern`` ``[x-antifraud-<kind>:value = '<canonical value>']`` (``pattern_type``
  ``stix``); STIX 2.1 has no cyber-observable type for phone numbers, cards or
  bank accounts, so the object types are custom ones named after the
  identifier kind (``x-antifraud-phone``, ``x-antifraud-bank-card``,
  ``x-antifraud-bank-account``, ``x-antifraud-payment-account``,
  ``x-antifraud-iccid``, ``x-antifraud-imei``);
* ``valid_from`` / ``valid_until``: the listing's validity window;
  ``created`` / ``modified``: ``listed_at``; ``confidence``: the entry's
  confidence (both are 0-100);
* ``created_by_ref``: an ``identity`` (``identity_class`` ``organization``,
  ``name`` the issuing agency id) included in the bundle;
* ``object_marking_refs``: the TLP 2.0 ``marking-definition`` of the entry's
  ``tlp`` (the OASIS common objects: TLP:CLEAR, GREEN, AMBER, RED), included
  in the bundle;
* ``extensions``: a property extension (its ``extension-definition`` is in
  the bundle, :data:`EXTENSION_ID`) holding ``kind``, ``value``, ``reason``,
  ``action`` and ``case_ref``, so an import gives back the same entries.
  A case reference that starts with ``=``, ``+``, ``-``, ``@``, TAB, CR or
  ``'`` is written with one leading ``'``, as in CSV; import removes one
  leading ``'`` and refuses such text without it (``formula_injection``).

Identifiers are derived from the content (version-4 layout, as STIX asks), so
the same entries always give the same bundle.

Card numbers: a STIX export holds full card numbers, in the pattern and the
extension. They are the data being shared; a masked card cannot be matched by
the receiver. Handle the file under the entries' TLP marking (it is written
readable by its owner only). Error messages and record errors show cards
masked (first 6, last 4).

Import reads indicators only (other objects are context and are counted in
:attr:`ImportResult.ignored <antifraud_common.interchange.ImportResult>`);
each indicator is one record, numbered by its position in ``objects``. An
indicator without the extension (one made by another tool) takes ``reason``,
``action`` and ``case_ref`` from ``defaults``; its issuer comes from the
referenced identity's name, its TLP from its markings (TLP 1.0 and 2.0
definitions are both understood; TLP:AMBER+STRICT, which this format cannot
express, is refused as ``unsupported_tlp``).

>>> from datetime import datetime, UTC
>>> from antifraud_common.models import Entry
>>> e = Entry.from_raw(kind="phone", value="138 0013 8000", reason="telecom_fraud",
...     action="block", source="mps", case_ref="A-1", confidence=90, tlp="amber",
...     listed_at=datetime(2026, 1, 1, tzinfo=UTC), valid_from=datetime(2026, 1, 1, tzinfo=UTC))
>>> bundle = export_bundle([e])
>>> [o["type"] for o in bundle["objects"]]
['identity', 'marking-definition', 'extension-definition', 'indicator']
>>> bundle["objects"][3]["pattern"]
"[x-antifraud-phone:value = '+8613800138000']"
>>> import_bundle(bundle).entries == (e,)
True
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from antifraud_common._files import read_input, write_output
from antifraud_common.interchange._records import (
    Collector,
    ImportResult,
    InterchangeFormatError,
    RecordRefusedError,
    complete_fields,
    escape_text,
    get_str,
    loads_json,
    parse_utc_time,
    refuse_formula,
    stable_uuid4,
)
from antifraud_common.models import (
    TLP,
    Entry,
    IdentifierKind,
    format_timestamp,
)

__all__ = [
    "EXTENSION_ID",
    "MAX_BUNDLE_BYTES",
    "TLP_MARKING_IDS",
    "export_bundle",
    "export_stix",
    "import_bundle",
    "import_stix",
]

#: The extension-definition that carries the listing fields on each indicator.
EXTENSION_ID: Final = "extension-definition--" + stable_uuid4("antifraud_common", "stix", "1")
#: Largest bundle :func:`import_stix` reads.
MAX_BUNDLE_BYTES: Final = 256 * 1024 * 1024

#: TLP 2.0 marking-definition ids (OASIS cti-stix-common-objects, TLP 2.0 extension).
TLP_MARKING_IDS: Final = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP2_EXTENSION: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
_AMBER_STRICT: Final = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
# TLP 1.0 ids, as the STIX 2.1 specification defines them (WHITE is CLEAR in TLP 2.0).
_TLP1_IDS: Final = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
_TLP_BY_ID: Final = {**{v: k for k, v in TLP_MARKING_IDS.items()}, **_TLP1_IDS}
_TLP_ORDER: Final = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED)
_TLP_CREATED: Final = "2022-10-01T00:00:00.000Z"

_OBJECT_TYPES: Final = {k: "x-antifraud-" + k.value.replace("_", "-") for k in IdentifierKind}
_KIND_BY_TYPE: Final = {v: k for k, v in _OBJECT_TYPES.items()}
_PATTERN_RE: Final = re.compile(
    r"\[\s*(x-antifraud-[a-z-]+):value\s*=\s*'((?:[^'\\]|\\['\\])*)'\s*\]", re.ASCII
)
_TS_RE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z", re.ASCII
)
_CONTEXT_TYPES: Final = frozenset({"identity", "marking-definition", "extension-definition"})


def _stix_time(value: datetime) -> str:
    # created/modified are precise to the millisecond in STIX 2.1.
    return format_timestamp(value)[:-1] + ".000Z"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _identity_id(source: str) -> str:
    return "identity--" + stable_uuid4("antifraud_common", "identity", source)


def _tlp_marking(tlp: TLP) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKING_IDS[tlp],
        "created": _TLP_CREATED,
        "name": f"TLP:{tlp.value.upper()}",
        "extensions": {
            _TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value}
        },
    }


def _indicator(entry: Entry) -> dict[str, Any]:
    created = _stix_time(entry.listed_at)
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--"
        + stable_uuid4("antifraud_common", "indicator", entry.source, *entry.key),
        "created": created,
        "modified": created,
        "created_by_ref": _identity_id(entry.source),
        "name": f"{entry.reason.value} {entry.kind.value}",
        "description": f"listed by {entry.source}: {entry.action.value} ({entry.reason.value})",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[{_OBJECT_TYPES[entry.kind]}:value = '{_quote(entry.value)}']",
        "pattern_type": "stix",
        "valid_from": format_timestamp(entry.valid_from),
        "confidence": entry.confidence,
        "object_marking_refs": [TLP_MARKING_IDS[entry.tlp]],
        "extensions": {
            EXTENSION_ID: {
                "extension_type": "property-extension",
                "kind": entry.kind.value,
                "value": entry.value,
                "reason": entry.reason.value,
                "action": entry.action.value,
                "case_ref": escape_text(entry.case_ref),
            }
        },
    }
    if entry.valid_until is not None:
        obj["valid_until"] = format_timestamp(entry.valid_until)
    return obj


def export_bundle(entries: Iterable[Entry]) -> dict[str, Any]:
    """Return the STIX 2.1 bundle (a JSON-ready dict) describing ``entries``.

    Objects come in a fixed order: identities (by agency id), the TLP marking
    definitions used, the extension definition, then one indicator per entry
    in the order given. The bundle id is derived from the indicators.
    """
    items = list(entries)
    sources: dict[str, datetime] = {}
    for e in items:
        sources[e.source] = min(e.listed_at, sources.get(e.source, e.listed_at))
    objects: list[dict[str, Any]] = []
    for source in sorted(sources):
        when = _stix_time(sources[source])
        objects.append(
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": _identity_id(source),
                "created": when,
                "modified": when,
                "name": source,
                "description": "agency that issues fraud blacklists",
                "identity_class": "organization",
            }
        )
    for tlp in _TLP_ORDER:
        if any(e.tlp is tlp for e in items):
            objects.append(_tlp_marking(tlp))
    indicators = [_indicator(e) for e in items]
    if items:
        first = min(sources)
        when = _stix_time(sources[first])
        objects.append(
            {
                "type": "extension-definition",
                "spec_version": "2.1",
                "id": EXTENSION_ID,
                "created_by_ref": _identity_id(first),
                "created": when,
                "modified": when,
                "name": "antifraud_common listing",
                "description": "the listing fields of a fraud blacklist entry: identifier "
                "kind and canonical value, reason, required action, case reference",
                "schema": "https://antifraud-common.readthedocs.io/en/latest/stix.html",
                "version": "1.0.0",
                "extension_types": ["property-extension"],
            }
        )
    objects.extend(indicators)
    bundle_id = "bundle--" + stable_uuid4(
        "antifraud_common", "bundle", *(o["id"] for o in indicators)
    )
    return {"type": "bundle", "id": bundle_id, "objects": objects}


def export_stix(entries: Iterable[Entry], destination: str | os.PathLike[str]) -> int:
    """Write ``entries`` as a STIX 2.1 bundle to ``destination``; return the indicator count.

    The file is replaced atomically and is readable by its owner only
    (``0600``): it holds full identifiers, card numbers included.
    """
    bundle = export_bundle(entries)
    data = json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    write_output(destination, [data], mode=0o600)
    return sum(1 for o in bundle["objects"] if o["type"] == "indicator")


def _parse_time(text: object, field: str) -> datetime:
    return parse_utc_time(text, field, _TS_RE, "a STIX timestamp YYYY-MM-DDTHH:MM:SS[.s]Z")


def _marking_tlp(ref: str, definitions: Mapping[str, Mapping[str, Any]]) -> TLP:
    if ref in _TLP_BY_ID:
        return _TLP_BY_ID[ref]
    if ref == _AMBER_STRICT:
        raise RecordRefusedError(
            "unsupported_tlp", "tlp", "TLP:AMBER+STRICT cannot be expressed in an entry"
        )
    definition = definitions.get(ref)
    if definition is not None:
        ext = definition.get("extensions")
        level: object = None
        if isinstance(ext, Mapping) and isinstance(ext.get(_TLP2_EXTENSION), Mapping):
            level = ext[_TLP2_EXTENSION].get("tlp_2_0")
        elif definition.get("definition_type") == "tlp" and isinstance(
            definition.get("definition"), Mapping
        ):
            level = definition["definition"].get("tlp")
            level = "clear" if level == "white" else level
        if isinstance(level, str):
            for tlp in TLP:
                if tlp.value == level:
                    return tlp
            raise RecordRefusedError("unsupported_tlp", "tlp", f"unknown TLP level {level[:20]!r}")
    raise RecordRefusedError("unknown_marking", "tlp", "object_marking_refs names no TLP marking")


def _pattern_value(obj: Mapping[str, Any]) -> tuple[IdentifierKind, str]:
    """The kind and value of an indicator's ``[x-antifraud-<kind>:value = '...']`` pattern."""
    if obj.get("pattern_type") != "stix":
        raise RecordRefusedError("unsupported_pattern", "pattern", "pattern_type must be stix")
    pattern = get_str(obj, "pattern")
    m = _PATTERN_RE.fullmatch(pattern.strip())
    if m is None or m.group(1) not in _KIND_BY_TYPE:
        raise RecordRefusedError(
            "unsupported_pattern",
            "pattern",
            "the pattern must be [x-antifraud-<kind>:value = '...'] for one identifier",
        )
    kind = _KIND_BY_TYPE[m.group(1)]
    value = re.sub(r"\\(['\\])", r"\1", m.group(2))
    refuse_formula("value", value, phone_value=True)
    return kind, value


def _extension_fields(
    obj: Mapping[str, Any], kind: IdentifierKind, value: str, fields: dict[str, Any]
) -> None:
    """Reason, action and case reference from the antifraud extension, if present."""
    ext = obj.get("extensions", {})
    ours = ext.get(EXTENSION_ID) if isinstance(ext, Mapping) else None
    if ours is not None:
        if not isinstance(ours, Mapping):
            raise RecordRefusedError("wrong_type", "extensions", "the extension must be an object")
        if ours.get("kind") != kind.value or ours.get("value") != value:
            raise RecordRefusedError(
                "inconsistent_value",
                "value",
                "the extension's kind and value differ from the pattern's",
            )
        for name in ("reason", "action", "case_ref"):
            fields[name] = get_str(ours, name)


def _provenance_fields(
    obj: Mapping[str, Any],
    identities: Mapping[str, str],
    definitions: Mapping[str, Mapping[str, Any]],
    fields: dict[str, Any],
) -> None:
    """The source (``created_by_ref``) and the TLP (``object_marking_refs``)."""
    ref = obj.get("created_by_ref")
    if ref is not None:
        if not isinstance(ref, str) or ref not in identities:
            raise RecordRefusedError(
                "unknown_identity", "source", "created_by_ref names no identity in the bundle"
            )
        fields["source"] = identities[ref]
    refs = obj.get("object_marking_refs")
    if refs is not None:
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise RecordRefusedError("wrong_type", "tlp", "object_marking_refs must list ids")
        levels = {
            _marking_tlp(r, definitions) for r in refs if r.startswith("marking-definition--")
        }
        if levels:
            # Several TLP markings: the most restrictive one applies.
            fields["tlp"] = max(levels, key=_TLP_ORDER.index)


def _indicator_entry(
    obj: Mapping[str, Any],
    identities: Mapping[str, str],
    definitions: Mapping[str, Mapping[str, Any]],
    defaults: Mapping[str, Any],
) -> Entry:
    kind, value = _pattern_value(obj)
    fields: dict[str, Any] = dict(defaults)
    _extension_fields(obj, kind, value, fields)
    _provenance_fields(obj, identities, definitions, fields)
    if "confidence" in obj:
        fields["confidence"] = obj["confidence"]
    fields["listed_at"] = _parse_time(obj.get("created"), "listed_at")
    fields["valid_from"] = _parse_time(obj.get("valid_from"), "valid_from")
    if obj.get("valid_until") is not None:
        fields["valid_until"] = _parse_time(obj.get("valid_until"), "valid_until")
    complete_fields(fields)
    if type(fields["confidence"]) is not int:
        raise RecordRefusedError(
            "wrong_type", "confidence", "confidence is an integer from 0 to 100"
        )
    return Entry.from_raw(kind=kind, value=value, **fields)


def import_bundle(
    bundle: object, *, defaults: Mapping[str, Any] | None = None, max_records: int = 10_000_000
) -> ImportResult:
    """Read the entries of a parsed STIX 2.1 bundle (see the module docs).

    ``defaults`` gives ``reason``, ``action``, ``case_ref``, ``source``,
    ``confidence`` or ``tlp`` for indicators that do not carry them.
    Raises :class:`~antifraud_common.interchange.InterchangeFormatError`
    (``not_a_bundle``) when ``bundle`` is not a bundle at all.
    """
    if not isinstance(bundle, Mapping) or bundle.get("type") != "bundle":
        raise InterchangeFormatError("not a STIX bundle", code="not_a_bundle")
    objects = bundle.get("objects", [])
    if not isinstance(objects, list):
        raise InterchangeFormatError("the bundle's objects are not a list", code="not_a_bundle")
    if len(objects) > max_records:
        raise InterchangeFormatError(f"more than {max_records} objects", code="too_many_records")
    identities: dict[str, str] = {}
    definitions: dict[str, Mapping[str, Any]] = {}
    for obj in objects:
        if isinstance(obj, Mapping) and isinstance(obj.get("id"), str):
            if obj.get("type") == "identity" and isinstance(obj.get("name"), str):
                identities[obj["id"]] = obj["name"]
            elif obj.get("type") == "marking-definition":
                definitions[obj["id"]] = obj
    collector = Collector()
    ignored: dict[str, int] = {}
    for number, obj in enumerate(objects, start=1):
        if not isinstance(obj, Mapping):
            collector.add(number, None, _not_an_object)
            continue
        kind = obj.get("type")
        if kind != "indicator":
            name = kind if isinstance(kind, str) else "?"
            if name not in _CONTEXT_TYPES:
                ignored[name[:64]] = ignored.get(name[:64], 0) + 1
            continue
        ref = obj.get("id") if isinstance(obj.get("id"), str) else None
        build = functools.partial(_indicator_entry, obj, identities, definitions, defaults or {})
        collector.add(number, ref, build)
    return collector.result(ignored=ignored)


def _not_an_object() -> Entry:
    raise RecordRefusedError("not_an_object", None, "a STIX object is a JSON object")


def import_stix(
    source: str | os.PathLike[str],
    *,
    defaults: Mapping[str, Any] | None = None,
    max_bytes: int = MAX_BUNDLE_BYTES,
) -> ImportResult:
    """Read the entries of the STIX 2.1 bundle file ``source`` (see :func:`import_bundle`)."""
    data = read_input(source, limit=max_bytes, what="STIX bundle")
    return import_bundle(loads_json(data, "the STIX bundle"), defaults=defaults)
