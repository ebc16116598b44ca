"""Cost per million reports at AWS list prices, derived from what the code does per report (docs/deploy.md).

Usage: `.venv/bin/python infra/cost.py [--new-item-share 0.2] [--stats per-record] ...` (`--help` lists all).

Each line of the table is a count per million reports times a list price. The counts come from the
code paths (see `Assumptions` for where each number comes from); record sizes were measured on the
in-process stack with a 300-character description (2026-11-22): item 0.75 KB, report 0.5 KB, text
0.4 KB, history 0.2 KB - each at most 1 KB, so each write is 1 WRU (2 in a transaction).
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

# List prices, us-east-1, on-demand, as published on the AWS pricing pages (DynamoDB after the
# November 2024 on-demand reduction). eu-west-1 is 5-15% higher. Checked 2026-11-22.
HTTP_API_PER_MILLION_REQUESTS = 1.00  # first 300 M requests a month
LAMBDA_ARM_PER_GB_S = 0.0000133334  # arm64, first 7.5 B GB-s a month
LAMBDA_PER_MILLION_REQUESTS = 0.20
DYNAMODB_PER_MILLION_WRU = 0.625
DYNAMODB_PER_MILLION_RRU = 0.125
SQS_PER_MILLION_REQUESTS = 0.40  # standard queue, per 64 KB chunk
KMS_PER_10K_REQUESTS = 0.03
LOGS_INGESTION_PER_GB = 0.50
XRAY_PER_MILLION_TRACES = 5.00
GOAL_PER_MILLION_REPORTS = 3.00
MILLION = 1_000_000


@dataclass(frozen=True)
class Assumptions:
    """Defaults describe a crisis night: big webhooks, most reports about targets already known."""

    reports_per_webhook: int = 100  # the contract's maximum batch; `flagpost submit` fills batches
    new_item_share: float = 0.2  # reports whose target has no item yet (the rest are duplicates)
    confirm_share: float = 0.5  # new items that reviewers confirm
    platforms_per_confirmed_item: float = 1.0  # routed platforms per confirmed item
    push_share: float = 1.0  # of those, platforms with a push endpoint (the rest only pull)
    memory_gb: float = 0.5  # Globals.Function.MemorySize (512 MB)
    ingest_s_per_webhook: float = 0.4  # 8 AWS calls (docs/BENCHMARKS.md) plus normalizing 100 reports
    dispatch_s_per_stats_record: float = 0.015  # one TransactWriteItems of counters
    dispatch_s_per_other_record: float = 0.001  # records that change nothing (texts, history)
    review_api_requests_per_item: float = 3.0  # claim, decision, one item read
    review_s_per_request: float = 0.1
    forward_s_per_push: float = 0.3  # one signed POST to the platform
    idempotency_record_kb: float = 35.0  # powertools stores the whole 100-result response (measured)
    # Statistics counters (flagpost.adapters.dynamo.stats): "per-batch" (the code since 2026-11-22) sums a stream
    # batch's increments into transactions of one marker Put per counted record plus one ADD per
    # distinct counter; "per-record" (the code before) made a transaction per record, an ADD per counter.
    stats: str = "per-batch"
    stats_counters_per_report: int = 5  # reports, y#reports, report_category, y#report_category, flagger
    stats_counters_per_new_item: int = 7  # items, y#items, status, category, y#, priority, y#
    stats_counters_per_decision: int = 9  # status -1/+1, decided, y#, hist, y#, flagger decided/confirmed
    distinct_counters_per_batch: int = 12  # what one 100-record batch touches when summed first
    reports_per_second: float = 50.0  # sets how often cached secrets are re-decrypted (every 4 s)
    log_bytes_per_invocation: int = 1200  # START/END/REPORT lines, one INFO line, EMF metrics
    access_log_bytes_per_request: int = 450
    xray_sampled_share: float = 1.0  # upper bound; Lambda samples 1 request/s plus 5%


@dataclass(frozen=True)
class Line:
    service: str
    what: str
    quantity: float  # per million reports
    unit: str
    cost: float


def lines(a: Assumptions) -> list[Line]:
    """The bill for one million reports, one line per metered quantity."""
    reports = float(MILLION)
    webhooks = reports / a.reports_per_webhook
    new_items = reports * a.new_item_share
    duplicates = reports - new_items
    pushes = new_items * a.confirm_share * a.platforms_per_confirmed_item * a.push_share
    routed = new_items * a.confirm_share * a.platforms_per_confirmed_item
    review_requests = new_items * a.review_api_requests_per_item

    # Landing (flagpost.adapters.dynamo.items): one TransactWriteItems action per record, 2 WRU each.
    # New target: item Put, report Put, text Put, history Put; duplicate: item Update, report, text.
    landing_txn_wru = 2 * (new_items * 4 + duplicates * 3)
    # Index writes are not transactional: review-queue and items-by-status for a new item,
    # items-by-status again for an updated one (ALL projection), reports-by-item for every report.
    landing_gsi_wru = new_items * 2 + duplicates * 1 + reports * 1
    idempotency_wru = webhooks * (1 + a.idempotency_record_kb)  # in-progress Put, then the stored response
    rate_limit_wru = 2 * 2 * webhooks  # a transaction per webhook: the minute window ADD and its charge marker
    landing_rru = reports  # BatchGetItem, strongly consistent: 1 RRU per key, found or not

    # Stream -> DispatchFunction: one record per item-table write (reads by Lambda are free).
    stream_records = new_items * 4 + duplicates * 3
    stats_records = reports + new_items  # records whose counters change (report inserts, item inserts)
    if a.stats == "per-record":
        stats_wru = 2 * (reports * (a.stats_counters_per_report + 1) + new_items * (a.stats_counters_per_new_item + 1))
        stats_transactions = stats_records
    else:
        batches = stream_records / 100  # about 40 countable records each: one transaction per batch
        stats_wru = 2 * (stats_records + batches * a.distinct_counters_per_batch)
        stats_transactions = batches
    # Decisions trickle in at reviewers' pace: each one's stream batch is usually that record alone.
    decided = new_items
    stats_wru += 2 * decided * (a.stats_counters_per_decision + 1)

    # Review (per new item): claim = GSI page + GetItem + lease transaction; decision = transaction.
    review_wru = new_items * (2 * 2 + 2 * 2 + 4)  # two 2-action transactions, index moves
    review_rru = new_items * 4
    # Delivery (per routed platform): counter+entry+marker+route transaction and its reads; per push an
    # attempt log + entry state transaction, the platform's profile, SQS send/receive/delete.
    delivery_wru = routed * 2 * 4 + pushes * 2 * 2 + routed
    delivery_rru = routed * 3 + pushes * 2
    sqs_requests = pushes * 3

    dispatch_invocations = stream_records / 100
    dispatch_s = stats_transactions * a.dispatch_s_per_stats_record + stream_records * a.dispatch_s_per_other_record
    gb_s = a.memory_gb * (
        webhooks * a.ingest_s_per_webhook
        + dispatch_s
        + review_requests * a.review_s_per_request
        + pushes * a.forward_s_per_push
    )
    invocations = webhooks + dispatch_invocations + review_requests + pushes
    api_requests = webhooks + review_requests

    # KMS: each warm ingest/forward process decrypts a principal's secrets at most every 4 s, and
    # DynamoDB/SQS re-derive their data keys about every 5 minutes per table/queue.
    seconds = reports / a.reports_per_second
    kms_requests = seconds / 4 + pushes / 100 + seconds / 300 * 8

    log_gb = (invocations * a.log_bytes_per_invocation + api_requests * a.access_log_bytes_per_request) / 1e9
    traces = invocations * a.xray_sampled_share

    wru = landing_txn_wru + landing_gsi_wru + idempotency_wru + rate_limit_wru + stats_wru + review_wru + delivery_wru
    assert wru > 0
    return [
        Line("API Gateway", "HTTP API requests (webhooks, review, feed)", api_requests, "requests",
             api_requests / MILLION * HTTP_API_PER_MILLION_REQUESTS),
        Line("Lambda", "compute, arm64 at 512 MB", gb_s, "GB-s", gb_s * LAMBDA_ARM_PER_GB_S),
        Line("Lambda", "invocations", invocations, "requests", invocations / MILLION * LAMBDA_PER_MILLION_REQUESTS),
        Line("DynamoDB", "landing: transactional writes (item, report, text, history)", landing_txn_wru, "WRU",
             landing_txn_wru / MILLION * DYNAMODB_PER_MILLION_WRU),
        Line("DynamoDB", "landing: index writes", landing_gsi_wru, "WRU",
             landing_gsi_wru / MILLION * DYNAMODB_PER_MILLION_WRU),
        Line("DynamoDB", "idempotency records and rate windows", idempotency_wru + rate_limit_wru, "WRU",
             (idempotency_wru + rate_limit_wru) / MILLION * DYNAMODB_PER_MILLION_WRU),
        Line("DynamoDB", f"statistics counters ({a.stats})", stats_wru, "WRU",
             stats_wru / MILLION * DYNAMODB_PER_MILLION_WRU),
        Line("DynamoDB", "review: leases, decisions, history", review_wru, "WRU",
             review_wru / MILLION * DYNAMODB_PER_MILLION_WRU),
        Line("DynamoDB", "delivery: feed entries, attempt logs", delivery_wru, "WRU",
             delivery_wru / MILLION * DYNAMODB_PER_MILLION_WRU),
        Line("DynamoDB", "reads (landing, review, delivery)", landing_rru + review_rru + delivery_rru, "RRU",
             (landing_rru + review_rru + delivery_rru) / MILLION * DYNAMODB_PER_MILLION_RRU),
        Line("SQS", "push jobs: send, receive, delete", sqs_requests, "requests",
             sqs_requests / MILLION * SQS_PER_MILLION_REQUESTS),
        Line("KMS", "secret decrypts, table/queue data keys", kms_requests, "requests",
             kms_requests / 10_000 * KMS_PER_10K_REQUESTS),
        Line("CloudWatch Logs", "ingestion (function and access logs)", log_gb, "GB", log_gb * LOGS_INGESTION_PER_GB),
        Line("X-Ray", "traces recorded", traces, "traces", traces / MILLION * XRAY_PER_MILLION_TRACES),
    ]  # fmt: skip


def total(bill: list[Line]) -> float:
    return sum(line.cost for line in bill)


def render(a: Assumptions) -> str:
    bill = lines(a)
    width = max(len(f"{line.service}: {line.what}") for line in bill)
    out = [f"{'per million reports':<{width}} | {'quantity':>14} | {'cost':>8}", "-" * (width + 30)]
    for line in bill:
        label = f"{line.service}: {line.what}"
        out.append(f"{label:<{width}} | {line.quantity:>10,.0f} {line.unit:<3.3} | ${line.cost:>7.2f}")
    cost = total(bill)
    dynamodb = sum(line.cost for line in bill if line.service == "DynamoDB")
    out.append("-" * (width + 30))
    out.append(f"{'total':<{width}} | {'':>14} | ${cost:>7.2f}")
    verdict = "met" if cost <= GOAL_PER_MILLION_REPORTS else "NOT met"
    out.append(f"goal <= ${GOAL_PER_MILLION_REPORTS:.2f}: {verdict}; DynamoDB is {dynamodb / cost:.0%} of the bill")
    fixed = "fixed monthly costs not included: KMS key $1, alarms ~$2.20, custom metrics, PITR and storage"
    out.append(fixed)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    for field in dataclasses.fields(Assumptions):
        default = field.default
        kind = type(default)
        choices = ["per-record", "per-batch"] if field.name == "stats" else None
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=default, choices=choices)
    args = parser.parse_args(argv)
    print(render(Assumptions(**vars(args))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
