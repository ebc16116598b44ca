"""Fixtures every tier shares: where the repository is, its parsed template, and its scripts as modules."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from flagpost_local.template import Template

REPO = Path(__file__).resolve().parents[1]

# No verdict may depend on the machine's speed: Hypothesis would otherwise fail an example that takes
# over 200 ms (its deadline) and a test whose data takes long to generate (the too_slow health check),
# both of which a busy machine causes.
settings.register_profile("flagpost", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("flagpost")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def template() -> Template:
    return Template.load(REPO / "template.yaml")


@pytest.fixture(scope="session")
def load_script() -> Callable[[str], ModuleType]:
    """Imports a script of the repository that is not a package module (infra/cost.py, a bench) by its path."""
    loaded: dict[str, ModuleType] = {}

    def load(relative: str) -> ModuleType:
        if relative not in loaded:
            path = REPO / relative
            spec = importlib.util.spec_from_file_location(f"flagpost_script_{path.stem}", path)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
            spec.loader.exec_module(module)
            loaded[relative] = module
        return loaded[relative]

    return load
