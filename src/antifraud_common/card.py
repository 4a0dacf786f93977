"""Payment card numbers (PAN, ISO/IEC 7812): validation, scheme, issuer and masking.

A card number is 12 to 19 ASCII digits whose last digit is a Luhn check digit
(ISO/IEC 7812-1 Annex B). Cleaning removes spaces (every Unicode space) and dashes,
folds full-width digits and deletes invisible format characters (recorded as flags
in :func:`info`); anything else is an error. The canonical value is the digit string.

Rules, in the order they are checked (each failure has a stable ``code``):

1. a ``str`` of at most 64 characters (``not_a_string``, ``input_too_long``);
2. only ASCII digits after cleaning (``letters_not_allowed``, ``foreign_digits``,
   ``control_characters``, ``unexpected_character``);
3. 12 to 19 digits (``too_short``, ``too_long``);
4. not one digit repeated (``dummy_number``: Luhn accepts ``0000 0000 0000 0000``),
   and not starting with ``89``, the telecommunications IIN of SIM serial numbers
   (``not_a_payment_card``);
5. the scheme, from the most specific IIN prefix, allows this length
   (``length_not_allowed_for_scheme``);
6. the Luhn check digit matches (``invalid_checksum``). A legacy domestic Chinese
   BIN (a row of the packaged BIN table outside every international scheme range,
   e.g. ``9558``, ``940001``, ``601382``, ``84301``) is the one exception: a Luhn
   mismatch there is accepted with the flag ``luhn_failed``, unless
   ``strict_luhn=True``.

>>> validate("6222 0211 2345 6789 014")
'6222021123456789014'
>>> scheme("4111111111111111")
<CardScheme.VISA: 'visa'>
>>> mask("6222021123456789014")
'622202*********9014'
>>> display("6222021123456789014")
'6222 0211 2345 6789 014'
>>> issuer("6222021123456789014").bank_name
'中国工商银行'
>>> validate("4111 1111 1111 1112")
Traceback (most recent call last):
...
antifraud_common.errors.InvalidChecksumError: the card number's Luhn check digit does not match
>>> info("6222021123456789014")
CardInfo(masked='622202*********9014', scheme=<CardScheme.UNIONPAY: 'unionpay'>, ...)

Issuer lookup (:func:`issuer`) matches the longest BIN prefix *for the card's
length* in a table: by default the packaged table built from hexindai/bcbc (MIT,
data of 2020-12-11, see :data:`BIN_TABLE_SOURCE`); callers may pass their own
(:func:`load_bin_table`, :class:`BinTable`). Nothing here ever puts a full card
number in an exception message or a ``repr``: use :func:`mask`.
"""

from __future__ import annotations

import csv
import enum
import functools
import importlib.resources
import re
import types
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import attrs
from stdnum import luhn
from stdnum.exceptions import ValidationError as _StdnumValidationError

from antifraud_common._text import DASHES, digits_only
from antifraud_common.errors import (
    ConfigurationError,
    InvalidChecksumError,
    InvalidComponentError,
    InvalidLengthError,
    ValidationError,
)

__all__ = [
    "BIN_TABLE_SOURCE",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "SCHEME_LENGTHS",
    "BinSource",
    "BinTable",
    "CardFlag",
    "CardInfo",
    "CardScheme",
    "CardType",
    "Issuer",
    "compact",
    "display",
    "in_card_range",
    "info",
    "is_legacy_domestic",
    "is_valid",
    "issuer",
    "load_bin_table",
    "mask",
    "mask_in_text",
    "packaged_bin_table",
    "scheme",
    "validate",
]

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 19
#: Longest raw input accepted (19 digits plus generous separators).
_MAX_RAW: Final = 64
#: The separators a card number may be written with (spaces and dashes), stripped before
#: the digits are read.
SEPARATORS: Final = frozenset(" ") | DASHES


class CardScheme(enum.Enum):
    """Card scheme (network) decided by the IIN prefix."""

    UNIONPAY = "unionpay"
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    JCB = "jcb"
    DISCOVER = "discover"
    DINERS = "diners"
    MIR = "mir"
    MAESTRO = "maestro"
    T_UNION = "t_union"
    UNKNOWN = "unknown"


class CardType(enum.Enum):
    """Card product type from a BIN table (``DC``/``CC``/``SCC``/``PC`` in the CSV)."""

    DEBIT = "debit"
    CREDIT = "credit"
    SEMI_CREDIT = "semi_credit"
    PREPAID = "prepaid"


