"""Lambda: the items table's stream -> feed entries and push jobs, and the statistics counters."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost import snapstart
from flagpost.adapters.events.dispatch import handle_stream
from flagpost.observability import lambda_entry
from flagpost.wiring import dispatcher, stats_store


def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return handle_stream(event, context, dispatcher(), stats_store())


lambda_handler = lambda_entry(handle)
snapstart.prepare(dispatcher, stats_store)
