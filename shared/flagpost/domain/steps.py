"""The steps of a notice's life (an item sent to one platform), each with its time: pure, no I/O.

A notice's steps are: `received` (the item's first report, where every duration starts), `claimed`
(the first time a reviewer took it), `confirmation_1`, `confirmation_2`... (each confirmation of the
standing decision; threat-to-life items have two), `dispatched` (its feed entry was written),
`delivered` (a push answered 2xx) or `mailed` (the mail service accepted the e-mail),
`acknowledged` (the platform read its feed past the entry) and `acted` (the platform's standing
outcome, `acted_at`).

Each step after `received` is one record beside the item (`STEP#<platform>#<step>`), written once
and never deleted; the statistics count a record when it is created (the items table's stream, once
per change), so a step is counted once however often it is written again. The steps before the
notice existed (claimed, confirmations) ride on its `dispatched` record: they are the notice's too.
Figures are durations from `received` to each step (cumulative, so a step's median can be read
against the TCO Regulation's one hour); a step-to-step time is not the difference of two medians.
"""

from __future__ import annotations

from typing import Any

STEP_PREFIX = "STEP#"
RECEIVED = "received"
CLAIMED = "claimed"
DISPATCHED = "dispatched"
DELIVERED = "delivered"
MAILED = "mailed"
ACKNOWLEDGED = "acknowledged"
ACTED = "acted"
# The order reports list them in; confirmation_<n> come after `claimed`.
ORDER = (CLAIMED, "confirmation_1", "confirmation_2", DISPATCHED, DELIVERED, MAILED, ACKNOWLEDGED, ACTED)


def order_key(step: str) -> tuple[int, str]:
    return (ORDER.index(step), step) if step in ORDER else (len(ORDER), step)


def confirmation_times(image: dict[str, Any]) -> list[str]:
    """The times of the confirmations of the item's standing decision (a rejection starts them over)."""
    times: list[str] = []
    for decision in image.get("decisions") or []:
        if decision.get("decision") == "reject":
            times = []
        elif decision.get("decision") == "confirm" and decision.get("at"):
            times.append(str(decision["at"]))
    return times


def earlier_steps(image: dict[str, Any]) -> dict[str, str]:
    """The steps an item went through before it became a notice: its first claim and confirmations."""
    steps = {CLAIMED: str(image["claimed_at"])} if image.get("claimed_at") else {}
    for n, at in enumerate(confirmation_times(image), start=1):
        steps[f"confirmation_{n}"] = at
    return steps


def delivery_step(channel: str) -> str:
    """The step a successful delivery is: `mailed` on the e-mail channel, `delivered` for a push."""
    return MAILED if channel == "email" else DELIVERED


def step_record(
    item: dict[str, Any],
    platform_id: str,
    step: str,
    at: str,
    *,
    earlier: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The record of one step of the notice of `item` (the platform's view of it) to `platform_id`."""
    record: dict[str, Any] = {
        "pk": f"ITEM#{item['item_id']}",
        "sk": f"{STEP_PREFIX}{platform_id}#{step}",
        "item_id": item["item_id"],
        "platform_id": platform_id,
        "step": step,
        "at": at,
        "received_at": item.get("first_seen_at"),
    }
    if step == DISPATCHED:
        record["category"] = item.get("category")
        record["earlier"] = earlier or {}
    return record
