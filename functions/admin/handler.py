"""Lambda: /v1/admin/* (principals and keys)."""

from flagpost.api.admin import router
from flagpost.api.app import build_resolver
from flagpost.observability import http_handler

app = build_resolver(router)
lambda_handler = http_handler(app)
