"""Lambda: GET /v1/health and GET /v1/openapi.json."""

from flagpost.adapters.http.app import build_resolver, lambda_handler_for
from flagpost.adapters.http.meta import router

app = build_resolver(router)
lambda_handler = lambda_handler_for(app)
