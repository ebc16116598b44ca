"""Lambda: GET /v1/health and GET /v1/openapi.json."""

from flagpost.api.app import build_resolver
from flagpost.api.meta import router
from flagpost.observability import http_handler

app = build_resolver(router)
lambda_handler = http_handler(app)
