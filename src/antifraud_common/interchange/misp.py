"""MISP feeds and warninglists for blacklist entries.

A **feed** is a folder a MISP instance can subscribe to (MISP's "feed" format,
the MISP core format of draft-dulaunoy-misp-core-format): ``manifest.json``
maps each event's UUID to its summary, and ``<uuid>.json`` holds the event
``{"Event": {...}}``. Each list becomes one event per issuing agency (the
event's ``Orgc``); each entry one attribute:

=================  ===================  ======================================
kind               attribute ``type``   notes
=================  ===================  ======================================
phone              ``phone-number``     canonical E.164 or ``tel:`` short code
bank_card          ``cc-number``        the full card number (see below)
bank_account       ``iban``             an IBAN
bank_account       ``bank-account-nr``  a domestic account number
payment_account    ``text``             ``provider:id``
iccid, imei        ``text``             no MISP type exists
=================  ===================  ======================================

(``bic`` is never written: a listing names an account, not a bank.) Every
attribute has ``category`` ``Financial fraud``, ``to_ids`` true, the case
reference as ``comment`` (with one leading ``'`` when it starts with a
formula character or ``'``, as in CSV), ``first_seen`` / ``last_seen`` for the validity
window, ``timestamp`` for ``listed_at``, and machine tags for the rest:
``tlp:<level>``, ``antifraud:kind="..."``, ``antifraud:reason="..."``,
``antifraud:action="..."``, ``antifraud:confidence="..."``. The event's tag
is the most restrictive TLP of its attributes.

The **warninglist** is the protected-numbers table as a MISP warninglist
(``type`` ``string``, matching ``phone-number``): MISP then warns when
someone adds an emergency number or a bank's hotline as an indicator.

Card numbers: a feed holds full card numbers (``cc-number`` is the data being
shared; a masked card matches nothing). Files are written readable by their
owner only; record errors show cards masked.

Import reads a feed folder: every attribute of every event in the manifest is
one record, numbered in manifest order then attribute order; attributes inside
MISP objects are counted in ``ignored``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
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
from antifraud_common.models import TLP, Entry, IdentifierKind
from antifraud_common.protected import ProtectedList

__all__ = [
    "MAX_EVENT_BYTES",
    "export_feed",
    "feed_events",
    "import_feed",
    "warninglist",
]

#: Largest manifest or event file :func:`import_feed` reads.
MAX_EVENT_BYTES: Final = 256 * 1024 * 1024

_TLP_ORDER: Final = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED)
# MISP distribution levels: 0 your organisation, 1 this community, 2 connected, 3 all.
_DISTRIBUTION: Final = {TLP.CLEAR: "3", TLP.GREEN: "2", TLP.AMBER: "1", TLP.RED: "0"}
_KIND_BY_TYPE: Final = {
    "phone-number": IdentifierKind.PHONE,
    "cc-number": IdentifierKind.BANK_CARD,
    "iban": IdentifierKind.BANK_ACCOUNT,
    "bank-account-nr": IdentifierKind.BANK_ACCOUNT,
}
_UUID_RE: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TAG_RE: Final = re.compile(r'antifraud:(kind|reason|action|confidence)="([^"]{1,64})"')
_SEEN_RE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|\+00:00)", re.ASCII
)


def _attribute_type(entry: Entry) -> str:
    if entry.kind is IdentifierKind.PHONE:
        return "phone-number"
    if entry.kind is IdentifierKind.BANK_CARD:
        return "cc-number"
    if entry.kind is IdentifierKind.BANK_ACCOUNT:
        return "iban" if entry.value[:2].isalpha() else "bank-account-nr"
    return "text"


def _seen(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00")


def _epoch(value: datetime) -> str:
    return str(int(value.timestamp()))


def _org(name: str) -> dict[str, str]:
    return {"id": "0", "name": name, "uuid": stable_uuid4("antifraud_common", "misp-org", name)}


def _attribute(entry: Entry, event_uuid: str) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "id": "0",
        "type": _attribute_type(entry),
        "category": "Financial fraud",
        "to_ids": True,
        "uuid": stable_uuid4("antifraud_common", "misp-attribute", event_uuid, *entry.key),
        "event_id": "0",
        "distribution": "5",
        "timestamp": _epoch(entry.listed_at),
        "comment": escape_text(entry.case_ref),
        "sharing_group_id": "0",
        "value": entry.value,
        "disable_correlation": False,
        "deleted": False,
        "first_seen": _seen(entry.valid_from),
        "ShadowAttribute": [],
        "Tag": [
            {"name": f"tlp:{entry.tlp.value}"},
            {"name": f'antifraud:kind="{entry.kind.value}"'},
            {"name": f'antifraud:reason="{entry.reason.value}"'},
            {"name": f'antifraud:action="{entry.action.value}"'},
            {"name": f'antifraud:confidence="{entry.confidence}"'},
        ],
    }
    if entry.valid_until is not None:
        attribute["last_seen"] = _seen(entry.valid_until)
    return attribute


def feed_events(name: str, entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """Return the MISP events (``{"Event": ...}``) for the list ``name``: one per issuer."""
    by_source: dict[str, list[Entry]] = {}
    for e in entries:
        by_source.setdefault(e.source, []).append(e)
    events = []
    for source in sorted(by_source):
        items = by_source[source]
        event_uuid = stable_uuid4("antifraud_common", "misp-event", name, source)
        tlp = max((e.tlp for e in items), key=_TLP_ORDER.index)
        latest = max(e.listed_at for e in items)
        org = _org(source)
        events.append(
            {
                "Event": {
                    "id": "0",
                    "orgc_id": "0",
                    "org_id": "0",
                    "date": min(e.listed_at for e in items).strftime("%Y-%m-%d"),
                    "threat_level_id": "1",
                    "info": f"{name}: fraud blacklist of {source}",
                    "published": True,
                    "uuid": event_uuid,
                    "attribute_count": str(len(items)),
                    "analysis": "2",
                    "timestamp": _epoch(latest),
                    "distribution": _DISTRIBUTION[tlp],
                    "proposal_email_lock": False,
                    "locked": False,
                    "publish_timestamp": _epoch(latest),
                    "sharing_group_id": "0",
                    "Org": org,
                    "Orgc": org,
                    "Attribute": [_attribute(e, event_uuid) for e in items],
                    "ShadowAttribute": [],
                    "RelatedEvent": [],
                    "Tag": [{"name": f"tlp:{tlp.value}"}],
                }
            }
        )
    return events


def _dump(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def export_feed(lists: Mapping[str, Iterable[Entry]], folder: str | os.PathLike[str]) -> int:
    """Write a MISP feed of ``lists`` (list name to entries) into ``folder``; return events.

    The folder is created if needed. Each event file and ``manifest.json`` are
    replaced atomically, readable by their owner only.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    for name in sorted(lists):
        for doc in feed_events(name, lists[name]):
            event = doc["Event"]
            write_output(target / f"{event['uuid']}.json", [_dump(doc)], mode=0o600)
            manifest[event["uuid"]] = {
                key: event[key]
                for key in ("info", "Orgc", "analysis", "threat_level_id", "timestamp", "date")
            } | {"Tag": event["Tag"]}
    write_output(target / "manifest.json", [_dump(manifest)], mode=0o600)
    return len(manifest)


