"""The one place that builds the real implementations, lazily, once per execution environment.

It is also where an HTTP function is composed (`http_function`): its routers, the resolver, the
providers of the routes' dependencies and the bearer guard.

Nothing here runs at import: every builder reads the settings and makes clients on first use, so
tests and the local stack can set the environment first (and `flagpost.lazy.reset()` forgets all).
Handlers and routers ask for what they need by calling these.

Over 300 lines on purpose: it is the composition root, one short builder per store, service and
channel, each importing its own modules (cold starts pay for what they use); splitting it would
only scatter the one list of what the deployment is made of.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flagpost.adapters.dynamo.client import Table
from flagpost.config import Settings, settings
from flagpost.domain.deadlines import Deadlines
from flagpost.lazy import lazy

# A function imports what its handler uses when it first builds it: the ingest function never loads
# the forwarder's HTTP client, the review rules or the statistics (cold starts pay for what they use).
if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.api_gateway import Router

    from flagpost.adapters.dynamo.feed import FeedStore
    from flagpost.adapters.dynamo.items import DynamoItemStore
    from flagpost.adapters.dynamo.names import PrincipalNames
    from flagpost.adapters.dynamo.outcomes import DynamoOutcomeStore
    from flagpost.adapters.dynamo.principals import DynamoPrincipalStore
    from flagpost.adapters.dynamo.review import DynamoReviewStore
    from flagpost.adapters.dynamo.stats import StatsStore
    from flagpost.adapters.dynamo.steps import DynamoStepLog
    from flagpost.adapters.sqs import SqsJobQueue
    from flagpost.domain.models.notice import Notifier
    from flagpost.domain.models.principal import Role
    from flagpost.observability import LambdaHandler
    from flagpost.services.dispatch import Dispatcher
    from flagpost.services.forward import Forwarder
    from flagpost.services.ingest import IngestService
    from flagpost.services.outcomes import OutcomeService
    from flagpost.services.principals import PrincipalAdmin
    from flagpost.services.reports import FlaggerReports
    from flagpost.services.review import ReviewService
    from flagpost.services.review_reads import ReviewReads
    from flagpost.services.stats import StatsService
    from flagpost.services.steps import FeedAcknowledger, StepRecorder


def _config(*required: str) -> Settings:
    config = settings()
    config.require(*required)
    return config


def deadlines(config: Settings) -> Deadlines:
    return Deadlines(config.deadline_threat_to_life_s, config.deadline_crisis_s, config.deadline_standard_s)


def notifier() -> Notifier:
    """The operating organisation, named in every notice (and the sender of notice e-mails)."""
    from flagpost.domain.models.notice import Notifier

    config = _config("operator_name", "operator_email")
    return Notifier(name=config.operator_name, email=config.operator_email)


# ------------------------------------------------------------------------- tables


@lazy
def items_table() -> Table:
    return Table(_config("items_table").items_table)


@lazy
def feed_table() -> Table:
    return Table(_config("feed_table").feed_table)


# ------------------------------------------------------------------------ stores


@lazy
def principal_store() -> DynamoPrincipalStore:
    from flagpost.adapters.dynamo.principals import DynamoPrincipalStore

    config = _config("principals_table", "kms_key_id")
    return DynamoPrincipalStore(
        Table(config.principals_table),
        config.kms_key_id,
        rotation_overlap_s=config.rotation_overlap_seconds,
        cache_s=config.auth_cache_seconds,
    )


@lazy
def item_store() -> DynamoItemStore:
    from flagpost.adapters.dynamo.items import DynamoItemStore

    config = settings()
    return DynamoItemStore(items_table(), deadlines=deadlines(config), text_retention_days=config.text_retention_days)


@lazy
def review_store() -> DynamoReviewStore:
    from flagpost.adapters.dynamo.review import DynamoReviewStore

    return DynamoReviewStore(items_table(), text_retention_days=settings().text_retention_days)


@lazy
def outcome_store() -> DynamoOutcomeStore:
    from flagpost.adapters.dynamo.outcomes import DynamoOutcomeStore

    return DynamoOutcomeStore(items_table(), text_retention_days=settings().text_retention_days)


@lazy
def feed_store() -> FeedStore:
    from flagpost.adapters.dynamo.feed import FeedStore

    return FeedStore(feed_table(), text_retention_days=settings().text_retention_days)


@lazy
def stats_store() -> StatsStore:
    from flagpost.adapters.dynamo.stats import StatsStore

    return StatsStore(Table(_config("stats_table").stats_table))


@lazy
def step_log() -> DynamoStepLog:
    from flagpost.adapters.dynamo.steps import DynamoStepLog

    return DynamoStepLog(items_table())


@lazy
def job_queue() -> SqsJobQueue:
    from flagpost.adapters.sqs import SqsJobQueue

    config = _config("forward_queue_url")
    return SqsJobQueue(config.forward_queue_url, config.forward_dlq_url)


# ---------------------------------------------------------------------- use cases


@lazy
def ingest_service() -> IngestService:
    from flagpost.adapters.dynamo.ratelimit import RateLimiter
    from flagpost.adapters.idempotency import PowertoolsIdempotency
    from flagpost.services.ingest import IngestService

    config = _config("items_table", "idempotency_table", "principals_table")
    return IngestService(
        principals=principal_store(),
        items=item_store(),
        limiter=RateLimiter(Table(config.principals_table), config.flagger_reports_per_minute),
        idempotency=PowertoolsIdempotency(config.idempotency_table),
    )


@lazy
def review_service() -> ReviewService:
    from flagpost.observability import emit_metric
    from flagpost.services.review import ReviewService

    return ReviewService(
        review_store(),
        lease_seconds=settings().lease_seconds,
        metric=emit_metric,
        platforms=principal_store().active_platforms,
    )


@lazy
def review_reads() -> ReviewReads:
    from flagpost.adapters.dynamo.stats import QueueIndex
    from flagpost.services.review_reads import ReviewReads

    return ReviewReads(
        review_store(),
        outcome_store(),
        totals=stats_store(),
        overdue=QueueIndex(items_table()),
        people=principal_names(),
    )


@lazy
def principal_names() -> PrincipalNames:
    from flagpost.adapters.dynamo.names import PrincipalNames

    return PrincipalNames(principal_store())


@lazy
def flagger_reports() -> FlaggerReports:
    from flagpost.services.reports import FlaggerReports

    return FlaggerReports(item_store(), outcome_store())


@lazy
def outcome_service() -> OutcomeService:
    from flagpost.services.outcomes import OutcomeService

    return OutcomeService(outcome_store(), feed_store())


@lazy
def stats_service() -> StatsService:
    from flagpost.adapters.dynamo.stats import QueueIndex
    from flagpost.domain.models.principal import Role
    from flagpost.services.stats import StatsService

    def names() -> dict[str, str]:
        # Organisations (flaggers, platforms) by name wherever a person reads figures; reviewers,
        # who are people, never appear in the statistics.
        return {p.id: p.name for p in principal_store().all() if p.role in (Role.PLATFORM, Role.FLAGGER)}

    return StatsService(stats_store(), QueueIndex(items_table()), names=names)


@lazy
def step_recorder() -> StepRecorder:
    from flagpost.services.steps import StepRecorder

    return StepRecorder(step_log())


@lazy
def feed_acknowledger() -> FeedAcknowledger:
    from flagpost.adapters.dynamo.steps import FeedAcks
    from flagpost.services.steps import FeedAcknowledger

    return FeedAcknowledger(feed_store(), FeedAcks(feed_table()), step_log())


@lazy
def dispatcher() -> Dispatcher:
    from flagpost.services.dispatch import Dispatcher

    return Dispatcher(
        feed_store(),
        principal_store(),
        job_queue(),
        review_store(),
        notifier(),
        steps=step_recorder(),
    )


@lazy
def forwarder() -> Forwarder:
    from flagpost.adapters.dynamo.circuit import DynamoCircuitBreaker
    from flagpost.adapters.push import HttpPusher
    from flagpost.adapters.ses import SesMailer
    from flagpost.services.channels import EmailChannel, PushChannel
    from flagpost.services.forward import Forwarder, Policy

    config = settings()
    stats = stats_store()
    pusher = HttpPusher(
        connect_timeout_s=config.push_connect_timeout_seconds,
        read_timeout_s=config.push_read_timeout_seconds,
        total_timeout_s=config.push_total_timeout_seconds,
        allow_loopback=config.allow_loopback_endpoints,
    )
    policy = Policy(
        max_attempts=config.forward_max_attempts,
        max_age_s=config.forward_max_age_seconds,
        backoff_base_s=config.forward_backoff_base_seconds,
        backoff_max_s=config.forward_backoff_max_seconds,
    )
    principals = principal_store()
    return Forwarder(
        feed_store(),
        principals,
        {"push": PushChannel(principals, pusher), "email": EmailChannel(SesMailer(), notifier())},
        job_queue(),
        policy,
        on_failed=lambda platform_id: stats.add(f"deliveries_failed#{platform_id}"),
        on_delivered=step_recorder().delivered,
        breaker=DynamoCircuitBreaker(
            feed_table(),
            threshold=config.forward_breaker_failures,
            cooldown_s=config.forward_breaker_cooldown_seconds,
            cooldown_max_s=config.forward_breaker_cooldown_max_seconds,
            # A probe holds the half-open circuit for as long as a push can take, and then some.
            probe_lease_s=2 * config.push_total_timeout_seconds + 5,
        ),
    )


@lazy
def principal_admin() -> PrincipalAdmin:
    from flagpost.adapters.ssrf import validate_endpoint
    from flagpost.services.principals import PrincipalAdmin

    allow_loopback = settings().allow_loopback_endpoints
    return PrincipalAdmin(
        principal_store(),
        lambda endpoint: validate_endpoint(endpoint, allow_loopback=allow_loopback),
        feed=feed_store,
        jobs=job_queue,
    )


# ------------------------------------------------------------------- HTTP functions


def _providers() -> dict[Callable[..., Any], Callable[..., Any]]:
    from flagpost.adapters.http import deps

    return {
        deps.principals: principal_store,
        deps.review: review_service,
        deps.review_reads: review_reads,
        deps.outcomes: outcome_service,
        deps.feed: feed_store,
        deps.feed_acks: feed_acknowledger,
        deps.ingest: ingest_service,
        deps.flagger_reports: flagger_reports,
        deps.admin: principal_admin,
        deps.stats: stats_service,
    }


def http_function(*routers: Router, role: Role | None = None) -> tuple[APIGatewayHttpResolver, LambdaHandler]:
    """An HTTP function's resolver and Lambda entry point: its routers, their dependencies' real
    providers (built on first use), and the bearer guard when it serves one role."""
    from flagpost.adapters.http.app import build_resolver, lambda_handler_for

    app = build_resolver(*routers)
    app.dependency_overrides.update(_providers())
    return app, lambda_handler_for(app, role, principal_store)