_CARD_TYPE_CODES: Final = {
    "DC": CardType.DEBIT,
    "CC": CardType.CREDIT,
    "SCC": CardType.SEMI_CREDIT,
    "PC": CardType.PREPAID,
}


class CardFlag(enum.Enum):
    """Facts noticed while validating a card number (reported by :func:`info`)."""

    FULLWIDTH = "fullwidth"
    """Full-width digits or spaces were folded to ASCII."""
    INVISIBLE = "invisible"
    """Invisible format characters (zero-width, bidi ...) were deleted."""
    LEGACY_DOMESTIC_BIN = "legacy_domestic_bin"
    """The prefix is a legacy domestic Chinese BIN outside every international range."""
    LUHN_FAILED = "luhn_failed"
    """The Luhn check failed and was tolerated because the BIN is legacy domestic."""


#: Allowed lengths per scheme (see docs/cards-and-accounts.md for the sources).
SCHEME_LENGTHS: Final[Mapping[CardScheme, frozenset[int]]] = {
    CardScheme.UNIONPAY: frozenset(range(14, 20)),
    CardScheme.VISA: frozenset(range(13, 20)),
    CardScheme.MASTERCARD: frozenset({16}),
    CardScheme.AMEX: frozenset({15}),
    CardScheme.JCB: frozenset(range(16, 20)),
    CardScheme.DISCOVER: frozenset(range(16, 20)),
    CardScheme.DINERS: frozenset(range(14, 20)),
    CardScheme.MIR: frozenset(range(16, 20)),
    CardScheme.MAESTRO: frozenset(range(12, 20)),
    CardScheme.T_UNION: frozenset({19}),
    CardScheme.UNKNOWN: frozenset(range(MIN_LENGTH, MAX_LENGTH + 1)),
}

# (first prefix, last prefix, scheme); both ends have the same number of digits.
# The 622126-622925 Discover co-brand is deliberately absent: those are UnionPay cards.
_IIN_RANGES: Final = (
    ("62", "62", CardScheme.UNIONPAY),
    ("810", "810", CardScheme.UNIONPAY),
    ("8110", "8171", CardScheme.UNIONPAY),
    ("4", "4", CardScheme.VISA),
    ("493698", "493698", CardScheme.MAESTRO),
    ("51", "55", CardScheme.MASTERCARD),
    ("2221", "2720", CardScheme.MASTERCARD),
    ("34", "34", CardScheme.AMEX),
    ("37", "37", CardScheme.AMEX),
    ("3528", "3589", CardScheme.JCB),
    ("6011", "6011", CardScheme.DISCOVER),
    ("644", "649", CardScheme.DISCOVER),
    ("65", "65", CardScheme.DISCOVER),
    ("300", "305", CardScheme.DINERS),
    ("36", "36", CardScheme.DINERS),
    ("38", "39", CardScheme.DINERS),
    ("2200", "2204", CardScheme.MIR),
    ("500", "508", CardScheme.MAESTRO),
    ("56", "59", CardScheme.MAESTRO),
    ("63", "63", CardScheme.MAESTRO),
    ("67", "67", CardScheme.MAESTRO),
    ("31", "31", CardScheme.T_UNION),
)


def _expand_ranges() -> tuple[dict[str, CardScheme], tuple[int, ...]]:
    exact: dict[str, CardScheme] = {}
    for lo, hi, sch in _IIN_RANGES:
        width = len(lo)
        for n in range(int(lo), int(hi) + 1):
            key = str(n).zfill(width)
            if key in exact:  # pragma: no cover - guards the table above
                raise AssertionError(f"overlapping IIN prefix {key}")
            exact[key] = sch
    widths = tuple(sorted({len(k) for k in exact}, reverse=True))
    return exact, widths


_IIN_EXACT, _IIN_WIDTHS = _expand_ranges()


# ----------------------------------------------------------------- BIN table


