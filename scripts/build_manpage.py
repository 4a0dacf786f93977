"""Write the man page and the completion scripts generated from the CLI's parser.

Usage::

    python scripts/build_manpage.py [--check]

Writes ``docs/man/antifraud.1`` (roff), ``docs/man/antifraud.bash`` and
``docs/man/antifraud.zsh`` from :func:`antifraud_common.cli.build_parser`, so every
command and option of the parser is documented there. The output is deterministic
(no dates). With ``--check`` nothing is written: the exit status is 1 when a
committed file differs from what the parser gives (``tests/test_cli_docgen.py``
runs the same check).
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "man"


def generated() -> dict[str, str]:
    """File name -> content, from the parser."""
    from antifraud_common import __version__
    from antifraud_common.cli import build_parser
    from antifraud_common.cli._docgen import completion_script, manpage

    parser = build_parser()
    return {
        "antifraud.1": manpage(parser, __version__),
        "antifraud.bash": completion_script(parser, "bash"),
        "antifraud.zsh": completion_script(parser, "zsh"),
    }


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    stale = []
    for name, text in generated().items():
        path = OUT / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name in stale:
        print(f"docs/man/{name} is not the generated one: run scripts/build_manpage.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
