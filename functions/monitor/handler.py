"""Lambda: once a minute, the gauges the alarms and the dashboard watch (overdue items, items awaiting review)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost import snapstart
from flagpost.observability import emit_metric, lambda_entry, logger
from flagpost.wiring import stats_service


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    figures = stats_service().publish(emit_metric)
    logger.info("gauges sampled", extra=figures)
    return figures


lambda_handler = lambda_entry(handle, correlation_paths.EVENT_BRIDGE)
snapstart.prepare(stats_service)
