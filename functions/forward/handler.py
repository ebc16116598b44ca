"""Lambda: push jobs from the forward queue -> signed POSTs to platform endpoints."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost import snapstart
from flagpost.adapters.events.forward import handle_pushes
from flagpost.observability import lambda_entry
from flagpost.wiring import forwarder


def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_pushes(event, context, forwarder())


lambda_handler = lambda_entry(handle)
snapstart.prepare(forwarder)
