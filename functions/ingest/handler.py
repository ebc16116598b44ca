"""Lambda: POST /v1/flaggers/{flagger_id}/reports and GET /v1/reports/{report_id}."""

from flagpost import snapstart
from flagpost.adapters.http.ingest import router
from flagpost.wiring import flagger_reports, http_function, ingest_service, principal_store

app, lambda_handler = http_function(router)
snapstart.prepare(ingest_service, flagger_reports, principal_store)
