"""Screening files for the benchmarks and tests (shared module, not a benchmark).

Three files of call records with a ``phone`` and a ``card`` column, written
deterministically from a seed:

* **clean** (:func:`write_clean`): the screening benchmark's original shape, 95 %
  plain 11-digit mobiles over 27 prefixes, 3 % spaced, 2 % short junk, half
  the rows with a Luhn-correct 62 card, about 1 % listed;
* **messy** (:func:`write_messy`): values drawn from the realistic generator
  (:mod:`_realistic`: every allocated mobile prefix, fixed lines, MVNO and
  data-card ranges; cards over the packaged BINs), about a third written the
  way users type them (separators, ``+86``/``0086``, a trunk ``0``, full-width
  digits, invisible characters: :func:`_realistic.messy`), a few percent junk
  look-alikes (a digit too few or too many, a letter O for a zero, spreadsheet
  floats, a broken Luhn digit), empty cells, and a few percent listed (decided per
  distinct value, so the share of listed cells stays about 3 % at any size);
* **Parquet** (:func:`write_parquet`): a CSV file's rows as a Parquet file
  (needs pyarrow), every column a string.

Each writer returns the listed canonical values, to build the index from.

    python benchmarks/_screen_data.py DIR [--n 1000000] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stdnum import luhn

from _realistic import messy, realistic_values

__all__ = ["HEADER", "write_clean", "write_messy", "write_parquet"]

HEADER = ["id", "name", "phone", "card", "amount"]
PREFIXES = [f"13{d}" for d in range(10)] + ["150", "151", "152", "153", "155", "156", "157"]
PREFIXES += ["158", "159", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189"]
#: Distinct canonical values drawn per kind for the messy file (sampled with replacement).
POOL = 1_000_000


def _clean_card(rnd: random.Random) -> str:
    body = "62" + "".join(rnd.choice("0123456789") for _ in range(13 if rnd.random() < 0.8 else 16))
    return body + luhn.calc_check_digit(body)


def write_clean(path: Path, n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """Write the clean file; return (listed phones E.164, listed cards)."""
    rnd = random.Random(seed)
    listed_phones: set[str] = set()
    listed_cards: set[str] = set()
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for i in range(n):
            national = rnd.choice(PREFIXES) + f"{rnd.randrange(10**8):08d}"
            r = rnd.random()
            if r < 0.95:
                phone = national
            elif r < 0.98:
                phone = f"{national[:3]} {national[3:7]} {national[7:]}"
            else:
                phone = str(rnd.randrange(10**6))  # not a phone number
            card = _clean_card(rnd) if rnd.random() < 0.5 else ""
            if rnd.random() < 0.01 and r < 0.98:
                listed_phones.add("+86" + national)
            if card and rnd.random() < 0.01:
                listed_cards.add(card)
            w.writerow([i, f"user{i}", phone, card, rnd.randrange(100000)])
    return sorted(listed_phones), sorted(listed_cards)


def _plain(kind: str, value: str) -> str:
    """How a value most often appears in records: national digits for +86 numbers."""
    if kind == "phone" and value.startswith("+86"):
        nsn = value[3:]
        return nsn if nsn[0] == "1" else "0" + nsn
    return value


def _junk(kind: str, value: str, rnd: random.Random) -> str:
    """A look-alike that is (almost always) not a valid identifier."""
    digits = _plain(kind, value)
    style = rnd.randrange(5)
    if style == 0:
        return digits[:-1]  # a digit too few
    if style == 1:
        return digits + rnd.choice("0123456789")  # a digit too many
    if style == 2:
        i = rnd.randrange(1, len(digits))
        return digits[:i] + "O" + digits[i + 1 :]  # a letter O for a zero
    if style == 3:
        return digits + ".0"  # a spreadsheet float
    if kind == "bank_card":
        return digits[:-1] + str((int(digits[-1]) + 1) % 10)  # a broken Luhn digit
    return "1" + "".join(rnd.choice("0123456789") for _ in range(rnd.randrange(4, 8)))


def _pools(n: int, seed: int) -> tuple[list[str], list[str]]:
    size = min(n, POOL)
    phones = list(realistic_values("phone", size, seed=seed))
    cards = list(realistic_values("bank_card", max(size // 2, 1), seed=seed))
    return phones, cards


def write_messy(
    path: Path,
    n: int,
    seed: int = 11,
    *,
    messy_share: float = 1 / 3,
    junk_share: float = 0.04,
    listed_share: float = 0.03,
) -> tuple[list[str], list[str]]:
    """Write the messy file; return (listed phones, listed cards), canonical."""
    rnd = random.Random(seed)
    phones, cards = _pools(n, seed)
    listed: dict[str, set[str]] = {"phone": set(), "bank_card": set()}
    # Listed or not is decided once per distinct value, so about listed_share of the
    # cells name a listed value whatever n (values repeat once n passes POOL).
    flags = {
        id(pool): [rnd.random() < listed_share for _ in range(len(pool))]
        for pool in (phones, cards)
    }

    def cell(kind: str, pool: list[str]) -> str:
        at = rnd.randrange(len(pool))
        value = pool[at]
        if flags[id(pool)][at]:
            listed[kind].add(value)
        r = rnd.random()
        if r < messy_share:
            return messy(kind, value, rnd)
        if r < messy_share + junk_share:
            return _junk(kind, value, rnd)
        return _plain(kind, value)

    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for i in range(n):
            phone = cell("phone", phones)
            card = cell("bank_card", cards) if rnd.random() < 0.6 else ""
            w.writerow([i, f"user{i}", phone, card, rnd.randrange(100000)])
    return sorted(listed["phone"]), sorted(listed["bank_card"])


def write_parquet(csv_path: Path, path: Path) -> None:
    """Write the rows of ``csv_path`` as a Parquet file of string columns."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(HEADER, pa.string()),
        strings_can_be_null=False,
        null_values=[],
    )
    parse = pacsv.ParseOptions(quote_char='"')
    table = pacsv.read_csv(str(csv_path), parse_options=parse, convert_options=convert)
    pq.write_table(table, str(path), row_group_size=128 * 1024)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=11)
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    write_clean(a.out / "clean.csv", a.n)
    write_messy(a.out / "messy.csv", a.n, a.seed)
    write_parquet(a.out / "messy.csv", a.out / "messy.parquet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
