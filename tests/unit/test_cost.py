"""infra/cost.py: the bill per million reports adds up, and moves the way the design says it should."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import ModuleType

import pytest


@pytest.fixture(scope="module")
def cost(load_script: Callable[[str], ModuleType]) -> ModuleType:
    return load_script("infra/cost.py")


def test_the_total_is_the_sum_of_priced_lines(cost: ModuleType) -> None:
    bill = cost.lines(cost.Assumptions())
    assert all(line.cost >= 0 for line in bill)
    assert cost.total(bill) == pytest.approx(sum(line.cost for line in bill))
    assert {line.service for line in bill} >= {"API Gateway", "Lambda", "DynamoDB", "SQS", "KMS", "CloudWatch Logs"}


def test_webhooks_of_100_cost_one_api_request_per_100_reports(cost: ModuleType) -> None:
    quiet = cost.Assumptions(new_item_share=0.0)  # no items, so no review or delivery traffic
    (api,) = [line for line in cost.lines(quiet) if line.service == "API Gateway"]
    assert api.quantity == 10_000


def test_summing_counters_per_batch_and_more_duplicates_cost_less(cost: ModuleType) -> None:
    base = cost.Assumptions()
    assert base.stats == "per-batch", "the code sums a stream batch's counters (flagpost.adapters.dynamo.stats)"
    per_record = dataclasses.replace(base, stats="per-record")
    all_new = dataclasses.replace(base, new_item_share=1.0)
    assert cost.total(cost.lines(base)) < cost.total(cost.lines(per_record))
    assert cost.total(cost.lines(base)) < cost.total(cost.lines(all_new))


def test_render_states_the_goal_verdict(cost: ModuleType) -> None:
    text = cost.render(cost.Assumptions())
    assert "goal <= $3.00:" in text
    assert "total" in text
