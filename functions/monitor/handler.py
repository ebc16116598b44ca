"""Lambda: once a minute, the gauges the alarms and the dashboard watch (overdue items, items awaiting review)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost.observability import lambda_entry, logger, metrics
from flagpost.services.monitor import publish


def gauge(name: str, value: float) -> None:
    metrics.add_metric(name=name, unit="Count", value=value)


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    figures = publish(gauge)
    logger.info("gauges sampled", extra=figures)
    return figures


lambda_handler = lambda_entry(handle, correlation_paths.EVENT_BRIDGE)
