"""Counter increments from item changes and outcome records."""

from __future__ import annotations

from collections import Counter

from flagpost.domain.aggregates import deltas
from flagpost.domain.sketch import key

ITEM = {
    "sk": "ITEM",
    "status": "pending",
    "category": "threat",
    "priority": "standard",
    "first_seen_at": "2026-11-22T10:00:00+00:00",
    "flaggers": ["fla_a", "fla_b"],
}


def test_a_new_item_counts_once_in_each_dimension_all_time_and_in_its_year() -> None:
    assert deltas(None, ITEM) == Counter(
        {
            "items": 1,
            "status#pending": 1,
            "category#threat": 1,
            "priority#standard": 1,
            "y2026#items": 1,
            "y2026#category#threat": 1,
            "y2026#priority#standard": 1,
        }
    )


def test_a_report_counts_for_its_flagger_but_only_its_category_goes_into_the_year() -> None:
    report = {"sk": "REPORT", "flagger_id": "fla_a", "category": "threat", "received_at": "2025-12-31T23:59:00Z"}
    assert deltas(None, report) == Counter(
        {
            "reports": 1,
            "report_category#threat": 1,
            "flagger_reports#fla_a": 1,
            "y2025#reports": 1,
            "y2025#report_category#threat": 1,
        }
    )


def test_a_confirmation_moves_status_times_the_decision_and_credits_each_flagger() -> None:
    confirmed = {
        **ITEM,
        "status": "confirmed",
        "decisions": [{"decision": "confirm", "at": "2026-11-22T10:30:00+00:00"}],
    }
    change = deltas(ITEM, confirmed)
    assert change["status#pending"] == -1
    assert change["status#confirmed"] == 1
    assert change[key("decision", 1800)] == 1
    assert change["flagger_decided#fla_a"] == change["flagger_confirmed#fla_b"] == 1


def test_a_rejection_credits_decided_but_not_confirmed() -> None:
    rejected = {**ITEM, "status": "rejected", "decisions": [{"decision": "reject", "at": "2026-11-22T11:00:00+00:00"}]}
    change = deltas(ITEM, rejected)
    assert change["flagger_decided#fla_a"] == 1
    assert "flagger_confirmed#fla_a" not in change


OUTCOME = {
    "pk": "ITEM#itm_1",
    "sk": "OUTCOME#pla_t",
    "platform_id": "pla_t",
    "outcome": "no_action",
    "acted_at": "2026-11-22T10:40:00+00:00",
    "confirmed_at": "2026-11-22T10:30:00+00:00",
    "revision": 1,
}


def test_a_first_outcome_counts_once_per_platform() -> None:
    change = deltas(None, OUTCOME)
    assert change["outcome#pla_t#no_action"] == change["platform_outcomes#pla_t"] == 1
    assert change["y2026#outcome#pla_t#no_action"] == 1
    assert change[key("outcome", 600)] == 1


def test_a_changed_outcome_moves_its_count_and_a_repeat_moves_nothing() -> None:
    removed = {**OUTCOME, "outcome": "removed", "acted_at": "2026-11-22T11:30:00+00:00", "revision": 2}
    change = deltas(OUTCOME, removed)
    assert change["outcome#pla_t#no_action"] == -1
    assert change["outcome#pla_t#removed"] == 1
    assert "platform_outcomes#pla_t" not in change, "still one outcome for this (item, platform)"
    assert change[key("outcome", 600)] == -1
    assert change[key("outcome", 3600)] == 1
    assert deltas(removed, {**removed, "revision": 3}) == Counter()


def test_dsa_decision_keys_are_counted_per_platform() -> None:
    image = {**OUTCOME, "outcome": "removed", "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]}
    change = deltas(None, image)
    assert change["dsa#pla_t#DECISION_VISIBILITY_CONTENT_REMOVED"] == 1


def test_unchanged_items_and_other_records_count_nothing() -> None:
    assert deltas(ITEM, {**ITEM, "report_count": 5}) == Counter()
    assert deltas(None, {"sk": "HIST#x"}) == Counter()


def test_a_reopened_item_counts_its_standing_decision_once() -> None:
    """Rejected, reopened by a new flagger, confirmed: one decision (confirmed), not two."""
    rejected = {
        **ITEM,
        "status": "rejected",
        "decided_at": "2026-11-22T11:00:00+00:00",
        "decisions": [{"decision": "reject", "at": "2026-11-22T11:00:00+00:00"}],
    }
    reopened = {**rejected, "status": "pending", "flaggers": ["fla_a", "fla_b", "fla_new"]}
    confirmed = {
        **reopened,
        "status": "confirmed",
        "decided_at": "2026-11-23T10:00:00+00:00",
        "decisions": [*rejected["decisions"], {"decision": "confirm", "at": "2026-11-23T10:00:00+00:00"}],
    }
    total = deltas(ITEM, rejected) + Counter()
    for old, new in ((rejected, reopened), (reopened, confirmed)):
        total.update(deltas(old, new))
    total = Counter({k: v for k, v in total.items() if v})
    assert total["decided#confirmed"] == 1
    assert "decided#rejected" not in total
    assert sum(v for k, v in total.items() if k.startswith("sketch#decision#")) == 1
    assert total["flagger_decided#fla_a"] == 1
    assert total["flagger_confirmed#fla_a"] == 1, "fla_a's report ended confirmed: precision 1, not 0.5"
    assert total["flagger_confirmed#fla_new"] == 1


def test_a_retraction_turns_a_confirmation_into_a_retraction() -> None:
    confirmed = {**ITEM, "status": "confirmed", "decided_at": "2026-11-22T10:30:00+00:00"}
    change = deltas(confirmed, {**confirmed, "status": "retracted"})
    assert change["decided#confirmed"] == -1
    assert change["decided#retracted"] == 1
    assert change["flagger_confirmed#fla_a"] == -1
    assert "flagger_decided#fla_a" not in change
    assert not any(k.startswith("sketch#") for k in change), "the time to decision stays counted"


def test_items_are_counted_into_and_out_of_their_review_queue() -> None:
    queued = {**ITEM, "queue": "default"}
    assert deltas(None, queued)["queue#default"] == 1
    leased = {**queued, "lease_holder": "rev_a"}
    assert "queue#default" not in deltas(queued, leased), "a lease leaves the item in its queue"
    escalated = {**queued, "status": "escalated", "queue": "escalated"}
    moved = deltas(queued, escalated)
    assert (moved["queue#default"], moved["queue#escalated"]) == (-1, 1)
    decided = {k: v for k, v in escalated.items() if k != "queue"} | {"status": "confirmed"}
    assert deltas(escalated, decided)["queue#escalated"] == -1
    assert "queue#default" not in deltas(None, ITEM), "an item outside the queues counts in none"
