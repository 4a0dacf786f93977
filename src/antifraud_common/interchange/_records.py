"""What every import returns, and the checks every import shares (private)."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs

from antifraud_common.errors import AntifraudError, BlacklistFormatError
from antifraud_common.format.csvio import RowRefusedError
from antifraud_common.models import Entry

__all__ = [
    "FORMULA_TRIGGERS",
    "Collector",
    "ImportResult",
    "InterchangeFormatError",
    "RecordError",
    "complete_fields",
    "loads_json",
    "parse_utc_time",
    "stable_uuid4",
]

#: Characters that make a spreadsheet run a cell as a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS: Final = frozenset("=+-@\t\r")


class InterchangeFormatError(BlacklistFormatError):
    """A STIX bundle, MISP feed or workbook cannot be read as a whole.

    Codes: ``not_json``, ``not_a_bundle``, ``not_a_feed``, ``not_a_workbook``,
    ``too_many_records``, ``record_errors`` (from :meth:`ImportResult.raise_for_errors`).
    """

    code = "interchange_format"
    default_message = "the file cannot be imported"


@attrs.frozen(kw_only=True)
class RecordError:
    """One refused record: where (``record``, 1-based, and its ``ref``), why (``code``)."""

    record: int
    code: str
    field: str | None
    message: str
    ref: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The JSON shape the CLI prints: ``{"record", "ref"?, "code", "field"?, "message"}``."""
        out: dict[str, object] = {"record": self.record}
        if self.ref is not None:
            out["ref"] = self.ref
        out["code"] = self.code
        if self.field is not None:
            out["field"] = self.field
        out["message"] = self.message
        return out


@attrs.frozen(kw_only=True)
class ImportResult:
    """The good entries (in record order) and every refused record of one import."""

    entries: tuple[Entry, ...]
    errors: tuple[RecordError, ...]
    records: int
    #: Objects that are not listings (a STIX relationship, a MISP object ...), by type.
    ignored: tuple[tuple[str, int], ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every record was imported."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`InterchangeFormatError` (``record_errors``) naming the first bad record."""
        if self.errors:
            first = self.errors[0]
            raise InterchangeFormatError(
                f"{len(self.errors)} record(s) refused; first: record {first.record}: "
                f"{first.message} ({first.code})",
                code="record_errors",
                field=first.field,
            )


class RecordRefusedError(RowRefusedError):
    """Raised inside a record reader; becomes one :class:`RecordError`.

    The refusal of a CSV row, by another name: a ``code``, the ``field`` and a message.
    """


def refuse_formula(field: str, text: str, *, phone_value: bool = False) -> str:
    """Return ``text``, or refuse it when a spreadsheet would run it as a formula."""
    if text and text[0] in FORMULA_TRIGGERS and not (phone_value and text[0] == "+"):
        raise RecordRefusedError(
            "formula_injection",
            field,
            f"{field} starts with = + - @ TAB or CR, which a spreadsheet runs as a formula",
        )
    return text


def escape_text(text: str) -> str:
    """``text`` with one leading ``'`` when it starts with a formula character or ``'``.

    The CSV export's rule, so a case reference such as ``-17`` survives an
    export and an import that refuses formula-shaped text.
    """
    if text and (text[0] in FORMULA_TRIGGERS or text[0] == "'"):
        return "'" + text
    return text


def unescape_text(field: str, text: str) -> str:
    """Remove one leading ``'``; refuse unescaped formula-shaped text (the CSV import's rule)."""
    if text.startswith("'"):
        return text[1:]
    return refuse_formula(field, text)


class Collector:
    """Gathers entries and record errors; refuses a repeated (kind, value) key."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.errors: list[RecordError] = []
        self.records = 0
        self._first: dict[tuple[str, str], int] = {}

    def add(self, record: int, ref: str | None, build: Callable[[], Entry]) -> None:
        """Build one entry; a failure of any kind becomes a record error, never a drop."""
        self.records += 1
        try:
            entry = build()
        except RecordRefusedError as p:
            self.errors.append(
                RecordError(record=record, ref=ref, code=p.code, field=p.field, message=p.message)
            )
            return
        except AntifraudError as e:
            self.errors.append(
                RecordError(
                    record=record, ref=ref, code=e.code, field=e.field or "value", message=e.message
                )
            )
            return
        if entry.key in self._first:
            self.errors.append(
                RecordError(
                    record=record,
                    ref=ref,
                    code="duplicate_key",
                    field="value",
                    message=f"same {entry.kind.value} {entry.masked_value} as record "
                    f"{self._first[entry.key]}",
                )
            )
            return
        self._first[entry.key] = record
        self.entries.append(entry)

    def result(self, ignored: Mapping[str, int] | None = None) -> ImportResult:
        """The :class:`ImportResult` of everything added."""
        return ImportResult(
            entries=tuple(self.entries),
            errors=tuple(self.errors),
            records=self.records,
            ignored=tuple(sorted((ignored or {}).items())),
        )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key[:40]!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_json(data: bytes, what: str) -> Any:
    """Parse ``data`` as strict JSON: UTF-8, no duplicate keys, no NaN or Infinity."""
    try:
        return json.loads(
            data.decode("utf-8-sig"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise InterchangeFormatError(f"{what} is not valid JSON: {e}"[:300], code="not_json") from e


def stable_uuid4(*parts: str) -> str:
    """A UUID with version-4 layout derived from ``parts``: the same input, the same id.

    STIX asks for version-4 identifiers on domain objects; deriving them from
    the content makes an export reproducible and lets a receiver see that two
    exports describe the same listing.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def complete_fields(fields: dict[str, Any]) -> None:
    """Refuse a record lacking an entry field (and its default); unescape the free text.

    ``source`` and ``case_ref`` travel with the CSV formula escape
    (:func:`escape_text`), removed here.
    """
    for name in ("reason", "action", "source", "case_ref", "confidence", "tlp"):
        if name not in fields:
            raise RecordRefusedError(
                "missing_value", name, f"{name} is missing (and has no default)"
            )
    for name in ("source", "case_ref"):
        if isinstance(fields[name], str):
            fields[name] = unescape_text(name, fields[name])


def get_str(data: Mapping[str, Any], key: str, field: str | None = None) -> str:
    """``data[key]`` as a string, or a record problem naming ``field``."""
    value = data.get(key)
    if not isinstance(value, str):
        name = field or key
        code = "missing_value" if value is None else "wrong_type"
        raise RecordRefusedError(code, name, f"{name} must be a string")
    return value


def parse_utc_time(text: object, field: str, pattern: re.Pattern[str], shape: str) -> datetime:
    """Read a UTC timestamp that ``pattern`` matches whole, to the second.

    ``pattern``'s first six groups are year, month, day, hour, minute and second
    (fractions are dropped); ``shape`` says in the refusal what was expected.
    Raises :class:`RecordRefusedError` ``invalid_timestamp`` for another shape
    or a date that does not exist.
    """
    if not isinstance(text, str) or not (m := pattern.fullmatch(text)):
        raise RecordRefusedError("invalid_timestamp", field, f"{field} must be {shape}")
    try:
        y, mo, d, h, mi, sec = (int(g) for g in m.groups()[:6])
        return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
    except ValueError:
        raise RecordRefusedError(
            "invalid_timestamp", field, f"{field} is not a real date"
        ) from None
