"""Lambda: the items table's stream -> feed entries and push jobs, and the statistics counters."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost.delivery.services import dispatcher
from flagpost.observability import lambda_entry
from flagpost.stats.services import stats_store
from flagpost.stats.stream import record_changes

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def record_handler(record: DynamoDBRecord) -> None:
    dispatcher().handle(record.raw_event)


def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    # The counters are summed over the whole batch (a few transactions, not one per record). A record
    # that failed above is redelivered and counted then; a failure to count resumes the stream there.
    failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    handled = [r for r in event.get("Records", []) if r["dynamodb"]["SequenceNumber"] not in failed]
    resume = record_changes(stats_store(), handled)
    if resume is not None:
        response["batchItemFailures"].append({"itemIdentifier": resume})
    return response


lambda_handler = lambda_entry(handle)
