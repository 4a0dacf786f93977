"""The mutation run of the conformance suite (scripts/mutate_conformance.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from antifraud_common.conformance import load_cases

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "conformance.md"


def _load():
    spec = importlib.util.spec_from_file_location(
        "mutate_conformance", ROOT / "scripts" / "mutate_conformance.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


mc = _load()


def test_every_snippet_applies_exactly_once():
    assert mc.check_snippets(mc.MUTATIONS) == []
    assert len({m.name for m in mc.MUTATIONS}) == len(mc.MUTATIONS)


def test_a_stale_snippet_fails_loudly(monkeypatch, capsys):
    stale = mc.Mutation(
        name="stale",
        file="models.py",
        find="this text is not in the source\n",
        replace="",
        reason="test",
    )
    with pytest.raises(mc.SnippetError, match="occurs 0 times"):
        mc.mutated_sources(stale)
    repeated = mc.Mutation(name="rep", file="models.py", find="import", replace="", reason="t")
    with pytest.raises(mc.SnippetError, match="exactly once"):
        mc.mutated_sources(repeated)
    noop = mc.Mutation(
        name="noop", file="models.py", find="class TLP(", replace="class TLP(", reason="t"
    )
    with pytest.raises(mc.SnippetError, match="equals"):
        mc.mutated_sources(noop)
    # the command line refuses to run anything while one snippet is stale
    monkeypatch.setattr(mc, "MUTATIONS", (*mc.MUTATIONS, stale))
    assert mc.main(["--short", "--only", "stale"]) == 2
    assert "stale: the snippet" in capsys.readouterr().err


def test_a_second_edit_must_apply_too():
    m = mc.MUTATIONS[0]
    broken = mc.Mutation(
        name="two",
        file=m.file,
        find=m.find,
        replace=m.replace,
        reason="t",
        more=(("exchange/trust.py", "not in the source", ""),),
    )
    with pytest.raises(mc.SnippetError, match=r"exchange/trust\.py"):
        mc.mutated_sources(broken)


def test_killed_and_survived_are_told_apart(tmp_path):
    """One real mutation is killed; an edit of a comment survives; the tree is untouched."""
    before = (ROOT / "src" / "antifraud_common" / "exchange" / "trust.py").read_bytes()
    space = mc.Workspace(tmp_path)
    killer = next(m for m in mc.MUTATIONS if m.name == "trust-canonical-bytes")
    killed = space.run(killer, first=True, timeout=600)
    assert killed.killed and killed.killed_by[0].startswith("trust-bundle/"), killed
    harmless = mc.Mutation(
        name="comment",
        file="exchange/trust.py",
        find="# ------------------------------------------------------------------ building\n",
        replace="# building\n",
        reason="changes nothing",
    )
    survived = space.run(harmless, first=True, timeout=600)
    assert not survived.killed and survived.ran == survived.total == len(load_cases())
    assert (ROOT / "src" / "antifraud_common" / "exchange" / "trust.py").read_bytes() == before


def test_the_report_in_the_docs_names_every_mutation():
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(mc.REPORT_START), text.index(mc.REPORT_END)
    section = text[start:end]
    names = re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE)
    assert sorted(names) == sorted(m.name for m in mc.MUTATIONS)
    assert "**survived**" not in section
    m = re.search(r"\*\*(\d+) of (\d+) mutations killed\*\*", section)
    assert m is not None and m.group(1) == m.group(2) == str(len(mc.MUTATIONS))
    # the report names the suite it ran against (the family table above it is kept current)
    assert re.search(r"Suite: \d+ cases in \d+ families", section)


def test_the_family_table_in_the_docs_matches_the_cases():
    text = DOC.read_text(encoding="utf-8")
    counts: dict[str, int] = {}
    for case in load_cases():
        counts[case.family] = counts.get(case.family, 0) + 1
    table = {
        name: int(n)
        for name, n in re.findall(r"^\| `([a-z0-9-]+)` \| (\d+) \|", text, flags=re.MULTILINE)
    }
    assert table == counts
    assert f"{sum(counts.values())} cases in {len(counts)} families" in text