def warninglist(
    protected: ProtectedList | None = None, *, name: str | None = None
) -> dict[str, Any]:
    """Return the protected numbers as a MISP warninglist (a JSON-ready dict).

    Phone numbers appear as stored (E.164 or ``tel:`` form) and, for a short
    code, also as its bare digits (``95588``), the way an analyst types it.
    ``version`` is the table's compilation date as ``YYYYMMDD``.
    """
    table = protected or ProtectedList.load_default()
    values: set[str] = set()
    for number in table:
        values.add(number.value)
        if number.value.startswith("tel:"):
            values.add(number.value[4:].split(";", 1)[0])
    compiled = table.compiled.strftime("%Y%m%d") if table.compiled else "1"
    return {
        "name": name or "Protected numbers (emergency, government and bank service lines)",
        "description": "Numbers no fraud blacklist may contain by accident: emergency "
        "numbers, the anti-fraud hotline, government service lines, carriers', banks', "
        "payment providers' and insurers' customer-service numbers.",
        "version": int(compiled),
        "type": "string",
        "matching_attributes": ["phone-number"],
        "list": sorted(values),
    }


def _parse_seen(text: object, field: str) -> datetime:
    return parse_utc_time(text, field, _SEEN_RE, "YYYY-MM-DDTHH:MM:SS[.s](Z|+00:00)")


def _read_tags(raw_tags: object) -> tuple[dict[str, str], set[TLP]]:
    """An attribute's ``antifraud:NAME="VALUE"`` tags and its TLP tags."""
    tags: dict[str, str] = {}
    tlps: set[TLP] = set()
    if not isinstance(raw_tags, list):
        raise RecordRefusedError("wrong_type", "Tag", "Tag must be a list")
    for tag in raw_tags:
        tag_name = tag.get("name") if isinstance(tag, Mapping) else None
        if not isinstance(tag_name, str):
            raise RecordRefusedError("wrong_type", "Tag", "a tag has a name")
        if tag_name.startswith("tlp:"):
            level = tag_name[4:]
            if level == "white":
                level = "clear"
            match = [t for t in TLP if t.value == level]
            if not match:
                raise RecordRefusedError(
                    "unsupported_tlp", "tlp", f"unsupported tag {tag_name[:30]!r}"
                )
            tlps.add(match[0])
        elif m := _TAG_RE.fullmatch(tag_name):
            tags[m.group(1)] = m.group(2)
    return tags, tlps


