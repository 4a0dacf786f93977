"""Build src/antifraud_common/data/unicode_classes.txt: the character classes cleaning uses.

Usage::

    python3.11 scripts/build_unicode_tables.py [--check] [OUTPUT]

Identifier cleaning (``antifraud_common._text``) deletes invisible format
characters and spaces and refuses letters, digits of other scripts and control
characters with distinct error codes. Which code point falls in which class is
a fact of one Unicode version; reading it from the running interpreter's
``unicodedata`` would make verdicts change with the Python version (3.11 ships
Unicode 14.0, 3.12 Unicode 15.0, 3.13 Unicode 15.1). So the classes are taken
once, from the Unicode Character Database the spec pins (14.0.0, which is what
Python 3.11's ``unicodedata`` holds), and shipped as package data.

The output covers every code point U+0000..U+10FFFF exactly once, as inclusive
ranges ``FIRST LAST CLASS`` (upper-case hex), merged where neighbours share a
class. Classes, from the general category:

* ``invisible``: ``Cf`` (deleted by cleaning, flag ``invisible_chars``);
* ``space``: ``Zs`` (deleted by cleaning);
* ``letter``: ``Lu Ll Lt Lm Lo`` (``letters_not_allowed``);
* ``digit``: ``Nd``, or another ``N*`` with a digit value (``foreign_digits``);
* ``control``: ``Cc Cs Co Cn`` (``control_characters``);
* ``other``: everything else (``unexpected_character``).

The script refuses to run on an interpreter whose ``unicodedata`` is not the
pinned version, so the file can only be regenerated to the same bytes.
``--check`` compares instead of writing (exit 1 when the file differs).
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

UNICODE_VERSION = "14.0.0"
TABLE_VERSION = 1
DEFAULT_OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "src"
    / "antifraud_common"
    / "data"
    / "unicode_classes.txt"
)
_MAX = 0x10FFFF


def char_class(cp: int) -> str:
    """The cleaning class of code point ``cp`` in the running ``unicodedata``."""
    ch = chr(cp)
    cat = unicodedata.category(ch)
    if cat == "Cf":
        return "invisible"
    if cat == "Zs":
        return "space"
    if cat[0] == "L":
        return "letter"
    if cat == "Nd" or (cat[0] == "N" and unicodedata.digit(ch, None) is not None):
        return "digit"
    if cat in ("Cc", "Cs", "Co", "Cn"):
        return "control"
    return "other"


def ranges() -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    start, current = 0, char_class(0)
    for cp in range(1, _MAX + 1):
        c = char_class(cp)
        if c != current:
            out.append((start, cp - 1, current))
            start, current = cp, c
    out.append((start, _MAX, current))
    return out


def build() -> str:
    if unicodedata.unidata_version != UNICODE_VERSION:
        raise SystemExit(
            f"this interpreter's unicodedata is Unicode {unicodedata.unidata_version}; "
            f"the table is pinned to {UNICODE_VERSION}: run the script with Python 3.11"
        )
    header = [
        "# Character classes for identifier cleaning (antifraud_common).",
        f"# table_version: {TABLE_VERSION}",
        f"# unicode_version: {UNICODE_VERSION}",
        "# source: Unicode Character Database (UnicodeData.txt general categories and digit",
        f"#   values), version {UNICODE_VERSION}, as shipped in Python 3.11's unicodedata.",
        "# generated_by: scripts/build_unicode_tables.py (deterministic: same bytes every run)",
        "# format: FIRST LAST CLASS -- inclusive code point range in upper-case hex; the",
        "#   ranges cover U+0000..U+10FFFF exactly once, in order.",
        "# classes: invisible (Cf), space (Zs), letter (L*), digit (Nd, or N* with a digit",
        "#   value), control (Cc Cs Co Cn), other (everything else).",
    ]
    body = [f"{a:04X} {b:04X} {c}" for a, b, c in ranges()]
    return "\n".join(header + body) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        same = args.output.is_file() and args.output.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{args.output} differs", file=sys.stderr)
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {args.output}: {text.count(chr(10)) - 10} ranges", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
