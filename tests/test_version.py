"""One version, written once: __version__, the installed metadata, the CLI and the docs agree."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

import antifraud_common
from antifraud_common.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_is_written_only_in_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    source = ROOT / pyproject["tool"]["hatch"]["version"]["path"]
    assert source == ROOT / "src" / "antifraud_common" / "__init__.py"
    assert re.findall(r'^__version__ = "([^"]+)"$', source.read_text("utf-8"), re.M) == [
        antifraud_common.__version__
    ]


def test_metadata_cli_and_package_agree(capsys: pytest.CaptureFixture[str]) -> None:
    version = antifraud_common.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.dev\d+)?", version)
    assert importlib.metadata.version("antifraud-common") == version
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"antifraud {version}"


def test_the_docs_read_the_same_version() -> None:
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    assert "release = __version__" in conf
    assert not re.search(r"^release = ['\"]", conf, re.M)


def test_project_urls_follow_the_docs_layout() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    urls = project["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Source", "Changelog"}
    assert all(u.startswith("https://") for u in urls.values())
    docs = urls["Documentation"]
    assert urls["Changelog"].startswith(docs)
    page = urls["Changelog"].removeprefix(docs).removesuffix(".html")
    assert (ROOT / "docs" / f"{page}.md").is_file()
    assert "{include} ../CHANGELOG.md" in (ROOT / "docs" / f"{page}.md").read_text("utf-8")
