"""The Article 22(3) report against a scripted year: every figure as the script says, times within 1%.

A year of notices runs through the real functions on one clock the test moves: items land, reviewers
claim and confirm them (two confirmations for threat-to-life items), the stream sends them to three
hosting providers (two read their feed, one gets pushes), the pull providers acknowledge by reading
on, and the providers report outcomes in Flagpost's words and in DSA decision keys, one of them
changing its mind. The report must count notices by provider name, category and action exactly, give
median and p90 time to action per provider and every step's timings within 1%, and stay the same
when the whole stream, the pushes and the feed reads are replayed.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clocks import Clock, datetimes_on  # type: ignore[import-not-found]
from delivery_support import pump_until  # type: ignore[import-not-found]

from flagpost import lazy
from flagpost.adapters.dynamo import deliveries
from flagpost.domain.ids import Submission
from flagpost.domain.intake import IncomingReport
from flagpost.domain.models.principal import IssuedCredentials, Role
from flagpost.domain.models.report import ReportIn
from flagpost.domain.models.times import iso
from flagpost.domain.normalize import normalize_url
from flagpost.services import outcomes, review, steps
from flagpost.wiring import feed_store, item_store, job_queue
from flagpost_cli.report_render import html_page, rows
from flagpost_local.harness import InProcessStack, Reply

YEAR = 2025
START = datetime(YEAR, 1, 6, 9, 0, tzinfo=UTC)
CATEGORIES = ("incitement", "recruitment", "instruction", "threat")
PROVIDERS = {
    "tg": ("Telegram FZ-LLC", {"platform_ids": ["telegram"]}, "https://t.me/yr_chan_{n}"),
    "ia": ("Internet Archive", {"platform_ids": ["internet_archive"]}, "https://archive.org/details/yr_item_{n}"),
    "vc": ('Video & <Clips> "Ltd"', {"domains": ["example.org"]}, "https://example.org/v/{n}"),
}
OUTCOMES = (
    {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    },
    {"outcome": "removed"},
    {"decision_account": "DECISION_ACCOUNT_SUSPENDED", "puid": "sor-1"},
    {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED", "DECISION_VISIBILITY_CONTENT_LABELLED"]},
    {"outcome": "no_action"},
    {"outcome": "not_found"},
)


@dataclass
class Notice:
    """One item's scripted life, in seconds after its first report."""

    provider: str
    n: int
    category: str
    received: datetime
    claim_s: float
    confirm_s: list[float]
    dispatch_s: float
    ack_s: float | None
    outcomes: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def at(self, seconds: float) -> datetime:
        return self.received + timedelta(seconds=seconds)


def script() -> list[Notice]:
    notices: list[Notice] = []
    for k in range(27):
        provider = ("tg", "ia", "vc")[k % 3]
        claim = 120 + 97 * k
        confirm: list[float] = [float(claim + 200 + 13 * k)]
        if k % 5 == 0:
            confirm.append(claim + 900 + 13 * k)
        dispatch = confirm[-1] + 4
        notice = Notice(
            provider=provider,
            n=k,
            category=CATEGORIES[k % 4],
            received=START + timedelta(days=12 * k, seconds=3 * k),
            claim_s=claim,
            confirm_s=confirm,
            dispatch_s=dispatch,
            ack_s=None if provider == "vc" else dispatch + 30 + 45 * k,
        )
        if k % 7 != 6:  # every seventh never hears back
            acted = dispatch + 600 + 311 * k**2 % 20000
            notice.outcomes.append((acted, OUTCOMES[k % len(OUTCOMES)]))
        if k % 9 == 3:  # changes its mind (DSA keys to other keys or none): the latest outcome stands
            notice.outcomes.append((notice.outcomes[-1][0] + 5000 + k, OUTCOMES[(k + 2) % len(OUTCOMES)]))
        notices.append(notice)
    return notices


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def assert_within_1pct(got: dict[str, Any], values: list[float], what: str) -> None:
    assert got["count"] == len(values), what
    for key, fraction in (("median_s", 0.5), ("p90_s", 0.9)):
        true = nearest_rank(values, fraction)
        assert abs(got[key] - true) <= 0.01 * true, (what, key, got[key], true)


