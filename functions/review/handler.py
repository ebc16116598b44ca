"""Lambda: the reviewer routes under /v1/review (claim, lease, decision, retract, items, queue counts)."""

from flagpost.api.app import build_resolver
from flagpost.api.review import router
from flagpost.observability import http_handler

app = build_resolver(router)
lambda_handler = http_handler(app)
