"""Lambda: POST /v1/flaggers/{flagger_id}/reports and GET /v1/reports/{report_id}."""

from flagpost.api.app import build_resolver
from flagpost.api.ingest import router
from flagpost.observability import http_handler

app = build_resolver(router)
lambda_handler = http_handler(app)
