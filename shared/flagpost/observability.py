"""The one Logger, Tracer and Metrics of every function, and the decorator that wires them to a handler."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

# Read-only routes emit no metric; an empty flush there is expected, not a mistake worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

# Service name, namespace and log level come from POWERTOOLS_* variables set in template.yaml.
logger = Logger()
tracer = Tracer()
# An explicit namespace: EMF needs one even if this module is imported before the environment is set.
metrics = Metrics(namespace="Flagpost")

LambdaHandler = Callable[[dict[str, Any], LambdaContext], Any]


def lambda_entry(handle: LambdaHandler, correlation_id_path: str | None = None) -> LambdaHandler:
    """Wrap a handler with the Logger, Tracer and Metrics every Flagpost function uses."""

    @logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def instrumented(event: dict[str, Any], context: LambdaContext) -> Any:
        return handle(event, context)

    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
        if "stage" not in metrics.default_dimensions:
            # Stages share an account's namespace: every metric carries its service and stage, and the
            # alarms select theirs. Set here, not at import, which may happen before the environment is.
            metrics.set_default_dimensions(
                service=os.environ.get("POWERTOOLS_SERVICE_NAME", "flagpost"),
                stage=os.environ.get("FLAGPOST_STAGE", "local"),
            )
        try:
            return instrumented(event, context)
        finally:
            # With metrics disabled (the local stack) powertools never clears them; never carry any over.
            metrics.clear_metrics()

    return lambda_handler


def emit_metric(name: str, value: float) -> None:
    """A metric of the use cases (counts, and durations in seconds for names ending in Seconds)."""
    metrics.add_metric(name=name, unit="Seconds" if name.endswith("Seconds") else "Count", value=value)
