"""Shared input cleaning for every identifier validator (private).

The rules are deliberately narrow (see docs/validators.md, "Cleaning"):

* only ``str`` is accepted, and its length is checked before anything else;
* full-width forms U+FF01..U+FF5E fold to ASCII and U+3000 (ideographic space)
  to a space -- the flag ``fullwidth`` records it;
* invisible format characters (Unicode category ``Cf``: zero-width space and
  joiners, word joiner, BOM, soft hyphen, LRM/RLM/ALM, bidi embeddings,
  overrides and isolates ...) are deleted -- the flag ``invisible`` records it,
  because they are evidence of deliberate obfuscation;
* separators on an allow-list (every ``Zs`` space plus a per-identifier set such
  as ``- . / ( )`` and dash variants) are deleted;
* categories are those of the packaged table ``data/unicode_classes.txt``
  (Unicode 14.0.0, see :data:`UNICODE_VERSION`), never the running
  interpreter's ``unicodedata``, so verdicts do not change with the Python
  version;
* nothing else is changed: letters, digits of other scripts, control
  characters and punctuation stay, so the caller can reject them with a precise
  error code (:func:`reject_unexpected`). No NFKC: it would admit superscript
  and circled digits.
"""

from __future__ import annotations

import bisect
import functools
import unicodedata
from typing import NamedTuple

from antifraud_common.errors import InvalidFormatError, InvalidLengthError

#: Dash variants treated like ``-`` wherever ``-`` is an allowed separator.
DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\u30fc")
#: The default separator set for numeric identifiers.
DEFAULT_SEPARATORS = frozenset(" .-/()") | DASHES

#: The Unicode version of the packaged character classes (``data/unicode_classes.txt``).
UNICODE_VERSION = "14.0.0"

_FULLWIDTH_DELTA = 0xFF01 - 0x21
_FOLD_TABLE = {cp: cp - _FULLWIDTH_DELTA for cp in range(0xFF01, 0xFF5F)}
_FOLD_TABLE[0x3000] = 0x20


class Cleaned(NamedTuple):
    """Result of :func:`clean`: the cleaned text and what cleaning saw."""

    text: str
    fullwidth: bool
    invisible: bool


class _Classes(NamedTuple):
    starts: list[int]
    names: list[str]
    invisible: dict[int, None]
    spaces: frozenset[int]


@functools.cache
def _classes() -> _Classes:
    """The packaged character classes (read once, on the first non-ASCII input)."""
    from importlib import resources

    text = (resources.files("antifraud_common") / "data" / "unicode_classes.txt").read_text(
        encoding="ascii"
    )
    starts: list[int] = []
    names: list[str] = []
    invisible: dict[int, None] = {}
    spaces: set[int] = set()
    version = None
    expected = 0
    for line in text.splitlines():
        if line[:1] == "#":
            if line.startswith("# unicode_version: "):
                version = line.split(": ", 1)[1]
            continue
        first, last, name = line.split(" ")
        a, b = int(first, 16), int(last, 16)
        if a != expected or b < a:  # pragma: no cover - guards a corrupted installation
            raise RuntimeError("data/unicode_classes.txt is corrupted (ranges out of order)")
        expected = b + 1
        starts.append(a)
        names.append(name)
        if name == "invisible":
            invisible.update(dict.fromkeys(range(a, b + 1)))
        elif name == "space":
            spaces.update(range(a, b + 1))
    if version != UNICODE_VERSION or expected != 0x110000:  # pragma: no cover - as above
        raise RuntimeError("data/unicode_classes.txt does not match this library version")
    return _Classes(starts, names, invisible, frozenset(spaces))


def char_class(ch: str) -> str:
    """The cleaning class of one character: ``invisible``, ``space``, ``letter``,
    ``digit``, ``control`` or ``other`` (from the packaged Unicode 14.0.0 table).

    >>> char_class("\u200b"), char_class("\u3000"), char_class("\U00013439")
    ('invisible', 'space', 'control')
    """
    c = _classes()
    return c.names[bisect.bisect_right(c.starts, ord(ch)) - 1]


@functools.lru_cache(maxsize=64)
def _deletion_table(separators: frozenset[str], *, spaces: bool = False) -> dict[int, None]:
    """``str.translate`` table deleting ``separators`` (plus every ``Zs`` space if asked)."""
    table: dict[int, None] = dict.fromkeys(map(ord, separators))
    if spaces:
        table.update(dict.fromkeys(_classes().spaces))
    return table


def check_str(raw: object, *, max_length: int, what: str = "value") -> str:
    """Return ``raw`` if it is a ``str`` of at most ``max_length`` characters.

    >>> check_str("123", max_length=5)
    '123'
    >>> check_str(123, max_length=5)
    Traceback (most recent call last):
    ...
    antifraud_common.errors.InvalidFormatError: a value must be given as str, not int
    """
    if not isinstance(raw, str):
        raise InvalidFormatError(
            f"a {what} must be given as str, not {type(raw).__name__}", code="not_a_string"
        )
    if len(raw) > max_length:
        raise InvalidLengthError(
            f"the {what} is longer than {max_length} characters", code="input_too_long"
        )
    # A str subclass may override methods; work on (and return) a plain str copy.
    return raw if type(raw) is str else str.__str__(raw)


