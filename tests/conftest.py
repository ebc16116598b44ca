"""Fixtures every tier shares: where the repository is and its parsed template."""

from __future__ import annotations

from pathlib import Path

import pytest

from flagpost.local.template import Template

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def template() -> Template:
    return Template.load(REPO / "template.yaml")
