"""Lambda: the items table's stream -> feed entries and push jobs, and the statistics counters."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost.observability import lambda_entry
from flagpost.services.dispatch import Append
from flagpost.services.stats_stream import record_changes
from flagpost.wiring_delivery import dispatcher
from flagpost.wiring_stats import stats_store

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    planned: list[Append] = []

    def record_handler(record: DynamoDBRecord) -> None:
        planned.extend(dispatcher().plan(record.raw_event))

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    # Feed entries are appended per platform for the whole batch (one counter move per platform), and
    # counters summed over it; each stops at the first record it could not handle, and the stream
    # resumes from the earliest such record (appends and counts are idempotent on redelivery).
    failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    resume = dispatcher().flush(planned)
    if resume is not None:
        response["batchItemFailures"].append({"itemIdentifier": resume})
    handled = [r for r in event.get("Records", []) if r["dynamodb"]["SequenceNumber"] not in failed]
    resume = record_changes(stats_store(), handled)
    if resume is not None:
        response["batchItemFailures"].append({"itemIdentifier": resume})
    return response


lambda_handler = lambda_entry(handle)
