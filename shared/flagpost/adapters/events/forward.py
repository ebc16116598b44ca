"""The forward queue's batch: each record a delivery job parsed by powertools' parser, delivered on its own.

A retryable failure postpones that message (its backoff) and fails that record only; a malformed
body fails alone too, and reaches the DLQ after the queue's receive count.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from flagpost.domain.models.feed import PushJob
from flagpost.services.forward import Forwarder, Job, RetryLaterError


class PushRecord(SqsRecordModel):
    body: Json[PushJob]


# A batch whose records all failed still answers with batchItemFailures (each record set its own retry).
processor = BatchProcessor(event_type=EventType.SQS, model=PushRecord, raise_on_entire_batch_failure=False)


def job_from_sqs(record: PushRecord) -> Job:
    attributes = record.attributes
    return Job(
        platform_id=record.body.platform_id,
        seq=record.body.seq,
        receipt_handle=record.receiptHandle,
        receive_count=int(attributes.ApproximateReceiveCount or 1),
        sent_at_s=attributes.SentTimestamp.timestamp(),
        round=record.body.round,
        parked=record.body.parked,
        channel=record.body.channel,
        attempts=record.body.attempts,
    )


def handle_record(forwarder: Forwarder, record: PushRecord) -> str:
    """Deliver one record; a retryable failure postpones the message and fails the record."""
    job = job_from_sqs(record)
    try:
        return forwarder.deliver(job)
    except RetryLaterError as exc:
        forwarder.postpone(job.receipt_handle, exc.delay_s)
        raise


def handle_pushes(event: dict[str, Any], context: LambdaContext, forwarder: Forwarder) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event,
        record_handler=lambda record: handle_record(forwarder, record),
        processor=processor,
        context=context,
    )
