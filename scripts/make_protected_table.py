"""Write the packaged protected-numbers table into docs/spec/protected-numbers.md.

The specification publishes the table itself, not only examples, so an
implementation in another language can use the same data. The table between the
markers of ``docs/spec/protected-numbers.md`` is generated from
``src/antifraud_common/data/protected_numbers.csv``; ``--check`` exits 1 when the
document is out of date (the test suite runs it).

Usage::

    python scripts/make_protected_table.py [--check]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent
CSV_PATH = ROOT_DIR / "src" / "antifraud_common" / "data" / "protected_numbers.csv"
DOC_PATH = ROOT_DIR / "docs" / "spec" / "protected-numbers.md"
START = "<!-- protected-table:start (written by scripts/make_protected_table.py) -->"
END = "<!-- protected-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(csv_text: str) -> str:
    """The Markdown section for the CSV text (comment lines carry the compilation date)."""
    lines = csv_text.splitlines()
    compiled = next(
        (ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("# compiled:")), "?"
    )
    rows = list(csv.DictReader(ln for ln in lines if not ln.startswith("#")))
    out = [
        START,
        "",
        (
            f"The packaged table, compiled {compiled}: {len(rows)} identifiers. `value` is the "
            "canonical value a list entry holds."
        ),
        "",
        "| kind | value | category | name | source note |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        out.append(
            f"| `{row['kind']}` | `{row['value']}` | {row['category']} | "
            f"{_cell(row['name'])} | {_cell(row['source_note'])} |"
        )
    out += ["", END]
    return "\n".join(out)


def render(doc: str, csv_text: str) -> str:
    """Return ``doc`` with the marked section replaced by the table of ``csv_text``."""
    start, end = doc.find(START), doc.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{DOC_PATH}: the table markers are missing")
    return doc[:start] + table(csv_text) + doc[end + len(END) :]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = parser.parse_args(argv)
    doc = DOC_PATH.read_text(encoding="utf-8")
    new = render(doc, CSV_PATH.read_text(encoding="utf-8"))
    if args.check:
        if new != doc:
            print(f"{DOC_PATH} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
