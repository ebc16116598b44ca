"""The DSA Article 16(2) notice a platform receives with every confirmed item, whatever the channel.

(a) a substantiated explanation: the reviewers' TCO Art. 2(7) category and the flaggers' explanations;
(b) the exact electronic location: the canonical URL and every URL form the flaggers reported;
(c) the notifier's name and e-mail: the operating organisation (template parameters);
(d) the statement of good faith, and that the notice comes from a trusted flagger;
plus the DSA Transparency Database keys a platform files its statement of reasons under. No reviewer,
flagger id or internal note is ever part of it. A retraction carries a withdrawal of the same shape.

The flaggers' explanations are free text: the feed entry keeps the notice without them and they live
in a record of their own that expires with the reports' own texts (each is shown until its report's
text retention passed, then `description` reads null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from flagpost.domain.models import dsa
from flagpost.domain.models.records import ReportRecord
from flagpost.domain.models.report import Category

# A notice names at most this much, so that every entry fits a DynamoDB item and a feed page.
MAX_EXPLANATIONS = 5
MAX_REPORTED_URLS = 50
MAX_REPORTED_URL_CHARS = 32_000

LEGAL_ACT = "Regulation (EU) 2021/784 on addressing the dissemination of terrorist content online"
# TCO Regulation Art. 2(7): the point of each category and what it covers (the Regulation's wording, shortened).
CATEGORY_POINTS: dict[Category, tuple[str, str]] = {
    Category.INCITEMENT: (
        "a",
        "incites the commission of a terrorist offence (Directive (EU) 2017/541, Art. 3(1)(a)-(i)), "
        "such as by the glorification of terrorist acts",
    ),
    Category.SOLICITATION: (
        "b",
        "solicits a person or a group of persons to commit or contribute to a terrorist offence",
    ),
    Category.RECRUITMENT: (
        "c",
        "solicits a person or a group of persons to participate in the activities of a terrorist group",
    ),
    Category.INSTRUCTION: (
        "d",
        "provides instruction on the making or use of explosives, firearms, other weapons or noxious or hazardous "
        "substances, or on other methods or techniques, for the purpose of committing a terrorist offence",
    ),
    Category.THREAT: ("e", "constitutes a threat to commit a terrorist offence"),
}

GOOD_FAITH = (
    "{name} submits this notice in good faith: it holds a bona fide belief that the information and "
    "allegations it contains are accurate and complete (Regulation (EU) 2022/2065, Art. 16(2)(d))."
)
TRUSTED_FLAGGER = (
    "This notice comes from a trusted flagger (Regulation (EU) 2022/2065, Art. 22): it was reported by "
    "{name}'s flaggers and confirmed by one of its human reviewers before it was sent. Notices from trusted "
    "flaggers are to be given priority and decided upon without undue delay (Art. 22(1))."
)
WITHDRAWAL = (
    "{name} withdraws its notice about this content (item {item_id}): no action is requested any more, "
    "and content removed or restricted on the strength of that notice alone may be restored."
)


class Notifier(BaseModel):
    """Who sends every notice: the operating organisation, configured once for the deployment."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)


class ReportedExplanation(BaseModel):
    received_at: datetime
    description: str | None = Field(
        default=None, description="the flagger's explanation; null once the text retention period has passed"
    )
    language: str | None = None
    entity: str | None = Field(default=None, description="the organisation the flagger attributes the content to")


class Explanation(BaseModel):
    category: Category = Field(description="the reviewers' TCO Art. 2(7) category")
    legal_ground: str = Field(description="the provision, e.g. Regulation (EU) 2021/784, Art. 2(7)(c)")
    category_meaning: str
    report_count: int = Field(description="how many reports named this content")
    reports: list[ReportedExplanation] = Field(description=f"the first {MAX_EXPLANATIONS} reports, oldest first")


class Location(BaseModel):
    canonical_url: str | None = Field(
        default=None, description="the content's canonical URL (absent for targets without one)"
    )
    reported_urls: list[str] = Field(description="every URL form the flaggers reported, as they wrote it")
    more_reported_urls: bool = Field(default=False, description=f"more forms than the {MAX_REPORTED_URLS} listed")
    target: dict[str, Any] = Field(description="platform, type and id of the content")


