"""Phone-column values an attacker (or a broken export) may choose, by shape.

Each shape is a list of distinct values (except ``repeated``), all of them invalid or
nearly so, of the kinds a hostile or damaged file holds: junk with letters, digits of
impossible lengths, numbers in unallocated +86 blocks, random foreign numbers, Chinese
text, printable garbage. ``valid`` and ``valid foreign`` are the baselines. Values
never hold a comma, a quote or a line break, so each is one CSV cell on one line on
every screening path.
"""

from __future__ import annotations

import random
import string

#: Printable ASCII without the characters that would split or quote a CSV cell.
_PRINTABLE = "".join(c for c in string.printable[:94] if c not in ',"')


def shapes(n: int, seed: int = 3) -> dict[str, list[str]]:
    """``{shape: n values}`` (deterministic for a seed)."""
    rng = random.Random(seed)

    def digits(lo: int, hi: int) -> str:
        return str(rng.randrange(10 ** rng.randrange(lo, hi)))

    return {
        "valid": [f"138{rng.randrange(10**8):08d}" for _ in range(n)],
        "valid foreign": [
            f"+1415{rng.randrange(2, 10)}{rng.randrange(10**6):06d}" for _ in range(n)
        ],
        "repeated invalid": ["1"] * n,
        "distinct invalid": [f"x{i}" for i in range(n)],
        "digits then letters": [f"138{rng.randrange(10**4)}abc{i}" for i in range(n)],
        "short digits": [digits(1, 9) for _ in range(n)],
        "long digits": [str(rng.randrange(10**12, 10**19)) for _ in range(n)],
        "unallocated 11-digit": [
            f"1{rng.choice('0249')}{rng.randrange(10**9):09d}" for _ in range(n)
        ],
        "trunk zero": ["0" + digits(6, 11) for _ in range(n)],
        "+86 any length": ["+86" + digits(1, 16) for _ in range(n)],
        "distinct foreign-looking": [f"+{rng.randrange(10**7, 10**13)}" for _ in range(n)],
        "00 foreign": [f"00{rng.randrange(10**7, 10**13)}" for _ in range(n)],
        "printable junk": [
            "".join(rng.choice(_PRINTABLE) for _ in range(rng.randrange(1, 16))).strip() or "?"
            for _ in range(n)
        ],
        "chinese text": [
            "".join(chr(rng.randrange(0x4E00, 0xA000)) for _ in range(rng.randrange(1, 5)))
            + str(i % 1000)
            for i in range(n)
        ],
        "mixed text": [
            rng.choice(
                ["张三", "１３８号码", "电话 123", "138转2", "李\u200b四", "ｔｅｌ", "未知", "N/A"]
            )
            + str(i)
            for i in range(n)
        ],
    }
