"""The yearly report a trusted flagger publishes (DSA Art. 22(3)): aggregates only, no personal data.

Art. 22(3) asks for the notices submitted, by hosting provider, by type of alleged illegal content
and by action taken. A notice here is an item Flagpost sent to a provider (one per provider it went
to), counted in the year it was sent; actions are the providers' standing outcomes, counted in the
year they acted. Providers are named as their platform principals are (principals with one name
count as one provider); no flagger, reviewer or item is named.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

from flagpost.domain.models.stats import (
    Durations,
    PlatformCounters,
    durations,
    group,
    merged,
    per_platform,
    steps_summary,
    summary,
)


class ProviderFigures(BaseModel):
    """One hosting provider's notices of the year and what it did with them."""

    notices: int = Field(description="notices sent to the provider in the year")
    notices_by_category: dict[str, int] = Field(description="by TCO Art. 2(7) category as the reviewers decided")
    actions: dict[str, int] = Field(description="standing outcomes by type: removed, restricted, no_action, not_found")
    decisions: dict[str, int] = Field(description="DSA statement-of-reasons decision keys the provider reported")
    time_to_action: Durations = Field(description="from the confirmation (the notice) to the provider's acted_at")
    steps: dict[str, Durations] = Field(description="from the item's first report to each step of the notices")


class YearReport(BaseModel):
    """A trusted flagger's yearly figures in the spirit of DSA Art. 22(3): no personal data."""

    year: int
    notices: int = Field(description="reports submitted (notices)")
    notices_by_category: dict[str, int]
    items: int = Field(description="distinct targets reported")
    items_by_category: dict[str, int]
    decisions: dict[str, int]
    actions_by_platform: dict[str, dict[str, int]]
    time_to_decision: Durations
    time_to_action: Durations
    statement_of_reasons_defaults: dict[str, object]
    notices_sent: int = Field(default=0, description="notices sent to hosting providers (one per item and provider)")
    notices_sent_by_category: dict[str, int] = Field(default_factory=dict)
    actions: dict[str, int] = Field(default_factory=dict, description="every provider's actions, by outcome")
    action_decisions: dict[str, int] = Field(default_factory=dict, description="every provider's DSA decision keys")
    providers: dict[str, ProviderFigures] = Field(default_factory=dict, description="by the provider's name")
    steps: dict[str, Durations] = Field(
        default_factory=dict, description="every provider's notices: from first report to each step"
    )


# The fields of a statement of reasons (EU DSA Transparency Database) that follow from Flagpost's
# scope, for a platform acting on a confirmed item; platform-specific fields (visibility restriction,
# territorial scope, application date, content type) remain the platform's to fill.
STATEMENT_OF_REASONS_DEFAULTS: dict[str, object] = {
    "source_type": "SOURCE_TRUSTED_FLAGGER",
    "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    "illegal_content_legal_ground": "Regulation (EU) 2021/784 (terrorist content online), Art. 2(7)",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "category_specification": ["KEYWORD_TERRORIST_CONTENT"],
    "automated_detection": "No",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
}


def _added(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counts:
        for key, n in one.items():
            total[key] = total.get(key, 0) + n
    return dict(sorted(total.items()))


def _provider(platforms: list[PlatformCounters]) -> ProviderFigures:
    """The figures of the platforms that share one name, added (sketches merge by adding)."""
    return ProviderFigures(
        notices=sum(p.totals.get("platform_items", 0) for p in platforms),
        notices_by_category=_added([p.groups.get("platform_category", {}) for p in platforms]),
        actions=_added([p.groups.get("outcome", {}) for p in platforms]),
        decisions=_added([p.groups.get("dsa", {}) for p in platforms]),
        time_to_action=summary(merged(p.action for p in platforms)),
        steps=steps_summary(p.steps for p in platforms),
    )


def year_report(counters: dict[str, int], year: int, names: Mapping[str, str] | None = None) -> YearReport:
    """The year's figures out of the counters; `names` gives each platform principal's name."""
    prefix = f"y{year}#"
    scoped = {k[len(prefix) :]: v for k, v in counters.items() if k.startswith(prefix)}
    platforms = {k.split("#")[1] for k in scoped if k.startswith("outcome#")}
    platforms_counted = per_platform(scoped)
    by_name: dict[str, list[PlatformCounters]] = {}
    for pid, counted in sorted(platforms_counted.items()):
        by_name.setdefault((names or {}).get(pid) or pid, []).append(counted)
    providers = {name: _provider(ps) for name, ps in sorted(by_name.items(), key=lambda kv: kv[0].lower())}
    return YearReport(
        year=year,
        notices=scoped.get("reports", 0),
        notices_by_category=group(scoped, "report_category#"),
        items=scoped.get("items", 0),
        items_by_category=group(scoped, "category#"),
        decisions=group(scoped, "decided#"),
        actions_by_platform={p: group(scoped, f"outcome#{p}#") for p in sorted(platforms)},
        time_to_decision=durations(scoped, "decision"),
        time_to_action=durations(scoped, "outcome"),
        statement_of_reasons_defaults=STATEMENT_OF_REASONS_DEFAULTS,
        notices_sent=sum(p.notices for p in providers.values()),
        notices_sent_by_category=_added([p.notices_by_category for p in providers.values()]),
        actions=_added([p.actions for p in providers.values()]),
        action_decisions=_added([p.decisions for p in providers.values()]),
        providers=providers,
        steps=steps_summary(p.steps for p in platforms_counted.values()),
    )
