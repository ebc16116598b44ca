"""The layer's requirements.txt and the package's runtime dependencies are the same list."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _names(lines: list[str]) -> set[str]:
    return {line.strip() for line in lines if line.strip() and not line.strip().startswith("#")}


def test_layer_requirements_match_pyproject_runtime_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    layer = (REPO / "shared" / "requirements.txt").read_text().splitlines()
    assert _names(layer) == _names(project["dependencies"])
