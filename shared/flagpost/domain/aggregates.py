"""From one change of the items table to the counter increments it implies (pure, no I/O).

Durations go into sketches kept as counters (`flagpost.domain.sketch`), from which any quantile is
read to within 1%, at a constant cost whatever the volume.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from flagpost.domain import sketch
from flagpost.domain.steps import ACTED, DISPATCHED, STEP_PREFIX

# A retracted item was decided too: its confirmation was taken back.
DECIDED = ("confirmed", "rejected", "retracted")


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except ValueError:
        return None


def _last_decision_at(image: dict[str, Any], kind: str) -> str | None:
    times = [str(d.get("at")) for d in image.get("decisions") or [] if d.get("decision") == kind and d.get("at")]
    return times[-1] if times else None


def _year(at: str | None) -> str | None:
    return at[:4] if at and at[:4].isdigit() else None


def _count(out: Counter[str], key: str, at: str | None, value: int = 1) -> None:
    """All-time, and again under the year the event happened in (for yearly transparency reports)."""
    out[key] += value
    year = _year(at)
    if year:
        out[f"y{year}#{key}"] += value


def _outcome_counts(image: dict[str, Any] | None) -> Counter[str]:
    """What one standing outcome contributes to the counters (nothing for an absent image)."""
    out: Counter[str] = Counter()
    if not image:
        return out
    platform = image.get("platform_id")
    at = image.get("acted_at")
    _count(out, f"platform_outcomes#{platform}", at)
    _count(out, f"outcome#{platform}#{image.get('outcome')}", at)
    for name in ("decision_visibility", "decision_account", "decision_provision", "decision_monetary"):
        value = image.get(name)
        for key in value if isinstance(value, list) else [value] if value else []:
            _count(out, f"dsa#{platform}#{key}", at)
    took = _seconds_between(image.get("confirmed_at"), at)
    if took is not None:
        _count(out, sketch.key("outcome", took), at)
        _count(out, sketch.key(f"action#{platform}", took), at)
    _count_step(out, platform, ACTED, image.get("received_at"), at)
    return out


def _count_step(out: Counter[str], platform: object, step: str, received: str | None, at: str | None) -> None:
    """One sample of the time from the item's first report to a step of its notice to `platform`."""
    took = _seconds_between(received, at)
    if took is not None and took >= 0:
        _count(out, sketch.key(f"step#{platform}#{step}", took), at)


def _step_counts(record: dict[str, Any]) -> Counter[str]:
    """What a step record contributes when it is created: its sample, and for `dispatched` the notice
    itself (counted per platform and category) and the samples of the steps that came before it."""
    out: Counter[str] = Counter()
    platform, step, at, received = (
        record.get("platform_id"),
        record.get("step"),
        record.get("at"),
        record.get("received_at"),
    )
    if not platform or not step:
        return out
    if step == DISPATCHED:
        _count(out, f"platform_items#{platform}", at)
        _count(out, f"platform_category#{platform}#{record.get('category')}", at)
        for earlier, when in (record.get("earlier") or {}).items():
            _count_step(out, platform, str(earlier), received, str(when))
    _count_step(out, platform, str(step), received, at)
    return out


def _queue_moves(out: Counter[str], old: dict[str, Any] | None, new: dict[str, Any]) -> None:
    """Items in each review queue (`queue#<name>`): an item enters one when it starts awaiting review
    and leaves it when decided, so GET /v1/review/queue never reads the queue to count it."""
    before, after = (old or {}).get("queue"), new.get("queue")
    if before != after:
        if before:
            out[f"queue#{before}"] -= 1
        if after:
            out[f"queue#{after}"] += 1


def deltas(old: dict[str, Any] | None, new: dict[str, Any] | None) -> Counter[str]:
    """Counter increments for one stream record's old and new images."""
    out: Counter[str] = Counter()
    kind = (new or old or {}).get("sk")
    if kind == "REPORT" and new is not None and old is None:
        at = new.get("received_at")
        _count(out, "reports", at)
        _count(out, f"report_category#{new.get('category')}", at)
        out[f"flagger_reports#{new.get('flagger_id')}"] += 1
        return out
    if kind is not None and str(kind).startswith(STEP_PREFIX):
        # A step counts when its record is created; writing it again (a replay) counts nothing.
        return _step_counts(new) if new is not None and old is None else out
    if kind is not None and str(kind).startswith("OUTCOME#"):
        # The standing outcome of (item, platform) was set or replaced: count the difference, so a
        # repeat counts nothing and a change moves one count from the old outcome to the new.
        out.update(_outcome_counts(new))
        out.subtract(_outcome_counts(old))
        return Counter({k: v for k, v in out.items() if v})
    if kind != "ITEM" or new is None:
        return out
    _queue_moves(out, old, new)
    if old is None:
        at = new.get("first_seen_at")
        _count(out, "items", at)
        out[f"status#{new['status']}"] += 1
        _count(out, f"category#{new['category']}", at)
        _count(out, f"priority#{new['priority']}", at)
        return out
    for field in ("status", "category", "priority"):
        if old.get(field) != new.get(field):
            out[f"{field}#{old.get(field)}"] -= 1
            out[f"{field}#{new.get(field)}"] += 1
    if old.get("status") != new.get("status"):
        # The standing decision counts, once: a rejected item reopened by a new flagger takes its
        # rejection back before it is decided again, and a retraction turns a confirmation into one.
        out.update(_decision_counts(new))
        out.subtract(_decision_counts(old))
    return Counter({k: v for k, v in out.items() if v})


def _decision_counts(image: dict[str, Any]) -> Counter[str]:
    """What an item's standing decision contributes to the counters (nothing while it awaits review)."""
    out: Counter[str] = Counter()
    status = image.get("status")
    if status not in DECIDED:
        return out
    decided_at = image.get("decided_at") or _last_decision_at(image, "reject" if status == "rejected" else "confirm")
    _count(out, f"decided#{status}", decided_at)
    took = _seconds_between(image.get("first_seen_at"), decided_at)
    if took is not None:
        _count(out, sketch.key("decision", took), decided_at)
    for flagger in image.get("flaggers") or []:
        out[f"flagger_decided#{flagger}"] += 1
        if status == "confirmed":
            out[f"flagger_confirmed#{flagger}"] += 1
    return out
