"""What `sam build` puts in the Lambda layer: runtime code only (no emulator, command line or tqdm)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / ".aws-sam" / "build" / "FlagpostLayer" / "python"
# What only the command line or the local stack need: none of it may reach Lambda.
NEVER_IN_THE_LAYER = ("flagpost_local", "flagpost_cli", "tqdm", "moto", "samtranslator", "yaml", "playwright")


@pytest.fixture(scope="module")
def layer() -> Path:
    if not LAYER.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{LAYER} is missing: `make test` builds it (make build) before the tests")
        pytest.skip("no sam build output here: run `make build` (make test does)")
    return LAYER


def test_the_layer_holds_no_emulator_cli_or_tqdm(layer: Path) -> None:
    top = {p.name.split("-")[0].split(".")[0] for p in layer.iterdir()}
    assert "flagpost" in top
    assert top.isdisjoint(NEVER_IN_THE_LAYER), sorted(top & set(NEVER_IN_THE_LAYER))
    package = layer / "flagpost"
    assert not (package / "local").exists()
    assert not (package / "cli").exists()


def test_no_layer_module_imports_the_local_stack_or_the_cli(layer: Path) -> None:
    pattern = re.compile(r"^\s*(from|import)\s+(flagpost_local|flagpost_cli|moto|tqdm)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(layer))
        for path in (layer / "flagpost").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_layer_is_the_source_tree_of_the_package(layer: Path) -> None:
    built = {p.relative_to(layer / "flagpost") for p in (layer / "flagpost").rglob("*.py")}
    source = {p.relative_to(REPO / "shared" / "flagpost") for p in (REPO / "shared" / "flagpost").rglob("*.py")}
    assert built == source, "a stale build: run make build"
