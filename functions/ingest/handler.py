"""Lambda: POST /v1/flaggers/{flagger_id}/reports and GET /v1/reports/{report_id}."""

from flagpost.adapters.http.ingest import router
from flagpost.wiring import http_function

app, lambda_handler = http_function(router)
