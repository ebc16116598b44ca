"""The steps of a notice's life: what each step record counts, once, and the report's providers by name."""

from __future__ import annotations

from collections import Counter

from flagpost.domain.aggregates import deltas
from flagpost.domain.models.stats import build
from flagpost.domain.models.year_report import year_report
from flagpost.domain.sketch import key
from flagpost.domain.steps import earlier_steps, step_record

ITEM = {"item_id": "itm_1", "first_seen_at": "2026-03-01T10:00:00Z", "category": "recruitment"}


def dispatched() -> dict[str, object]:
    return step_record(
        ITEM,
        "pla_t",
        "dispatched",
        "2026-03-01T11:00:00.000Z",
        earlier={"claimed": "2026-03-01T10:10:00.000Z", "confirmation_1": "2026-03-01T10:40:00.000Z"},
    )


def test_a_dispatched_step_counts_the_notice_and_the_steps_before_it_once() -> None:
    change = deltas(None, dispatched())
    assert change["platform_items#pla_t"] == change["y2026#platform_items#pla_t"] == 1
    assert change["y2026#platform_category#pla_t#recruitment"] == 1
    assert change[key("step#pla_t#claimed", 600)] == 1
    assert change[key("step#pla_t#confirmation_1", 2400)] == 1
    assert change[key("step#pla_t#dispatched", 3600)] == 1
    assert deltas(dispatched(), {**dispatched(), "at": "2026-03-01T12:00:00.000Z"}) == Counter(), "written again"


def test_a_delivery_or_acknowledgement_counts_its_time_from_the_first_report() -> None:
    acked = step_record(ITEM, "pla_t", "acknowledged", "2026-03-01T10:30:00.000Z")
    assert deltas(None, acked) == Counter(
        {key("step#pla_t#acknowledged", 1800): 1, f"y2026#{key('step#pla_t#acknowledged', 1800)}": 1}
    )


def test_an_outcome_counts_time_to_action_per_platform_and_the_acted_step() -> None:
    outcome = {
        "sk": "OUTCOME#pla_t",
        "platform_id": "pla_t",
        "outcome": "removed",
        "received_at": "2026-03-01T10:00:00Z",
        "confirmed_at": "2026-03-01T10:40:00Z",
        "acted_at": "2026-03-01T11:40:00Z",
    }
    change = deltas(None, outcome)
    assert change[key("action#pla_t", 3600)] == 1
    assert change[key("step#pla_t#acted", 6000)] == 1
    moved = deltas(outcome, {**outcome, "acted_at": "2026-03-01T12:40:00Z"})
    assert moved[key("step#pla_t#acted", 6000)] == -1, "the latest outcome's time stands"
    assert moved[key("step#pla_t#acted", 9600)] == 1


def test_confirmations_are_those_of_the_standing_decision() -> None:
    image = {
        "claimed_at": "2026-03-01T10:05:00Z",
        "decisions": [
            {"decision": "confirm", "at": "a"},
            {"decision": "reject", "at": "b"},
            {"decision": "confirm", "at": "c"},
            {"decision": "confirm", "at": "d"},
        ],
    }
    assert earlier_steps(image) == {"claimed": "2026-03-01T10:05:00Z", "confirmation_1": "c", "confirmation_2": "d"}


def test_providers_are_named_and_principals_sharing_a_name_count_as_one() -> None:
    counters: Counter[str] = Counter()
    for platform, took in (("pla_a", 60.0), ("pla_b", 120.0), ("pla_c", 600.0)):
        counters.update(deltas(None, {**dispatched(), "platform_id": platform}))
        outcome = {
            "sk": f"OUTCOME#{platform}",
            "platform_id": platform,
            "outcome": "removed",
            "decision_account": "DECISION_ACCOUNT_SUSPENDED",
            "confirmed_at": "2026-03-01T10:40:00Z",
            "acted_at": f"2026-03-01T10:{40 + int(took // 60):02d}:00Z",
        }
        counters.update(deltas(None, outcome))
    names = {"pla_a": "Same Corp", "pla_b": "Same Corp", "pla_c": "Other <Ltd>"}
    report = year_report(dict(counters), 2026, names)
    assert list(report.providers) == ["Other <Ltd>", "Same Corp"]
    same = report.providers["Same Corp"]
    assert (same.notices, same.actions, same.decisions) == (2, {"removed": 2}, {"DECISION_ACCOUNT_SUSPENDED": 2})
    assert same.time_to_action.count == 2
    assert same.steps["claimed"].count == 2
    assert report.notices_sent == 3
    assert report.action_decisions == {"DECISION_ACCOUNT_SUSPENDED": 3}
    stats = build(dict(counters), 0, names=names)
    assert stats.platforms["pla_c"].name == "Other <Ltd>"
    assert stats.platforms["pla_c"].decisions == {"DECISION_ACCOUNT_SUSPENDED": 1}
    assert stats.steps["dispatched"].count == 3
