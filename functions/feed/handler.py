"""Lambda: GET /v1/feed and POST /v1/feed/items/{item_id}/outcome."""

from flagpost.api.app import build_resolver
from flagpost.api.feed import router
from flagpost.observability import http_handler

app = build_resolver(router)
lambda_handler = http_handler(app)
