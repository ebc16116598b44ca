"""Lambda: POST /v1/flaggers/{flagger_id}/reports and GET /v1/reports/{report_id}."""

from flagpost.adapters.http.app import build_resolver, lambda_handler_for
from flagpost.adapters.http.ingest import router

app = build_resolver(router)
lambda_handler = lambda_handler_for(app)