def implied(body: dict[str, Any]) -> str:
    if "outcome" in body:
        return str(body["outcome"])
    removing = {"DECISION_VISIBILITY_CONTENT_REMOVED", "DECISION_ACCOUNT_SUSPENDED"}
    keys = [*body.get("decision_visibility", []), *([body["decision_account"]] if "decision_account" in body else [])]
    return "removed" if removing & set(keys) else "restricted"


def dsa_keys(body: dict[str, Any]) -> list[str]:
    return [*body.get("decision_visibility", []), *([body["decision_account"]] if "decision_account" in body else [])]


class Year:
    """The stack, its principals and the clock the script runs on."""

    def __init__(self, stack: InProcessStack, clock: Clock, receiver: Any) -> None:
        self.stack, self.clock = stack, clock
        store = stack.principals()
        self.admin = store.create(Role.ADMIN, "Admin")
        self.reviewers = [store.create(Role.REVIEWER, f"R{i}") for i in range(2)]
        self.platforms: dict[str, IssuedCredentials] = {}
        for key, (name, owns, _) in PROVIDERS.items():
            endpoint = "http://127.0.0.1:1/placeholder" if key == "vc" else None
            self.platforms[key] = store.create(Role.PLATFORM, name, endpoint=endpoint, **owns)
        hook = receiver(secret=self.platforms["vc"].secret).start()
        stack.client("dynamodb").update_item(
            TableName=stack.stack.physical("PrincipalsTable"),
            Key={"pk": {"S": f"P#{self.platforms['vc'].principal.id}"}, "sk": {"S": "PROFILE"}},
            UpdateExpression="SET endpoint = :e",
            ExpressionAttributeValues={":e": {"S": hook.url}},
        )
        lazy.reset()
        self.cursors: dict[str, str | None] = {"tg": None, "ia": None}

    def at(self, when: datetime) -> None:
        self.clock.now = when.timestamp()

    def call(self, key: str, method: str, path: str, body: Any = None) -> Reply:
        return self.stack.http(method, path, json_body=body, headers={"authorization": f"Bearer {key}"})

    def land(self, notice: Notice) -> str:
        url = PROVIDERS[notice.provider][2].format(n=notice.n)
        priority = "threat_to_life" if len(notice.confirm_s) == 2 else "standard"
        report = ReportIn(url=url, category=notice.category, priority=priority, description="d")
        submission = Submission("fla_year", f"w{notice.n}", "0" * 64)
        (landed,) = item_store().record_reports(
            submission, [IncomingReport(0, report, normalize_url(url))], received_at=notice.received
        )
        return str(landed.item_id)

    def review(self, notice: Notice, item_id: str) -> None:
        claims = [notice.claim_s] + [s - 60 for s in notice.confirm_s[1:]]
        for reviewer, (claim_s, confirm_s) in enumerate(zip(claims, notice.confirm_s, strict=True)):
            key = self.reviewers[reviewer].api_key
            self.at(notice.at(claim_s))
            claimed = self.call(key, "POST", "/v1/review/claim", {})
            assert claimed.status == 200, claimed.body
            assert claimed.json()["item"]["item_id"] == item_id
            self.at(notice.at(confirm_s))
            lease = claimed.json()["lease"]["lease_id"]
            decided = self.call(
                key, "POST", f"/v1/review/items/{item_id}/decision", {"lease_id": lease, "decision": "confirm"}
            )
            assert decided.status == 200, decided.body

    def read_feed(self, provider: str) -> list[dict[str, Any]]:
        cursor = self.cursors[provider]
        page = self.call(self.platforms[provider].api_key, "GET", "/v1/feed" + (f"?cursor={cursor}" if cursor else ""))
        assert page.status == 200, page.body
        self.cursors[provider] = page.json()["next_cursor"]
        return list(page.json()["entries"])

    def run(self, notice: Notice) -> None:
        self.at(notice.received)
        item_id = self.land(notice)
        self.review(notice, item_id)
        self.at(notice.at(notice.dispatch_s))
        if notice.provider == "vc":
            pump_until(self.stack, lambda: delivered(self.stack, item_id))
        else:
            self.stack.pump()
            assert [e["item"]["item_id"] for e in self.read_feed(notice.provider)] == [item_id]
            assert notice.ack_s is not None
            self.at(notice.at(notice.ack_s))
            assert self.read_feed(notice.provider) == []  # reading on acknowledges the entry
        key = self.platforms[notice.provider].api_key
        for acted_s, body in notice.outcomes:
            self.at(notice.at(acted_s))
            posted = self.call(
                key, "POST", f"/v1/feed/items/{item_id}/outcome", {**body, "acted_at": iso(notice.at(acted_s))}
            )
            assert posted.status == 200, posted.body
        self.stack.pump()

    def report(self, year: int = YEAR) -> dict[str, Any]:
        reply = self.call(self.admin.api_key, "GET", f"/v1/stats?year={year}")
        assert reply.status == 200, reply.body
        return dict(reply.json())