class StatementOfReasonsKeys(BaseModel):
    """DSA Transparency Database keys for the platform's statement of reasons."""

    category: Literal["STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"] = dsa.STATEMENT_CATEGORY  # type: ignore[assignment]
    category_specification: list[str] = Field(default_factory=lambda: list(dsa.CATEGORY_SPECIFICATION))
    source_type: Literal["SOURCE_TRUSTED_FLAGGER"] = dsa.SOURCE_TRUSTED_FLAGGER  # type: ignore[assignment]
    illegal_content_legal_ground: str


class Withdrawal(BaseModel):
    withdrawn_at: datetime | None = None
    statement: str


class Notice(BaseModel):
    kind: Literal["notice", "withdrawal"]
    notifier: Notifier
    explanation: Explanation
    location: Location
    good_faith: str
    trusted_flagger: str
    statement_of_reasons: StatementOfReasonsKeys
    withdrawal: Withdrawal | None = None


def legal_ground(category: Category) -> str:
    return f"{LEGAL_ACT}, Art. 2(7)({CATEGORY_POINTS[category][0]})"


def reported_urls(reports: Sequence[ReportRecord]) -> tuple[list[str], bool]:
    """Distinct URL forms in arrival order, within the notice's bounds; and whether some were left out."""
    forms: list[str] = []
    chars = 0
    for report in reports:
        url = report.url
        if not url or url in forms:
            continue
        if len(forms) == MAX_REPORTED_URLS or chars + len(url) > MAX_REPORTED_URL_CHARS:
            return forms, True
        forms.append(url)
        chars += len(url)
    return forms, False


def build_notice(
    record: Mapping[str, Any],
    reports: Sequence[ReportRecord],
    descriptions: Mapping[str, str],
    notifier: Notifier,
    *,
    more_reports: bool = False,
) -> tuple[dict[str, Any], list[str | None]]:
    """The notice for a stored item (confirmed or retracted) and the reports it was built from.

    Returns the notice without free text (JSON-ready, kept with the feed entry) and the explanations'
    texts in the order of `explanation.reports` (kept apart, with the texts' retention).
    """
    category = Category(record["category"])
    withdrawn = record.get("status") == "retracted"
    quoted = [] if withdrawn else list(reports[:MAX_EXPLANATIONS])
    urls, more = reported_urls(reports)
    target = record.get("target") or {}
    notice = Notice(
        kind="withdrawal" if withdrawn else "notice",
        notifier=notifier,
        explanation=Explanation(
            category=category,
            legal_ground=legal_ground(category),
            category_meaning=CATEGORY_POINTS[category][1],
            report_count=int(record.get("report_count", len(reports))),
            reports=[
                ReportedExplanation(received_at=r.received_at, language=r.language, entity=r.entity) for r in quoted
            ],
        ),
        location=Location(
            canonical_url=target.get("canonical_url"),
            reported_urls=urls,
            more_reported_urls=more or more_reports,
            target={k: target[k] for k in ("platform", "type", "id") if k in target},
        ),
        good_faith=GOOD_FAITH.format(name=notifier.name),
        trusted_flagger=TRUSTED_FLAGGER.format(name=notifier.name),
        statement_of_reasons=StatementOfReasonsKeys(illegal_content_legal_ground=legal_ground(category)),
        withdrawal=(
            Withdrawal(
                withdrawn_at=record.get("retracted_at"),
                statement=WITHDRAWAL.format(name=notifier.name, item_id=record.get("item_id")),
            )
            if withdrawn
            else None
        ),
    )
    texts: list[str | None] = [descriptions.get(r.report_id) for r in quoted]
    return notice.model_dump(mode="json", exclude_none=True), texts


def with_texts(notice: dict[str, Any], texts: Sequence[str | None] | None, kept_since: datetime) -> dict[str, Any]:
    """The notice with its explanations' texts put back: null where a text was never kept, or where its
    report was received before `kept_since` (the texts live as long as the reports' own texts)."""
    reports = notice.get("explanation", {}).get("reports")
    if not reports:
        return notice
    texts = list(texts or [])
    filled = [
        {**r, "description": texts[n] if n < len(texts) and received_at(r) >= kept_since else None}
        for n, r in enumerate(reports)
    ]
    return {**notice, "explanation": {**notice["explanation"], "reports": filled}}


def received_at(quoted: Mapping[str, Any]) -> datetime:
    """When a quoted report was received (the notice keeps it as RFC 3339 text)."""
    return datetime.fromisoformat(str(quoted["received_at"]).replace("Z", "+00:00"))
