"""Build src/antifraud_common/data/bin_table.csv from the hexindai/bcbc data files.

Usage::

    python scripts/build_bin_table.py BCBC_DATA_DIR [OUTPUT]

``BCBC_DATA_DIR`` holds ``bin.csv`` (``bin,bank,type,length``) and ``name.csv``
(``bank,name``) from https://github.com/hexindai/bcbc. The output joins the two,
checks every row (ASCII-digit prefix of 3-10 digits, card length 12-19, known card
type, a name for every bank code, no duplicate ``(bin, length)``), sorts by
``(bin, length)`` and writes a ``#`` comment header naming the source repository,
commit, licence and data date, so the packaged file says where it came from.
The output is deterministic: running the script twice gives identical bytes.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

REPOSITORY = "https://github.com/hexindai/bcbc"
COMMIT = "de631827ffe8db2792d140f3476b02498fc1244f"
DATA_DATE = "2020-12-11"
LICENCE = "MIT, Copyright (c) 2018 - 2020 Runrioter (see LICENSE-bcbc)"
CARD_TYPES = {"DC", "CC", "SCC", "PC"}
DEFAULT_OUTPUT = (
    Path(__file__).resolve().parent.parent / "src" / "antifraud_common" / "data" / "bin_table.csv"
)


def build(data_dir: Path) -> str:
    """Return the text of the packaged table built from ``data_dir``."""
    with (data_dir / "name.csv").open(encoding="utf-8", newline="") as f:
        names = {row["bank"].strip(): row["name"].strip() for row in csv.DictReader(f)}
    rows: dict[tuple[str, int], tuple[str, str, str]] = {}
    with (data_dir / "bin.csv").open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            prefix, bank = row["bin"].strip(), row["bank"].strip()
            card_type, length = row["type"].strip(), int(row["length"])
            if not (prefix.isascii() and prefix.isdigit() and 3 <= len(prefix) <= 10):
                raise SystemExit(f"bin.csv line {n}: bad prefix {prefix!r}")
            if not 12 <= length <= 19 or len(prefix) >= length:
                raise SystemExit(f"bin.csv line {n}: bad card length {length}")
            if card_type not in CARD_TYPES:
                raise SystemExit(f"bin.csv line {n}: unknown card type {card_type!r}")
            if bank not in names:
                raise SystemExit(f"bin.csv line {n}: bank code {bank!r} has no name")
            if (prefix, length) in rows:
                raise SystemExit(f"bin.csv line {n}: duplicate ({prefix}, {length})")
            rows[(prefix, length)] = (bank, names[bank], card_type)
    out = io.StringIO()
    out.write("# Chinese bank card BIN table (issuer fallback for antifraud_common.card)\n")
    out.write(f"# source: {REPOSITORY} data/bin.csv + data/name.csv\n")
    out.write(f"# commit: {COMMIT}\n")
    out.write(f"# data-date: {DATA_DATE}\n")
    out.write(f"# licence: {LICENCE}\n")
    out.write(f"# rows: {len(rows)}\n")
    out.write("# built-by: scripts/build_bin_table.py\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["bin", "bank", "name", "type", "length"])
    for (prefix, length), (bank, name, card_type) in sorted(rows.items()):
        writer.writerow([prefix, bank, name, card_type, length])
    return out.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    output = Path(argv[2]) if len(argv) == 3 else DEFAULT_OUTPUT
    output.write_text(build(Path(argv[1])), encoding="utf-8", newline="\n")
    print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
