"""Protected numbers: identifiers no blacklist may contain unless its manifest allows it.

Blocking 110 or a bank's official hotline by mistake does more harm than most
fraud numbers. Like MISP's warninglists, the library ships a dated, curated
table (``data/protected_numbers.csv``: emergency numbers, the anti-fraud
hotline, government service lines, carriers', banks', payment providers' and
insurers' customer-service numbers) and list validation refuses any list that
contains one of them unless the list's signed manifest names it in
``allow_protected`` (see docs/spec/protected-numbers.md).

Values are compared in canonical form (:mod:`antifraud_common.phone`:
``tel:95588;phone-context=+86`` for a short code). A protected short code of
five or more digits also matches when it is written as a fixed-line number
behind a Chinese area code -- ``+861095588`` (010-95588) and ``+8657112345``
(0571-12345) are the same service -- because that is how such lines are dialled
from other cities and a valid E.164 number.

>>> protected = ProtectedList.load_default()
>>> protected.match("phone", "tel:95588;phone-context=+86").name
'Industrial and Commercial Bank of China'
>>> protected.match("phone", "+861095588").category
<ProtectedCategory.BANK: 'bank'>
>>> ("phone", "tel:110;phone-context=+86") in protected
True
>>> protected.match("phone", "+8613800138000") is None
True
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Final

import attrs

from antifraud_common._files import open_input
from antifraud_common.errors import (
    ConfigurationError,
    ModelError,
    ProtectedIdentifierError,
    ValidationError,
)
from antifraud_common.models import Entry, IdentifierKind, canonical_value, mask_value

__all__ = [
    "COLUMNS",
    "ProtectedCategory",
    "ProtectedList",
    "ProtectedNumber",
]

#: The columns of a protected-numbers CSV file, in this order.
COLUMNS: Final = ("kind", "value", "category", "name", "source_note")

_DEFAULT_FILE: Final = "protected_numbers.csv"
_MAX_FILE_BYTES: Final = 8 * 1024 * 1024
_MAX_TEXT: Final = 200
_COMPILED_RE: Final = re.compile(r"#\s*compiled:\s*(\d{4}-\d{2}-\d{2})\s*", re.ASCII)
_SHORT_CODE_RE: Final = re.compile(r"tel:([0-9]{3,8});phone-context=\+86", re.ASCII)
# Short codes of at least this many digits may also be dialled behind an area code.
_MIN_AREA_DIALABLE: Final = 5


class ProtectedCategory(enum.Enum):
    """Why an identifier is protected."""

    EMERGENCY = "emergency"
    ANTI_FRAUD = "anti_fraud"
    GOVERNMENT = "government"
    FINANCIAL_REGULATOR = "financial_regulator"
    CARRIER = "carrier"
    BANK = "bank"
    PAYMENT = "payment"
    INSURANCE = "insurance"
    OTHER = "other"


def _text_field(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or len(value) > _MAX_TEXT or not value.isprintable():
        raise ConfigurationError(
            f"{attribute.name} is printable text of at most {_MAX_TEXT} characters",
            code="invalid_protected_table",
            field=attribute.name,
        )


def _non_empty(_inst: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value.strip():
        raise ConfigurationError(
            f"{attribute.name} must not be empty", code="invalid_protected_table", field="name"
        )


def _to_category(value: object) -> ProtectedCategory:
    if isinstance(value, ProtectedCategory):
        return value
    try:
        return ProtectedCategory(value)
    except ValueError:
        allowed = ", ".join(c.value for c in ProtectedCategory)
        raise ConfigurationError(
            f"category is one of: {allowed}", code="invalid_protected_table", field="category"
        ) from None


def _to_kind(value: object) -> IdentifierKind:
    try:
        return value if isinstance(value, IdentifierKind) else IdentifierKind(value)
    except ValueError:
        raise ConfigurationError(
            "unknown identifier kind", code="invalid_protected_table", field="kind"
        ) from None


@attrs.frozen(kw_only=True, repr=False)
class ProtectedNumber:
    """One protected identifier (``value`` canonical) with what it is."""

    kind: IdentifierKind = attrs.field(converter=_to_kind)
    value: str = attrs.field(validator=[_text_field, _non_empty])
    category: ProtectedCategory = attrs.field(converter=_to_category)
    name: str = attrs.field(validator=[_text_field, _non_empty])
    source_note: str = attrs.field(default="", validator=_text_field)

    @property
    def key(self) -> tuple[str, str]:
        """``(kind, value)``, the same key as ``Entry.key``."""
        return (self.kind.value, self.value)

    def __repr__(self) -> str:
        shown = mask_value(self.kind, self.value)
        return (
            f"ProtectedNumber(kind={self.kind.value!r}, value={shown!r}, "
            f"category={self.category.value!r}, name={self.name!r})"
        )


def _index(
    numbers: tuple[ProtectedNumber, ...],
) -> tuple[dict[tuple[str, str], ProtectedNumber], dict[str, ProtectedNumber]]:
    by_key = {n.key: n for n in numbers}
    short: dict[str, ProtectedNumber] = {}
    for n in numbers:
        m = _SHORT_CODE_RE.fullmatch(n.value) if n.kind is IdentifierKind.PHONE else None
        if m and len(m[1]) >= _MIN_AREA_DIALABLE:
            short[m[1]] = n
    return by_key, short


def _is_area_code(digits: str) -> bool:
    # Chinese area codes (without the trunk 0): 10 and 2X (two digits), 3XX-9XX (three).
    if len(digits) == 2:
        return digits == "10" or digits[0] == "2"
    return len(digits) == 3 and digits[0] in "3456789"


def _sorted_unique(numbers: Iterable[ProtectedNumber]) -> tuple[ProtectedNumber, ...]:
    seen: dict[tuple[str, str], ProtectedNumber] = {}
    for n in numbers:
        seen.setdefault(n.key, n)
    return tuple(sorted(seen.values(), key=lambda n: n.key))


@attrs.frozen(kw_only=True)
class ProtectedList:
    """An immutable set of protected identifiers with exact, canonical-form lookup.

    Build it with :meth:`load_default`, :meth:`load` or :meth:`from_csv_text`;
    combine tables with :meth:`merge`. ``compiled`` is the date the table says it
    was compiled (``# compiled: YYYY-MM-DD``), if any.
    """

    numbers: tuple[ProtectedNumber, ...] = attrs.field(converter=_sorted_unique)
    compiled: date | None = None
    _by_key: dict[tuple[str, str], ProtectedNumber] = attrs.field(init=False, eq=False, repr=False)
    _short_codes: dict[str, ProtectedNumber] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        by_key, short_codes = _index(self.numbers)
        # Frozen class: the lookup tables are derived once, here.
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_short_codes", short_codes)

    @classmethod
    def load_default(cls) -> ProtectedList:
        """Return the packaged table (loaded once, then shared)."""
        return _load_default()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ProtectedList:
        """Load a protected-numbers CSV file (same columns as the packaged one).

        Values may be given in any form the identifier's validator accepts
        (``010-95588``, ``95588``); they are canonicalised. A bad row raises
        :class:`~antifraud_common.errors.ConfigurationError` (code
        ``invalid_protected_table``) naming the line and field.
        """
        p = Path(path)
        try:
            with open_input(p) as f:
                raw = f.read(_MAX_FILE_BYTES + 1)
        except OSError as e:
            raise ConfigurationError(
                f"cannot read the protected-numbers file: {e.strerror}",
                code="invalid_protected_table",
            ) from e
        if len(raw) > _MAX_FILE_BYTES:
            raise ConfigurationError(
                "the protected-numbers file is too large", code="invalid_protected_table"
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise ConfigurationError(
                "the protected-numbers file is not UTF-8", code="invalid_protected_table"
            ) from e
        return cls.from_csv_text(text)

    @classmethod
    def from_csv_text(cls, text: str) -> ProtectedList:
        """Parse the CSV text of a protected-numbers table.

        Lines starting with ``#`` before the header are comments; one of them may
        be ``# compiled: YYYY-MM-DD``. The header must be exactly :data:`COLUMNS`.
        """
        lines = text.splitlines(keepends=True)
        compiled: date | None = None
        start = 0
        while start < len(lines) and lines[start].startswith("#"):
            m = _COMPILED_RE.fullmatch(lines[start])
            if m:
                try:
                    compiled = date.fromisoformat(m[1])
                except ValueError as e:
                    raise ConfigurationError(
                        "the compiled date is not a real date",
                        code="invalid_protected_table",
                        line=start + 1,
                    ) from e
            start += 1
        reader = csv.reader(io.StringIO("".join(lines[start:])), strict=True)
        numbers: list[ProtectedNumber] = []
        seen: set[tuple[str, str]] = set()
        try:
            header = next(reader, None)
            if header is None or tuple(header) != COLUMNS:
                raise ConfigurationError(
                    f"the header must be {','.join(COLUMNS)}",
                    code="invalid_protected_table",
                    line=start + 1,
                )
            for row in reader:
                line = start + reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                number = _parse_row(row, line)
                if number.key in seen:
                    raise ConfigurationError(
                        "the same identifier is listed twice",
                        code="duplicate_protected_number",
                        line=line,
                    )
                seen.add(number.key)
                numbers.append(number)
        except csv.Error as e:
            raise ConfigurationError(
                f"not valid CSV: {e}",
                code="invalid_protected_table",
                line=start + reader.line_num,
            ) from e
        return cls(numbers=numbers, compiled=compiled)

    def merge(self, *others: ProtectedList) -> ProtectedList:
        """Return the union of this table and ``others``.

        Where two tables protect the same identifier, the first one's record is
        kept. ``compiled`` is the latest date among the tables.
        """
        tables = (self, *others)
        dates = [t.compiled for t in tables if t.compiled is not None]
        return ProtectedList(
            numbers=[n for t in tables for n in t.numbers],
            compiled=max(dates) if dates else None,
        )

    def match(self, kind: IdentifierKind | str, value: str) -> ProtectedNumber | None:
        """Return the protected record ``value`` (canonical) is, or ``None``.

        Besides the exact value, a phone number ``+86<area code><short code>``
        matches a protected short code of five or more digits.
        """
        kind_value = kind.value if isinstance(kind, IdentifierKind) else kind
        hit = self._by_key.get((kind_value, value))
        if hit is not None or kind_value != IdentifierKind.PHONE.value:
            return hit
        if not value.startswith("+86"):
            return None
        national = value[3:]
        for area_length in (2, 3):
            area, rest = national[:area_length], national[area_length:]
            if _is_area_code(area) and rest in self._short_codes:
                return self._short_codes[rest]
        return None

    def __contains__(self, item: object) -> bool:
        """``(kind, value) in protected`` or ``entry in protected``."""
        if isinstance(item, Entry):
            return self.match(item.kind, item.value) is not None
        if (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], IdentifierKind | str)
            and isinstance(item[1], str)
        ):
            return self.match(item[0], item[1]) is not None
        return False

    def __len__(self) -> int:
        return len(self.numbers)

    def __iter__(self) -> Iterator[ProtectedNumber]:
        return iter(self.numbers)

    def check(
        self,
        kind: IdentifierKind | str,
        value: str,
        *,
        allow: Iterable[tuple[str, str]] = (),
        line: int | None = None,
    ) -> None:
        """Raise a ``ProtectedIdentifierError`` if ``value`` is protected.

        ``allow`` holds the ``(kind, value)`` keys a manifest permits
        (``Manifest.allow_protected``); each names the value exactly as the list
        holds it.

        >>> ProtectedList.load_default().check("phone", "+861095588")
        Traceback (most recent call last):
        ...
        antifraud_common.errors.ProtectedIdentifierError: ... protected (bank: Industrial ...
        """
        hit = self.match(kind, value)
        if hit is None:
            return
        kind_value = kind.value if isinstance(kind, IdentifierKind) else kind
        if (kind_value, value) in set(allow):
            return
        raise ProtectedIdentifierError(
            f"{mask_value(hit.kind, value)} is protected ({hit.category.value}: {hit.name}); "
            "list it in allow_protected to publish it on purpose",
            field="value",
            line=line,
        )


def _parse_row(row: list[str], line: int) -> ProtectedNumber:
    if len(row) != len(COLUMNS):
        raise ConfigurationError(
            f"expected {len(COLUMNS)} columns, found {len(row)}",
            code="invalid_protected_table",
            line=line,
        )
    fields: Mapping[str, str] = dict(zip(COLUMNS, row, strict=True))
    try:
        kind = _to_kind(fields["kind"])
        try:
            value = canonical_value(kind, fields["value"])
        except (ValidationError, ModelError) as e:
            raise ConfigurationError(
                f"not a valid {kind.value}: {e.message}",
                code="invalid_protected_table",
                field="value",
            ) from e
        return ProtectedNumber(
            kind=kind,
            value=value,
            category=fields["category"],
            name=fields["name"],
            source_note=fields["source_note"],
        )
    except ConfigurationError as e:
        raise ConfigurationError(e.message, code=e.code, field=e.field, line=line) from e


@functools.cache
def _load_default() -> ProtectedList:
    text = (resources.files("antifraud_common") / "data" / _DEFAULT_FILE).read_text(
        encoding="utf-8"
    )
    return ProtectedList.from_csv_text(text)
