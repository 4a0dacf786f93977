"""The README's Python examples run as written."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples() -> None:
    result = doctest.testfile(
        str(README),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted >= 10
    assert result.failed == 0


def test_readme_names_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "pip install . && antifraud demo" in text
    assert "pip install -e '.[test]' && pytest" in text