@attrs.frozen(kw_only=True)
class BinSource:
    """Where a BIN table came from (shown in docs, ``info`` and the CLI)."""

    repository: str
    commit: str
    data_date: str
    licence: str

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-safe dict."""
        return {
            "repository": self.repository,
            "commit": self.commit,
            "data_date": self.data_date,
            "licence": self.licence,
        }


#: Provenance of the packaged BIN table (``data/bin_table.csv``).
BIN_TABLE_SOURCE: Final = BinSource(
    repository="https://github.com/hexindai/bcbc",
    commit="de631827ffe8db2792d140f3476b02498fc1244f",
    data_date="2020-12-11",
    licence="MIT, Copyright (c) 2018 - 2020 Runrioter (see LICENSE-bcbc)",
)


@attrs.frozen(kw_only=True)
class Issuer:
    """One BIN table row: the bank that issues cards of ``length`` digits under ``bin``."""

    bin: str
    length: int
    bank_code: str
    bank_name: str
    card_type: CardType

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-safe dict."""
        return {
            "bin": self.bin,
            "length": self.length,
            "bank_code": self.bank_code,
            "bank_name": self.bank_name,
            "card_type": self.card_type.value,
        }


def _freeze_rows(rows: Mapping[tuple[str, int], Issuer]) -> Mapping[tuple[str, int], Issuer]:
    # A read-only copy: a table shared by threads must not change under them.
    return types.MappingProxyType(dict(rows))


@attrs.frozen(kw_only=True, eq=False)
class BinTable:
    """An issuer table keyed by ``(prefix, card length)``; lookups take the longest prefix.

    Build one with :meth:`from_rows` or :func:`load_bin_table`.

    >>> t = BinTable.from_rows([Issuer(bin="622202", length=19, bank_code="ICBC",
    ...                               bank_name="中国工商银行", card_type=CardType.DEBIT)])
    >>> t.lookup("6222021123456789014").bank_code
    'ICBC'
    >>> t.lookup("622202112345678901") is None   # 18 digits: no row for that length
    True
    """

    rows: Mapping[tuple[str, int], Issuer] = attrs.field(repr=False, converter=_freeze_rows)
    source: BinSource | None = None
    _widths: tuple[int, ...] = attrs.field(init=False, repr=False)

    @_widths.default
    def _compute_widths(self) -> tuple[int, ...]:
        return tuple(sorted({len(p) for p, _ in self.rows}, reverse=True))

    @classmethod
    def from_rows(cls, rows: Iterable[Issuer], *, source: BinSource | None = None) -> BinTable:
        """Build a table; a repeated ``(bin, length)`` is a :class:`ConfigurationError`."""
        table: dict[tuple[str, int], Issuer] = {}
        for row in rows:
            key = (row.bin, row.length)
            if key in table:
                raise ConfigurationError(
                    f"duplicate BIN table row for prefix {row.bin} and length {row.length}",
                    code="duplicate_bin_row",
                )
            table[key] = row
        return cls(rows=table, source=source)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Issuer]:
        return iter(self.rows.values())

    def lookup(self, number: str) -> Issuer | None:
        """Return the row with the longest prefix of the canonical ``number`` for its length."""
        n = len(number)
        for width in self._widths:
            if width < n:
                row = self.rows.get((number[:width], n))
                if row is not None:
                    return row
        return None


