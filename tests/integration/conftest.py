"""Integration tier: the real handlers, routed by template.yaml, against moto resources built from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flagpost.local.harness import InProcessStack, in_process_stack
from flagpost.local.template import Template


@pytest.fixture
def local_aws(template: Template) -> Iterator[InProcessStack]:
    with in_process_stack(template) as stack:
        yield stack
