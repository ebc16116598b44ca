"""Lambda: push jobs from the forward queue -> signed POSTs to platform endpoints."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost.observability import lambda_entry
from flagpost.services.forward import PushRecord, handle_record
from flagpost.wiring_delivery import forwarder

# A batch whose records all failed still answers with batchItemFailures (each record set its own retry).
# Bodies are parsed into push jobs by powertools' parser; a malformed one fails alone (then the DLQ).
processor = BatchProcessor(event_type=EventType.SQS, model=PushRecord, raise_on_entire_batch_failure=False)


def record_handler(record: PushRecord) -> str:
    return handle_record(forwarder(), record)


def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


lambda_handler = lambda_entry(handle)