def _tag_fields(tags: Mapping[str, str], fields: dict[str, Any]) -> None:
    """The entry fields the ``antifraud:`` tags carry: reason, action, confidence."""
    for name in ("reason", "action"):
        if name in tags:
            fields[name] = tags[name]
    if "confidence" in tags:
        if not tags["confidence"].isdigit() or len(tags["confidence"]) > 3:
            raise RecordRefusedError(
                "invalid_confidence", "confidence", "confidence is an integer from 0 to 100"
            )
        fields["confidence"] = int(tags["confidence"])


def _time_fields(attr: Mapping[str, Any], fields: dict[str, Any]) -> None:
    """``listed_at`` from ``timestamp``, the validity window from ``first_seen``/``last_seen``."""
    timestamp = attr.get("timestamp")
    if not isinstance(timestamp, str) or not timestamp.isdigit() or len(timestamp) > 12:
        raise RecordRefusedError("invalid_timestamp", "listed_at", "timestamp is epoch seconds")
    fields["listed_at"] = datetime.fromtimestamp(int(timestamp), tz=UTC)
    if attr.get("first_seen") is not None:
        fields["valid_from"] = _parse_seen(attr["first_seen"], "valid_from")
    elif "valid_from" not in fields:
        fields["valid_from"] = fields["listed_at"]
    if attr.get("last_seen") is not None:
        fields["valid_until"] = _parse_seen(attr["last_seen"], "valid_until")


def _attribute_entry(attr: object, source: str | None, defaults: Mapping[str, Any]) -> Entry:
    if not isinstance(attr, Mapping):
        raise RecordRefusedError("not_an_object", None, "an attribute is a JSON object")
    mtype = get_str(attr, "type")
    value = get_str(attr, "value")
    refuse_formula("value", value, phone_value=True)
    fields: dict[str, Any] = dict(defaults)
    tags, tlps = _read_tags(attr.get("Tag", []))
    if tlps:
        fields["tlp"] = max(tlps, key=_TLP_ORDER.index)
    kind: IdentifierKind | str
    if "kind" in tags:
        kind = tags["kind"]
    elif mtype in _KIND_BY_TYPE:
        kind = _KIND_BY_TYPE[mtype]
    else:
        raise RecordRefusedError(
            "unsupported_type",
            "type",
            f"attribute type {mtype[:40]!r} names no identifier kind (and no antifraud:kind tag)",
        )
    _tag_fields(tags, fields)
    comment = attr.get("comment")
    if isinstance(comment, str) and comment:
        fields["case_ref"] = comment
    if source is not None:
        fields["source"] = source
    _time_fields(attr, fields)
    complete_fields(fields)
    return Entry.from_raw(kind=kind, value=value, **fields)


def _read_json(path: Path, what: str, max_bytes: int) -> Any:
    return loads_json(read_input(path, limit=max_bytes, what=what), what)


def import_feed(
    folder: str | os.PathLike[str],
    *,
    defaults: Mapping[str, Any] | None = None,
    max_bytes: int = MAX_EVENT_BYTES,
) -> ImportResult:
    """Read the entries of the MISP feed in ``folder`` (``manifest.json`` and its events).

    The issuer of an event's attributes is its ``Orgc`` name (it must be an
    agency id); ``defaults`` fills fields an attribute does not carry.
    Raises :class:`~antifraud_common.interchange.InterchangeFormatError`
    (``not_a_feed``) for a manifest that is not a feed manifest, and
    :class:`~antifraud_common.errors.FileAccessError` for a missing event file.
    """
    base = Path(folder)
    manifest = _read_json(base / "manifest.json", "the feed manifest", max_bytes)
    if not isinstance(manifest, Mapping):
        raise InterchangeFormatError("manifest.json is not a JSON object", code="not_a_feed")
    collector = Collector()
    ignored: dict[str, int] = {}
    number = 0
    for event_uuid in manifest:
        if not _UUID_RE.fullmatch(event_uuid):
            # Also keeps a hostile manifest from naming a path outside the folder.
            raise InterchangeFormatError(
                f"manifest key {event_uuid[:40]!r} is not a UUID", code="not_a_feed"
            )
        doc = _read_json(base / f"{event_uuid}.json", f"event {event_uuid}", max_bytes)
        event = doc.get("Event") if isinstance(doc, Mapping) else None
        if not isinstance(event, Mapping) or not isinstance(event.get("Attribute", []), list):
            raise InterchangeFormatError(
                f"event {event_uuid} is not a MISP event", code="not_a_feed"
            )
        orgc = event.get("Orgc")
        source = orgc.get("name") if isinstance(orgc, Mapping) else None
        for obj in event.get("Object", []) or []:
            attrs_ = obj.get("Attribute", []) if isinstance(obj, Mapping) else []
            ignored["object attribute"] = ignored.get("object attribute", 0) + len(attrs_)
        for attr in event.get("Attribute", []):
            number += 1
            ref = attr.get("uuid") if isinstance(attr, Mapping) else None
            build = functools.partial(
                _attribute_entry, attr, source if isinstance(source, str) else None, defaults or {}
            )
            collector.add(number, ref if isinstance(ref, str) else None, build)
    return collector.result(ignored=ignored)
