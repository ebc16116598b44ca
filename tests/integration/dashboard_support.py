"""Helpers for the dashboard tests: the local stack's names as a deployed stack would report them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from flagpost_local.harness import InProcessStack


def deployed_names(dashboard: ModuleType, stack: InProcessStack) -> Any:
    """The local stack's physical ids, plus made-up names for what moto's CloudFormation does not create."""
    template = stack.template
    physical = dict(stack.stack.physical_ids)
    for logical_id in [f.logical_id for f in template.functions] + list(
        template.resources_of_type("AWS::CloudWatch::Alarm", "AWS::Serverless::HttpApi")
    ):
        physical.setdefault(logical_id, f"flagpost-local-{logical_id}")
    return dashboard.Names(physical, stack.session.region_name, "123456789012")


def flagpost_metrics(body: dict[str, Any]) -> set[str]:
    """The metrics of Flagpost's own namespace that a dashboard body shows."""
    return {
        line[1]
        for w in body["widgets"]
        if w["type"] == "metric"
        for line in w["properties"]["metrics"]
        if line[0] == "Flagpost"
    }
