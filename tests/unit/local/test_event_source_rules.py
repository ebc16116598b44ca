"""Which records a batch response fails, by Lambda's rules."""

from __future__ import annotations

from flagpost.local.event_sources import failed_ids, sqs_event

IDS = ["m1", "m2", "m3"]


def test_without_report_batch_item_failures_a_returned_list_is_ignored() -> None:
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "m1"}]}, False, IDS) == set()


def test_listed_identifiers_fail() -> None:
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "m2"}]}, True, IDS) == {"m2"}


def test_empty_or_missing_list_means_all_succeeded() -> None:
    assert failed_ids({"batchItemFailures": []}, True, IDS) == set()
    assert failed_ids(None, True, IDS) == set()


def test_malformed_or_unknown_identifier_fails_the_whole_batch() -> None:
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "nope"}]}, True, IDS) == set(IDS)
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": ""}]}, True, IDS) == set(IDS)
    assert failed_ids({"batchItemFailures": ["m1"]}, True, IDS) == set(IDS)


def test_sqs_event_records_carry_lambda_field_names() -> None:
    event = sqs_event(
        [
            {
                "MessageId": "m1",
                "ReceiptHandle": "r",
                "Body": "b",
                "Attributes": {"ApproximateReceiveCount": "1"},
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
            }
        ],
        "arn:aws:sqs:eu-west-1:1:q",
        "eu-west-1",
    )
    (record,) = event["Records"]
    assert record["messageId"] == "m1"
    assert record["eventSource"] == "aws:sqs"
    assert record["messageAttributes"]["k"]["stringValue"] == "v"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