def _parse_bin_csv(lines: Iterable[str], *, origin: str) -> tuple[list[Issuer], dict[str, str]]:
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in lines:
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                meta[key.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    reader = csv.DictReader(body)
    fields = set(reader.fieldnames or ())
    missing = {"bin", "bank", "type", "length"} - fields
    if missing:
        raise ConfigurationError(
            f"BIN table {origin} lacks columns: {', '.join(sorted(missing))}",
            code="bad_bin_table",
        )
    rows: list[Issuer] = []
    for n, rec in enumerate(reader, start=2):
        prefix = (rec.get("bin") or "").strip()
        length_text = (rec.get("length") or "").strip()
        code = (rec.get("type") or "").strip().upper()
        bank = (rec.get("bank") or "").strip()
        ok = (
            prefix.isascii()
            and prefix.isdigit()
            and length_text.isascii()
            and length_text.isdigit()
            and code in _CARD_TYPE_CODES
            and bank
        )
        length = int(length_text) if ok else 0
        if not ok or not (MIN_LENGTH <= length <= MAX_LENGTH) or len(prefix) >= length:
            raise ConfigurationError(
                f"BIN table {origin}: bad row {n} of the CSV body", code="bad_bin_table"
            )
        rows.append(
            Issuer(
                bin=prefix,
                length=length,
                bank_code=bank,
                bank_name=(rec.get("name") or "").strip() or bank,
                card_type=_CARD_TYPE_CODES[code],
            )
        )
    return rows, meta


def load_bin_table(
    path: str | Path,
    *,
    names: str | Path | None = None,
    source: BinSource | None = None,
) -> BinTable:
    """Load a BIN table from a CSV file with columns ``bin,bank,type,length`` (+ ``name``).

    This is the packaged file's format and also hexindai/bcbc's ``bin.csv``; with
    ``names`` (a ``bank,name`` CSV such as bcbc's ``name.csv``) the bank names are
    joined in. Lines starting with ``#`` are comments; ``# data-date: ...`` style
    lines fill :class:`BinSource` when ``source`` is not given.
    """
    p = Path(path)
    try:
        with p.open(encoding="utf-8", newline="") as f:
            rows, meta = _parse_bin_csv(f, origin=p.name)
        name_map: dict[str, str] = {}
        if names is not None:
            with Path(names).open(encoding="utf-8", newline="") as f:
                name_map = {
                    r["bank"].strip(): r["name"].strip()
                    for r in csv.DictReader(f)
                    if r.get("bank") and r.get("name")
                }
    except (OSError, UnicodeDecodeError, csv.Error, KeyError) as e:
        raise ConfigurationError(
            f"cannot read BIN table {p.name}: {type(e).__name__}", code="bad_bin_table"
        ) from e
    if name_map:
        rows = [attrs.evolve(r, bank_name=name_map.get(r.bank_code, r.bank_name)) for r in rows]
    if source is None and "source" in meta:
        source = BinSource(
            repository=meta.get("source", "").split(" ")[0],
            commit=meta.get("commit", ""),
            data_date=meta.get("data-date", ""),
            licence=meta.get("licence", ""),
        )
    return BinTable.from_rows(rows, source=source)


@functools.cache
def packaged_bin_table() -> BinTable:
    """Return the packaged table (hexindai/bcbc, 2020-12-11), loaded on first use."""
    text = (
        importlib.resources.files("antifraud_common")
        .joinpath("data", "bin_table.csv")
        .read_text(encoding="utf-8")
    )
    rows, _ = _parse_bin_csv(text.splitlines(), origin="bin_table.csv")
    return BinTable.from_rows(rows, source=BIN_TABLE_SOURCE)


@functools.cache
def _legacy_table() -> BinTable:
    # Legacy domestic BINs: rows of the *packaged* table that no international
    # scheme range covers. Fixed by the packaged data so that every implementation
    # accepts the same numbers, whatever table a caller uses for issuer lookup.
    rows = [r for r in packaged_bin_table() if _scheme_of(r.bin) is CardScheme.UNKNOWN]
    return BinTable.from_rows(rows, source=BIN_TABLE_SOURCE)


# --------------------------------------------------------------- validation


def _scheme_of(digits: str) -> CardScheme:
    for width in _IIN_WIDTHS:
        found = _IIN_EXACT.get(digits[:width]) if len(digits) >= width else None
        if found is not None:
            return found
    return CardScheme.UNKNOWN


def compact(raw: object) -> str:
    """Clean ``raw`` (spaces, dashes, full-width, invisible characters) without validating.

    >>> compact("６２２２-0211 2345 6789 014")
    '6222021123456789014'
    """
    return digits_only(raw, max_length=_MAX_RAW, separators=SEPARATORS, what="card number").text


def _check(raw: object, strict_luhn: bool) -> tuple[str, CardScheme, frozenset[CardFlag]]:
    cleaned = digits_only(raw, max_length=_MAX_RAW, separators=SEPARATORS, what="card number")
    number = cleaned.text
    flags: set[CardFlag] = set()
    if cleaned.fullwidth:
        flags.add(CardFlag.FULLWIDTH)
    if cleaned.invisible:
        flags.add(CardFlag.INVISIBLE)
    n = len(number)
    if n < MIN_LENGTH:
        raise InvalidLengthError(
            f"a card number has at least {MIN_LENGTH} digits, got {n}", code="too_short"
        )
    if n > MAX_LENGTH:
        raise InvalidLengthError(
            f"a card number has at most {MAX_LENGTH} digits, got {n}", code="too_long"
        )
    if number.count(number[0]) == n:
        raise InvalidComponentError(
            "a card number cannot be one digit repeated", code="dummy_number"
        )
    if number.startswith("89"):
        raise InvalidComponentError(
            "IIN 89 is assigned to telecommunications (SIM serial numbers), not payment cards",
            code="not_a_payment_card",
        )
    sch = _scheme_of(number)
    if n not in SCHEME_LENGTHS[sch]:
        allowed = sorted(SCHEME_LENGTHS[sch])
        raise InvalidLengthError(
            f"a {sch.value} card number has {allowed[0]}-{allowed[-1]} digits "
            f"({', '.join(map(str, allowed))}), got {n}",
            code="length_not_allowed_for_scheme",
        )
    legacy = sch is CardScheme.UNKNOWN and _legacy_table().lookup(number) is not None
    if legacy:
        flags.add(CardFlag.LEGACY_DOMESTIC_BIN)
    try:
        luhn_ok = luhn.checksum(number) == 0
    except _StdnumValidationError as e:  # pragma: no cover - number is ASCII digits
        raise InvalidChecksumError("the card number cannot be Luhn-checked") from e
    if not luhn_ok:
        if strict_luhn or not legacy:
            raise InvalidChecksumError("the card number's Luhn check digit does not match")
        flags.add(CardFlag.LUHN_FAILED)
    return number, sch, frozenset(flags)


def validate(raw: object, *, strict_luhn: bool = False) -> str:
    """Return the canonical card number (ASCII digits) or raise a :class:`ValidationError`.

    ``strict_luhn=True`` also rejects legacy domestic BINs whose Luhn check fails.

    >>> validate("9558 8012 3456 7890 123")  # legacy ICBC BIN, Luhn mismatch tolerated
    '9558801234567890123'
    >>> validate("9558 8012 3456 7890 123", strict_luhn=True)
    Traceback (most recent call last):
    ...
    antifraud_common.errors.InvalidChecksumError: the card number's Luhn check digit does not match
    """
    return _check(raw, strict_luhn)[0]


def is_valid(raw: object, *, strict_luhn: bool = False) -> bool:
    """Return whether :func:`validate` accepts ``raw``; never raises.

    >>> is_valid("4111111111111111"), is_valid(None), is_valid("4111")
    (True, False, False)
    """
    try:
        _check(raw, strict_luhn)
    except ValidationError:
        return False
    return True


def scheme(raw: object) -> CardScheme:
    """Return the scheme of a valid card number (most specific IIN prefix wins).

    >>> scheme("6011 0009 9013 9424"), scheme("3530111333300000")
    (<CardScheme.DISCOVER: 'discover'>, <CardScheme.JCB: 'jcb'>)
    """
    return _check(raw, False)[1]


def is_legacy_domestic(raw: object) -> bool:
    """Return whether a valid card number has a legacy domestic BIN (Luhn not enforced).

    >>> is_legacy_domestic("9558801234567890123"), is_legacy_domestic("4111111111111111")
    (True, False)
    """
    return CardFlag.LEGACY_DOMESTIC_BIN in _check(raw, False)[2]


def issuer(raw: object, *, table: BinTable | None = None) -> Issuer | None:
    """Return the issuing bank of a valid card number, or ``None`` when the table has no row.

    The match is the longest BIN prefix with a row for the card's own length,
    so ``622309`` finds 浙商银行 for 19 digits and 中国工商银行 for 18 digits.
    """
    number = _check(raw, False)[0]
    return (table if table is not None else packaged_bin_table()).lookup(number)


def in_card_range(raw: object) -> bool:
    """Return whether ``raw`` has the length and prefix of a payment card, valid or not.

    True for 12 to 19 digits whose prefix is a known scheme's IIN or a legacy
    domestic BIN and whose length that scheme allows, whatever the Luhn check
    digit says: a mistyped card number is in a card range. Such a value is masked
    wherever it is shown, even when it was read as something else (a bank
    account). Never raises.

    >>> in_card_range("6222021123456789015"), in_card_range("1202020309900012345")
    (True, False)
    >>> in_card_range("4111 1111 1111 1111"), in_card_range(None)
    (True, False)
    """
    try:
        number = compact(raw)
    except ValidationError:
        return False
    if not number.isdigit():
        return False
    if not number.isascii():  # full-width and other decimal digits
        number = "".join(str(int(d)) for d in number)
    n = len(number)
    if not MIN_LENGTH <= n <= MAX_LENGTH:
        return False
    sch = _scheme_of(number)
    if sch is CardScheme.UNKNOWN:
        return _legacy_table().lookup(number) is not None
    return n in SCHEME_LENGTHS[sch]


def mask(value: object) -> str:
    """Return the card number with all but the first 6 and last 4 digits as ``*``.

    Numbers of 10 digits or fewer are masked completely. Only cleaning is applied,
    so any input that cleans to digits can be masked.

    >>> mask("6222 0211 2345 6789 014")
    '622202*********9014'
    """
    text = compact(value)
    n = len(text)
    if n <= 10:
        return "*" * n
    return text[:6] + "*" * (n - 10) + text[-4:]


# A run of digits, each pair optionally separated by one space or hyphen.
_DIGIT_RUN: Final = re.compile(r"\d(?:[ \-]?\d)*")
_DIGITS: Final = re.compile(r"\d+")


def _card_shaped(digits: str) -> bool:
    if not MIN_LENGTH <= len(digits) <= MAX_LENGTH:
        return False
    ascii_digits = "".join(str(int(d)) for d in digits)  # full-width and other digits too
    return luhn.is_valid(ascii_digits) or is_valid(ascii_digits)


def _mask_digits(run: str) -> str:
    positions = [i for i, ch in enumerate(run) if ch.isdigit()]
    hidden = set(positions[6:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(run))


def mask_in_text(text: str) -> str:
    """Mask every card-shaped digit run in free text (a case reference, a note).

    Card-shaped: a run of 12 to 19 digits, optionally grouped by single spaces
    or hyphens, that passes the Luhn check or is a valid card number (a legacy
    domestic BIN may fail Luhn). Such a run keeps its first 6 and last 4 digits
    and its separators; when a longer run is not card-shaped, each of its
    unseparated groups is tried alone. Other text is returned unchanged, so
    about one in ten long digit runs that are not cards (a Luhn check passes by
    chance) is masked too: this is for output, never for stored data.

    >>> mask_in_text("case 2024-17, card 6222 0211 2345 6789 014 seized")
    'case 2024-17, card 6222 02** **** ***9 014 seized'
    >>> mask_in_text("ref 6222021123456789014/A")
    'ref 622202*********9014/A'
    >>> mask_in_text("tel 13800138000, file 20240101000123")
    'tel 13800138000, file 20240101000123'
    """
    if sum(ch.isdigit() for ch in text) < MIN_LENGTH:
        return text

    def one(m: re.Match[str]) -> str:
        run = m.group()
        if _card_shaped("".join(ch for ch in run if ch.isdigit())):
            return _mask_digits(run)
        return _DIGITS.sub(
            lambda g: _mask_digits(g.group()) if _card_shaped(g.group()) else g.group(), run
        )

    return _DIGIT_RUN.sub(one, text)


def display(value: object) -> str:
    """Return the validated number grouped for reading (4-6-5 for 15 digits, 4-6-4 for 14).

    >>> display("378282246310005")
    '3782 822463 10005'
    """
    number = validate(value)
    n = len(number)
    if n in (14, 15):
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return " ".join(number[i : i + 4] for i in range(0, n, 4))


# --------------------------------------------------------------------- info


@attrs.frozen(kw_only=True)
class CardInfo:
    """What :func:`info` found. ``repr`` and :meth:`to_dict` show only the masked number."""

    number: str = attrs.field(repr=False)
    masked: str
    scheme: CardScheme
    length: int
    issuer: Issuer | None
    luhn_valid: bool
    flags: frozenset[CardFlag]
    bin_source: BinSource | None = attrs.field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-safe result used by ``antifraud check`` (no full number)."""
        return {
            "value": self.masked,
            "masked": True,
            "scheme": self.scheme.value,
            "length": self.length,
            "issuer": None if self.issuer is None else self.issuer.to_dict(),
            "bin_source": None if self.bin_source is None else self.bin_source.to_dict(),
            "luhn_valid": self.luhn_valid,
            "flags": sorted(f.value for f in self.flags),
        }


def info(raw: object, *, table: BinTable | None = None, strict_luhn: bool = False) -> CardInfo:
    """Validate ``raw`` and describe it: scheme, issuer, Luhn result and flags.

    >>> i = info("9558 8012 3456 7890 123")
    >>> sorted(f.value for f in i.flags), i.issuer.bank_code
    (['legacy_domestic_bin', 'luhn_failed'], 'ICBC')
    """
    number, sch, flags = _check(raw, strict_luhn)
    tab = table if table is not None else packaged_bin_table()
    found = tab.lookup(number)
    return CardInfo(
        number=number,
        masked=mask(number),
        scheme=sch,
        length=len(number),
        issuer=found,
        luhn_valid=CardFlag.LUHN_FAILED not in flags,
        flags=flags,
        bin_source=tab.source if found is not None else None,
    )
