"""Shared driver for the atheris harnesses in this directory.

Each harness module defines ``test_one_input(data: bytes) -> None`` (which must
raise nothing but the library's typed errors, swallowed inside, or an
``AssertionError`` for a broken property) and ``seeds() -> list[bytes]``.
``main(module)`` runs it under atheris (libFuzzer flags pass through, e.g.
``-runs=100000`` or ``-max_total_time=600``); without a corpus directory on the
command line the seeds are written to a temporary one first. The same
``test_one_input`` functions run without atheris in tests/test_fuzz_smoke.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CASES = (
    Path(__file__).resolve().parent.parent / "src" / "antifraud_common" / "conformance" / "cases"
)


def conformance_files(*names: str) -> Iterator[bytes]:
    """Yield the input files called ``names`` of every conformance case (small ones only)."""
    for path in sorted(CASES.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            for name, spec in case.get("files", {}).items():
                if name in names and "base64" in spec and len(spec["base64"]) < 200_000:
                    yield base64.b64decode(spec["base64"])


def conformance_values(kind: str | None = None) -> Iterator[str]:
    """Yield the identifier inputs of the conformance suite."""
    for case in json.loads((CASES / "identifier.json").read_text(encoding="utf-8"))["cases"]:
        if kind is None or case["kind"] == kind:
            yield case["value"]


def instrumented(fuzzing: bool) -> contextlib.AbstractContextManager[Any]:
    """Instrument the library's modules imported inside (only when fuzzing with atheris).

    Instrumenting everything (``atheris.instrument_all``) takes minutes; the
    library's own modules are what the fuzzer needs coverage feedback from.
    """
    if not fuzzing:
        return contextlib.nullcontext()
    import atheris

    return atheris.instrument_imports(include=["antifraud_common"])


def main(module: Any) -> None:
    import atheris

    test_one_input: Callable[[bytes], None] = module.test_one_input
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = Path(tempfile.mkdtemp(prefix="antifraud-fuzz-corpus-"))
        for i, seed in enumerate(module.seeds()):
            (corpus / f"seed-{i:05d}").write_bytes(seed)
        args.append(str(corpus))
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()
