"""The items table's stream batch: feed entries and push jobs (Dispatcher), then the statistics.

Records are parsed with powertools' `DynamoDBStreamRecordModel` by its batch processor; each stops
nothing but itself when it fails. Entries are then appended per platform for the whole batch (one
counter move per platform) and counters summed over it; each step stops at the first change it could
not handle, and the stream resumes from the earliest such record (appends and counts are idempotent
on redelivery).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from flagpost.adapters.dynamo.client import native
from flagpost.adapters.dynamo.stats import StatsStore
from flagpost.domain.models.records import StreamChange
from flagpost.services.dispatch import Append, Dispatcher
from flagpost.services.stats import count_changes

processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, model=DynamoDBStreamRecordModel, raise_on_entire_batch_failure=False
)


def change_of(record: DynamoDBStreamRecordModel) -> StreamChange:
    images = record.dynamodb
    return StreamChange(
        event_id=record.eventID,
        sequence_number=images.SequenceNumber,
        new=native(images.NewImage) if isinstance(images.NewImage, dict) else None,
        old=native(images.OldImage) if isinstance(images.OldImage, dict) else None,
    )


def handle_stream(
    event: dict[str, Any], context: LambdaContext, dispatcher: Dispatcher, stats: StatsStore
) -> PartialItemFailureResponse:
    planned: list[Append] = []
    changes: list[StreamChange] = []

    def record_handler(record: DynamoDBStreamRecordModel) -> None:
        change = change_of(record)
        planned.extend(dispatcher.plan(change))
        changes.append(change)

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    resume = dispatcher.flush(planned)
    if resume is not None:
        response["batchItemFailures"].append({"itemIdentifier": resume})
    # Records that failed above are redelivered and counted then.
    resume = count_changes(stats, changes)
    if resume is not None:
        response["batchItemFailures"].append({"itemIdentifier": resume})
    return response
