"""Lambda: GET /console, the reviewer console page."""

from flagpost.api.app import build_resolver
from flagpost.api.console import router
from flagpost.observability import http_handler

app = build_resolver(router)
lambda_handler = http_handler(app)