def clean(
    raw: object,
    *,
    max_length: int = 64,
    separators: frozenset[str] = DEFAULT_SEPARATORS,
    what: str = "value",
) -> Cleaned:
    """Apply the shared cleaning rules and report what was folded or removed.

    >>> clean("１３８ 0013-8000")
    Cleaned(text='13800138000', fullwidth=True, invisible=False)
    >>> clean("138\\u200b0013\\u200b8000")
    Cleaned(text='13800138000', fullwidth=False, invisible=True)
    """
    text = check_str(raw, max_length=max_length, what=what)
    if text.isascii():
        # Fast path: nothing to fold and no Cf characters can be present.
        if text.isdigit():
            return Cleaned(text, fullwidth=False, invisible=False)
        out = text.translate(_deletion_table(separators))
        return Cleaned(out, fullwidth=False, invisible=False)
    folded = text.translate(_FOLD_TABLE)
    fullwidth = folded != text
    table = _deletion_table(separators, spaces=True)
    if folded.isascii():
        # Only full-width forms were present: no Cf characters, and the only
        # Zs character left is the ASCII space.
        return Cleaned(folded.translate(table), fullwidth=fullwidth, invisible=False)
    visible = folded.translate(_classes().invisible)
    invisible = len(visible) != len(folded)
    return Cleaned(visible.translate(table), fullwidth=fullwidth, invisible=invisible)


def reject_unexpected(text: str, *, allowed: str = "0123456789", what: str = "value") -> None:
    """Raise an :class:`InvalidFormatError` naming the first character not in ``allowed``.

    The ``code`` says what kind of character it was: ``letters_not_allowed``,
    ``foreign_digits`` (decimal digits of another script), ``control_characters``
    or ``unexpected_character``. The character is named by its code point only.

    >>> reject_unexpected("12a4")
    Traceback (most recent call last):
    ...
    antifraud_common.errors.InvalidFormatError: letters are not allowed in a value (U+0061 ...)
    """
    error = unexpected_error(text, allowed=allowed, what=what)
    if error is not None:
        raise error


def unexpected_error(
    text: str, *, allowed: str = "0123456789", what: str = "value"
) -> InvalidFormatError | None:
    """The error :func:`reject_unexpected` would raise for ``text``, or None; never raises.

    >>> unexpected_error("12a4").code, unexpected_error("1234")
    ('letters_not_allowed', None)
    """
    for ch in text:
        if ch in allowed:
            continue
        cp = f"U+{ord(ch):04X}"
        cls = char_class(ch)
        if cls == "letter":
            # The name is for people only: it comes from the interpreter's database.
            return InvalidFormatError(
                f"letters are not allowed in a {what} ({cp} {unicodedata.name(ch, '?')})",
                code="letters_not_allowed",
            )
        if cls == "digit":
            return InvalidFormatError(
                f"only ASCII digits are allowed in a {what}, found {cp}", code="foreign_digits"
            )
        if cls == "control":
            return InvalidFormatError(
                f"control or unassigned character {cp} in a {what}", code="control_characters"
            )
        return InvalidFormatError(
            f"unexpected character {cp} in a {what}", code="unexpected_character"
        )
    return None


#: Character class -> the error code :func:`reject_unexpected` gives for it.
_CLASS_CODES = {
    "letter": "letters_not_allowed",
    "digit": "foreign_digits",
    "control": "control_characters",
}


def unexpected_code(text: str, *, allowed: str = "0123456789") -> str | None:
    """The ``code`` of :func:`unexpected_error` for ``text``, without building the error.

    For bulk callers that keep only codes (no error object per value).

    >>> unexpected_code("12a4"), unexpected_code("12\x074"), unexpected_code("1234")
    ('letters_not_allowed', 'control_characters', None)
    """
    ascii_codes = _ascii_codes()
    for ch in text:
        if ch not in allowed:
            code = ascii_codes.get(ch)
            return code or _CLASS_CODES.get(char_class(ch), "unexpected_character")
    return None


@functools.cache
def _ascii_codes() -> dict[str, str]:
    """:func:`unexpected_code` of each ASCII character, from the packaged table."""
    return {
        chr(c): _CLASS_CODES.get(char_class(chr(c)), "unexpected_character") for c in range(128)
    }


def digits_only(
    raw: object,
    *,
    max_length: int = 64,
    separators: frozenset[str] = DEFAULT_SEPARATORS,
    what: str = "value",
) -> Cleaned:
    """Clean ``raw`` and require the result to be ASCII digits only (possibly empty)."""
    cleaned = clean(raw, max_length=max_length, separators=separators, what=what)
    text = cleaned.text
    if not (text.isascii() and text.isdigit()):
        reject_unexpected(text, what=what)
    return cleaned
