"""Sphinx configuration for the antifraud_common documentation."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

project = "antifraud_common"
author = "antifraud_common developers"
copyright = "2026, antifraud_common developers"  # noqa: A001
release = "0.1.0"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "antifraud_common"
autodoc_typehints = "description"
autodoc_member_order = "bysource"