def delivered(stack: InProcessStack, item_id: str) -> bool:
    got = stack.client("dynamodb").query(
        TableName=stack.stack.physical("ItemsTable"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
        ExpressionAttributeValues={":pk": {"S": f"ITEM#{item_id}"}, ":s": {"S": "STEP#"}},
    )
    return any(r["step"]["S"] == "delivered" for r in got["Items"])


@pytest.fixture
def year(local_aws: InProcessStack, receiver: Any, monkeypatch: pytest.MonkeyPatch) -> Year:
    clock = Clock(START.timestamp())
    # Every time the script's steps take: reviews, feed entries, delivery and acknowledgement steps, outcomes.
    datetimes_on(clock, monkeypatch, review, outcomes, steps, deliveries)
    return Year(local_aws, clock, receiver)


def test_the_article_22_report_matches_a_scripted_year(year: Year) -> None:
    notices = script()
    for notice in notices:
        year.run(notice)
    report = year.report()

    names = {key: name for key, (name, _, _) in PROVIDERS.items()}
    assert list(report["providers"]) == sorted(names.values(), key=str.lower), "by name, never by id"
    assert report["notices_sent"] == len(notices)
    assert report["notices_sent_by_category"] == dict(sorted(Counter(n.category for n in notices).items()))
    for key, name in names.items():
        mine = [n for n in notices if n.provider == key]
        figures = report["providers"][name]
        assert figures["notices"] == len(mine)
        assert figures["notices_by_category"] == dict(sorted(Counter(n.category for n in mine).items()))
        standing = [n.outcomes[-1][1] for n in mine if n.outcomes]
        assert figures["actions"] == dict(sorted(Counter(implied(b) for b in standing).items())), name
        assert figures["decisions"] == dict(sorted(Counter(k for b in standing for k in dsa_keys(b)).items())), name
        acted = [n.outcomes[-1][0] for n in mine if n.outcomes]
        assert_within_1pct(
            figures["time_to_action"],
            [n.outcomes[-1][0] - n.confirm_s[-1] for n in mine if n.outcomes],
            f"{name} time to action",
        )
        expected_steps: dict[str, list[float]] = {
            "claimed": [n.claim_s for n in mine],
            "confirmation_1": [n.confirm_s[0] for n in mine],
            "confirmation_2": [n.confirm_s[1] for n in mine if len(n.confirm_s) == 2],
            "dispatched": [n.dispatch_s for n in mine],
            "delivered": [n.dispatch_s for n in mine] if key == "vc" else [],
            "acknowledged": [n.ack_s for n in mine if n.ack_s is not None],
            "acted": acted,
        }
        expected_steps = {step: values for step, values in expected_steps.items() if values}
        assert list(figures["steps"]) == list(expected_steps), name
        for step, values in expected_steps.items():
            assert_within_1pct(figures["steps"][step], values, f"{name} {step}")
    assert report["actions"] == dict(sorted(Counter(implied(n.outcomes[-1][1]) for n in notices if n.outcomes).items()))
    assert sum(report["decisions"].values()) == len(notices), "every item of the year was confirmed"
    ids = [p.principal.id for p in year.platforms.values()]
    text = str(report["providers"]) + str(report["steps"])
    assert not any(pid in text for pid in ids), "providers are named, not identified"
    assert "fla_year" not in str(report)
    assert year.reviewers[0].principal.id not in str(report)

    # The same figures per platform in /v1/stats, all time.
    stats = year.call(year.admin.api_key, "GET", "/v1/stats").json()
    telegram = stats["platforms"][year.platforms["tg"].principal.id]
    assert telegram["name"] == names["tg"]
    assert telegram["steps"]["acknowledged"] == report["providers"][names["tg"]]["steps"]["acknowledged"]
    assert stats["steps"]["dispatched"]["count"] == len(notices)

    # Replays change nothing: the whole stream again, every push job again, feed reads from old cursors.
    replay_everything(year)
    assert year.report() == report
    assert year.call(year.admin.api_key, "GET", f"/v1/stats?year={YEAR - 1}").json()["notices_sent"] == 0

    # The published forms: CSV and one self-contained HTML page.
    csv_rows = dict(rows(report))
    assert csv_rows[f"providers.{names['tg']}.notices"] == str(report["providers"][names["tg"]]["notices"])
    page = html_page(report)
    for loads_or_links in ("<script", "href", " src=", "url(", "http://", "https://", "<link", "<img", "<iframe"):
        assert loads_or_links not in page.lower()
    assert "Video &amp; &lt;Clips&gt; &quot;Ltd&quot;" in page
    assert "<Clips>" not in page


def test_an_action_counts_in_the_year_the_provider_acted(year: Year) -> None:
    """A notice sent on New Year's Eve and acted on after midnight: sent in one year, acted in the next."""
    notice = Notice("tg", 900, "threat", datetime(YEAR, 12, 31, 22, 0, tzinfo=UTC), 600, [1000], 1010, 1300)
    notice.outcomes.append((3 * 3600, {"outcome": "removed"}))
    year.run(notice)
    this, next_year = year.report(), year.report(YEAR + 1)
    assert this["providers"]["Telegram FZ-LLC"]["notices"] == 1
    assert this["providers"]["Telegram FZ-LLC"]["actions"] == {}
    assert next_year["providers"]["Telegram FZ-LLC"]["notices"] == 0
    assert next_year["providers"]["Telegram FZ-LLC"]["actions"] == {"removed": 1}
    assert_within_1pct(next_year["providers"]["Telegram FZ-LLC"]["time_to_action"], [3 * 3600 - 1000], "tta")


def replay_everything(year: Year) -> None:
    from botocore.config import Config

    stack = year.stack
    streams = stack.session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    table = stack.client("dynamodb").describe_table(TableName=stack.stack.physical("ItemsTable"))["Table"]
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[Any] = []
    while iterator:
        got = streams.get_records(ShardIterator=iterator, Limit=1000)
        records += got["Records"]
        iterator = got.get("NextShardIterator") if got["Records"] else None
    for start in range(0, len(records), 100):
        stack.runtime.invoke("DispatchFunction", {"Records": records[start : start + 100]})
    pushed = year.platforms["vc"].principal.id
    job_queue().queue(feed_store().read(pushed, 0, 500))
    for provider in ("tg", "ia"):
        year.cursors[provider] = None
        year.read_feed(provider)
        year.read_feed(provider)
    stack.pump()
